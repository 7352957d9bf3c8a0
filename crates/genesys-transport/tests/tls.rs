//! TLS end to end against the emulator serving HTTPS on 127.0.0.1: custom
//! roots (PEM and DER), the typed handshake failures, mutual TLS, and that
//! a TLS failure is not retried.

mod common;

use std::time::Duration;

use common::{RecordingSleeper, USERS_ME, tls_emulator, users_me};
use genesys_emulator::{Emulator, TlsOptions, seed};
use genesys_transport::{
    ApiResponse, BaseUrl, ConnectionSettings, HyperClient, HyperClientBuilder, RetryPolicy,
    StopReason, TlsFailure, Transport, TransportError,
};
use http::{Method, StatusCode};

/// A transport to the emulator through `client`, retrying connect failures
/// (up to 4 attempts) so that a retried TLS failure would show.
fn transport(emu: &Emulator, client: HyperClientBuilder, sleeper: &RecordingSleeper) -> Transport {
    Transport::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .http_client(client.build().expect("client builds"))
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .request_timeout(Duration::from_secs(10))
        .sleeper(sleeper.clone())
        .build()
        .unwrap()
}

/// Sends `GET /api/v2/users/me` and returns the TLS failure, checking it
/// took one attempt, one connection and no retry.
/// Sends `GET /api/v2/users/me` through `client`, expecting a 200.
async fn succeeds(emu: &Emulator, client: HyperClientBuilder, what: &str) -> ApiResponse {
    let sleeper = RecordingSleeper::default();
    let response = transport(emu, client, &sleeper)
        .send(users_me(emu))
        .await
        .expect(what);
    assert_eq!(response.status(), StatusCode::OK);
    response
}

async fn tls_failure(emu: &Emulator, client: HyperClientBuilder) -> TlsFailure {
    let sleeper = RecordingSleeper::default();
    let err = transport(emu, client, &sleeper)
        .send(users_me(emu))
        .await
        .expect_err("the handshake fails");
    let Some(TransportError::Tls { kind, .. }) = err.transport_error() else {
        panic!("not a TLS error: {err:?}");
    };
    assert_eq!(err.attempts(), 1, "{err}");
    assert_eq!(err.stop_reason(), StopReason::NotRetryable, "{err}");
    assert!(sleeper.sleeps().is_empty());
    assert_eq!(emu.tls_connections(), 1, "one connection, no retry");
    assert_eq!(
        emu.counters().requests_total(),
        0,
        "no request reached the API"
    );
    kind.clone()
}

#[tokio::test]
async fn trusts_the_emulator_ca_added_as_pem() {
    let emu = tls_emulator(TlsOptions::new()).await;
    assert!(
        emu.base_url().starts_with("https://127.0.0.1:"),
        "{}",
        emu.base_url()
    );
    let ca = emu.tls_ca_pem().unwrap();
    let client = HyperClient::builder().add_root_certificate_pem(ca);
    let response = succeeds(&emu, client, "HTTPS request succeeds").await;
    assert!(
        String::from_utf8_lossy(response.body()).contains(seed::DEFAULT_USER_ID),
        "{:?}",
        response.body()
    );
    assert_eq!(emu.counters().requests(&Method::GET, USERS_ME), 1);
}

#[tokio::test]
async fn trusts_the_emulator_ca_added_as_der_only() {
    let emu = tls_emulator(TlsOptions::new()).await;
    // Only the emulator's CA: the default roots are off.
    let settings = ConnectionSettings::new()
        .default_roots(false)
        .add_root_certificate_der(emu.tls_ca_der().unwrap());
    let client = HyperClient::builder().connection_settings(settings);
    succeeds(&emu, client, "HTTPS request succeeds").await;
}

#[tokio::test]
async fn a_pem_bundle_with_several_certificates_is_read_whole() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let other = tls_emulator(TlsOptions::new()).await;
    // The right CA second in the bundle.
    let bundle = format!(
        "{}{}",
        other.tls_ca_pem().unwrap(),
        emu.tls_ca_pem().unwrap()
    );
    let client = HyperClient::builder().connection_settings(
        ConnectionSettings::new()
            .default_roots(false)
            .add_root_certificate_pem(bundle),
    );
    succeeds(&emu, client, "HTTPS request succeeds").await;
}

#[tokio::test]
async fn unknown_ca_is_unknown_issuer_and_not_retried() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let kind = tls_failure(&emu, HyperClient::builder()).await;
    assert_eq!(kind, TlsFailure::UnknownIssuer);
    let text = TransportError::Tls {
        kind,
        detail: String::new(),
        source: None,
    }
    .to_string();
    assert!(text.contains("not signed by a trusted CA"), "{text}");
}

