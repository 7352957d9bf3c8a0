//! `genesys login` / `logout` end to end against an emulator on 127.0.0.1.
//! The test plays the browser: it fetches the printed authorize URL (the
//! emulator auto-approves) and follows the redirect to the CLI's loopback
//! port. Every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use genesys_emulator::{Emulator, EmulatorConfig, Grant, seed};
use http::Method;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

const LIMIT: Duration = Duration::from_secs(60);

mod common;
use common::{isolated, text};

/// A temporary home and login store, so nothing real is read or written.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn login_file(&self) -> PathBuf {
        self.store().join("logins").join("DEFAULT.json")
    }

    fn command(&self, args: &[&str]) -> Command {
        isolated(self.dir.path(), &self.store(), args)
    }

    async fn run(&self, args: &[&str]) -> Output {
        tokio::time::timeout(LIMIT, self.command(args).output())
            .await
            .expect("genesys finishes in time")
            .expect("the genesys binary runs")
    }
}

/// A port that was free a moment ago (the emulator must know the redirect
/// URI before the CLI listens on it, as a real OAuth client would).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn emulator_for(port: u16) -> Emulator {
    let mut config = EmulatorConfig::default();
    for client in &mut config.clients {
        if client.id == seed::USER_CLIENT_ID {
            client
                .redirect_uris
                .push(format!("http://127.0.0.1:{port}/callback"));
        }
    }
    Emulator::start(config).await.unwrap()
}

