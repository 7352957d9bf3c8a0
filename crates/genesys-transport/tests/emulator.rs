//! End-to-end tests of the transport against the emulator's fault injection.
//! Everything runs on 127.0.0.1.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{RecordingSleeper, capture_tracing};
use genesys_emulator::{Emulator, EmulatorConfig, Fault, RouteMatch, seed};
use genesys_transport::{
    ApiRequest, AuthorizationFn, BaseUrl, BodyProblem, BoxError, ErrorKind, HttpClient,
    HyperClient, RetryPolicy, StopReason, Transport, TransportError, authorization_fn,
};
use http::{HeaderValue, Method, StatusCode};

const USERS_ME: &str = "/api/v2/users/me";
const CALLS: &str = "/api/v2/conversations/calls";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(100))
        .with_max_retry_time(Duration::from_secs(60))
}

fn transport(emu: &Emulator, sleeper: &RecordingSleeper) -> Transport {
    Transport::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .retry_policy(policy())
        .request_timeout(Duration::from_secs(10))
        .sleeper(sleeper.clone())
        .build()
        .unwrap()
}

type AuthFut =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<HeaderValue, BoxError>> + Send>>;

fn bearer(token: String) -> AuthorizationFn<impl Fn() -> AuthFut + Send + Sync> {
    authorization_fn(move || {
        let value = format!("Bearer {token}");
        Box::pin(async move { Ok(HeaderValue::from_str(&value)?) }) as AuthFut
    })
}

fn user_auth(emu: &Emulator) -> AuthorizationFn<impl Fn() -> AuthFut + Send + Sync> {
    bearer(emu.user_token(seed::DEFAULT_USER_ID))
}

fn create_call() -> ApiRequest {
    ApiRequest::new(Method::POST, CALLS).with_json(r#"{"phoneNumber":"+15555550100"}"#)
}

#[tokio::test]
async fn get_succeeds_with_correlation_id() {
    let emu = emulator().await;
    let sleeper = RecordingSleeper::default();
    let t = transport(&emu, &sleeper);
    let resp = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &user_auth(&emu))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.attempts(), 1);
    assert!(resp.correlation_id().is_some());
    let user: serde_json::Value = resp.json().unwrap();
    assert_eq!(user["id"], seed::DEFAULT_USER_ID);
    assert!(sleeper.sleeps().is_empty());
}

#[tokio::test]
async fn rate_limited_with_retry_after_waits_that_long() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::RateLimited {
            retry_after: Some(3),
            times: 2,
        },
    );
    let sleeper = RecordingSleeper::default();
    let resp = transport(&emu, &sleeper)
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &user_auth(&emu))
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 3);
    assert_eq!(sleeper.sleeps(), vec![Duration::from_secs(3); 2]);
    assert_eq!(emu.counters().requests(&Method::GET, USERS_ME), 3);
}

#[tokio::test]
async fn rate_limited_without_retry_after_uses_jittered_backoff() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::RateLimited {
            retry_after: None,
            times: 2,
        },
    );
    let sleeper = RecordingSleeper::default();
    let resp = transport(&emu, &sleeper)
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &user_auth(&emu))
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 3);
    let sleeps = sleeper.sleeps();
    assert_eq!(sleeps.len(), 2);
    // Retry 1: [10, 20] ms; retry 2: [20, 40] ms.
    assert!(
        sleeps[0] >= Duration::from_millis(10) && sleeps[0] <= Duration::from_millis(20),
        "{sleeps:?}"
    );
    assert!(
        sleeps[1] >= Duration::from_millis(20) && sleeps[1] <= Duration::from_millis(40),
        "{sleeps:?}"
    );
}

