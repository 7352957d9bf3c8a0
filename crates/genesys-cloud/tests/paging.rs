//! Paging every listing style against the emulator's listings: each item
//! once across page boundaries, page limits, starting from a reported
//! position, and the guards against a server's paging bugs.
//!
//! `cargo test -p genesys-cloud --test paging --features scim,speech-text-analytics`

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt as _, TryStreamExt as _};
use genesys_cloud::{Client, Error, Listing, NextPage, Paged, PagingError, Request};
use genesys_emulator::listings::{PROGRAMS, PUBLISHED_PROGRAMS, SKILL_GROUPS};
use genesys_emulator::{Emulator, EmulatorConfig, Fault, RoleSeed, RouteMatch, UserSeed, seed};
use genesys_model::CreateCallRequest;
use http::Method;
use serde::Serialize;

/// The user the tests read as: a station, the agent role (to place calls)
/// and a role that can read every listing.
const READER_ID: &str = "00000000-0000-4000-8000-0000000000b0";
/// Users seeded on top of the default two.
const EXTRA_USERS: usize = 5;

async fn emulator() -> Emulator {
    let mut config = EmulatorConfig::default()
        .with_role(RoleSeed::new(
            "paging-reader",
            [
                "directory:user:view",
                "routing:skillGroup:view",
                "speechAndTextAnalytics:program:view",
            ],
        ))
        .with_user(
            UserSeed::new(READER_ID, "Paging Reader", "reader@emulator.invalid")
                .with_station(true)
                .with_role(seed::AGENT_ROLE)
                .with_role("paging-reader"),
        );
    for i in 1..EXTRA_USERS {
        config = config.with_user(UserSeed::new(
            format!("00000000-0000-4000-8000-0000000000c{i}"),
            format!("Listed User {i}"),
            format!("listed{i}@emulator.invalid"),
        ));
    }
    Emulator::start(config).await.unwrap()
}

fn reader(emu: &Emulator) -> Client {
    common::client_with(emu, emu.user_token(READER_ID))
}

/// The seeded users' ids: what the user listings must list.
fn user_ids(emu: &Emulator) -> BTreeSet<String> {
    emu.config().users.iter().map(|u| u.id.clone()).collect()
}

/// Walks a listing, returning each page's item keys; fails if an item
/// comes twice.
async fn walk<'a, O>(
    request: Request<'a, O>,
    key: impl Fn(&<O::Output as Listing>::Item) -> String,
) -> Vec<Vec<String>>
where
    O: Paged + 'a,
    <O::Output as Listing>::Item: Serialize + Send + 'static,
{
    let pages: Vec<O::Output> = request.pages().try_collect().await.unwrap();
    let pages: Vec<Vec<String>> = pages
        .iter()
        .map(|page| page.items().iter().map(&key).collect())
        .collect();
    let all: Vec<&String> = pages.iter().flatten().collect();
    let unique: BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), unique.len(), "an item came twice: {pages:?}");
    pages
}

fn flat(pages: &[Vec<String>]) -> BTreeSet<String> {
    pages.iter().flatten().cloned().collect()
}

fn sizes(pages: &[Vec<String>]) -> Vec<usize> {
    pages.iter().map(Vec::len).collect()
}

