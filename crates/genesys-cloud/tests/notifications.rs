//! The notification channel client against the emulator: subscriptions,
//! call events, reconnects with gap markers, heartbeat detection,
//! make-before-break switches, limits, rejections, eviction, preflight, and
//! a sentinel proving the `connectUri` is never shown.
//!
//! Every wait is bounded. Most tests use the emulator's manual clock (no
//! heartbeats unless a test advances it) with the client's default 30 s
//! heartbeat expectation, so nothing is declared dead by accident; the
//! heartbeat test uses a real clock with a short interval.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::{Stream, StreamExt as _};
use genesys_cloud::Client;
use genesys_cloud::calls::Dial;
use genesys_cloud::model::notifications::{TopicError, topics};
use genesys_cloud::notifications::{
    Backoff, ChannelEvent, NotificationClient, NotificationError, NotificationStream, Typed,
};
use genesys_emulator::{Emulator, EmulatorConfig, Fault, RouteMatch, seed};
use http::Method;
use serde_json::json;

mod common;
use common::client_with;

const WAIT: Duration = Duration::from_secs(10);
const CHANNEL: &str = "/api/v2/notifications/channels/{channelId}";
const SUBSCRIPTIONS: &str = "/api/v2/notifications/channels/{channelId}/subscriptions";

async fn manual() -> Emulator {
    Emulator::start(EmulatorConfig::default().with_manual_clock())
        .await
        .expect("emulator starts")
}

/// A client-credentials client whose role grants `conversation:call:view`.
fn service(emu: &Emulator) -> Client {
    client_with(emu, emu.client_credentials_token(seed::DEFAULT_CLIENT_ID))
}

/// Reconnects that wait milliseconds.
fn notifier(client: &Client) -> NotificationClient {
    client
        .notifications_channel()
        .backoff(Backoff::new(
            Duration::from_millis(10),
            Duration::from_millis(100),
        ))
        .connect_timeout(Duration::from_secs(5))
}

fn presence(i: usize) -> String {
    format!("v2.users.00000000-0000-4000-8000-{i:012}.presence")
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> S::Item {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("no stream item in time")
        .expect("the stream ended")
}

fn only_channel(emu: &Emulator) -> String {
    let ids = emu.notifications().channel_ids();
    assert_eq!(ids.len(), 1, "one channel");
    ids[0].clone()
}

/// The `n` of a published `{"n": n}` event.
fn number(item: &ChannelEvent) -> u64 {
    match item {
        ChannelEvent::Notification(n) => serde_json::to_value(&n.event).unwrap()["n"]
            .as_u64()
            .unwrap_or_else(|| panic!("not a numbered event: {n:?}")),
        other => panic!("expected a notification, got {other:?}"),
    }
}

async fn next_number(stream: &mut NotificationStream) -> u64 {
    let item = next(stream).await.expect("no error");
    number(&item)
}

/// Waits until `check` holds (polling), or fails.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn subscribe_and_receive_a_calls_events_typed() {
    let emu = manual().await;
    let client = service(&emu);
    let topic = topics::users_conversations_calls(seed::DEFAULT_USER_ID);
    let mut calls = notifier(&client)
        .subscribe([topic.clone()])
        .await
        .expect("subscribed");
    assert_eq!(emu.counters().channels_created(), 1);
    assert_eq!(emu.counters().websocket_connections(), 1);
    assert_eq!(emu.counters().subscriptions(), 1);
    assert_eq!(
        emu.notifications().channels()[0].topics,
        [topic.name().to_owned()]
    );

    let placed = client
        .calls()
        .place(&Dial::number("+15550123").on_behalf_of(seed::DEFAULT_USER_ID))
        .await
        .expect("call placed");
    let mut states = Vec::new();
    for step in 0..3 {
        if step > 0 {
            // Dialing 1 s, then contacting 2 s, then connected.
            emu.clock().advance(Duration::from_secs(step));
        }
        match next(&mut calls).await.expect("no error") {
            Typed::Event {
                topic: on, body, ..
            } => {
                assert_eq!(on, topic.name());
                assert_eq!(body.id.as_deref(), Some(placed.conversation_id.as_str()));
                let value = serde_json::to_value(&*body).unwrap();
                let mut s: Vec<String> = value["participants"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["state"].as_str().unwrap_or("").to_owned())
                    .collect();
                s.sort();
                states.push(s.join("+"));
            }
            other => panic!("expected a call event, got {other:?}"),
        }
    }
    assert!(states[2].contains("connected"), "{states:?}");
    // `place` follows its calls by events too, on a channel of its own:
    // 3 events to this stream's channel, 3 to the call follower's.
    assert_eq!(emu.counters().channels_created(), 2);
    assert_eq!(emu.counters().events_sent(topic.name()), 6);
}