#[tokio::test]
async fn rate_limit_retry_after_beyond_budget_stops() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::RateLimited {
            retry_after: Some(120),
            times: 5,
        },
    );
    let sleeper = RecordingSleeper::default();
    let err = transport(&emu, &sleeper)
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &user_auth(&emu))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert!(matches!(
        err.stop_reason(),
        StopReason::RetryAfterExceedsBudget { retry_after, .. } if retry_after == Duration::from_secs(120)
    ));
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(api.code(), Some("too.many.requests"));
    assert_eq!(api.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(
        api.retry_at(),
        Some(api.received_at() + Duration::from_secs(120))
    );
    assert!(api.correlation_id().is_some());
    assert!(sleeper.sleeps().is_empty());
    let text = err.to_string();
    assert!(
        text.contains("1 attempt;") && text.contains("budget"),
        "{text}"
    );
    assert!(
        text.contains("rate limited: the server asked to wait 2 min, until "),
        "{text}"
    );
    assert!(
        text.contains(
            "not retried: the server asked to wait 2 min, more than the 60 s retry budget"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn rate_limited_post_is_retried_and_creates_once() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::POST, CALLS),
        Fault::RateLimited {
            retry_after: Some(1),
            times: 1,
        },
    );
    let sleeper = RecordingSleeper::default();
    let resp = transport(&emu, &sleeper)
        .send_with(create_call(), &user_auth(&emu))
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 2);
    assert_eq!(emu.counters().requests(&Method::POST, CALLS), 2);
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test]
async fn get_503_then_success() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::Status {
            status: 503,
            times: 2,
        },
    );
    let sleeper = RecordingSleeper::default();
    let resp = transport(&emu, &sleeper)
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &user_auth(&emu))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.attempts(), 3);
    assert_eq!(sleeper.sleeps().len(), 2);
    assert_eq!(emu.counters().requests(&Method::GET, USERS_ME), 3);
}

#[tokio::test]
async fn get_503_until_attempts_run_out() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::Status {
            status: 504,
            times: 10,
        },
    );
    let sleeper = RecordingSleeper::default();
    let err = transport(&emu, &sleeper)
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &user_auth(&emu))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 4);
    assert_eq!(
        err.stop_reason(),
        StopReason::AttemptsExhausted { max_attempts: 4 }
    );
    assert_eq!(err.status(), Some(StatusCode::GATEWAY_TIMEOUT));
    assert_eq!(emu.counters().requests(&Method::GET, USERS_ME), 4);
    let text = err.to_string();
    assert!(text.contains("GET /api/v2/users/me: HTTP 504"), "{text}");
    assert!(
        text.contains("4 attempts; gave up after the maximum of 4 attempts"),
        "{text}"
    );
}

#[tokio::test]
async fn post_503_is_not_retried_and_nothing_is_created_twice() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::POST, CALLS),
        Fault::Status {
            status: 503,
            times: 1,
        },
    );
    let sleeper = RecordingSleeper::default();
    let t = transport(&emu, &sleeper);
    let auth = user_auth(&emu);
    let err = t.send_with(create_call(), &auth).await.unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.stop_reason(), StopReason::UnsafeToRetry);
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(emu.counters().requests(&Method::POST, CALLS), 1);
    assert!(sleeper.sleeps().is_empty());
    assert!(err.to_string().contains("not idempotent"), "{err}");

    // The caller decides to try again: exactly one call exists afterwards.
    t.send_with(create_call(), &auth).await.unwrap();
    assert_eq!(emu.counters().requests(&Method::POST, CALLS), 2);
    assert_eq!(emu.counters().calls_created(), 1);
}

#[tokio::test]
async fn post_dropped_after_read_is_not_retried() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::POST, CALLS),
        Fault::DropAfterRead { times: 1 },
    );
    let sleeper = RecordingSleeper::default();
    let err = transport(&emu, &sleeper)
        .send_with(create_call(), &user_auth(&emu))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.stop_reason(), StopReason::UnsafeToRetry);
    assert!(
        matches!(
            err.transport_error(),
            Some(TransportError::Connection { .. })
        ),
        "{err:?}"
    );
    assert_eq!(emu.counters().requests(&Method::POST, CALLS), 1);
    assert_eq!(emu.counters().calls_created(), 0);
}

