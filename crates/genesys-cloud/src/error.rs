//! The one error type users handle.

use std::fmt;
use std::time::{Duration, SystemTime};

use genesys_model::catalogue::{Operation, PermissionRequirement, Permissions};
use genesys_transport::{ApiError, RateLimitStatus, StopReason};

/// Everything that can go wrong calling the API.
///
/// `Display` always carries what you need to act or to open a ticket: for
/// server errors the Genesys code, message and correlation id; for requests
/// refused before sending, which rule refused them and what to do instead.
///
/// ```no_run
/// # async fn demo(client: genesys_cloud::Client, body: genesys_model::CreateCallRequest) {
/// match client.conversations().post_conversations_calls(&body).await {
///     Ok(call) => println!("created {:?}", call.id),
///     Err(genesys_cloud::Error::UserContextRequired(refusal)) => {
///         // Nothing was sent. The refusal names the alternatives.
///         eprintln!("{refusal}");
///     }
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Refused before sending: the operation needs a user context and the
    /// token belongs to an OAuth client (client credentials).
    #[error(transparent)]
    UserContextRequired(Box<UserContextRequired>),
    /// Refused before sending: the token's scopes are known and include none
    /// of the operation's.
    #[error(transparent)]
    MissingScopes(Box<MissingScopes>),
    /// Refused before sending: the request itself is invalid (e.g. a body
    /// lacking fields the spec requires).
    #[error("{operation}: invalid request: {reason}")]
    InvalidRequest {
        /// The operation id.
        operation: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Genesys answered with an error.
    #[error(transparent)]
    Api(Box<ApiFailure>),
    /// No access token could be obtained.
    #[error("could not get an access token: {0}")]
    Auth(#[from] genesys_auth::AuthError),
    /// The request did not get an answer (connection, TLS, timeout, ...).
    #[error("{operation}: {source}")]
    Transport {
        /// The operation id.
        operation: &'static str,
        /// What failed, how many attempts were made and why retrying stopped.
        #[source]
        source: Box<genesys_transport::Error>,
    },
    /// A success response whose body does not decode as the documented type.
    #[error("{operation}: HTTP {status} response does not decode as expected (correlation id {}): {source}", correlation_id.as_deref().unwrap_or("none"))]
    Decode {
        /// The operation id.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The `ININ-Correlation-Id` of the response.
        correlation_id: Option<String>,
        /// The decoding error (line and column, never the body).
        #[source]
        source: serde_json::Error,
    },
    /// Walking a listing's pages stopped because the server's paging went
    /// wrong (a repeated page, a cursor that does not advance) or its
    /// `nextUri` left the client's base URL. The pages before it were
    /// delivered. See [`crate::paging`].
    #[error(transparent)]
    Paging(Box<crate::paging::PagingError>),
    /// A call did not reach the state it was awaited for in time.
    #[error("conversation {conversation_id}: {what} after {waited:?}")]
    Timeout {
        /// The conversation followed.
        conversation_id: String,
        /// What did not happen.
        what: String,
        /// How long the caller waited.
        waited: std::time::Duration,
    },
}

impl Error {
    /// The Genesys error, when the server answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(failure) => Some(&failure.error),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(failure) => Some(failure.error.status().as_u16()),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The Genesys error code (e.g. `not.a.user`), when the server gave one.
    pub fn code(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::code)
    }

    /// The `ININ-Correlation-Id` of the response, for Genesys support.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Error::Api(failure) => failure.error.correlation_id(),
            Error::Decode { correlation_id, .. } => correlation_id.as_deref(),
            Error::Transport { source, .. } => source.correlation_id(),
            _ => None,
        }
    }

    /// True when Genesys answered `429 Too Many Requests`, from the API or
    /// from the token endpoint.
    ///
    /// ```no_run
    /// # async fn demo(client: genesys_cloud::Client) {
    /// match client.tokens().get_tokens_me().await {
    ///     Ok(me) => println!("{:?}", me.organization),
    ///     Err(e) if e.is_rate_limited() => {
    ///         // e.g. "... rate limited: the server asked to wait 2 h, until 2026-11-28T10:00:00Z ..."
    ///         eprintln!("{e}");
    ///         if let Some(at) = e.retry_at() {
    ///             eprintln!("next try not before {at:?}");
    ///         }
    ///     }
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// # }
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::Auth(genesys_auth::AuthError::RateLimited { .. }) => true,
            _ => self.api_error().is_some_and(ApiError::is_rate_limited),
        }
    }

    /// How long the server asked to wait before trying again (its
    /// `Retry-After`, as seconds or an HTTP date), from the API or from the
    /// token endpoint.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Auth(genesys_auth::AuthError::RateLimited { retry_after, .. }) => *retry_after,
            _ => self.api_error().and_then(ApiError::retry_after),
        }
    }

    /// Until when the API asked to wait: when its answer arrived plus
    /// [`retry_after`](Self::retry_after). `None` for token-endpoint errors.
    pub fn retry_at(&self) -> Option<SystemTime> {
        self.api_error().and_then(ApiError::retry_at)
    }

    /// The `inin-ratelimit-*` headers of the error response, when it had
    /// any. For those of every response, see
    /// [`Client::rate_limit`](crate::Client::rate_limit).
    pub fn rate_limit(&self) -> Option<&RateLimitStatus> {
        self.api_error().and_then(ApiError::rate_limit)
    }

    /// Why the transport stopped retrying, when a request was sent.
    pub fn stop_reason(&self) -> Option<StopReason> {
        match self {
            Error::Api(failure) => Some(failure.stop_reason),
            Error::Transport { source, .. } => Some(source.stop_reason()),
            _ => None,
        }
    }

    /// Why the TLS handshake failed, when it did: for an API call or for
    /// the login behind it (e.g. [`TlsFailure::UnknownIssuer`](crate::TlsFailure::UnknownIssuer): add your
    /// company's CA with [`ClientBuilder::add_root_certificate_pem`](crate::ClientBuilder::add_root_certificate_pem)).
    /// TLS failures are not retried.
    pub fn tls_failure(&self) -> Option<&genesys_transport::TlsFailure> {
        self.find_transport_error(genesys_transport::TransportError::tls_failure)
    }

    /// Why the HTTP proxy did not open a tunnel, when it did not: for an
    /// API call or for the login behind it (e.g.
    /// [`ProxyFailure::AuthenticationRequired`](crate::ProxyFailure::AuthenticationRequired)).
    /// The request never reached Genesys.
    pub fn proxy_failure(&self) -> Option<&genesys_transport::ProxyFailure> {
        self.find_transport_error(genesys_transport::TransportError::proxy_failure)
    }

    /// The first transport error in the source chain (the login's too) for
    /// which `pick` finds something.
    fn find_transport_error<'e, T: ?Sized>(
        &'e self,
        pick: impl Fn(&'e genesys_transport::TransportError) -> Option<&'e T>,
    ) -> Option<&'e T> {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(self);
        for _ in 0..16 {
            let mut e = current?;
            // The auth crate shares its sources as `Arc<dyn Error>`, whose
            // own `source()` skips the wrapped error: look inside.
            if let Some(shared) = e.downcast_ref::<genesys_auth::SharedError>() {
                e = shared.as_ref();
            }
            if let Some(found) = e
                .downcast_ref::<genesys_transport::TransportError>()
                .and_then(&pick)
            {
                return Some(found);
            }
            current = e.source();
        }
        None
    }

    /// True when the request was refused before anything was sent.
    pub fn is_preflight(&self) -> bool {
        matches!(
            self,
            Error::UserContextRequired(_) | Error::MissingScopes(_) | Error::InvalidRequest { .. }
        )
    }
}

