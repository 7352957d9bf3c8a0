//! Platform API semantics: authentication, user context, permissions,
//! stations, call progression and Genesys error bodies.

mod common;

use std::time::Duration;

use common::{CALLS, Http, PHONE_BODY, on_behalf, seed};
use genesys_emulator::{ClientSeed, Emulator, EmulatorConfig, RoleSeed, UserSeed};
use genesys_model::{CallConversation, CallMediaParticipantState, CreateCallResponse};
use http::{Method, StatusCode};

async fn start(config: EmulatorConfig) -> (Emulator, Http) {
    let emu = Emulator::start(config).await.unwrap();
    let http = Http::new(&emu.base_url());
    (emu, http)
}

#[tokio::test]
async fn missing_and_unknown_tokens_are_401() {
    let (_emu, http) = start(EmulatorConfig::default()).await;
    let r = http.send(Method::GET, "/api/v2/users/me", &[], "").await;
    let e = r.assert_error(401, "authentication.required");
    assert_eq!(
        e.message.as_deref(),
        Some("No authentication bearer token specified in authorization header.")
    );
    let r = http
        .send(
            Method::GET,
            "/api/v2/users/me",
            &[("authorization", "Basic abc")],
            "",
        )
        .await;
    r.assert_error(401, "authentication.required");
    let r = http.get("/api/v2/users/me", "not-a-token").await;
    let e = r.assert_error(401, "bad.credentials");
    assert_eq!(e.message.as_deref(), Some("Invalid login credentials."));
}

#[tokio::test]
async fn every_api_response_has_a_correlation_id() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let a = http.get("/api/v2/users/me", &token).await;
    let b = http.get("/api/v2/users/me", &token).await;
    let (ca, cb) = (
        a.header("inin-correlation-id").unwrap(),
        b.header("inin-correlation-id").unwrap(),
    );
    assert_eq!(ca.len(), 36);
    assert_ne!(ca, cb);
    let c = http.get("/api/v2/nothing/here", &token).await;
    c.assert_error(404, "not.found");
}

#[tokio::test]
async fn tokens_me_describes_the_token() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let r = http.get("/api/v2/tokens/me", &token).await;
    assert_eq!(r.status, StatusCode::OK);
    let info: genesys_model::TokenInfo = serde_json::from_slice(&r.body).unwrap();
    let org = info.organization.unwrap();
    assert_eq!(org.id.as_deref(), Some(seed::DEFAULT_ORG_ID));
    assert_eq!(org.name.as_deref(), Some(seed::DEFAULT_ORG_NAME));
    assert_eq!(
        info.o_auth_client.unwrap().id.as_deref(),
        Some(seed::USER_CLIENT_ID)
    );
}

#[tokio::test]
async fn users_me_needs_a_user_context() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let cc = http.cc_token().await;
    let r = http.get("/api/v2/users/me", &cc).await;
    let e = r.assert_error(400, "not.a.user");
    assert_eq!(
        e.message.as_deref(),
        Some(
            "This request requires a user context. Client credentials cannot be used for requests to this resource."
        )
    );
    let user = emu.user_token(seed::DEFAULT_USER_ID);
    let r = http
        .get("/api/v2/users/me?expand=station,authorization", &user)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let me: genesys_model::UserMe = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(me.id.as_deref(), Some(seed::DEFAULT_USER_ID));
    assert_eq!(me.email.as_deref(), Some(seed::DEFAULT_USER_EMAIL));
    assert!(me.station.unwrap().associated_station.is_some());
    let perms = me.authorization.unwrap().permissions.unwrap();
    assert_eq!(perms, ["conversation:conference:add"]);
}

#[tokio::test]
async fn get_user_by_id() {
    let (_emu, http) = start(EmulatorConfig::default()).await;
    let cc = http.cc_token().await;
    let r = http
        .get(&format!("/api/v2/users/{}", seed::NO_STATION_USER_ID), &cc)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let user: genesys_model::User = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(user.name.as_deref(), Some(seed::NO_STATION_USER_NAME));
    assert_eq!(user.version, Some(1));
    assert!(user.station.is_none());
    let r = http
        .get(
            &format!("/api/v2/users/{}?expand=station", seed::NO_STATION_USER_ID),
            &cc,
        )
        .await;
    let user: genesys_model::User = serde_json::from_slice(&r.body).unwrap();
    assert!(user.station.is_none(), "this user has no station");
    let r = http.get("/api/v2/users/no-such-user", &cc).await;
    r.assert_error(404, "not.found");
}

