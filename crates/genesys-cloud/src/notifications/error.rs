//! What can go wrong with a notification channel.

use std::fmt;

use genesys_model::notifications::TopicError;

/// Everything that can go wrong subscribing to notifications or keeping a
/// channel alive.
///
/// Refusals made before anything is sent ([`NotificationError::Topic`])
/// name the nearest known topic; topics the server rejects
/// ([`NotificationError::Rejected`]) name the missing permissions. Errors
/// that end a stream ([`NotificationError::Evicted`],
/// [`NotificationError::TokenRevoked`], ...) say why, and what to do.
///
/// No variant's `Debug` or `Display` shows a channel's `connectUri` or full
/// id: both are bearer capabilities.
///
/// ```
/// use genesys_cloud::notifications::NotificationError;
/// use genesys_model::notifications::{Event, Topic};
///
/// let typo = Topic::<Event>::parse("v2.users.8f6c.conversations.cals").unwrap_err();
/// let error = NotificationError::from(typo);
/// assert!(error.is_preflight());
/// assert!(error.to_string().contains("v2.users.{id}.conversations.calls"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// Refused before anything was sent: a malformed or unknown topic
    /// (the error names the nearest known topic, when one is close).
    #[error("notification topic refused before anything was sent: {0}")]
    Topic(#[from] TopicError),
    /// Genesys rejected topics (typically for missing permissions).
    #[error(transparent)]
    Rejected(TopicsRejected),
    /// A request of the notifications API failed.
    #[error("notification channel: {action} failed: {source}")]
    Api {
        /// What the client was doing (`creating a channel`, ...).
        action: &'static str,
        /// The API error (code, message, correlation id).
        #[source]
        source: Box<crate::Error>,
    },
    /// The WebSocket at the channel's `connectUri` could not be opened.
    #[error("could not open the notification socket at {uri}: {detail}")]
    Connect {
        /// Scheme and host of the `connectUri` (the rest is a secret).
        uri: String,
        /// What failed.
        detail: String,
    },
    /// The TLS handshake of the notification socket failed; `kind` says
    /// why and what to do (e.g. add your company's CA to the client's
    /// [`ConnectionSettings`](crate::ConnectionSettings)). Not retried: it would fail
    /// the same way.
    #[error(
        "could not open the notification socket at {uri}: TLS handshake failed: {kind} ({detail})"
    )]
    Tls {
        /// Scheme and host of the `connectUri` (the rest is a secret).
        uri: String,
        /// Why the handshake failed.
        kind: genesys_transport::TlsFailure,
        /// The error, rendered.
        detail: String,
    },
    /// The HTTP proxy in the client's
    /// [`ConnectionSettings`](crate::ConnectionSettings) (or the
    /// environment's) did not open a tunnel to the socket's host: the
    /// socket never reached Genesys. `kind` says what the proxy did, e.g.
    /// [`AuthenticationRequired`](genesys_transport::ProxyFailure::AuthenticationRequired)
    /// for a 407. Only an unreachable proxy is retried; a refusal would be
    /// repeated.
    #[error(
        "could not open the notification socket at {uri}: the proxy {proxy} failed, \
         Genesys was not reached: {kind} ({detail})"
    )]
    Proxy {
        /// Scheme and host of the `connectUri` (the rest is a secret).
        uri: String,
        /// The proxy's `host:port` (never its credentials).
        proxy: String,
        /// What the proxy did.
        kind: genesys_transport::ProxyFailure,
        /// The error, rendered.
        detail: String,
    },
    /// Genesys answered channel creation without an id or a `connectUri`.
    #[error("notification channel: the created channel has no {missing}")]
    InvalidChannel {
        /// The missing field.
        missing: &'static str,
    },
    /// The server removed our channel (`v2.system.no_longer_subscribed`).
    /// The stream ends: reconnecting would evict another channel in turn.
    #[error(
        "notification channel {channel} was removed by Genesys (v2.system.no_longer_subscribed{}). \
         Genesys allows 20 channels per user and OAuth client and removes the least recently \
         used when a 21st is created: another process (or another channel of this one) using \
         the same user and OAuth client probably created channels and evicted it. Not \
         reconnecting, so that two processes do not evict each other in a loop. Fix: share one \
         channel per process, give each service its own OAuth client, or use EventBridge for a \
         fleet",
        reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
    )]
    Evicted {
        /// The channel, shortened.
        channel: String,
        /// The `message` of the system event, when given.
        reason: Option<String>,
    },
    /// The channel's access token was revoked (`v2.system.token_revoked`);
    /// the stream ends.
    #[error(
        "the access token of notification channel {channel} was revoked \
         (v2.system.token_revoked): the channel is closed. Subscribe again with a valid token"
    )]
    TokenRevoked {
        /// The channel, shortened.
        channel: String,
    },
    /// Reconnecting failed this many times in a row (see
    /// [`NotificationClient::max_reconnect_attempts`](super::NotificationClient::max_reconnect_attempts)).
    #[error("notification channel: gave up reconnecting after {attempts} attempts: {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<NotificationError>,
    },
    /// The stream has ended (it was dropped, or ended with an error): the
    /// handle can no longer change its topics.
    #[error("the notification stream has ended")]
    Closed,
}

impl NotificationError {
    /// True when the request was refused before anything was sent.
    pub fn is_preflight(&self) -> bool {
        match self {
            NotificationError::Topic(_) => true,
            NotificationError::Api { source, .. } => source.is_preflight(),
            _ => false,
        }
    }

