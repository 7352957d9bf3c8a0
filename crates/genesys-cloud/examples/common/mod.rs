//! What every example starts from: a client for a real org when the
//! `GENESYSCLOUD_*` variables are set, else for an emulator embedded in the
//! example's own process (no setup, no network beyond 127.0.0.1).
// Each example uses only part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::time::Duration;

use genesys_cloud::auth::{AuthConfig, CredentialKind};
use genesys_cloud::{BaseUrl, Client, Environment};
use genesys_emulator::{Emulator, EmulatorConfig, seed};

/// The boxed error the examples return: every SDK error converts into it.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Where an example runs.
pub struct Target {
    /// The client to call.
    pub client: Client,
    /// The user calls are placed for and whose events are followed: the
    /// emulator's demo agent, or `GENESYS_EXAMPLE_USER_ID` on a real org.
    pub user_id: Option<String>,
    /// The number to dial: `+15550123` on the emulator, or
    /// `GENESYS_EXAMPLE_DIAL` on a real org (unset: nothing is dialled).
    pub dial: Option<String>,
    /// The embedded emulator, when there is one (it stops when dropped).
    pub emulator: Option<Emulator>,
}

impl Target {
    /// True when the example talks to the embedded emulator.
    pub fn is_emulated(&self) -> bool {
        self.emulator.is_some()
    }
}

/// A real org when `GENESYSCLOUD_OAUTHCLIENT_ID`/`_SECRET` (with
/// `GENESYSCLOUD_REGION`) or `GENESYSCLOUD_ACCESS_TOKEN` are set, else the
/// embedded emulator.
pub async fn connect() -> Result<Target, BoxError> {
    let configured = AuthConfig::from_env()
        .map(|config| config.credential_kind() != CredentialKind::None)
        .unwrap_or(false);
    if !configured {
        eprintln!("No GENESYSCLOUD_* credentials set: using an embedded emulator.");
        return emulated().await;
    }
    let client = Client::from_env()?;
    eprintln!("Using the org at {}", client.base_url());
    Ok(Target {
        client,
        user_id: std::env::var("GENESYS_EXAMPLE_USER_ID").ok(),
        dial: std::env::var("GENESYS_EXAMPLE_DIAL").ok(),
        emulator: None,
    })
}

/// An embedded emulator and a client of it with the emulator's demo
/// client credentials (an OAuth client, as a back-end service has).
pub async fn emulated() -> Result<Target, BoxError> {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .with_call_timings(Duration::from_millis(100), Duration::from_millis(100)),
    )
    .await?;
    let config = AuthConfig::new()
        .with_environment(Environment::single(BaseUrl::parse(&emulator.base_url())?))
        .with_client_credentials(seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    Ok(Target {
        client: Client::from_config(&config)?,
        user_id: Some(seed::DEFAULT_USER_ID.to_owned()),
        dial: Some("+15550123".to_owned()),
        emulator: Some(emulator),
    })
}
