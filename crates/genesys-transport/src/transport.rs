//! [`Transport`]: base URL + client + timeouts + retry loop + tracing.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use tracing::Instrument;
use tracing::field::Empty;

use crate::api_error::ApiError;
use crate::body::{BodyCompleteness, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_ERROR_BODY_BYTES};
use crate::client::{HttpClient, SharedHttpClient};
use crate::error::{Error, ErrorKind, StopReason, TransportError};
use crate::ratelimit::{RateLimitStatus, ReceivedAt};
use crate::region::{BaseUrl, Environment, Region};
use crate::request::{ApiRequest, ApiResponse};
use crate::retry::{Decision, Outcome, RetryPolicy, SharedSleeper, Sleeper};
use crate::wire::{BoxError, BoxFuture, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};

/// A hook run before every attempt, e.g. to set a fresh `Authorization`
/// header. The request it receives is rebuilt from the [`ApiRequest`] for
/// each attempt, so changes never leak from one attempt into the next.
///
/// If the hook fails, the call fails with [`ErrorKind::Prepare`] and nothing
/// more is sent.
///
/// ```
/// use bytes::Bytes;
/// use genesys_transport::{BoxError, BoxFuture, PrepareAttempt};
///
/// /// Stamps the attempt number into a header.
/// struct AttemptHeader;
///
/// impl PrepareAttempt for AttemptHeader {
///     fn prepare<'a>(&'a self, request: &'a mut http::Request<Bytes>, attempt: u32) -> BoxFuture<'a, Result<(), BoxError>> {
///         Box::pin(async move {
///             request.headers_mut().insert("x-attempt", attempt.into());
///             Ok(())
///         })
///     }
/// }
/// ```
pub trait PrepareAttempt: Send + Sync {
    /// Prepares attempt number `attempt` (1-based).
    fn prepare<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
        attempt: u32,
    ) -> BoxFuture<'a, Result<(), BoxError>>;
}

/// No preparation.
impl PrepareAttempt for () {
    fn prepare<'a>(
        &'a self,
        _request: &'a mut http::Request<Bytes>,
        _attempt: u32,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async { Ok(()) })
    }
}

/// A [`PrepareAttempt`] that sets the `Authorization` header from an async
/// closure called once per attempt; see [`authorization_fn`].
pub struct AuthorizationFn<F>(F);

impl<F> fmt::Debug for AuthorizationFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorizationFn(..)")
    }
}

/// Sets `Authorization` before every attempt to the value the closure
/// returns (marked sensitive, so `http`'s `Debug` hides it).
///
/// ```
/// use genesys_transport::authorization_fn;
/// use http::HeaderValue;
///
/// let auth = authorization_fn(|| async {
///     let token = "abc"; // fetch a fresh token here
///     Ok(HeaderValue::from_str(&format!("Bearer {token}"))?)
/// });
/// ```
pub fn authorization_fn<F, Fut>(f: F) -> AuthorizationFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<HeaderValue, BoxError>> + Send,
{
    AuthorizationFn(f)
}

impl<F, Fut> PrepareAttempt for AuthorizationFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<HeaderValue, BoxError>> + Send,
{
    fn prepare<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
        _attempt: u32,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            let mut value = (self.0)().await?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
            Ok(())
        })
    }
}

/// Builds a [`Transport`].
///
/// ```
/// use std::time::Duration;
/// use genesys_transport::{BaseUrl, RetryPolicy, Transport};
///
/// let transport = Transport::builder()
///     .base_url(BaseUrl::parse("http://127.0.0.1:9000").unwrap())
///     .request_timeout(Duration::from_secs(5))
///     .retry_policy(RetryPolicy::default().with_max_attempts(3))
///     .build()
///     .unwrap();
/// assert_eq!(transport.base_url().as_str(), "http://127.0.0.1:9000");
/// ```
#[derive(Debug)]
#[must_use]
pub struct TransportBuilder {
    base_url: BaseUrl,
    client: Option<SharedHttpClient>,
    retry: RetryPolicy,
    request_timeout: Duration,
    connect_timeout: Duration,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
    default_headers: HeaderMap,
    sleeper: SharedSleeper,
}

