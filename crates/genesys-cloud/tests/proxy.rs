//! One proxy for API calls, login and the notification WebSocket, against
//! a small `CONNECT` proxy and the emulator serving HTTPS and `wss://`, all
//! on 127.0.0.1; and the `gc` profile's proxy keys.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use futures_util::StreamExt as _;
use genesys_cloud::auth::AuthConfig;
use genesys_cloud::notifications::{ChannelEvent, NotificationError};
use genesys_cloud::{BaseUrl, Client, ConnectionSettings, Environment, Proxy, ProxyFailure};
use genesys_emulator::{TlsOptions, seed};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod common;
use common::{credentials, tls_emulator};

const WAIT: Duration = Duration::from_secs(10);

/// A `CONNECT`-only proxy on 127.0.0.1 recording the targets of its
/// `CONNECT`s and of the tunnels it opened.
struct TestProxy {
    port: u16,
    connects: Arc<Mutex<Vec<String>>>,
    tunnels: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    /// With `basic`, a `CONNECT` without `Proxy-Authorization: Basic
    /// base64(user:pass)` is answered 407.
    async fn start(basic: Option<(&str, &str)>) -> TestProxy {
        TestProxy::refusing(basic, None).await
    }

    /// As [`start`](Self::start), and every `CONNECT` to `refused_host`
    /// (whatever its credentials) is answered 407.
    async fn refusing(basic: Option<(&str, &str)>, refused_host: Option<&str>) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connects = Arc::new(Mutex::new(Vec::new()));
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let expected = basic.map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        let (c, t) = (connects.clone(), tunnels.clone());
        let refused = refused_host.map(|h| format!("{h}:"));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(
                    stream,
                    expected.clone(),
                    refused.clone(),
                    c.clone(),
                    t.clone(),
                ));
            }
        });
        TestProxy {
            port,
            connects,
            tunnels,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn connects(&self) -> Vec<String> {
        self.connects.lock().unwrap().clone()
    }

    fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

async fn serve(
    mut client: TcpStream,
    expected: Option<String>,
    refused_prefix: Option<String>,
    connects: Arc<Mutex<Vec<String>>>,
    tunnels: Arc<Mutex<Vec<String>>>,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) if head.len() < 16 * 1024 => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    if request_line.next() != Some("CONNECT") {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    }
    let target = request_line.next().unwrap_or_default().to_owned();
    connects.lock().unwrap().push(target.clone());
    let auth = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_owned())
    });
    let refused = refused_prefix.is_some_and(|prefix| target.starts_with(&prefix));
    if refused
        || expected
            .as_ref()
            .is_some_and(|expected| auth.as_deref() != Some(expected.as_str()))
    {
        let _ = client
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(&target).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    tunnels.lock().unwrap().push(target);
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_ok()
    {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

#[tokio::test]
async fn login_api_and_websocket_go_through_the_proxy() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::start(Some(("svc", "pw"))).await;
    let client = Client::builder()
        .credentials(&credentials(&emu))
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .proxy(
            Proxy::new(&proxy.url())
                .unwrap()
                .basic_auth("svc", "pw".to_owned())
                .proxy_loopback(true),
        )
        .build()
        .unwrap();
    let me = client
        .tokens()
        .get_tokens_me()
        .await
        .expect("through the proxy");
    assert!(me.organization.is_some(), "{me:?}");
    let emulator = emu.base_url().trim_start_matches("https://").to_owned();
    let before = proxy.tunnels();
    assert!(!before.is_empty());

    let topic = "v2.users.00000000-0000-4000-8000-000000000001.presence";
    let mut stream = client
        .notifications_channel()
        .connect_timeout(Duration::from_secs(5))
        .subscribe_names([topic])
        .await
        .expect("subscribed through the proxy");
    assert_eq!(emu.counters().websocket_connections(), 1);
    let after = proxy.tunnels();
    assert!(
        after.len() > before.len(),
        "the WebSocket tunnel: {after:?}"
    );
    assert!(after.iter().all(|t| *t == emulator), "{after:?}");

    emu.notifications().publish(topic, json!({"n": 7}));
    let item = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event in time")
        .expect("the stream is open")
        .expect("no error");
    match item {
        ChannelEvent::Notification(n) => {
            assert_eq!(serde_json::to_value(&n.event).unwrap()["n"], 7);
        }
        other => panic!("expected a notification, got {other:?}"),
    }
}

#[tokio::test]
async fn a_407_fails_the_login_once_naming_the_proxy() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::start(Some(("svc", "pw"))).await;
    let client = Client::builder()
        .credentials(&credentials(&emu))
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .proxy(Proxy::new(&proxy.url()).unwrap().proxy_loopback(true))
        .build()
        .unwrap();
    let err = client.tokens().get_tokens_me().await.unwrap_err();
    assert_eq!(
        err.proxy_failure(),
        Some(&ProxyFailure::AuthenticationRequired {
            credentials_sent: false
        }),
        "{err:?}"
    );
    assert!(err.to_string().contains("proxy"), "{err}");
    assert_eq!(proxy.connects().len(), 1, "not retried");
    assert!(proxy.tunnels().is_empty());
    assert_eq!(emu.counters().token_requests_total(), 0);
}

