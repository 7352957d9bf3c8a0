//! The `genesys` binary end to end, against emulators on 127.0.0.1 only.

use std::process::Output;

use genesys_emulator::{ClientSeed, Emulator, EmulatorConfig, TlsOptions, seed};

mod common;
use common::{against_args, isolated, text};

/// Runs `genesys` with no credentials from the environment, a profile or a
/// stored login.
async fn genesys(args: &[&str]) -> Output {
    let home = tempfile_home();
    isolated(&home, &home.join("no-login-store"), args)
        .output()
        .await
        .expect("the genesys binary runs")
}

/// An empty home directory, so no `~/.gc/config.toml` is found.
fn tempfile_home() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("genesys-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn against(emu: &Emulator, client: (&str, &str), args: &[&str]) -> Output {
    let all = against_args(emu, client, args);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    genesys(&all).await
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_credentials_call_runs_the_whole_flow_on_the_embedded_emulator() {
    let out = genesys(&["call", "+15550123", "--timeout", "20"]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains("embedded emulator at http://127.0.0.1:"),
        "{stderr}"
    );
    // It explains why postConversationsCalls is not used, and what is.
    assert!(stderr.contains("needs a user context"), "{stderr}");
    assert!(
        stdout.contains("placed with postConversationsCallsUserUserId"),
        "{stdout}"
    );
    // Followed by the call's notification events, not by polling.
    assert!(stdout.contains("Connected  (event)"), "{stdout}");
    assert!(
        !stderr.contains(seed::DEFAULT_CLIENT_SECRET),
        "secrets stay out of output"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn call_whoami_and_doctor_against_a_running_emulator() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = (seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);

    let out = against(
        &emu,
        client,
        &[
            "call",
            "+15550123",
            "--on-behalf-of",
            seed::DEFAULT_USER_ID,
            "--attribute",
            "crm=42",
            "--no-follow",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("conversation "),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(emu.counters().calls_created(), 1);
    assert!(!text(&out.stderr).contains("embedded emulator"));

    let out = against(&emu, client, &["whoami"]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "principal:    OAuth client {}",
            seed::DEFAULT_CLIENT_ID
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("grant:        CLIENT-CREDENTIALS"),
        "{stdout}"
    );
    assert!(stdout.contains("scopes:"), "{stdout}");

    let out = against(&emu, client, &["doctor", "postConversationsCalls"]).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("NO: postConversationsCalls"), "{stdout}");
    assert!(
        stdout.contains("Fix: call postConversationsCallsUserUserId"),
        "{stdout}"
    );

    let out = against(
        &emu,
        client,
        &["doctor", "postConversationsCallsUserUserId"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("OK: this token can call"));

    // Doctor sends nothing but token requests: still one call created.
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn mistakes_get_clear_errors() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let out = against(
        &emu,
        (seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET),
        &["doctor", "postConversationCalls"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("did you mean postConversationsCalls"),
        "{}",
        text(&out.stderr)
    );

    let out = against(&emu, (seed::DEFAULT_CLIENT_ID, "wrong-secret"), &["whoami"]).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(!stderr.contains("wrong-secret"), "{stderr}");

    let out = against(
        &emu,
        (seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET),
        &["call", "+15550123"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--on-behalf-of"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(emu.counters().calls_created(), 0);
}

/// `-vv` shows each request the SDK makes (what support asks for: method,
/// path template, status, attempt, duration, correlation id) and the token
/// fetch, on stderr; the client secret and the token never appear.
#[tokio::test(flavor = "multi_thread")]
async fn very_verbose_shows_requests_and_token_fetches_but_never_secrets() {
    let secret = "sentinel-secret-0b5e7c1d";
    let client_id = "00000000-0000-4000-8000-00000000c0ff";
    let emu = Emulator::start(EmulatorConfig::default().with_client(
        ClientSeed::client_credentials(client_id, secret).with_role(seed::CALLER_ROLE),
    ))
    .await
    .unwrap();
    // A proxy with a password is configured too (loopback is reached
    // directly, so it is only parsed and carried): it must not show either.
    let proxy_password = "sentinel-proxy-password-5d1e";
    let proxy = format!("http://svc:{proxy_password}@proxy.corp.example:3128");
    let out = against(
        &emu,
        (client_id, secret),
        &["-vv", "--proxy", &proxy, "whoami"],
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!stderr.contains(proxy_password), "{stderr}");
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(client_id),
        "the result still goes to stdout: {stdout}"
    );
    for shown in [
        "genesys.request",
        "method=GET",
        "path=/api/v2/tokens/me",
        "status=200",
        "attempt=1",
        "duration_ms=",
        "correlation_id=",
        "the token endpoint answered",
    ] {
        assert!(stderr.contains(shown), "`{shown}` missing from:\n{stderr}");
    }
    assert!(!stderr.contains(secret), "{stderr}");
    assert!(!stderr.contains("Bearer"), "{stderr}");

    // A token given on the command line is not shown either.
    let token = emu.client_credentials_token(client_id);
    let base_url = emu.base_url();
    let with_token = genesys(&[
        "--base-url",
        &base_url,
        "--access-token",
        &token,
        "-vv",
        "whoami",
    ])
    .await;
    let token_err = text(&with_token.stderr);
    assert!(with_token.status.success(), "{token_err}");
    assert!(token_err.contains("path=/api/v2/tokens/me"), "{token_err}");
    assert!(!token_err.contains(&token), "{token_err}");

    // Without -v nothing is logged; RUST_LOG alone turns logging on.
    let quiet = against(&emu, (client_id, secret), &["whoami"]).await;
    assert!(
        !text(&quiet.stderr).contains("genesys.request"),
        "{}",
        text(&quiet.stderr)
    );
    let home = tempfile_home();
    let args = against_args(&emu, (client_id, secret), &["whoami"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let traced = isolated(&home, &home.join("no-login-store"), &args)
        .env("RUST_LOG", "genesys_transport=debug")
        .output()
        .await
        .unwrap();
    let traced_err = text(&traced.stderr);
    assert!(
        traced_err.contains("path=/api/v2/tokens/me"),
        "{traced_err}"
    );
    assert!(!traced_err.contains(secret), "{traced_err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_flags_reach_the_login_the_api_and_the_notification_socket() {
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_call_timings(
                std::time::Duration::from_millis(100),
                std::time::Duration::from_millis(100),
            )
            .with_tls(TlsOptions::new().require_client_certificate(true)),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = emu.mint_client_identity().unwrap();
    let ca_file = dir.path().join("company-ca.pem");
    let cert_file = dir.path().join("client.pem");
    let key_file = dir.path().join("client-key.pem");
    std::fs::write(&ca_file, emu.tls_ca_pem().unwrap()).unwrap();
    std::fs::write(&cert_file, cert).unwrap();
    std::fs::write(&key_file, key).unwrap();
    let (ca, cert, key) = (
        ca_file.to_str().unwrap(),
        cert_file.to_str().unwrap(),
        key_file.to_str().unwrap(),
    );
    let client = (seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let tls = ["--ca-cert", ca, "--client-cert", cert, "--client-key", key];

    // Login, introspection and the API over mutual TLS.
    let out = against(&emu, client, &[&tls[..], &["whoami"]].concat()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("CLIENT-CREDENTIALS"));

    // A call followed by its notification events, over wss:// with the
    // same settings.
    let call = [
        "call",
        "+15550123",
        "--on-behalf-of",
        seed::DEFAULT_USER_ID,
        "--timeout",
        "20",
    ];
    let out = against(&emu, client, &[&tls[..], &call[..]].concat()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(emu.counters().websocket_connections(), 1);

    // Without the company CA: refused, naming the cause and the flag.
    let out = against(
        &emu,
        client,
        &["--client-cert", cert, "--client-key", key, "whoami"],
    )
    .await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("not signed by a trusted CA"), "{stderr}");
    assert!(stderr.contains("--ca-cert"), "{stderr}");

    // Without the client certificate: refused by the server, and said so.
    let out = against(&emu, client, &["--ca-cert", ca, "whoami"]).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("client certificate"), "{stderr}");
    assert!(stderr.contains("--client-cert"), "{stderr}");

    // Flags that do not fit together, or a file that is not there.
    let out = genesys(&["--client-cert", cert, "whoami"]).await;
    assert!(
        text(&out.stderr).contains("--client-key"),
        "{}",
        text(&out.stderr)
    );
    let out = genesys(&["--ca-cert", "/nonexistent/ca.pem", "whoami"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("/nonexistent/ca.pem"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_calls_any_operation_by_id() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = (seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("call.json");
    std::fs::write(&body, r#"{"phoneNumber":"+15550123"}"#).unwrap();
    let body = body.to_str().unwrap();

    // The operation's help, without connecting anywhere.
    let out = genesys(&["api", "getRoutingQueue", "--help"]).await;
    let help = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        help.starts_with("GET /api/v2/routing/queues/{queueId}"),
        "{help}"
    );
    assert!(help.contains("--queue-id"), "{help}");
    assert!(help.contains("routing:queue:view"), "{help}");
    assert!(!text(&out.stderr).contains("emulator"), "nothing started");

    // A create, then a get of what it created.
    let out = against(
        &emu,
        client,
        &[
            "api",
            "postConversationsCallsUserUserId",
            "--user-id",
            seed::DEFAULT_USER_ID,
            "--body",
            body,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = created["id"].as_str().expect("the new conversation's id");
    assert_eq!(emu.counters().calls_created(), 1);
    let out = against(
        &emu,
        client,
        &["api", "getConversationsCall", "--conversation-id", id],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let call: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(call["id"], id);

    // A listing, one user per page, every page: the same users as one
    // big page.
    let out = against(&emu, client, &["api", "getUsers", "--page-size", "100"]).await;
    let one_page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: Vec<&str> = one_page["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(expected.len() >= 2, "{one_page}");
    let out = against(
        &emu,
        client,
        &["api", "getUsers", "--page-size", "1", "--all-pages"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let walked: Vec<&str> = items.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(walked, expected);

    // Checked before sending: a client token on an operation that needs a
    // user is refused with the fix, and nothing is created.
    let out = against(
        &emu,
        client,
        &["api", "postConversationsCalls", "--body", body],
    )
    .await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("needs a user context"), "{stderr}");
    assert!(
        stderr.contains("postConversationsCallsUserUserId"),
        "{stderr}"
    );
    assert_eq!(emu.counters().calls_created(), 1);

    // Mistakes name what would work.
    let out = genesys(&["api", "getUserMe"]).await;
    assert!(
        text(&out.stderr).contains("did you mean getUsersMe"),
        "{}",
        text(&out.stderr)
    );
    let out = against(&emu, client, &["api", "getUsers", "--page-sise", "1"]).await;
    assert!(
        text(&out.stderr).contains("--page-size"),
        "{}",
        text(&out.stderr)
    );
}

/// Operations without a hand-written route in the emulator (answered from
/// the spec, with state) work end to end through `genesys api`.
#[tokio::test(flavor = "multi_thread")]
async fn api_creates_reads_and_lists_a_resource_the_emulator_answers_from_the_spec() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = (seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    for name in ["Support", "Sales", "Billing"] {
        let body = dir.path().join(format!("{name}.json"));
        std::fs::write(&body, format!(r#"{{"name":"{name}"}}"#)).unwrap();
        let out = against(
            &emu,
            client,
            &["api", "postRoutingQueues", "--body", body.to_str().unwrap()],
        )
        .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let queue: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(queue["name"], name);
        ids.push(queue["id"].as_str().unwrap().to_owned());
    }
    let out = against(
        &emu,
        client,
        &["api", "getRoutingQueue", "--queue-id", &ids[2]],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let queue: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(queue["name"], "Billing");

    // One queue per page, every page.
    let out = against(
        &emu,
        client,
        &["api", "getRoutingQueues", "--page-size", "1", "--all-pages"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = items.iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Support", "Sales", "Billing"]);

    // The emulator's body check reaches the user as Genesys's error.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"name":"Q","queueFlow":{"id":7}}"#).unwrap();
    let out = against(
        &emu,
        client,
        &["api", "postRoutingQueues", "--body", bad.to_str().unwrap()],
    )
    .await;
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("queueFlow.id"), "{stderr}");

    // With no credentials at all, the embedded emulator answers.
    let out = genesys(&["api", "getRoutingQueues"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listing["total"], 0, "{listing}");
}