#[tokio::test]
async fn a_dropped_socket_reconnects_resubscribes_and_yields_exactly_one_gap() {
    let emu = manual().await;
    let client = service(&emu);
    let topic = presence(1);
    let mut stream = notifier(&client)
        .subscribe_names([topic.as_str()])
        .await
        .unwrap();
    let id = only_channel(&emu);
    emu.notifications().publish(&topic, json!({"n": 0}));
    assert_eq!(next_number(&mut stream).await, 0);

    let before = SystemTime::now();
    assert!(emu.notifications().drop_socket(&id));
    let gap = match next(&mut stream).await.expect("no error") {
        ChannelEvent::Gap(gap) => gap,
        other => panic!("expected a gap, got {other:?}"),
    };
    assert_eq!(gap.topics, [topic.as_str()]);
    assert!(gap.from <= before && before <= gap.to, "{gap:?}");
    assert!(!gap.cause.is_empty());

    // Subscribed again: events flow, and no second gap comes.
    for n in 1..=3 {
        emu.notifications().publish(&topic, json!({"n": n}));
        assert_eq!(next_number(&mut stream).await, n);
    }
    let c = emu.counters();
    assert_eq!(c.channels_created(), 1, "the channel was reused");
    assert_eq!(c.requests(&Method::HEAD, CHANNEL), 1);
    assert_eq!(c.requests(&Method::PUT, SUBSCRIPTIONS), 1, "resubscribed");
    assert_eq!(c.subscriptions(), 2);
    assert_eq!(c.websocket_connections(), 2);
    assert_eq!(only_channel(&emu), id);
}

#[tokio::test]
async fn a_failed_reconnect_backs_off_and_still_yields_one_gap() {
    let emu = manual().await;
    let client = service(&emu);
    let topic = presence(2);
    let mut stream = notifier(&client)
        .subscribe_names([topic.as_str()])
        .await
        .unwrap();
    let id = only_channel(&emu);
    // The next two handshakes fail.
    emu.inject(
        RouteMatch::new(Method::GET, "/channels/{channelId}"),
        Fault::Status {
            status: 503,
            times: 2,
        },
    );
    assert!(emu.notifications().drop_socket(&id));
    assert!(matches!(
        next(&mut stream).await.unwrap(),
        ChannelEvent::Gap(_)
    ));
    emu.notifications().publish(&topic, json!({"n": 7}));
    assert_eq!(next_number(&mut stream).await, 7);
    let c = emu.counters();
    assert_eq!(c.requests(&Method::GET, "/channels/{channelId}"), 4);
    assert_eq!(c.requests(&Method::HEAD, CHANNEL), 3);
    assert_eq!(c.websocket_connections(), 2);
}

#[tokio::test]
async fn an_expired_channel_is_replaced_by_a_new_one_with_a_gap() {
    let emu = manual().await;
    let client = service(&emu);
    let topic = presence(3);
    let mut stream = notifier(&client)
        .subscribe_names([topic.as_str()])
        .await
        .unwrap();
    let old = only_channel(&emu);
    assert!(emu.notifications().expire_channel(&old));
    assert!(matches!(
        next(&mut stream).await.unwrap(),
        ChannelEvent::Gap(_)
    ));
    let new = only_channel(&emu);
    assert_ne!(new, old);
    assert_eq!(emu.notifications().channels()[0].topics, [topic.as_str()]);
    emu.notifications().publish(&topic, json!({"n": 1}));
    assert_eq!(next_number(&mut stream).await, 1);
    assert_eq!(emu.counters().channels_created(), 2);
}