#[tokio::test]
async fn a_proxy_refusing_the_websocket_is_a_typed_notification_error() {
    // API calls go to `localhost`, the channel's connectUri to `127.0.0.1`
    // (the emulator's certificate names both); the proxy refuses only the
    // latter, so login and channel creation pass and the socket does not.
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::refusing(
        Some(("svc", "SENTINEL-WS-PROXY-PASSWORD")),
        Some("127.0.0.1"),
    )
    .await;
    let api = emu.base_url().replace("127.0.0.1", "localhost");
    let client = Client::builder()
        .credentials(
            &AuthConfig::new()
                .with_environment(Environment::single(BaseUrl::parse(&api).unwrap()))
                .with_client_credentials(seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET),
        )
        .add_root_certificate_pem(emu.tls_ca_pem().unwrap())
        .proxy(
            Proxy::new(&proxy.url())
                .unwrap()
                .basic_auth("svc", "SENTINEL-WS-PROXY-PASSWORD".to_owned())
                .proxy_loopback(true),
        )
        .build()
        .unwrap();
    let err = client
        .notifications_channel()
        .connect_timeout(Duration::from_secs(5))
        .subscribe_names(["v2.users.00000000-0000-4000-8000-000000000001.presence"])
        .await
        .expect_err("the proxy refuses the socket");
    assert!(
        matches!(err, NotificationError::Proxy { .. }),
        "a proxy error, not a connect error: {err:?} {:?}",
        proxy.connects()
    );
    assert_eq!(
        err.proxy_failure(),
        Some(&ProxyFailure::AuthenticationRequired {
            credentials_sent: true
        })
    );
    let text = err.to_string();
    assert!(text.contains("Genesys was not reached"), "{text}");
    assert!(text.contains("check the proxy user and password"), "{text}");
    assert!(!format!("{text} {err:?}").contains("SENTINEL"), "{text}");
    assert!(!text.contains("/channels/"), "no connectUri path: {text}");
    assert_eq!(emu.counters().websocket_connections(), 0);
    let socket_connects = proxy
        .connects()
        .iter()
        .filter(|t| t.starts_with("127.0.0.1:"))
        .count();
    assert_eq!(socket_connects, 1, "a refusal is not retried");
}

#[tokio::test]
async fn the_gc_profile_proxy_applies_unless_overridden() {
    let profile = AuthConfig::from_gc_toml(
        r#"
        [DEFAULT]
        environment = "mypurecloud.ie"
        client_credentials = "id"
        client_secret = "secret"
        proxy_protocol = "http"
        proxy_host = "proxy.corp.example"
        proxy_port = 3128
        proxy_username = "svc"
        proxy_password = "SENTINEL-PROFILE-PROXY-PASSWORD"
        "#,
        "DEFAULT",
    )
    .unwrap();
    let api: http::Uri = "https://api.mypurecloud.ie/".parse().unwrap();
    let builder = Client::builder().credentials(&profile);
    assert!(!format!("{builder:?} {profile:?}").contains("SENTINEL"));
    let client = builder.build().unwrap();
    let proxy = client.connection_settings().resolved_proxy().unwrap();
    assert!(proxy.has_credentials());
    assert_eq!(
        proxy.proxy_for(&api).unwrap().to_string(),
        "http://proxy.corp.example:3128/"
    );
    assert!(!format!("{client:?} {proxy:?}").contains("SENTINEL"));

    // An explicit proxy wins, and so does "no proxy".
    let client = Client::builder()
        .credentials(&profile)
        .proxy(Proxy::new("http://other.example:8080").unwrap())
        .build()
        .unwrap();
    let proxy = client.connection_settings().resolved_proxy().unwrap();
    assert_eq!(
        proxy.proxy_for(&api).unwrap().to_string(),
        "http://other.example:8080/"
    );
    let client = Client::builder()
        .credentials(&profile)
        .connection_settings(ConnectionSettings::new().no_proxy())
        .build()
        .unwrap();
    assert!(client.connection_settings().resolved_proxy().is_none());
}