#[tokio::test]
async fn post_dropped_before_read_is_not_retried_either() {
    // The request bytes were written before the server hung up: the client
    // cannot prove the server did nothing, so a POST is not re-sent.
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::POST, CALLS),
        Fault::DropBeforeRead { times: 1 },
    );
    let sleeper = RecordingSleeper::default();
    let err = transport(&emu, &sleeper)
        .send_with(create_call(), &user_auth(&emu))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.stop_reason(), StopReason::UnsafeToRetry);
    assert_eq!(emu.counters().requests(&Method::POST, CALLS), 1);
    assert_eq!(emu.counters().calls_created(), 0);
}

#[tokio::test]
async fn get_dropped_before_and_after_read_is_retried() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::DropBeforeRead { times: 1 },
    );
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::DropAfterRead { times: 1 },
    );
    let sleeper = RecordingSleeper::default();
    let resp = transport(&emu, &sleeper)
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &user_auth(&emu))
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 3);
    assert_eq!(emu.counters().requests(&Method::GET, USERS_ME), 3);
}

#[tokio::test]
async fn post_is_retried_when_the_connection_never_opened() {
    // A port with nothing listening: connect is refused, the request never left.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sleeper = RecordingSleeper::default();
    let t = Transport::builder()
        .base_url(BaseUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap())
        .retry_policy(policy().with_max_attempts(3))
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    let err = t.send(create_call()).await.unwrap_err();
    assert_eq!(err.attempts(), 3);
    assert_eq!(
        err.stop_reason(),
        StopReason::AttemptsExhausted { max_attempts: 3 }
    );
    assert!(
        matches!(err.transport_error(), Some(TransportError::Connect { .. })),
        "{err:?}"
    );
    assert_eq!(sleeper.sleeps().len(), 2);
    let text = err.to_string();
    assert!(text.contains("connection failed"), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
}

#[tokio::test]
async fn request_timeout_and_per_request_override() {
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::Latency(Duration::from_millis(400)),
    );
    let sleeper = RecordingSleeper::default();
    let t = Transport::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .retry_policy(policy().with_max_attempts(2))
        .request_timeout(Duration::from_millis(100))
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    let auth = user_auth(&emu);

    let started = std::time::Instant::now();
    let err = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(matches!(
        err.transport_error(),
        Some(TransportError::Timeout { timeout }) if *timeout == Duration::from_millis(100)
    ));
    assert_eq!(err.attempts(), 2, "GET timeouts are retried");
    // Two 100 ms attempts, not two 400 ms waits for the slow server.
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );

    // A POST that timed out may have been processed: not retried.
    let err = t.send_with(create_call(), &auth).await;
    assert!(err.is_ok(), "POST route has no latency fault: {err:?}");
    emu.inject(
        RouteMatch::new(Method::POST, CALLS),
        Fault::Latency(Duration::from_millis(400)),
    );
    let err = t.send_with(create_call(), &auth).await.unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.stop_reason(), StopReason::UnsafeToRetry);

    // The per-request override gives the slow route enough time.
    let resp = t
        .send_with(
            ApiRequest::new(Method::GET, USERS_ME).with_timeout(Duration::from_secs(5)),
            &auth,
        )
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 1);
}

#[tokio::test]
async fn genesys_error_body_from_a_real_route() {
    let emu = emulator().await;
    let sleeper = RecordingSleeper::default();
    // Client credentials cannot place a call as "me": 400 not.a.user.
    let auth = bearer(emu.client_credentials_token(seed::DEFAULT_CLIENT_ID));
    let err = transport(&emu, &sleeper)
        .send_with(create_call(), &auth)
        .await
        .unwrap_err();
    assert_eq!(err.stop_reason(), StopReason::NotRetryable);
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api.code(), Some("not.a.user"));
    assert!(
        api.message().contains("requires a user context"),
        "{}",
        api.message()
    );
    assert!(api.correlation_id().is_some());
    assert!(api.body_problem().is_none());
}

