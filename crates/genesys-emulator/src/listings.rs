//! Listings in each paging style of the Platform API, on small seeded data,
//! so a client's paging can be tested against every style:
//!
//! | listing | operation | pages by | lists |
//! |---|---|---|---|
//! | `GET /api/v2/users` | `getUsers` | `pageNumber`/`pageSize`, `pageCount` | the seeded users |
//! | `GET /api/v2/users/query` | `getUsersQuery` | `cursor`: in the body and in the `nextUri` | the seeded users |
//! | `GET /api/v2/users/{userId}/skillgroups` | `getUserSkillgroups` | `after`: in the `nextUri` only | [`SKILL_GROUPS`] skill groups of every user |
//! | `GET /api/v2/speechandtextanalytics/programs` | `getSpeechandtextanalyticsPrograms` | a `nextPage` token in the `nextUri` | [`PROGRAMS`] programs; `state=Published` lists the [`PUBLISHED_PROGRAMS`] published ones |
//! | `GET /api/v2/scim/v2/users` | `getScimV2Users` | SCIM `startIndex`/`count`, `totalResults`, `Resources` | the seeded users |
//! | `GET /api/v2/conversations` | `getConversations` | its `nextUri` only | the caller's calls |
//!
//! Their bodies are written as JSON in the shape of the spec's listing
//! models rather than built from [`genesys_model`] types, so the emulator
//! does not compile the models of the `scim` and `speech-text-analytics`
//! tags. Tokens are opaque and tied to their listing (a cursor of one is a
//! `400 bad.request` for another). As Genesys sometimes does, the `nextUri`s
//! of the skill-group and program listings carry only the paging
//! parameters, not the request's `pageSize` or filters: a client must keep
//! its own. `GET /api/v2/conversations` takes no `pageSize` in the spec; the
//! emulator pages it by 25 unless a `pageSize` (which its `nextUri`s carry)
//! says otherwise, so a client can start it at
//! `/api/v2/conversations?pageSize=2` to see paging with a few calls.
//!
//! Two faults break these listings the way servers do (not `GET
//! /api/v2/users`): [`Fault::RepeatPage`](crate::Fault::RepeatPage) answers
//! with the items of the page before the one asked for, and
//! [`Fault::StuckCursor`](crate::Fault::StuckCursor) answers the page asked
//! for but points to the same page again as the next one (the same cursor,
//! token, `startIndex` or `nextUri`).
//!
//! ```no_run
//! use genesys_emulator::{Emulator, EmulatorConfig, Fault, RouteMatch};
//!
//! # async fn demo() -> Result<(), genesys_emulator::EmulatorError> {
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! // ... read the first page of GET /api/v2/users/query, then:
//! emu.inject(
//!     RouteMatch::new(http::Method::GET, "/api/v2/users/query"),
//!     Fault::RepeatPage { times: 1 },
//! );
//! // ... the second page now holds the first page's users again.
//! # Ok(()) }
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::api::{self, ApiResult, Call};
use crate::errors::ApiError;
use crate::ids;
use crate::state::{Principal, UserRec};

/// How many skill groups every seeded user is in
/// (`GET /api/v2/users/{userId}/skillgroups`).
pub const SKILL_GROUPS: usize = 7;

/// How many speech and text analytics programs are seeded
/// (`GET /api/v2/speechandtextanalytics/programs`).
pub const PROGRAMS: usize = 7;

/// How many of the [`PROGRAMS`] are published (programs 1, 3, 5 and 7).
pub const PUBLISHED_PROGRAMS: usize = PROGRAMS.div_ceil(2);

/// A listing of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListingEndpoint {
    UsersQuery,
    UserSkillgroups,
    SpeechPrograms,
    ScimUsers,
    Conversations,
}

/// How a faulted listing misbehaves (see [`crate::Fault::RepeatPage`] and
/// [`crate::Fault::StuckCursor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListingFault {
    RepeatPage,
    StuckCursor,
}