/// An operation that needs a user was about to be called with a client's token.
#[derive(Debug, Clone)]
pub struct UserContextRequired {
    /// The operation refused.
    pub operation: &'static Operation,
    /// The OAuth client whose token it was.
    pub client_id: Option<String>,
    /// Operations that do the same job without a user context.
    pub alternatives: Vec<&'static Operation>,
}

impl fmt::Display for UserContextRequired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.operation;
        write!(
            f,
            "{} ({} {}) needs a user context, but the token belongs to OAuth client {}: \
             Genesys would answer 400 not.a.user (\"Client credentials cannot be used for \
             requests to this resource\"). Nothing was sent.",
            op.id,
            op.method,
            op.path,
            self.client_id.as_deref().unwrap_or("(unknown id)")
        )?;
        f.write_str(" Fix: ")?;
        for alt in &self.alternatives {
            write!(f, "call {} ({} {})", alt.id, alt.method, alt.path)?;
            if let Some(p) = alt.permissions.filter(|p| !p.permissions.is_empty()) {
                write!(
                    f,
                    ", which works with client credentials given {}",
                    permission_list(&p)
                )?;
            }
            f.write_str("; or ")?;
        }
        f.write_str("use a user-context token (authorization code, PKCE or SAML2 bearer grant).")
    }
}

impl std::error::Error for UserContextRequired {}

