//! The client: a transport, a token source and the preflight switch, shared
//! cheaply across tasks.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_auth::{AccessToken, AuthConfig, SharedTokenSource, TokenSource, TokenSourceExt as _};
use genesys_model::catalogue::{self, Operation};
use genesys_transport::{
    ApiRequest, BaseUrl, BoxError, BoxFuture, ConnectionSettings, Environment, HyperClient,
    PrepareAttempt, RateLimitStatus, Region, RetryPolicy, SharedHttpClient, Transport,
    TransportError,
};
use http::{HeaderName, HeaderValue, Method};
use serde::de::DeserializeOwned;

use crate::error::{ApiFailure, Error, hint_for};
use crate::operation::OperationRequest;

/// The Genesys Cloud API client.
///
/// Cheap to clone (an `Arc` inside) and meant to be shared: clones share the
/// connection pool and the token cache.
///
/// ```no_run
/// use genesys_cloud::{Client, Region};
/// use genesys_cloud::auth::{ClientCredentials, TokenEndpoint};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let login = TokenEndpoint::new(Region::EuWest1)?;
/// let client = Client::builder()
///     .region(Region::EuWest1)
///     .token_source(ClientCredentials::new(login, "client-id", "client-secret"))
///     .build()?;
/// let me = client.tokens().get_tokens_me().await?;
/// println!("{:?}", me.organization);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    /// The settings of every connection (REST, login, notifications).
    tls: ConnectionSettings,
    tokens: SharedTokenSource,
    /// The `Authorization` value of the last token sent.
    bearer: BearerCache,
    preflight: bool,
    /// Follows calls by events; created on first use.
    #[cfg(all(feature = "conversations", feature = "notifications-client"))]
    call_follower: std::sync::OnceLock<Arc<crate::calls::events::CallFollower>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.transport.base_url().as_str())
            .field("tokens", &self.inner.tokens)
            .field("preflight", &self.inner.preflight)
            .finish()
    }
}

/// Why a [`Client`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No token source was given.
    #[error("no token source: call ClientBuilder::token_source (or use Client::from_env)")]
    MissingTokenSource,
    /// The transport could not be built (e.g. plain HTTP to a non-loopback host).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The environment does not describe usable credentials.
    #[error(transparent)]
    Auth(#[from] genesys_auth::AuthError),
}

/// Builds a [`Client`]; see [`Client::builder`].
#[must_use]
pub struct ClientBuilder {
    transport: genesys_transport::TransportBuilder,
    tokens: Option<SharedTokenSource>,
    preflight: bool,
    tls: ConnectionSettings,
    http: Option<SharedHttpClient>,
    connect_timeout: Duration,
    credentials: Option<AuthConfig>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("tokens", &self.tokens)
            .field("preflight", &self.preflight)
            .field("tls", &self.tls)
            .field("custom_http_client", &self.http.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Talk to this region (default: `us-east-1`, `api.mypurecloud.com`).
    pub fn region(mut self, region: Region) -> Self {
        self.transport = self.transport.region(region);
        self
    }

    /// Talk to this base URL, e.g. the local emulator's
    /// `http://127.0.0.1:PORT` (plain HTTP is allowed for loopback only).
    pub fn base_url(mut self, base_url: BaseUrl) -> Self {
        self.transport = self.transport.base_url(base_url);
        self
    }

    /// Talk to this environment (a region, a domain or custom URLs).
    pub fn environment(mut self, environment: &Environment) -> Self {
        self.transport = self.transport.environment(environment);
        self
    }

    /// Where access tokens come from: any [`TokenSource`], e.g. a grant from
    /// `genesys_auth`, a closure, or your own type. The client caches its
    /// tokens (refreshing ahead of expiry, one token request however many
    /// tasks wait), so the source is asked only when a token is needed.
    pub fn token_source(mut self, source: impl TokenSource + 'static) -> Self {
        self.tokens = Some(SharedTokenSource::new(source.cached()));
        self
    }

    /// Like [`ClientBuilder::token_source`], for a source shared with other
    /// clients; it is used as given (cache it yourself if it needs caching).
    pub fn shared_token_source(mut self, source: SharedTokenSource) -> Self {
        self.tokens = Some(source);
        self
    }

    /// How requests are retried (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.transport = self.transport.retry_policy(policy);
        self
    }

