//! The [`TokenSource`] trait, [`SharedTokenSource`] and the closure adapter.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::cache::CachingTokenSource;
use crate::error::AuthError;
use crate::token::AccessToken;

/// Anything that can produce an access token: a built-in OAuth grant, a
/// static token, a closure, or your own type (tokens from a vault, a company
/// token service, ...).
///
/// Implement [`token`](Self::token); optionally override
/// [`invalidate`](Self::invalidate). The trait uses
/// [`async_trait`](macro@crate::async_trait) (re-exported by this crate).
///
/// # Contract for callers (the facade)
///
/// 1. Call [`token`](Self::token) before **every** attempt of an API
///    request; wrap the source in a [`CachingTokenSource`] (see
///    [`TokenSourceExt::cached`]) so this is cheap and concurrent callers
///    share one token request.
/// 2. When the API answers **401**, call
///    [`invalidate`](Self::invalidate) with the token that was rejected,
///    then call [`token`](Self::token) again and retry the request **once**.
///    The cache drops only that token (not a newer one another task already
///    fetched) and fetches exactly one new token.
/// 3. Read [`AccessToken::principal`] and [`AccessToken::scopes`] for
///    preflight checks, e.g. refuse a user-context operation when the
///    principal is an OAuth client.
///
/// # Example: a custom source
///
/// ```
/// use std::time::Duration;
/// use genesys_auth::{async_trait, AccessToken, AuthError, Principal, TokenSource};
///
/// #[derive(Debug)]
/// struct Vault;
///
/// #[async_trait]
/// impl TokenSource for Vault {
///     async fn token(&self) -> Result<AccessToken, AuthError> {
///         let secret = read_from_vault().await.map_err(AuthError::transient)?;
///         Ok(AccessToken::new(secret)
///             .with_expires_in(Duration::from_secs(3600))
///             .with_principal(Principal::client("svc-client")))
///     }
/// }
/// # async fn read_from_vault() -> Result<String, std::io::Error> { Ok("t".into()) }
/// # let _ = Vault;
/// ```
#[async_trait]
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// Returns a token that is valid now, or why there is none.
    async fn token(&self) -> Result<AccessToken, AuthError>;

    /// Reports that `rejected` was refused by the API (HTTP 401), so that
    /// the next [`token`](Self::token) call fetches a new one instead of
    /// returning it again. The default does nothing (right for sources that
    /// fetch a new token on every call).
    fn invalidate(&self, rejected: &AccessToken) {
        let _ = rejected;
    }

    /// A token usable right now without waiting, when the source has one at
    /// hand: [`CachingTokenSource`] answers its cached token until it is due
    /// for refresh. Callers use it as a fast path and fall back to
    /// [`token`](Self::token) on `None` (an API request then needs no boxed
    /// future to get its token). The default is `None`, which is always
    /// correct.
    ///
    /// ```
    /// use genesys_auth::{AccessToken, TokenSource, TokenSourceExt};
    ///
    /// # async fn demo() -> Result<(), genesys_auth::AuthError> {
    /// let cached = AccessToken::new("abc").cached();
    /// assert!(cached.ready_token().is_none()); // nothing fetched yet
    /// cached.token().await?;
    /// assert_eq!(cached.ready_token().unwrap().expose_secret(), "abc");
    /// # Ok(()) }
    /// ```
    fn ready_token(&self) -> Option<AccessToken> {
        None
    }
}

/// A plain token is a source that always returns itself (bring your own
/// token). After a 401 there is nothing to refresh, so the retry fails too.
#[async_trait]
impl TokenSource for AccessToken {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        Ok(self.clone())
    }

    fn ready_token(&self) -> Option<AccessToken> {
        Some(self.clone())
    }
}

#[async_trait]
impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        (**self).token().await
    }

    fn invalidate(&self, rejected: &AccessToken) {
        (**self).invalidate(rejected);
    }

    fn ready_token(&self) -> Option<AccessToken> {
        (**self).ready_token()
    }
}

