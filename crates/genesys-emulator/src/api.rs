//! The Platform API endpoints under `/api/v2`.

use std::collections::BTreeSet;
use std::time::Duration;

use genesys_model::catalogue::{self, PermissionRequirement};
use genesys_model::{
    CallConversation, CallConversationEntityListing, CallConversationRecordingState,
    CallMediaParticipant, CallMediaParticipantDirection, CallMediaParticipantState,
    CreateCallRequest, CreateCallResponse, DateTime, DomainEntityRef, DomainRole, NamedEntity,
    OrgOAuthClient, OrgOAuthClientAuthorizedGrantType, OrgOAuthClientState, RoleDivision,
    TokenInfo, UpdateUser, User, UserAuthorization, UserEntityListing, UserMe, UserMeState,
    UserStateEnum, UserStation, UserStations,
};
use http::header::{AUTHORIZATION, HeaderName};
use http::{Response, StatusCode};
use serde::Serialize;
use time::OffsetDateTime;

use crate::errors::{ApiError, field_detail};
use crate::http::{EmuBody, empty, json, set_header};
use crate::ids;
use crate::notifications::{SubscribeMode, events, rest};
use crate::routes::Endpoint;
use crate::server::Req;
use crate::state::{Conversation, Destination, Principal, Shared, TokenRec, UserEdit, UserRec};

pub(crate) type ApiResult = Result<Response<EmuBody>, ApiError>;

/// An authenticated API request.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) req: &'a Req,
    pub(crate) token: &'a str,
    pub(crate) rec: TokenRec,
}

/// Handles a request under `/api/`.
pub(crate) fn handle(shared: &Shared, req: &Req, endpoint: Option<Endpoint>) -> Response<EmuBody> {
    // Operations without a hand-written route are answered from the spec.
    let generic = match endpoint {
        None => crate::generic::find(req),
        Some(_) => None,
    };
    if let Some(op) = generic.filter(|op| crate::generic::is_public(op))
        && !req.headers.contains_key(AUTHORIZATION)
    {
        return crate::generic::handle(shared, req, None, op)
            .unwrap_or_else(|e| e.into_response(&req.correlation));
    }
    let mut rate_headers = None;
    let result = authenticate(shared, req).and_then(|(token, rec)| {
        match shared.rate_limit(token) {
            Err(reset) => {
                shared.counters.record_rate_limited();
                let limit = shared
                    .config
                    .rate_limit
                    .unwrap_or_else(crate::RateLimit::genesys_default);
                return Err(ApiError::too_many_requests(
                    limit.requests,
                    limit.window.as_secs_f64().ceil() as u64,
                    Some(reset),
                ));
            }
            Ok(headers) => rate_headers = headers,
        }
        let call = Call {
            shared,
            req,
            token,
            rec,
        };
        match generic {
            Some(op) => crate::generic::handle(shared, req, Some(&call), op),
            None => route(&call, endpoint),
        }
    });
    let mut response = match result {
        Ok(response) => response,
        Err(e) => e.into_response(&req.correlation),
    };
    if let Some((count, allowed, reset)) = rate_headers {
        set_header(
            &mut response,
            HeaderName::from_static("inin-ratelimit-count"),
            &count.to_string(),
        );
        set_header(
            &mut response,
            HeaderName::from_static("inin-ratelimit-allowed"),
            &allowed.to_string(),
        );
        set_header(
            &mut response,
            HeaderName::from_static("inin-ratelimit-reset"),
            &reset.to_string(),
        );
    }
    response
}

/// Finds the bearer token: `Err` with 401 `authentication.required` when
/// there is none and `bad.credentials` when it is unknown or expired.
fn authenticate<'a>(shared: &Shared, req: &'a Req) -> Result<(&'a str, TokenRec), ApiError> {
    let token = req
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    let Some(token) = token else {
        return Err(ApiError::authentication_required());
    };
    match shared.token(token) {
        Some(rec) => Ok((token, rec)),
        None => Err(ApiError::bad_credentials()),
    }
}

