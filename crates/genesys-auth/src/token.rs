//! [`AccessToken`] and its [`Principal`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};

/// Who an access token acts for.
///
/// Genesys Cloud separates *user-context* operations (for example
/// `GET /api/v2/users/me` or `POST /api/v2/conversations/calls`, which answer
/// a client-credentials token with 400 `not.a.user`) from operations any
/// token may call. The facade reads [`AccessToken::principal`] to refuse a
/// user-context operation up front when the principal is an OAuth client.
///
/// | How the token was obtained | Principal |
/// |---|---|
/// | client credentials | [`Principal::Client`] with the client id |
/// | authorization code, PKCE, refresh token, SAML2 bearer | [`Principal::User`] (id unknown until introspected) |
/// | static / bring-your-own token | [`Principal::Unknown`] until introspected |
///
/// ```
/// use genesys_auth::Principal;
///
/// let client = Principal::client("my-client-id");
/// assert!(client.is_client());
/// assert_eq!(client.client_id(), Some("my-client-id"));
/// assert_eq!(client.to_string(), "OAuth client my-client-id");
///
/// let user = Principal::user("b1c2");
/// assert!(user.is_user());
/// assert_eq!(user.user_id(), Some("b1c2"));
/// assert!(!Principal::Unknown.is_user() && !Principal::Unknown.is_client());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Principal {
    /// A user: the token has user context. `id` is the user's id when known.
    User {
        /// The user's id, when known (e.g. after introspection).
        id: Option<String>,
    },
    /// An OAuth client acting for itself (client credentials): no user
    /// context.
    Client {
        /// The OAuth client id.
        client_id: String,
    },
    /// Not known, e.g. for a token handed in from elsewhere that has not been
    /// introspected.
    #[default]
    Unknown,
}

impl Principal {
    /// A user whose id is known.
    pub fn user(id: impl Into<String>) -> Self {
        Self::User {
            id: Some(id.into()),
        }
    }

    /// A user whose id is not known.
    pub fn unknown_user() -> Self {
        Self::User { id: None }
    }

    /// An OAuth client (client credentials).
    pub fn client(client_id: impl Into<String>) -> Self {
        Self::Client {
            client_id: client_id.into(),
        }
    }

    /// True for [`Principal::User`]: the token has user context.
    pub fn is_user(&self) -> bool {
        matches!(self, Self::User { .. })
    }

    /// True for [`Principal::Client`]: the token has no user context.
    pub fn is_client(&self) -> bool {
        matches!(self, Self::Client { .. })
    }

    /// True for [`Principal::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown)
    }

    /// The user's id, when this is a user whose id is known.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Self::User { id } => id.as_deref(),
            _ => None,
        }
    }

    /// The client id, when this is an OAuth client.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::Client { client_id } => Some(client_id),
            _ => None,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User { id: Some(id) } => write!(f, "user {id}"),
            Self::User { id: None } => f.write_str("user (id unknown)"),
            Self::Client { client_id } => write!(f, "OAuth client {client_id}"),
            Self::Unknown => f.write_str("unknown principal"),
        }
    }
}

/// An OAuth access token: the secret, its type, when it expires, the scopes
/// it was granted (when known) and the [`Principal`] it acts for.
///
/// The secret is kept in a [`SecretString`]: `Debug` prints `[REDACTED]` and
/// there is no `Display`, so a token never ends up in logs or error messages
/// by accident. Read it with [`expose_secret`](Self::expose_secret) (or
/// [`bearer`](Self::bearer) for an `Authorization` header value) exactly
/// where it is sent. Cloning is cheap: the secret is shared.
///
/// An `AccessToken` is itself a [`TokenSource`](crate::TokenSource) that
/// always returns itself, for bring-your-own tokens.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use genesys_auth::{AccessToken, ExposeSecret, Principal};
///
/// let now = SystemTime::now();
/// let token = AccessToken::new("s3cr3t-value")
///     .with_expires_at(now + Duration::from_secs(3600))
///     .with_scopes(["users:readonly"])
///     .with_principal(Principal::client("my-client"));
///
/// assert_eq!(token.expose_secret(), "s3cr3t-value");
/// assert_eq!(token.bearer().expose_secret(), "Bearer s3cr3t-value");
/// assert!(!format!("{token:?}").contains("s3cr3t"));
/// assert_eq!(token.expires_in(now), Some(Duration::from_secs(3600)));
/// assert!(!token.is_expired(now));
/// assert_eq!(token.has_scope("users:readonly"), Some(true));
/// assert!(token.principal().is_client());
/// ```
#[derive(Clone)]
pub struct AccessToken {
    secret: Arc<SecretString>,
    expires_at: Option<SystemTime>,
    // Shared so that the clone a cache hands out per request allocates nothing.
    meta: Arc<TokenMeta>,
}

/// What is known about a token besides its secret and expiry.
#[derive(Clone)]
struct TokenMeta {
    token_type: String,
    scopes: Option<Vec<String>>,
    principal: Principal,
}

impl AccessToken {
    /// A bearer token with no known expiry, no known scopes and an unknown
    /// principal.
    pub fn new(secret: impl Into<String>) -> Self {
        Self::from_secret(SecretString::from(secret.into()))
    }

