//! The retry loop and request building, driven through a scripted
//! `HttpClient` (no sockets).

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::RecordingSleeper;
use genesys_transport::{
    ApiRequest, BaseUrl, BodyCompleteness, BodyProblem, BoxError, BoxFuture, ErrorKind, HttpClient,
    PrepareAttempt, ReceivedAt, RetryPolicy, StopReason, Transport, TransportError,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

type Step = Box<dyn FnOnce() -> Result<http::Response<Bytes>, TransportError> + Send>;

/// Answers from a script and records every request it receives.
#[derive(Clone, Default)]
struct Scripted {
    steps: Arc<Mutex<VecDeque<Step>>>,
    seen: Arc<Mutex<Vec<http::Request<Bytes>>>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

impl Scripted {
    fn then(
        self,
        step: impl FnOnce() -> Result<http::Response<Bytes>, TransportError> + Send + 'static,
    ) -> Self {
        self.steps.lock().unwrap().push_back(Box::new(step));
        self
    }

    fn status(
        self,
        status: u16,
        headers: &[(&'static str, &'static str)],
        body: &'static str,
    ) -> Self {
        let headers: Vec<_> = headers.to_vec();
        self.then(move || {
            let mut response = http::Response::new(Bytes::from_static(body.as_bytes()));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            for (k, v) in headers {
                response
                    .headers_mut()
                    .insert(k, HeaderValue::from_static(v));
            }
            Ok(response)
        })
    }

    /// Like [`status`](Self::status), received at a fixed time: `received`
    /// seconds after [`t0`].
    fn status_at(
        self,
        status: u16,
        headers: &[(&'static str, &'static str)],
        received: u64,
    ) -> Self {
        let headers: Vec<_> = headers.to_vec();
        self.then(move || {
            let mut response = http::Response::new(Bytes::from_static(b"{}"));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            for (k, v) in headers {
                response
                    .headers_mut()
                    .insert(k, HeaderValue::from_static(v));
            }
            response
                .extensions_mut()
                .insert(ReceivedAt(t0() + Duration::from_secs(received)));
            Ok(response)
        })
    }

    fn seen(&self) -> Vec<(Method, String, HeaderMap)> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.method().clone(), r.uri().to_string(), r.headers().clone()))
            .collect()
    }
}

impl HttpClient for Scripted {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        self.seen.lock().unwrap().push(request);
        let step = self
            .steps
            .lock()
            .unwrap()
            .pop_front()
            .expect("script ran out");
        Box::pin(async move { step() })
    }
}

fn transport(client: &Scripted, sleeper: &RecordingSleeper) -> Transport {
    Transport::builder()
        .base_url(BaseUrl::parse("https://api.example.invalid/gateway").unwrap())
        .http_client(client.clone())
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_secs(1))
                .with_max_retry_time(Duration::from_secs(10)),
        )
        .sleeper(sleeper.clone())
        .build()
        .unwrap()
}

/// 2026-11-28T08:00:00Z, the fixed receipt time of `status_at` responses.
fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_852_800)
}

fn refused() -> Result<http::Response<Bytes>, TransportError> {
    Err(TransportError::connect(std::io::Error::from(
        std::io::ErrorKind::ConnectionRefused,
    )))
}

#[tokio::test]
async fn post_is_retried_after_a_connect_failure() {
    let client = Scripted::default().then(refused).status(200, &[], "{}");
    let sleeper = RecordingSleeper::default();
    let resp = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::POST, "/api/v2/conversations/calls").with_json("{}"))
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 2);
    assert_eq!(client.seen().len(), 2);
    assert_eq!(sleeper.sleeps().len(), 1);
}

#[tokio::test]
async fn post_is_not_retried_after_a_lost_connection() {
    let client = Scripted::default().then(|| {
        Err(TransportError::connection(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )))
    });
    let sleeper = RecordingSleeper::default();
    let err = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::POST, "/api/v2/conversations/calls"))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.stop_reason(), StopReason::UnsafeToRetry);
    assert_eq!(client.seen().len(), 1);
}