#[tokio::test]
async fn stopped_heartbeats_are_detected_within_the_configured_multiple() {
    let interval = Duration::from_millis(200);
    let emu = Emulator::start(EmulatorConfig::default().with_heartbeat_interval(interval))
        .await
        .unwrap();
    let client = service(&emu);
    // Pings are answered throughout: a pong must not hide a deaf channel.
    let mut stream = notifier(&client)
        .heartbeat_interval(interval)
        .dead_after_heartbeats(2.5)
        .ping_interval(Some(Duration::from_millis(50)))
        .subscribe_names([presence(4)])
        .await
        .unwrap();
    let id = only_channel(&emu);
    eventually("two heartbeats", || emu.counters().heartbeats_sent() >= 2).await;
    let heartbeats = emu.counters().heartbeats_sent();
    assert!(emu.notifications().stop_heartbeats(&id));
    let gap = match next(&mut stream).await.expect("no error") {
        ChannelEvent::Gap(gap) => gap,
        other => panic!("expected a gap, got {other:?}"),
    };
    assert!(emu.notifications().resume_heartbeats(&id));
    let silent = gap.to.duration_since(gap.from).unwrap();
    let dead_after = interval.mul_f64(2.5);
    assert!(
        silent >= dead_after,
        "declared dead after {silent:?} < {dead_after:?}"
    );
    assert!(
        silent < dead_after + Duration::from_secs(2),
        "detected late: {silent:?}"
    );
    assert!(gap.cause.contains("no heartbeat"), "{}", gap.cause);
    assert!(emu.counters().heartbeats_sent() <= heartbeats + 1);
    assert_eq!(emu.counters().websocket_connections(), 2);
    assert_eq!(emu.counters().channels_created(), 1);
}

/// Publishes `{"n": 0..count}` on `topic`, `pause` apart, calling `at(n)`
/// before each.
async fn steady_flow(
    emu: Arc<Emulator>,
    topic: String,
    count: u64,
    pause: Duration,
    at: impl Fn(&Emulator, u64) + Send + 'static,
) {
    for n in 0..count {
        at(&emu, n);
        emu.notifications().publish(&topic, json!({"n": n}));
        tokio::time::sleep(pause).await;
    }
}

