//! [`TokenEndpoint`]: `POST {login}/oauth/token`, with bounded 429 handling
//! and secret-free errors.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use genesys_transport::{
    BaseUrl, Environment, HttpClient, SharedHttpClient, SharedSleeper, Sleeper, TransportError,
    parse_retry_after_at,
};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::{HeaderValue, Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::clock::{Clock, SharedClock};
use crate::error::{AuthError, OAuthError, truncate_chars};
use crate::token::{AccessToken, Principal, far_future};

/// The path of the token endpoint.
pub(crate) const TOKEN_PATH: &str = "/oauth/token";

/// The longest server-provided text kept in an error, in characters.
pub(crate) const MAX_EXCERPT_CHARS: usize = 300;

/// Runs of token-like characters at least this long are redacted from
/// excerpts (a UUID, 36 characters, is kept).
const REDACT_RUN: usize = 40;

/// Default per-request timeout at the token endpoint: 30 s.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// The login service of one Genesys Cloud environment: where every grant
/// sends `POST /oauth/token`, and how.
///
/// - The URL is the environment's login base URL (`https://login.<domain>`
///   for a region; the same base URL for a loopback emulator) plus
///   `/oauth/token`.
/// - Requests go through a `genesys_transport` [`HttpClient`] (by default a
///   shared hyper + rustls client, feature `http-client`).
/// - **429** answers are retried after `Retry-After` (whole seconds), or a
///   short backoff when the header is missing, at most `max_attempts`
///   requests in all; a `Retry-After` longer than `max_retry_wait` is not
///   waited for but returned as [`AuthError::RateLimited`]. Failed connects
///   (the request never left) are retried the same way. Nothing else is
///   retried: a code or a rotating refresh token must not be sent twice.
///   Behind a [`CachingTokenSource`](crate::CachingTokenSource) this all
///   happens inside the single flight, so a fleet of callers never hammers
///   the endpoint.
/// - Each request has a timeout (default 30 s), measured with
///   `tokio::time`: token requests must run inside a tokio runtime with
///   the time driver enabled (as every `genesys-transport` request does).
/// - Expiry times are computed with an injectable [`Clock`].
///
/// Cloning is cheap; one endpoint can serve several grants.
///
/// ```
/// use std::time::Duration;
/// use genesys_auth::{BaseUrl, Environment, Region, TokenEndpoint};
///
/// # #[cfg(feature = "http-client")]
/// # fn demo() -> Result<(), genesys_auth::AuthError> {
/// let endpoint = TokenEndpoint::new(Region::EuWest1)?;
/// assert_eq!(endpoint.token_url(), "https://login.mypurecloud.ie/oauth/token");
///
/// let emulator = Environment::single(BaseUrl::parse("http://127.0.0.1:9000").unwrap());
/// let endpoint = TokenEndpoint::builder()
///     .environment(emulator)
///     .timeout(Duration::from_secs(5))
///     .max_attempts(4)
///     .build()?;
/// assert_eq!(endpoint.token_url(), "http://127.0.0.1:9000/oauth/token");
/// # Ok(()) }
/// # #[cfg(feature = "http-client")]
/// # demo().unwrap();
/// ```
#[derive(Clone)]
pub struct TokenEndpoint {
    inner: Arc<Inner>,
}

struct Inner {
    http: SharedHttpClient,
    environment: Environment,
    timeout: Duration,
    max_attempts: u32,
    max_retry_wait: Duration,
    initial_backoff: Duration,
    sleeper: SharedSleeper,
    clock: SharedClock,
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("login", &self.inner.environment.login_base_url())
            .field("timeout", &self.inner.timeout)
            .field("max_attempts", &self.inner.max_attempts)
            .field("max_retry_wait", &self.inner.max_retry_wait)
            .finish_non_exhaustive()
    }
}

impl TokenEndpoint {
    /// The endpoint of `environment` (a [`Region`](crate::Region) or an
    /// [`Environment`]) with the default HTTP client and settings.
    ///
    /// Without the `http-client` feature this fails: use
    /// [`builder`](Self::builder) with your own client.
    pub fn new(environment: impl Into<Environment>) -> Result<Self, AuthError> {
        Self::builder().environment(environment).build()
    }