#[tokio::test]
async fn wrong_host_name_is_not_valid_for_name() {
    let emu = tls_emulator(TlsOptions::new().server_names(["api.example.com"])).await;
    let client = HyperClient::builder().add_root_certificate_pem(emu.tls_ca_pem().unwrap());
    assert_eq!(tls_failure(&emu, client).await, TlsFailure::NotValidForName);
}

#[tokio::test]
async fn expired_certificate_is_expired() {
    let emu = tls_emulator(TlsOptions::new().expired()).await;
    let client = HyperClient::builder().add_root_certificate_pem(emu.tls_ca_pem().unwrap());
    assert_eq!(tls_failure(&emu, client).await, TlsFailure::Expired);
}

#[tokio::test]
async fn a_certificate_from_the_future_is_not_yet_valid() {
    let now = time::OffsetDateTime::now_utc();
    let emu = tls_emulator(TlsOptions::new().validity(
        now + time::Duration::days(1),
        now + time::Duration::days(30),
    ))
    .await;
    let client = HyperClient::builder().add_root_certificate_pem(emu.tls_ca_pem().unwrap());
    assert_eq!(tls_failure(&emu, client).await, TlsFailure::NotYetValid);
}

#[tokio::test]
async fn mutual_tls_accepts_the_right_client_certificate() {
    let emu = tls_emulator(TlsOptions::new().require_client_certificate(true)).await;
    let (cert, key) = emu.mint_client_identity().unwrap();
    let client = HyperClient::builder()
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .client_identity_pem(cert, key);
    succeeds(&emu, client, "mutual TLS succeeds").await;
}

#[tokio::test]
async fn mutual_tls_without_client_certificate_is_required() {
    let emu = tls_emulator(TlsOptions::new().require_client_certificate(true)).await;
    let client = HyperClient::builder().add_root_certificate_pem(emu.tls_ca_pem().unwrap());
    assert_eq!(
        tls_failure(&emu, client).await,
        TlsFailure::ClientCertificateRequired
    );
}

#[tokio::test]
async fn mutual_tls_with_a_certificate_from_another_ca_is_rejected() {
    let emu = tls_emulator(TlsOptions::new().require_client_certificate(true)).await;
    let stranger = tls_emulator(TlsOptions::new()).await;
    let (cert, key) = stranger.mint_client_identity().unwrap();
    let client = HyperClient::builder()
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .client_identity_pem(cert, key);
    assert_eq!(
        tls_failure(&emu, client).await,
        TlsFailure::ClientCertificateRejected
    );
}

#[tokio::test]
async fn a_given_client_ca_is_accepted_too() {
    let company = tls_emulator(TlsOptions::new()).await;
    let emu = tls_emulator(
        TlsOptions::new()
            .require_client_certificate(true)
            .accept_client_ca_pem(company.tls_ca_pem().unwrap()),
    )
    .await;
    let (cert, key) = company.mint_client_identity().unwrap();
    let client = HyperClient::builder()
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .client_identity_pem(cert, key);
    succeeds(&emu, client, "mutual TLS succeeds").await;
}

#[tokio::test]
async fn the_client_key_never_shows_in_debug() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let (cert, key) = emu.mint_client_identity().unwrap();
    // A line of the key's base64 body: unique to this key.
    let sentinel = key.lines().nth(1).unwrap().to_owned();
    assert!(sentinel.len() > 20);
    let settings = ConnectionSettings::new().client_identity_pem(cert.clone(), key.clone());
    let builder = HyperClient::builder().client_identity_pem(cert, key);
    let client = builder.clone().build().unwrap();
    for text in [
        format!("{settings:?}"),
        format!("{settings:#?}"),
        format!("{builder:?}"),
        format!("{client:?}"),
    ] {
        assert!(!text.contains(&sentinel), "{text}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
    }
}

#[tokio::test]
async fn a_key_that_does_not_match_the_certificate_is_refused_at_build() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let (cert, _) = emu.mint_client_identity().unwrap();
    let (_, other_key) = emu.mint_client_identity().unwrap();
    let err = HyperClient::builder()
        .client_identity_pem(cert.clone(), other_key)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            TransportError::TlsConfig(
                genesys_transport::TlsConfigError::InvalidClientIdentity { .. }
            )
        ),
        "{err:?}"
    );
    // A certificate given where the key should be: no private key found.
    let err = HyperClient::builder()
        .client_identity_pem(cert.clone(), cert)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            TransportError::TlsConfig(genesys_transport::TlsConfigError::NoPrivateKey)
        ),
        "{err:?}"
    );
}