/// Reads numbered events until `count` distinct ones arrived and then a
/// final marker, failing on gaps and errors; returns how often each came.
async fn collect_numbers(
    emu: &Emulator,
    stream: &mut NotificationStream,
    topic: &str,
    count: u64,
) -> Vec<u32> {
    let mut seen = vec![0u32; count as usize];
    let mut distinct = 0;
    while distinct < count {
        let item = tokio::time::timeout(WAIT, stream.next()).await;
        let Ok(Some(Ok(item))) = item else {
            let missing: Vec<usize> = seen
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == 0)
                .map(|(i, _)| i)
                .collect();
            panic!(
                "got {item:?} after {distinct} of {count} events; missing {missing:?}; \
                 events sent {}; channels {:?}",
                emu.counters().events_sent(topic),
                emu.notifications().channels()
            );
        };
        let n = number(&item);
        let slot = &mut seen[n as usize];
        if *slot == 0 {
            distinct += 1;
        }
        *slot += 1;
    }
    // Whatever duplicates were coming would arrive before this marker.
    emu.notifications()
        .publish(topic, json!({"n": count + 1000}));
    loop {
        let n = next_number(stream).await;
        if n == count + 1000 {
            break;
        }
        seen[n as usize] += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_closing_switch_during_a_steady_flow_loses_and_duplicates_nothing() {
    let emu = Arc::new(manual().await);
    let client = service(&emu);
    let topic = presence(5);
    let mut stream = notifier(&client)
        .subscribe_names([topic.as_str()])
        .await
        .unwrap();
    let first = only_channel(&emu);
    const COUNT: u64 = 300;
    let closing = first.clone();
    let flow = tokio::spawn(steady_flow(
        emu.clone(),
        topic.clone(),
        COUNT,
        Duration::from_millis(2),
        move |emu, n| {
            if n == 100 {
                assert!(
                    emu.notifications()
                        .send_socket_closing(&closing, Duration::from_secs(60))
                );
            }
        },
    ));
    let seen = collect_numbers(&emu, &mut stream, &topic, COUNT).await;
    flow.await.unwrap();
    let wrong: Vec<(usize, u32)> = seen
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| *c != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "events not delivered exactly once: {wrong:?}"
    );
    let c = emu.counters();
    assert_eq!(c.channels_created(), 2);
    assert_eq!(c.websocket_connections(), 2);
    assert_eq!(c.requests(&Method::HEAD, CHANNEL), 0, "no reconnect");
    // Events published while both sockets were open reached both (how many
    // depends on timing); each was delivered once all the same.
    assert!(c.events_sent(&topic) >= COUNT);
    let channels = emu.notifications().channels();
    let old = channels.iter().find(|ch| ch.id == first).unwrap();
    assert!(!old.connected, "the old socket was closed");
    assert!(channels.iter().any(|ch| ch.id != first && ch.connected));
    // The old socket's scheduled close is harmless now.
    emu.clock().advance(Duration::from_secs(60));
    emu.notifications().publish(&topic, json!({"n": 9999}));
    assert_eq!(next_number(&mut stream).await, 9999);
}

#[tokio::test]
async fn a_socket_closed_before_its_replacement_is_ready_yields_a_gap() {
    let emu = manual().await;
    let client = service(&emu);
    let topic = presence(13);
    let mut stream = notifier(&client)
        .subscribe_names([topic.as_str()])
        .await
        .unwrap();
    let first = only_channel(&emu);
    // `socket_closing`, then the close at once: no time to switch first.
    assert!(
        emu.notifications()
            .send_socket_closing(&first, Duration::ZERO)
    );
    let gap = match next(&mut stream).await.unwrap() {
        ChannelEvent::Gap(gap) => gap,
        other => panic!("expected a gap, got {other:?}"),
    };
    assert!(gap.cause.contains("closed by the server"), "{}", gap.cause);
    assert_eq!(gap.topics, [topic.as_str()]);
    emu.notifications().publish(&topic, json!({"n": 1}));
    assert_eq!(next_number(&mut stream).await, 1);
    let c = emu.counters();
    assert_eq!(c.channels_created(), 2, "switched to a new channel");
    assert_eq!(c.requests(&Method::HEAD, CHANNEL), 0, "not a reconnect");
}