#[tokio::test]
async fn request_is_built_with_url_headers_and_correlation_id() {
    let client = Scripted::default().status(200, &[("ININ-Correlation-Id", "resp-corr")], "[]");
    let sleeper = RecordingSleeper::default();
    let t = Transport::builder()
        .base_url(BaseUrl::parse("https://api.example.invalid/gateway/").unwrap())
        .http_client(client.clone())
        .default_header(
            HeaderName::from_static("genesys-app"),
            HeaderValue::from_static("my-app"),
        )
        .default_header(
            HeaderName::from_static("x-overridden"),
            HeaderValue::from_static("default"),
        )
        .sleeper(sleeper)
        .build()
        .unwrap();
    let resp = t
        .send(
            ApiRequest::new(Method::GET, "/api/v2/users?pageSize=5")
                .with_header(
                    HeaderName::from_static("x-overridden"),
                    HeaderValue::from_static("mine"),
                )
                .with_header(
                    HeaderName::from_static("x-custom"),
                    HeaderValue::from_static("1"),
                )
                .with_correlation_id("corr-123"),
        )
        .await
        .unwrap();
    assert_eq!(resp.correlation_id(), Some("resp-corr"));
    let seen = client.seen();
    let (method, uri, headers) = &seen[0];
    assert_eq!(method, Method::GET);
    assert_eq!(
        uri,
        "https://api.example.invalid/gateway/api/v2/users?pageSize=5"
    );
    assert_eq!(headers["inin-correlation-id"], "corr-123");
    assert_eq!(headers["genesys-app"], "my-app");
    assert_eq!(
        headers.get_all("x-overridden").iter().collect::<Vec<_>>(),
        vec!["mine"]
    );
    assert_eq!(headers["x-custom"], "1");
    assert_eq!(headers["accept"], "application/json");
    assert!(
        headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("genesys-cloud-rs/")
    );
}

/// Sets a different token per attempt and records what it was asked.
struct RotatingToken(Mutex<Vec<u32>>);

impl PrepareAttempt for RotatingToken {
    fn prepare<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
        attempt: u32,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            self.0.lock().unwrap().push(attempt);
            // The request is rebuilt each time: nothing from the last attempt.
            assert!(request.headers().get("authorization").is_none());
            let value = HeaderValue::from_str(&format!("Bearer token-{attempt}"))?;
            request.headers_mut().insert("authorization", value);
            Ok(())
        })
    }
}

#[tokio::test]
async fn authorization_is_reapplied_on_every_attempt() {
    let client = Scripted::default()
        .status(503, &[], "")
        .status(429, &[("retry-after", "2")], "")
        .status(200, &[], "{}");
    let sleeper = RecordingSleeper::default();
    let prepare = RotatingToken(Mutex::new(Vec::new()));
    let resp = transport(&client, &sleeper)
        .send_with(ApiRequest::new(Method::GET, "/api/v2/users/me"), &prepare)
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 3);
    assert_eq!(*prepare.0.lock().unwrap(), vec![1, 2, 3]);
    let tokens: Vec<_> = client
        .seen()
        .iter()
        .map(|(_, _, h)| h["authorization"].clone())
        .collect();
    assert_eq!(
        tokens,
        ["Bearer token-1", "Bearer token-2", "Bearer token-3"]
    );
    let sleeps = sleeper.sleeps();
    assert!(sleeps[0] >= Duration::from_millis(50) && sleeps[0] <= Duration::from_millis(100));
    assert_eq!(sleeps[1], Duration::from_secs(2));
}

#[tokio::test]
async fn budget_counts_waits_and_stops_early() {
    // 503 with Retry-After 6 s, twice: the second wait would pass the 10 s budget.
    let client = Scripted::default()
        .status(503, &[("retry-after", "6")], "")
        .status(503, &[("retry-after", "6")], "");
    let sleeper = RecordingSleeper::default();
    let err = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::DELETE, "/api/v2/x"))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 2);
    match err.stop_reason() {
        StopReason::RetryAfterExceedsBudget {
            retry_after,
            remaining,
            budget,
        } => {
            assert_eq!(retry_after, Duration::from_secs(6));
            assert_eq!(budget, Duration::from_secs(10));
            assert!(remaining <= Duration::from_secs(4), "{remaining:?}");
        }
        other => panic!("unexpected stop reason {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("not retried: the server asked to wait 6 s, more than the ")
            && text.contains(" left of the 10 s retry budget"),
        "{text}"
    );
    assert_eq!(sleeper.sleeps(), vec![Duration::from_secs(6)]);
}