#[tokio::test]
async fn users_are_listed_in_pages() {
    let (_emu, http) = start(EmulatorConfig::default()).await;
    let cc = http.cc_token().await;
    let page = |n: u32| format!("/api/v2/users?pageSize=1&pageNumber={n}");
    let first: genesys_model::UserEntityListing =
        serde_json::from_slice(&http.get(&page(1), &cc).await.body).unwrap();
    assert_eq!((first.page_count, first.total), (Some(2), Some(2)));
    assert_eq!(first.entities.as_ref().map(Vec::len), Some(1));
    assert!(first.next_uri.is_some());
    let second: genesys_model::UserEntityListing =
        serde_json::from_slice(&http.get(&page(2), &cc).await.body).unwrap();
    assert_ne!(
        first.entities.unwrap()[0].id,
        second.entities.as_ref().unwrap()[0].id
    );
    assert!(second.next_uri.is_none());
    let past: genesys_model::UserEntityListing =
        serde_json::from_slice(&http.get(&page(3), &cc).await.body).unwrap();
    assert_eq!(past.entities.map(|e| e.len()), Some(0));
    let by_id = format!("/api/v2/users?id={}", seed::DEFAULT_USER_ID);
    let one: genesys_model::UserEntityListing =
        serde_json::from_slice(&http.get(&by_id, &cc).await.body).unwrap();
    assert_eq!(one.total, Some(1));
    http.get("/api/v2/users?pageSize=zero", &cc)
        .await
        .assert_error(400, "bad.request");
}

#[tokio::test]
async fn create_call_rejects_client_credentials_with_not_a_user() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let cc = http.cc_token().await;
    let r = http.post_json(CALLS, &cc, PHONE_BODY).await;
    r.assert_error(400, "not.a.user");
    assert_eq!(emu.counters().calls_created(), 0);
    assert_eq!(emu.counters().requests(&Method::POST, CALLS), 1);
}

#[tokio::test]
async fn create_call_needs_a_station() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::NO_STATION_USER_ID);
    let r = http.post_json(CALLS, &token, PHONE_BODY).await;
    let e = r.assert_error(400, "conversation.error.no.user.station");
    assert_eq!(
        e.message.as_deref(),
        Some("A station is required to place a call.")
    );
    assert_eq!(emu.counters().calls_created(), 0);
}

#[tokio::test]
async fn create_call_needs_the_spec_permission() {
    let config = EmulatorConfig::default()
        .with_role(RoleSeed::new("dialer-only", ["conversation:call:add"]))
        .with_user(
            UserSeed::new("u-dialer", "Dialer", "dialer@x.invalid")
                .with_station(true)
                .with_role("dialer-only"),
        )
        .with_role(RoleSeed::new("everything", ["conversation:*:*"]))
        .with_user(
            UserSeed::new("u-admin", "Admin", "admin@x.invalid")
                .with_station(true)
                .with_role("everything"),
        );
    let (emu, http) = start(config).await;
    let token = emu.user_token("u-dialer");
    let r = http.post_json(CALLS, &token, PHONE_BODY).await;
    let e = r.assert_error(403, "missing.any.permissions");
    assert!(
        e.message
            .as_deref()
            .unwrap()
            .contains("conversation:conference:add"),
        "{e:?}"
    );
    let admin = emu.user_token("u-admin");
    assert_eq!(
        http.post_json(CALLS, &admin, PHONE_BODY).await.status,
        StatusCode::OK
    );
    assert_eq!(emu.counters().calls_created(), 1);
}

/// A long-running emulator must not grow without bound: beyond its history
/// the oldest conversations are forgotten, and the counters still count
/// every call.
#[tokio::test]
async fn only_the_most_recent_conversations_are_remembered() {
    let config = EmulatorConfig {
        conversation_history: 2,
        ..EmulatorConfig::default()
    };
    let (emu, http) = start(config).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r = http.post_json(CALLS, &token, PHONE_BODY).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let created: CreateCallResponse = serde_json::from_slice(&r.body).unwrap();
        ids.push(created.id.unwrap());
    }
    assert_eq!(emu.counters().calls_created(), 3);
    assert_eq!(emu.conversation_ids(), ids[1..]);
    let forgotten = http.get(&format!("{CALLS}/{}", ids[0]), &token).await;
    assert_eq!(forgotten.status, StatusCode::NOT_FOUND);
    let kept = http.get(&format!("{CALLS}/{}", ids[2]), &token).await;
    assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
    let listing: genesys_model::CallConversationEntityListing =
        serde_json::from_slice(&http.get(CALLS, &token).await.body).unwrap();
    let listed: Vec<String> = listing
        .entities
        .unwrap()
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    assert_eq!(listed, ids[1..]);
}