/// A plain HTTP/1.1 request to a loopback URL: status, headers, body.
async fn http(
    method: &str,
    url: &str,
    bearer: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let exchange = async {
        let mut stream = TcpStream::connect(authority).await.unwrap();
        let auth = bearer.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\n{auth}Connection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        response
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("the HTTP exchange finishes");
    let response = text(&response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status.parse().unwrap(), headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What the test's "browser" did.
struct Browsed {
    /// The redirect Location the emulator answered with (holds the code).
    location: String,
    /// The loopback page's status and body.
    page: (u16, String),
}

/// Runs `genesys login` against `emu`; `browse` decides how the redirect
/// is followed (`None`: the browser never comes back).
async fn login(
    sandbox: &Sandbox,
    emu: &Emulator,
    port: u16,
    extra: &[&str],
    browse: Option<fn(&str) -> String>,
) -> (Output, Option<Browsed>) {
    let base = emu.base_url();
    let port_text = port.to_string();
    let mut args = vec![
        "--base-url",
        base.as_str(),
        "--client-id",
        seed::USER_CLIENT_ID,
        "login",
        "--port",
        port_text.as_str(),
        "--no-browser",
    ];
    args.extend_from_slice(extra);
    let mut child = sandbox
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let stdout_task = tokio::spawn(async move {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out).await;
        out
    });
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut err_text = String::new();
    let mut url = None;
    while url.is_none() {
        let line = tokio::time::timeout(LIMIT, stderr.next_line())
            .await
            .expect("genesys prints the authorize URL in time")
            .unwrap();
        let Some(line) = line else { break };
        err_text.push_str(&line);
        err_text.push('\n');
        if line.trim_start().starts_with("http") && line.contains("/oauth/authorize?") {
            url = Some(line.trim().to_owned());
        }
    }
    let mut browsed = None;
    if let (Some(url), Some(tamper)) = (url, browse) {
        let (status, headers, _) = http("GET", &url, None).await;
        assert_eq!(status, 302, "the emulator auto-approves");
        let location = header(&headers, "location").unwrap().to_owned();
        assert!(location.starts_with(&format!("http://127.0.0.1:{port}/callback?")));
        let (status, _, body) = http("GET", &tamper(&location), None).await;
        browsed = Some(Browsed {
            location,
            page: (status, body),
        });
    }
    let err_task = tokio::spawn(async move {
        while let Ok(Some(line)) = stderr.next_line().await {
            err_text.push_str(&line);
            err_text.push('\n');
        }
        err_text
    });
    let status = tokio::time::timeout(LIMIT, child.wait())
        .await
        .expect("genesys login finishes in time")
        .unwrap();
    let output = Output {
        status,
        stdout: stdout_task.await.unwrap(),
        stderr: err_task.await.unwrap().into_bytes(),
    };
    (output, browsed)
}

fn stored(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn field(value: &serde_json::Value, name: &str) -> String {
    value[name].as_str().unwrap_or_default().to_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn assert_no_secrets(output: &Output, secrets: &[&str]) {
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(!stdout.contains(secret), "a secret on stdout: {stdout}");
        assert!(!stderr.contains(secret), "a secret on stderr: {stderr}");
    }
}

fn code_of(location: &str) -> String {
    location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_whoami_call_refresh_and_logout_as_the_user() {
    let sandbox = Sandbox::new();
    let port = free_port();
    let emu = emulator_for(port).await;
    let (out, browsed) = login(&sandbox, &emu, port, &[], Some(|l: &str| l.to_owned())).await;
    let browsed = browsed.expect("the authorize URL was printed");
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(browsed.page.0, 200);
    assert!(browsed.page.1.contains("You may close this window"));
    assert!(text(&out.stdout).contains(&format!("user {}", seed::DEFAULT_USER_ID)));
    assert_eq!(emu.counters().tokens_issued(Grant::AuthorizationCode), 1);

    // The stored login: 0600, with tokens that were never printed.
    let file = sandbox.login_file();
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let first = stored(&file);
    assert_eq!(field(&first, "kind"), "oauth");
    assert_eq!(field(&first, "user_id"), seed::DEFAULT_USER_ID);
    let (access, refresh) = (
        field(&first, "access_token"),
        field(&first, "refresh_token"),
    );
    assert!(!access.is_empty() && !refresh.is_empty());
    let code = code_of(&browsed.location);
    assert_no_secrets(&out, &[&access, &refresh, &code, seed::USER_CLIENT_SECRET]);

    // whoami: the principal is the user, from the stored login.
    let out = sandbox.run(&["whoami"]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("principal:    user {}", seed::DEFAULT_USER_ID)),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("Using the stored login"));
    assert_no_secrets(&out, &[&access, &refresh]);

    // call: postConversationsCalls as the user, no --on-behalf-of.
    let out = sandbox.run(&["call", "+15550123", "--timeout", "20"]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("placed with postConversationsCalls)"),
        "{stdout}"
    );
    assert_eq!(
        emu.counters()
            .requests(&Method::POST, "/api/v2/conversations/calls"),
        1
    );
    assert_eq!(
        emu.counters()
            .requests(&Method::POST, "/api/v2/conversations/calls/user/{userId}"),
        0
    );
    assert_no_secrets(&out, &[&access, &refresh]);

    // Expiry: the next command refreshes, and the rotated refresh token
    // replaces the old one on disk (atomically: no temporary file left).
    let mut expired = first.clone();
    expired["expires_at"] = serde_json::json!(1);
    std::fs::write(&file, serde_json::to_string(&expired).unwrap()).unwrap();
    let out = sandbox.run(&["whoami"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(emu.counters().tokens_issued(Grant::RefreshToken), 1);
    let second = stored(&file);
    let (access2, refresh2) = (
        field(&second, "access_token"),
        field(&second, "refresh_token"),
    );
    assert_ne!(refresh2, refresh, "the refresh token was rotated");
    assert!(!refresh2.is_empty());
    assert_ne!(access2, access);
    assert!(second["expires_at"].as_u64().unwrap() > 1);
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let entries: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_no_secrets(&out, &[&access2, &refresh2]);

    // A refresh token the login service refuses: a clear error, naming the fix.
    let mut refused = second.clone();
    refused["expires_at"] = serde_json::json!(1);
    refused["refresh_token"] = serde_json::json!("not-a-refresh-token");
    std::fs::write(&file, serde_json::to_string(&refused).unwrap()).unwrap();
    let out = sandbox.run(&["whoami"]).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("run `genesys login` again"), "{stderr}");
    assert_no_secrets(&out, &["not-a-refresh-token", &access2]);
    std::fs::write(&file, serde_json::to_string(&second).unwrap()).unwrap();

    // logout: revokes the token and deletes the file.
    let token_url = format!("{}/api/v2/tokens/me", emu.base_url());
    assert_eq!(http("GET", &token_url, Some(&access2)).await.0, 200);
    let out = sandbox.run(&["logout"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Revoked"));
    assert_eq!(
        emu.counters()
            .requests(&Method::DELETE, "/api/v2/tokens/me"),
        1
    );
    assert!(!file.exists());
    assert_eq!(http("GET", &token_url, Some(&access2)).await.0, 401);
    assert_no_secrets(&out, &[&access2, &refresh2]);
    // Logged out: a second logout has nothing to do.
    let out = sandbox.run(&["logout"]).await;
    assert!(text(&out.stdout).contains("Not logged in"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_state_fails_clearly_and_stores_nothing() {
    let sandbox = Sandbox::new();
    let port = free_port();
    let emu = emulator_for(port).await;
    let forge = |location: &str| {
        let (head, state) = location.split_once("state=").unwrap();
        let rest = state.find('&').map_or("", |i| &state[i..]);
        format!("{head}state=forged{rest}")
    };
    let (out, browsed) = login(&sandbox, &emu, port, &[], Some(forge)).await;
    let browsed = browsed.unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("`state` does not match"), "{stderr}");
    assert!(stderr.contains("nothing was stored"), "{stderr}");
    assert_eq!(browsed.page.0, 400);
    assert!(!sandbox.login_file().exists());
    assert_eq!(emu.counters().token_requests(Grant::AuthorizationCode), 0);
    assert_no_secrets(&out, &[&code_of(&browsed.location)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_fails_clearly_and_stores_nothing() {
    let sandbox = Sandbox::new();
    let port = free_port();
    let emu = emulator_for(port).await;
    let (out, _) = login(&sandbox, &emu, port, &["--timeout", "1"], None).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no login redirect reached"), "{stderr}");
    assert!(stderr.contains("within 1s"), "{stderr}");
    assert!(stderr.contains("--port"), "{stderr}");
    assert!(!sandbox.login_file().exists());
    assert_eq!(emu.counters().token_requests_total(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_credentials_login_then_call_is_the_embedded_demo_user() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["login"]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("on the embedded emulator"), "{stdout}");
    let file = sandbox.login_file();
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let login = stored(&file);
    assert_eq!(field(&login, "kind"), "embedded-emulator");
    assert!(login.get("access_token").is_none());
    assert!(login.get("refresh_token").is_none());

    let out = sandbox.run(&["call", "+15550123", "--timeout", "20"]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("placed with postConversationsCalls)"),
        "{stdout}"
    );
    assert!(stderr.contains("logged in again by PKCE"), "{stderr}");
    assert!(!stderr.contains("needs a user context"), "{stderr}");

    let out = sandbox.run(&["logout"]).await;
    assert!(out.status.success());
    assert!(!file.exists());
}
