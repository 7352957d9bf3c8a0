//! Error types: [`TransportError`] (no usable answer), and [`Error`], which
//! wraps it or an [`ApiError`] (the server answered with a non-success status)
//! and records how many attempts were made and why retrying stopped.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};

use crate::api_error::ApiError;
use crate::date::Human;
use crate::failure::{ProxyFailure, TlsConfigError, TlsFailure, describe_chain};
use crate::ratelimit::RateLimitStatus;
use crate::wire::BoxError;

// ---------------------------------------------------------------------------
// TransportError
// ---------------------------------------------------------------------------

/// A failure to obtain a complete HTTP response.
///
/// The variants say how far the request got, which decides whether it may be
/// retried: [`Connect`](Self::Connect) and
/// [`ConnectTimeout`](Self::ConnectTimeout) mean the request provably never
/// left this process, while [`Connection`](Self::Connection) and
/// [`Timeout`](Self::Timeout) mean it may have reached the server.
///
/// ```
/// use genesys_transport::TransportError;
///
/// let err = TransportError::InsecureScheme { host: "example.com".into() };
/// assert!(err.to_string().contains("plain HTTP"));
/// assert!(err.request_never_sent());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Plain `http://` to a host that is not a loopback address. Refused
    /// before any connection is attempted.
    #[error(
        "refusing plain HTTP to non-loopback host `{host}`: use https \
         (plain http is only allowed for loopback hosts such as a local emulator)"
    )]
    InsecureScheme {
        /// The refused host.
        host: String,
    },
    /// The URL could not be built or is not usable (bad scheme, no host, ...).
    #[error("invalid URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The TCP connection could not be established (refused, unreachable,
    /// DNS failure). The request was never sent.
    #[error("connection failed: {detail}")]
    Connect {
        /// The error chain, rendered.
        detail: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// Establishing the connection took longer than the connect timeout. The
    /// request was never sent.
    #[error("connect timed out{}", fmt_timeout(.timeout))]
    ConnectTimeout {
        /// The configured connect timeout, when known.
        timeout: Option<Duration>,
    },
    /// The TLS handshake failed (certificate, protocol, ...), or (TLS 1.3)
    /// the server refused the client certificate right after it. The
    /// server did not process the request, and retrying will not help, so
    /// it is not retried.
    /// [`kind`](TlsFailure) says why, and its `Display` what to do about it.
    #[error("TLS handshake failed: {kind} ({detail})")]
    Tls {
        /// Why, as far as it is known.
        kind: TlsFailure,
        /// The error chain, rendered.
        detail: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The TLS settings (extra root certificates, client identity) could
    /// not be used: a PEM or DER input was wrong, a file could not be read,
    /// ... Reported when the client is built; nothing was sent.
    #[error("invalid TLS settings: {0}")]
    TlsConfig(#[from] TlsConfigError),
    /// The HTTP proxy did not open a tunnel to the server: it could not be
    /// reached, asked for credentials (`407`), refused the `CONNECT` or
    /// answered something that is not HTTP. The request never reached
    /// Genesys. Only [`ProxyFailure::Unreachable`] is retried (like
    /// [`Connect`](Self::Connect)); the others would fail the same way.
    /// Neither `proxy` nor `detail` contains the proxy's credentials.
    #[error("the proxy {proxy} failed, the request did not reach Genesys: {kind} ({detail})")]
    Proxy {
        /// The proxy's `host:port`.
        proxy: String,
        /// What went wrong.
        kind: ProxyFailure,
        /// The error chain, rendered.
        detail: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The proxy settings could not be used (a URL that is not `http://` or
    /// `https://`, has no host, ...). Reported when the client is built or
    /// the [`Proxy`](crate::Proxy) is made; nothing was sent. The text
    /// never contains the proxy's password.
    #[error("invalid proxy settings: {detail}")]
    ProxyConfig {
        /// What is wrong.
        detail: String,
    },
    /// No complete response arrived within the request timeout. The request
    /// may have reached the server.
    #[error("request timed out after {timeout:?}")]
    Timeout {
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The connection broke after it was established (closed, reset, or the
    /// response was cut short). The request may have reached the server.
    #[error("connection failed after the request may have been sent: {detail}")]
    Connection {
        /// The error chain, rendered.
        detail: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// A success response body was larger than the configured limit; it was
    /// not read past the limit.
    #[error("response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The response body could not be decoded (e.g. corrupt gzip).
    #[error("could not decode the response body: {detail}")]
    Decode {
        /// What went wrong.
        detail: String,
    },
    /// Any other failure reported by a custom [`HttpClient`](crate::HttpClient).
    #[error("{detail}")]
    Other {
        /// The error chain, rendered.
        detail: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
}

fn fmt_timeout(timeout: &Option<Duration>) -> String {
    match timeout {
        Some(t) => format!(" after {t:?}"),
        None => String::new(),
    }
}

impl TransportError {
    /// Builds a [`Connect`](Self::Connect) error from any error.
    pub fn connect(source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Self::Connect {
            detail: describe_chain(source.as_ref()),
            source: Some(source),
        }
    }

    /// Builds a [`Connection`](Self::Connection) error (the request may have
    /// been sent) from any error.
    pub fn connection(source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Self::Connection {
            detail: describe_chain(source.as_ref()),
            source: Some(source),
        }
    }

    /// Builds a [`Tls`](Self::Tls) error from any error; its
    /// [`TlsFailure`] is read from the first `rustls::Error` in the source
    /// chain (feature `hyper-client`), else it is [`TlsFailure::Other`].
    pub fn tls(source: impl Into<BoxError>) -> Self {
        let source = source.into();
        let detail = describe_chain(source.as_ref());
        #[cfg(feature = "hyper-client")]
        let kind = crate::failure::failure_in_chain(source.as_ref())
            .unwrap_or_else(|| TlsFailure::Other(detail.clone()));
        #[cfg(not(feature = "hyper-client"))]
        let kind = TlsFailure::Other(detail.clone());
        Self::Tls {
            kind,
            detail,
            source: Some(source),
        }
    }

    /// Builds an [`Other`](Self::Other) error from any error.
    pub fn other(source: impl Into<BoxError>) -> Self {
        let source = source.into();
        Self::Other {
            detail: describe_chain(source.as_ref()),
            source: Some(source),
        }
    }

    /// True when the request provably never left this process, so it is
    /// safe to retry whatever its method.
    pub fn request_never_sent(&self) -> bool {
        matches!(
            self,
            Self::InsecureScheme { .. }
                | Self::InvalidUrl { .. }
                | Self::Connect { .. }
                | Self::ConnectTimeout { .. }
                | Self::Tls { .. }
                | Self::TlsConfig(_)
                | Self::Proxy { .. }
                | Self::ProxyConfig { .. }
        )
    }

    /// The proxy failure, for [`Proxy`](Self::Proxy) errors.
    ///
    /// ```
    /// use genesys_transport::{ProxyFailure, TransportError};
    ///
    /// let err = TransportError::Proxy {
    ///     proxy: "proxy.example:3128".into(),
    ///     kind: ProxyFailure::AuthenticationRequired { credentials_sent: false },
    ///     detail: "tunnel error: proxy authorization required".into(),
    ///     source: None,
    /// };
    /// assert!(err.proxy_failure().is_some());
    /// assert!(err.to_string().contains("did not reach Genesys"));
    /// ```
    pub fn proxy_failure(&self) -> Option<&ProxyFailure> {
        match self {
            Self::Proxy { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// The TLS failure, for [`Tls`](Self::Tls) errors.
    ///
    /// ```
    /// use genesys_transport::{TlsFailure, TransportError};
    ///
    /// let err = TransportError::Tls { kind: TlsFailure::UnknownIssuer, detail: "invalid peer certificate: UnknownIssuer".into(), source: None };
    /// assert_eq!(err.tls_failure(), Some(&TlsFailure::UnknownIssuer));
    /// assert!(err.to_string().contains("not signed by a trusted CA"));
    /// ```
    pub fn tls_failure(&self) -> Option<&TlsFailure> {
        match self {
            Self::Tls { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// True for [`Timeout`](Self::Timeout) and
    /// [`ConnectTimeout`](Self::ConnectTimeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::ConnectTimeout { .. })
    }
}

// ---------------------------------------------------------------------------
// Error
// ---------------------------------------------------------------------------

/// Why the retry loop stopped and returned an error.
///
/// ```
/// use std::time::Duration;
/// use genesys_transport::StopReason;
///
/// assert_eq!(StopReason::NotRetryable.to_string(), "not retryable");
///
/// let daily_limit = StopReason::RetryAfterExceedsBudget {
///     retry_after: Duration::from_secs(7200),
///     remaining: Duration::from_secs(60),
///     budget: Duration::from_secs(60),
/// };
/// assert_eq!(
///     daily_limit.to_string(),
///     "not retried: the server asked to wait 2 h, more than the 60 s retry budget"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The failure is not one that retrying can fix (e.g. 404, TLS error).
    NotRetryable,
    /// The failure is retryable in principle, but the request may have
    /// reached the server and its method is not idempotent (e.g. a `POST`
    /// that got a 503 or lost its connection), so it was not re-sent.
    UnsafeToRetry,
    /// The maximum number of attempts was reached.
    AttemptsExhausted {
        /// The configured maximum.
        max_attempts: u32,
    },
    /// Waiting for the next attempt (a computed backoff) would exceed the
    /// total retry-time budget.
    BudgetExhausted {
        /// The configured budget.
        budget: Duration,
    },
    /// The server's `Retry-After` asked for a longer wait than what was
    /// left of the retry-time budget, so the request was not retried. The
    /// [`ApiError`] says until when to wait
    /// ([`ApiError::retry_at`]).
    RetryAfterExceedsBudget {
        /// How long the server asked to wait.
        retry_after: Duration,
        /// What was left of the budget when the answer came.
        remaining: Duration,
        /// The configured budget.
        budget: Duration,
    },
    /// The request was invalid, or the [`PrepareAttempt`](crate::PrepareAttempt)
    /// hook failed, so the attempt was not sent ([`Error::attempts`] counts
    /// only the attempts that were).
    BeforeSending,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRetryable => f.write_str("not retryable"),
            Self::UnsafeToRetry => f.write_str(
                "not retried: the request may have reached the server and its method is not idempotent",
            ),
            Self::AttemptsExhausted { max_attempts } => {
                write!(f, "gave up after the maximum of {max_attempts} attempts")
            }
            Self::BudgetExhausted { budget } => {
                write!(f, "gave up: the next retry would exceed the retry-time budget of {budget:?}")
            }
            Self::RetryAfterExceedsBudget {
                retry_after,
                remaining,
                budget,
            } => {
                write!(f, "not retried: the server asked to wait {}, more than ", Human(*retry_after))?;
                if retry_after > budget {
                    write!(f, "the {} retry budget", Human(*budget))
                } else {
                    write!(f, "the {} left of the {} retry budget", Human(*remaining), Human(*budget))
                }
            }
            Self::BeforeSending => f.write_str("failed before sending"),
        }
    }
}

/// What went wrong; see [`Error::kind`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with a non-success status.
    Api(Box<ApiError>),
    /// No usable response was obtained.
    Transport(TransportError),
    /// The [`PrepareAttempt`](crate::PrepareAttempt) hook failed (e.g. no
    /// token could be obtained).
    Prepare(BoxError),
    /// The request itself is invalid (bad path, bad header).
    InvalidRequest(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(e) => e.fmt(f),
            Self::Transport(e) => e.fmt(f),
            Self::Prepare(e) => write!(
                f,
                "preparing the request failed: {}",
                describe_chain(e.as_ref())
            ),
            Self::InvalidRequest(e) => write!(f, "invalid request: {e}"),
        }
    }
}

/// The error returned by [`Transport::send`](crate::Transport::send).
///
/// Its `Display` names the request (method and path template), the failure,
/// how many attempts were made and why retrying stopped. It never contains
/// request header values.
///
/// ```
/// # async fn demo(transport: genesys_transport::Transport) {
/// use genesys_transport::ApiRequest;
/// use http::Method;
///
/// match transport.send(ApiRequest::new(Method::GET, "/api/v2/users/me")).await {
///     Ok(resp) => println!("{}", resp.status()),
///     Err(err) => {
///         eprintln!("{err}"); // e.g. "GET /api/v2/users/me: HTTP 404 [not.found]: ... (1 attempt; not retryable)"
///         if let Some(api) = err.api_error() {
///             eprintln!("code {:?}, correlation {:?}", api.code(), api.correlation_id());
///         }
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    attempts: u32,
    stop: StopReason,
    method: Method,
    path_template: String,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        attempts: u32,
        stop: StopReason,
        method: Method,
        path_template: String,
    ) -> Self {
        Self {
            kind,
            attempts,
            stop,
            method,
            path_template,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Consumes the error, returning what went wrong.
    pub fn into_kind(self) -> ErrorKind {
        self.kind
    }

    /// How many attempts were sent (0 when it failed before the first).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Why the retry loop stopped.
    pub fn stop_reason(&self) -> StopReason {
        self.stop
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's path template.
    pub fn path_template(&self) -> &str {
        &self.path_template
    }

    /// The API error, when the server answered with a non-success status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.kind {
            ErrorKind::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The transport error, when no usable response was obtained.
    pub fn transport_error(&self) -> Option<&TransportError> {
        match &self.kind {
            ErrorKind::Transport(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.api_error().map(ApiError::status)
    }

    /// True when the last attempt timed out (connect or whole request).
    pub fn is_timeout(&self) -> bool {
        self.transport_error()
            .is_some_and(TransportError::is_timeout)
    }

    /// The `ININ-Correlation-Id` of the last response, when there was one.
    pub fn correlation_id(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::correlation_id)
    }

    /// True when the last response was `429 Too Many Requests`.
    pub fn is_rate_limited(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_rate_limited)
    }

    /// How long the server asked to wait (`Retry-After` of the last
    /// response); see [`ApiError::retry_after`].
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(ApiError::retry_after)
    }

    /// Until when the server asked to wait; see [`ApiError::retry_at`].
    ///
    /// ```
    /// # async fn demo(transport: genesys_transport::Transport) {
    /// use genesys_transport::ApiRequest;
    /// use http::Method;
    ///
    /// if let Err(err) = transport.send(ApiRequest::new(Method::GET, "/api/v2/users/me")).await {
    ///     if let (true, Some(at)) = (err.is_rate_limited(), err.retry_at()) {
    ///         eprintln!("rate limited; come back at {at:?}");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn retry_at(&self) -> Option<SystemTime> {
        self.api_error().and_then(ApiError::retry_at)
    }

    /// The `inin-ratelimit-*` headers of the last response, when it was an
    /// error status that had any (for every response, see
    /// [`Transport::rate_limit`](crate::Transport::rate_limit)).
    pub fn rate_limit(&self) -> Option<&RateLimitStatus> {
        self.api_error().and_then(ApiError::rate_limit)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.attempts == 1 { "" } else { "s" };
        write!(
            f,
            "{} {}: {} ({} attempt{plural}; {})",
            self.method, self.path_template, self.kind, self.attempts, self.stop
        )
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Api(e) => Some(e.as_ref()),
            ErrorKind::Transport(e) => Some(e),
            ErrorKind::Prepare(e) => Some(e.as_ref()),
            ErrorKind::InvalidRequest(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_mentions_attempts_and_reason() {
        let err = Error::new(
            ErrorKind::Transport(TransportError::Timeout {
                timeout: Duration::from_secs(2),
            }),
            3,
            StopReason::AttemptsExhausted { max_attempts: 3 },
            Method::GET,
            "/api/v2/users/{userId}".into(),
        );
        let text = err.to_string();
        assert!(
            text.starts_with("GET /api/v2/users/{userId}: request timed out after 2s (3 attempts;"),
            "{text}"
        );
        assert!(text.contains("maximum of 3 attempts"), "{text}");
        assert!(err.is_timeout());
    }

    #[test]
    fn describe_chain_looks_through_io_errors() {
        #[derive(Debug)]
        struct Inner;
        impl fmt::Display for Inner {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("inner cause")
            }
        }
        impl std::error::Error for Inner {}
        let io = std::io::Error::other(Inner);
        let err = TransportError::connect(io);
        assert!(err.to_string().contains("inner cause"), "{err}");
    }
}