fn route(call: &Call<'_>, endpoint: Option<Endpoint>) -> ApiResult {
    match endpoint {
        Some(Endpoint::GetTokensMe) => get_tokens_me(call),
        Some(Endpoint::HeadTokensMe) => Ok(empty(StatusCode::NO_CONTENT)),
        Some(Endpoint::DeleteTokensMe) => {
            call.shared.revoke(call.token);
            Ok(empty(StatusCode::OK))
        }
        Some(Endpoint::GetUsersMe) => get_users_me(call),
        Some(Endpoint::GetUsers) => get_users(call),
        Some(Endpoint::GetUser) => get_user(call),
        Some(Endpoint::PatchUser) => patch_user(call),
        Some(Endpoint::GetConversationsCalls) => get_conversations_calls(call),
        Some(Endpoint::PostConversationsCalls) => post_conversations_calls(call),
        Some(Endpoint::PostConversationsCallsUserUserId) => post_conversations_calls_user(call),
        Some(Endpoint::GetConversationsCall) => get_conversations_call(call),
        Some(Endpoint::PostNotificationsChannels) => rest::post_channels(call),
        Some(Endpoint::GetNotificationsChannels) => rest::get_channels(call),
        Some(Endpoint::HeadNotificationsChannel) => rest::head_channel(call),
        Some(Endpoint::GetNotificationsChannelSubscriptions) => rest::get_subscriptions(call),
        Some(Endpoint::PostNotificationsChannelSubscriptions) => {
            rest::change_subscriptions(call, SubscribeMode::Add)
        }
        Some(Endpoint::PutNotificationsChannelSubscriptions) => {
            rest::change_subscriptions(call, SubscribeMode::Replace)
        }
        Some(Endpoint::DeleteNotificationsChannelSubscriptions) => rest::delete_subscriptions(call),
        Some(Endpoint::Listing(listing)) => crate::listings::handle(call, listing),
        Some(Endpoint::OAuthToken | Endpoint::OAuthAuthorize | Endpoint::ChannelSocket) | None => {
            Err(ApiError::not_found())
        }
    }
}

pub(crate) fn ok<T: Serialize>(value: &T) -> ApiResult {
    Ok(json(StatusCode::OK, value))
}

/// Whether `granted` (which may use `*` segments) covers `required`.
pub(crate) fn grants(granted: &str, required: &str) -> bool {
    if granted == required || granted == "*" || granted == "*:*:*" {
        return true;
    }
    let g: Vec<&str> = granted.split(':').collect();
    let r: Vec<&str> = required.split(':').collect();
    g.len() == r.len() && g.iter().zip(&r).all(|(g, r)| *g == "*" || g == r)
}

/// Applies what the operation catalogue says about `operation_id`: the user
/// context it needs (400 `not.a.user`) and its permissions (403).
pub(crate) fn authorize(call: &Call<'_>, operation_id: &str) -> Result<(), ApiError> {
    let Some(op) = catalogue::operation(operation_id) else {
        return Ok(());
    };
    if op.requires_user_context && call.rec.principal == Principal::Client {
        return Err(ApiError::not_a_user());
    }
    if let Some(needed) = op.permissions {
        let held: BTreeSet<String> = call.shared.permissions(&call.rec);
        let has = |p: &str| held.iter().any(|g| grants(g, p));
        if !needed.satisfied_by(has) {
            return Err(match needed.requirement {
                PermissionRequirement::Any => {
                    ApiError::missing_permissions(true, needed.permissions)
                }
                PermissionRequirement::All => {
                    let missing: Vec<&str> = needed
                        .permissions
                        .iter()
                        .copied()
                        .filter(|p| !has(p))
                        .collect();
                    ApiError::missing_permissions(false, &missing)
                }
            });
        }
    }
    Ok(())
}

/// 415 unless the body is JSON (`application/json` or `application/*+json`).
pub(crate) fn require_json(req: &Req) -> Result<(), ApiError> {
    match req.media_type().as_deref() {
        Some("application/json") => Ok(()),
        Some(t) if t.starts_with("application/") && t.ends_with("+json") => Ok(()),
        _ => Err(ApiError::unsupported_media_type()),
    }
}

/// 400 `bad.request` naming `body`, for a required body that is missing.
pub(crate) fn body_required() -> ApiError {
    ApiError::bad_request(
        "A request body is required.",
        vec![field_detail("bad.request", Some("body".to_owned()))],
    )
}

