//! Handling the SDK's typed errors: what was refused before sending, what
//! Genesys refused, and when to come back.
//!
//! - `Error::UserContextRequired`: the operation needs a user's token and
//!   this one is an OAuth client's; nothing was sent, and the error names
//!   the operation that works instead.
//! - `Error::Api` with status 403: the token's roles lack a permission; the
//!   failure carries the permissions the catalogue says the operation needs.
//! - `Error::Api` with status 429: rate limited past the retry budget; the
//!   failure says how long the server asked to wait.
//! - Every server error carries its correlation id, which Genesys support
//!   asks for.
//!
//! ```sh
//! cargo run -p genesys-cloud --example typed_errors
//! ```
//!
//! On the embedded emulator it provokes each error (a client without
//! permissions, an injected 429). Against a real org (`GENESYSCLOUD_*`
//! variables set) it shows the pre-send refusal and handles whatever
//! listing users answers; it provokes nothing there.

#[path = "common/mod.rs"]
pub mod common;

use genesys_cloud::auth::{AuthConfig, Environment};
use genesys_cloud::model::CreateCallRequest;
use genesys_cloud::{BaseUrl, Client, Error};
use genesys_emulator::{Fault, RouteMatch, seed};
use http::Method;

use common::{BoxError, Target};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = common::connect().await?;
    run(&target).await?;
    Ok(())
}

/// Explains an error the way a service would log or report it; returns a
/// short name for its kind.
fn explain(error: &Error) -> &'static str {
    match error {
        Error::UserContextRequired(refusal) => {
            println!("refused before sending: {refusal}");
            let fixes: Vec<_> = refusal.alternatives.iter().map(|op| op.id).collect();
            println!("  operations that work with this token: {fixes:?}");
            "user-context-required"
        }
        Error::MissingScopes(missing) => {
            println!(
                "refused before sending: the token lacks the scopes {:?}",
                missing.required_any
            );
            "missing-scopes"
        }
        Error::Api(failure) if failure.error.status().as_u16() == 403 => {
            println!("Genesys refused: {failure}");
            if let Some(needed) = &failure.required_permissions {
                println!(
                    "  the operation needs {:?} of {:?}",
                    needed.requirement, needed.permissions
                );
            }
            "forbidden"
        }
        Error::Api(failure) if failure.error.status().as_u16() == 429 => {
            println!(
                "rate limited after {} attempt(s): {failure}",
                failure.attempts
            );
            if let Some(wait) = failure.error.retry_after() {
                println!(
                    "  the server asked to wait {} s before trying again",
                    wait.as_secs()
                );
            }
            "rate-limited"
        }
        Error::Api(failure) => {
            println!("Genesys answered an error: {failure}");
            "api"
        }
        other => {
            // Auth, transport and decode errors: each says what failed.
            println!("failed: {other}");
            "other"
        }
    }
}

/// Provokes (on the emulator) or meets (on a real org) each kind of error;
/// returns the kinds seen, in order.
pub async fn run(target: &Target) -> Result<Vec<&'static str>, BoxError> {
    let client = &target.client;
    let mut seen = Vec::new();

    // 1. Refused before sending. Only tried with an OAuth client's token:
    //    with a user's token this request would place a real call.
    if client.access_token().await?.principal().is_client() {
        let body = CreateCallRequest {
            phone_number: Some("+15550123".into()),
            ..Default::default()
        };
        match client.conversations().post_conversations_calls(&body).await {
            Err(e) => seen.push(explain(&e)),
            Ok(_) => println!("unexpected: the call was placed"),
        }
    }

    // 2. A 403. On the emulator: a client whose role has no permissions
    //    tries to place a call on behalf of a user (it cannot: nothing is
    //    dialled). On a real org: whatever listing users answers.
    match &target.emulator {
        Some(emulator) => {
            let config = AuthConfig::new()
                .with_environment(Environment::single(BaseUrl::parse(&emulator.base_url())?))
                .with_client_credentials(
                    seed::NO_PERMISSION_CLIENT_ID,
                    seed::NO_PERMISSION_CLIENT_SECRET,
                );
            let unprivileged = Client::from_config(&config)?;
            let body = CreateCallRequest {
                phone_number: Some("+15550123".into()),
                ..Default::default()
            };
            match unprivileged
                .conversations()
                .post_conversations_calls_user_user_id(seed::DEFAULT_USER_ID, &body)
                .await
            {
                Err(e) => seen.push(explain(&e)),
                Ok(_) => println!("unexpected: the call was placed"),
            }
        }
        None => match client.users().get_users().await {
            Err(e) => seen.push(explain(&e)),
            Ok(page) => println!("listed {} users", page.entities.unwrap_or_default().len()),
        },
    }

    // 3. A 429 whose Retry-After (an hour) is longer than the retry budget:
    //    not retried, and the error says how long to wait.
    if let Some(emulator) = &target.emulator {
        emulator.inject(
            RouteMatch::new(Method::GET, "/api/v2/users"),
            Fault::RateLimited {
                retry_after: Some(3600),
                times: 1,
            },
        );
        match client.users().get_users().await {
            Err(e) => seen.push(explain(&e)),
            Ok(_) => println!("unexpected: not rate limited"),
        }
    }
    Ok(seen)
}
