//! The problem that started the project, end to end against the emulator:
//! a service with a client-credentials token places an outbound call.

use std::time::Duration;

use genesys_auth::{
    AuthorizationCode, BaseUrl, ClientCredentials, Environment, Pkce, PkceVerifier, Saml2Bearer,
    TokenEndpoint, TokenSource,
};
use genesys_cloud::calls::{CallState, Dial};
use genesys_cloud::{Client, Error, RetryPolicy};
use genesys_emulator::{Emulator, EmulatorConfig, Fault, Grant, RouteMatch, seed};
use genesys_model::CreateCallRequest;
use http::Method;

const CREATE: &str = "/api/v2/conversations/calls";
const ON_BEHALF: &str = "/api/v2/conversations/calls/user/{userId}";

async fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

fn login(emu: &Emulator) -> TokenEndpoint {
    TokenEndpoint::new(Environment::single(
        BaseUrl::parse(&emu.base_url()).unwrap(),
    ))
    .unwrap()
}

/// Retries that wait milliseconds, not seconds.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

fn client(emu: &Emulator, source: impl TokenSource + 'static) -> Client {
    Client::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .token_source(source)
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

fn service(emu: &Emulator, id: &str, secret: &str) -> Client {
    client(emu, ClientCredentials::new(login(emu), id, secret))
}

fn dial() -> CreateCallRequest {
    CreateCallRequest {
        phone_number: Some("+15550123".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn client_credentials_and_post_conversations_calls_is_refused_before_sending() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = service(&emu, seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);

    let err = client
        .conversations()
        .post_conversations_calls(&dial())
        .await
        .unwrap_err();
    let Error::UserContextRequired(refusal) = &err else {
        panic!("expected a preflight refusal, got {err}");
    };
    let alternatives: Vec<&str> = refusal.alternatives.iter().map(|o| o.id).collect();
    assert_eq!(alternatives, ["postConversationsCallsUserUserId"]);
    assert_eq!(refusal.client_id.as_deref(), Some(seed::DEFAULT_CLIENT_ID));
    let text = err.to_string();
    for needle in [
        "postConversationsCallsUserUserId",
        "user context",
        "not.a.user",
        "Nothing was sent",
        "conversation:call:add",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
    assert!(err.is_preflight());
    assert_eq!(
        emu.counters().requests(&Method::POST, CREATE),
        0,
        "nothing may reach the server"
    );
    assert_eq!(emu.counters().calls_created(), 0);
}

#[tokio::test]
async fn the_same_call_on_behalf_of_a_user_succeeds() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = service(&emu, seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let created = client
        .conversations()
        .post_conversations_calls_user_user_id(seed::DEFAULT_USER_ID, &dial())
        .await
        .unwrap();
    let id = created.id.expect("a conversation id");
    assert_eq!(emu.counters().calls_created(), 1);
    let call = client
        .conversations()
        .get_conversations_call(&id)
        .await
        .unwrap();
    assert_eq!(call.id.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn a_client_without_the_permission_gets_a_403_naming_it() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = service(
        &emu,
        seed::NO_PERMISSION_CLIENT_ID,
        seed::NO_PERMISSION_CLIENT_SECRET,
    );
    let err = client
        .conversations()
        .post_conversations_calls_user_user_id(seed::DEFAULT_USER_ID, &dial())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("missing.any.permissions"));
    let Error::Api(failure) = &err else {
        panic!("{err}")
    };
    let required = failure
        .required_permissions
        .expect("the catalogue lists them");
    assert!(required.permissions.contains(&"conversation:call:add"));
    let text = err.to_string();
    assert!(text.contains("missing.any.permissions"), "{text}");
    assert!(text.contains("conversation:call:add"), "{text}");
    assert!(text.contains("correlation id"), "{text}");
    assert!(err.correlation_id().is_some());
    assert_eq!(emu.counters().calls_created(), 0);
}

async fn places_with_a_user_token(emu: &Emulator, source: impl TokenSource + 'static) {
    let client = client(emu, source);
    let created = client
        .conversations()
        .post_conversations_calls(&dial())
        .await
        .expect("a user token places the call from the user's station");
    assert!(created.id.is_some());
}

#[tokio::test]
async fn user_context_tokens_place_the_call_with_post_conversations_calls() {
    let emu = emulator(EmulatorConfig::default()).await;

    // Authorization code.
    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    let grant = AuthorizationCode::new(
        login(&emu),
        seed::USER_CLIENT_ID,
        seed::USER_CLIENT_SECRET,
        seed::DEFAULT_REDIRECT_URI,
    );
    places_with_a_user_token(&emu, grant.exchange(code).await.unwrap()).await;

    // PKCE.
    let verifier = PkceVerifier::generate();
    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        Some(&verifier.challenge()),
    );
    let pkce = Pkce::new(
        login(&emu),
        seed::USER_CLIENT_ID,
        seed::DEFAULT_REDIRECT_URI,
    );
    places_with_a_user_token(
        &emu,
        pkce.exchange_with_verifier(code, &verifier).await.unwrap(),
    )
    .await;

    // SAML2 bearer.
    let assertion = emu.mint_saml_assertion(seed::DEFAULT_USER_ID);
    let saml = Saml2Bearer::new(
        login(&emu),
        seed::USER_CLIENT_ID,
        seed::USER_CLIENT_SECRET,
        seed::DEFAULT_ORG_NAME,
        assertion,
    );
    places_with_a_user_token(&emu, saml).await;

    assert_eq!(emu.counters().calls_created(), 3);
    assert_eq!(emu.counters().requests(&Method::POST, ON_BEHALF), 0);
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_and_the_call_goes_through() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = service(&emu, seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let first = client.access_token().await.unwrap();
    emu.revoke_token(first.expose_secret());

    let created = client
        .conversations()
        .post_conversations_calls_user_user_id(seed::DEFAULT_USER_ID, &dial())
        .await
        .expect("one refresh after the 401");
    assert!(created.id.is_some());
    assert_eq!(emu.counters().token_requests(Grant::ClientCredentials), 2);
    // The 401 attempt created nothing; the retry created exactly one call.
    assert_eq!(emu.counters().requests(&Method::POST, ON_BEHALF), 2);
    assert_eq!(emu.counters().calls_created(), 1);
    assert!(!client.access_token().await.unwrap().same_secret(&first));
}

#[tokio::test]
async fn a_429_storm_is_retried_within_bounds_and_never_duplicates_a_call() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = service(&emu, seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let route = || RouteMatch::new(Method::POST, ON_BEHALF);

    // A short storm: retried until it passes, one call created.
    emu.inject(
        route(),
        Fault::RateLimited {
            retry_after: None,
            times: 2,
        },
    );
    client
        .conversations()
        .post_conversations_calls_user_user_id(seed::DEFAULT_USER_ID, &dial())
        .await
        .expect("retried past two 429s");
    assert_eq!(emu.counters().requests(&Method::POST, ON_BEHALF), 3);
    assert_eq!(emu.counters().calls_created(), 1);

    // A long storm: bounded attempts, a clear error, nothing created.
    emu.inject(
        route(),
        Fault::RateLimited {
            retry_after: None,
            times: 1000,
        },
    );
    let err = client
        .conversations()
        .post_conversations_calls_user_user_id(seed::DEFAULT_USER_ID, &dial())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(429));
    let arrived = emu.counters().requests(&Method::POST, ON_BEHALF) - 3;
    let Error::Api(failure) = &err else {
        panic!("{err}")
    };
    assert_eq!(u64::from(failure.attempts), arrived, "{err}");
    assert!(arrived <= 10, "{arrived} attempts is not bounded");
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test]
async fn a_placed_call_is_followed_to_connected() {
    let config = EmulatorConfig::default()
        .with_call_timings(Duration::from_millis(30), Duration::from_millis(30));
    let emu = emulator(config).await;
    let client = service(&emu, seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let calls = client.calls();
    let placed = calls
        .place(
            &Dial::number("+15550123")
                .caller_id("+15550100")
                .on_behalf_of(seed::DEFAULT_USER_ID)
                .attribute("crmCase", "42"),
        )
        .await
        .unwrap();
    assert_eq!(placed.operation, "postConversationsCallsUserUserId");
    let call = calls
        .wait_for_every(
            &placed.conversation_id,
            CallState::Connected,
            Duration::from_secs(10),
            Duration::from_millis(10),
        )
        .await
        .unwrap();
    assert_eq!(CallState::of(&call), CallState::Connected);
    assert_eq!(emu.counters().calls_created(), 1);

    // Without on_behalf_of, a client token is refused with the fix, before sending.
    let err = calls.place(&Dial::number("+15550123")).await.unwrap_err();
    assert!(matches!(err, Error::UserContextRequired(_)), "{err}");
    assert_eq!(emu.counters().requests(&Method::POST, CREATE), 0);
}

#[tokio::test]
async fn preflight_can_be_switched_off_and_the_server_then_says_not_a_user() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = Client::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .token_source(ClientCredentials::new(
            login(&emu),
            seed::DEFAULT_CLIENT_ID,
            seed::DEFAULT_CLIENT_SECRET,
        ))
        .preflight(false)
        .build()
        .unwrap();
    let err = client
        .conversations()
        .post_conversations_calls(&dial())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("not.a.user"));
    assert!(
        err.to_string().contains("postConversationsCallsUserUserId"),
        "{err}"
    );
    assert_eq!(emu.counters().requests(&Method::POST, CREATE), 1);
}

#[tokio::test]
async fn a_secret_never_shows_in_errors_or_debug_output() {
    let emu = emulator(EmulatorConfig::default()).await;
    let client = service(&emu, seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let token = client.access_token().await.unwrap();
    let err = client
        .conversations()
        .post_conversations_calls(&dial())
        .await
        .unwrap_err();
    let text = format!("{err} {err:?} {client:?}");
    assert!(!text.contains(token.expose_secret()), "{text}");
    assert!(!text.contains(seed::DEFAULT_CLIENT_SECRET), "{text}");
}

#[tokio::test]
async fn listings_are_paged_as_a_stream_of_items() {
    use futures_util::TryStreamExt as _;

    let emu = emulator(EmulatorConfig::default()).await;
    let client = service(&emu, seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET);
    let users: Vec<genesys_model::User> = client
        .users()
        .get_users()
        .page_size(1)
        .items()
        .try_collect()
        .await
        .unwrap();
    let mut ids: Vec<String> = users.into_iter().filter_map(|u| u.id).collect();
    ids.sort();
    let mut expected = vec![
        seed::DEFAULT_USER_ID.to_owned(),
        seed::NO_STATION_USER_ID.to_owned(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(
        emu.counters().requests(&Method::GET, "/api/v2/users"),
        2,
        "one request per page"
    );

    let filtered = client
        .users()
        .get_users()
        .id([seed::DEFAULT_USER_ID])
        .await
        .unwrap();
    assert_eq!(filtered.total, Some(1));
}