/// Checks the content type and decodes a JSON body into a model.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(req: &Req) -> Result<T, ApiError> {
    require_json(req)?;
    if req.body_is_blank() {
        return Err(body_required());
    }
    let mut de = serde_json::Deserializer::from_slice(&req.body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = (path != ".").then_some(path);
        let code = if inner.is_data() {
            "invalid.value"
        } else {
            "bad.request"
        };
        ApiError::bad_request(
            format!("{} {}", crate::errors::MSG_BAD_REQUEST, inner),
            vec![field_detail(code, field)],
        )
    })?;
    de.end().map_err(|e| {
        ApiError::bad_request(
            format!("{} {}", crate::errors::MSG_BAD_REQUEST, e),
            vec![field_detail("bad.request", None)],
        )
    })?;
    Ok(value)
}

pub(crate) fn dt(t: OffsetDateTime) -> DateTime {
    DateTime::from(t)
}

fn add(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t.saturating_add(time::Duration::try_from(d).unwrap_or(time::Duration::MAX))
}

fn org_entity(shared: &Shared) -> NamedEntity {
    NamedEntity {
        id: Some(shared.config.organization.id.clone()),
        name: Some(shared.config.organization.name.clone()),
        ..Default::default()
    }
}

fn user_ref(user: &UserRec) -> DomainEntityRef {
    DomainEntityRef {
        id: Some(user.seed.id.clone()),
        name: Some(user.seed.name.clone()),
        self_uri: Some(format!("/api/v2/users/{}", user.seed.id)),
        ..Default::default()
    }
}

