//! Fault injection per route, and the counters that prove its effects.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{CALLS, Http, PHONE_BODY, on_behalf, seed};
use genesys_emulator::{Emulator, EmulatorConfig, Fault, Grant, RouteMatch};
use http::{Method, StatusCode};

const ON_BEHALF: &str = "/api/v2/conversations/calls/user/{userId}";

async fn start() -> (Emulator, Http, String) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let http = Http::new(&emu.base_url());
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    (emu, http, token)
}

#[tokio::test]
async fn status_faults_fail_n_times_then_recover() {
    let (emu, http, token) = start().await;
    emu.inject(
        RouteMatch::new(Method::POST, ON_BEHALF),
        Fault::Status {
            status: 503,
            times: 2,
        },
    );
    let path = on_behalf(seed::DEFAULT_USER_ID);
    let r = http.post_json(&path, &token, PHONE_BODY).await;
    let e = r.assert_error(503, "service.unavailable");
    assert!(e.message.is_some());
    http.post_json(&path, &token, PHONE_BODY)
        .await
        .assert_error(503, "service.unavailable");
    let r = http.post_json(&path, &token, PHONE_BODY).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(emu.counters().requests(&Method::POST, ON_BEHALF), 3);
    assert_eq!(emu.counters().calls_created(), 1);

    for (status, code) in [
        (500, "internal.server.error"),
        (502, "bad.gateway"),
        (504, "request.timeout"),
    ] {
        emu.inject(
            RouteMatch::new(Method::POST, ON_BEHALF),
            Fault::Status { status, times: 1 },
        );
        http.post_json(&path, &token, PHONE_BODY)
            .await
            .assert_error(status, code);
    }
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test]
async fn faults_match_method_and_path() {
    let (emu, http, token) = start().await;
    // A different method on the same path is not affected.
    emu.inject(
        RouteMatch::new(Method::GET, CALLS),
        Fault::Status {
            status: 500,
            times: 5,
        },
    );
    let user = emu.user_token(seed::DEFAULT_USER_ID);
    assert_eq!(http.post_json(CALLS, &user, PHONE_BODY).await.status, 200);
    // A concrete path matches too.
    emu.inject(
        RouteMatch::path(format!("/api/v2/users/{}", seed::DEFAULT_USER_ID)),
        Fault::Status {
            status: 500,
            times: 1,
        },
    );
    let r = http
        .get(&format!("/api/v2/users/{}", seed::DEFAULT_USER_ID), &token)
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let r = http
        .get(
            &format!("/api/v2/users/{}", seed::NO_STATION_USER_ID),
            &token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // clear_faults removes the remaining GET faults.
    emu.clear_faults();
    assert_eq!(http.get(CALLS, &user).await.status, 200);
}

#[tokio::test]
async fn token_endpoint_faults_and_grant_counters() {
    let (emu, http, _) = start().await;
    emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::Status {
            status: 503,
            times: 1,
        },
    );
    let form = [("grant_type", "client_credentials")];
    let creds = Some((seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET));
    assert_eq!(http.token(creds, &form).await.status, 503);
    assert_eq!(http.token(creds, &form).await.status, 200);
    assert_eq!(emu.counters().requests(&Method::POST, "/oauth/token"), 2);
    // The faulted request never reached the login service.
    assert_eq!(emu.counters().token_requests(Grant::ClientCredentials), 1);
    assert_eq!(emu.counters().token_requests_total(), 1);
    assert_eq!(emu.counters().token_requests(Grant::AuthorizationCode), 0);
}

#[tokio::test]
async fn latency_delays_responses() {
    let (emu, http, token) = start().await;
    emu.inject(RouteMatch::any(), Fault::Latency(Duration::from_millis(40)));
    let started = Instant::now();
    let r = http.get("/api/v2/tokens/me", &token).await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(40));
    emu.clear_faults();
    let started = Instant::now();
    http.get("/api/v2/tokens/me", &token).await;
    assert!(started.elapsed() < Duration::from_millis(40));
}