/// Answers a listing request.
pub(crate) fn handle(call: &Call<'_>, endpoint: ListingEndpoint) -> ApiResult {
    let fault = call.req.listing_fault;
    match endpoint {
        ListingEndpoint::UsersQuery => users_query(call, fault),
        ListingEndpoint::UserSkillgroups => user_skillgroups(call, fault),
        ListingEndpoint::SpeechPrograms => speech_programs(call, fault),
        ListingEndpoint::ScimUsers => scim_users(call, fault),
        ListingEndpoint::Conversations => conversations(call, fault),
    }
}

/// The slice of a listing a page shows, and where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    /// The offset of the page's first item.
    items_from: usize,
    /// How many items the page holds.
    len: usize,
    /// The offset the next page starts at, when there is one.
    next: Option<usize>,
}

/// The page of `size` items at `offset` of `total`, as `fault` bends it.
fn window(total: usize, offset: usize, size: usize, fault: Option<ListingFault>) -> Window {
    let page = |from: usize| Window {
        items_from: from.min(total),
        len: total.saturating_sub(from).min(size),
        next: (from.saturating_add(size) < total).then(|| from.saturating_add(size)),
    };
    match fault {
        None => page(offset),
        Some(ListingFault::RepeatPage) => Window {
            items_from: page(offset.saturating_sub(size)).items_from,
            len: page(offset.saturating_sub(size)).len,
            next: page(offset).next,
        },
        Some(ListingFault::StuckCursor) => Window {
            next: Some(offset),
            ..page(offset)
        },
    }
}

fn query_value(call: &Call<'_>, name: &str) -> Option<String> {
    let query = call.req.query.as_deref().unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A positive integer query parameter, or `default` (400 otherwise).
fn positive(call: &Call<'_>, name: &str, default: usize) -> Result<usize, ApiError> {
    match query_value(call, name) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiError::bad_request(format!("{name} must be a positive integer"), Vec::new())
        }),
    }
}

/// An opaque token for `offset` of the listing `kind`.
fn token(kind: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{offset}"))
}

/// The offset a token of `kind` in parameter `name` stands for (0 without one).
fn offset_of(call: &Call<'_>, name: &str, kind: &str) -> Result<usize, ApiError> {
    let Some(value) = query_value(call, name) else {
        return Ok(0);
    };
    URL_SAFE_NO_PAD
        .decode(value.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix(kind)
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|n| n.parse().ok())
        })
        .ok_or_else(|| ApiError::bad_request(format!("Invalid {name} value."), Vec::new()))
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn users<'c>(call: &Call<'c>) -> Vec<&'c UserRec> {
    call.shared.world.users.values().collect()
}

fn user_json(user: &UserRec) -> Value {
    json!({
        "id": user.seed.id,
        "name": user.seed.name,
        "email": user.seed.email,
        "username": user.seed.email,
        "state": "active",
        "version": 1,
        "selfUri": format!("/api/v2/users/{}", user.seed.id),
    })
}

/// `GET /api/v2/users/query`: the seeded users, by `cursor`.
fn users_query(call: &Call<'_>, fault: Option<ListingFault>) -> ApiResult {
    api::authorize(call, "getUsersQuery")?;
    let size = positive(call, "pageSize", 25)?;
    let offset = offset_of(call, "cursor", "users-query")?;
    let all = users(call);
    let w = window(all.len(), offset, size, fault);
    let entities: Vec<Value> = all[w.items_from..w.items_from + w.len]
        .iter()
        .map(|u| user_json(u))
        .collect();
    let cursor = w.next.map(|n| token("users-query", n));
    answer(json!({
        "entities": entities,
        "results": w.len,
        "cursor": cursor,
        "nextUri": cursor.as_ref().map(|c| format!("/api/v2/users/query?pageSize={size}&cursor={c}")),
        "selfUri": "/api/v2/users/query",
    }))
}