fn get_tokens_me(call: &Call<'_>) -> ApiResult {
    authorize(call, "getTokensMe")?;
    let shared = call.shared;
    let client = shared.world.clients.get(&call.rec.client_id);
    let grant_type = match call.rec.grant.genesys_name() {
        "CLIENT-CREDENTIALS" => OrgOAuthClientAuthorizedGrantType::ClientCredentials,
        "SAML2-BEARER" => OrgOAuthClientAuthorizedGrantType::Saml2Bearer,
        "TOKEN" => OrgOAuthClientAuthorizedGrantType::Token,
        _ => OrgOAuthClientAuthorizedGrantType::Code,
    };
    let info = TokenInfo {
        organization: Some(Box::new(org_entity(shared))),
        home_organization: Some(Box::new(org_entity(shared))),
        authorized_scope: Some(vec!["all".to_owned()]),
        o_auth_client: Some(Box::new(OrgOAuthClient {
            id: Some(call.rec.client_id.clone()),
            name: client.map(|c| c.seed.display_name().to_owned()),
            authorized_grant_type: Some(grant_type),
            state: Some(OrgOAuthClientState::Active),
            organization: Some(Box::new(org_entity(shared))),
            role_divisions: client.map(|c| {
                c.roles
                    .iter()
                    .map(|r| RoleDivision {
                        role_id: Some(r.id.clone()),
                        division_id: Some("*".to_owned()),
                        ..Default::default()
                    })
                    .collect()
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    ok(&info)
}

/// `?expand=a,b` (also repeated `expand=` parameters).
fn expands(req: &Req) -> BTreeSet<String> {
    let query = req.query.as_deref().unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "expand")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn stations(shared: &Shared, user: &UserRec) -> Option<UserStations> {
    let id = user.seed.station_id()?;
    let station = UserStation {
        id: Some(id),
        name: Some(format!("{} station", user.seed.name)),
        type_: Some("inin_webrtc_softphone".to_owned()),
        associated_date: Some(dt(shared.clock.now())),
        ..Default::default()
    };
    Some(UserStations {
        associated_station: Some(Box::new(station.clone())),
        effective_station: Some(Box::new(station.clone())),
        default_station: Some(Box::new(station)),
        ..Default::default()
    })
}

fn authorization(user: &UserRec) -> UserAuthorization {
    UserAuthorization {
        roles: Some(
            user.roles
                .iter()
                .map(|r| DomainRole {
                    id: Some(r.id.clone()),
                    name: Some(r.name.clone()),
                    ..Default::default()
                })
                .collect(),
        ),
        permissions: Some(user.permissions.iter().cloned().collect()),
        ..Default::default()
    }
}

fn user_model(shared: &Shared, user: &UserRec, expand: &BTreeSet<String>) -> User {
    let seeded = seeded_user_model(shared, user, expand);
    let edit = shared.store().user_edits.get(&user.seed.id).cloned();
    match edit {
        Some(edit) => apply_user_edit(seeded, &edit),
        None => seeded,
    }
}

/// The seeded user with the properties a PATCH set or cleared.
fn apply_user_edit(user: User, edit: &UserEdit) -> User {
    let Ok(serde_json::Value::Object(mut doc)) = serde_json::to_value(&user) else {
        return user;
    };
    for (key, value) in &edit.fields {
        if value.is_null() {
            doc.remove(key);
        } else {
            doc.insert(key.clone(), value.clone());
        }
    }
    doc.insert("version".into(), edit.version.into());
    serde_json::from_value(serde_json::Value::Object(doc)).unwrap_or(user)
}

/// `PATCH /api/v2/users/{userId}`: an `UpdateUser` whose `version` must be
/// the user's current one; properties sent with a value are set, properties
/// sent as `null` are cleared, absent ones are left alone.
fn patch_user(call: &Call<'_>) -> ApiResult {
    authorize(call, "patchUser")?;
    let user = path_user(call)?;
    let body: UpdateUser = json_body(call.req)?;
    let Some(version) = body.version else {
        return Err(ApiError::bad_request(
            "The version of the user is required.",
            vec![field_detail("bad.request", Some("version".to_owned()))],
        ));
    };
    // What was sent, nulls included (the model keeps them).
    let serde_json::Value::Object(sent) = serde_json::to_value(&body).unwrap_or_default() else {
        return Err(ApiError::bad_request(
            "The body must be a JSON object.",
            Vec::new(),
        ));
    };
    {
        let mut store = call.shared.store();
        let edit = store
            .user_edits
            .entry(user.seed.id.clone())
            .or_insert_with(|| UserEdit {
                version: 1,
                fields: serde_json::Map::new(),
            });
        if version != edit.version {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "general.conflict",
                format!(
                    "The version supplied ({version}) does not match the user's current version ({}).",
                    edit.version
                ),
            ));
        }
        for (key, value) in sent {
            if !matches!(key.as_str(), "id" | "version" | "selfUri") {
                edit.fields.insert(key, value);
            }
        }
        edit.version += 1;
    }
    ok(&user_model(call.shared, user, &BTreeSet::new()))
}

fn seeded_user_model(shared: &Shared, user: &UserRec, expand: &BTreeSet<String>) -> User {
    User {
        id: Some(user.seed.id.clone()),
        name: Some(user.seed.name.clone()),
        email: Some(user.seed.email.clone()),
        username: Some(user.seed.email.clone()),
        state: Some(UserStateEnum::Active),
        version: Some(1),
        station: expand
            .contains("station")
            .then(|| stations(shared, user))
            .flatten()
            .map(Box::new),
        authorization: expand
            .contains("authorization")
            .then(|| Box::new(authorization(user))),
        self_uri: Some(format!("/api/v2/users/{}", user.seed.id)),
        ..Default::default()
    }
}

fn get_users_me(call: &Call<'_>) -> ApiResult {
    authorize(call, "getUsersMe")?;
    let Principal::User(user_id) = &call.rec.principal else {
        return Err(ApiError::not_a_user());
    };
    let user = call
        .shared
        .world
        .users
        .get(user_id)
        .ok_or_else(ApiError::not_found)?;
    let expand = expands(call.req);
    let me = UserMe {
        id: Some(user.seed.id.clone()),
        name: Some(user.seed.name.clone()),
        email: Some(user.seed.email.clone()),
        username: Some(user.seed.email.clone()),
        state: Some(UserMeState::Active),
        version: Some(1),
        station: expand
            .contains("station")
            .then(|| stations(call.shared, user))
            .flatten()
            .map(Box::new),
        authorization: expand
            .contains("authorization")
            .then(|| Box::new(authorization(user))),
        self_uri: Some(format!("/api/v2/users/{}", user.seed.id)),
        ..Default::default()
    };
    ok(&me)
}

/// A page-number query parameter, or `default` (400 when not a number).
fn page_param(req: &Req, name: &str, default: usize) -> Result<usize, ApiError> {
    let query = req.query.as_deref().unwrap_or("");
    match form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => v.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiError::bad_request(format!("{name} must be a positive integer"), Vec::new())
        }),
    }
}

/// `GET /api/v2/users`: the seeded users, paged by `pageSize` (default 25)
/// and `pageNumber` (default 1), optionally filtered by repeated `id`.
fn get_users(call: &Call<'_>) -> ApiResult {
    authorize(call, "getUsers")?;
    let page_size = page_param(call.req, "pageSize", 25)?;
    let page_number = page_param(call.req, "pageNumber", 1)?;
    let query = call.req.query.as_deref().unwrap_or("");
    let ids: BTreeSet<String> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.into_owned())
        .collect();
    let expand = expands(call.req);
    let all: Vec<&UserRec> = call
        .shared
        .world
        .users
        .values()
        .filter(|u| ids.is_empty() || ids.contains(&u.seed.id))
        .collect();
    let total = all.len();
    let page_count = total.div_ceil(page_size);
    let entities = all
        .into_iter()
        .skip((page_number - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|u| user_model(call.shared, u, &expand))
        .collect();
    let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let to_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let uri = |n: usize| format!("/api/v2/users?pageSize={page_size}&pageNumber={n}");
    ok(&UserEntityListing {
        entities: Some(entities),
        page_size: Some(to_i32(page_size)),
        page_number: Some(to_i32(page_number)),
        total: Some(to_i64(total)),
        page_count: Some(to_i32(page_count)),
        self_uri: Some(uri(page_number)),
        first_uri: Some(uri(1)),
        last_uri: Some(uri(page_count.max(1))),
        next_uri: (page_number < page_count).then(|| uri(page_number + 1)),
        previous_uri: (page_number > 1).then(|| uri(page_number - 1)),
        ..Default::default()
    })
}

/// The seeded user named by the `{userId}` path parameter; 404 `not.found`
/// for an unknown id.
fn path_user<'a>(call: &Call<'a>) -> Result<&'a UserRec, ApiError> {
    let id = call.req.params.first().map(String::as_str).unwrap_or("");
    call.shared
        .world
        .users
        .get(id)
        .ok_or_else(ApiError::not_found)
}

