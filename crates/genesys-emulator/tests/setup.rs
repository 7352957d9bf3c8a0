//! Seeding (Rust builder, TOML, JSON), rate limiting, secrets hygiene,
//! shutdown and the binary.

mod common;

use std::time::Duration;

use common::{Http, on_behalf, seed};
use genesys_emulator::{ClockMode, Emulator, EmulatorConfig, EmulatorError, Grant};
use http::{Method, StatusCode};

#[tokio::test]
async fn per_token_rate_limit_with_retry_after() {
    let config = EmulatorConfig::default()
        .with_manual_clock()
        .with_rate_limit(3, Duration::from_secs(60));
    let emu = Emulator::start(config).await.unwrap();
    let http = Http::new(&emu.base_url());
    let a = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let b = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    for i in 1..=3 {
        let r = http.get("/api/v2/tokens/me", &a).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.header("inin-ratelimit-count"),
            Some(i.to_string().as_str())
        );
        assert_eq!(r.header("inin-ratelimit-allowed"), Some("3"));
    }
    emu.clock().advance(Duration::from_secs(20));
    let r = http.get("/api/v2/tokens/me", &a).await;
    let e = r.assert_error(429, "too.many.requests");
    assert_eq!(r.header("retry-after"), Some("40"));
    assert_eq!(
        e.message.as_deref(),
        Some("Rate limit exceeded the maximum [3] requests within [60] seconds")
    );
    // Budgets are per token.
    assert_eq!(
        http.get("/api/v2/tokens/me", &b).await.status,
        StatusCode::OK
    );
    assert_eq!(emu.counters().rate_limited(), 1);
    // The window resets.
    emu.clock().advance(Duration::from_secs(40));
    assert_eq!(
        http.get("/api/v2/tokens/me", &a).await.status,
        StatusCode::OK
    );
    // The login service is not rate limited.
    for _ in 0..5 {
        http.cc_token().await;
    }
}

const TOML_SEED: &str = r#"
token_lifetime_secs = 120
clock = "manual"

conversation_history = 500

[organization]
id = "11111111-1111-4111-8111-111111111111"
name = "acme"

[[roles]]
name = "dialer"
permissions = ["conversation:call:add"]

[[users]]
id = "22222222-2222-4222-8222-222222222222"
name = "Ada"
email = "ada@acme.invalid"
station = true
roles = ["dialer"]

[[clients]]
id = "acme-client"
secret = "acme-secret"
grants = ["client_credentials"]
roles = ["dialer"]

[rate_limit]
requests = 100
window_secs = 60
"#;

