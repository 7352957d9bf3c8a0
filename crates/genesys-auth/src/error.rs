//! [`AuthError`] and the OAuth error it may carry.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A boxed, thread-safe error, accepted by the [`AuthError`] constructors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A shared, thread-safe error: the `source` of an [`AuthError`]. Shared so
/// that one failed refresh can be handed to every caller waiting on it.
pub type SharedError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Why no access token could be obtained.
///
/// Every message is free of secrets: client secrets, tokens, refresh tokens,
/// codes, PKCE verifiers and SAML assertions never appear in `Display` or
/// `Debug`, and server-provided text is bounded and scrubbed.
///
/// Errors are `Clone` because a single token request is shared by every
/// caller waiting on it; [`is_transient`](Self::is_transient) says whether
/// trying again later may help.
///
/// ```
/// use genesys_auth::{AuthError, OAuthErrorCode};
///
/// let err = AuthError::config("GENESYSCLOUD_OAUTHCLIENT_SECRET is not set");
/// assert!(!err.is_transient());
/// assert!(err.to_string().contains("GENESYSCLOUD_OAUTHCLIENT_SECRET"));
///
/// let err = AuthError::other(std::io::Error::other("vault sealed"));
/// assert_eq!(err.to_string(), "token source failed: vault sealed");
/// assert!(err.oauth_error().is_none());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint answered with an OAuth error (`invalid_client`,
    /// `invalid_grant`, ...).
    #[error("{0}")]
    OAuth(OAuthError),
    /// The token endpoint kept answering 429 Too Many Requests.
    #[error(
        "the token endpoint is rate limiting (429) after {attempts} attempt(s){}",
        fmt_retry_after(.retry_after)
    )]
    RateLimited {
        /// The last `Retry-After` the server sent, if any.
        retry_after: Option<Duration>,
        /// How many requests were made.
        attempts: u32,
    },
    /// The request could not be sent or no complete response arrived
    /// (connect failure, timeout, TLS, ...).
    #[error("HTTP request to {endpoint} failed: {message}")]
    Transport {
        /// The path that was requested, e.g. `/oauth/token`.
        endpoint: Cow<'static, str>,
        /// What went wrong.
        message: String,
        /// Whether trying again later may help.
        transient: bool,
        /// The underlying error (for a built-in grant, a
        /// `genesys_transport::TransportError`).
        #[source]
        source: Option<SharedError>,
    },
    /// A response that is neither a token nor an OAuth error: an unexpected
    /// status, a body that is not the expected JSON, a missing field.
    #[error("unexpected response from {endpoint} (HTTP {status}): {reason}{}", fmt_excerpt(.excerpt))]
    UnexpectedResponse {
        /// The path that was requested, e.g. `/oauth/token`.
        endpoint: Cow<'static, str>,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        reason: String,
        /// A bounded excerpt of the body with secrets removed (empty when
        /// there was no body).
        excerpt: String,
    },
    /// The redirect back from the authorization page is unusable: its
    /// `state` does not match the request (a possible forgery), or it
    /// carries no code.
    #[error("invalid authorization redirect: {message}")]
    Redirect {
        /// What is wrong with it.
        message: String,
    },
    /// The configuration (environment variables, `gc` profile, builder
    /// arguments) is missing something or is invalid.
    #[error("invalid authentication configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// A token source failed in its own way (e.g. a custom source whose
    /// vault was unreachable).
    #[error("token source failed: {message}")]
    Source {
        /// What went wrong.
        message: String,
        /// Whether trying again later may help.
        transient: bool,
        /// The underlying error.
        #[source]
        source: Option<SharedError>,
    },
}

fn fmt_retry_after(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (last Retry-After: {}s)", d.as_secs()),
        None => String::new(),
    }
}

fn fmt_excerpt(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!("; body: {excerpt}")
    }
}

impl AuthError {
    /// A permanent failure of a custom token source.
    pub fn other(error: impl Into<BoxError>) -> Self {
        Self::source_error(error.into(), false)
    }

    /// A failure of a custom token source that may go away if tried again
    /// (e.g. a token service that is briefly unavailable).
    pub fn transient(error: impl Into<BoxError>) -> Self {
        Self::source_error(error.into(), true)
    }

    fn source_error(error: BoxError, transient: bool) -> Self {
        Self::Source {
            message: error.to_string(),
            transient,
            source: Some(Arc::from(error)),
        }
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::Config {
            message: message.into(),
        }
    }