fn get_user(call: &Call<'_>) -> ApiResult {
    authorize(call, "getUser")?;
    let user = path_user(call)?;
    ok(&user_model(call.shared, user, &expands(call.req)))
}

/// Reads the single destination of a create-call request.
fn destination(shared: &Shared, body: &CreateCallRequest) -> Result<Destination, ApiError> {
    let non_empty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut found = Vec::new();
    if let Some(phone) = non_empty(&body.phone_number) {
        found.push(Destination::Phone(phone));
    }
    if let Some(user) = non_empty(&body.call_user_id) {
        found.push(Destination::User(user));
    }
    if let Some(queue) = non_empty(&body.call_queue_id) {
        found.push(Destination::Queue(queue));
    }
    if body
        .conversation_ids
        .as_ref()
        .is_some_and(|v| !v.is_empty())
    {
        found.push(Destination::Conversations);
    }
    if let Some(parts) = body.participants.as_ref().filter(|v| !v.is_empty()) {
        found.push(Destination::Participants(
            parts
                .iter()
                .map(|p| {
                    p.address
                        .clone()
                        .or_else(|| p.user_id.clone())
                        .unwrap_or_default()
                })
                .collect(),
        ));
    }
    if found.len() > 1 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too.many.create.conversation.parameters",
            crate::errors::MSG_TOO_MANY_PARAMETERS,
        ));
    }
    let Some(dest) = found.pop() else {
        return Err(ApiError::bad_request(
            "A destination is required: phoneNumber, callUserId, callQueueId, conversationIds or participants.",
            vec![field_detail("bad.request", Some("phoneNumber".to_owned()))],
        ));
    };
    if let Destination::User(id) = &dest
        && !shared.world.users.contains_key(id)
    {
        return Err(ApiError::bad_request(
            format!("User {id} was not found."),
            vec![field_detail("invalid.value", Some("callUserId".to_owned()))],
        ));
    }
    Ok(dest)
}