#[tokio::test]
async fn per_request_retry_policy_override() {
    let client = Scripted::default().status(503, &[], "");
    let sleeper = RecordingSleeper::default();
    let err = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::GET, "/api/v2/x").with_retry_policy(RetryPolicy::none()))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        err.stop_reason(),
        StopReason::AttemptsExhausted { max_attempts: 1 }
    );
}

#[tokio::test]
async fn invalid_requests_fail_before_sending() {
    let client = Scripted::default();
    let sleeper = RecordingSleeper::default();
    let t = transport(&client, &sleeper);
    let err = t
        .send(ApiRequest::new(Method::GET, "no-leading-slash"))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidRequest(_)));
    assert_eq!(err.attempts(), 0);
    assert_eq!(err.stop_reason(), StopReason::BeforeSending);
    let err = t
        .send(ApiRequest::new(Method::GET, "/x").with_correlation_id("bad\nvalue"))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidRequest(_)));
    assert!(client.seen().is_empty());
}

#[tokio::test]
async fn client_side_body_marks_are_used() {
    let client = Scripted::default().then(|| {
        let mut response = http::Response::new(Bytes::from_static(br#"{"code":"x","mess"#));
        *response.status_mut() = StatusCode::BAD_GATEWAY;
        response
            .extensions_mut()
            .insert(BodyCompleteness::Incomplete {
                reason: "reset".into(),
            });
        Ok(response)
    });
    let sleeper = RecordingSleeper::default();
    let err = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::POST, "/api/v2/x"))
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(
        api.body_problem(),
        Some(&BodyProblem::Incomplete {
            reason: "reset".into()
        })
    );
    assert_eq!(err.stop_reason(), StopReason::UnsafeToRetry);
}

#[tokio::test]
async fn oversized_bodies_from_custom_clients_are_decoded_only_up_to_the_limit() {
    let client = Scripted::default().then(|| {
        let mut response = http::Response::new(Bytes::from(vec![b'{'; 1_000_000]));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        Ok(response)
    });
    let sleeper = RecordingSleeper::default();
    let t = Transport::builder()
        .base_url(BaseUrl::parse("https://api.example.invalid").unwrap())
        .http_client(client)
        .max_error_body_bytes(1000)
        .sleeper(sleeper)
        .build()
        .unwrap();
    let err = t
        .send(ApiRequest::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(
        api.body_problem(),
        Some(&BodyProblem::TooLarge { limit: 1000 })
    );
    assert_eq!(api.raw_body().len(), 1000);
}

#[test]
fn transport_is_send_sync_and_futures_are_send() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}
    let client = Scripted::default();
    let sleeper = RecordingSleeper::default();
    let t = transport(&client, &sleeper);
    assert_send_sync(&t);
    let prepare = RotatingToken(Mutex::new(Vec::new()));
    let fut = t.send_with(ApiRequest::new(Method::GET, "/x"), &prepare);
    assert_send(&fut);
}