    /// The timeout of each attempt (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.request_timeout(timeout);
        self
    }

    /// The connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.connect_timeout(timeout);
        self.connect_timeout = timeout;
        self
    }

    /// The credentials and environment of `config` (see
    /// [`AuthConfig`]): API calls go to its environment, and its token
    /// source logs in through this client's HTTP client, so the login host
    /// gets the same [settings](Self::connection_settings) and connection
    /// pool. A [`token_source`](Self::token_source) given as well wins.
    /// The proxy of a `gc` profile ([`AuthConfig::proxy`]) applies unless
    /// a proxy (or none) is chosen with [`proxy`](Self::proxy) or
    /// [`connection_settings`](Self::connection_settings).
    pub fn credentials(mut self, config: &AuthConfig) -> Self {
        self.transport = self.transport.environment(&config.environment());
        self.credentials = Some(config.clone());
        self
    }

    /// The settings (TLS roots, client certificate, proxy) of every connection
    /// this client opens: API calls, the login of
    /// [`credentials`](Self::credentials), and the notification WebSocket
    /// ([`Client::connection_settings`]). Replaces what the
    /// `add_root_certificate_*`, `client_identity_pem` and
    /// [`proxy`](Self::proxy) methods set.
    ///
    /// ```no_run
    /// use genesys_cloud::{Client, ConnectionSettings};
    /// use genesys_cloud::auth::AuthConfig;
    ///
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let tls = ConnectionSettings::new()
    ///     .add_root_certificate_pem_file("/etc/ssl/company-ca.pem")
    ///     .client_identity(genesys_cloud::ClientIdentity::from_pem_files("client.pem", "client.key"));
    /// let client = Client::builder()
    ///     .credentials(&AuthConfig::from_env_and_profile(None)?)
    ///     .connection_settings(tls)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn connection_settings(mut self, settings: ConnectionSettings) -> Self {
        self.tls = settings;
        self
    }

    /// Trusts the certificates of a PEM input too (one or a bundle), e.g.
    /// your company's CA; checked by [`build`](Self::build).
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls = self.tls.add_root_certificate_pem(pem);
        self
    }

    /// Trusts one DER-encoded certificate too; checked by
    /// [`build`](Self::build).
    pub fn add_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.tls = self.tls.add_root_certificate_der(der);
        self
    }

    /// Presents this client certificate chain and private key (both PEM)
    /// to servers that require mutual TLS. The key is never printed.
    pub fn client_identity_pem(
        mut self,
        cert_chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls = self.tls.client_identity_pem(cert_chain_pem, key_pem);
        self
    }

    /// Connects through this HTTP proxy: API calls, the login of
    /// [`credentials`](Self::credentials) and the notification WebSocket
    /// (`CONNECT` tunnels; see [`Proxy`](genesys_transport::Proxy)). Wins
    /// over a `gc` profile's proxy and the `HTTPS_PROXY` family of
    /// environment variables, which apply otherwise.
    ///
    /// ```no_run
    /// use genesys_cloud::{Client, Proxy};
    /// use genesys_cloud::auth::AuthConfig;
    ///
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::builder()
    ///     .credentials(&AuthConfig::from_env_and_profile(None)?)
    ///     .proxy(Proxy::new("http://proxy.corp.example:3128")?.basic_auth("svc", "s3cret".to_owned()))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn proxy(mut self, proxy: genesys_transport::Proxy) -> Self {
        self.tls = self.tls.proxy(proxy);
        self
    }

    /// A header sent with every request (e.g. `Genesys-App`).
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.transport = self.transport.default_header(name, value);
        self
    }

    /// Send through this HTTP client instead of the built-in hyper one
    /// (the [TLS settings](Self::connection_settings) then apply to the
    /// notification WebSocket only).
    pub fn http_client(mut self, client: SharedHttpClient) -> Self {
        self.http = Some(client);
        self
    }

    /// Check each request against the operation catalogue before sending it
    /// (default: on). Turn off only if you know better than the spec.
    pub fn preflight(mut self, enabled: bool) -> Self {
        self.preflight = enabled;
        self
    }

    /// Builds the client. Fails when there is no token source, or the TLS
    /// settings cannot be used ([`TransportError::TlsConfig`] names the bad
    /// input).
    pub fn build(mut self) -> Result<Client, BuildError> {
        // A gc profile's proxy, unless a proxy (or none) was chosen here.
        if self.tls.uses_environment_proxy()
            && let Some(profile) = self.credentials.as_ref().and_then(AuthConfig::proxy)
        {
            self.tls = self.tls.proxy(profile.to_proxy()?);
        }
        let http = match self.http {
            Some(http) => http,
            None => SharedHttpClient::new(
                HyperClient::builder()
                    .connect_timeout(self.connect_timeout)
                    .connection_settings(self.tls.clone())
                    .build()?,
            ),
        };
        let tokens = match (self.tokens, &self.credentials) {
            (Some(tokens), _) => tokens,
            (None, Some(config)) => {
                let login = genesys_auth::TokenEndpoint::builder()
                    .environment(config.environment())
                    .shared_http_client(http.clone())
                    .build()?;
                SharedTokenSource::new(config.token_source_with(login)?.cached())
            }
            (None, None) => return Err(BuildError::MissingTokenSource),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                transport: self.transport.shared_http_client(http).build()?,
                tls: self.tls,
                tokens,
                bearer: BearerCache::default(),
                preflight: self.preflight,
                #[cfg(all(feature = "conversations", feature = "notifications-client"))]
                call_follower: std::sync::OnceLock::new(),
            }),
        })
    }
}