    /// Like [`new`](Self::new), from an already protected secret.
    pub fn from_secret(secret: SecretString) -> Self {
        Self {
            secret: Arc::new(secret),
            expires_at: None,
            meta: Arc::new(TokenMeta {
                token_type: "bearer".to_owned(),
                scopes: None,
                principal: Principal::Unknown,
            }),
        }
    }

    /// Sets the expiry time.
    pub fn with_expires_at(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Sets the expiry to `lifetime` from now (the system clock). Sources
    /// with an injected [`Clock`](crate::Clock) should use
    /// [`with_expires_at`](Self::with_expires_at) with the clock's time.
    pub fn with_expires_in(self, lifetime: Duration) -> Self {
        let at = SystemTime::now()
            .checked_add(lifetime)
            .unwrap_or_else(far_future);
        self.with_expires_at(at)
    }

    /// Sets (or with `None`, clears) the expiry.
    pub fn with_expiry(mut self, expires_at: Option<SystemTime>) -> Self {
        self.expires_at = expires_at;
        self
    }

    /// Sets the granted scopes.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Arc::make_mut(&mut self.meta).scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the principal.
    pub fn with_principal(mut self, principal: Principal) -> Self {
        Arc::make_mut(&mut self.meta).principal = principal;
        self
    }

    /// Sets the token type (default `bearer`).
    pub fn with_token_type(mut self, token_type: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.meta).token_type = token_type.into();
        self
    }

    /// The secret, still protected.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// The secret in clear text. Call this only where the token is sent.
    pub fn expose_secret(&self) -> &str {
        self.secret.expose_secret()
    }

    /// `Bearer <token>`, the value of an `Authorization` header, protected.
    pub fn bearer(&self) -> SecretString {
        SecretString::from(format!("Bearer {}", self.secret.expose_secret()))
    }

    /// The token type the server reported (`bearer` for Genesys Cloud).
    pub fn token_type(&self) -> &str {
        &self.meta.token_type
    }

    /// When the token expires, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// How long the token stays valid after `now`: `None` when the expiry
    /// is unknown, zero when it has passed.
    pub fn expires_in(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at
            .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// True when the expiry is known and not after `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// The granted scopes, when known.
    pub fn scopes(&self) -> Option<&[String]> {
        self.meta.scopes.as_deref()
    }

    /// Whether `scope` was granted: `None` when the scopes are not known.
    pub fn has_scope(&self, scope: &str) -> Option<bool> {
        self.meta
            .scopes
            .as_ref()
            .map(|scopes| scopes.iter().any(|s| s == scope))
    }

    /// Who the token acts for.
    pub fn principal(&self) -> &Principal {
        &self.meta.principal
    }

    /// True when both tokens carry the same secret (the comparison a cache
    /// uses to drop only the token that was rejected).
    pub fn same_secret(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.secret, &other.secret)
            || constant_time_eq(
                self.secret.expose_secret().as_bytes(),
                other.secret.expose_secret().as_bytes(),
            )
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[REDACTED]")
            .field("token_type", &self.meta.token_type)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.meta.scopes)
            .field("principal", &self.meta.principal)
            .finish()
    }
}

/// A time so far ahead that it never comes (used when an addition would
/// overflow).
pub(crate) fn far_future() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 16)
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let token = AccessToken::new("SENTINEL-ACCESS-TOKEN")
            .with_principal(Principal::user("u1"))
            .with_scopes(["a", "b"]);
        let debug = format!("{token:?} {:?}", token.secret());
        assert!(!debug.contains("SENTINEL"), "{debug}");
        assert!(debug.contains("u1"));
        let bearer = token.bearer();
        assert!(!format!("{bearer:?}").contains("SENTINEL"));
    }

    #[test]
    fn expiry_helpers() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let token = AccessToken::new("x");
        assert_eq!(token.expires_in(now), None);
        assert!(!token.is_expired(now));
        let token = token.with_expires_at(now + Duration::from_secs(10));
        assert_eq!(token.expires_in(now), Some(Duration::from_secs(10)));
        assert!(token.is_expired(now + Duration::from_secs(10)));
        assert_eq!(
            token.expires_in(now + Duration::from_secs(11)),
            Some(Duration::ZERO)
        );
        assert!(
            AccessToken::new("x")
                .with_expires_in(Duration::MAX)
                .expires_at()
                .is_some()
        );
        assert_eq!(token.clone().with_expiry(None).expires_at(), None);
    }

    #[test]
    fn scopes_and_secret_comparison() {
        let a = AccessToken::new("abc");
        assert_eq!(a.has_scope("x"), None);
        assert!(a.same_secret(&a.clone()));
        assert!(a.same_secret(&AccessToken::new("abc")));
        assert!(!a.same_secret(&AccessToken::new("abd")));
        assert!(!a.same_secret(&AccessToken::new("ab")));
        assert_eq!(a.token_type(), "bearer");
        assert_eq!(a.clone().with_token_type("Bearer").token_type(), "Bearer");
    }

    #[test]
    fn principal_display() {
        assert_eq!(Principal::user("x").to_string(), "user x");
        assert_eq!(Principal::unknown_user().to_string(), "user (id unknown)");
        assert_eq!(Principal::Unknown.to_string(), "unknown principal");
        assert_eq!(Principal::default(), Principal::Unknown);
        assert_eq!(Principal::unknown_user().user_id(), None);
        assert_eq!(Principal::user("x").client_id(), None);
    }
}