#[tokio::test]
async fn create_call_as_user_returns_the_conversation_id() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let r = http.post_json(CALLS, &token, PHONE_BODY).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let created: CreateCallResponse = serde_json::from_slice(&r.body).unwrap();
    let id = created.id.unwrap();
    assert_eq!(
        created.self_uri.as_deref(),
        Some(format!("{CALLS}/{id}").as_str())
    );
    assert_eq!(emu.conversation_ids(), std::slice::from_ref(&id));
    assert_eq!(emu.counters().calls_created(), 1);

    let listing = http.get(CALLS, &token).await;
    assert_eq!(listing.status, StatusCode::OK);
    let listing: genesys_model::CallConversationEntityListing =
        serde_json::from_slice(&listing.body).unwrap();
    assert_eq!(listing.total, Some(1));
    assert_eq!(
        listing.entities.unwrap()[0].id.as_deref(),
        Some(id.as_str())
    );
    let cc = http.cc_token().await;
    http.get(CALLS, &cc).await.assert_error(400, "not.a.user");
}

#[tokio::test]
async fn create_call_on_behalf_with_client_credentials() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let cc = http.cc_token().await;
    let r = http
        .post_json(&on_behalf(seed::DEFAULT_USER_ID), &cc, PHONE_BODY)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    // It is the user's call.
    let user = emu.user_token(seed::DEFAULT_USER_ID);
    let listing = http.get(CALLS, &user).await.json();
    assert_eq!(listing["entities"][0]["id"], id.as_str());
    assert_eq!(
        emu.counters()
            .requests(&Method::POST, "/api/v2/conversations/calls/user/{userId}"),
        1
    );

    let r = http
        .post_json(&on_behalf(seed::NO_STATION_USER_ID), &cc, PHONE_BODY)
        .await;
    r.assert_error(400, "conversation.error.no.user.station");
    let r = http.post_json(&on_behalf("nobody"), &cc, PHONE_BODY).await;
    r.assert_error(404, "not.found");
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test]
async fn create_call_on_behalf_without_permission_is_403() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.client_credentials_token(seed::NO_PERMISSION_CLIENT_ID);
    let r = http
        .post_json(&on_behalf(seed::DEFAULT_USER_ID), &token, PHONE_BODY)
        .await;
    let e = r.assert_error(403, "missing.any.permissions");
    let params = e.message_params.unwrap();
    let listed = &params["permissions"];
    assert!(listed.contains("conversation:call:add"), "{listed}");
    assert!(
        listed.contains("conversation:agentlessCall:add"),
        "{listed}"
    );
    let message = e.message.unwrap();
    assert!(message.contains("at least one of the following permissions"));
    assert!(message.contains("conversation:call:add"));
    assert_eq!(emu.counters().calls_created(), 0);

    // Any one of the listed permissions is enough.
    let config = EmulatorConfig::default()
        .with_role(RoleSeed::new(
            "agentless",
            ["conversation:agentlessCall:add"],
        ))
        .with_client(ClientSeed::client_credentials("agentless", "s").with_role("agentless"));
    let (emu2, http2) = start(config).await;
    let token = emu2.client_credentials_token("agentless");
    let r = http2
        .post_json(&on_behalf(seed::DEFAULT_USER_ID), &token, PHONE_BODY)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn participant_states(http: &Http, token: &str, id: &str) -> Vec<CallMediaParticipantState> {
    let r = http.get(&format!("{CALLS}/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let conv: CallConversation = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(conv.id.as_deref(), Some(id));
    conv.participants
        .unwrap()
        .into_iter()
        .map(|p| p.state.unwrap())
        .collect()
}

#[tokio::test]
async fn participants_progress_on_the_manual_clock() {
    let config = EmulatorConfig::default()
        .with_manual_clock()
        .with_call_timings(Duration::from_secs(2), Duration::from_secs(5));
    let (emu, http) = start(config).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let id = http.post_json(CALLS, &token, PHONE_BODY).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    use CallMediaParticipantState::*;
    assert_eq!(
        participant_states(&http, &token, &id).await,
        [Dialing, Dialing]
    );
    emu.clock().advance(Duration::from_secs(2));
    assert_eq!(
        participant_states(&http, &token, &id).await,
        [Contacting, Contacting]
    );
    emu.clock().advance(Duration::from_secs(4));
    assert_eq!(
        participant_states(&http, &token, &id).await,
        [Contacting, Contacting]
    );
    emu.clock().advance(Duration::from_secs(1));
    assert_eq!(
        participant_states(&http, &token, &id).await,
        [Connected, Connected]
    );
    let conv: CallConversation =
        serde_json::from_slice(&http.get(&format!("{CALLS}/{id}"), &token).await.body).unwrap();
    let participants = conv.participants.unwrap();
    assert_eq!(participants[0].purpose.as_deref(), Some("user"));
    assert_eq!(
        participants[0].user.as_ref().unwrap().id.as_deref(),
        Some(seed::DEFAULT_USER_ID)
    );
    assert_eq!(participants[1].address.as_deref(), Some("tel:+15550123"));
    assert!(participants[1].connected_time.is_some());

    http.get(&format!("{CALLS}/no-such-call"), &token)
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let auth = format!("Bearer {token}");
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut headers = vec![("authorization", auth.as_str())];
        if let Some(t) = content_type {
            headers.push(("content-type", t));
        }
        let r = http.send(Method::POST, CALLS, &headers, PHONE_BODY).await;
        r.assert_error(415, "unsupported.media.type");
    }
    let r = http
        .send(
            Method::POST,
            CALLS,
            &[
                ("authorization", auth.as_str()),
                ("content-type", "application/json; charset=UTF-8"),
            ],
            PHONE_BODY,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_bad_request_with_details() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let r = http
        .post_json(CALLS, &token, r#"{"phoneNumber": "+1555"#)
        .await;
    let e = r.assert_error(400, "bad.request");
    assert!(!e.details.unwrap().is_empty());

    let r = http
        .post_json(CALLS, &token, r#"{"phoneNumber": 15550123}"#)
        .await;
    let e = r.assert_error(400, "bad.request");
    let details = e.details.unwrap();
    assert_eq!(details[0].field_name.as_deref(), Some("phoneNumber"));

    let r = http
        .post_json(
            CALLS,
            &token,
            r#"{"phoneNumber": "+1", "priority": "high"}"#,
        )
        .await;
    let e = r.assert_error(400, "bad.request");
    assert_eq!(
        e.details.unwrap()[0].field_name.as_deref(),
        Some("priority")
    );

    let r = http.post_json(CALLS, &token, "[1,2]").await;
    r.assert_error(400, "bad.request");
    let r = http.post_json(CALLS, &token, "").await;
    r.assert_error(400, "bad.request");
    let r = http.post_json(CALLS, &token, "{}").await;
    r.assert_error(400, "bad.request");
    let r = http
        .post_json(CALLS, &token, r#"{"phoneNumber":"+1","callUserId":"x"}"#)
        .await;
    r.assert_error(400, "too.many.create.conversation.parameters");
    assert_eq!(emu.counters().calls_created(), 0);
}

#[tokio::test]
async fn oversized_bodies_are_rejected() {
    let config = EmulatorConfig::default().with_max_body_bytes(1024);
    let (emu, http) = start(config).await;
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let body = format!(r#"{{"phoneNumber":"+1","label":"{}"}}"#, "x".repeat(4096));
    let r = http.post_json(CALLS, &token, &body).await;
    r.assert_error(413, "request.entity.too.large");
    assert_eq!(emu.counters().calls_created(), 0);
}

#[tokio::test]
async fn paths_and_methods_outside_the_spec_are_404() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let r = http.get("/api/v2/routing/queues", &token).await;
    assert_eq!(r.status, StatusCode::OK, "answered from the spec");
    let r = http
        .send(Method::GET, "/definitely/not/genesys", &[], "")
        .await;
    r.assert_error(404, "not.found");
    // A known path with an unsupported method.
    let auth = format!("Bearer {token}");
    let r = http
        .send(
            Method::DELETE,
            CALLS,
            &[("authorization", auth.as_str())],
            "",
        )
        .await;
    r.assert_error(404, "not.found");
    assert_eq!(emu.counters().requests(&Method::DELETE, CALLS), 1);
    assert_eq!(
        emu.counters()
            .requests(&Method::GET, "/api/v2/routing/queues"),
        1
    );
}
