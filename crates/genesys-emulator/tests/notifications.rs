//! The notification service: channels, subscriptions, the WebSocket,
//! heartbeats and events on the manual clock, faults, limits and counters.
//!
//! No test sleeps: `Clock::advance` does everything that fell due before it
//! returns, and a `ping` sent afterwards is answered only after every
//! message queued before it, so "nothing else arrived" is checked by
//! expecting the pong next.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{CALLS, Http, PHONE_BODY, Resp, on_behalf, seed};
use futures_util::{SinkExt as _, StreamExt as _};
use genesys_emulator::{Emulator, EmulatorConfig, NotificationSettings};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const CHANNELS: &str = "/api/v2/notifications/channels";
const WAIT: Duration = Duration::from_secs(5);

fn user_calls(user: &str) -> String {
    format!("v2.users.{user}.conversations.calls")
}

fn user_conversations(user: &str) -> String {
    format!("v2.users.{user}.conversations")
}

fn subs(channel: &str) -> String {
    format!("{CHANNELS}/{channel}/subscriptions")
}

async fn start(config: EmulatorConfig) -> (Emulator, Http) {
    let emu = Emulator::start(config.with_manual_clock()).await.unwrap();
    let http = Http::new(&emu.base_url());
    (emu, http)
}

async fn call(http: &Http, method: Method, path: &str, token: &str, body: &str) -> Resp {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("authorization", auth.as_str())];
    if !body.is_empty() {
        headers.push(("content-type", "application/json"));
    }
    http.send(method, path, &headers, body.to_owned()).await
}

/// Creates a channel; returns `(id, connectUri)`.
async fn create_channel(http: &Http, token: &str) -> (String, String) {
    let r = call(http, Method::POST, CHANNELS, token, "").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let body = r.json();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["connectUri"].as_str().unwrap().to_owned(),
    )
}

fn topics_body(topics: &[&str]) -> String {
    let list: Vec<Value> = topics.iter().map(|t| json!({"id": t})).collect();
    Value::Array(list).to_string()
}

async fn subscribe(http: &Http, token: &str, channel: &str, topics: &[&str]) -> Resp {
    call(
        http,
        Method::POST,
        &subs(channel),
        token,
        &topics_body(topics),
    )
    .await
}

async fn head(http: &Http, token: &str, channel: &str) -> StatusCode {
    call(
        http,
        Method::HEAD,
        &format!("{CHANNELS}/{channel}"),
        token,
        "",
    )
    .await
    .status
}

async fn connect(uri: &str) -> Ws {
    let (ws, response) = tokio::time::timeout(WAIT, connect_async(uri))
        .await
        .expect("connect timed out")
        .expect("WebSocket handshake");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    ws
}

/// The next message, which must be a JSON text frame.
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no message in time")
            .expect("socket ended")
            .expect("socket error");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

async fn send_json(ws: &mut Ws, value: Value) {
    ws.send(Message::text(value.to_string())).await.unwrap();
}

/// Asserts nothing but the pong to a ping is waiting on the socket.
async fn assert_quiet(ws: &mut Ws) {
    send_json(ws, json!({"message": "ping"})).await;
    let next = next_json(ws).await;
    assert_eq!(
        next,
        json!({"topicName": "channel.metadata", "eventBody": {"message": "pong"}}),
        "expected nothing before the pong"
    );
}