/// `GET /api/v2/users/{userId}/skillgroups`: [`SKILL_GROUPS`] per user, by
/// `after` (in the `nextUri`, which leaves out `pageSize`).
fn user_skillgroups(call: &Call<'_>, fault: Option<ListingFault>) -> ApiResult {
    api::authorize(call, "getUserSkillgroups")?;
    let user_id = call.req.params.first().map(String::as_str).unwrap_or("");
    if !call.shared.world.users.contains_key(user_id) {
        return Err(ApiError::not_found());
    }
    let size = positive(call, "pageSize", 25)?;
    let offset = offset_of(call, "after", "skillgroups")?;
    let w = window(SKILL_GROUPS, offset, size, fault);
    let entities: Vec<Value> = (w.items_from..w.items_from + w.len)
        .map(|i| {
            let id = ids::uuid_from_seed(&format!("skill-group-{}", i + 1));
            json!({
                "id": id,
                "name": format!("Skill group {}", i + 1),
                "selfUri": format!("/api/v2/routing/skillgroups/{id}"),
            })
        })
        .collect();
    let path = format!("/api/v2/users/{user_id}/skillgroups");
    answer(json!({
        "entities": entities,
        "nextUri": w.next.map(|n| format!("{path}?after={}", token("skillgroups", n))),
        "selfUri": path,
    }))
}

/// `GET /api/v2/speechandtextanalytics/programs`: [`PROGRAMS`] programs
/// (the odd ones published; `state=Published` lists those only), by a
/// `nextPage` token in the `nextUri` (which leaves out `pageSize` and `state`).
fn speech_programs(call: &Call<'_>, fault: Option<ListingFault>) -> ApiResult {
    api::authorize(call, "getSpeechandtextanalyticsPrograms")?;
    let size = positive(call, "pageSize", 20)?;
    let published_only = match query_value(call, "state").as_deref() {
        None | Some("Latest") => false,
        Some("Published") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                format!("Invalid state {other}: expected Latest or Published."),
                Vec::new(),
            ));
        }
    };
    let offset = offset_of(call, "nextPage", "programs")?;
    let programs: Vec<usize> = (1..=PROGRAMS)
        .filter(|n| !published_only || n % 2 == 1)
        .collect();
    let w = window(programs.len(), offset, size, fault);
    let entities: Vec<Value> = programs[w.items_from..w.items_from + w.len]
        .iter()
        .map(|n| {
            let id = ids::uuid_from_seed(&format!("program-{n}"));
            json!({
                "id": id,
                "name": format!("Program {n}"),
                "published": n % 2 == 1,
                "selfUri": format!("/api/v2/speechandtextanalytics/programs/{id}"),
            })
        })
        .collect();
    let path = "/api/v2/speechandtextanalytics/programs";
    answer(json!({
        "entities": entities,
        "pageSize": size,
        "total": programs.len(),
        "pageCount": programs.len().div_ceil(size),
        "nextUri": w.next.map(|n| format!("{path}?nextPage={}", token("programs", n))),
        "selfUri": path,
    }))
}

/// `GET /api/v2/scim/v2/users`: the seeded users as SCIM resources, by
/// `startIndex` (from 1) and `count` (default 25).
fn scim_users(call: &Call<'_>, fault: Option<ListingFault>) -> ApiResult {
    api::authorize(call, "getScimV2Users")?;
    let start = positive(call, "startIndex", 1)?;
    let count = positive(call, "count", 25)?;
    let all = users(call);
    let w = window(all.len(), start - 1, count, fault);
    let resources: Vec<Value> = all[w.items_from..w.items_from + w.len]
        .iter()
        .map(|u| {
            json!({
                "id": u.seed.id,
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "active": true,
                "userName": u.seed.email,
                "displayName": u.seed.name,
                "emails": [{"value": u.seed.email, "type": "work", "primary": true}],
                "meta": {
                    "resourceType": "User",
                    "location": format!("/api/v2/scim/v2/users/{}", u.seed.id),
                },
            })
        })
        .collect();
    // A stuck index: the page says it starts where the next page would
    // have to start again.
    let reported_start = match fault {
        Some(ListingFault::StuckCursor) => start.saturating_sub(w.len).max(1),
        _ => start,
    };
    answer(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": all.len(),
        "startIndex": reported_start,
        "itemsPerPage": w.len,
        "Resources": resources,
    }))
}