#[tokio::test]
async fn drop_before_read_closes_the_connection() {
    let (emu, http, token) = start().await;
    emu.inject(
        RouteMatch::new(Method::POST, ON_BEHALF),
        Fault::DropBeforeRead { times: 1 },
    );
    let path = on_behalf(seed::DEFAULT_USER_ID);
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let err = http
        .try_send(Method::POST, &path, &headers, PHONE_BODY)
        .await
        .unwrap_err();
    assert!(!err.is_empty());
    assert_eq!(emu.counters().calls_created(), 0);
    let r = http.post_json(&path, &token, PHONE_BODY).await;
    assert_eq!(r.status, 200);
    assert_eq!(emu.counters().requests(&Method::POST, ON_BEHALF), 2);
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test]
async fn drop_after_read_closes_without_answering() {
    let (emu, http, token) = start().await;
    emu.inject(
        RouteMatch::new(Method::POST, ON_BEHALF),
        Fault::DropAfterRead { times: 2 },
    );
    let path = on_behalf(seed::DEFAULT_USER_ID);
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    for _ in 0..2 {
        let err = http
            .try_send(Method::POST, &path, &headers, PHONE_BODY)
            .await
            .unwrap_err();
        assert!(!err.is_empty());
    }
    // The request was read but nothing was created: a retry is safe here,
    // and the counters prove there is no duplicate.
    assert_eq!(emu.counters().calls_created(), 0);
    assert_eq!(http.post_json(&path, &token, PHONE_BODY).await.status, 200);
    assert_eq!(emu.counters().calls_created(), 1);
    assert_eq!(emu.counters().requests(&Method::POST, ON_BEHALF), 3);
}

#[tokio::test]
async fn truncated_body_fails_while_reading() {
    let (emu, http, token) = start().await;
    emu.inject(
        RouteMatch::path("/api/v2/tokens/me"),
        Fault::TruncatedBody { times: 1 },
    );
    let auth = format!("Bearer {token}");
    let err = http
        .try_send(
            Method::GET,
            "/api/v2/tokens/me",
            &[("authorization", auth.as_str())],
            "",
        )
        .await
        .unwrap_err();
    assert!(err.starts_with("body"), "{err}");
    assert_eq!(http.get("/api/v2/tokens/me", &token).await.status, 200);
}

#[tokio::test]
async fn malformed_body_is_not_json() {
    let (emu, http, token) = start().await;
    emu.inject(RouteMatch::any(), Fault::MalformedBody { times: 1 });
    let r = http.get("/api/v2/tokens/me", &token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    let r = http.get("/api/v2/tokens/me", &token).await;
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_ok());
}

#[tokio::test]
async fn rate_limit_storm_with_and_without_retry_after() {
    let (emu, http, token) = start().await;
    emu.inject(
        RouteMatch::new(Method::POST, ON_BEHALF),
        Fault::RateLimited {
            retry_after: Some(3),
            times: 3,
        },
    );
    let path = on_behalf(seed::DEFAULT_USER_ID);
    for _ in 0..3 {
        let r = http.post_json(&path, &token, PHONE_BODY).await;
        r.assert_error(429, "too.many.requests");
        assert_eq!(r.header("retry-after"), Some("3"));
    }
    emu.inject(
        RouteMatch::new(Method::POST, ON_BEHALF),
        Fault::RateLimited {
            retry_after: None,
            times: 1,
        },
    );
    let r = http.post_json(&path, &token, PHONE_BODY).await;
    r.assert_error(429, "too.many.requests");
    assert_eq!(r.header("retry-after"), None);
    assert_eq!(http.post_json(&path, &token, PHONE_BODY).await.status, 200);
    assert_eq!(emu.counters().calls_created(), 1);
    assert_eq!(emu.counters().requests(&Method::POST, ON_BEHALF), 5);
}

#[tokio::test]
async fn custom_body_is_sent_verbatim() {
    let (emu, http, token) = start().await;
    let huge = Bytes::from(vec![b'x'; 2 * 1024 * 1024]);
    emu.inject(
        RouteMatch::new(Method::GET, "/api/v2/users/{userId}"),
        Fault::Body {
            status: 502,
            content_type: "text/html".to_owned(),
            body: huge.clone(),
            times: 1,
        },
    );
    let r = http
        .get(&format!("/api/v2/users/{}", seed::DEFAULT_USER_ID), &token)
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.body, huge);
    assert!(r.header("inin-correlation-id").is_some());
}

#[tokio::test]
async fn faults_apply_in_injection_order() {
    let (emu, http, token) = start().await;
    emu.inject(
        RouteMatch::any(),
        Fault::Status {
            status: 500,
            times: 1,
        },
    );
    emu.inject(
        RouteMatch::any(),
        Fault::Status {
            status: 504,
            times: 1,
        },
    );
    assert_eq!(http.get("/api/v2/tokens/me", &token).await.status, 500);
    assert_eq!(http.get("/api/v2/tokens/me", &token).await.status, 504);
    assert_eq!(http.get("/api/v2/tokens/me", &token).await.status, 200);
    assert_eq!(
        emu.counters().requests(&Method::GET, "/api/v2/tokens/me"),
        3
    );
    assert_eq!(emu.counters().requests_total(), 3);
    emu.counters().reset();
    assert_eq!(emu.counters().requests_total(), 0);
}