fn is_heartbeat(v: &Value) -> bool {
    *v == json!({"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}})
}

/// Reads until the socket ends; returns the close frame's code, if any.
async fn closed(ws: &mut Ws) -> Option<CloseCode> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("socket still open")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

// ----- REST ----------------------------------------------------------------

#[tokio::test]
async fn channels_are_created_listed_and_checked() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let start = emu.clock().now();
    let r = call(&http, Method::POST, CHANNELS, &token, "").await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    let id = body["id"].as_str().unwrap();
    let uri = body["connectUri"].as_str().unwrap();
    assert_eq!(uri, format!("ws://{}/channels/{id}", emu.local_addr()));
    assert!(id.len() > 30, "the id is the capability: long and random");
    let expires = time::OffsetDateTime::parse(
        body["expires"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(((expires - start).as_seconds_f64() - 86_400.0).abs() < 1.0);

    assert_eq!(head(&http, &token, id).await, StatusCode::NO_CONTENT);
    assert_eq!(
        head(&http, &token, "streaming-0-nope").await,
        StatusCode::NOT_FOUND
    );
    // Another principal does not see it.
    let cc = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    assert_eq!(head(&http, &cc, id).await, StatusCode::NOT_FOUND);
    call(&http, Method::GET, &subs(id), &cc, "")
        .await
        .assert_error(404, "not.found");

    // Listing: this token's channels; with includechannels=oauthclient the
    // same user's other tokens' channels show, without id or URI.
    let other = emu.user_token(seed::DEFAULT_USER_ID);
    create_channel(&http, &other).await;
    let r = call(&http, Method::GET, CHANNELS, &token, "").await;
    let list = r.json()["entities"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["connectUri"], uri);
    let r = call(
        &http,
        Method::GET,
        &format!("{CHANNELS}?includechannels=oauthclient"),
        &token,
        "",
    )
    .await;
    let list = r.json()["entities"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert!(list[1].get("id").is_none() && list[1].get("connectUri").is_none());
    assert!(list[1]["expires"].is_string());
    call(
        &http,
        Method::GET,
        &format!("{CHANNELS}?includechannels=everything"),
        &token,
        "",
    )
    .await
    .assert_error(400, "bad.request");

    // Bearer tokens as everywhere else.
    let r = http
        .send(Method::POST, CHANNELS, &[], bytes::Bytes::new())
        .await;
    r.assert_error(401, "authentication.required");
    assert_eq!(emu.counters().channels_created(), 2);
    assert_eq!(emu.notifications().channels().len(), 2);
}

#[tokio::test]
async fn subscriptions_are_added_replaced_listed_and_deleted() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, _) = create_channel(&http, &token).await;
    let calls = user_calls(seed::DEFAULT_USER_ID);
    let presence = format!("v2.users.{}.presence", seed::DEFAULT_USER_ID);

    let r = subscribe(&http, &token, &id, &[&calls]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let entities = r.json()["entities"].clone();
    assert_eq!(entities.as_array().unwrap().len(), 1);
    assert_eq!(entities[0]["id"], calls.as_str());
    assert_eq!(entities[0]["state"], "Permitted");
    assert_eq!(
        entities[0]["selfUri"],
        format!("/api/v2/notifications/channels/{id}/subscriptions")
    );

    // POST adds (once), GET lists, PUT replaces, DELETE empties.
    let r = subscribe(&http, &token, &id, &[&presence, &calls]).await;
    let ids: Vec<Value> = r.json()["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(ids, [json!(calls), json!(presence)]);
    let r = call(&http, Method::GET, &subs(&id), &token, "").await;
    assert_eq!(r.json()["entities"].as_array().unwrap().len(), 2);
    let r = call(
        &http,
        Method::PUT,
        &subs(&id),
        &token,
        &topics_body(&[&presence]),
    )
    .await;
    assert_eq!(r.json()["entities"].as_array().unwrap().len(), 1);
    assert_eq!(
        emu.notifications().channels()[0].topics,
        [presence.as_str()]
    );
    let r = call(&http, Method::DELETE, &subs(&id), &token, "").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = call(&http, Method::GET, &subs(&id), &token, "").await;
    assert_eq!(r.json()["entities"], json!([]));

    // Bodies are checked like every other API body.
    call(&http, Method::POST, &subs(&id), &token, r#"[{"nope": 1}]"#)
        .await
        .assert_error(400, "bad.request");
    call(&http, Method::POST, &subs(&id), &token, "{}")
        .await
        .assert_error(400, "bad.request");
    call(&http, Method::POST, &subs("streaming-0-nope"), &token, "[]")
        .await
        .assert_error(404, "not.found");
    assert_eq!(emu.counters().subscriptions(), 4);
}

#[tokio::test]
async fn topics_are_checked_like_genesys() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let weak = emu.client_credentials_token(seed::NO_PERMISSION_CLIENT_ID);
    let (id, _) = create_channel(&http, &weak).await;
    let calls = user_calls(seed::DEFAULT_USER_ID);
    let presence = format!("v2.users.{}.presence", seed::DEFAULT_USER_ID);

    // Without ignoreErrors a rejection fails the request and changes nothing.
    let r = subscribe(&http, &weak, &id, &[&presence, &calls]).await;
    let e = r.assert_error(403, "missing.permissions");
    assert!(e.message.unwrap().contains("conversation:call:view"));
    let r = subscribe(&http, &weak, &id, &["v2.no.such.topic"]).await;
    let e = r.assert_error(400, "bad.request");
    assert!(e.message.unwrap().contains("v2.no.such.topic"));
    assert_eq!(
        emu.notifications().channels()[0].topics,
        Vec::<String>::new()
    );

    // With ignoreErrors=true the permitted topics are applied and the
    // rejected ones say why.
    let path = format!("{}?ignoreErrors=true", subs(&id));
    let body = topics_body(&[
        &presence,
        &calls,
        "v2.no.such.topic",
        "v2.system.socket_closing",
    ]);
    let r = call(&http, Method::POST, &path, &weak, &body).await;
    assert_eq!(r.status, StatusCode::OK);
    let entities = r.json()["entities"].as_array().unwrap().clone();
    assert_eq!(entities.len(), 4);
    assert_eq!(entities[0]["id"], presence.as_str());
    assert_eq!(entities[0]["state"], "Permitted");
    assert_eq!(entities[1]["id"], calls.as_str());
    assert_eq!(entities[1]["state"], "Rejected");
    assert_eq!(
        entities[1]["missingPermissions"],
        json!(["conversation:call:view"])
    );
    assert!(
        entities[1]["rejectionReason"]
            .as_str()
            .unwrap()
            .contains("conversation:call:view")
    );
    assert_eq!(entities[2]["state"], "Rejected");
    assert_eq!(entities[2]["missingPermissions"], json!([]));
    assert!(
        entities[2]["rejectionReason"]
            .as_str()
            .unwrap()
            .contains("not a valid topic")
    );
    assert_eq!(entities[3]["state"], "Rejected");
    assert_eq!(
        emu.notifications().channels()[0].topics,
        [presence.as_str()]
    );

    // A client whose role grants conversation:call:view may follow any user;
    // a user may follow themself but not another user.
    let cc = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let (cc_channel, _) = create_channel(&http, &cc).await;
    let r = subscribe(&http, &cc, &cc_channel, &[&calls]).await;
    assert_eq!(r.json()["entities"][0]["state"], "Permitted");
    let user = emu.user_token(seed::DEFAULT_USER_ID);
    let (user_channel, _) = create_channel(&http, &user).await;
    let own = user_conversations(seed::DEFAULT_USER_ID);
    assert_eq!(
        subscribe(&http, &user, &user_channel, &[&own, &calls])
            .await
            .status,
        200
    );
    let r = subscribe(
        &http,
        &user,
        &user_channel,
        &[&user_calls(seed::NO_STATION_USER_ID)],
    )
    .await;
    r.assert_error(403, "missing.permissions");
    let queue = "v2.routing.queues.q1.conversations.calls";
    subscribe(&http, &user, &user_channel, &[queue])
        .await
        .assert_error(403, "missing.permissions");

    // A scripted rejection applies to matching topics until cleared.
    emu.notifications().reject_topic(
        "v2.users.{id}.conversations.calls",
        "conversation:secret:view",
    );
    let r = subscribe(&http, &cc, &cc_channel, &[&calls]).await;
    let e = r.assert_error(403, "missing.permissions");
    assert!(e.message.unwrap().contains("conversation:secret:view"));
    let r = call(
        &http,
        Method::PUT,
        &format!("{}?ignoreErrors=true", subs(&cc_channel)),
        &cc,
        &topics_body(&[&calls]),
    )
    .await;
    assert_eq!(
        r.json()["entities"][0]["missingPermissions"],
        json!(["conversation:secret:view"])
    );
    emu.notifications().clear_topic_rejections();
    assert_eq!(
        subscribe(&http, &cc, &cc_channel, &[&calls]).await.status,
        200
    );
    assert_eq!(emu.counters().topics_rejected(), 9);
}

#[tokio::test]
async fn more_than_1000_topics_on_a_channel_is_400() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let (id, _) = create_channel(&http, &token).await;
    let topics: Vec<String> = (0..1001)
        .map(|i| format!("v2.users.u{i}.presence"))
        .collect();
    let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let r = call(&http, Method::PUT, &subs(&id), &token, &topics_body(&refs)).await;
    let e = r.assert_error(400, "bad.request");
    assert!(e.message.unwrap().contains("1000"));
    assert!(emu.notifications().channels()[0].topics.is_empty());
    let r = call(
        &http,
        Method::PUT,
        &subs(&id),
        &token,
        &topics_body(&refs[..1000]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["entities"].as_array().unwrap().len(), 1000);
    // Topics already there do not count twice; one more does.
    assert_eq!(subscribe(&http, &token, &id, &refs[..10]).await.status, 200);
    subscribe(&http, &token, &id, &refs[1000..])
        .await
        .assert_error(400, "bad.request");
    assert_eq!(emu.notifications().channels()[0].topics.len(), 1000);
}

#[tokio::test]
async fn notification_calls_count_against_the_rate_limit_but_socket_messages_do_not() {
    let (emu, http) =
        start(EmulatorConfig::default().with_rate_limit(4, Duration::from_secs(60))).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await; // 1
    let r = subscribe(&http, &token, &id, &[&user_calls(seed::DEFAULT_USER_ID)]).await; // 2
    assert_eq!(r.header("inin-ratelimit-count"), Some("2"));
    let mut ws = connect(&uri).await;
    for _ in 0..10 {
        assert_quiet(&mut ws).await;
    }
    send_json(&mut ws, json!({"message": "subscribe", "topics": [format!("v2.users.{}.presence", seed::DEFAULT_USER_ID)]})).await;
    assert_eq!(next_json(&mut ws).await["result"], "200");
    assert_eq!(head(&http, &token, &id).await, StatusCode::NO_CONTENT); // 3
    let r = call(&http, Method::GET, &subs(&id), &token, "").await; // 4
    assert_eq!(r.header("inin-ratelimit-count"), Some("4"));
    call(&http, Method::GET, &subs(&id), &token, "")
        .await
        .assert_error(429, "too.many.requests");
    assert_eq!(emu.counters().rate_limited(), 1);
}

// ----- the socket ----------------------------------------------------------

#[tokio::test]
async fn the_socket_answers_ping_and_subscribe() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let mut ws = connect(&uri).await;
    assert!(emu.notifications().channels()[0].connected);

    send_json(&mut ws, json!({"message": "ping"})).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"topicName": "channel.metadata", "eventBody": {"message": "pong"}})
    );

    let calls = user_calls(seed::DEFAULT_USER_ID);
    send_json(
        &mut ws,
        json!({"message": "subscribe", "topics": [calls], "correlationId": "c-1"}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"result": "200", "status": "subscribed", "correlationId": "c-1"})
    );
    let r = call(&http, Method::GET, &subs(&id), &token, "").await;
    assert_eq!(r.json()["entities"][0]["id"], calls.as_str());

    // Unknown topics and topics the owner may not have fail as a whole.
    let other = user_calls(seed::NO_STATION_USER_ID);
    for topics in [json!(["v2.nope"]), json!([other, "v2.users.x.presence"])] {
        send_json(
            &mut ws,
            json!({"message": "subscribe", "topics": topics, "correlationId": "c-2"}),
        )
        .await;
        let answer = next_json(&mut ws).await;
        assert_eq!(answer["result"], "400", "{answer}");
        assert_eq!(answer["status"], "failure");
        assert_eq!(answer["correlationId"], "c-2");
    }
    let answer = {
        send_json(&mut ws, json!({"message": "subscribe", "topics": [other]})).await;
        next_json(&mut ws).await
    };
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("conversation:call:view")
    );
    assert_eq!(emu.notifications().channels()[0].topics, [calls.as_str()]);

    // Malformed messages get an error answer; the socket stays.
    ws.send(Message::text("not json")).await.unwrap();
    assert_eq!(next_json(&mut ws).await["status"], "error");
    send_json(&mut ws, json!({"message": "dance"})).await;
    assert_eq!(next_json(&mut ws).await["result"], "400");
    send_json(&mut ws, json!({"message": "subscribe", "topics": "x"})).await;
    assert_eq!(next_json(&mut ws).await["status"], "error");
    assert_quiet(&mut ws).await;
    assert_eq!(emu.counters().websocket_connections(), 1);
}

