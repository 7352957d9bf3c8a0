//! `genesys listen` end to end: the built binary as a subprocess, against
//! emulators on 127.0.0.1 only. Every wait is bounded; children are killed
//! when dropped.

use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_auth::AccessToken;
use genesys_cloud::{BaseUrl, Client};
use genesys_emulator::{Emulator, EmulatorConfig, seed};
use genesys_model::CreateCallRequest;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::timeout;

mod common;
use common::{against_args, isolated, text};

/// How long any one step may take before the test fails.
const STEP: Duration = Duration::from_secs(20);

/// An empty home directory, so no `~/.gc/config.toml` is found.
fn empty_home() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("genesys-cli-listen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `genesys` with no credentials from the environment, a profile or a
/// stored login.
fn genesys(args: &[&str]) -> Command {
    let home = empty_home();
    isolated(&home, &home.join("no-login-store"), args)
}

/// `genesys --base-url <emu> --client-id .. --client-secret .. <args>`.
fn against(emu: &Emulator, client: (&str, &str), args: &[&str]) -> Command {
    let all = against_args(emu, client, args);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    genesys(&all)
}

async fn output(mut command: Command) -> Output {
    timeout(STEP, command.output())
        .await
        .expect("genesys finished in time")
        .expect("the genesys binary runs")
}

fn calls_topic(user: &str) -> String {
    format!("v2.users.{user}.conversations.calls")
}

/// A running `genesys listen`: its stdout line by line, its stderr
/// collected in the background.
struct Listener {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

impl Listener {
    fn spawn(mut command: Command) -> Listener {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the genesys binary starts");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Listener {
            child,
            lines,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The next stdout line, parsed as JSON (the raw line too).
    async fn next_json(&mut self) -> (String, Value) {
        let line = match timeout(STEP, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            other => panic!(
                "no stdout line from genesys listen ({other:?}); stderr:\n{}",
                self.stderr()
            ),
        };
        let value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
        (line, value)
    }

    /// Sends Ctrl-C (SIGINT) and waits for the exit status.
    async fn interrupt(&mut self) -> std::process::ExitStatus {
        #[cfg(unix)]
        {
            let pid = self.child.id().expect("still running").to_string();
            let sent = std::process::Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .expect("kill runs");
            assert!(sent.success());
        }
        #[cfg(not(unix))]
        self.child.start_kill().unwrap();
        let status = timeout(STEP, self.child.wait())
            .await
            .expect("genesys listen exits after Ctrl-C")
            .unwrap();
        // Let the stderr reader drain.
        tokio::time::sleep(Duration::from_millis(100)).await;
        status
    }
}

/// Waits until the emulator has a connected channel subscribed to `topic`;
/// returns its id.
async fn subscribed_channel(emu: &Emulator, topic: &str) -> String {
    timeout(STEP, async {
        loop {
            let found = emu
                .notifications()
                .channels()
                .into_iter()
                .find(|c| c.connected && c.topics.iter().any(|t| t == topic));
            if let Some(channel) = found {
                return channel.id;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("genesys listen subscribed in time")
}

/// Places a call on behalf of the demo user through the SDK.
async fn place_call(emu: &Emulator) -> String {
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let client = Client::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .token_source(AccessToken::new(token))
        .build()
        .unwrap();
    let body = CreateCallRequest {
        phone_number: Some("+15550123".into()),
        ..Default::default()
    };
    client
        .conversations()
        .post_conversations_calls_user_user_id(seed::DEFAULT_USER_ID, &body)
        .await
        .unwrap()
        .id
        .unwrap()
}

/// Checks a printed call event: its topic, conversation and the state of
/// every participant.
fn assert_call_event(event: &Value, line: &str, topic: &str, conversation: &str, state: &str) {
    assert_eq!(event["topicName"], topic, "{line}");
    assert_eq!(event["version"], "2", "{line}");
    assert_eq!(event["eventBody"]["id"], conversation, "{line}");
    assert!(event["metadata"]["CorrelationId"].is_string(), "{line}");
    let participants = event["eventBody"]["participants"].as_array().unwrap();
    assert!(!participants.is_empty(), "{line}");
    for p in participants {
        assert_eq!(p["state"], state, "{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_prints_a_calls_events_in_order_then_a_gap_after_a_drop_and_stops_on_ctrl_c() {
    let emu = Emulator::start(EmulatorConfig::default().with_manual_clock())
        .await
        .unwrap();
    let topic = calls_topic(seed::DEFAULT_USER_ID);
    let mut listener = Listener::spawn(against(
        &emu,
        (seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET),
        &["listen", &topic, "--verbose"],
    ));
    let channel = subscribed_channel(&emu, &topic).await;

    // A call placed elsewhere: dialing now, contacting after 1 s, connected
    // after 2 s more (the emulator's default timings, on its manual clock).
    let conversation = place_call(&emu).await;
    let (line, event) = listener.next_json().await;
    assert_call_event(&event, &line, &topic, &conversation, "dialing");
    emu.clock().advance(Duration::from_secs(1));
    let (line, event) = listener.next_json().await;
    assert_call_event(&event, &line, &topic, &conversation, "contacting");
    emu.clock().advance(Duration::from_secs(2));
    let (line, event) = listener.next_json().await;
    assert_call_event(&event, &line, &topic, &conversation, "connected");
    assert_eq!(emu.counters().events_sent(&topic), 3);

    // The socket drops: the client reconnects and says events may be lost.
    assert!(emu.notifications().drop_socket(&channel));
    let (line, gap) = listener.next_json().await;
    let gap = &gap["gap"];
    assert!(gap.is_object(), "a gap marker: {line}");
    assert_eq!(gap["topics"], serde_json::json!([topic]), "{line}");
    assert!(
        gap["cause"].as_str().is_some_and(|c| !c.is_empty()),
        "{line}"
    );
    let from = gap["from"].as_str().unwrap();
    let to = gap["to"].as_str().unwrap();
    // `2026-11-28T04:05:06.789Z`: UTC, milliseconds, as Genesys writes times.
    for t in [from, to] {
        assert!(
            t.len() == 24 && t.ends_with('Z') && t.as_bytes()[19] == b'.',
            "{line}"
        );
    }
    let rfc3339 = time::format_description::well_known::Rfc3339;
    let (from, to) = (
        time::OffsetDateTime::parse(from, &rfc3339).expect("RFC 3339"),
        time::OffsetDateTime::parse(to, &rfc3339).expect("RFC 3339"),
    );
    assert!(from <= to, "{line}");

    // Still listening after the reconnect.
    let second = place_call(&emu).await;
    let (line, event) = listener.next_json().await;
    assert_call_event(&event, &line, &topic, &second, "dialing");

    let status = listener.interrupt().await;
    let stderr = listener.stderr();
    assert!(status.success(), "Ctrl-C exits 0: {status:?}\n{stderr}");
    // --verbose logs the channel's life on stderr, never its id in full
    // (the connectUri is a bearer capability), nor the client secret.
    assert!(stderr.contains("subscribed"), "{stderr}");
    assert!(!stderr.contains(&channel), "{stderr}");
    assert!(!stderr.contains(seed::DEFAULT_CLIENT_SECRET), "{stderr}");
    assert!(!stderr.contains("embedded emulator"), "{stderr}");
    assert_eq!(emu.counters().calls_created(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mistyped_topic_is_refused_naming_the_nearest_before_anything_is_sent() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let typo = format!("v2.users.{}.conversations.cals", seed::DEFAULT_USER_ID);
    let good = calls_topic(seed::DEFAULT_USER_ID);
    let client = (seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);

    let out = output(against(&emu, client, &["listen", &good, &typo])).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the nearest known topic is `v2.users.{id}.conversations.calls`"),
        "{stderr}"
    );
    assert!(stderr.contains(&typo), "{stderr}");
    assert!(text(&out.stdout).is_empty());

    // Other mistakes are refused before anything is sent too.
    let out = output(against(&emu, client, &["listen"])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("name at least one topic"));
    let out = output(against(
        &emu,
        client,
        &["listen", &good, "--demo-call", "+15550123"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--demo-call"));
    let out = output(against(&emu, client, &["listen", "v2..users"])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a topic name"));

    let counters = emu.counters();
    assert_eq!(counters.token_requests_total(), 0, "no token requested");
    assert_eq!(counters.requests_total(), 0, "no API request");
    assert_eq!(counters.channels_created(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_topic_rejected_for_a_missing_permission_ends_with_the_permission_named() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let topic = calls_topic(seed::DEFAULT_USER_ID);
    let out = output(against(
        &emu,
        (
            seed::NO_PERMISSION_CLIENT_ID,
            seed::NO_PERMISSION_CLIENT_SECRET,
        ),
        &["listen", &topic],
    ))
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("conversation:call:view"), "{stderr}");
    assert!(stderr.contains(&topic), "{stderr}");
    assert!(text(&out.stdout).is_empty());
    assert!(!stderr.contains(seed::NO_PERMISSION_CLIENT_SECRET));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_credentials_listen_prints_a_demo_calls_events_from_the_embedded_emulator() {
    let out = output(genesys(&[
        "listen",
        "--demo-call",
        "+15550123",
        "--count",
        "3",
    ]))
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains("embedded emulator at http://127.0.0.1:"),
        "{stderr}"
    );
    let topic = calls_topic(seed::DEFAULT_USER_ID);
    assert!(
        stderr.contains(&topic),
        "the default topic is named: {stderr}"
    );
    // The demo call's conversation id, as reported on stderr.
    let conversation = stderr
        .split("conversation ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| c == '.' || c.is_whitespace()).next())
        .unwrap_or_else(|| panic!("no conversation id in {stderr}"));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for (line, state) in lines.iter().zip(["dialing", "contacting", "connected"]) {
        let event: Value = serde_json::from_str(line).unwrap();
        assert_call_event(&event, line, &topic, conversation, state);
    }
    assert!(!stderr.contains(seed::DEFAULT_CLIENT_SECRET));
    assert!(!stdout.contains(seed::DEFAULT_CLIENT_SECRET));
}