/// An item's id (empty when it has none, which the tests would notice).
fn id(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

#[tokio::test]
async fn page_number_listing_lists_each_user_once() {
    let emu = emulator().await;
    let client = reader(&emu);
    let pages = walk(client.users().get_users().page_size(2), |u| id(&u.id)).await;
    assert_eq!(sizes(&pages), [2, 2, 2, 1]);
    assert_eq!(flat(&pages), user_ids(&emu));
}

#[tokio::test]
async fn cursor_listing_lists_each_user_once() {
    let emu = emulator().await;
    let client = reader(&emu);
    let pages = walk(client.users().get_users_query().page_size(3), |u| id(&u.id)).await;
    assert_eq!(sizes(&pages), [3, 3, 1]);
    assert_eq!(flat(&pages), user_ids(&emu));
    assert_eq!(
        emu.counters().requests(&Method::GET, "/api/v2/users/query"),
        3
    );
}

#[tokio::test]
async fn after_listing_keeps_the_page_size_its_next_uri_leaves_out() {
    let emu = emulator().await;
    let client = reader(&emu);
    let pages = walk(
        client.users().get_user_skillgroups(READER_ID).page_size(2),
        |g| id(&g.id),
    )
    .await;
    // The emulator's nextUri carries only `after`: pages of 2 throughout
    // mean the request's own pageSize was kept.
    assert_eq!(sizes(&pages), [2, 2, 2, 1]);
    assert_eq!(flat(&pages).len(), SKILL_GROUPS);
}

#[tokio::test]
async fn next_page_listing_keeps_its_filter() {
    let emu = emulator().await;
    let client = reader(&emu);
    let programs = client.speech_text_analytics();
    let pages = walk(
        programs
            .get_speechandtextanalytics_programs()
            .page_size(2)
            .state("Published"),
        |p| id(&p.id),
    )
    .await;
    // The nextUri carries only `nextPage`: the `state` filter and the
    // page size held on every page.
    assert_eq!(sizes(&pages), [2, 2]);
    assert_eq!(flat(&pages).len(), PUBLISHED_PROGRAMS);
    let published: Vec<bool> = programs
        .get_speechandtextanalytics_programs()
        .page_size(2)
        .state("Published")
        .items()
        .map_ok(|p| p.published == Some(true))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(published, vec![true; PUBLISHED_PROGRAMS]);
    let everything = walk(
        programs.get_speechandtextanalytics_programs().page_size(3),
        |p| id(&p.id),
    )
    .await;
    assert_eq!(flat(&everything).len(), PROGRAMS);
}

#[tokio::test]
async fn scim_listing_lists_each_user_once() {
    let emu = emulator().await;
    let client = reader(&emu);
    let pages = walk(client.scim().get_scim_v2_users().count(2), |u| id(&u.id)).await;
    assert_eq!(sizes(&pages), [2, 2, 2, 1]);
    assert_eq!(flat(&pages), user_ids(&emu));
}

/// Places `n` calls as the reader; their conversation ids.
async fn place_calls(client: &Client, n: usize) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for i in 0..n {
        let body = CreateCallRequest {
            phone_number: Some(format!("+1555010{i}")),
            ..Default::default()
        };
        let call = client
            .conversations()
            .post_conversations_calls(&body)
            .await
            .unwrap();
        ids.insert(call.id.unwrap());
    }
    ids
}

#[tokio::test]
async fn next_uri_listing_lists_each_call_once() {
    let emu = emulator().await;
    let client = reader(&emu);
    let calls = place_calls(&client, 5).await;
    // getConversations takes no page parameter: start at a nextUri with a
    // small page size (the emulator's nextUris keep it).
    let start = NextPage::NextUri("/api/v2/conversations?pageSize=2".into());
    let pages = walk(
        client
            .conversations()
            .get_conversations()
            .starting_at(start),
        |c| id(&c.id),
    )
    .await;
    assert_eq!(sizes(&pages), [2, 2, 1]);
    assert_eq!(flat(&pages), calls);
    // From the start, with the emulator's default page size: one page.
    let all = walk(client.conversations().get_conversations(), |c| id(&c.id)).await;
    assert_eq!(sizes(&all), [5]);
}

/// Reads `first` pages with `max_pages`, then the rest from the last
/// page's `next`: together, every item once.
async fn resumes<'a, O>(
    make: impl Fn() -> Request<'a, O>,
    key: impl Fn(&<O::Output as Listing>::Item) -> String + Copy,
    first: usize,
) -> (Vec<Vec<String>>, Vec<Vec<String>>)
where
    O: Paged + 'a,
    <O::Output as Listing>::Item: Serialize + Send + 'static,
{
    let head: Vec<_> = make()
        .max_pages(first)
        .pages_with_next()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(head.len(), first, "max_pages({first})");
    assert_eq!(
        head.iter().map(|p| p.index).collect::<Vec<_>>(),
        (1..=first).collect::<Vec<_>>()
    );
    let next = head.last().unwrap().next.clone().expect("more pages");
    let head: Vec<Vec<String>> = head
        .iter()
        .map(|p| p.listing.items().iter().map(key).collect())
        .collect();
    let tail = walk(make().starting_at(next), key).await;
    let (before, after) = (flat(&head), flat(&tail));
    let overlap: Vec<&String> = before.intersection(&after).collect();
    assert!(overlap.is_empty(), "{overlap:?} came twice");
    (head, tail)
}