    /// Whether trying again later may succeed: connection problems, 5xx
    /// answers and rate limiting are transient; OAuth errors (a wrong
    /// secret, a spent refresh token), bad configuration and malformed
    /// answers are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::OAuth(e) => e.status >= 500,
            Self::RateLimited { .. } => true,
            Self::Transport { transient, .. } | Self::Source { transient, .. } => *transient,
            Self::UnexpectedResponse { status, .. } => *status >= 500 || *status == 429,
            Self::Config { .. } | Self::Redirect { .. } => false,
        }
    }

    /// The OAuth error, when the token endpoint sent one.
    pub fn oauth_error(&self) -> Option<&OAuthError> {
        match self {
            Self::OAuth(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the answer this error is about, when there was
    /// one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::OAuth(e) => Some(e.status),
            Self::RateLimited { .. } => Some(429),
            Self::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<OAuthError> for AuthError {
    fn from(error: OAuthError) -> Self {
        Self::OAuth(error)
    }
}

/// An OAuth error answer (RFC 6749 §5.2) from the token endpoint.
///
/// ```
/// use genesys_auth::{OAuthError, OAuthErrorCode};
///
/// let e = OAuthError::new(400, "invalid_grant", Some("Invalid refresh token.".into()));
/// assert_eq!(e.code, OAuthErrorCode::InvalidGrant);
/// assert_eq!(e.to_string(), "OAuth error `invalid_grant` (HTTP 400): Invalid refresh token.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The HTTP status (400 or 401 for most OAuth errors).
    pub status: u16,
    /// The `error` field.
    pub code: OAuthErrorCode,
    /// The server's `error_description` (or Genesys's `description`),
    /// bounded and scrubbed of the secrets that were sent.
    pub description: Option<String>,
}

impl OAuthError {
    /// An OAuth error from its parts.
    pub fn new(status: u16, code: &str, description: Option<String>) -> Self {
        Self {
            status,
            code: OAuthErrorCode::from(code),
            description,
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OAuth error `{}` (HTTP {})", self.code, self.status)?;
        if let Some(d) = self.description.as_deref().filter(|d| !d.is_empty()) {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// The `error` code of an [`OAuthError`].
///
/// ```
/// use genesys_auth::OAuthErrorCode;
///
/// assert_eq!(OAuthErrorCode::from("invalid_client"), OAuthErrorCode::InvalidClient);
/// assert_eq!(OAuthErrorCode::from("slow_down").as_str(), "slow_down");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`: a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// `invalid_client`: the client is unknown or its secret is wrong.
    InvalidClient,
    /// `invalid_grant`: the code, refresh token, assertion or PKCE verifier
    /// is invalid, expired, spent or does not match.
    InvalidGrant,
    /// `unauthorized_client`: the client may not use this grant.
    UnauthorizedClient,
    /// `unsupported_grant_type`: the server does not know the grant.
    UnsupportedGrantType,
    /// `invalid_scope`.
    InvalidScope,
    /// `access_denied`.
    AccessDenied,
    /// `server_error`.
    ServerError,
    /// `temporarily_unavailable`.
    TemporarilyUnavailable,
    /// Any other code, verbatim.
    Other(String),
}

impl OAuthErrorCode {
    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Other(code) => code,
        }
    }
}

impl From<&str> for OAuthErrorCode {
    fn from(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            other => Self::Other(truncate_chars(other, 64)),
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first `max` characters of `text`, with `…` when cut.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "access_denied",
            "server_error",
            "temporarily_unavailable",
            "weird",
        ] {
            assert_eq!(OAuthErrorCode::from(code).as_str(), code);
        }
        let long = "x".repeat(500);
        assert!(OAuthErrorCode::from(long.as_str()).as_str().chars().count() <= 65);
    }

    #[test]
    fn transient_classification() {
        assert!(!AuthError::OAuth(OAuthError::new(400, "invalid_grant", None)).is_transient());
        assert!(
            AuthError::OAuth(OAuthError::new(503, "temporarily_unavailable", None)).is_transient()
        );
        assert!(
            AuthError::RateLimited {
                retry_after: Some(Duration::from_secs(3)),
                attempts: 3
            }
            .is_transient()
        );
        let unexpected = AuthError::UnexpectedResponse {
            endpoint: "/oauth/token".into(),
            status: 502,
            reason: "not JSON".into(),
            excerpt: "<html>".into(),
        };
        assert!(unexpected.is_transient());
        assert_eq!(unexpected.status(), Some(502));
        assert_eq!(
            unexpected.to_string(),
            "unexpected response from /oauth/token (HTTP 502): not JSON; body: <html>"
        );
        assert!(AuthError::transient(std::io::Error::other("x")).is_transient());
        assert!(!AuthError::other("x").is_transient());
        assert!(
            AuthError::RateLimited {
                retry_after: Some(Duration::from_secs(3)),
                attempts: 3
            }
            .to_string()
            .contains("Retry-After: 3s")
        );
    }

    #[test]
    fn truncation_is_char_safe() {
        assert_eq!(truncate_chars("héllo", 2), "hé…");
        assert_eq!(truncate_chars("hé", 2), "hé");
        assert_eq!(truncate_chars("", 0), "");
    }
}