    /// A builder with the defaults: `us-east-1`, the default client, a 30 s
    /// timeout, 3 attempts, waits of at most 30 s.
    pub fn builder() -> TokenEndpointBuilder {
        TokenEndpointBuilder::default()
    }

    /// The environment (its login base URL is used here; its API base URL by
    /// [`Introspector`](crate::Introspector)).
    pub fn environment(&self) -> &Environment {
        &self.inner.environment
    }

    /// The login base URL, e.g. `https://login.mypurecloud.com`.
    pub fn login_base_url(&self) -> &BaseUrl {
        self.inner.environment.login_base_url()
    }

    /// The token URL, e.g. `https://login.mypurecloud.com/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.login_base_url())
    }

    /// The HTTP client (to share its connection pool).
    pub fn http_client(&self) -> &SharedHttpClient {
        &self.inner.http
    }

    /// The clock expiry times are computed with.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Sends one token request (with the bounded 429 / connect retries) and
    /// decodes the answer.
    pub(crate) async fn request(&self, request: TokenRequest<'_>) -> Result<Granted, AuthError> {
        let inner = &*self.inner;
        let uri = self
            .login_base_url()
            .join(TOKEN_PATH)
            .map_err(|e| AuthError::config(format!("invalid login URL: {e}")))?;
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &request.form {
                form.append_pair(name, value);
            }
            Bytes::from(form.finish())
        };
        let basic = match request.basic {
            Some((id, secret)) => {
                let encoded = STANDARD.encode(format!("{id}:{}", secret.expose_secret()));
                let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
                    .map_err(|_| AuthError::config("the client id cannot be sent in a header"))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let grant = request.grant;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut http_request = http::Request::new(body.clone());
            *http_request.method_mut() = Method::POST;
            *http_request.uri_mut() = uri.clone();
            let headers = http_request.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
            headers.insert(
                USER_AGENT,
                HeaderValue::from_static(concat!(
                    "genesys-cloud-rs/",
                    env!("CARGO_PKG_VERSION"),
                    " genesys-auth"
                )),
            );
            if let Some(value) = &basic {
                headers.insert(AUTHORIZATION, value.clone());
            }

            let sent = tokio::time::timeout(inner.timeout, inner.http.send(http_request)).await;
            let response = match sent {
                Err(_elapsed) => {
                    tracing::warn!(grant, attempt, "the token request timed out");
                    return Err(AuthError::Transport {
                        endpoint: Cow::Borrowed(TOKEN_PATH),
                        message: format!("no complete answer within {:?}", inner.timeout),
                        transient: true,
                        source: None,
                    });
                }
                Ok(Err(error)) => {
                    let never_sent = matches!(
                        error,
                        TransportError::Connect { .. }
                            | TransportError::ConnectTimeout { .. }
                            | TransportError::Proxy {
                                kind: genesys_transport::ProxyFailure::Unreachable,
                                ..
                            }
                    );
                    if never_sent && attempt < inner.max_attempts {
                        let wait = self.backoff(attempt);
                        tracing::warn!(
                            grant,
                            attempt,
                            wait_ms = millis(wait),
                            "connecting to the token endpoint failed; retrying: {error}"
                        );
                        inner.sleeper.sleep(wait).await;
                        continue;
                    }
                    tracing::warn!(grant, attempt, "the token request failed: {error}");
                    return Err(transport_error(TOKEN_PATH, error));
                }
                Ok(Ok(response)) => response,
            };

            let status = response.status();
            tracing::debug!(
                grant,
                attempt,
                status = status.as_u16(),
                "the token endpoint answered"
            );
            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after_at(v, SystemTime::now()));
                let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                if attempt >= inner.max_attempts || wait > inner.max_retry_wait {
                    tracing::warn!(
                        grant,
                        attempts = attempt,
                        retry_after_s = retry_after.map(|d| d.as_secs()),
                        "the token endpoint is rate limiting; giving up"
                    );
                    return Err(AuthError::RateLimited {
                        retry_after,
                        attempts: attempt,
                    });
                }
                tracing::warn!(
                    grant,
                    attempt,
                    wait_ms = millis(wait),
                    from_retry_after = retry_after.is_some(),
                    "the token endpoint is rate limiting; waiting before the next request"
                );
                inner.sleeper.sleep(wait).await;
                continue;
            }
            let body = response.into_body();
            if status.is_success() {
                return decode_token(status, &body, inner.clock.now(), request.principal);
            }
            return Err(decode_error(status, &body, &request.secrets));
        }
    }

    /// `initial_backoff × 2^(attempt-1)`, capped at `max_retry_wait`.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.inner
            .initial_backoff
            .saturating_mul(factor)
            .min(self.inner.max_retry_wait)
    }
}

