//! Subscribing to notification topics and printing events as they arrive,
//! instead of polling (which spends the token's 300 requests a minute).
//!
//! Topics are typed: `topics::users_conversations_calls(user_id)` is a
//! `Topic<ConversationCallEventTopicCallConversation>`, so each event's body
//! arrives decoded as that model. The channel client keeps the WebSocket
//! alive, reconnects, renews the channel before it expires, and reports a
//! `Gap` whenever events may have been missed.
//!
//! ```sh
//! cargo run -p genesys-cloud --example notifications
//! ```
//!
//! On the embedded emulator it places a call and prints its events until the
//! far end answers. Against a real org, set `GENESYSCLOUD_REGION`,
//! `GENESYSCLOUD_OAUTHCLIENT_ID`, `GENESYSCLOUD_OAUTHCLIENT_SECRET` and
//! `GENESYS_EXAMPLE_USER_ID`; it prints that user's call events for
//! `GENESYS_EXAMPLE_LISTEN_SECS` seconds (default 60), placing nothing.

#[path = "common/mod.rs"]
pub mod common;

use std::time::Duration;

use futures_util::StreamExt as _;
use genesys_cloud::calls::Dial;
use genesys_cloud::model::OpenEnum as _;
use genesys_cloud::model::notifications::topics;
use genesys_cloud::notifications::Typed;

use common::{BoxError, Target};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = common::connect().await?;
    run(&target).await?;
    Ok(())
}

/// Prints the user's call events; returns the far end's states, in order.
pub async fn run(target: &Target) -> Result<Vec<String>, BoxError> {
    let Some(user_id) = &target.user_id else {
        println!("set GENESYS_EXAMPLE_USER_ID to the user whose calls to follow");
        return Ok(Vec::new());
    };
    let client = &target.client;
    let mut events = client
        .notifications_channel()
        .subscribe([topics::users_conversations_calls(user_id)])
        .await?;
    println!("subscribed to v2.users.{user_id}.conversations.calls");

    let listen_for = if target.is_emulated() {
        // Something to listen to: a call on behalf of the demo agent.
        let number = target.dial.as_deref().unwrap_or("+15550123");
        let placed = client
            .calls()
            .place(&Dial::number(number).on_behalf_of(user_id))
            .await?;
        println!("placed conversation {}", placed.conversation_id);
        Duration::from_secs(30)
    } else {
        let secs = std::env::var("GENESYS_EXAMPLE_LISTEN_SECS")
            .ok()
            .and_then(|s| s.parse().ok());
        Duration::from_secs(secs.unwrap_or(60))
    };

    let mut far_end_states = Vec::new();
    let deadline = tokio::time::sleep(listen_for);
    tokio::pin!(deadline);
    loop {
        let item = tokio::select! {
            item = events.next() => item,
            () = &mut deadline => break,
        };
        let Some(item) = item else { break };
        match item? {
            Typed::Event { topic, body, .. } => {
                println!(
                    "{topic}: conversation {}",
                    body.id.as_deref().unwrap_or("?")
                );
                for participant in body.participants.iter().flatten() {
                    println!(
                        "  {:<10} {:<16} {:?}",
                        participant.purpose.as_deref().unwrap_or("?"),
                        participant.address.as_deref().unwrap_or(""),
                        participant.state
                    );
                }
                let far_end = body
                    .participants
                    .iter()
                    .flatten()
                    .find(|p| matches!(p.purpose.as_deref(), Some("customer" | "external")));
                if let Some(state) = far_end.and_then(|p| p.state.as_ref()) {
                    far_end_states.push(state.as_str().to_owned());
                    if target.is_emulated() && state.as_str() == "connected" {
                        break;
                    }
                }
            }
            Typed::Gap(gap) => {
                // Genesys does not replay missed events: reconcile through REST.
                println!(
                    "events may have been missed ({}); read the calls again",
                    gap.cause
                );
            }
            Typed::Other(notification) => println!("{}: not a call event", notification.topic_name),
            _ => {}
        }
    }
    Ok(far_end_states)
}
