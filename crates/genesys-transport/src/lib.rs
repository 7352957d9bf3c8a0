//! HTTP transport for the Genesys Cloud Platform API.
//!
//! This crate is the only part of the SDK that speaks HTTP for API calls. It
//! knows nothing about OAuth grants or generated operations: callers hand it
//! an [`ApiRequest`] (method, concrete path, path template for tracing,
//! headers, body) and, optionally, a [`PrepareAttempt`] hook that re-applies
//! authentication before every attempt.
//!
//! What it provides:
//!
//! - [`HttpClient`], an object-safe trait that sends one
//!   `http::Request<Bytes>` and returns an `http::Response<Bytes>`, so users
//!   and tests can plug in their own client. [`SharedHttpClient`] is the
//!   cheaply clonable handle the rest of the SDK passes around.
//! - `HyperClient`, the default implementation (feature `hyper-client`, on by
//!   default): hyper 1.x, hyper-util's pooled client and hyper-rustls,
//!   HTTP/1.1 and HTTP/2 over TLS, bounded body reads and gzip decoding.
//!   Plain HTTP is allowed only to loopback hosts (such as the local
//!   emulator); anything else is refused before a connection is attempted.
//! - `ConnectionSettings` (feature `hyper-client`): extra root CAs (PEM bundles or
//!   DER), whether to keep the default roots, and a client certificate for
//!   mutual TLS (key in a `secrecy` box, never printed); one value
//!   configures API calls, logins and, through
//!   `ConnectionSettings::rustls_client_config`, WebSockets. A failed handshake is
//!   [`TransportError::Tls`] with a [`TlsFailure`] naming the cause
//!   (unknown CA, wrong host name, expired, client certificate required or
//!   rejected) and the fix; it is never retried. See `docs/tls.md`.
//! - `Proxy` (feature `hyper-client`), part of `ConnectionSettings`: an HTTP
//!   proxy reached with `CONNECT` tunnels (hyper-util's `Tunnel`), with
//!   `Basic` credentials (password in a `SecretString`) and a `NO_PROXY`
//!   list (hyper-util's `Matcher`); by default read from `HTTPS_PROXY`,
//!   `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`; loopback hosts are reached
//!   directly unless asked. A tunnel the proxy did not open is
//!   [`TransportError::Proxy`] with a [`ProxyFailure`] (`407` is not
//!   retried). See `docs/proxy.md`.
//! - [`Region`], [`Environment`] and [`BaseUrl`]: every region the official
//!   SDKs ship, with API and login hosts, plus custom base URLs.
//! - [`RetryPolicy`]: 429 honours `Retry-After` (delta-seconds or an HTTP
//!   date, see [`parse_retry_after_at`]); 502/503/504, timeouts and broken
//!   connections are retried only when that is safe (idempotent methods, or
//!   a request that provably never left); everything is bounded by a maximum
//!   attempt count and a total retry-time budget.
//! - Rate limits that last: a `Retry-After` longer than what is left of the
//!   budget (Genesys answers daily limits with waits of minutes to hours) is
//!   not waited out; the error comes back at once with
//!   [`StopReason::RetryAfterExceedsBudget`], and says it was rate limited,
//!   how long the server asked to wait and until when
//!   ([`Error::retry_after`], [`Error::retry_at`], e.g. `rate limited: the
//!   server asked to wait 2 h, until 2026-11-28T10:00:00Z`).
//! - Pacing: [`Transport::rate_limit`] returns the `inin-ratelimit-allowed`,
//!   `-count` and `-reset` headers of the last response that had them
//!   ([`RateLimitStatus`]).
//! - Typed errors: [`Error`] wraps an [`ApiError`] (decoded from the Genesys
//!   error body, with the `ININ-Correlation-Id` header, `Retry-After` and the
//!   rate-limit headers), a [`TransportError`] (connect, TLS, timeout, ...),
//!   and always says how many attempts were made and why retrying stopped
//!   ([`StopReason`]).
//! - `tracing` spans per request (`genesys.request`) and per attempt
//!   (`genesys.attempt`) with method, path template, status, attempt,
//!   duration and correlation id. Header values, including `Authorization`,
//!   are never logged.
//!
//! # Example
//!
//! ```no_run
//! use genesys_transport::{ApiRequest, Region, Transport};
//! use http::{HeaderValue, Method};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = Transport::builder().region(Region::EuWest1).build()?;
//! let token = "…"; // from your token source
//! let auth = genesys_transport::authorization_fn(move || {
//!     let value = format!("Bearer {token}");
//!     async move { Ok(HeaderValue::from_str(&value)?) }
//! });
//! let request = ApiRequest::new(Method::GET, "/api/v2/users/abc?expand=presence")
//!     .with_path_template("/api/v2/users/{userId}");
//! let response = transport.send_with(request, &auth).await?;
//! println!("{} bytes", response.body().len());
//! # Ok(())
//! # }
//! ```
//!
//! # Cargo features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `hyper-client` | yes | the default [`HttpClient`] on hyper 1.x + hyper-rustls |
//! | `webpki-roots` | yes | trust the Mozilla roots bundled by `webpki-roots` |
//! | `native-roots` | no | trust the operating system's roots (used when `webpki-roots` is off) |
//! | `rustls-ring` | yes | rustls' `ring` crypto provider |
//! | `rustls-aws-lc` | no | rustls' `aws-lc-rs` provider (preferred when both are on) |
//! | `gzip` | yes | advertise `Accept-Encoding: gzip` and decode gzip responses |
//!
//! Without `hyper-client` the trait, the retry loop, the region table and the
//! errors still compile; supply your own [`HttpClient`].
#![forbid(unsafe_code)]

