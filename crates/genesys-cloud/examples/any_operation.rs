//! Any operation by its id: untyped parameters, a JSON answer.
//!
//! The typed API (`client.users().get_users()...`) covers the tags whose
//! features are enabled. `client.operation(id)` reaches every operation of
//! the catalogue with parameters known only at run time, with the same
//! preflight, retries, typed errors and paging. Useful for tools, scripts
//! and the odd call into a tag you did not enable.
//!
//! ```sh
//! cargo run -p genesys-cloud --example any_operation
//! ```
//!
//! Against a real org, set `GENESYSCLOUD_REGION`, `GENESYSCLOUD_OAUTHCLIENT_ID`
//! and `GENESYSCLOUD_OAUTHCLIENT_SECRET`; the client needs
//! `directory:user:view`. It reads at most 2 pages of 25 there.

#[path = "common/mod.rs"]
pub mod common;

use futures_util::{StreamExt as _, TryStreamExt as _};

use common::{BoxError, Target};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = common::connect().await?;
    run(&target).await?;
    Ok(())
}

/// Reads the token's own identity, then lists users by operation id;
/// returns the listed users' ids.
pub async fn run(target: &Target) -> Result<Vec<String>, BoxError> {
    let client = &target.client;

    // What the catalogue knows before anything is sent.
    let op = client.operation("getUsers")?.operation();
    println!("{} {}: {}", op.method, op.path, op.summary);

    // A mistyped id or parameter is refused before sending, naming what
    // would work.
    if let Err(e) = client.operation("getUserz") {
        println!("refused: {e}");
    }
    if let Err(e) = client.operation("getUsers")?.param("pageSise", "25") {
        println!("refused: {e}");
    }

    // One call, its answer as JSON.
    let me = client.operation("getTokensMe")?.send().await?;
    println!("token of: {}", me["OAuthClient"]["name"]);

    // Every item of every page, in the listing's own paging style.
    let page_size = if target.is_emulated() { "1" } else { "25" };
    let users: Vec<serde_json::Value> = client
        .operation("getUsers")?
        .param("pageSize", page_size)?
        .max_pages(2)
        .items()?
        .take(50)
        .try_collect()
        .await?;
    let ids = users
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    for user in &users {
        println!("user {} ({})", user["name"], user["id"]);
    }
    Ok(ids)
}
