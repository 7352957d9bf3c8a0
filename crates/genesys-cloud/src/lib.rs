//! Rust SDK for the Genesys Cloud Platform API.
//!
//! [`Client`] composes the generated models and operation catalogue
//! ([`genesys_model`]), a token source ([`genesys_auth`]) and the HTTP
//! transport ([`genesys_transport`]). Every operation of the API is a method
//! on a per-tag handler (`client.conversations()`, `client.users()`, ...),
//! returning a typed [`Request`] you `.await`. Listings page as streams
//! ([`Request::pages`], [`Request::items`]) the same way whatever their
//! paging style: see [`paging`].
//!
//! Before a request leaves the process, the client checks it against the
//! catalogue: an operation that needs a user context called with a
//! client-credentials token, or a token whose known scopes miss the
//! operation's, fails at once with an error that names the fix — for
//! `postConversationsCalls`, the on-behalf-of-a-user operation
//! `postConversationsCallsUserUserId` or a user-context grant.
//!
//! ```no_run
//! use genesys_cloud::auth::{ClientCredentials, TokenEndpoint};
//! use genesys_cloud::{Client, Region, calls::Dial};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let login = TokenEndpoint::new(Region::UsEast1)?;
//! let client = Client::builder()
//!     .region(Region::UsEast1)
//!     .token_source(ClientCredentials::new(login, "client-id", "client-secret"))
//!     .build()?;
//! let call = client
//!     .calls()
//!     .place(&Dial::number("+15550123").on_behalf_of("user-id"))
//!     .await?;
//! println!("conversation {}", call.conversation_id);
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! Each API tag is a feature that enables its handler and the models it
//! needs (`conversations`, `users`, `routing`, ... — see `Cargo.toml`);
//! `full` enables all. The default is `conversations`, `users`, `tokens` and
//! `notifications-client`: what placing calls, following them by events and
//! inspecting a token need. `notifications-client` is [`notifications`], a
//! WebSocket notification channel client (with the `notifications` tag and
//! the `topics-users` events); without it, [`calls`] follows calls by
//! polling and no WebSocket crate is compiled. Topic families are features
//! too (`topics-routing`, ..., `all-topics`).
#![forbid(unsafe_code)]

#[cfg(feature = "conversations")]
pub mod calls;
mod client;
pub mod dynamic;
mod error;
#[cfg(feature = "notifications-client")]
pub mod notifications;
mod operation;
pub mod paging;
mod preflight;

/// The generated API: one handler per tag, one marker type per operation.
#[rustfmt::skip]
#[path = "generated/mod.rs"]
pub mod api;

pub use client::{BuildError, Client, ClientBuilder};
pub use error::{ApiFailure, Error, MissingScopes, UserContextRequired};
pub use genesys_auth as auth;
pub use genesys_model as model;
pub use genesys_transport as transport;
pub use genesys_transport::{
    ApiError, BaseUrl, ClientIdentity, ConnectionSettings, Environment, Proxy, ProxyFailure,
    RateLimitStatus, Region, RetryPolicy, StopReason, TlsConfigError, TlsFailure,
};
pub use operation::{ApiOperation, Request};
pub use paging::{Listing, NextPage, Page, PageInfo, Paged, PagingError, PagingStyle};