    /// The rejected topics, when Genesys rejected some.
    pub fn rejected(&self) -> Option<&TopicsRejected> {
        match self {
            NotificationError::Rejected(r) => Some(r),
            _ => None,
        }
    }

    /// What the proxy did, when an HTTP proxy did not open the tunnel to
    /// the notification socket (or to the notifications API).
    ///
    /// ```
    /// use genesys_cloud::notifications::NotificationError;
    /// use genesys_transport::ProxyFailure;
    ///
    /// let error = NotificationError::Proxy {
    ///     uri: "wss://streaming.mypurecloud.com".into(),
    ///     proxy: "proxy.corp.example:3128".into(),
    ///     kind: ProxyFailure::AuthenticationRequired { credentials_sent: false },
    ///     detail: "tunnel error: proxy authorization required".into(),
    /// };
    /// assert!(error.proxy_failure().is_some());
    /// assert!(error.to_string().contains("Genesys was not reached"));
    /// ```
    pub fn proxy_failure(&self) -> Option<&genesys_transport::ProxyFailure> {
        match self {
            NotificationError::Proxy { kind, .. } => Some(kind),
            NotificationError::Api { source, .. } => source.proxy_failure(),
            _ => None,
        }
    }

    /// The HTTP status, when the notifications API answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            NotificationError::Api { source, .. } => source.status(),
            _ => None,
        }
    }

    pub(crate) fn api(action: &'static str, source: crate::Error) -> Self {
        NotificationError::Api {
            action,
            source: Box::new(source),
        }
    }

    /// Whether retrying (reconnecting) cannot help.
    pub(crate) fn is_permanent(&self) -> bool {
        match self {
            NotificationError::Topic(_)
            | NotificationError::Rejected(_)
            | NotificationError::Evicted { .. }
            | NotificationError::TokenRevoked { .. }
            | NotificationError::GaveUp { .. }
            | NotificationError::Tls { .. }
            | NotificationError::Closed => true,
            NotificationError::Api { source, .. } => match source.as_ref() {
                crate::Error::Auth(auth) => !auth.is_transient(),
                e if e.is_preflight() => true,
                e => matches!(e.status(), Some(400 | 401 | 403)),
            },
            NotificationError::Proxy { kind, .. } => {
                !matches!(kind, genesys_transport::ProxyFailure::Unreachable)
            }
            NotificationError::Connect { .. } | NotificationError::InvalidChannel { .. } => false,
        }
    }
}

/// Topics Genesys rejected (`ChannelTopic.state` = `Rejected`), with why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicsRejected {
    /// Each rejected topic.
    pub topics: Vec<RejectedTopic>,
}

impl TopicsRejected {
    pub(crate) fn new(topics: Vec<RejectedTopic>) -> Self {
        TopicsRejected { topics }
    }

    /// Every missing permission named, once each, in order.
    pub fn missing_permissions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in self.topics.iter().flat_map(|t| &t.missing_permissions) {
            if !out.contains(&p.as_str()) {
                out.push(p);
            }
        }
        out
    }
}

impl fmt::Display for TopicsRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.topics.len();
        write!(
            f,
            "Genesys rejected {n} notification topic{}: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, topic) in self.topics.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "`{}`", topic.topic)?;
            if !topic.missing_permissions.is_empty() {
                write!(
                    f,
                    " (missing permission {})",
                    topic.missing_permissions.join(", ")
                )?;
            }
            if let Some(reason) = &topic.reason {
                write!(f, ": {reason}")?;
            }
        }
        let missing = self.missing_permissions();
        if !missing.is_empty() {
            write!(
                f,
                ". Fix: grant {} to the user (or, for a client-credentials token, to the OAuth \
                 client's role)",
                missing.join(", ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for TopicsRejected {}

/// One topic Genesys rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedTopic {
    /// The topic.
    pub topic: String,
    /// `rejectionReason`.
    pub reason: Option<String>,
    /// `missingPermissions`.
    pub missing_permissions: Vec<String>,
}

impl RejectedTopic {
    pub(crate) fn new(
        topic: String,
        reason: Option<String>,
        missing_permissions: Vec<String>,
    ) -> Self {
        RejectedTopic {
            topic,
            reason,
            missing_permissions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_name_the_missing_permissions() {
        let e = NotificationError::Rejected(TopicsRejected::new(vec![
            RejectedTopic::new(
                "v2.users.u2.conversations.calls".into(),
                Some("Missing permission".into()),
                vec!["conversation:call:view".into()],
            ),
            RejectedTopic::new(
                "v2.users.u3.conversations.calls".into(),
                None,
                vec!["conversation:call:view".into()],
            ),
        ]));
        let text = e.to_string();
        assert!(text.contains("rejected 2 notification topics"), "{text}");
        assert!(text.contains("grant conversation:call:view to"), "{text}");
        assert_eq!(
            e.rejected().unwrap().missing_permissions(),
            ["conversation:call:view"]
        );
        assert!(e.is_permanent());
    }

    #[test]
    fn public_types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<NotificationError>();
        check::<super::super::ChannelEvent>();
        check::<super::super::NotificationClient>();
        check::<super::super::NotificationHandle>();
        check::<super::super::NotificationStream>();
        check::<super::super::TypedStream<genesys_model::PresenceEventUserPresence>>();
    }

    #[test]
    fn eviction_explains_the_channel_limit() {
        let e = NotificationError::Evicted {
            channel: "streaming-0-ab…".into(),
            reason: None,
        };
        let text = e.to_string();
        assert!(
            text.contains("20 channels per user and OAuth client"),
            "{text}"
        );
        assert!(text.contains("another process"), "{text}");
    }
}