/// Creates the call for `user` and answers `CreateCallResponse`.
fn create_call(call: &Call<'_>, user: &UserRec, body: &CreateCallRequest) -> ApiResult {
    if user.seed.station_id().is_none() {
        return Err(ApiError::no_station());
    }
    let dest = destination(call.shared, body)?;
    let conversation = Conversation {
        id: ids::random_uuid(),
        created_at: call.shared.clock.now(),
        user_id: user.seed.id.clone(),
        destination: dest,
        caller_id: body.caller_id.clone(),
        caller_id_name: body.caller_id_name.clone(),
        external_participant_id: ids::random_uuid(),
        user_participant_id: ids::random_uuid(),
    };
    let id = conversation.id.clone();
    call.shared.remember_conversation(conversation.clone());
    call.shared.counters.record_call_created();
    // The first event (every participant dialing) goes out before the
    // answer, so a client subscribed beforehand cannot miss it.
    call.shared
        .notifications
        .call_created(call_timeline(call.shared, conversation.created_at), || {
            events::CallEvents::new(&conversation)
        });
    ok(&CreateCallResponse {
        id: Some(id.clone()),
        self_uri: Some(format!("/api/v2/conversations/calls/{id}")),
        ..Default::default()
    })
}

fn post_conversations_calls(call: &Call<'_>) -> ApiResult {
    let body: CreateCallRequest = json_body(call.req)?;
    authorize(call, "postConversationsCalls")?;
    let Principal::User(user_id) = &call.rec.principal else {
        return Err(ApiError::not_a_user());
    };
    let user = call
        .shared
        .world
        .users
        .get(user_id)
        .ok_or_else(ApiError::bad_credentials)?;
    create_call(call, user, &body)
}

fn post_conversations_calls_user(call: &Call<'_>) -> ApiResult {
    let body: CreateCallRequest = json_body(call.req)?;
    authorize(call, "postConversationsCallsUserUserId")?;
    let user = path_user(call)?;
    create_call(call, user, &body)
}

/// When a call placed at `created` enters each phase of [`PHASES`]:
/// `[dialing, contacting, connected]`.
pub(crate) fn call_timeline(shared: &Shared, created: OffsetDateTime) -> [OffsetDateTime; 3] {
    let timings = shared.config.call_timings;
    let contacting_at = add(created, timings.dialing);
    let connected_at = add(contacting_at, timings.contacting);
    [created, contacting_at, connected_at]
}

/// The participant states a call goes through, in order.
pub(crate) const PHASES: [CallMediaParticipantState; 3] = [
    CallMediaParticipantState::Dialing,
    CallMediaParticipantState::Contacting,
    CallMediaParticipantState::Connected,
];

/// The phase (index into [`PHASES`]) every participant is in now.
fn phase(shared: &Shared, created: OffsetDateTime) -> usize {
    let now = shared.clock.now();
    call_timeline(shared, created)
        .iter()
        .rposition(|at| *at <= now)
        .unwrap_or(0)
}

fn conversation_model(shared: &Shared, conv: &Conversation) -> CallConversation {
    conversation_model_at(shared, conv, phase(shared, conv.created_at))
}

