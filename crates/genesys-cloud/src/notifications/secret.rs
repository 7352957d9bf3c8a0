//! The channel's capabilities: its `connectUri` and its id. Whoever has
//! either can read the channel, so neither is ever logged or shown in full.

use std::fmt;

/// How many characters of a channel id logs and errors show
/// (`streaming-0-` and four more).
const SHOWN_ID_CHARS: usize = 16;

/// A channel's `connectUri`. `Debug` and `Display` show the scheme and host
/// only (`wss://streaming.mypurecloud.com/…`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ConnectUri(String);

impl ConnectUri {
    pub(crate) fn new(uri: String) -> Self {
        ConnectUri(uri)
    }

    /// The full URI, for connecting only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `scheme://host[:port]/…`.
    pub(crate) fn redacted(&self) -> String {
        redact_uri(&self.0)
    }
}

impl fmt::Debug for ConnectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectUri({})", self.redacted())
    }
}

impl fmt::Display for ConnectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A channel id. `Debug` and `Display` show its first characters only.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ChannelId(String);

impl ChannelId {
    pub(crate) fn new(id: String) -> Self {
        ChannelId(id)
    }

    /// The full id, for request paths only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The first characters, then `…`.
    pub(crate) fn redacted(&self) -> String {
        redact_id(&self.0)
    }
}

impl fmt::Debug for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelId({})", self.redacted())
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The first characters of an id, then `…` when some were left out.
pub(crate) fn redact_id(id: &str) -> String {
    let shown = id
        .chars()
        .count()
        .min(SHOWN_ID_CHARS)
        .min(id.chars().count() / 2);
    let keep: String = id.chars().take(shown).collect();
    format!("{keep}…")
}

/// `scheme://host[:port]/…`: what may be shown of a URI.
pub(crate) fn redact_uri(uri: &str) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("?", uri));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Credentials in the authority are secrets too.
    let host = authority.rsplit('@').next().unwrap_or("");
    format!("{scheme}://{host}/…")
}

/// `text` with every occurrence of the URI and the id replaced by their
/// redacted forms (for messages from other crates, which may quote them).
pub(crate) fn scrub(text: &str, uri: Option<&ConnectUri>, id: Option<&ChannelId>) -> String {
    let mut out = text.to_owned();
    if let Some(uri) = uri.filter(|u| !u.0.is_empty()) {
        out = out.replace(&uri.0, &uri.redacted());
    }
    if let Some(id) = id.filter(|i| !i.0.is_empty()) {
        out = out.replace(&id.0, &id.redacted());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_keep_scheme_and_host_only() {
        let uri = ConnectUri::new(
            "wss://streaming.mypurecloud.com/channels/streaming-0-abcdef0123456789".into(),
        );
        assert_eq!(uri.to_string(), "wss://streaming.mypurecloud.com/…");
        assert_eq!(
            format!("{uri:?}"),
            "ConnectUri(wss://streaming.mypurecloud.com/…)"
        );
        assert_eq!(
            redact_uri("ws://user:pw@127.0.0.1:80/x?y"),
            "ws://127.0.0.1:80/…"
        );
        assert_eq!(redact_uri("no scheme/at/all"), "?://no scheme/…");
    }

    #[test]
    fn ids_show_a_prefix_only() {
        let id = ChannelId::new("streaming-0-abcdef0123456789abcdef".into());
        assert_eq!(id.to_string(), "streaming-0-abcd…");
        // Short ids show at most half of themselves.
        assert_eq!(redact_id("abcd"), "ab…");
        assert_eq!(redact_id(""), "…");
    }

    #[test]
    fn scrub_replaces_both() {
        let id = ChannelId::new("streaming-0-secretsecretsecret".into());
        let uri = ConnectUri::new(format!("ws://127.0.0.1:9/channels/{}", id.expose()));
        let text = format!("failed to connect to {} ({})", uri.expose(), id.expose());
        let clean = scrub(&text, Some(&uri), Some(&id));
        assert!(!clean.contains(id.expose()), "{clean}");
        assert!(clean.contains("ws://127.0.0.1:9/…"), "{clean}");
    }
}
