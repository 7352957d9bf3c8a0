//! Calls followed by notification events instead of polling, against the
//! emulator on its manual clock: exact request counts show what was polled.

use std::time::Duration;

use futures_util::StreamExt as _;
use genesys_cloud::calls::{CallFollow, CallState, CallUpdate, Dial, UpdateSource};
use genesys_cloud::{Client, Error};
use genesys_emulator::{Emulator, EmulatorConfig, seed};
use http::Method;

mod common;
use common::client_with;

const GET_CALL: &str = "/api/v2/conversations/calls/{conversationId}";
const WAIT: Duration = Duration::from_secs(10);

async fn manual() -> Emulator {
    Emulator::start(
        EmulatorConfig::default()
            .with_manual_clock()
            .with_call_timings(Duration::from_secs(2), Duration::from_secs(3)),
    )
    .await
    .expect("emulator starts")
}

fn client(emu: &Emulator, client_id: &str) -> Client {
    client_with(emu, emu.client_credentials_token(client_id))
}

/// The next update, within `WAIT`.
async fn next_update(updates: &mut CallFollow) -> CallUpdate {
    tokio::time::timeout(WAIT, updates.next())
        .await
        .expect("an update in time")
        .expect("the stream goes on")
        .expect("no error")
}

fn dial() -> Dial {
    Dial::number("+15550123")
        .caller_id("+15550100")
        .on_behalf_of(seed::DEFAULT_USER_ID)
}

/// Lets the client's tasks run (events are delivered over a local socket).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn a_placed_call_is_followed_by_events_without_a_single_get() {
    let emu = manual().await;
    let client = client(&emu, seed::DEFAULT_CLIENT_ID);
    let placed = client.calls().place(&dial()).await.unwrap();
    // The topic was subscribed before the call was created.
    assert_eq!(emu.counters().channels_created(), 1);
    assert_eq!(emu.counters().subscriptions(), 1);

    let waiter = {
        let client = client.clone();
        let id = placed.conversation_id.clone();
        tokio::spawn(async move {
            client
                .calls()
                .wait_for(&id, CallState::Connected, WAIT)
                .await
        })
    };
    settle().await;
    emu.clock().advance(Duration::from_secs(6));
    let call = tokio::time::timeout(WAIT, waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(CallState::of(&call), CallState::Connected);
    assert_eq!(call.id.as_deref(), Some(placed.conversation_id.as_str()));
    assert_eq!(
        emu.counters().requests(&Method::GET, GET_CALL),
        0,
        "no polling"
    );

    // Many calls share the one channel and subscription.
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(client.calls().place(&dial()).await.unwrap().conversation_id);
    }
    emu.clock().advance(Duration::from_secs(6));
    for id in &ids {
        client
            .calls()
            .wait_for(id, CallState::Connected, WAIT)
            .await
            .unwrap();
    }
    assert_eq!(emu.counters().channels_created(), 1);
    assert_eq!(emu.counters().subscriptions(), 1);
    assert_eq!(emu.counters().requests(&Method::GET, GET_CALL), 0);
}