/// A burst published right after `socket_closing` lands mostly on the old
/// socket, in flight when the client closes it: read to the end, none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_the_closing_socket_is_read_to_the_end() {
    let emu = Arc::new(manual().await);
    let client = service(&emu);
    let topic = presence(12);
    let mut stream = notifier(&client)
        .subscribe_names([topic.as_str()])
        .await
        .unwrap();
    let first = only_channel(&emu);
    const COUNT: u64 = 400;
    let flow = tokio::spawn(steady_flow(
        emu.clone(),
        topic.clone(),
        COUNT,
        Duration::ZERO,
        move |emu, n| {
            if n == 0 {
                assert!(
                    emu.notifications()
                        .send_socket_closing(&first, Duration::from_secs(60))
                );
            }
        },
    ));
    let seen = collect_numbers(&emu, &mut stream, &topic, COUNT).await;
    flow.await.unwrap();
    assert!(seen.iter().all(|c| *c == 1), "{seen:?}");
    assert_eq!(emu.counters().channels_created(), 2);
    assert_eq!(emu.counters().requests(&Method::HEAD, CHANNEL), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewals_before_the_24_hour_expiry_lose_and_duplicate_nothing() {
    // A real clock, so that each new channel's `expires` is 24 h after its
    // creation in wall time.
    let emu = Arc::new(Emulator::start(EmulatorConfig::default()).await.unwrap());
    let client = service(&emu);
    let topic = presence(6);
    // Channels live 24 h: renewing 24 h minus 1 s ahead switches every second.
    let mut stream = notifier(&client)
        .renew_before_expiry(Duration::from_secs(24 * 3600 - 1))
        .subscribe_names([topic.as_str()])
        .await
        .unwrap();
    const COUNT: u64 = 250;
    let flow = tokio::spawn(steady_flow(
        emu.clone(),
        topic.clone(),
        COUNT,
        Duration::from_millis(10),
        |_, _| {},
    ));
    let seen = collect_numbers(&emu, &mut stream, &topic, COUNT).await;
    flow.await.unwrap();
    assert!(seen.iter().all(|c| *c == 1), "{seen:?}");
    let c = emu.counters();
    assert!(
        c.channels_created() >= 3,
        "renewed at least twice: {}",
        c.channels_created()
    );
    assert_eq!(c.requests(&Method::HEAD, CHANNEL), 0, "no reconnect");
    assert_eq!(
        emu.notifications()
            .channels()
            .iter()
            .filter(|ch| ch.connected)
            .count(),
        1
    );
}

#[tokio::test]
async fn more_than_1000_topics_use_two_channels() {
    let emu = manual().await;
    let client = service(&emu);
    let names: Vec<String> = (0..1001).map(presence).collect();
    let mut stream = notifier(&client).subscribe_names(&names).await.unwrap();
    let c = emu.counters();
    assert_eq!(c.channels_created(), 2);
    assert_eq!(c.websocket_connections(), 2);
    assert_eq!(c.subscriptions(), 1001);
    let mut sizes: Vec<usize> = emu
        .notifications()
        .channels()
        .iter()
        .map(|ch| ch.topics.len())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [1, 1000]);
    assert_eq!(stream.handle().channel_count().await.unwrap(), 2);
    assert_eq!(stream.handle().topics().await.unwrap().len(), 1001);
    for (n, topic) in [(0, &names[0]), (1, &names[1000])] {
        emu.notifications().publish(topic, json!({"n": n}));
        assert_eq!(next_number(&mut stream).await, n);
    }
    // One more goes to the channel with room.
    stream
        .handle()
        .add_names([presence(1001).as_str()])
        .await
        .unwrap();
    assert_eq!(emu.counters().channels_created(), 2);
}

#[tokio::test]
async fn topics_are_added_and_removed_while_running() {
    let emu = manual().await;
    let client = service(&emu);
    let (a, b) = (presence(7), presence(8));
    let mut stream = notifier(&client)
        .subscribe_names([a.as_str()])
        .await
        .unwrap();
    let handle = stream.handle();
    handle
        .add([topics::users_presence(
            "00000000-0000-4000-8000-000000000008",
        )])
        .await
        .unwrap();
    assert_eq!(handle.topics().await.unwrap(), [a.clone(), b.clone()]);
    emu.notifications().publish(&b, json!({"n": 1}));
    assert_eq!(next_number(&mut stream).await, 1);
    handle.remove_names([a.as_str()]).await.unwrap();
    assert_eq!(emu.notifications().channels()[0].topics, [b.as_str()]);
    assert_eq!(emu.notifications().publish(&a, json!({"n": 2})), 0);
    emu.notifications().publish(&b, json!({"n": 3}));
    assert_eq!(next_number(&mut stream).await, 3);
    // A typo is refused before anything is sent.
    let before = emu.counters().requests_total();
    let err = handle.add_names(["v2.users.x.presense"]).await.unwrap_err();
    assert!(err.is_preflight(), "{err}");
    assert_eq!(emu.counters().requests_total(), before);
    assert_eq!(emu.counters().channels_created(), 1);
    // Dropping the stream ends the handle.
    drop(stream);
    eventually("the socket closes", || {
        !emu.notifications().channels()[0].connected
    })
    .await;
    assert!(matches!(
        handle.topics().await,
        Err(NotificationError::Closed)
    ));
}