impl Client {
    /// The shared call follower (see [`crate::calls`]).
    #[cfg(all(feature = "conversations", feature = "notifications-client"))]
    pub(crate) fn call_follower(&self) -> Arc<crate::calls::events::CallFollower> {
        Arc::clone(self.inner.call_follower.get_or_init(Default::default))
    }

    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            transport: Transport::builder(),
            tokens: None,
            preflight: true,
            tls: ConnectionSettings::default(),
            http: None,
            connect_timeout: genesys_transport::DEFAULT_CONNECT_TIMEOUT,
            credentials: None,
        }
    }

    /// A client configured the way Genesys tools are: the
    /// `GENESYSCLOUD_REGION`, `GENESYSCLOUD_OAUTHCLIENT_ID`,
    /// `GENESYSCLOUD_OAUTHCLIENT_SECRET` and `GENESYSCLOUD_ACCESS_TOKEN`
    /// variables, else the `DEFAULT` profile of the `gc` CLI's
    /// `~/.gc/config.toml`.
    pub fn from_env() -> Result<Client, BuildError> {
        Self::from_config(&AuthConfig::from_env_and_profile(None)?)
    }

    /// A client for the environment and credentials of `config` (see
    /// [`ClientBuilder::credentials`]; login and API share one HTTP client).
    pub fn from_config(config: &AuthConfig) -> Result<Client, BuildError> {
        Client::builder().credentials(config).build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &BaseUrl {
        self.inner.transport.base_url()
    }

    /// The HTTP client API calls (and, with
    /// [`ClientBuilder::credentials`], logins) go through; hand it to a
    /// [`TokenEndpoint`](genesys_auth::TokenEndpoint) of your own to share
    /// the connection pool and TLS settings.
    pub fn http_client(&self) -> &SharedHttpClient {
        self.inner.transport.http_client()
    }

    /// The settings (TLS roots, client certificate) of this client's
    /// connections; the notification client builds its WebSocket TLS
    /// configuration from them.
    pub fn connection_settings(&self) -> &ConnectionSettings {
        &self.inner.tls
    }

    /// The token source.
    pub fn token_source(&self) -> &SharedTokenSource {
        &self.inner.tokens
    }

    /// The current access token (from the cache when still fresh).
    pub async fn access_token(&self) -> Result<AccessToken, Error> {
        Ok(self.inner.tokens.token().await?)
    }

    /// Whether preflight checks are on.
    pub fn preflight_enabled(&self) -> bool {
        self.inner.preflight
    }

    /// The `inin-ratelimit-allowed`, `-count` and `-reset` headers of the
    /// last API response that carried any (success or error), shared by all
    /// clones of this client; `None` before the first. A service can pace
    /// itself with it instead of running into 429s. See
    /// [`Transport::rate_limit`] and [`RateLimitStatus`] for what the
    /// headers mean.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::Error> {
    /// client.tokens().get_tokens_me().await?;
    /// if let Some(limit) = client.rate_limit() {
    ///     if limit.remaining().is_some_and(|left| left < 10) {
    ///         tokio::time::sleep(limit.reset.unwrap_or(Duration::from_secs(1))).await;
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn rate_limit(&self) -> Option<RateLimitStatus> {
        self.inner.transport.rate_limit()
    }

    /// Checks whether the current token can call `operation_id`, without
    /// sending anything: `Ok(())`, or the error the call would be refused
    /// with (e.g. [`Error::UserContextRequired`] naming what to use instead).
    pub async fn check(&self, operation_id: &str) -> Result<&'static Operation, Error> {
        let op = lookup(operation_id)?;
        let token = self.access_token().await?;
        crate::preflight::check(op, &token)?;
        Ok(op)
    }

    /// Sends a generated operation's request: preflight, one attempt loop in
    /// the transport (with a fresh token per attempt), and on `401
    /// bad.credentials` one forced token refresh and one more try.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        request: OperationRequest,
    ) -> Result<T, Error> {
        let op = match request.operation {
            Some(op) => op,
            None => lookup(request.operation_id)?,
        };
        if let Some(reason) = &request.problem {
            return Err(Error::InvalidRequest {
                operation: op.id,
                reason: reason.clone(),
            });
        }
        // The token preflight checked is used for the first attempt; later
        // attempts ask the (cached) source again. The slot remembers which
        // token was sent, so a 401 invalidates exactly that one.
        let auth = Authorize {
            tokens: &self.inner.tokens,
            bearer: &self.inner.bearer,
            slot: Mutex::default(),
        };
        if self.inner.preflight {
            let token = auth.token().await?;
            crate::preflight::check(op, &token)?;
            auth.slot().ready = Some(token);
        }
        let mut refreshed = false;
        loop {
            let api_request = build_request(op, &request)?;
            match self.inner.transport.send_with(api_request, &auth).await {
                Ok(response) => return decode(op, response),
                Err(e) => {
                    let unauthorized = e.api_error().is_some_and(|a| a.status().as_u16() == 401);
                    let rejected = auth.slot().sent.take();
                    if unauthorized && !refreshed {
                        // A 401 means the server did nothing: safe to resend,
                        // once, with a token other than the one it rejected.
                        if let Some(token) = rejected {
                            tracing::info!(
                                operation = op.id,
                                "token rejected (401); refreshing once"
                            );
                            self.inner.tokens.invalidate(&token);
                            refreshed = true;
                            continue;
                        }
                    }
                    return Err(map_error(op, e));
                }
            }
        }
    }
}