impl Default for TransportBuilder {
    fn default() -> Self {
        let mut default_headers = HeaderMap::new();
        default_headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("genesys-cloud-rs/", env!("CARGO_PKG_VERSION"))),
        );
        default_headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Self {
            base_url: Region::default().api_base_url(),
            client: None,
            retry: RetryPolicy::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
            default_headers,
            sleeper: SharedSleeper::default(),
        }
    }
}

impl TransportBuilder {
    /// The base URL requests are sent to (default: the `us-east-1` API host).
    pub fn base_url(mut self, base_url: BaseUrl) -> Self {
        self.base_url = base_url;
        self
    }

    /// Uses a region's API host.
    pub fn region(self, region: Region) -> Self {
        self.base_url(region.api_base_url())
    }

    /// Uses an environment's API host.
    pub fn environment(self, environment: &Environment) -> Self {
        self.base_url(environment.api_base_url().clone())
    }

    /// Uses this client instead of building a `HyperClient`. The connect
    /// timeout and body limits of this builder then do not apply to it
    /// (except that error bodies are still decoded up to
    /// [`max_error_body_bytes`](Self::max_error_body_bytes)).
    pub fn http_client(mut self, client: impl HttpClient + 'static) -> Self {
        self.client = Some(SharedHttpClient::new(client));
        self
    }

    /// Uses this shared client (e.g. one pool for API and login hosts).
    pub fn shared_http_client(mut self, client: SharedHttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The per-attempt timeout covering connect, sending and reading the
    /// whole response (default [`DEFAULT_REQUEST_TIMEOUT`]). Requests can
    /// override it with [`ApiRequest::with_timeout`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The TCP connect timeout of the default client (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The success-body limit of the default client.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The error-body limit: how much of an error body is read and decoded.
    pub fn max_error_body_bytes(mut self, limit: usize) -> Self {
        self.max_error_body_bytes = limit;
        self
    }

    /// A header sent with every request unless the request sets the same
    /// name. `User-Agent` and `Accept: application/json` are preset.
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.insert(name, value);
        self
    }

    /// How to wait between attempts (default: `tokio::time::sleep`).
    pub fn sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.sleeper = SharedSleeper::new(sleeper);
        self
    }

    /// Builds the transport. Without a client of its own, builds a
    /// `HyperClient` (feature `hyper-client`), which may fail on TLS setup.
    pub fn build(self) -> Result<Transport, TransportError> {
        let client = match self.client {
            Some(client) => client,
            None => default_client(
                self.connect_timeout,
                self.max_body_bytes,
                self.max_error_body_bytes,
            )?,
        };
        Ok(Transport {
            inner: Arc::new(Inner {
                client,
                base_url: self.base_url,
                retry: self.retry,
                request_timeout: self.request_timeout,
                max_error_body_bytes: self.max_error_body_bytes,
                default_headers: self.default_headers,
                sleeper: self.sleeper,
                rate_limit: Mutex::new(None),
            }),
        })
    }
}

#[cfg(feature = "hyper-client")]
fn default_client(
    connect_timeout: Duration,
    max_body_bytes: usize,
    max_error_body_bytes: usize,
) -> Result<SharedHttpClient, TransportError> {
    Ok(SharedHttpClient::new(
        crate::hyper_client::HyperClient::builder()
            .connect_timeout(connect_timeout)
            .max_body_bytes(max_body_bytes)
            .max_error_body_bytes(max_error_body_bytes)
            .build()?,
    ))
}

#[cfg(not(feature = "hyper-client"))]
fn default_client(_: Duration, _: usize, _: usize) -> Result<SharedHttpClient, TransportError> {
    Err(TransportError::Other {
        detail: "no HTTP client configured: enable feature `hyper-client` or call \
                 TransportBuilder::http_client"
            .into(),
        source: None,
    })
}