#[tokio::test]
async fn the_socket_needs_a_live_channel_and_an_upgrade() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let unknown = format!("ws://{}/channels/streaming-0-nope", emu.local_addr());
    match connect_async(&unknown).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::NOT_FOUND);
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, _) = create_channel(&http, &token).await;
    let r = http
        .send(
            Method::GET,
            &format!("/channels/{id}"),
            &[],
            bytes::Bytes::new(),
        )
        .await;
    r.assert_error(400, "bad.request");
    assert_eq!(emu.counters().websocket_connections(), 0);
}

#[tokio::test]
async fn http_faults_apply_to_the_socket_handshake() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (_, uri) = create_channel(&http, &token).await;
    emu.inject(
        genesys_emulator::RouteMatch::new(Method::GET, "/channels/{channelId}"),
        genesys_emulator::Fault::Status {
            status: 503,
            times: 1,
        },
    );
    match connect_async(&uri).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        }
        other => panic!("expected a 503, got {other:?}"),
    }
    let mut ws = connect(&uri).await;
    assert_quiet(&mut ws).await;
    assert_eq!(emu.counters().websocket_connections(), 1);
    assert_eq!(
        emu.counters()
            .requests(&Method::GET, "/channels/{channelId}"),
        2
    );
}

#[tokio::test]
async fn a_second_connection_replaces_the_first() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    subscribe(&http, &token, &id, &[&user_calls(seed::DEFAULT_USER_ID)]).await;
    let mut first = connect(&uri).await;
    let mut second = connect(&uri).await;
    assert_eq!(closed(&mut first).await, Some(CloseCode::Normal));
    // The channel, its topics and the new socket carry on.
    assert_quiet(&mut second).await;
    let user = emu.user_token(seed::DEFAULT_USER_ID);
    call(&http, Method::POST, CALLS, &user, PHONE_BODY).await;
    assert_eq!(
        next_json(&mut second).await["eventBody"]["participants"][0]["state"],
        "dialing"
    );
    assert_eq!(emu.counters().websocket_connections(), 2);
    assert!(emu.notifications().channels()[0].connected);
}