// The modules in layers, leaves first: each uses only modules declared
// before it, so the crate reads from the top down without jumping back.
//
// Leaves: dates, shared names and Retry-After parsing, body limits, rate-limit
// headers, and the below-HTTP failure kinds.
mod body;
mod date;
mod failure;
mod ratelimit;
mod wire;

// The errors: the Genesys error body, then the transport's error types.
mod api_error;
mod error;

// Where requests go and when they are retried.
mod region;
mod retry;

// One request and its response.
mod request;

// The client trait.
mod client;

// The default client: the proxy connector, the connection settings that
// build it, then the hyper client on top.
#[cfg(feature = "hyper-client")]
mod proxy;

#[cfg(feature = "hyper-client")]
mod connection;

#[cfg(feature = "hyper-client")]
mod hyper_client;

// The transport: base URL + client + timeouts + retry loop + tracing.
mod transport;

pub use api_error::{ApiError, BodyProblem, ErrorBody, ErrorDetail, render_message};
pub use body::{BodyCompleteness, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ERROR_BODY_BYTES};
pub use client::{HttpClient, SharedHttpClient};
#[cfg(feature = "hyper-client")]
pub use connection::{ClientIdentity, ConnectedStream, ConnectionSettings, RootCertificates};
pub use error::{Error, ErrorKind, StopReason, TransportError};
pub use failure::{ProxyFailure, TlsConfigError, TlsFailure};
#[cfg(feature = "hyper-client")]
pub use hyper_client::{HyperClient, HyperClientBuilder};
#[cfg(feature = "hyper-client")]
pub use proxy::Proxy;
pub use ratelimit::{RateLimitStatus, ReceivedAt};
pub use region::{BaseUrl, Environment, Region, UnknownRegion, is_loopback_host};
pub use request::{ApiRequest, ApiResponse};
pub use retry::{RetryPolicy, SharedSleeper, Sleeper, TokioSleeper};
pub use transport::{
    AuthorizationFn, PrepareAttempt, Transport, TransportBuilder, authorization_fn,
};
pub use wire::{
    BoxError, BoxFuture, CORRELATION_ID_HEADER, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
    parse_retry_after, parse_retry_after_at,
};