#[tokio::test]
async fn daily_rate_limit_is_not_retried_and_says_until_when() {
    // A daily limit: 2 h, far past the 10 s budget. A POST, to show that
    // 429s are safe to retry in principle and that the budget is what stops.
    let client = Scripted::default().status_at(
        429,
        &[
            ("retry-after", "7200"),
            ("inin-correlation-id", "corr-429"),
            ("inin-ratelimit-allowed", "300"),
            ("inin-ratelimit-count", "300"),
            ("inin-ratelimit-reset", "7200"),
        ],
        0,
    );
    let sleeper = RecordingSleeper::default();
    let err = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::POST, "/api/v2/conversations/calls").with_json("{}"))
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert!(sleeper.sleeps().is_empty());
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7200)));
    assert_eq!(err.retry_at(), Some(t0() + Duration::from_secs(7200)));
    assert!(matches!(
        err.stop_reason(),
        StopReason::RetryAfterExceedsBudget { retry_after, budget, .. }
            if retry_after == Duration::from_secs(7200) && budget == Duration::from_secs(10)
    ));
    let limit = err.rate_limit().unwrap();
    assert_eq!(limit.remaining(), Some(0));
    let text = err.to_string();
    assert!(
        text.contains("(rate limited: the server asked to wait 2 h, until 2026-11-28T10:00:00Z)"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "(1 attempt; not retried: the server asked to wait 2 h, more than the 10 s retry budget)"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn short_retry_after_still_retries() {
    let client = Scripted::default()
        .status_at(429, &[("retry-after", "2")], 0)
        .status_at(200, &[], 2);
    let sleeper = RecordingSleeper::default();
    let resp = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::POST, "/api/v2/x").with_json("{}"))
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 2);
    assert_eq!(sleeper.sleeps(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn http_date_retry_after_is_waited_from_the_receipt_time() {
    // Received at 08:00:00, asked to come back at 08:00:03: a 3 s wait,
    // whatever this machine's clock says.
    let client = Scripted::default()
        .status_at(503, &[("retry-after", "Sat, 28 Nov 2026 08:00:03 GMT")], 0)
        .status_at(429, &[("retry-after", "Sat, 28 Nov 2026 07:00:00 GMT")], 3)
        .status_at(200, &[], 3);
    let sleeper = RecordingSleeper::default();
    let resp = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::GET, "/api/v2/x"))
        .await
        .unwrap();
    assert_eq!(resp.attempts(), 3);
    // A date in the past means no wait.
    assert_eq!(
        sleeper.sleeps(),
        vec![Duration::from_secs(3), Duration::ZERO]
    );

    // A date past the budget stops, and says until when.
    let client =
        Scripted::default().status_at(429, &[("retry-after", "Sunday, 29-Nov-26 08:00:00 GMT")], 0);
    let sleeper = RecordingSleeper::default();
    let err = transport(&client, &sleeper)
        .send(ApiRequest::new(Method::GET, "/api/v2/x"))
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(86_400)));
    assert!(
        err.to_string()
            .contains("wait 24 h, until 2026-11-29T08:00:00Z"),
        "{err}"
    );
    assert!(sleeper.sleeps().is_empty());
}

#[tokio::test]
async fn rate_limit_headers_of_the_last_response_are_recorded() {
    let client = Scripted::default()
        .status_at(
            200,
            &[
                ("inin-ratelimit-allowed", "180"),
                ("inin-ratelimit-count", "1"),
                ("inin-ratelimit-reset", "61"),
            ],
            0,
        )
        .status_at(
            503,
            &[
                ("retry-after", "1"),
                ("inin-ratelimit-allowed", "180"),
                ("inin-ratelimit-count", "2"),
                ("inin-ratelimit-reset", "60"),
            ],
            1,
        )
        .status_at(200, &[], 2)
        .status_at(
            204,
            &[
                ("ININ-RateLimit-Allowed", "180"),
                ("ININ-RateLimit-Count", "179"),
            ],
            5,
        );
    let sleeper = RecordingSleeper::default();
    let t = transport(&client, &sleeper);
    let clone = t.clone();
    assert_eq!(t.rate_limit(), None);

    t.send(ApiRequest::new(Method::GET, "/a")).await.unwrap();
    let first = t.rate_limit().unwrap();
    assert_eq!(
        (first.allowed, first.count, first.reset),
        (Some(180), Some(1), Some(Duration::from_secs(61)))
    );
    assert_eq!(first.observed_at, t0());
    assert_eq!(first.resets_at(), Some(t0() + Duration::from_secs(61)));

    // An error response that was retried counts too; a response without the
    // headers leaves the last status in place.
    t.send(ApiRequest::new(Method::GET, "/b")).await.unwrap();
    let second = clone.rate_limit().unwrap();
    assert_eq!(second.count, Some(2));
    assert_eq!(second.observed_at, t0() + Duration::from_secs(1));

    clone
        .send(ApiRequest::new(Method::DELETE, "/c"))
        .await
        .unwrap();
    let third = t.rate_limit().unwrap();
    assert_eq!((third.count, third.reset), (Some(179), None));
    assert_eq!(third.remaining(), Some(1));
    assert_eq!(third.observed_at, t0() + Duration::from_secs(5));
}