/// Builds a [`TokenEndpoint`].
#[derive(Debug, Clone)]
#[must_use]
pub struct TokenEndpointBuilder {
    environment: Environment,
    login: Option<BaseUrl>,
    http: Option<SharedHttpClient>,
    timeout: Duration,
    max_attempts: u32,
    max_retry_wait: Duration,
    initial_backoff: Duration,
    sleeper: SharedSleeper,
    clock: SharedClock,
}

impl Default for TokenEndpointBuilder {
    fn default() -> Self {
        Self {
            environment: Environment::default(),
            login: None,
            http: None,
            timeout: DEFAULT_TOKEN_TIMEOUT,
            max_attempts: 3,
            max_retry_wait: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(500),
            sleeper: SharedSleeper::default(),
            clock: SharedClock::default(),
        }
    }
}

impl TokenEndpointBuilder {
    /// The environment: a [`Region`](crate::Region), a custom domain, or a
    /// base URL such as the emulator's (default `us-east-1`).
    pub fn environment(mut self, environment: impl Into<Environment>) -> Self {
        self.environment = environment.into();
        self
    }

    /// Sends token requests to this login base URL instead of the
    /// environment's (e.g. a gateway).
    pub fn login_base_url(mut self, login: BaseUrl) -> Self {
        self.login = Some(login);
        self
    }

    /// The HTTP client (default: a new hyper + rustls client, feature
    /// `http-client`).
    pub fn http_client(mut self, client: impl HttpClient + 'static) -> Self {
        self.http = Some(SharedHttpClient::new(client));
        self
    }

    /// Like [`http_client`](Self::http_client), sharing an existing client
    /// (and its connection pool).
    pub fn shared_http_client(mut self, client: SharedHttpClient) -> Self {
        self.http = Some(client);
        self
    }

    /// The timeout of one request, connect to last byte (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many requests one token fetch may make when the endpoint
    /// answers 429 or cannot be connected to (default 3, at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The longest single wait (default 30 s). A `Retry-After` longer than
    /// this is not waited for: the fetch fails with
    /// [`AuthError::RateLimited`].
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        self.max_retry_wait = wait;
        self
    }

    /// The wait before the first retry when the server gives no
    /// `Retry-After` (default 500 ms; doubles per retry).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// How to wait between attempts (default `tokio::time::sleep`).
    pub fn sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.sleeper = SharedSleeper::new(sleeper);
        self
    }

    /// The clock expiry times are computed with (default: the system
    /// clock). Give the cache the same clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = SharedClock::new(clock);
        self
    }

    /// Like [`clock`](Self::clock), with an already shared clock.
    pub fn shared_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the endpoint. Without a client of its own it builds the
    /// default one (feature `http-client`), which may fail on TLS setup.
    pub fn build(self) -> Result<TokenEndpoint, AuthError> {
        let http = match self.http {
            Some(http) => http,
            None => default_http_client()?,
        };
        let environment = match self.login {
            Some(login) => Environment::custom(self.environment.api_base_url().clone(), login),
            None => self.environment,
        };
        Ok(TokenEndpoint {
            inner: Arc::new(Inner {
                http,
                environment,
                timeout: self.timeout,
                max_attempts: self.max_attempts,
                max_retry_wait: self.max_retry_wait,
                initial_backoff: self.initial_backoff,
                sleeper: self.sleeper,
                clock: self.clock,
            }),
        })
    }
}

/// The default HTTP client: a hyper + rustls client (feature
/// `http-client`).
#[cfg(feature = "http-client")]
pub(crate) fn default_http_client() -> Result<SharedHttpClient, AuthError> {
    genesys_transport::HyperClient::builder()
        .build()
        .map(SharedHttpClient::new)
        .map_err(|e| transport_error(TOKEN_PATH, e))
}

