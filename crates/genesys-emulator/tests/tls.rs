//! The emulator's HTTPS switch: off by default, and what it exposes when on.
//! (Handshakes themselves are tested from the SDK side, in
//! `genesys-transport/tests/tls.rs` and `genesys-cloud/tests/tls.rs`.)

use genesys_emulator::{Emulator, EmulatorConfig, EmulatorError, TlsOptions};

#[tokio::test]
async fn plain_http_by_default() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(emu.tls_ca_pem(), None);
    assert_eq!(emu.tls_ca_der(), None);
    assert_eq!(emu.tls_connections(), 0);
    assert!(matches!(
        emu.mint_client_identity(),
        Err(EmulatorError::Config(text)) if text.contains("with_tls")
    ));
}

#[tokio::test]
async fn with_tls_serves_https_with_a_ca_and_client_identities() {
    let emu = Emulator::start(EmulatorConfig::default().with_tls(TlsOptions::new()))
        .await
        .unwrap();
    assert!(emu.base_url().starts_with("https://127.0.0.1:"));
    let ca = emu.tls_ca_pem().unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    assert!(!emu.tls_ca_der().unwrap().is_empty());
    let (cert, key) = emu.mint_client_identity().unwrap();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    // Each identity is new.
    assert_ne!(emu.mint_client_identity().unwrap().1, key);
    // Each emulator has a CA of its own.
    let other = Emulator::start(EmulatorConfig::default().with_tls(TlsOptions::new()))
        .await
        .unwrap();
    assert_ne!(other.tls_ca_pem().unwrap(), ca);
}

#[tokio::test]
async fn a_bad_server_name_is_a_config_error_not_a_panic() {
    let err = Emulator::start(
        EmulatorConfig::default().with_tls(TlsOptions::new().server_names(["bücher.example"])),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, EmulatorError::Config(_)), "{err:?}");
}

#[test]
fn tls_is_not_read_from_configuration_files() {
    // The certificates are generated at start; a seed file cannot ask for
    // them (and `deny_unknown_fields` says so).
    assert!(EmulatorConfig::from_toml_str("tls = true\n").is_err());
}