/// Sets `Authorization` before each attempt of one request: the token
/// preflight fetched for the first attempt, the token source's token for the
/// others, and remembers which token it sent (a 401 invalidates that one).
/// It lives on the request's stack: nothing is shared or boxed per request
/// but the attempt's future the transport asks for.
struct Authorize<'c> {
    tokens: &'c SharedTokenSource,
    bearer: &'c BearerCache,
    slot: Mutex<TokenSlot>,
}

impl Authorize<'_> {
    /// A cached token that is not due for refresh is taken without awaiting
    /// the source (no boxed future); otherwise the source is asked.
    async fn token(&self) -> Result<AccessToken, genesys_auth::AuthError> {
        match self.tokens.ready_token() {
            Some(token) => Ok(token),
            None => self.tokens.token().await,
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, TokenSlot> {
        self.slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl PrepareAttempt for Authorize<'_> {
    fn prepare<'a>(
        &'a self,
        request: &'a mut http::Request<bytes::Bytes>,
        _attempt: u32,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            let ready = self.slot().ready.take();
            let token = match ready {
                Some(token) => token,
                None => self.token().await?,
            };
            let mut value = self.bearer.header(&token)?;
            value.set_sensitive(true);
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, value);
            self.slot().sent = Some(token);
            Ok(())
        })
    }
}

