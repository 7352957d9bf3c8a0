//! Placing an outbound call from a back-end service: the mistake this SDK
//! exists for, and its fix, end to end.
//!
//! A service holds a client-credentials token. `POST /api/v2/conversations/calls`
//! needs a user context, so Genesys would answer 400 `not.a.user` ("Access
//! denied" in some tools). The SDK refuses it before sending and names the
//! fix; `client.calls().place(...)` applies it (`POST
//! /api/v2/conversations/calls/user/{userId}`, a call on behalf of a user),
//! then follows the call by notification events, not by polling.
//!
//! Run it with no setup (an emulator runs inside the example):
//!
//! ```sh
//! cargo run -p genesys-cloud --example place_call
//! ```
//!
//! Against a real org, set `GENESYSCLOUD_REGION`, `GENESYSCLOUD_OAUTHCLIENT_ID`
//! and `GENESYSCLOUD_OAUTHCLIENT_SECRET` (or `GENESYSCLOUD_ACCESS_TOKEN`).
//! It dials only when `GENESYS_EXAMPLE_USER_ID` (the user the call is placed
//! for) and `GENESYS_EXAMPLE_DIAL` (the number) are set too; otherwise it only
//! shows the check.

#[path = "common/mod.rs"]
pub mod common;

use std::time::Duration;

use futures_util::StreamExt as _;
use genesys_cloud::Error;
use genesys_cloud::calls::{CallState, Dial};

use common::{BoxError, Target};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = common::connect().await?;
    run(&target).await?;
    Ok(())
}

/// Checks, places and follows the call; returns the states seen.
pub async fn run(target: &Target) -> Result<Vec<CallState>, BoxError> {
    let client = &target.client;

    // 1. The mistake, caught before anything is sent: the catalogue knows
    //    postConversationsCalls needs a user context.
    match client.check("postConversationsCalls").await {
        Err(Error::UserContextRequired(refusal)) => {
            println!("refused before sending:\n  {refusal}\n")
        }
        Err(other) => return Err(other.into()),
        Ok(_) => println!("this token has a user context: postConversationsCalls is allowed\n"),
    }

    // 2. The fix: `place` picks the operation that fits the token (on behalf
    //    of a user for client credentials) and subscribes to the user's call
    //    events before it posts.
    let (Some(user_id), Some(number)) = (&target.user_id, &target.dial) else {
        println!("set GENESYS_EXAMPLE_USER_ID and GENESYS_EXAMPLE_DIAL to place a call");
        return Ok(Vec::new());
    };
    let placed = client
        .calls()
        .place(&Dial::number(number).on_behalf_of(user_id))
        .await?;
    println!("placed conversation {}", placed.conversation_id);

    // 3. Follow it by events until the far end answers or the call ends.
    let mut states = Vec::new();
    let mut updates = client.calls().follow(&placed.conversation_id);
    let followed = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(update) = updates.next().await {
            let update = update?;
            println!("  {:?} (from {:?})", update.state, update.source);
            states.push(update.state);
            if matches!(update.state, CallState::Connected | CallState::Ended) {
                break;
            }
        }
        Ok::<_, Error>(())
    })
    .await;
    match followed {
        Ok(result) => result?,
        Err(_) => println!("still not answered after 60 s; stopped following"),
    }
    Ok(states)
}