// ----- the clock -----------------------------------------------------------

#[tokio::test]
async fn heartbeats_follow_the_manual_clock() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let mut ws = connect(&uri).await;

    emu.clock().advance(Duration::from_secs(29));
    assert_quiet(&mut ws).await;
    emu.clock().advance(Duration::from_secs(1));
    assert!(is_heartbeat(&next_json(&mut ws).await));
    assert_quiet(&mut ws).await;
    emu.clock().advance(Duration::from_secs(30));
    assert!(is_heartbeat(&next_json(&mut ws).await));
    // A jump over several intervals sends one, not a burst of late ones.
    emu.clock().advance(Duration::from_secs(95));
    assert!(is_heartbeat(&next_json(&mut ws).await));
    assert_quiet(&mut ws).await;
    assert_eq!(emu.counters().heartbeats_sent(), 3);

    // Stopped heartbeats stay stopped until resumed (across reconnects).
    assert!(emu.notifications().stop_heartbeats(&id));
    emu.clock().advance(Duration::from_secs(120));
    assert_quiet(&mut ws).await;
    drop(ws);
    let mut ws = connect(&uri).await;
    emu.clock().advance(Duration::from_secs(60));
    assert_quiet(&mut ws).await;
    assert!(emu.notifications().channels()[0].heartbeats_stopped);
    assert!(emu.notifications().resume_heartbeats(&id));
    emu.clock().advance(Duration::from_secs(29));
    assert_quiet(&mut ws).await;
    emu.clock().advance(Duration::from_secs(1));
    assert!(is_heartbeat(&next_json(&mut ws).await));
    assert_eq!(emu.counters().heartbeats_sent(), 4);
    assert!(!emu.notifications().stop_heartbeats("streaming-0-nope"));
}

#[tokio::test]
async fn heartbeat_interval_is_configurable_and_runs_on_a_real_clock() {
    let config = EmulatorConfig::default().with_heartbeat_interval(Duration::from_millis(20));
    let emu = Emulator::start(config).await.unwrap();
    let http = Http::new(&emu.base_url());
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (_, uri) = create_channel(&http, &token).await;
    let mut ws = connect(&uri).await;
    assert!(is_heartbeat(&next_json(&mut ws).await));
    assert!(is_heartbeat(&next_json(&mut ws).await));
}

#[tokio::test]
async fn channels_expire_after_24_hours() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let mut ws = connect(&uri).await;
    emu.notifications().stop_heartbeats(&id);
    emu.clock().advance(Duration::from_secs(24 * 3600 - 1));
    assert_quiet(&mut ws).await;
    // Access tokens live 86,399 s: use a fresh one of the same user and app.
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    assert_eq!(head(&http, &token, &id).await, StatusCode::NO_CONTENT);
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(closed(&mut ws).await, Some(CloseCode::Normal));
    assert_eq!(head(&http, &token, &id).await, StatusCode::NOT_FOUND);
    assert!(emu.notifications().channels().is_empty());
    match connect_async(&uri).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status(), StatusCode::NOT_FOUND);
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_lifetime_is_configurable() {
    let settings = NotificationSettings {
        channel_lifetime: Duration::from_secs(60),
        ..NotificationSettings::default()
    };
    let (emu, http) = start(EmulatorConfig::default().with_notification_settings(settings)).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, _) = create_channel(&http, &token).await;
    emu.clock().advance(Duration::from_secs(60));
    assert_eq!(head(&http, &token, &id).await, StatusCode::NOT_FOUND);
}

// ----- call events ---------------------------------------------------------