#[tokio::test]
async fn a_rejected_topic_names_its_missing_permission() {
    let emu = manual().await;
    let client = client_with(
        &emu,
        emu.client_credentials_token(seed::NO_PERMISSION_CLIENT_ID),
    );
    let err = notifier(&client)
        .subscribe([topics::users_conversations_calls(seed::DEFAULT_USER_ID)])
        .await
        .unwrap_err();
    let rejected = err.rejected().expect("rejected topics");
    assert_eq!(rejected.missing_permissions(), ["conversation:call:view"]);
    assert_eq!(
        rejected.topics[0].topic,
        format!("v2.users.{}.conversations.calls", seed::DEFAULT_USER_ID)
    );
    let text = err.to_string();
    assert!(text.contains("conversation:call:view"), "{text}");
    assert!(text.contains("grant"), "{text}");
    assert_eq!(emu.counters().topics_rejected(), 1);
    // Its socket was closed.
    eventually("the socket closes", || {
        emu.notifications().channels().iter().all(|c| !c.connected)
    })
    .await;
}

#[tokio::test]
async fn an_evicted_channel_ends_the_stream_with_a_clear_error() {
    let emu = manual().await;
    let client = service(&emu);
    let mut stream = notifier(&client)
        .subscribe_names([presence(9)])
        .await
        .unwrap();
    let id = only_channel(&emu);
    assert!(emu.notifications().evict_channel(&id));
    let err = next(&mut stream).await.unwrap_err();
    assert!(matches!(err, NotificationError::Evicted { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("20 channels per user and OAuth client"),
        "{text}"
    );
    assert!(text.contains("another process"), "{text}");
    assert!(!text.contains(&id), "the channel id is a secret: {text}");
    assert!(
        tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap()
            .is_none(),
        "the stream ends"
    );
    let c = emu.counters();
    assert_eq!(c.channels_created(), 1, "no new channel to evict another");
    assert_eq!(c.requests(&Method::HEAD, CHANNEL), 0);
    assert_eq!(c.websocket_connections(), 1);
}

#[tokio::test]
async fn a_revoked_token_ends_the_stream() {
    let emu = manual().await;
    let client = service(&emu);
    let mut stream = notifier(&client)
        .subscribe_names([presence(10)])
        .await
        .unwrap();
    let id = only_channel(&emu);
    let message = json!({
        "topicName": format!("v2.system.token_revoked.{id}"),
        "eventBody": {"message": "The token was revoked"},
    });
    assert!(emu.notifications().send_raw(&id, message.to_string()));
    let err = next(&mut stream).await.unwrap_err();
    assert!(
        matches!(err, NotificationError::TokenRevoked { .. }),
        "{err:?}"
    );
    assert!(
        tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_typo_is_refused_before_anything_is_sent_naming_the_nearest_topic() {
    let emu = manual().await;
    let client = service(&emu);
    let err = notifier(&client)
        .subscribe_names([format!(
            "v2.users.{}.conversations.cals",
            seed::DEFAULT_USER_ID
        )])
        .await
        .unwrap_err();
    match &err {
        NotificationError::Topic(TopicError::Unknown { nearest, .. }) => {
            assert_eq!(*nearest, Some("v2.users.{id}.conversations.calls"));
        }
        other => panic!("expected an unknown topic, got {other:?}"),
    }
    assert!(err.is_preflight());
    assert!(
        err.to_string()
            .contains("nearest known topic is `v2.users.{id}.conversations.calls`")
    );
    assert_eq!(emu.counters().requests_total(), 0, "nothing was sent");
    // A typed topic with an id that reads as another topic is refused too.
    let err = notifier(&client)
        .subscribe([topics::users_presence("")])
        .await
        .unwrap_err();
    assert!(matches!(err, NotificationError::Topic(_)), "{err:?}");
    // System topics are never sent to the subscriptions API.
    let _stream = notifier(&client)
        .subscribe_names(["v2.system.socket_closing", "channel.metadata"])
        .await
        .unwrap();
    assert_eq!(emu.counters().requests_any_method(SUBSCRIPTIONS), 0);
    assert!(emu.notifications().channels()[0].topics.is_empty());
}

/// Collects formatted tracing output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Runs connects, subscriptions, a drop and reconnect (through a failed
/// handshake), a switch, a rejection and an eviction with every event
/// logged at TRACE, and checks that no log line and no error's `Debug` or
/// `Display` contains a channel's `connectUri` or full id.
#[tokio::test]
async fn sentinel_the_connect_uri_never_appears_in_logs_or_errors() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emu = manual().await;
    let client = service(&emu);
    let mut shown: Vec<String> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let topic = presence(11);
    let notifications = notifier(&client);
    shown.push(format!("{notifications:?}"));
    let mut stream = notifications
        .subscribe_names([topic.as_str()])
        .await
        .unwrap();
    shown.push(format!("{stream:?} {:?}", stream.handle()));
    let first = only_channel(&emu);
    ids.push(first.clone());

    // A drop, and a reconnect whose first handshake fails.
    emu.inject(
        RouteMatch::new(Method::GET, "/channels/{channelId}"),
        Fault::Status {
            status: 503,
            times: 1,
        },
    );
    emu.notifications().drop_socket(&first);
    let gap = next(&mut stream).await.unwrap();
    shown.push(format!("{gap:?}"));

    // A make-before-break switch.
    emu.notifications()
        .send_socket_closing(&first, Duration::from_secs(60));
    eventually("a second channel", || {
        emu.notifications().channel_ids().len() == 2
    })
    .await;
    ids.extend(emu.notifications().channel_ids());
    emu.notifications().publish(&topic, json!({"n": 1}));
    let item = next(&mut stream).await.unwrap();
    shown.push(format!("{item:?}"));

    // A rejection.
    let added = stream
        .handle()
        .add_names([format!(
            "v2.users.{}.conversations.calls",
            seed::DEFAULT_USER_ID
        )])
        .await;
    assert!(added.is_ok(), "{added:?}");
    emu.notifications().reject_topic(
        "v2.users.{id}.conversations",
        "conversation:communication:view",
    );
    let rejected = stream
        .handle()
        .add_names([format!("v2.users.{}.conversations", seed::DEFAULT_USER_ID)])
        .await
        .unwrap_err();
    shown.push(format!("{rejected} {rejected:?}"));

    // An eviction of the current channel.
    let current = emu
        .notifications()
        .channels()
        .into_iter()
        .find(|c| c.connected)
        .unwrap()
        .id;
    emu.notifications().evict_channel(&current);
    let evicted = next(&mut stream).await.unwrap_err();
    shown.push(format!("{evicted} {evicted:?}"));
    let closed = stream.handle().topics().await;
    shown.push(format!("{closed:?}"));

    // Errors built from a URI: a refused scheme.
    let refused = NotificationError::Connect {
        uri: "ws://example.com/…".into(),
        detail: String::new(),
    };
    shown.push(format!("{refused} {refused:?}"));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("notification socket connected"),
        "connects are logged"
    );
    assert!(logs.contains("notification topics subscribed"));
    assert!(logs.contains("reconnect"));
    assert!(logs.contains("switched"), "logs:\n{logs}");
    assert!(logs.contains("127.0.0.1"), "the host may be shown");
    ids.sort();
    ids.dedup();
    assert!(ids.len() >= 2);
    let everything = format!("{logs}\n{}", shown.join("\n"));
    for id in &ids {
        let uri = format!("ws://{}/channels/{id}", emu.local_addr());
        assert!(!everything.contains(&uri), "a connectUri leaked");
        assert!(!everything.contains(id.as_str()), "a channel id leaked");
    }
}
