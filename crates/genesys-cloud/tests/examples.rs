//! Runs every example in `examples/` against an embedded emulator, so the
//! examples keep working as the SDK changes. Each example's `run` is the
//! code `cargo run --example NAME` executes; here it gets an emulator
//! target explicitly, whatever `GENESYSCLOUD_*` variables are set.
// Every example brings its own copy of `examples/common/mod.rs`, as it
// does when built on its own.
#![allow(clippy::duplicate_mod)]

#[allow(
    dead_code,
    reason = "each example's main and the helpers it does not use"
)]
#[path = "../examples/place_call.rs"]
mod place_call;

#[allow(
    dead_code,
    reason = "each example's main and the helpers it does not use"
)]
#[path = "../examples/custom_token_source.rs"]
mod custom_token_source;

#[allow(
    dead_code,
    reason = "each example's main and the helpers it does not use"
)]
#[path = "../examples/paging.rs"]
mod paging;

#[allow(
    dead_code,
    reason = "each example's main and the helpers it does not use"
)]
#[path = "../examples/notifications.rs"]
mod notifications;

#[allow(
    dead_code,
    reason = "each example's main and the helpers it does not use"
)]
#[path = "../examples/any_operation.rs"]
mod any_operation;
#[allow(
    dead_code,
    reason = "each example's main and the helpers it does not use"
)]
#[path = "../examples/typed_errors.rs"]
mod typed_errors;

use genesys_cloud::calls::CallState;
use genesys_emulator::seed;

#[tokio::test(flavor = "multi_thread")]
async fn place_call_is_refused_as_written_then_placed_on_behalf_and_followed() {
    let target = place_call::common::emulated().await.unwrap();
    let states = place_call::run(&target).await.unwrap();
    assert_eq!(states.last(), Some(&CallState::Connected), "{states:?}");
    let emulator = target.emulator.as_ref().unwrap();
    assert_eq!(
        emulator.conversation_ids().len(),
        1,
        "exactly one call placed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_token_source_reads_its_file_once_for_two_calls() {
    let target = custom_token_source::common::emulated().await.unwrap();
    assert_eq!(custom_token_source::run(&target).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_lists_every_user_once() {
    let target = paging::common::emulated().await.unwrap();
    let mut ids = paging::run(&target).await.unwrap();
    ids.sort();
    let mut expected = vec![
        seed::DEFAULT_USER_ID.to_owned(),
        seed::NO_STATION_USER_ID.to_owned(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn any_operation_lists_users_by_id_two_pages() {
    let target = any_operation::common::emulated().await.unwrap();
    let ids = any_operation::run(&target).await.unwrap();
    // Two pages of one user each: the emulator's two users.
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&seed::DEFAULT_USER_ID.to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn notifications_prints_the_call_until_the_far_end_answers() {
    let target = notifications::common::emulated().await.unwrap();
    let states = notifications::run(&target).await.unwrap();
    assert_eq!(
        states.last().map(String::as_str),
        Some("connected"),
        "{states:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_errors_meets_each_kind_of_error() {
    let target = typed_errors::common::emulated().await.unwrap();
    let seen = typed_errors::run(&target).await.unwrap();
    assert_eq!(seen, ["user-context-required", "forbidden", "rate-limited"]);
    let emulator = target.emulator.as_ref().unwrap();
    assert!(
        emulator.conversation_ids().is_empty(),
        "the refused call was never sent"
    );
}