/// The participants' states of a call event.
fn states(event: &Value) -> Vec<String> {
    event["eventBody"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.get("state")
                .or_else(|| p.pointer("/calls/0/state"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_placed_call_sends_each_state_once_in_order() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let user = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &user).await;
    let calls = user_calls(seed::DEFAULT_USER_ID);
    let conversations = user_conversations(seed::DEFAULT_USER_ID);
    subscribe(&http, &user, &id, &[&calls, &conversations]).await;
    let mut ws = connect(&uri).await;

    let r = call(&http, Method::POST, CALLS, &user, PHONE_BODY).await;
    let conversation_id = r.json()["id"].as_str().unwrap().to_owned();
    // The dialing events are on the socket before the answer was sent.
    let e = next_json(&mut ws).await;
    assert_eq!(e["topicName"], calls.as_str());
    assert_eq!(e["version"], "2");
    assert_eq!(e["metadata"]["CorrelationId"].as_str().unwrap().len(), 36);
    let body = &e["eventBody"];
    assert_eq!(body["id"], conversation_id.as_str());
    assert_eq!(body["name"], "+15550123");
    assert_eq!(states(&e), ["dialing", "dialing"]);
    let me = &body["participants"][0];
    assert_eq!(me["purpose"], "user");
    assert_eq!(me["direction"], "outbound");
    assert_eq!(me["user"]["id"], seed::DEFAULT_USER_ID);
    assert_eq!(me["user"]["name"], seed::DEFAULT_USER_NAME);
    assert!(me["startTime"].is_string());
    assert!(me.get("connectedTime").is_none());
    let far = &body["participants"][1];
    assert_eq!(far["purpose"], "external");
    assert_eq!(far["address"], "tel:+15550123");
    let e = next_json(&mut ws).await;
    assert_eq!(e["topicName"], conversations.as_str());
    assert_eq!(states(&e), ["dialing", "dialing"]);
    assert_eq!(
        e["eventBody"]["participants"][0]["userId"],
        seed::DEFAULT_USER_ID
    );
    assert_quiet(&mut ws).await;

    emu.clock().advance(Duration::from_millis(999));
    assert_quiet(&mut ws).await;
    emu.clock().advance(Duration::from_millis(1));
    let e = next_json(&mut ws).await;
    assert_eq!(
        (e["topicName"].as_str().unwrap(), states(&e)),
        (calls.as_str(), vec!["contacting".to_owned(); 2])
    );
    let e = next_json(&mut ws).await;
    assert_eq!(e["topicName"], conversations.as_str());
    assert_eq!(states(&e), ["contacting", "contacting"]);
    assert_quiet(&mut ws).await;

    emu.clock().advance(Duration::from_secs(2));
    let e = next_json(&mut ws).await;
    assert_eq!(states(&e), ["connected", "connected"]);
    let connected = e["eventBody"]["participants"][0]["connectedTime"]
        .as_str()
        .unwrap();
    // The REST API tells the same story.
    let r = http.get(&format!("{CALLS}/{conversation_id}"), &user).await;
    let rest = r.json();
    assert_eq!(rest["participants"][0]["connectedTime"], connected);
    let e = next_json(&mut ws).await;
    assert_eq!(e["topicName"], conversations.as_str());
    assert_eq!(
        e["eventBody"]["participants"][1]["calls"][0]["state"],
        "connected"
    );

    // Connected is the last state: nothing more, ever.
    emu.clock().advance(Duration::from_secs(3600));
    let next = next_json(&mut ws).await;
    assert!(is_heartbeat(&next), "{next}");
    assert_quiet(&mut ws).await;
    assert_eq!(emu.counters().events_sent(&calls), 3);
    assert_eq!(emu.counters().events_sent(&conversations), 3);
    assert_eq!(emu.counters().events_sent_total(), 6);
}

#[tokio::test]
async fn overlapping_calls_send_each_state_once_even_to_a_later_subscriber() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let user = emu.user_token(seed::DEFAULT_USER_ID);
    let calls = user_calls(seed::DEFAULT_USER_ID);
    let id_of = |r: Resp| r.json()["id"].as_str().unwrap().to_owned();
    // Call A is placed before anyone listens: its later events are still
    // made when they fall due.
    let a = id_of(call(&http, Method::POST, CALLS, &user, PHONE_BODY).await);
    let (channel, uri) = create_channel(&http, &user).await;
    subscribe(&http, &user, &channel, &[&calls]).await;
    let mut ws = connect(&uri).await;
    let mut next = async || {
        let e = next_json(&mut ws).await;
        let id = e["eventBody"]["id"].as_str().unwrap().to_owned();
        (id, states(&e)[0].clone())
    };

    // Default timings: contacting 1 s after creation, connected 2 s later.
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(next().await, (a.clone(), "contacting".to_owned()));
    let b = id_of(call(&http, Method::POST, CALLS, &user, PHONE_BODY).await);
    assert_eq!(next().await, (b.clone(), "dialing".to_owned()));
    // A waits to connect while B, placed later, moves on first.
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(next().await, (b.clone(), "contacting".to_owned()));
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(next().await, (a.clone(), "connected".to_owned()));
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(next().await, (b.clone(), "connected".to_owned()));
    assert_quiet(&mut ws).await;
    assert_eq!(emu.counters().events_sent(&calls), 5);
}

#[tokio::test]
async fn a_jump_of_the_clock_sends_every_state_in_order() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let cc = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let (id, uri) = create_channel(&http, &cc).await;
    let calls = user_calls(seed::DEFAULT_USER_ID);
    subscribe(&http, &cc, &id, &[&calls]).await;
    let mut ws = connect(&uri).await;
    // Two calls on behalf of the user, the second a second later.
    let path = on_behalf(seed::DEFAULT_USER_ID);
    let first = call(&http, Method::POST, &path, &cc, PHONE_BODY)
        .await
        .json()["id"]
        .clone();
    emu.clock().advance(Duration::from_secs(1));
    let second = call(&http, Method::POST, &path, &cc, PHONE_BODY)
        .await
        .json()["id"]
        .clone();
    emu.clock().advance(Duration::from_secs(10));
    let mut seen = Vec::new();
    for _ in 0..6 {
        let e = next_json(&mut ws).await;
        seen.push((e["eventBody"]["id"].clone(), states(&e)[0].clone()));
    }
    let s = |id: &Value, state: &str| (id.clone(), state.to_owned());
    assert_eq!(
        seen,
        [
            s(&first, "dialing"),
            s(&first, "contacting"),
            s(&second, "dialing"),
            s(&second, "contacting"),
            s(&first, "connected"),
            s(&second, "connected"),
        ]
    );
    assert_quiet(&mut ws).await;
    assert_eq!(emu.counters().events_sent(&calls), 6);
}

