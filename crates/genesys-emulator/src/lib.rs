//! A local Genesys Cloud emulator.
//!
//! A hyper server on `127.0.0.1` that stands in for the parts of Genesys
//! Cloud this SDK exercises, so tests, examples and benchmarks run without
//! the internet: the OAuth login service (`/oauth/token` with every grant
//! the official SDKs use, `/oauth/authorize`), token and user lookups, and
//! the call-creation endpoints with Genesys's own error codes
//! (`not.a.user`, `missing.any.permissions`,
//! `conversation.error.no.user.station`, ...), and the notification service
//! (channels, subscriptions, and a WebSocket per channel that carries call
//! events and heartbeats), and one listing of each paging style the API
//! uses ([`listings`]). Login and API share one base URL. Request and
//! response bodies are the generated [`genesys_model`] types; permission and
//! user-context rules come from its operation catalogue.
//!
//! Tests control it: a seeded, configurable world ([`EmulatorConfig`]),
//! helpers that mint tokens, codes and SAML assertions, a steppable
//! [`Clock`] (advancing it sends the heartbeats, call events and channel
//! expiries that fell due), scriptable [`Fault`]s per route, notification
//! faults ([`Notifications`]) and [`Counters`] of what arrived.
//!
//! It serves plain HTTP by default; [`EmulatorConfig::with_tls`] makes it
//! serve HTTPS and `wss://` with a CA and server certificate generated at
//! start ([`Emulator::tls_ca_pem`]), optionally requiring client
//! certificates ([`Emulator::mint_client_identity`]), and [`TlsOptions`]
//! can make the certificate wrong on purpose (other names, expired).
//!
//! ```no_run
//! use std::time::Duration;
//! use genesys_emulator::{Emulator, EmulatorConfig, Fault, RouteMatch, seed};
//!
//! # async fn demo() -> Result<(), genesys_emulator::EmulatorError> {
//! let emu = Emulator::start(EmulatorConfig::default().with_manual_clock()).await?;
//! let base = emu.base_url(); // "http://127.0.0.1:PORT"
//!
//! // Fail the next two call creations with 503, then behave.
//! emu.inject(
//!     RouteMatch::new(http::Method::POST, "/api/v2/conversations/calls/user/{userId}"),
//!     Fault::Status { status: 503, times: 2 },
//! );
//! let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
//! // ... point the SDK (or any HTTP client) at `base` ...
//! emu.clock().advance(Duration::from_secs(5)); // calls connect
//! assert_eq!(emu.counters().calls_created(), 0);
//! # let _ = (base, token);
//! # Ok(()) }
//! ```
//!
//! See the crate README for what is emulated and what is simplified.
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `cli` | yes | the `genesys-emulator` binary (command line, logging, Ctrl-C); the library needs none of it |
#![forbid(unsafe_code)]
// Error responses are this server's ordinary output, built once per request;
// boxing them to shrink `Result` would buy nothing.
#![allow(clippy::result_large_err)]

mod api;
mod clock;
pub mod config;
mod counters;
mod errors;
mod faults;
mod generic;
mod http;
mod ids;
pub mod listings;
mod notifications;
mod oauth;
mod routes;
pub mod seed;
mod server;
mod state;
mod tls;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use config::{
    CallTimings, ClientSeed, ClockMode, EmulatorConfig, Grant, NotificationSettings, Organization,
    RateLimit, RoleSeed, UserSeed,
};
pub use counters::Counters;
pub use faults::{Fault, RouteMatch};
pub use notifications::{ChannelInfo, Notifications};
pub use tls::TlsOptions;

use state::{Principal, Shared};

/// Errors starting or configuring the emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The configuration is invalid or could not be read.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// Binding or serving the socket failed.
    #[error("emulator I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A test helper named a user or client that is not seeded.
    #[error("unknown {kind} {id:?}")]
    Unknown {
        /// `"user"` or `"client"`.
        kind: &'static str,
        /// The id that was asked for.
        id: String,
    },
}