#[cfg(not(feature = "http-client"))]
pub(crate) fn default_http_client() -> Result<SharedHttpClient, AuthError> {
    Err(AuthError::config(
        "no HTTP client: enable the `http-client` feature of genesys-auth or pass one with \
         `http_client`",
    ))
}

/// Maps a transport failure.
pub(crate) fn transport_error(endpoint: &'static str, error: TransportError) -> AuthError {
    let transient = matches!(
        error,
        TransportError::Connect { .. }
            | TransportError::ConnectTimeout { .. }
            | TransportError::Timeout { .. }
            | TransportError::Connection { .. }
            | TransportError::Other { .. }
            | TransportError::Proxy {
                kind: genesys_transport::ProxyFailure::Unreachable,
                ..
            }
    );
    AuthError::Transport {
        endpoint: Cow::Borrowed(endpoint),
        message: error.to_string(),
        transient,
        source: Some(Arc::new(error)),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One token request.
pub(crate) struct TokenRequest<'a> {
    /// The grant's name, for logs.
    pub grant: &'static str,
    /// The form fields.
    pub form: Vec<(&'static str, &'a str)>,
    /// HTTP Basic client authentication: client id and secret.
    pub basic: Option<(&'a str, &'a SecretString)>,
    /// Every secret sent, to scrub from error texts.
    pub secrets: Vec<&'a str>,
    /// Who the token will act for.
    pub principal: Principal,
}

/// A decoded token answer.
#[derive(Debug)]
pub(crate) struct Granted {
    pub access: AccessToken,
    pub refresh_token: Option<SecretString>,
}

fn unexpected(status: StatusCode, reason: impl Into<String>, excerpt: String) -> AuthError {
    AuthError::UnexpectedResponse {
        endpoint: Cow::Borrowed(TOKEN_PATH),
        status: status.as_u16(),
        reason: reason.into(),
        excerpt,
    }
}

/// Decodes a 2xx token answer.
pub(crate) fn decode_token(
    status: StatusCode,
    body: &[u8],
    now: SystemTime,
    principal: Principal,
) -> Result<Granted, AuthError> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            // A success body may hold a token even when it does not parse:
            // quote none of it.
            return Err(unexpected(
                status,
                "the token answer is not JSON",
                format!("<{} bytes>", body.len()),
            ));
        }
    };
    let Value::Object(map) = &value else {
        return Err(unexpected(
            status,
            "the token answer is not a JSON object",
            shape_excerpt(&value),
        ));
    };
    let access = match map.get("access_token") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            return Err(unexpected(
                status,
                "the token answer has no access_token",
                shape_excerpt(&value),
            ));
        }
    };
    let Some(lifetime) = map.get("expires_in").and_then(lifetime) else {
        return Err(unexpected(
            status,
            "the token answer has no valid expires_in",
            shape_excerpt(&value),
        ));
    };
    let token_type = match map.get("token_type") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        _ => "bearer".to_owned(),
    };
    let refresh_token = match map.get("refresh_token") {
        Some(Value::String(s)) if !s.is_empty() => Some(SecretString::from(s.clone())),
        _ => None,
    };
    let mut token = AccessToken::from_secret(SecretString::from(access))
        .with_token_type(token_type)
        .with_expires_at(now.checked_add(lifetime).unwrap_or_else(far_future))
        .with_principal(principal);
    if let Some(Value::String(scope)) = map.get("scope") {
        token = token.with_scopes(scope.split_whitespace());
    }
    Ok(Granted {
        access: token,
        refresh_token,
    })
}

/// `expires_in`: a non-negative number of seconds, as a JSON number or a
/// string of digits.
fn lifetime(value: &Value) -> Option<Duration> {
    match value {
        Value::Number(n) => {
            if let Some(secs) = n.as_u64() {
                Some(Duration::from_secs(secs))
            } else {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .and_then(|f| Duration::try_from_secs_f64(f).ok())
            }
        }
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok().map(Duration::from_secs))
                .flatten()
        }
        _ => None,
    }
}