#[tokio::test]
async fn the_called_user_and_the_queue_hear_about_the_call() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let cc = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let callee = user_calls(seed::NO_STATION_USER_ID);
    let callee_token = emu.user_token(seed::NO_STATION_USER_ID);
    let (id, uri) = create_channel(&http, &callee_token).await;
    subscribe(&http, &callee_token, &id, &[&callee]).await;
    let mut ws = connect(&uri).await;
    let body = json!({"callUserId": seed::NO_STATION_USER_ID}).to_string();
    call(
        &http,
        Method::POST,
        &on_behalf(seed::DEFAULT_USER_ID),
        &cc,
        &body,
    )
    .await;
    let e = next_json(&mut ws).await;
    assert_eq!(e["topicName"], callee.as_str());
    assert_eq!(e["eventBody"]["name"], seed::NO_STATION_USER_NAME);
    assert_eq!(
        e["eventBody"]["participants"][1]["user"]["id"],
        seed::NO_STATION_USER_ID
    );

    // The queue topic needs routing:queue:view: give the client a role with it.
    let config = EmulatorConfig::default()
        .with_role(genesys_emulator::RoleSeed::new(
            "queue-watcher",
            ["routing:queue:view"],
        ))
        .with_client(
            genesys_emulator::ClientSeed::client_credentials("watcher", "s")
                .with_role("queue-watcher"),
        );
    let (emu, http) = start(config).await;
    let watcher = emu.client_credentials_token("watcher");
    let (id, uri) = create_channel(&http, &watcher).await;
    let queue = "v2.routing.queues.q-1.conversations.calls";
    assert_eq!(subscribe(&http, &watcher, &id, &[queue]).await.status, 200);
    let mut ws = connect(&uri).await;
    let cc = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let body = json!({"callQueueId": "q-1"}).to_string();
    call(
        &http,
        Method::POST,
        &on_behalf(seed::DEFAULT_USER_ID),
        &cc,
        &body,
    )
    .await;
    let e = next_json(&mut ws).await;
    assert_eq!(e["topicName"], queue);
    assert_eq!(e["eventBody"]["participants"][1]["queue"]["id"], "q-1");
    assert_eq!(emu.counters().events_sent(queue), 1);
}

#[tokio::test]
async fn events_are_not_sent_to_channels_without_a_socket() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let user = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &user).await;
    let calls = user_calls(seed::DEFAULT_USER_ID);
    subscribe(&http, &user, &id, &[&calls]).await;
    call(&http, Method::POST, CALLS, &user, PHONE_BODY).await;
    assert_eq!(emu.counters().events_sent(&calls), 0);
    let mut ws = connect(&uri).await;
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(states(&next_json(&mut ws).await)[0], "contacting");
    assert_eq!(emu.counters().events_sent(&calls), 1);
}

#[tokio::test]
async fn publish_sends_scripted_events_to_subscribers() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let presence = format!("v2.users.{}.presence", seed::DEFAULT_USER_ID);
    subscribe(&http, &token, &id, &[&presence]).await;
    let mut ws = connect(&uri).await;
    for n in 0..3 {
        assert_eq!(emu.notifications().publish(&presence, json!({"n": n})), 1);
    }
    assert_eq!(
        emu.notifications()
            .publish("v2.users.x.presence", json!({})),
        0
    );
    for n in 0..3 {
        let e = next_json(&mut ws).await;
        assert_eq!(e["topicName"], presence.as_str());
        assert_eq!(e["eventBody"], json!({"n": n}));
    }
    assert!(emu.notifications().send_raw(&id, "{\"hello\":1}"));
    assert_eq!(next_json(&mut ws).await, json!({"hello": 1}));
    assert_eq!(emu.counters().events_sent(&presence), 3);
}

// ----- faults ----------------------------------------------------------------

#[tokio::test]
async fn a_dropped_socket_ends_without_a_close_frame_and_the_channel_stays() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let calls = user_calls(seed::DEFAULT_USER_ID);
    subscribe(&http, &token, &id, &[&calls]).await;
    let mut ws = connect(&uri).await;
    assert!(emu.notifications().drop_socket(&id));
    assert_eq!(closed(&mut ws).await, None, "no close frame");
    assert!(!emu.notifications().drop_socket(&id), "no socket any more");
    assert_eq!(head(&http, &token, &id).await, StatusCode::NO_CONTENT);
    let mut ws = connect(&uri).await;
    call(&http, Method::POST, CALLS, &token, PHONE_BODY).await;
    assert_eq!(next_json(&mut ws).await["topicName"], calls.as_str());
}

#[tokio::test]
async fn socket_closing_is_followed_by_a_close_on_the_emulator_clock() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let mut ws = connect(&uri).await;
    emu.notifications().stop_heartbeats(&id);
    assert!(
        emu.notifications()
            .send_socket_closing(&id, Duration::from_secs(60))
    );
    let e = next_json(&mut ws).await;
    assert_eq!(e["topicName"], "v2.system.socket_closing");
    assert_eq!(e["version"], "2");
    assert_eq!(e["eventBody"]["channelId"], id.as_str());
    emu.clock().advance(Duration::from_secs(59));
    assert_quiet(&mut ws).await;
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(closed(&mut ws).await, Some(CloseCode::Away));
    // Only the socket closed: the channel is still there.
    assert_eq!(head(&http, &token, &id).await, StatusCode::NO_CONTENT);
    assert_eq!(emu.counters().events_sent("v2.system.socket_closing"), 1);

    // Zero delay closes at once.
    let mut ws = connect(&uri).await;
    assert!(emu.notifications().send_socket_closing(&id, Duration::ZERO));
    assert_eq!(
        next_json(&mut ws).await["topicName"],
        "v2.system.socket_closing"
    );
    assert_eq!(closed(&mut ws).await, Some(CloseCode::Away));
    assert!(!emu.notifications().send_socket_closing(&id, Duration::ZERO));
}

