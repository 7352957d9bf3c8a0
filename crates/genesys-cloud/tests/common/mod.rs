//! Helpers shared by the facade's integration tests.

use std::time::Duration;

use genesys_cloud::auth::AccessToken;
use genesys_cloud::{BaseUrl, Client, RetryPolicy};
use genesys_emulator::Emulator;

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