/// The conversation as it is in phase `phase` (an index into [`PHASES`]).
pub(crate) fn conversation_model_at(
    shared: &Shared,
    conv: &Conversation,
    phase: usize,
) -> CallConversation {
    let timeline = call_timeline(shared, conv.created_at);
    let phase = phase.min(PHASES.len() - 1);
    let state = PHASES[phase].clone();
    let connected = (phase == PHASES.len() - 1).then_some(timeline[phase]);
    let base = CallMediaParticipant {
        start_time: Some(dt(conv.created_at)),
        connected_time: connected.map(dt),
        state: Some(state.clone()),
        direction: Some(CallMediaParticipantDirection::Outbound),
        held: Some(false),
        muted: Some(false),
        confined: Some(false),
        recording: Some(false),
        wrapup_required: Some(false),
        provider: Some("Edge".to_owned()),
        ..Default::default()
    };
    let caller = shared.world.users.get(&conv.user_id);
    let mut participants = vec![CallMediaParticipant {
        id: Some(conv.user_participant_id.clone()),
        name: caller.map(|u| u.seed.name.clone()),
        address: conv.caller_id.clone(),
        purpose: Some("user".to_owned()),
        user: caller.map(user_ref).map(Box::new),
        ani: conv.caller_id.clone(),
        ..base.clone()
    }];
    let far = |id: String, purpose: &str, name: Option<String>, address: Option<String>| {
        CallMediaParticipant {
            id: Some(id),
            name,
            address: address.clone(),
            purpose: Some(purpose.to_owned()),
            dnis: address,
            ..base.clone()
        }
    };
    match &conv.destination {
        Destination::Phone(number) => participants.push(far(
            conv.external_participant_id.clone(),
            "external",
            None,
            Some(format!("tel:{number}")),
        )),
        Destination::User(user_id) => {
            let target = shared.world.users.get(user_id);
            participants.push(CallMediaParticipant {
                user: target.map(user_ref).map(Box::new),
                ..far(
                    conv.external_participant_id.clone(),
                    "user",
                    target.map(|u| u.seed.name.clone()),
                    None,
                )
            });
        }
        Destination::Queue(queue_id) => participants.push(CallMediaParticipant {
            queue: Some(Box::new(DomainEntityRef {
                id: Some(queue_id.clone()),
                self_uri: Some(format!("/api/v2/routing/queues/{queue_id}")),
                ..Default::default()
            })),
            ..far(conv.external_participant_id.clone(), "acd", None, None)
        }),
        Destination::Conversations => {}
        Destination::Participants(addresses) => {
            for (i, address) in addresses.iter().enumerate() {
                let id = if i == 0 {
                    conv.external_participant_id.clone()
                } else {
                    ids::uuid_from_seed(&format!("{}:{i}", conv.external_participant_id))
                };
                participants.push(far(id, "external", None, Some(address.clone())));
            }
        }
    }
    if let Some(name) = &conv.caller_id_name
        && let Some(first) = participants.first_mut()
    {
        first.name = Some(name.clone());
    }
    CallConversation {
        id: Some(conv.id.clone()),
        participants: Some(participants),
        recording_state: Some(CallConversationRecordingState::None),
        max_participants: Some(10),
        secure_pause: Some(false),
        self_uri: Some(format!("/api/v2/conversations/calls/{}", conv.id)),
        ..Default::default()
    }
}

fn get_conversations_call(call: &Call<'_>) -> ApiResult {
    authorize(call, "getConversationsCall")?;
    let id = call.req.params.first().map(String::as_str).unwrap_or("");
    let conv = call
        .shared
        .store()
        .conversations
        .iter()
        .find(|c| c.id == id)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    ok(&conversation_model(call.shared, &conv))
}

/// The conversations `user_id` placed or was called in, oldest first.
pub(crate) fn conversations_of(shared: &Shared, user_id: &str) -> Vec<Conversation> {
    shared
        .store()
        .conversations
        .iter()
        .filter(|c| {
            c.user_id == user_id || matches!(&c.destination, Destination::User(u) if u == user_id)
        })
        .cloned()
        .collect()
}

fn get_conversations_calls(call: &Call<'_>) -> ApiResult {
    authorize(call, "getConversationsCalls")?;
    let Principal::User(user_id) = &call.rec.principal else {
        return Err(ApiError::not_a_user());
    };
    let mine = conversations_of(call.shared, user_id);
    let entities: Vec<CallConversation> = mine
        .iter()
        .map(|c| conversation_model(call.shared, c))
        .collect();
    let total = entities.len();
    let uri = "/api/v2/conversations/calls";
    ok(&CallConversationEntityListing {
        page_size: Some(i32::try_from(total.max(1)).unwrap_or(i32::MAX)),
        page_number: Some(1),
        total: Some(i64::try_from(total).unwrap_or(i64::MAX)),
        page_count: Some(1),
        entities: Some(entities),
        self_uri: Some(uri.to_owned()),
        first_uri: Some(uri.to_owned()),
        last_uri: Some(uri.to_owned()),
        ..Default::default()
    })
}
