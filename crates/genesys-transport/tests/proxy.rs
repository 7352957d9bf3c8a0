//! HTTP proxies end to end: a small `CONNECT` proxy on 127.0.0.1 (written
//! here, counting its tunnels, optionally requiring `Basic` credentials)
//! in front of the emulator serving HTTPS. Covers the tunnel, the loopback
//! rule and `NO_PROXY`, proxy authentication (accepted, and 407 as a typed
//! error that is not retried), an `https://` proxy reached over TLS, the
//! environment through an injectable lookup, and that the proxy password
//! and the token are never printed.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use common::{RecordingSleeper, tls_emulator, users_me};
use genesys_emulator::{Emulator, TlsOptions, seed};
use genesys_transport::{
    BaseUrl, ConnectionSettings, HyperClient, Proxy, ProxyFailure, RetryPolicy, StopReason,
    Transport, TransportError,
};
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SENTINEL_PASSWORD: &str = "SENTINEL-PROXY-PASSWORD-93117";

/// What the test proxy saw.
#[derive(Default)]
struct Seen {
    /// Every `CONNECT` target, refused ones included.
    connects: Vec<String>,
    /// Targets of tunnels opened (answered 200).
    tunnels: Vec<String>,
}

/// A `CONNECT`-only proxy on 127.0.0.1.
struct TestProxy {
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

impl TestProxy {
    /// Starts the proxy; with `credentials`, a `CONNECT` without the
    /// matching `Proxy-Authorization: Basic` header is answered 407.
    async fn start(credentials: Option<(&str, &str)>) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let expected = credentials.map(|(user, pass)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
            )
        });
        let state = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, expected.clone(), state.clone()));
            }
        });
        TestProxy { port, seen }
    }

    /// The same proxy behind TLS (an `https://` proxy URL), with a
    /// certificate for 127.0.0.1 from a CA made here; returns the proxy and
    /// that CA's PEM.
    async fn start_tls() -> (TestProxy, String) {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

        let mut ca_params = CertificateParams::default();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, state) = (acceptor.clone(), state.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        serve(tls, None, state).await;
                    }
                });
            }
        });
        (TestProxy { port, seen }, ca.pem())
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn connects(&self) -> Vec<String> {
        self.seen.lock().unwrap().connects.clone()
    }

    fn tunnels(&self) -> Vec<String> {
        self.seen.lock().unwrap().tunnels.clone()
    }
}

/// Serves one proxy connection: reads the `CONNECT` head, checks the
/// credentials, answers, then copies bytes both ways.
async fn serve<S>(mut client: S, expected: Option<String>, seen: Arc<Mutex<Seen>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
        if head.len() > 16 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "CONNECT" {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    }
    seen.lock().unwrap().connects.push(target.to_owned());
    let auth = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_owned())
    });
    if let Some(expected) = expected
        && auth.as_deref() != Some(expected.as_str())
    {
        let _ = client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
            )
            .await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    seen.lock().unwrap().tunnels.push(target.to_owned());
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// Settings trusting the emulator's CA and using `proxy`.
fn settings(emu: &Emulator, proxy: Option<Proxy>) -> ConnectionSettings {
    let settings = ConnectionSettings::new().add_root_certificate_pem(emu.tls_ca_pem().unwrap());
    match proxy {
        Some(proxy) => settings.proxy(proxy),
        None => settings.no_proxy(),
    }
}

