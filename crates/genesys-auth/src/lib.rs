//! Pluggable authentication for the Genesys Cloud Platform API.
//!
//! Everything that obtains an access token implements one trait,
//! [`TokenSource`]. The SDK calls it before every request attempt, and
//! reports a token the API rejected (401) through
//! [`TokenSource::invalidate`] so the source can refresh once.
//!
//! - [`AccessToken`]: the secret (in a [`secrecy`] type, never in `Debug`),
//!   its expiry, its scopes when known, and its [`Principal`]: a user, an
//!   OAuth client, or unknown.
//! - [`CachingTokenSource`]: a cache in front of any source that refreshes
//!   ahead of expiry, makes one token request however many callers wait
//!   (single flight), keeps serving a still-valid token when an early
//!   refresh fails, never caches an error, and spawns no background task.
//!   Time is injectable ([`Clock`], [`ManualClock`]).
//! - Plain values and closures are sources too: an [`AccessToken`] returns
//!   itself, and [`token_source_fn`] adapts an async closure.
//! - With the `grants` feature (on by default through `http-client`):
//!   every OAuth grant Genesys Cloud supports — client credentials,
//!   authorization code, PKCE, refresh token (rotating) and SAML2 bearer —
//!   against the login host of a region or a custom base URL;
//!   configuration from the `GENESYSCLOUD_*` environment variables and the
//!   `gc` CLI's `~/.gc/config.toml` profiles; and optional token
//!   introspection (`GET /api/v2/tokens/me`) to learn who a token belongs
//!   to.
//!
//! # Writing your own token source
//!
//! One struct and one `async fn`; wrap it in the cache with
//! [`TokenSourceExt::cached`]:
//!
//! ```
//! use std::time::Duration;
//! use genesys_auth::{async_trait, AccessToken, AuthError, TokenSource, TokenSourceExt};
//!
//! #[derive(Debug)]
//! struct CompanyTokenService { url: String }
//!
//! #[async_trait]
//! impl TokenSource for CompanyTokenService {
//!     async fn token(&self) -> Result<AccessToken, AuthError> {
//!         let (secret, lifetime) = fetch(&self.url).await.map_err(AuthError::transient)?;
//!         Ok(AccessToken::new(secret).with_expires_in(lifetime))
//!     }
//! }
//!
//! # async fn fetch(_: &str) -> Result<(String, Duration), std::io::Error> {
//! #     Ok(("t0k3n".into(), Duration::from_secs(3600)))
//! # }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), AuthError> {
//! let source = CompanyTokenService { url: "https://tokens.example".into() }.cached();
//! let token = source.token().await?;
//! assert_eq!(token.expose_secret(), "t0k3n");
//! # Ok(()) }
//! ```
//!
//! # Built-in grants
//!
//! ```no_run
//! # #[cfg(feature = "http-client")]
//! # async fn demo() -> Result<(), genesys_auth::AuthError> {
//! use genesys_auth::{ClientCredentials, Region, TokenEndpoint, TokenSource, TokenSourceExt};
//!
//! let endpoint = TokenEndpoint::new(Region::EuWest1)?;
//! let source = ClientCredentials::new(endpoint, "client-id", "client-secret").cached();
//! let token = source.token().await?;
//! assert!(token.principal().is_client());
//! # Ok(()) }
//! ```
//!
//! Or from what a Genesys user already has configured (environment variables
//! over the `gc` CLI profile):
//!
//! ```no_run
//! # #[cfg(feature = "http-client")]
//! # async fn demo() -> Result<(), genesys_auth::AuthError> {
//! use genesys_auth::{AuthConfig, TokenSource, TokenSourceExt};
//!
//! let config = AuthConfig::from_env_and_profile(None)?;
//! let source = config.token_source()?.cached();
//! let token = source.token().await?;
//! # let _ = token;
//! # Ok(()) }
//! ```
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `grants` | via `http-client` | the OAuth grants, `TokenEndpoint`, `AuthConfig`, `Introspector`; they send through `genesys_transport::HttpClient`, which you supply |
//! | `http-client` | yes | `grants` plus the default hyper + rustls client of `genesys-transport` |
//!
//! With `default-features = false` the crate has the trait, the token types,
//! the error and the cache, and depends on little more than `secrecy`,
//! `async-trait`, `thiserror`, `futures-util` and `tracing`: no hyper,
//! rustls or tokio.
//!
//! # Secrets
//!
//! Client secrets, access and refresh tokens, authorization codes, PKCE
//! verifiers and SAML assertions are held in [`SecretString`]s. They never
//! appear in `Debug` output, error messages or `tracing` events; error
//! excerpts of server answers are bounded and scrubbed.
#![cfg_attr(
    feature = "grants",
    doc = "\n\nSee [`ClientCredentials`], [`AuthorizationCode`], [`Pkce`], [`RefreshToken`], [`Saml2Bearer`], [`AuthConfig`] and [`Introspector`]."
)]
#![forbid(unsafe_code)]

mod cache;
mod clock;
mod error;
mod source;
mod token;

#[cfg(feature = "grants")]
mod config;
#[cfg(feature = "grants")]
mod endpoint;
#[cfg(feature = "grants")]
mod grants;
#[cfg(feature = "grants")]
mod introspect;
#[cfg(feature = "grants")]
mod pkce;

pub use async_trait::async_trait;
pub use secrecy::{ExposeSecret, SecretString};

pub use cache::{
    CachingTokenSource, CachingTokenSourceBuilder, DEFAULT_REFRESH_MARGIN, DEFAULT_RETRY_INTERVAL,
};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use error::{AuthError, BoxError, OAuthError, OAuthErrorCode, SharedError};
pub use source::{SharedTokenSource, TokenSource, TokenSourceExt, TokenSourceFn, token_source_fn};
pub use token::{AccessToken, Principal};

#[cfg(feature = "grants")]
pub use config::{
    AuthConfig, CredentialKind, ENV_ACCESS_TOKEN, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION,
    ProfileProxy,
};
#[cfg(feature = "grants")]
pub use endpoint::{TokenEndpoint, TokenEndpointBuilder};
#[cfg(feature = "grants")]
pub use genesys_transport::{BaseUrl, Environment, Region, SharedHttpClient};
#[cfg(feature = "grants")]
pub use grants::{AuthorizationCode, ClientCredentials, RefreshToken, Saml2Bearer};
#[cfg(feature = "grants")]
pub use introspect::{Introspector, TokenIntrospection};
#[cfg(feature = "grants")]
pub use pkce::{AuthorizationRequest, AuthorizeUrlBuilder, Pkce, PkceVerifier};
