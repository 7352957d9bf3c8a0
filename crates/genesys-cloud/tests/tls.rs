//! One set of TLS settings for API calls, login and the notification
//! WebSocket, against the emulator serving HTTPS and `wss://` on 127.0.0.1.

use std::time::Duration;

use futures_util::StreamExt as _;
use genesys_cloud::notifications::{ChannelEvent, NotificationError};
use genesys_cloud::{BaseUrl, Client, ConnectionSettings, RetryPolicy, TlsFailure};
use genesys_emulator::{Grant, TlsOptions, seed};
use serde_json::json;

mod common;
use common::{credentials, tls_emulator};

const WAIT: Duration = Duration::from_secs(10);

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

#[tokio::test]
async fn login_api_and_websocket_share_the_custom_ca_pem() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let client = Client::builder()
        .credentials(&credentials(&emu))
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .build()
        .unwrap();
    assert!(client.base_url().as_str().starts_with("https://"));

    // Login (client credentials at /oauth/token) and the API call, over TLS.
    let me = client
        .tokens()
        .get_tokens_me()
        .await
        .expect("tokens/me over TLS");
    assert!(me.organization.is_some(), "{me:?}");
    assert_eq!(emu.counters().token_requests(Grant::ClientCredentials), 1);

    // The notification channel: created over HTTPS, connected over wss://
    // with the same settings.
    let topic = "v2.users.00000000-0000-4000-8000-000000000001.presence";
    let mut stream = client
        .notifications_channel()
        .connect_timeout(Duration::from_secs(5))
        .subscribe_names([topic])
        .await
        .expect("subscribed over wss");
    assert_eq!(emu.counters().websocket_connections(), 1);
    emu.notifications().publish(topic, json!({"n": 42}));
    let item = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event in time")
        .expect("the stream is open")
        .expect("no error");
    match item {
        ChannelEvent::Notification(n) => {
            assert_eq!(serde_json::to_value(&n.event).unwrap()["n"], 42);
        }
        other => panic!("expected a notification, got {other:?}"),
    }
}

#[tokio::test]
async fn der_root_and_client_certificate_for_everything() {
    let emu = tls_emulator(TlsOptions::new().require_client_certificate(true)).await;
    let (cert, key) = emu.mint_client_identity().unwrap();
    let client = Client::builder()
        .credentials(&credentials(&emu))
        .connection_settings(
            ConnectionSettings::new()
                .default_roots(false)
                .add_root_certificate_der(emu.tls_ca_der().unwrap())
                .client_identity_pem(cert, key),
        )
        .build()
        .unwrap();
    client.tokens().get_tokens_me().await.expect("mutual TLS");
    let topic = "v2.users.00000000-0000-4000-8000-000000000001.presence";
    client
        .notifications_channel()
        .connect_timeout(Duration::from_secs(5))
        .subscribe_names([topic])
        .await
        .expect("subscribed over wss with a client certificate");
    assert_eq!(emu.counters().websocket_connections(), 1);
}

#[tokio::test]
async fn an_unknown_ca_fails_the_login_with_unknown_issuer_once() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let client = Client::builder()
        .credentials(&credentials(&emu))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err = client.tokens().get_tokens_me().await.unwrap_err();
    assert_eq!(
        err.tls_failure(),
        Some(&TlsFailure::UnknownIssuer),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("not signed by a trusted CA"),
        "{err}"
    );
    assert_eq!(emu.tls_connections(), 1, "not retried");
    assert_eq!(emu.counters().token_requests_total(), 0);
}

#[tokio::test]
async fn an_api_call_to_an_expired_certificate_is_expired_and_not_retried() {
    let emu = tls_emulator(TlsOptions::new().expired()).await;
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let client = Client::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .token_source(genesys_cloud::auth::AccessToken::new(token))
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err = client.tokens().get_tokens_me().await.unwrap_err();
    assert_eq!(err.tls_failure(), Some(&TlsFailure::Expired), "{err:?}");
    assert_eq!(
        err.stop_reason(),
        Some(genesys_cloud::StopReason::NotRetryable)
    );
    assert_eq!(emu.tls_connections(), 1, "not retried");
}

#[tokio::test]
async fn the_websocket_reports_a_tls_failure_by_kind() {
    // API calls go through a custom HTTP client that trusts the emulator;
    // the WebSocket uses the client's TLS settings, which do not.
    let emu = tls_emulator(TlsOptions::new()).await;
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let http = genesys_transport::HyperClient::builder()
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .build()
        .unwrap();
    let client = Client::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .token_source(genesys_cloud::auth::AccessToken::new(token))
        .http_client(genesys_transport::SharedHttpClient::new(http))
        .build()
        .unwrap();
    client
        .tokens()
        .get_tokens_me()
        .await
        .expect("REST trusts the CA");
    let err = client
        .notifications_channel()
        .connect_timeout(Duration::from_secs(5))
        .subscribe_names(["v2.users.00000000-0000-4000-8000-000000000001.presence"])
        .await
        .expect_err("the WebSocket does not trust the CA");
    match &err {
        NotificationError::Tls { kind, uri, .. } => {
            assert_eq!(kind, &TlsFailure::UnknownIssuer);
            assert!(uri.starts_with("wss://127.0.0.1:"), "{uri}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert!(
        err.to_string().contains("not signed by a trusted CA"),
        "{err}"
    );
    assert_eq!(emu.counters().websocket_connections(), 0);
}

#[tokio::test]
async fn bad_pem_fails_the_build_with_a_named_input() {
    let err = Client::builder()
        .token_source(genesys_cloud::auth::AccessToken::new("t".to_owned()))
        .add_root_certificate_pem(&b"this is not a certificate"[..])
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("root certificate PEM #1"), "{text}");
    assert!(
        matches!(
            err,
            genesys_cloud::BuildError::Transport(genesys_transport::TransportError::TlsConfig(
                genesys_cloud::TlsConfigError::NoCertificate { .. }
            ))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_client_key_never_shows_in_the_builders_debug() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let (cert, key) = emu.mint_client_identity().unwrap();
    let sentinel = key.lines().nth(1).unwrap().to_owned();
    let builder = Client::builder()
        .credentials(&credentials(&emu))
        .client_identity_pem(cert, key);
    let text = format!("{builder:?}");
    assert!(!text.contains(&sentinel), "{text}");
    let client = builder.build().unwrap();
    let text = format!("{client:?} {:?}", client.connection_settings());
    assert!(!text.contains(&sentinel), "{text}");
}