/// A transport to `base` (the emulator's URL unless given) retrying
/// connect failures up to 4 attempts, so that a retried failure would show.
fn transport(
    emu: &Emulator,
    settings: ConnectionSettings,
    base: Option<String>,
    sleeper: &RecordingSleeper,
) -> Transport {
    let client = HyperClient::builder()
        .connection_settings(settings)
        .build()
        .expect("client builds");
    Transport::builder()
        .base_url(BaseUrl::parse(&base.unwrap_or_else(|| emu.base_url())).unwrap())
        .http_client(client)
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

fn emulator_authority(emu: &Emulator) -> String {
    emu.base_url().trim_start_matches("https://").to_owned()
}

#[tokio::test]
async fn https_request_goes_through_the_proxy_tunnel() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::start(None).await;
    let settings = settings(
        &emu,
        Some(Proxy::new(&proxy.url()).unwrap().proxy_loopback(true)),
    );
    let sleeper = RecordingSleeper::default();
    let t = transport(&emu, settings, None, &sleeper);
    let response = t.send(users_me(&emu)).await.expect("through the proxy");
    assert_eq!(response.status(), StatusCode::OK);
    // A second request reuses the pooled tunnel.
    let response = t.send(users_me(&emu)).await.expect("again");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(proxy.tunnels(), vec![emulator_authority(&emu)]);
    assert_eq!(emu.tls_connections(), 1);
}

#[tokio::test]
async fn an_https_proxy_is_reached_over_tls_trusting_the_same_roots() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let (proxy, proxy_ca) = TestProxy::start_tls().await;
    let url = format!("https://127.0.0.1:{}", proxy.port);
    let sleeper = RecordingSleeper::default();

    // The proxy's CA added to the roots: TLS to the proxy, then TLS to the
    // emulator inside the tunnel.
    let trusted = settings(&emu, Some(Proxy::new(&url).unwrap().proxy_loopback(true)))
        .add_root_certificate_pem(proxy_ca);
    let t = transport(&emu, trusted, None, &sleeper);
    let response = t.send(users_me(&emu)).await.expect("through the TLS proxy");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(proxy.tunnels(), vec![emulator_authority(&emu)]);

    // Without it the proxy's certificate is not trusted: a proxy failure
    // (Genesys never reached) that names the TLS cause, not retried.
    let untrusted = settings(&emu, Some(Proxy::new(&url).unwrap().proxy_loopback(true)));
    let t = transport(&emu, untrusted, None, &sleeper);
    let err = t.send(users_me(&emu)).await.unwrap_err();
    match err.transport_error() {
        Some(TransportError::Proxy { kind, .. }) => {
            assert_eq!(
                *kind,
                ProxyFailure::Tls(genesys_transport::TlsFailure::UnknownIssuer),
                "{err}"
            );
        }
        other => panic!("expected a proxy error, got {other:?}"),
    }
    assert_eq!(err.attempts(), 1, "{err}");
    assert!(
        err.to_string().contains("TLS handshake with the proxy"),
        "{err}"
    );
    assert_eq!(proxy.tunnels().len(), 1, "no tunnel without trust");
}

#[tokio::test]
async fn loopback_is_reached_directly_by_default() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::start(None).await;
    let settings = settings(&emu, Some(Proxy::new(&proxy.url()).unwrap()));
    let sleeper = RecordingSleeper::default();
    let response = transport(&emu, settings, None, &sleeper)
        .send(users_me(&emu))
        .await
        .expect("direct");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(proxy.connects().is_empty(), "{:?}", proxy.connects());
}

#[tokio::test]
async fn no_proxy_list_bypasses_the_proxy() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::start(None).await;
    let settings = settings(
        &emu,
        Some(
            Proxy::new(&proxy.url())
                .unwrap()
                .proxy_loopback(true)
                .bypass("example.com, 127.0.0.0/8"),
        ),
    );
    let sleeper = RecordingSleeper::default();
    let response = transport(&emu, settings, None, &sleeper)
        .send(users_me(&emu))
        .await
        .expect("direct");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(proxy.connects().is_empty(), "{:?}", proxy.connects());
}