/// A running emulator. Dropping it shuts the server down.
///
/// Create one per test with [`Emulator::start`]; it listens on a random free
/// port of `127.0.0.1`.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    scheduler: Option<JoinHandle<()>>,
    tls: Option<Arc<tls::TlsState>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with a random free port.
    ///
    /// Must be called inside a tokio runtime with IO and time enabled
    /// (`#[tokio::test]` has both); the server runs as tasks on it.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        Self::start_on(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts an emulator on a given address (port 0 picks a free port).
    pub async fn start_on(
        config: EmulatorConfig,
        addr: SocketAddr,
    ) -> Result<Emulator, EmulatorError> {
        config.validate()?;
        let tls = match &config.tls {
            Some(options) => Some(Arc::new(tls::TlsState::new(options)?)),
            None => None,
        };
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (shutdown, rx) = watch::channel(false);
        let ws = if tls.is_some() { "wss" } else { "ws" };
        let shared = Arc::new(Shared::new(config, format!("{ws}://{addr}"), rx.clone()));
        let weak = Arc::downgrade(&shared);
        shared.clock.on_advance(move || {
            if let Some(shared) = weak.upgrade() {
                shared.notifications.run_due();
            }
        });
        let scheduler = tokio::spawn(notifications::scheduler(shared.clone(), rx.clone()));
        let task = tokio::spawn(server::serve(listener, shared.clone(), rx, tls.clone()));
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::debug!("genesys emulator listening on {scheme}://{addr}");
        Ok(Emulator {
            shared,
            addr,
            shutdown,
            task: Some(task),
            scheduler: Some(scheduler),
            tls,
        })
    }

    /// The base URL for both login and API, e.g. `http://127.0.0.1:41234`,
    /// or `https://127.0.0.1:41234` when serving TLS (no trailing slash).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The CA certificate (PEM) that signed the server certificate, when
    /// serving TLS ([`EmulatorConfig::with_tls`]): add it to a client's
    /// trusted roots.
    pub fn tls_ca_pem(&self) -> Option<String> {
        self.tls.as_ref().map(|tls| tls.ca_pem())
    }

    /// The CA certificate, DER-encoded, when serving TLS.
    pub fn tls_ca_der(&self) -> Option<Vec<u8>> {
        self.tls.as_ref().map(|tls| tls.ca_der())
    }

    /// A new client certificate (PEM) and private key (PKCS#8 PEM) signed by
    /// the emulator's CA, accepted when
    /// [`TlsOptions::require_client_certificate`] is on.
    ///
    /// Fails when the emulator does not serve TLS.
    pub fn mint_client_identity(&self) -> Result<(String, String), EmulatorError> {
        match &self.tls {
            Some(tls) => tls.mint_client_identity(),
            None => Err(EmulatorError::Config(
                "mint_client_identity: the emulator does not serve TLS \
                 (start it with EmulatorConfig::with_tls)"
                    .into(),
            )),
        }
    }

    /// How many TCP connections reached the TLS handshake (0 without TLS);
    /// counts failed handshakes too, which never reach the request counters.
    pub fn tls_connections(&self) -> u64 {
        self.tls.as_ref().map_or(0, |tls| tls.handshakes())
    }

    /// The socket address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// Injects a fault for requests matching `route` (see [`Fault`]).
    pub fn inject(&self, route: RouteMatch, fault: Fault) {
        self.shared.faults.inject(route, fault);
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// The request counters.
    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// The clock; [`Clock::advance`] moves it forward (token expiry, rate
    /// limit windows, call progression, notification heartbeats and channel
    /// expiry all follow it).
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The notification service: its channels, and faults to script on
    /// them (drop a socket, `socket_closing`, stop heartbeats, expire or
    /// evict a channel, reject topics, publish events).
    pub fn notifications(&self) -> &Notifications {
        &self.shared.notifications
    }

    fn client(&self, client_id: &str) -> Result<(), EmulatorError> {
        if self.shared.world.clients.contains_key(client_id) {
            Ok(())
        } else {
            Err(EmulatorError::Unknown {
                kind: "client",
                id: client_id.to_owned(),
            })
        }
    }

    fn user(&self, user_id: &str) -> Result<(), EmulatorError> {
        if self.shared.world.users.contains_key(user_id) {
            Ok(())
        } else {
            Err(EmulatorError::Unknown {
                kind: "user",
                id: user_id.to_owned(),
            })
        }
    }

    /// Mints a client-credentials access token for a seeded client, as if
    /// it had logged in (not counted as a token request).
    pub fn try_client_credentials_token(&self, client_id: &str) -> Result<String, EmulatorError> {
        self.client(client_id)?;
        Ok(self
            .shared
            .issue_token(Principal::Client, client_id, Grant::ClientCredentials))
    }

    /// Like [`Emulator::try_client_credentials_token`].
    ///
    /// # Panics
    /// If `client_id` is not a seeded client.
    pub fn client_credentials_token(&self, client_id: &str) -> String {
        match self.try_client_credentials_token(client_id) {
            Ok(token) => token,
            Err(e) => panic!("client_credentials_token: {e}"),
        }
    }

    /// Mints a user access token for a seeded user (issued to the first
    /// client allowed the authorization-code grant, or to an
    /// `emulator-test-helper` client id when none is).
    pub fn try_user_token(&self, user_id: &str) -> Result<String, EmulatorError> {
        self.user(user_id)?;
        let client_id = self
            .shared
            .world
            .clients
            .values()
            .find(|c| c.seed.allows(Grant::AuthorizationCode))
            .map(|c| c.seed.id.clone())
            .unwrap_or_else(|| "emulator-test-helper".to_owned());
        Ok(self.shared.issue_token(
            Principal::User(user_id.to_owned()),
            &client_id,
            Grant::AuthorizationCode,
        ))
    }

    /// Like [`Emulator::try_user_token`].
    ///
    /// # Panics
    /// If `user_id` is not a seeded user.
    pub fn user_token(&self, user_id: &str) -> String {
        match self.try_user_token(user_id) {
            Ok(token) => token,
            Err(e) => panic!("user_token: {e}"),
        }
    }

    /// Mints an authorization code for `user_id`, exchangeable once at
    /// `/oauth/token` by `client_id` with the same `redirect_uri`. With a
    /// `code_challenge` (base64url SHA-256 of the verifier, i.e. S256) the
    /// exchange must send the matching `code_verifier`, and may then omit
    /// the client secret (PKCE).
    ///
    /// # Panics
    /// If the client or user is not seeded.
    pub fn mint_authorization_code(
        &self,
        client_id: &str,
        user_id: &str,
        redirect_uri: &str,
        code_challenge: Option<&str>,
    ) -> String {
        let checked = self.client(client_id).and_then(|()| self.user(user_id));
        if let Err(e) = checked {
            panic!("mint_authorization_code: {e}");
        }
        self.shared.issue_code(
            client_id,
            user_id,
            redirect_uri,
            code_challenge.map(str::to_owned),
        )
    }

    /// Mints a (base64) SAML2 assertion for `user_id`, accepted by the
    /// `urn:ietf:params:oauth:grant-type:saml2-bearer` grant together with
    /// `orgName` = the organization's name until the code lifetime passes.
    ///
    /// # Panics
    /// If the user is not seeded.
    pub fn mint_saml_assertion(&self, user_id: &str) -> String {
        if let Err(e) = self.user(user_id) {
            panic!("mint_saml_assertion: {e}");
        }
        self.shared.issue_assertion(user_id)
    }

    /// Revokes an access token, as `DELETE /api/v2/tokens/me` would.
    pub fn revoke_token(&self, token: &str) {
        self.shared.revoke(token);
    }

    /// Ids of the call conversations created so far, oldest first.
    pub fn conversation_ids(&self) -> Vec<String> {
        self.shared
            .store()
            .conversations
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }

    /// Stops accepting connections, closes open ones and waits for the
    /// server task to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(task) = self.scheduler.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(task) = self.scheduler.take() {
            task.abort();
        }
    }
}