/// The `Authorization` header value of the last token sent: tokens live for
/// hours, so most requests reuse it instead of formatting and validating
/// `Bearer …` again.
#[derive(Default)]
struct BearerCache(Mutex<Option<(AccessToken, HeaderValue)>>);

impl BearerCache {
    fn header(&self, token: &AccessToken) -> Result<HeaderValue, &'static str> {
        let mut cached = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((last, value)) = cached.as_ref()
            && last.expose_secret() == token.expose_secret()
        {
            return Ok(value.clone());
        }
        let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
            .map_err(|_| "the access token is not a valid header value")?;
        value.set_sensitive(true);
        *cached = Some((token.clone(), value.clone()));
        Ok(value)
    }
}

/// The token for the next attempt (already fetched by preflight) and the
/// one last sent.
#[derive(Default)]
struct TokenSlot {
    ready: Option<AccessToken>,
    sent: Option<AccessToken>,
}

fn lookup(operation_id: &str) -> Result<&'static Operation, Error> {
    catalogue::operation(operation_id).ok_or_else(|| Error::InvalidRequest {
        operation: "unknown",
        reason: format!("`{operation_id}` is not an operation of this API version"),
    })
}

fn build_request(op: &'static Operation, request: &OperationRequest) -> Result<ApiRequest, Error> {
    let method = Method::from_bytes(op.method.as_str().as_bytes()).unwrap_or(Method::GET);
    let mut api = ApiRequest::new(method, request.path_and_query()).with_path_template(op.path);
    for (name, value) in &request.headers {
        let invalid = |what: &str| Error::InvalidRequest {
            operation: op.id,
            reason: format!("header `{name}` has an invalid {what}"),
        };
        let name = HeaderName::try_from(name.as_str()).map_err(|_| invalid("name"))?;
        let value = HeaderValue::try_from(value.as_str()).map_err(|_| invalid("value"))?;
        api = api.with_header(name, value);
    }
    if let Some(body) = &request.body {
        api = api.with_json(body.clone());
    }
    if let Some(timeout) = request.timeout {
        api = api.with_timeout(timeout);
    }
    if let Some(id) = &request.correlation_id {
        api = api.with_correlation_id(id.clone());
    }
    Ok(api)
}

fn decode<T: DeserializeOwned>(
    op: &'static Operation,
    response: genesys_transport::ApiResponse,
) -> Result<T, Error> {
    let body = response.body();
    // No body (204, or an empty 200) decodes as JSON null: `()` or `None`.
    let bytes: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    };
    serde_json::from_slice(bytes).map_err(|source| Error::Decode {
        operation: op.id,
        status: response.status().as_u16(),
        correlation_id: response.correlation_id().map(str::to_owned),
        source,
    })
}

fn map_error(op: &'static Operation, error: genesys_transport::Error) -> Error {
    use genesys_transport::ErrorKind;
    match error.kind() {
        ErrorKind::Api(api) => Error::Api(Box::new(ApiFailure {
            operation: op.id,
            hint: hint_for(Some(op), api, error.stop_reason()),
            error: api.as_ref().clone(),
            attempts: error.attempts(),
            stop_reason: error.stop_reason(),
            required_permissions: op.permissions,
        })),
        // The token source failed while preparing an attempt.
        ErrorKind::Prepare(source) => match source.downcast_ref::<genesys_auth::AuthError>() {
            Some(auth) => Error::Auth(auth.clone()),
            None => Error::InvalidRequest {
                operation: op.id,
                reason: source.to_string(),
            },
        },
        _ => Error::Transport {
            operation: op.id,
            source: Box::new(error),
        },
    }
}