#[tokio::test]
async fn proxy_credentials_are_sent_and_accepted() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::start(Some(("svc", "p@ss:word"))).await;
    // In the URL (percent-encoded) ...
    let url = format!("http://svc:p%40ss%3Aword@127.0.0.1:{}", proxy.port);
    let settings_url = settings(&emu, Some(Proxy::new(&url).unwrap().proxy_loopback(true)));
    let sleeper = RecordingSleeper::default();
    let response = transport(&emu, settings_url, None, &sleeper)
        .send(users_me(&emu))
        .await
        .expect("credentials from the URL");
    assert_eq!(response.status(), StatusCode::OK);
    // ... or with basic_auth.
    let settings_auth = settings(
        &emu,
        Some(
            Proxy::new(&proxy.url())
                .unwrap()
                .basic_auth("svc", "p@ss:word".to_owned())
                .proxy_loopback(true),
        ),
    );
    let response = transport(&emu, settings_auth, None, &sleeper)
        .send(users_me(&emu))
        .await
        .expect("credentials from basic_auth");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(proxy.tunnels().len(), 2);
}

/// Sends through a proxy answering 407 and returns the error, checking it
/// took one attempt and reached neither a tunnel nor the emulator.
async fn refused_by_proxy(emu: &Emulator, proxy: &TestProxy, config: Proxy) -> TransportError {
    let sleeper = RecordingSleeper::default();
    let err = transport(emu, settings(emu, Some(config)), None, &sleeper)
        .send(users_me(emu))
        .await
        .expect_err("the proxy refuses");
    assert_eq!(err.attempts(), 1, "{err}");
    assert_eq!(err.stop_reason(), StopReason::NotRetryable, "{err}");
    assert!(sleeper.sleeps().is_empty());
    assert!(proxy.tunnels().is_empty());
    assert_eq!(emu.counters().requests_total(), 0);
    err.transport_error()
        .expect("a transport error")
        .clone_for_test()
}

/// `TransportError` is not `Clone`; rebuild the parts the tests check.
trait CloneForTest {
    fn clone_for_test(&self) -> TransportError;
}

impl CloneForTest for TransportError {
    fn clone_for_test(&self) -> TransportError {
        match self {
            TransportError::Proxy {
                proxy,
                kind,
                detail,
                ..
            } => TransportError::Proxy {
                proxy: proxy.clone(),
                kind: kind.clone(),
                detail: detail.clone(),
                source: None,
            },
            other => TransportError::Other {
                detail: format!("{other:?}"),
                source: None,
            },
        }
    }
}

#[tokio::test]
async fn proxy_407_is_a_typed_error_and_not_retried() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::start(Some(("svc", "right"))).await;
    let wrong = Proxy::new(&proxy.url())
        .unwrap()
        .basic_auth("svc", SENTINEL_PASSWORD.to_owned())
        .proxy_loopback(true);
    let err = refused_by_proxy(&emu, &proxy, wrong).await;
    let TransportError::Proxy {
        proxy: at, kind, ..
    } = &err
    else {
        panic!("not a proxy error: {err:?}");
    };
    assert_eq!(at, &format!("127.0.0.1:{}", proxy.port));
    assert_eq!(
        kind,
        &ProxyFailure::AuthenticationRequired {
            credentials_sent: true
        }
    );
    let text = err.to_string();
    assert!(text.contains("proxy"), "{text}");
    assert!(text.contains("did not reach Genesys"), "{text}");
    assert!(text.contains("407"), "{text}");
    assert!(
        !format!("{text} {err:?}").contains(SENTINEL_PASSWORD),
        "{text}"
    );
    assert_eq!(proxy.connects().len(), 1, "one CONNECT, no retry");

    // Without credentials the error says none were configured.
    let none = Proxy::new(&proxy.url()).unwrap().proxy_loopback(true);
    let err = refused_by_proxy(&emu, &proxy, none).await;
    assert_eq!(
        err.proxy_failure(),
        Some(&ProxyFailure::AuthenticationRequired {
            credentials_sent: false
        })
    );
    assert!(err.to_string().contains("no credentials"), "{err}");
}

#[tokio::test]
async fn unreachable_proxy_is_retried_as_a_connect_failure() {
    let emu = tls_emulator(TlsOptions::new()).await;
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let config = Proxy::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .proxy_loopback(true);
    let sleeper = RecordingSleeper::default();
    let err = transport(&emu, settings(&emu, Some(config)), None, &sleeper)
        .send(users_me(&emu))
        .await
        .expect_err("no proxy there");
    let transport_err = err.transport_error().expect("transport error");
    assert_eq!(
        transport_err.proxy_failure(),
        Some(&ProxyFailure::Unreachable),
        "{err:?}"
    );
    assert!(transport_err.request_never_sent());
    assert_eq!(err.attempts(), 4, "{err}");
    assert_eq!(emu.counters().requests_total(), 0);
}