/// Decodes a non-2xx answer: an OAuth error, or an unexpected response.
pub(crate) fn decode_error(status: StatusCode, body: &[u8], secrets: &[&str]) -> AuthError {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(Value::Object(map)) = &value
        && let Some(Value::String(code)) = map.get("error")
        && !code.is_empty()
    {
        let description = ["error_description", "description"]
            .iter()
            .find_map(|key| match map.get(*key) {
                Some(Value::String(d)) if !d.trim().is_empty() => Some(d.as_str()),
                _ => None,
            })
            .map(|d| scrub(d, secrets));
        return AuthError::OAuth(OAuthError::new(
            status.as_u16(),
            &scrub(code, secrets),
            description,
        ));
    }
    let excerpt = match &value {
        Some(v) => scrub(&redacted_json(v).to_string(), secrets),
        None => text_excerpt(body, secrets),
    };
    unexpected(status, "not an OAuth answer", excerpt)
}

/// A bounded, scrubbed excerpt of a body that is not JSON.
pub(crate) fn text_excerpt(body: &[u8], secrets: &[&str]) -> String {
    if body.is_empty() {
        return String::new();
    }
    // Enough for the excerpt plus what redaction may remove.
    let head = &body[..body.len().min(MAX_EXCERPT_CHARS * 8)];
    scrub(&String::from_utf8_lossy(head), secrets)
}

/// The shape of a success answer without its values: `{"access_token":
/// <string>, "expires_in": <missing>}`. Success answers carry tokens, so
/// none of their values is quoted.
fn shape_excerpt(value: &Value) -> String {
    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .take(20)
                .map(|(k, v)| format!("{:?}: <{}>", truncate_chars(k, 40), kind(v)))
                .collect();
            truncate_chars(&format!("{{{}}}", fields.join(", ")), MAX_EXCERPT_CHARS)
        }
        other => format!("<{}>", kind(other)),
    }
}

/// A JSON value with the values of secret-looking keys replaced.
fn redacted_json(value: &Value) -> Value {
    const SENSITIVE: [&str; 6] = [
        "token",
        "secret",
        "assertion",
        "verifier",
        "password",
        "authorization",
    ];
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    if SENSITIVE.iter().any(|s| lower.contains(s)) {
                        (k.clone(), Value::String("[REDACTED]".into()))
                    } else {
                        (k.clone(), redacted_json(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted_json).collect()),
        other => other.clone(),
    }
}

/// Removes the secrets that were sent and any long token-like run from
/// server text, and bounds it.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        if secret.len() >= 4 && out.contains(secret) {
            out = out.replace(secret, "[REDACTED]");
        }
    }
    let out = redact_long_runs(&out);
    let out: String = out
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate_chars(out.trim(), MAX_EXCERPT_CHARS)
}

