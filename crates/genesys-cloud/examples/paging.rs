//! Paging through a listing: pages as a stream, or every item as one.
//!
//! `GET /api/v2/users` answers one page at a time (`pageNumber`,
//! `pageSize`, `pageCount`). `.pages()` fetches the next page only when the
//! previous one has been used; `.items()` flattens them. Both are streams,
//! so `take`, `try_filter` and friends bound how much is fetched.
//!
//! ```sh
//! cargo run -p genesys-cloud --example paging
//! ```
//!
//! Against a real org, set `GENESYSCLOUD_REGION`, `GENESYSCLOUD_OAUTHCLIENT_ID`
//! and `GENESYSCLOUD_OAUTHCLIENT_SECRET`; the client needs
//! `directory:user:view`. It reads at most 3 pages of 25 there.

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

/// Lists users page by page, then item by item; returns the ids listed.
pub async fn run(target: &Target) -> Result<Vec<String>, BoxError> {
    let users = target.client.users();
    // Small pages on the emulator (it has two users), so there is paging to see.
    let page_size = if target.is_emulated() { 1 } else { 25 };

    let mut pages = std::pin::pin!(users.get_users().page_size(page_size).pages().take(3));
    while let Some(page) = pages.try_next().await? {
        let names: Vec<_> = page
            .entities
            .iter()
            .flatten()
            .filter_map(|u| u.name.as_deref())
            .collect();
        println!(
            "page {} of {}: {}",
            page.page_number.unwrap_or_default(),
            page.page_count.unwrap_or_default(),
            names.join(", ")
        );
    }

    // The same listing as one stream of users; stop after 75 whatever the org's size.
    let ids: Vec<String> = users
        .get_users()
        .page_size(page_size)
        .items()
        .take(75)
        .map_ok(|user| user.id.unwrap_or_default())
        .try_collect()
        .await?;
    println!("{} users listed", ids.len());
    Ok(ids)
}