#[tokio::test]
async fn environment_lookup_drives_the_proxy() {
    let emu = tls_emulator(TlsOptions::new()).await;
    let proxy = TestProxy::start(None).await;
    let proxy_url = proxy.url();
    let localhost = emu.base_url().replace("127.0.0.1", "localhost");

    // HTTPS_PROXY is used for https targets; HTTP_PROXY is not.
    let env = Proxy::from_lookup(|name| match name {
        "HTTPS_PROXY" => Some(proxy_url.clone()),
        "HTTP_PROXY" => Some("http://127.0.0.1:9".to_owned()),
        "NO_PROXY" => Some("example.com".to_owned()),
        _ => None,
    })
    .expect("a proxy from the lookup")
    .proxy_loopback(true);
    let sleeper = RecordingSleeper::default();
    let response = transport(
        &emu,
        settings(&emu, Some(env)),
        Some(localhost.clone()),
        &sleeper,
    )
    .send(users_me(&emu))
    .await
    .expect("through HTTPS_PROXY");
    assert_eq!(response.status(), StatusCode::OK);
    let port = emu.base_url().rsplit(':').next().unwrap().to_owned();
    assert_eq!(proxy.tunnels(), vec![format!("localhost:{port}")]);

    // NO_PROXY (lower case here) matches the host and its subdomains.
    let env = Proxy::from_lookup(|name| match name {
        "https_proxy" => Some(proxy_url.clone()),
        "no_proxy" => Some(".localhost".to_owned()),
        _ => None,
    })
    .expect("a proxy from the lookup")
    .proxy_loopback(true);
    let response = transport(&emu, settings(&emu, Some(env)), Some(localhost), &sleeper)
        .send(users_me(&emu))
        .await
        .expect("direct by NO_PROXY");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(proxy.connects().len(), 1, "no second tunnel");
}

#[tokio::test(flavor = "current_thread")]
async fn proxy_password_and_token_are_never_printed() {
    let (captured, _guard) = common::capture_tracing();
    let emu = tls_emulator(TlsOptions::new()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let proxy = TestProxy::start(Some(("svc", SENTINEL_PASSWORD))).await;
    let url = format!("http://svc:{SENTINEL_PASSWORD}@127.0.0.1:{}", proxy.port);
    let good = Proxy::new(&url).unwrap().proxy_loopback(true);
    let good_settings = settings(&emu, Some(good.clone()));
    let builder = HyperClient::builder().connection_settings(good_settings.clone());
    let sleeper = RecordingSleeper::default();
    let t = transport(&emu, good_settings.clone(), None, &sleeper);
    let response = t.send(users_me(&emu)).await.expect("accepted");
    assert_eq!(response.status(), StatusCode::OK);

    let bad = Proxy::new(&format!(
        "http://svc:wrong-{SENTINEL_PASSWORD}@127.0.0.1:{}",
        proxy.port
    ))
    .unwrap()
    .proxy_loopback(true);
    let err = transport(&emu, settings(&emu, Some(bad.clone())), None, &sleeper)
        .send(users_me(&emu))
        .await
        .expect_err("407");

    let printed = format!(
        "{good:?} {good:#?} {bad:?} {good_settings:?} {builder:?} {t:?} {err} {err:?} {}",
        captured.text()
    );
    assert!(!printed.contains(SENTINEL_PASSWORD), "{printed}");
    assert!(!printed.contains(&token), "the token was printed");
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("svc:{SENTINEL_PASSWORD}"));
    assert!(!printed.contains(&basic), "the Basic header was printed");
    assert!(
        captured.text().contains("CONNECT"),
        "the capture works: {}",
        captured.text()
    );
}