#[tokio::test]
async fn malformed_and_non_json_error_bodies() {
    let emu = emulator().await;
    let route = RouteMatch::new(Method::GET, USERS_ME);
    emu.inject(
        route.clone(),
        Fault::Body {
            status: 500,
            content_type: "application/json".into(),
            body: Bytes::from_static(br#"{"status":500,"code":"internal.ser"#),
            times: 1,
        },
    );
    emu.inject(
        route.clone(),
        Fault::Body {
            status: 400,
            content_type: "text/html".into(),
            body: Bytes::from_static(b"<html><body><h1>Bad request</h1></body></html>"),
            times: 1,
        },
    );
    emu.inject(
        route,
        Fault::Body {
            status: 404,
            content_type: "application/json".into(),
            body: Bytes::new(),
            times: 1,
        },
    );
    let sleeper = RecordingSleeper::default();
    let t = transport(&emu, &sleeper);
    let auth = user_auth(&emu);

    let err = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        matches!(api.body_problem(), Some(BodyProblem::Malformed { .. })),
        "{api:?}"
    );
    assert!(api.message().contains("internal.ser"), "{}", api.message());

    let err = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert!(
        matches!(api.body_problem(), Some(BodyProblem::NotJson { .. })),
        "{api:?}"
    );
    assert!(api.message().contains("Bad request"), "{}", api.message());

    let err = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.body_problem(), Some(&BodyProblem::Empty));
    assert!(sleeper.sleeps().is_empty());
}

#[tokio::test]
async fn truncated_and_malformed_success_bodies() {
    let emu = emulator().await;
    let sleeper = RecordingSleeper::default();
    let t = transport(&emu, &sleeper);
    let auth = user_auth(&emu);

    // GET: a cut-short body is a broken connection, retried.
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::TruncatedBody { times: 1 },
    );
    let resp = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 2);

    // POST: not retried.
    emu.inject(
        RouteMatch::new(Method::POST, CALLS),
        Fault::TruncatedBody { times: 1 },
    );
    let err = t.send_with(create_call(), &auth).await.unwrap_err();
    assert!(
        matches!(
            err.transport_error(),
            Some(TransportError::Connection { .. })
        ),
        "{err:?}"
    );
    assert_eq!(err.stop_reason(), StopReason::UnsafeToRetry);
    assert_eq!(emu.counters().requests(&Method::POST, CALLS), 1);

    // A complete 200 with invalid JSON is delivered; decoding it fails cleanly.
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::MalformedBody { times: 1 },
    );
    let resp = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap();
    assert!(resp.json::<serde_json::Value>().is_err());
}

#[tokio::test]
async fn huge_bodies_are_bounded() {
    let emu = emulator().await;
    let huge = Bytes::from(vec![b'x'; 8 * 1024 * 1024]);
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::Body {
            status: 502,
            content_type: "text/plain".into(),
            body: huge.clone(),
            times: 1,
        },
    );
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: huge,
            times: 1,
        },
    );
    let sleeper = RecordingSleeper::default();
    let t = Transport::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .retry_policy(RetryPolicy::none())
        .max_error_body_bytes(4096)
        .max_body_bytes(1024 * 1024)
        .sleeper(sleeper)
        .build()
        .unwrap();
    let auth = user_auth(&emu);

    let err = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        api.body_problem(),
        Some(&BodyProblem::TooLarge { limit: 4096 })
    );
    assert!(api.raw_body().len() <= 4096);
    assert!(api.message().len() < 400, "{}", api.message());

    let err = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.transport_error(),
            Some(TransportError::BodyTooLarge { limit: 1048576 })
        ),
        "{err:?}"
    );
    assert_eq!(err.stop_reason(), StopReason::NotRetryable);
}