#[tokio::test]
async fn follow_yields_each_state_once_in_order_from_events() {
    let emu = manual().await;
    let client = client(&emu, seed::DEFAULT_CLIENT_ID);
    let placed = client.calls().place(&dial()).await.unwrap();
    let mut updates = client.calls().follow(&placed.conversation_id);
    let first = tokio::time::timeout(WAIT, updates.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.state, CallState::Dialing);
    assert_eq!(first.source, UpdateSource::Event);
    emu.clock().advance(Duration::from_secs(6));
    let second = tokio::time::timeout(WAIT, updates.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(second.state, CallState::Connected);
    assert_eq!(second.source, UpdateSource::Event);
    assert_eq!(emu.counters().requests(&Method::GET, GET_CALL), 0);
}

#[tokio::test]
async fn a_call_placed_elsewhere_is_caught_up_with_gets_then_followed_by_events() {
    let emu = manual().await;
    let placer = client(&emu, seed::DEFAULT_CLIENT_ID);
    let id = placer.calls().place(&dial()).await.unwrap().conversation_id;
    // Another client (another process) follows it.
    let follower = client(&emu, seed::DEFAULT_CLIENT_ID);
    let mut updates = follower.calls().follow(&id);
    let first = tokio::time::timeout(WAIT, updates.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.state, CallState::Dialing);
    assert_eq!(first.source, UpdateSource::Request);
    // One GET to find the call's user, one to catch up after subscribing.
    assert_eq!(emu.counters().requests(&Method::GET, GET_CALL), 2);
    emu.clock().advance(Duration::from_secs(6));
    let next = tokio::time::timeout(WAIT, updates.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(next.state, CallState::Connected);
    assert_eq!(next.source, UpdateSource::Event);
    assert_eq!(emu.counters().requests(&Method::GET, GET_CALL), 2);
}

#[tokio::test]
async fn without_permission_for_the_topic_calls_are_followed_by_polling() {
    let emu = manual().await;
    // The topic is rejected for this client (its role lacks the view permission).
    emu.notifications().reject_topic(
        "v2.users.{id}.conversations.calls",
        "conversation:call:view",
    );
    let client = client(&emu, seed::DEFAULT_CLIENT_ID);
    let placed = client.calls().place(&dial()).await.unwrap();
    assert_eq!(
        emu.counters().calls_created(),
        1,
        "the call is placed all the same"
    );
    emu.clock().advance(Duration::from_secs(6));
    let call = client
        .calls()
        .wait_for(&placed.conversation_id, CallState::Connected, WAIT)
        .await
        .unwrap();
    assert_eq!(CallState::of(&call), CallState::Connected);
    assert!(
        emu.counters().requests(&Method::GET, GET_CALL) >= 1,
        "it polled"
    );
}

#[tokio::test]
async fn a_dropped_socket_is_caught_up_with_one_get() {
    let emu = manual().await;
    let client = client(&emu, seed::DEFAULT_CLIENT_ID);
    let placed = client.calls().place(&dial()).await.unwrap();
    let mut updates = client.calls().follow(&placed.conversation_id);
    let first = tokio::time::timeout(WAIT, updates.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.state, CallState::Dialing);
    // The socket drops; the call connects while the client is away.
    let channel = emu.notifications().channel_ids()[0].clone();
    assert!(emu.notifications().drop_socket(&channel));
    emu.clock().advance(Duration::from_secs(6));
    let next = next_update(&mut updates).await;
    assert_eq!(next.state, CallState::Connected);
    assert_eq!(
        next.source,
        UpdateSource::Request,
        "caught up after the gap"
    );
    assert_eq!(emu.counters().requests(&Method::GET, GET_CALL), 1);
}

#[tokio::test]
async fn waiting_times_out_with_the_state_it_is_in() {
    let emu = manual().await;
    let client = client(&emu, seed::DEFAULT_CLIENT_ID);
    let placed = client.calls().place(&dial()).await.unwrap();
    let err = client
        .calls()
        .wait_for(
            &placed.conversation_id,
            CallState::Connected,
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("Dialing"), "{err}");
}

#[tokio::test]
async fn users_asked_for_together_share_subscription_requests_and_a_rejected_one_costs_only_itself()
{
    let emu = manual().await;
    let rejected_topic = format!("v2.users.{}.conversations.calls", seed::NO_STATION_USER_ID);
    emu.notifications()
        .reject_topic(rejected_topic, "conversation:call:view");
    let client = client(&emu, seed::DEFAULT_CLIENT_ID);
    let calls = client.calls();
    let stationless = Dial::number("+15550124").on_behalf_of(seed::NO_STATION_USER_ID);
    let first = dial();
    let (placed, refused) = tokio::join!(calls.place(&first), calls.place(&stationless));
    let placed = placed.unwrap();
    assert!(refused.is_err(), "that user has no station");
    assert_eq!(emu.counters().channels_created(), 1);
    let subscription_requests = emu
        .counters()
        .requests_any_method("/api/v2/notifications/channels/{channelId}/subscriptions");
    assert!(
        subscription_requests <= 2,
        "{subscription_requests} subscription requests"
    );

    emu.clock().advance(Duration::from_secs(6));
    let call = calls
        .wait_for(&placed.conversation_id, CallState::Connected, WAIT)
        .await
        .unwrap();
    assert_eq!(CallState::of(&call), CallState::Connected);
    assert_eq!(
        emu.counters().requests(&Method::GET, GET_CALL),
        0,
        "followed by events"
    );
}