#[tokio::test]
async fn expiring_a_channel_closes_its_socket_and_head_answers_404() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let mut ws = connect(&uri).await;
    assert!(emu.notifications().expire_channel(&id));
    assert_eq!(closed(&mut ws).await, Some(CloseCode::Normal));
    assert_eq!(head(&http, &token, &id).await, StatusCode::NOT_FOUND);
    call(&http, Method::GET, &subs(&id), &token, "")
        .await
        .assert_error(404, "not.found");
    assert!(!emu.notifications().expire_channel(&id));
}

#[tokio::test]
async fn an_evicted_channel_is_told_and_closed() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let mut ws = connect(&uri).await;
    assert!(emu.notifications().evict_channel(&id));
    let e = next_json(&mut ws).await;
    let topic = format!("v2.system.no_longer_subscribed.{id}");
    assert_eq!(e["topicName"], topic.as_str());
    assert_eq!(e["eventBody"]["channelId"], id.as_str());
    assert_eq!(e["eventBody"]["systemTopicType"], "no_longer_subscribed");
    assert_eq!(e["eventBody"]["userId"], seed::DEFAULT_USER_ID);
    assert_eq!(closed(&mut ws).await, Some(CloseCode::Normal));
    assert_eq!(head(&http, &token, &id).await, StatusCode::NOT_FOUND);
    assert_eq!(emu.counters().events_sent(&topic), 1);
}

#[tokio::test]
async fn the_21st_channel_evicts_the_least_recently_used_idle_one() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let mut ids = Vec::new();
    let mut first_uri = String::new();
    for i in 0..20 {
        let (id, uri) = create_channel(&http, &token).await;
        if i == 0 {
            first_uri = uri;
        }
        ids.push(id);
        emu.clock().advance(Duration::from_secs(1));
    }
    // The oldest channel has a socket, so the second oldest goes.
    let mut ws = connect(&first_uri).await;
    let (newest, _) = create_channel(&http, &token).await;
    assert_eq!(head(&http, &token, &ids[1]).await, StatusCode::NOT_FOUND);
    assert_eq!(head(&http, &token, &ids[0]).await, StatusCode::NO_CONTENT);
    assert_eq!(head(&http, &token, &newest).await, StatusCode::NO_CONTENT);
    assert_eq!(emu.notifications().channels().len(), 20);
    assert_quiet(&mut ws).await;
    // Other users and apps have their own 20.
    let cc = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    create_channel(&http, &cc).await;
    assert_eq!(emu.notifications().channels().len(), 21);

    // When every channel has a socket, the least recently used goes, and
    // its socket is told.
    let settings = NotificationSettings {
        max_channels: 2,
        ..NotificationSettings::default()
    };
    let (emu, http) = start(EmulatorConfig::default().with_notification_settings(settings)).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (a, a_uri) = create_channel(&http, &token).await;
    let (b, b_uri) = create_channel(&http, &token).await;
    let mut a_ws = connect(&a_uri).await;
    emu.clock().advance(Duration::from_secs(1));
    let mut b_ws = connect(&b_uri).await;
    emu.clock().advance(Duration::from_secs(1));
    // Using a marks it recently used: b is now the least recently used.
    subscribe(&http, &token, &a, &[&user_calls(seed::DEFAULT_USER_ID)]).await;
    create_channel(&http, &token).await;
    let e = next_json(&mut b_ws).await;
    assert_eq!(
        e["topicName"],
        format!("v2.system.no_longer_subscribed.{b}")
    );
    assert_eq!(closed(&mut b_ws).await, Some(CloseCode::Normal));
    assert_quiet(&mut a_ws).await;
    assert_eq!(head(&http, &token, &b).await, StatusCode::NOT_FOUND);
    assert_eq!(emu.counters().channels_created(), 3);
}

#[tokio::test]
async fn counters_count_notification_activity_and_reset() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, uri) = create_channel(&http, &token).await;
    let calls = user_calls(seed::DEFAULT_USER_ID);
    subscribe(&http, &token, &id, &[&calls, "v2.nope"]).await; // rejected: nothing applied
    let r = call(
        &http,
        Method::POST,
        &format!("{}?ignoreErrors=true", subs(&id)),
        &token,
        &topics_body(&[&calls, "v2.nope"]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut ws = connect(&uri).await;
    call(&http, Method::POST, CALLS, &token, PHONE_BODY).await;
    next_json(&mut ws).await;
    emu.clock().advance(Duration::from_secs(30));
    let mut heartbeat = false;
    for _ in 0..3 {
        heartbeat |= is_heartbeat(&next_json(&mut ws).await);
    }
    assert!(heartbeat);
    let c = emu.counters();
    assert_eq!(c.channels_created(), 1);
    assert_eq!(c.websocket_connections(), 1);
    assert_eq!(c.subscriptions(), 1);
    assert_eq!(c.topics_rejected(), 2);
    assert_eq!(c.events_sent(&calls), 3);
    assert_eq!(c.heartbeats_sent(), 1);
    assert_eq!(
        c.requests(&Method::POST, "/api/v2/notifications/channels"),
        1
    );
    assert_eq!(
        c.requests(
            &Method::POST,
            "/api/v2/notifications/channels/{channelId}/subscriptions"
        ),
        2
    );
    assert_eq!(c.requests(&Method::GET, "/channels/{channelId}"), 1);
    c.reset();
    assert_eq!(
        c.events_sent_total() + c.heartbeats_sent() + c.channels_created(),
        0
    );
}

#[tokio::test]
async fn channel_ids_are_not_shown_in_full_by_debug_output() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let (id, _) = create_channel(&http, &token).await;
    let info = emu.notifications().channels().remove(0);
    assert_eq!(info.id, id);
    let debug = format!("{info:?} {:?}", emu.notifications());
    assert!(!debug.contains(&id), "{debug}");
    assert!(debug.contains(&id[..16]));
}