#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused_without_connecting() {
    // Refused when the base URL is parsed.
    assert!(matches!(
        BaseUrl::parse("http://api.mypurecloud.com"),
        Err(TransportError::InsecureScheme { .. })
    ));

    // And by the client itself, before connecting. 0.0.0.0 is not loopback,
    // but on Linux a connection to it would land on this machine: a local
    // listener on the same port proves that nothing connects.
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = HyperClient::builder().build().unwrap();
    let request = http::Request::get(format!("http://0.0.0.0:{port}/api/v2/users/me"))
        .body(Bytes::new())
        .unwrap();
    let err = client.send(request).await.unwrap_err();
    assert!(
        matches!(err, TransportError::InsecureScheme { ref host } if host == "0.0.0.0"),
        "{err:?}"
    );
    assert!(err.to_string().contains("plain HTTP"), "{err}");
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "the client must not have connected");
}

#[tokio::test]
async fn prepare_runs_per_attempt_and_failure_stops() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, USERS_ME),
        Fault::Status {
            status: 503,
            times: 1,
        },
    );
    let calls = Arc::new(AtomicU32::new(0));
    let token = emu.user_token(seed::DEFAULT_USER_ID);
    let counter = calls.clone();
    let auth = authorization_fn(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let value = format!("Bearer {token}");
        async move { Ok::<_, BoxError>(HeaderValue::from_str(&value)?) }
    });
    let sleeper = RecordingSleeper::default();
    let t = transport(&emu, &sleeper);
    let resp = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &auth)
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "a fresh token per attempt");

    let failing =
        authorization_fn(|| async { Err::<HeaderValue, BoxError>("token source down".into()) });
    let err = t
        .send_with(ApiRequest::new(Method::GET, USERS_ME), &failing)
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Prepare(_)));
    assert_eq!(err.attempts(), 0);
    assert!(err.to_string().contains("token source down"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_reach_logs_or_errors() {
    const SENTINEL: &str = "SENTINEL-TOKEN-7f3a9c1e-do-not-log";
    let (captured, _guard) = capture_tracing();
    let emu = emulator().await;
    emu.inject(
        RouteMatch::new(Method::GET, "/api/v2/users/{userId}"),
        Fault::Status {
            status: 503,
            times: 1,
        },
    );
    let sleeper = RecordingSleeper::default();
    let t = transport(&emu, &sleeper);
    // An invalid token: 503 (retried), then 401 from the emulator.
    let auth = bearer(SENTINEL.to_owned());
    let request = ApiRequest::new(
        Method::GET,
        format!("/api/v2/users/{}", seed::DEFAULT_USER_ID),
    )
    .with_path_template("/api/v2/users/{userId}")
    .with_correlation_id("corr-sent-by-test");
    let err = t.send_with(request.clone(), &auth).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.attempts(), 2);

    // A token given as a plain request header is hidden too.
    let mut header = HeaderValue::from_str(&format!("Bearer {SENTINEL}")).unwrap();
    header.set_sensitive(false);
    let with_header = request.with_header(http::header::AUTHORIZATION, header);
    let err2 = t.send(with_header.clone()).await.unwrap_err();

    let logs = captured.text();
    for text in [
        logs.as_str(),
        &err.to_string(),
        &format!("{err:?}"),
        &err2.to_string(),
        &format!("{err2:?}"),
        &format!("{with_header:?}"),
        &format!("{t:?}"),
    ] {
        assert!(!text.contains(SENTINEL), "secret leaked: {text}");
        assert!(!text.contains("7f3a9c1e"), "secret leaked: {text}");
    }
    // The spans carry what the issue asks for.
    assert!(logs.contains("genesys.request"), "{logs}");
    assert!(logs.contains("genesys.attempt"), "{logs}");
    assert!(logs.contains("path=/api/v2/users/{userId}"), "{logs}");
    assert!(logs.contains("method=GET"), "{logs}");
    assert!(logs.contains("attempt=2"), "{logs}");
    assert!(logs.contains("status=503"), "{logs}");
    assert!(logs.contains("status=401"), "{logs}");
    assert!(logs.contains("duration_ms="), "{logs}");
    assert!(logs.contains("correlation_id="), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert!(
        !logs.contains(&seed::DEFAULT_USER_ID[..24]),
        "concrete path ids stay out of span names: {logs}"
    );
}
