//! Helpers shared by the facade's integration tests.
#![allow(dead_code)] // each test file uses its own subset

use std::time::Duration;

use genesys_cloud::auth::{AccessToken, AuthConfig};
use genesys_cloud::{BaseUrl, Client, Environment, RetryPolicy};
use genesys_emulator::{Emulator, EmulatorConfig, TlsOptions, seed};

/// A client of `emu` with a fixed token and millisecond retries.
pub fn client_with(emu: &Emulator, token: String) -> Client {
    Client::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .token_source(AccessToken::new(token))
        .retry_policy(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

/// An emulator serving HTTPS (and `wss://`) with `options`.
pub async fn tls_emulator(options: TlsOptions) -> Emulator {
    Emulator::start(EmulatorConfig::default().with_tls(options))
        .await
        .expect("emulator starts")
}

/// The emulator's client-credentials login, on its base URL.
pub fn credentials(emu: &Emulator) -> AuthConfig {
    AuthConfig::new()
        .with_environment(Environment::single(
            BaseUrl::parse(&emu.base_url()).unwrap(),
        ))
        .with_client_credentials(seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET)
}