#[tokio::test]
async fn page_limits_and_starting_points_work_in_every_style() {
    let emu = emulator().await;
    let client = reader(&emu);
    let users = user_ids(&emu);
    let all = |(head, tail): (Vec<Vec<String>>, Vec<Vec<String>>)| {
        let mut all = flat(&head);
        all.extend(flat(&tail));
        all
    };

    let page_number = resumes(|| client.users().get_users().page_size(2), |u| id(&u.id), 2).await;
    assert_eq!(sizes(&page_number.1), [2, 1]);
    assert_eq!(all(page_number), users);

    let cursor = resumes(
        || client.users().get_users_query().page_size(2),
        |u| id(&u.id),
        1,
    )
    .await;
    assert_eq!(all(cursor), users);

    let after = resumes(
        || client.users().get_user_skillgroups(READER_ID).page_size(3),
        |g| id(&g.id),
        2,
    )
    .await;
    assert_eq!(sizes(&after.1), [1]);
    assert_eq!(all(after).len(), SKILL_GROUPS);

    let next_page = resumes(
        || {
            client
                .speech_text_analytics()
                .get_speechandtextanalytics_programs()
                .page_size(2)
        },
        |p| id(&p.id),
        3,
    )
    .await;
    assert_eq!(all(next_page).len(), PROGRAMS);

    let scim = resumes(
        || client.scim().get_scim_v2_users().count(3),
        |u| id(&u.id),
        1,
    )
    .await;
    assert_eq!(all(scim), users);

    // A page number of your own.
    let from_third = walk(
        client
            .users()
            .get_users()
            .page_size(2)
            .starting_at(NextPage::PageNumber(3)),
        |u| id(&u.id),
    )
    .await;
    assert_eq!(sizes(&from_third), [2, 1]);
    // No pages at all.
    let none: Vec<_> = client
        .users()
        .get_users()
        .max_pages(0)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn an_absolute_next_uri_on_the_base_url_is_followed() {
    let emu = emulator().await;
    let client = reader(&emu);
    let skillgroups = || client.users().get_user_skillgroups(READER_ID).page_size(3);
    let first: Vec<_> = skillgroups()
        .max_pages(1)
        .pages_with_next()
        .try_collect()
        .await
        .unwrap();
    let Some(NextPage::NextUri(relative)) = first[0].next.clone() else {
        panic!("the after listing pages by nextUri: {:?}", first[0].next);
    };
    let absolute = format!("{}{relative}", emu.base_url());
    let rest = walk(
        skillgroups().starting_at(NextPage::NextUri(absolute)),
        |g| id(&g.id),
    )
    .await;
    assert_eq!(sizes(&rest), [3, 1]);
}

fn paging_error(result: Result<impl std::fmt::Debug, Error>) -> PagingError {
    match result {
        Err(Error::Paging(e)) => *e,
        other => panic!("expected a paging error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_repeated_page_stops_the_walk_with_an_error() {
    let emu = emulator().await;
    let client = reader(&emu);
    let listing = client.users().get_users_query().page_size(2);
    let mut pages = std::pin::pin!(listing.pages());
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(first.items().len(), 2);
    emu.inject(
        RouteMatch::new(Method::GET, "/api/v2/users/query"),
        Fault::RepeatPage { times: 1 },
    );
    let error = paging_error(pages.next().await.unwrap());
    assert_eq!(
        error,
        PagingError::RepeatedPage {
            operation: "getUsersQuery",
            page: 2
        }
    );
    assert!(error.to_string().contains("repeats"), "{error}");
    // The walk is over.
    assert!(pages.next().await.is_none());
    assert_eq!(
        emu.counters().requests(&Method::GET, "/api/v2/users/query"),
        2
    );
}

#[tokio::test]
async fn a_cursor_that_does_not_advance_stops_the_walk_with_an_error() {
    let emu = emulator().await;
    let client = reader(&emu);
    // A token in the body (cursor), in the nextUri (after) and a SCIM index.
    let users_query = "/api/v2/users/query";
    let skillgroups = "/api/v2/users/{userId}/skillgroups";
    let scim = "/api/v2/scim/v2/users";

    let mut pages = std::pin::pin!(client.users().get_users_query().page_size(2).pages());
    pages.try_next().await.unwrap().unwrap();
    emu.inject(
        RouteMatch::new(Method::GET, users_query),
        Fault::StuckCursor { times: 1 },
    );
    // The second page is delivered; it points to itself as the next one.
    assert_eq!(pages.try_next().await.unwrap().unwrap().items().len(), 2);
    let error = paging_error(pages.next().await.unwrap());
    assert!(
        matches!(
            &error,
            PagingError::CursorNotAdvancing { operation: "getUsersQuery", page: 2, next: NextPage::Query { name, .. } }
                if name == "cursor"
        ),
        "{error:?}"
    );
    assert!(pages.next().await.is_none());
    assert_eq!(emu.counters().requests(&Method::GET, users_query), 2);

    let mut pages = std::pin::pin!(
        client
            .users()
            .get_user_skillgroups(READER_ID)
            .page_size(2)
            .pages()
    );
    pages.try_next().await.unwrap().unwrap();
    emu.inject(
        RouteMatch::new(Method::GET, skillgroups),
        Fault::StuckCursor { times: 1 },
    );
    pages.try_next().await.unwrap().unwrap();
    let error = paging_error(pages.next().await.unwrap());
    assert!(
        matches!(
            &error,
            PagingError::CursorNotAdvancing {
                next: NextPage::NextUri(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(emu.counters().requests(&Method::GET, skillgroups), 2);

    let mut pages = std::pin::pin!(client.scim().get_scim_v2_users().count(2).pages());
    pages.try_next().await.unwrap().unwrap();
    emu.inject(
        RouteMatch::new(Method::GET, scim),
        Fault::StuckCursor { times: 1 },
    );
    pages.try_next().await.unwrap().unwrap();
    let error = paging_error(pages.next().await.unwrap());
    assert!(
        matches!(&error, PagingError::CursorNotAdvancing { next, .. } if *next == NextPage::query("startIndex", "3")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_next_uri_to_another_host_is_refused() {
    let emu = emulator().await;
    let client = reader(&emu);
    let path = format!("/api/v2/users/{READER_ID}/skillgroups");
    emu.inject(
        RouteMatch::new(Method::GET, path.clone()),
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: format!(
                r#"{{"entities":[{{"id":"g1"}}],"nextUri":"https://evil.example{path}?after=x"}}"#
            )
            .into(),
            times: 1,
        },
    );
    let mut pages = std::pin::pin!(client.users().get_user_skillgroups(READER_ID).pages());
    assert_eq!(pages.try_next().await.unwrap().unwrap().items().len(), 1);
    let error = paging_error(pages.next().await.unwrap());
    let PagingError::ForeignNextUri {
        operation,
        next_uri,
        base_url,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*operation, "getUserSkillgroups");
    assert!(next_uri.starts_with("https://evil.example/"));
    assert_eq!(*base_url, emu.base_url());
    assert!(pages.next().await.is_none());
    assert_eq!(
        emu.counters()
            .requests(&Method::GET, "/api/v2/users/{userId}/skillgroups"),
        1
    );

    // Starting at one is refused before anything is sent.
    let start = NextPage::NextUri("https://evil.example/api/v2/conversations".into());
    let result: Result<Vec<_>, _> = client
        .conversations()
        .get_conversations()
        .starting_at(start)
        .pages()
        .try_collect()
        .await;
    assert!(matches!(
        paging_error(result),
        PagingError::ForeignNextUri { .. }
    ));
    assert_eq!(
        emu.counters()
            .requests(&Method::GET, "/api/v2/conversations"),
        0
    );
}

/// Collects what `tracing` writes.
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

#[tokio::test]
async fn three_empty_pages_in_a_row_end_a_cursor_walk_with_a_warning() {
    let emu = emulator().await;
    let client = reader(&emu);
    let route = RouteMatch::new(Method::GET, "/api/v2/users/query");
    // Empty pages that keep offering a next cursor, then a page that must
    // never be asked for.
    let page = |entities: &str, cursor: &str| Fault::Body {
        status: 200,
        content_type: "application/json".into(),
        body: format!(r#"{{"entities":[{entities}],"cursor":"{cursor}"}}"#).into(),
        times: 1,
    };
    emu.inject(route.clone(), page(r#"{"id":"u1"}"#, "c1"));
    for cursor in ["c2", "c3", "c4"] {
        emu.inject(route.clone(), page("", cursor));
    }
    emu.inject(route.clone(), page(r#"{"id":"never"}"#, "c5"));

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let pages: Vec<_> = client
        .users()
        .get_users_query()
        .pages_with_next()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.listing.len()).collect::<Vec<_>>(),
        [1, 0, 0, 0]
    );
    assert_eq!(pages[3].next, None, "the walk ends at the third empty page");
    assert_eq!(
        emu.counters().requests(&Method::GET, "/api/v2/users/query"),
        4
    );
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("WARN") && log.contains("empty pages in a row"),
        "{log}"
    );
}