/// The token's scopes include none of those the operation needs.
#[derive(Debug, Clone)]
pub struct MissingScopes {
    /// The operation refused.
    pub operation: &'static Operation,
    /// The scopes of which the token needs at least one.
    pub required_any: &'static [&'static str],
    /// The scopes the token has.
    pub granted: Vec<String>,
}

impl fmt::Display for MissingScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} {}) needs one of the OAuth scopes [{}], but the token has [{}]. Nothing was \
             sent. Fix: add one of those scopes to the OAuth client and request a new token.",
            self.operation.id,
            self.operation.method,
            self.operation.path,
            self.required_any.join(", "),
            self.granted.join(", ")
        )
    }
}

impl std::error::Error for MissingScopes {}

/// Genesys answered with an error, enriched with what the catalogue knows.
///
/// For a 429 its `Display` says it was rate limited, how long the server
/// asked to wait and until when, and, when that wait was longer than the
/// retry budget, that it was not retried, e.g. `getUsersMe: HTTP 429
/// too.many.requests.retry.after: ... (correlation id: ...); rate limited: the
/// server asked to wait 2 h, until 2026-11-28T10:00:00Z; not retried: the
/// server asked to wait 2 h, more than the 60 s retry budget. ...`
#[derive(Debug)]
pub struct ApiFailure {
    /// The operation id.
    pub operation: &'static str,
    /// The decoded error body, status, correlation id, `Retry-After` and
    /// rate-limit headers.
    pub error: ApiError,
    /// How many attempts the transport made.
    pub attempts: u32,
    /// Why the transport stopped retrying.
    pub stop_reason: StopReason,
    /// The permissions the operation needs, from the catalogue.
    pub required_permissions: Option<Permissions>,
    /// What to do about it, when the SDK knows.
    pub hint: Option<String>,
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: HTTP {} {}: {} (correlation id: {})",
            self.operation,
            self.error.status().as_u16(),
            self.error.code().unwrap_or("(no code)"),
            self.error.message(),
            self.error
                .correlation_id()
                .or(self.error.context_id())
                .unwrap_or("none"),
        )?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        if let Some(notice) = self.error.retry_notice() {
            write!(f, "; {notice}")?;
        }
        if matches!(self.stop_reason, StopReason::RetryAfterExceedsBudget { .. }) {
            write!(f, "; {}", self.stop_reason)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, ". {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiFailure {}

pub(crate) fn permission_list(p: &Permissions) -> String {
    let how = match p.requirement {
        PermissionRequirement::Any => "any of",
        PermissionRequirement::All => "all of",
    };
    format!("{how} [{}]", p.permissions.join(", "))
}

/// What the SDK can say about a Genesys error (its code, or a 429 whatever
/// the code), given why retrying stopped.
pub(crate) fn hint_for(
    op: Option<&'static Operation>,
    error: &ApiError,
    stop: StopReason,
) -> Option<String> {
    if error.is_rate_limited() {
        return Some(match stop {
            StopReason::RetryAfterExceedsBudget { .. } => "Do not call again before the time \
                 the server gave; pace calls with `Client::rate_limit()` to stay under the limit"
                .into(),
            _ => "Rate limited: slow down (`Client::rate_limit()` shows the window), or allow \
                  more attempts or a longer retry budget"
                .into(),
        });
    }
    let code = error.code()?;
    let permissions = op
        .and_then(|o| o.permissions)
        .filter(|p| !p.permissions.is_empty());
    Some(match code {
        "missing.permissions" | "missing.any.permissions" | "not.authorized" => match permissions {
            Some(p) => format!(
                "The operation requires {}: grant a role with them to the user, or to the OAuth \
                 client for client-credentials tokens",
                permission_list(&p)
            ),
            None => "Grant the missing permission to the user or the OAuth client's role".into(),
        },
        "not.a.user" => {
            let alternatives = op.map(crate::preflight::alternatives).unwrap_or_default();
            let names: Vec<&str> = alternatives.iter().map(|o| o.id).collect();
            if names.is_empty() {
                "This operation needs a user-context token (authorization code, PKCE or SAML2 bearer)".into()
            } else {
                format!(
                    "This operation needs a user-context token (authorization code, PKCE or SAML2 bearer), or use {}",
                    names.join(" or ")
                )
            }
        }
        "conversation.error.no.user.station" => {
            "The user has no station: assign one (or have the user log into one) before placing calls".into()
        }
        "bad.credentials" => "The token was rejected even after a refresh: check the OAuth client and region".into(),
        "authentication.required" => "No token was sent: configure a token source".into(),
        _ => return None,
    })
}