#[tokio::test]
async fn toml_seed_file() {
    let dir = std::env::temp_dir().join(format!("genesys-emulator-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seed.toml");
    std::fs::write(&path, TOML_SEED).unwrap();
    let config = EmulatorConfig::from_file(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(config.clock, ClockMode::Manual);
    assert_eq!(config.token_lifetime, Duration::from_secs(120));
    assert_eq!(config.rate_limit.unwrap().requests, 100);
    assert_eq!(config.conversation_history, 500);

    let emu = Emulator::start(config).await.unwrap();
    let http = Http::new(&emu.base_url());
    let r = http
        .token(
            Some(("acme-client", "acme-secret")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["expires_in"], 120);
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let info = http.get("/api/v2/tokens/me", &token).await.json();
    assert_eq!(info["organization"]["name"], "acme");
    let r = http
        .post_json(
            &on_behalf("22222222-2222-4222-8222-222222222222"),
            &token,
            common::PHONE_BODY,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The default seed's clients were replaced.
    let r = http
        .token(
            Some((seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    r.assert_oauth_error(401, "invalid_client");
}

#[tokio::test]
async fn json_seed_keeps_defaults_for_missing_keys() {
    let config = EmulatorConfig::from_json_str(
        r#"{"users": [{"id": "u1", "name": "U", "email": "u@x.invalid", "station": true,
             "roles": ["emulator-agent"]}],
            "authorize_user": "u1",
            "call_timings": {"dialing_secs": 0.5, "contacting_secs": 1}}"#,
    )
    .unwrap();
    assert_eq!(config.clients, EmulatorConfig::default().clients);
    assert_eq!(config.call_timings.dialing, Duration::from_millis(500));
    let emu = Emulator::start(config).await.unwrap();
    let http = Http::new(&emu.base_url());
    let token = emu.user_token("u1");
    let r = http
        .post_json(common::CALLS, &token, common::PHONE_BODY)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[test]
fn invalid_configs_are_rejected() {
    let unknown_role = EmulatorConfig::from_toml_str(
        "[[users]]\nid = \"u\"\nname = \"n\"\nemail = \"e\"\nroles = [\"ghost\"]\n",
    );
    assert!(matches!(unknown_role, Err(EmulatorError::Config(m)) if m.contains("ghost")));
    let unknown_key = EmulatorConfig::from_toml_str("colour = \"blue\"\n");
    assert!(matches!(unknown_key, Err(EmulatorError::Config(_))));
    let bad_grant = EmulatorConfig::from_json_str(
        r#"{"clients":[{"id":"c","secret":"s","grants":["password"]}]}"#,
    );
    assert!(bad_grant.is_err());
    let duplicate = EmulatorConfig::default().with_user(common_user(seed::DEFAULT_USER_ID));
    assert!(duplicate.validate().is_err());
    let bad_authorize = EmulatorConfig::default().with_authorize_user("nobody");
    assert!(bad_authorize.validate().is_err());
}

fn common_user(id: &str) -> genesys_emulator::UserSeed {
    genesys_emulator::UserSeed::new(id, "dup", "dup@x.invalid")
}

#[tokio::test]
async fn invalid_config_fails_to_start() {
    let config = EmulatorConfig::default().with_token_lifetime(Duration::ZERO);
    assert!(Emulator::start(config).await.is_err());
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    let config = EmulatorConfig::default();
    let debug = format!("{config:?}");
    for secret in [
        seed::DEFAULT_CLIENT_SECRET,
        seed::NO_PERMISSION_CLIENT_SECRET,
        seed::USER_CLIENT_SECRET,
    ] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(debug.contains(seed::DEFAULT_CLIENT_ID));
    let emu = Emulator::start(config).await.unwrap();
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let debug = format!("{emu:?}");
    assert!(!debug.contains(&token));
    assert!(!debug.contains(seed::DEFAULT_CLIENT_SECRET));
}

#[tokio::test]
async fn default_seed_matches_documented_constants() {
    let config = EmulatorConfig::default();
    assert_eq!(config.organization.id, seed::DEFAULT_ORG_ID);
    let cc = config
        .clients
        .iter()
        .find(|c| c.id == seed::DEFAULT_CLIENT_ID)
        .unwrap();
    assert_eq!(cc.secret, seed::DEFAULT_CLIENT_SECRET);
    assert!(cc.allows(Grant::ClientCredentials));
    let user_client = config
        .clients
        .iter()
        .find(|c| c.id == seed::USER_CLIENT_ID)
        .unwrap();
    for grant in [
        Grant::AuthorizationCode,
        Grant::RefreshToken,
        Grant::Saml2Bearer,
    ] {
        assert!(user_client.allows(grant));
    }
    assert_eq!(user_client.redirect_uris, [seed::DEFAULT_REDIRECT_URI]);
    let users: Vec<(&str, bool)> = config
        .users
        .iter()
        .map(|u| (u.id.as_str(), u.station))
        .collect();
    assert_eq!(
        users,
        [
            (seed::DEFAULT_USER_ID, true),
            (seed::NO_STATION_USER_ID, false)
        ]
    );
    config.validate().unwrap();
}

#[tokio::test]
async fn dropping_the_emulator_stops_the_server() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let addr = emu.local_addr();
    let http = Http::new(&emu.base_url());
    assert_eq!(
        http.send(Method::GET, "/api/v2/users/me", &[], "")
            .await
            .status,
        401
    );
    drop(emu);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let addr = emu.local_addr();
    emu.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[cfg(feature = "cli")]
#[tokio::test]
async fn binary_prints_base_url_and_credentials() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_genesys-emulator"))
        .args(["--port", "0", "--json", "--exit-on-stdin-close"])
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::{AsyncBufReadExt as _, BufReader};
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let banner: serde_json::Value = serde_json::from_str(&line).unwrap();
    let base = banner["base_url"].as_str().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"));
    let client = &banner["clients"][0];
    assert_eq!(client["id"], seed::DEFAULT_CLIENT_ID);
    assert_eq!(client["secret"], seed::DEFAULT_CLIENT_SECRET);
    let http = Http::new(base);
    http.cc_token().await;
    // Closing stdin stops it.
    drop(child.stdin.take());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}