#[async_trait]
impl<T: TokenSource + ?Sized> TokenSource for Box<T> {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        (**self).token().await
    }

    fn invalidate(&self, rejected: &AccessToken) {
        (**self).invalidate(rejected);
    }

    fn ready_token(&self) -> Option<AccessToken> {
        (**self).ready_token()
    }
}

/// A cheaply clonable, type-erased [`TokenSource`] (`Arc<dyn TokenSource>`),
/// the form the rest of the SDK stores.
///
/// ```
/// use genesys_auth::{AccessToken, SharedTokenSource, TokenSource};
///
/// # async fn demo() -> Result<(), genesys_auth::AuthError> {
/// let shared = SharedTokenSource::new(AccessToken::new("abc"));
/// let copy = shared.clone();
/// assert_eq!(copy.token().await?.expose_secret(), "abc");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SharedTokenSource(Arc<dyn TokenSource>);

impl SharedTokenSource {
    /// Wraps a source.
    pub fn new(source: impl TokenSource + 'static) -> Self {
        Self(Arc::new(source))
    }

    /// Wraps an already shared source.
    pub fn from_arc(source: Arc<dyn TokenSource>) -> Self {
        Self(source)
    }

    /// The shared source.
    pub fn as_arc(&self) -> &Arc<dyn TokenSource> {
        &self.0
    }
}

impl fmt::Debug for SharedTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedTokenSource").field(&self.0).finish()
    }
}

impl From<Arc<dyn TokenSource>> for SharedTokenSource {
    fn from(source: Arc<dyn TokenSource>) -> Self {
        Self(source)
    }
}

#[async_trait]
impl TokenSource for SharedTokenSource {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        self.0.token().await
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.0.invalidate(rejected);
    }

    fn ready_token(&self) -> Option<AccessToken> {
        self.0.ready_token()
    }
}

/// A [`TokenSource`] made from an async closure; see [`token_source_fn`].
#[derive(Clone)]
pub struct TokenSourceFn<F> {
    f: F,
}

impl<F> fmt::Debug for TokenSourceFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSourceFn(..)")
    }
}

/// Turns a closure returning a future into a [`TokenSource`].
///
/// The closure is called for every token request; wrap the result in a
/// cache ([`TokenSourceExt::cached`]) to call it only when a token is due.
///
/// ```
/// use std::time::Duration;
/// use genesys_auth::{token_source_fn, AccessToken, TokenSource, TokenSourceExt};
///
/// # async fn demo() -> Result<(), genesys_auth::AuthError> {
/// let source = token_source_fn(|| async {
///     Ok(AccessToken::new("from-a-closure").with_expires_in(Duration::from_secs(600)))
/// })
/// .cached();
/// assert_eq!(source.token().await?.expose_secret(), "from-a-closure");
/// # Ok(()) }
/// ```
pub fn token_source_fn<F, Fut>(f: F) -> TokenSourceFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<AccessToken, AuthError>> + Send,
{
    TokenSourceFn { f }
}

#[async_trait]
impl<F, Fut> TokenSource for TokenSourceFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<AccessToken, AuthError>> + Send,
{
    async fn token(&self) -> Result<AccessToken, AuthError> {
        (self.f)().await
    }
}

/// Conveniences for every [`TokenSource`].
///
/// ```
/// use genesys_auth::{AccessToken, TokenSourceExt};
///
/// let cached = AccessToken::new("abc").cached();
/// let shared = cached.shared();
/// # let _ = shared;
/// ```
pub trait TokenSourceExt: TokenSource + Sized + 'static {
    /// Wraps the source in a [`CachingTokenSource`] with the default
    /// settings (refresh 5 minutes ahead of expiry, single flight).
    fn cached(self) -> CachingTokenSource<Self> {
        CachingTokenSource::new(self)
    }

    /// Wraps the source in a [`SharedTokenSource`].
    fn shared(self) -> SharedTokenSource {
        SharedTokenSource::new(self)
    }
}

impl<T: TokenSource + Sized + 'static> TokenSourceExt for T {}