// ----- conformance with the notification spec ---------------------------------

fn shared_spec() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/genesys-notifications.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Checks `value` against a Swagger schema: every key is a known property,
/// types and enums match, `$ref`s are followed.
fn conforms(spec: &Value, schema: &Value, value: &Value, at: &str) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/definitions/");
        return conforms(spec, &spec["definitions"][name], value, at);
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        assert!(values.contains(value), "{at}: {value} not in {values:?}");
    }
    let ty = schema.get("type").and_then(Value::as_str);
    match ty {
        Some("string") => {
            assert!(value.is_string(), "{at}: {value} is not a string");
            if schema.get("format").and_then(Value::as_str) == Some("date-time") {
                let s = value.as_str().unwrap();
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|e| panic!("{at}: {s} is not a date-time: {e}"));
            }
        }
        Some("boolean") => assert!(value.is_boolean(), "{at}: {value} is not a boolean"),
        Some("integer") => assert!(value.is_i64(), "{at}: {value} is not an integer"),
        Some("number") => assert!(value.is_number(), "{at}: {value} is not a number"),
        Some("array") => {
            for (i, item) in value.as_array().expect("an array").iter().enumerate() {
                conforms(spec, &schema["items"], item, &format!("{at}[{i}]"));
            }
        }
        Some("object") | None => {
            let object = value
                .as_object()
                .unwrap_or_else(|| panic!("{at}: {value} is not an object"));
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, v) in object {
                    let property = properties
                        .get(key)
                        .unwrap_or_else(|| panic!("{at}: unknown property {key}"));
                    conforms(spec, property, v, &format!("{at}.{key}"));
                }
            }
        }
        Some(other) => panic!("{at}: unexpected schema type {other}"),
    }
}

fn topic_schema(spec: &Value, topic: &str) -> Value {
    spec["x-genesys-notification-topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == topic)
        .unwrap_or_else(|| panic!("{topic} is not in the spec"))["schema"]
        .clone()
}

#[tokio::test]
async fn event_bodies_conform_to_the_notification_spec() {
    let spec = shared_spec();
    let config = EmulatorConfig::default()
        .with_role(genesys_emulator::RoleSeed::new(
            "watcher",
            ["routing:queue:view", "conversation:*:view"],
        ))
        .with_client(
            genesys_emulator::ClientSeed::client_credentials("watcher", "s").with_role("watcher"),
        );
    let (emu, http) = start(config).await;
    let watcher = emu.client_credentials_token("watcher");
    let (id, uri) = create_channel(&http, &watcher).await;
    let user = seed::DEFAULT_USER_ID;
    let topics = [
        (user_calls(user), "v2.users.{id}.conversations.calls"),
        (user_conversations(user), "v2.users.{id}.conversations"),
        (
            "v2.routing.queues.q-1.conversations.calls".to_owned(),
            "v2.routing.queues.{id}.conversations.calls",
        ),
    ];
    let names: Vec<&str> = topics.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(subscribe(&http, &watcher, &id, &names).await.status, 200);
    let mut ws = connect(&uri).await;
    let cc = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    for body in [
        PHONE_BODY.to_owned(),
        json!({"callUserId": seed::NO_STATION_USER_ID, "callerIdName": "Desk"}).to_string(),
        json!({"callQueueId": "q-1"}).to_string(),
        json!({"participants": [{"address": "+15550001"}, {"address": "+15550002"}]}).to_string(),
    ] {
        let r = call(&http, Method::POST, &on_behalf(user), &cc, &body).await;
        assert_eq!(r.status, StatusCode::OK, "{body}");
    }
    emu.clock().advance(Duration::from_secs(1));
    emu.clock().advance(Duration::from_secs(2));
    emu.notifications()
        .send_socket_closing(&id, Duration::from_secs(60));
    emu.notifications().evict_channel(&id);
    let mut checked = 0;
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
        let Some(Ok(Message::Text(text))) = message else {
            break;
        };
        let envelope: Value = serde_json::from_str(text.as_str()).unwrap();
        let topic = envelope["topicName"].as_str().unwrap();
        let template = topics
            .iter()
            .find(|(t, _)| t == topic)
            .map(|(_, template)| (*template).to_owned())
            .unwrap_or_else(|| {
                if topic.starts_with("v2.system.no_longer_subscribed.") {
                    "v2.system.no_longer_subscribed.{id}".to_owned()
                } else {
                    topic.to_owned()
                }
            });
        let schema = topic_schema(&spec, &template);
        conforms(&spec, &schema, &envelope["eventBody"], topic);
        assert_eq!(envelope["version"], "2");
        checked += 1;
    }
    // 4 calls × 3 states × 2 user topics, + the queue call's 3, + 2 system messages.
    assert_eq!(checked, 4 * 3 * 2 + 3 + 2);
}

#[test]
fn notification_settings_read_from_a_file() {
    let config = EmulatorConfig::from_toml_str(
        "[notifications]\nheartbeat_interval_secs = 5\nmax_channels = 3\n",
    )
    .unwrap();
    assert_eq!(
        config.notifications.heartbeat_interval,
        Duration::from_secs(5)
    );
    assert_eq!(config.notifications.max_channels, 3);
    assert_eq!(config.notifications.max_topics, 1000);
    assert_eq!(
        config.notifications.channel_lifetime,
        Duration::from_secs(86_400)
    );
    assert!(EmulatorConfig::from_toml_str("[notifications]\nmax_topics = 0\n").is_err());
    assert!(
        EmulatorConfig::from_toml_str("[notifications]\nheartbeat_interval_secs = 0\n").is_err()
    );
}