/// Answers a listing, leaving out the fields without a value (`nextUri`
/// on the last page), as Genesys does.
fn answer(mut listing: Value) -> ApiResult {
    if let Some(fields) = listing.as_object_mut() {
        fields.retain(|_, value| !value.is_null());
    }
    api::ok(&listing)
}

/// `GET /api/v2/conversations`: the caller's calls, by the `nextUri` only
/// (`pageNumber` and `pageSize` are not parameters of the operation).
fn conversations(call: &Call<'_>, fault: Option<ListingFault>) -> ApiResult {
    api::authorize(call, "getConversations")?;
    let Principal::User(user_id) = &call.rec.principal else {
        return Err(ApiError::not_a_user());
    };
    let size = positive(call, "pageSize", 25)?;
    let number = positive(call, "pageNumber", 1)?;
    let mine: Vec<Value> = api::conversations_of(call.shared, user_id)
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "startTime": api::dt(c.created_at),
                "participants": [],
                "selfUri": format!("/api/v2/conversations/{}", c.id),
            })
        })
        .collect();
    let offset = (number - 1).saturating_mul(size);
    let w = window(mine.len(), offset, size, fault);
    let page_count = mine.len().div_ceil(size);
    let uri = |n: usize| format!("/api/v2/conversations?pageSize={size}&pageNumber={n}");
    let next_number = w.next.map(|next| next / size + 1);
    answer(json!({
        "entities": &mine[w.items_from..w.items_from + w.len],
        "pageSize": size,
        "pageNumber": number,
        "total": to_i64(mine.len()),
        "pageCount": page_count,
        "selfUri": uri(number),
        "firstUri": uri(1),
        "lastUri": uri(page_count.max(1)),
        "nextUri": next_number.map(uri),
        "previousUri": (number > 1).then(|| uri(number - 1)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_every_item_once() {
        let mut seen = Vec::new();
        let mut offset = Some(0);
        while let Some(at) = offset {
            let w = window(7, at, 3, None);
            seen.extend(w.items_from..w.items_from + w.len);
            offset = w.next;
        }
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        assert_eq!(
            window(7, 6, 3, None),
            Window {
                items_from: 6,
                len: 1,
                next: None
            }
        );
        // Past the end: an empty last page.
        assert_eq!(window(2, 5, 3, None).len, 0);
    }

    #[test]
    fn faults_repeat_a_page_or_keep_the_cursor() {
        assert_eq!(
            window(7, 3, 3, Some(ListingFault::RepeatPage)),
            Window {
                items_from: 0,
                len: 3,
                next: Some(6)
            }
        );
        assert_eq!(
            window(7, 3, 3, Some(ListingFault::StuckCursor)),
            Window {
                items_from: 3,
                len: 3,
                next: Some(3)
            }
        );
    }

    #[test]
    fn listing_paths_are_routed_before_user_ids() {
        use crate::routes::{Endpoint, match_route};
        let m = match_route(&http::Method::GET, "/api/v2/users/query");
        assert_eq!(
            m.endpoint,
            Some(Endpoint::Listing(ListingEndpoint::UsersQuery))
        );
        let m = match_route(&http::Method::GET, "/api/v2/users/u1/skillgroups");
        assert_eq!(
            m.endpoint,
            Some(Endpoint::Listing(ListingEndpoint::UserSkillgroups))
        );
        assert_eq!(m.params, ["u1"]);
        let m = match_route(&http::Method::GET, "/api/v2/users/u1");
        assert_eq!(m.endpoint, Some(Endpoint::GetUser));
    }

    #[test]
    fn tokens_round_trip_and_stay_with_their_listing() {
        let t = token("programs", 4);
        assert!(!t.contains('4'), "opaque: {t}");
        let decoded = URL_SAFE_NO_PAD.decode(t.as_bytes()).unwrap();
        assert_eq!(decoded, b"programs:4");
        assert_ne!(token("programs", 4), token("skillgroups", 4));
    }
}