fn redact_long_runs(text: &str) -> String {
    let tokenish = |c: char| c.is_ascii_alphanumeric() || "-_.~+/=%".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= REDACT_RUN {
            out.push_str("[REDACTED]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if tokenish(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::from_secs(1_700_000_000);

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + NOW
    }

    fn ok(body: &str) -> Result<Granted, AuthError> {
        decode_token(StatusCode::OK, body.as_bytes(), now(), Principal::Unknown)
    }

    #[test]
    fn decodes_a_token_answer() {
        let g = ok(r#"{"access_token":"abc","token_type":"bearer","expires_in":86399,"refresh_token":"r1","scope":"a b"}"#)
            .unwrap();
        assert_eq!(g.access.expose_secret(), "abc");
        assert_eq!(
            g.access.expires_at(),
            Some(now() + Duration::from_secs(86_399))
        );
        assert_eq!(g.refresh_token.unwrap().expose_secret(), "r1");
        assert_eq!(g.access.scopes().unwrap(), ["a", "b"]);
        let g = ok(r#"{"access_token":"abc","expires_in":"60"}"#).unwrap();
        assert_eq!(g.access.expires_in(now()), Some(Duration::from_secs(60)));
        assert_eq!(g.access.token_type(), "bearer");
        let g = ok(r#"{"access_token":"abc","expires_in":1.5}"#).unwrap();
        assert_eq!(
            g.access.expires_in(now()),
            Some(Duration::from_millis(1500))
        );
        let g = ok(r#"{"access_token":"abc","expires_in":18446744073709551615}"#).unwrap();
        assert!(g.access.expires_at().is_some());
    }

    #[test]
    fn malformed_answers_are_typed_errors_without_secrets() {
        for body in [
            "",
            "not json at all SENTINEL-ACCESS-TOKEN-0123456789012345678901234567890",
            "[]",
            "{}",
            r#"{"access_token":"SENTINEL-ACCESS-TOKEN"}"#,
            r#"{"access_token":"SENTINEL-ACCESS-TOKEN","expires_in":-5}"#,
            r#"{"access_token":"SENTINEL-ACCESS-TOKEN","expires_in":"soon"}"#,
            r#"{"access_token":"SENTINEL-ACCESS-TOKEN","expires_in":null}"#,
            r#"{"access_token":"SENTINEL-ACCESS-TOKEN","expires_in":1e400}"#,
            r#"{"access_token":"","expires_in":5}"#,
            r#"{"access_token":42,"expires_in":5}"#,
            "\u{0}\u{1}\u{ff}",
        ] {
            let err = ok(body).err().unwrap_or_else(|| panic!("{body} decoded"));
            let text = format!("{err} {err:?}");
            assert!(!text.contains("SENTINEL"), "{text}");
            assert!(matches!(
                err,
                AuthError::UnexpectedResponse { status: 200, .. }
            ));
        }
        let err = ok(r#"{"access_token":"SENTINEL","token_type":"bearer"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected response from /oauth/token (HTTP 200): the token answer has no valid \
             expires_in; body: {\"access_token\": <string>, \"token_type\": <string>}"
        );
    }

    #[test]
    fn decodes_oauth_errors() {
        let err = decode_error(
            StatusCode::BAD_REQUEST,
            br#"{"error":"invalid_grant","description":"Invalid refresh token SENTINEL-REFRESH.","error_description":"Invalid refresh token SENTINEL-REFRESH."}"#,
            &["SENTINEL-REFRESH"],
        );
        let oauth = err.oauth_error().unwrap();
        assert_eq!(oauth.code, crate::OAuthErrorCode::InvalidGrant);
        assert_eq!(oauth.status, 400);
        assert_eq!(
            oauth.description.as_deref(),
            Some("Invalid refresh token [REDACTED].")
        );
        let err = decode_error(
            StatusCode::UNAUTHORIZED,
            br#"{"error":"invalid_client"}"#,
            &[],
        );
        assert_eq!(err.to_string(), "OAuth error `invalid_client` (HTTP 401)");
    }

    #[test]
    fn other_errors_are_bounded_and_scrubbed() {
        let html = format!("<html>{}</html>", "x".repeat(10_000));
        let err = decode_error(StatusCode::BAD_GATEWAY, html.as_bytes(), &[]);
        match &err {
            AuthError::UnexpectedResponse {
                status, excerpt, ..
            } => {
                assert_eq!(*status, 502);
                assert!(excerpt.chars().count() <= MAX_EXCERPT_CHARS + 1);
            }
            other => panic!("{other:?}"),
        }
        let err = decode_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"message":"boom","refresh_token":"SENTINEL","contextId":"0b7e3b8a-5d6c-4f25-9b5e-8a1c2d3e4f50"}"#,
            &[],
        );
        let text = err.to_string();
        assert!(!text.contains("SENTINEL"), "{text}");
        assert!(
            text.contains("0b7e3b8a-5d6c-4f25-9b5e-8a1c2d3e4f50"),
            "{text}"
        );
        assert!(err.is_transient());
    }

    #[test]
    fn scrub_removes_secrets_and_long_runs() {
        let s = scrub(
            "bad assertion PHNhbWw+c2VjcmV0PC9zYW1sPg== for my-secret-value\nand eyJhbGciOiJIUzI1NiJ9eyJhbGciOiJIUzI1NiJ9abc",
            &["my-secret-value"],
        );
        assert!(!s.contains("my-secret-value"), "{s}");
        assert!(!s.contains("eyJhbGci"), "{s}");
        assert!(!s.contains('\n'));
    }
}