/// Sends [`ApiRequest`]s to one base URL through an [`HttpClient`], with
/// timeouts, the [`RetryPolicy`] and tracing. Cheap to clone (one `Arc`).
///
/// Every call runs in a `genesys.request` span (fields `method`, `path` —
/// the template —, `status`, `attempts`, `duration_ms`, `correlation_id`),
/// and every attempt in a child `genesys.attempt` span (`attempt`, `status`,
/// `duration_ms`, `correlation_id`). Retries are logged at `WARN` with the
/// reason and the wait. Header values are never logged.
///
/// It also remembers the `inin-ratelimit-*` headers of the last response
/// that carried any, shared by all clones: see
/// [`rate_limit`](Self::rate_limit).
///
/// ```no_run
/// use genesys_transport::{ApiRequest, BaseUrl, Transport};
/// use http::Method;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let transport = Transport::builder()
///     .base_url(BaseUrl::parse("http://127.0.0.1:9000")?)
///     .build()?;
/// let response = transport
///     .send(ApiRequest::new(Method::GET, "/api/v2/users/me").with_correlation_id("trace-1"))
///     .await?;
/// assert!(response.status().is_success());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    client: SharedHttpClient,
    base_url: BaseUrl,
    retry: RetryPolicy,
    request_timeout: Duration,
    max_error_body_bytes: usize,
    default_headers: HeaderMap,
    sleeper: SharedSleeper,
    /// The rate-limit headers of the last response that had any.
    rate_limit: Mutex<Option<RateLimitStatus>>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.inner.base_url)
            .field("client", &self.inner.client)
            .field("retry", &self.inner.retry)
            .field("request_timeout", &self.inner.request_timeout)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A builder with the defaults.
    pub fn builder() -> TransportBuilder {
        TransportBuilder::default()
    }

    /// The base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.inner.base_url
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The HTTP client (to share its pool with another transport).
    pub fn http_client(&self) -> &SharedHttpClient {
        &self.inner.client
    }

    /// The `inin-ratelimit-*` headers of the last response (success or
    /// error) that carried any of them, on this transport or a clone of it;
    /// `None` before the first such response. A service can pace itself
    /// with it, e.g. slow down when [`RateLimitStatus::remaining`] runs low.
    ///
    /// With concurrent requests, "last" means the last one recorded.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use genesys_transport::{ApiRequest, Transport};
    /// use http::Method;
    ///
    /// # async fn demo(transport: Transport) -> Result<(), genesys_transport::Error> {
    /// transport.send(ApiRequest::new(Method::GET, "/api/v2/users/me")).await?;
    /// if let Some(limit) = transport.rate_limit() {
    ///     if limit.remaining().is_some_and(|left| left < 10) {
    ///         tokio::time::sleep(limit.reset.unwrap_or(Duration::from_secs(1))).await;
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn rate_limit(&self) -> Option<RateLimitStatus> {
        *self
            .inner
            .rate_limit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn record_rate_limit(&self, headers: &HeaderMap, received_at: SystemTime) {
        if let Some(status) = RateLimitStatus::from_headers(headers, received_at) {
            *self
                .inner
                .rate_limit
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(status);
        }
    }

    /// Sends a request without any per-attempt preparation.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, Error> {
        self.send_with(request, &()).await
    }

    /// Sends a request, running `prepare` before every attempt (e.g. to set
    /// a fresh `Authorization` header with [`authorization_fn`]).
    ///
    /// Returns the first 2xx response, or an [`Error`] saying what failed,
    /// after how many attempts, and why retrying stopped.
    pub async fn send_with<P>(&self, request: ApiRequest, prepare: &P) -> Result<ApiResponse, Error>
    where
        P: PrepareAttempt + ?Sized,
    {
        let span = tracing::info_span!(
            "genesys.request",
            method = %request.method(),
            path = %request.path_template(),
            sent_correlation_id = request.correlation_id(),
            status = Empty,
            attempts = Empty,
            duration_ms = Empty,
            correlation_id = Empty,
        );
        self.run(request, prepare, span.clone())
            .instrument(span)
            .await
    }

    async fn run<P>(
        &self,
        mut request: ApiRequest,
        prepare: &P,
        span: tracing::Span,
    ) -> Result<ApiResponse, Error>
    where
        P: PrepareAttempt + ?Sized,
    {
        let inner = &*self.inner;
        let started = Instant::now();
        // The request's path moves into the URI when the template is kept
        // apart from it (it always is for the generated API).
        let path = request.take_path_if_templated();
        let method = request.method();
        // The method and template are copied into an error only when one is made.
        let fail = |kind: ErrorKind, attempts: u32, stop: StopReason| {
            let template = request.path_template().to_owned();
            Error::new(kind, attempts, stop, method.clone(), template)
        };
        let policy = request.retry_policy().unwrap_or(&inner.retry);
        let timeout = request.timeout().unwrap_or(inner.request_timeout);

        let uri = inner.base_url.join_owned(path).map_err(|e| {
            fail(
                ErrorKind::InvalidRequest(e.to_string()),
                0,
                StopReason::BeforeSending,
            )
        })?;
        // Checked once here; each attempt then builds its own header map
        // (one map per attempt, no copy of a prepared one).
        let mut headers = Some(
            self.request_headers(&request)
                .map_err(|e| fail(ErrorKind::InvalidRequest(e), 0, StopReason::BeforeSending))?,
        );
        let sent_correlation = request.correlation_id().map(str::to_owned);
        // Request-level fields are recorded once, when the call ends.
        let finish = |attempts: u32, status: Option<StatusCode>, correlation: Option<&str>| {
            span.record("attempts", attempts);
            span.record("duration_ms", millis(started.elapsed()));
            if let Some(status) = status {
                span.record("status", status.as_u16());
            }
            if let Some(c) = correlation.or(sent_correlation.as_deref()) {
                span.record("correlation_id", c);
            }
        };

        // Time spent so far: measured attempt durations plus requested waits
        // (so an injected instant sleeper still consumes the budget).
        let mut spent = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let attempt_headers = match headers.take() {
                Some(first) => first,
                None => self.request_headers(&request).map_err(|e| {
                    fail(
                        ErrorKind::InvalidRequest(e),
                        attempt - 1,
                        StopReason::BeforeSending,
                    )
                })?,
            };
            let mut http_request = build_request(method, &uri, attempt_headers, request.body());
            if let Err(e) = prepare.prepare(&mut http_request, attempt).await {
                finish(attempt - 1, None, None);
                tracing::warn!(attempt, "preparing the request failed");
                return Err(fail(
                    ErrorKind::Prepare(e),
                    attempt - 1,
                    StopReason::BeforeSending,
                ));
            }

            let attempt_span = tracing::info_span!(
                "genesys.attempt",
                attempt,
                status = Empty,
                duration_ms = Empty,
                correlation_id = Empty,
            );
            // The first attempt starts with the request (one clock read less).
            let attempt_started = if attempt == 1 {
                started
            } else {
                Instant::now()
            };
            let result = tokio::time::timeout(timeout, inner.client.send(http_request))
                .instrument(attempt_span.clone())
                .await;
            let took = attempt_started.elapsed();
            spent = spent.saturating_add(took);
            attempt_span.record("duration_ms", millis(took));

            let mut last_correlation: Option<String> = None;
            let failure = match result {
                Ok(Ok(response)) => {
                    let status = response.status();
                    let received_at = response
                        .extensions()
                        .get::<ReceivedAt>()
                        .map_or_else(SystemTime::now, |r| r.0);
                    self.record_rate_limit(response.headers(), received_at);
                    last_correlation = response
                        .headers()
                        .get(&crate::wire::CORRELATION_ID)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    attempt_span.record("status", status.as_u16());
                    if let Some(c) = last_correlation.as_deref().or(sent_correlation.as_deref()) {
                        attempt_span.record("correlation_id", c);
                    }
                    if status.is_success() {
                        finish(attempt, Some(status), last_correlation.as_deref());
                        attempt_span.in_scope(|| {
                            tracing::debug!(
                                status = status.as_u16(),
                                duration_ms = millis(took),
                                "attempt succeeded"
                            );
                        });
                        let (parts, body) = response.into_parts();
                        return Ok(ApiResponse::new(status, parts.headers, body, attempt));
                    }
                    let error = api_error(response, inner.max_error_body_bytes, received_at);
                    attempt_span.in_scope(|| {
                        tracing::debug!(
                            status = status.as_u16(),
                            code = error.code().unwrap_or(""),
                            duration_ms = millis(took),
                            "attempt got an error status"
                        );
                    });
                    Failure::Api(Box::new(error))
                }
                Ok(Err(error)) => {
                    attempt_span.in_scope(|| {
                        tracing::debug!(error = %error, duration_ms = millis(took), "attempt failed");
                    });
                    Failure::Transport(error)
                }
                Err(_elapsed) => {
                    attempt_span.in_scope(|| {
                        tracing::debug!(timeout_ms = millis(timeout), "attempt timed out");
                    });
                    Failure::Transport(TransportError::Timeout { timeout })
                }
            };

            let outcome = match &failure {
                Failure::Api(e) => Outcome::Status {
                    status: e.status(),
                    retry_after: e.retry_after(),
                },
                Failure::Transport(e) => Outcome::Transport(e),
            };
            let outcome_status = match outcome {
                Outcome::Status { status, .. } => Some(status),
                Outcome::Transport(_) => None,
            };
            match policy.decide(method, outcome, attempt, spent, rand::random::<f64>()) {
                Decision::Retry {
                    delay,
                    reason,
                    from_retry_after,
                } => {
                    tracing::warn!(
                        attempt,
                        delay_ms = millis(delay),
                        retry_after = from_retry_after,
                        reason = %reason,
                        "retrying"
                    );
                    inner.sleeper.sleep(delay).await;
                    spent = spent.saturating_add(delay);
                }
                Decision::Stop(stop) => {
                    finish(attempt, outcome_status, last_correlation.as_deref());
                    let kind = match failure {
                        Failure::Api(e) => ErrorKind::Api(e),
                        Failure::Transport(e) => ErrorKind::Transport(e),
                    };
                    let error = fail(kind, attempt, stop);
                    // A plain API error on the first attempt (404, 400, ...) is
                    // often expected by the caller; anything else is worth a warning.
                    if attempt == 1 && outcome_status.is_some() {
                        tracing::debug!(attempts = attempt, stop_reason = %stop, "request failed: {}", error.kind());
                    } else {
                        tracing::warn!(attempts = attempt, stop_reason = %stop, "request failed: {}", error.kind());
                    }
                    return Err(error);
                }
            }
        }
    }

    fn request_headers(&self, request: &ApiRequest) -> Result<HeaderMap, String> {
        let (defaults, own) = (&self.inner.default_headers, request.headers());
        // Sized for everything the attempt adds later (`Authorization`,
        // `Accept-Encoding`, `Content-Length`, a correlation id), so the map
        // is allocated once and never grows.
        let mut headers = HeaderMap::with_capacity(defaults.len() + own.len() + 4);
        for (name, value) in defaults {
            // The request's own value replaces a default of the same name.
            if !own.contains_key(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        for (name, value) in own {
            headers.append(name.clone(), value.clone());
        }
        if let Some(id) = request.correlation_id() {
            let value = HeaderValue::from_str(id)
                .map_err(|_| format!("correlation id `{id}` is not a valid header value"))?;
            headers.insert(crate::wire::CORRELATION_ID, value);
        }
        if let Some(auth) = headers.get_mut(AUTHORIZATION) {
            auth.set_sensitive(true);
        }
        Ok(headers)
    }
}

/// How one attempt failed.
enum Failure {
    Api(Box<ApiError>),
    Transport(TransportError),
}

fn build_request(
    method: &Method,
    uri: &Uri,
    headers: HeaderMap,
    body: &Bytes,
) -> http::Request<Bytes> {
    let mut request = http::Request::new(body.clone());
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri.clone();
    *request.headers_mut() = headers;
    request
}

fn api_error(response: http::Response<Bytes>, limit: usize, received_at: SystemTime) -> ApiError {
    let (parts, body) = response.into_parts();
    let completeness = parts
        .extensions
        .get::<BodyCompleteness>()
        .cloned()
        .unwrap_or_default();
    let over = body.len() > limit;
    let raw = if over { body.slice(..limit) } else { body };
    ApiError::from_response_with(
        parts.status,
        &parts.headers,
        raw,
        over,
        &completeness,
        limit,
        received_at,
    )
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
