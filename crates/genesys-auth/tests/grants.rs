//! Every grant end to end against the local emulator, the cache under
//! concurrency, rate limiting and failure, and secret hygiene.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use genesys_auth::{
    AccessToken, AuthConfig, AuthError, AuthorizationCode, BaseUrl, CachingTokenSource,
    ClientCredentials, Environment, ExposeSecret, Introspector, ManualClock, OAuthErrorCode, Pkce,
    PkceVerifier, Principal, RefreshToken, Saml2Bearer, SecretString, TokenEndpoint, TokenSource,
    TokenSourceExt,
};
use genesys_emulator::{ClientSeed, Emulator, EmulatorConfig, Fault, Grant, RouteMatch, seed};
use genesys_transport::{ApiRequest, BoxFuture, HttpClient, Sleeper, Transport};
use http::header::{AUTHORIZATION, LOCATION};
use http::{HeaderValue, Method, StatusCode};
use tracing_subscriber::fmt::MakeWriter;

const DAY: Duration = Duration::from_secs(86_399);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A sleeper that records the waits and returns at once.
#[derive(Debug, Clone, Default)]
struct RecordingSleeper(Arc<Mutex<Vec<Duration>>>);

impl RecordingSleeper {
    fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

struct Harness {
    emu: Emulator,
    clock: ManualClock,
    sleeper: RecordingSleeper,
    endpoint: TokenEndpoint,
}

async fn harness_with(config: EmulatorConfig) -> Harness {
    let emu = Emulator::start(config.with_manual_clock())
        .await
        .expect("emulator starts");
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let sleeper = RecordingSleeper::default();
    let endpoint = TokenEndpoint::builder()
        .environment(environment(&emu))
        .timeout(Duration::from_secs(10))
        .sleeper(sleeper.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    Harness {
        emu,
        clock,
        sleeper,
        endpoint,
    }
}

async fn harness() -> Harness {
    harness_with(EmulatorConfig::default()).await
}

fn environment(emu: &Emulator) -> Environment {
    Environment::single(BaseUrl::parse(&emu.base_url()).unwrap())
}

impl Harness {
    fn client_credentials(&self) -> ClientCredentials {
        ClientCredentials::new(
            self.endpoint.clone(),
            seed::DEFAULT_CLIENT_ID,
            seed::DEFAULT_CLIENT_SECRET,
        )
    }

    fn cache<S: TokenSource + 'static>(&self, source: S) -> CachingTokenSource<S> {
        CachingTokenSource::builder(source)
            .clock(self.clock.clone())
            .build()
    }

    /// Moves both clocks.
    fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.emu.clock().advance(by);
    }

    fn token_requests(&self, grant: Grant) -> u64 {
        self.emu.counters().token_requests(grant)
    }

    fn token_posts(&self) -> u64 {
        self.emu.counters().requests(&Method::POST, "/oauth/token")
    }

    fn introspector(&self) -> Introspector {
        Introspector::for_endpoint(&self.endpoint).unwrap()
    }

    /// `GET /api/v2/users/me` with `token`; returns the status.
    async fn users_me(&self, token: &AccessToken) -> StatusCode {
        let transport = Transport::builder()
            .base_url(BaseUrl::parse(&self.emu.base_url()).unwrap())
            .shared_http_client(self.endpoint.http_client().clone())
            .build()
            .unwrap();
        let mut auth = HeaderValue::from_str(token.bearer().expose_secret()).unwrap();
        auth.set_sensitive(true);
        let request =
            ApiRequest::new(Method::GET, "/api/v2/users/me").with_header(AUTHORIZATION, auth);
        match transport.send(request).await {
            Ok(response) => response.status(),
            Err(e) => e.status().expect("an HTTP answer"),
        }
    }

    /// Opens the authorize URL like a browser and returns the redirect.
    async fn follow_authorize(&self, url: &str) -> String {
        let mut request = http::Request::new(Bytes::new());
        *request.uri_mut() = url.parse().unwrap();
        let response = self.endpoint.http_client().send(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{url}");
        response
            .headers()
            .get(LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }
}

fn oauth_code(err: &AuthError) -> OAuthErrorCode {
    err.oauth_error()
        .unwrap_or_else(|| panic!("not an OAuth error: {err:?}"))
        .code
        .clone()
}

// ---------------------------------------------------------------------------
// Client credentials
// ---------------------------------------------------------------------------

#[tokio::test]
async fn client_credentials_end_to_end() {
    let h = harness().await;
    let source = h.client_credentials();
    let token = source.token().await.unwrap();
    assert_eq!(
        token.principal(),
        &Principal::client(seed::DEFAULT_CLIENT_ID)
    );
    assert_eq!(
        token.expires_at(),
        Some(genesys_auth::Clock::now(&h.clock) + DAY)
    );
    assert_eq!(token.token_type(), "bearer");
    assert_eq!(h.token_requests(Grant::ClientCredentials), 1);
    assert_eq!(h.emu.counters().tokens_issued(Grant::ClientCredentials), 1);

    // The token works, and has no user context.
    assert_eq!(h.users_me(&token).await, StatusCode::BAD_REQUEST);
    let info = h.introspector().introspect(&token).await.unwrap();
    assert_eq!(info.principal, Principal::client(seed::DEFAULT_CLIENT_ID));
    assert_eq!(info.grant_type.as_deref(), Some("CLIENT-CREDENTIALS"));
    assert_eq!(info.organization_id.as_deref(), Some(seed::DEFAULT_ORG_ID));
    assert_eq!(info.scopes.as_deref(), Some(&["all".to_owned()][..]));
}

#[tokio::test]
async fn client_credentials_oauth_errors() {
    let h = harness().await;
    let wrong = ClientCredentials::new(
        h.endpoint.clone(),
        seed::DEFAULT_CLIENT_ID,
        "not-the-secret",
    );
    let err = wrong.token().await.unwrap_err();
    assert_eq!(oauth_code(&err), OAuthErrorCode::InvalidClient);
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_transient());
    assert!(err.to_string().contains("invalid_client"), "{err}");

    // The user-login client may not use client credentials.
    let not_allowed = ClientCredentials::new(
        h.endpoint.clone(),
        seed::USER_CLIENT_ID,
        seed::USER_CLIENT_SECRET,
    );
    let err = not_allowed.token().await.unwrap_err();
    assert_eq!(oauth_code(&err), OAuthErrorCode::UnauthorizedClient);
    assert_eq!(
        err.oauth_error().unwrap().description.as_deref(),
        Some("The client is not authorized to use the client_credentials grant.")
    );

    // A server that does not know the grant.
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::Body {
            status: 400,
            content_type: "application/json".into(),
            body: Bytes::from_static(
                br#"{"error":"unsupported_grant_type","error_description":"Unsupported grant_type"}"#,
            ),
            times: 1,
        },
    );
    let err = h.client_credentials().token().await.unwrap_err();
    assert_eq!(oauth_code(&err), OAuthErrorCode::UnsupportedGrantType);
}

#[tokio::test]
async fn malformed_answers_are_typed_errors() {
    let h = harness().await;
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::MalformedBody { times: 1 },
    );
    let err = h.client_credentials().token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::UnexpectedResponse { status: 200, .. }),
        "{err:?}"
    );
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: Bytes::from_static(
                br#"{"access_token":"SENTINEL-LEAKED-TOKEN","token_type":"bearer"}"#,
            ),
            times: 1,
        },
    );
    let err = h.client_credentials().token().await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("expires_in"), "{text}");
    assert!(!text.contains("SENTINEL"), "{text}");
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::Status {
            status: 502,
            times: 1,
        },
    );
    let err = h.client_credentials().token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::UnexpectedResponse { status: 502, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    // And then it works.
    assert!(h.client_credentials().token().await.is_ok());
}

// ---------------------------------------------------------------------------
// Authorization code, PKCE, refresh
// ---------------------------------------------------------------------------

fn code_grant(h: &Harness) -> AuthorizationCode {
    AuthorizationCode::new(
        h.endpoint.clone(),
        seed::USER_CLIENT_ID,
        seed::USER_CLIENT_SECRET,
        seed::DEFAULT_REDIRECT_URI,
    )
}

#[tokio::test]
async fn authorization_code_end_to_end_through_the_authorize_page() {
    let h = harness().await;
    let grant = code_grant(&h);
    let request = grant
        .authorize()
        .login_hint(seed::DEFAULT_USER_EMAIL)
        .build();
    assert!(request.verifier().is_none());
    assert!(!request.url().contains("code_challenge"));
    let redirect = h.follow_authorize(request.url()).await;
    assert!(
        redirect.starts_with(seed::DEFAULT_REDIRECT_URI),
        "{redirect}"
    );
    let code = request.code_from_redirect(&redirect).unwrap();

    let source = grant.exchange(code.clone()).await.unwrap();
    let first = source.token().await.unwrap();
    assert!(first.principal().is_user());
    assert_eq!(h.token_requests(Grant::AuthorizationCode), 1);
    assert_eq!(h.users_me(&first).await, StatusCode::OK);
    let resolved = h.introspector().resolve(first.clone()).await.unwrap();
    assert_eq!(
        resolved.principal(),
        &Principal::user(seed::DEFAULT_USER_ID)
    );

    // A code is single-use.
    let err = grant.exchange(code).await.unwrap_err();
    assert_eq!(oauth_code(&err), OAuthErrorCode::InvalidGrant);

    // A forged state is refused before any exchange.
    let forged = redirect.replace(&format!("state={}", request.state()), "state=forged");
    assert!(matches!(
        request.code_from_redirect(&forged),
        Err(AuthError::Redirect { .. })
    ));
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let h = harness().await;
    let code = h.emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    let rotations = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&rotations);
    let source = code_grant(&h)
        .exchange(code)
        .await
        .unwrap()
        .on_rotation(move |new| seen.lock().unwrap().push(new.expose_secret().to_owned()));
    let r1 = source.refresh_token().unwrap().expose_secret().to_owned();
    let initial = source.token().await.unwrap(); // the exchanged token, no request
    assert_eq!(h.token_requests(Grant::RefreshToken), 0);

    let refreshed = source.token().await.unwrap();
    assert!(!refreshed.same_secret(&initial));
    assert!(refreshed.principal().is_user());
    assert_eq!(h.token_requests(Grant::RefreshToken), 1);
    let r2 = source.refresh_token().unwrap().expose_secret().to_owned();
    assert_ne!(r1, r2, "the refresh token must rotate");
    assert_eq!(*rotations.lock().unwrap(), vec![r2.clone()]);

    // The old refresh token is spent.
    let stale = RefreshToken::new(
        h.endpoint.clone(),
        seed::USER_CLIENT_ID,
        seed::USER_CLIENT_SECRET,
        r1.clone(),
    );
    let err = stale.token().await.unwrap_err();
    assert_eq!(oauth_code(&err), OAuthErrorCode::InvalidGrant);
    let text = format!("{err} {err:?} {stale:?}");
    assert!(!text.contains(&r1), "{text}");

    // The current one keeps working, rotating again.
    source.token().await.unwrap();
    assert_ne!(source.refresh_token().unwrap().expose_secret(), r2);
    assert_eq!(rotations.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn pkce_end_to_end_and_public_refresh() {
    let h = harness().await;
    let pkce = Pkce::new(
        h.endpoint.clone(),
        seed::USER_CLIENT_ID,
        seed::DEFAULT_REDIRECT_URI,
    );
    let request = pkce.authorize().build();
    let verifier = request.verifier().unwrap();
    assert!(
        request
            .url()
            .contains(&format!("code_challenge={}", verifier.challenge()))
    );
    assert!(request.url().contains("code_challenge_method=S256"));
    let redirect = h.follow_authorize(request.url()).await;
    let code = request.code_from_redirect(&redirect).unwrap();

    let source = pkce.exchange(&request, code).await.unwrap().cached();
    let token = source.token().await.unwrap();
    assert!(token.principal().is_user());
    assert_eq!(h.users_me(&token).await, StatusCode::OK);
    assert_eq!(h.token_requests(Grant::AuthorizationCode), 1);

    // After a 401 the public client refreshes without a secret.
    source.invalidate(&token);
    let next = source.token().await.unwrap();
    assert!(!next.same_secret(&token));
    assert_eq!(h.token_requests(Grant::RefreshToken), 1);
    assert_eq!(h.users_me(&next).await, StatusCode::OK);
}

#[tokio::test]
async fn pkce_verifier_mismatch_is_rejected() {
    let h = harness().await;
    let right = PkceVerifier::generate();
    let wrong = PkceVerifier::generate();
    let code = h.emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        Some(&right.challenge()),
    );
    let pkce = Pkce::new(
        h.endpoint.clone(),
        seed::USER_CLIENT_ID,
        seed::DEFAULT_REDIRECT_URI,
    );
    let err = pkce.exchange_with_verifier(code, &wrong).await.unwrap_err();
    assert_eq!(oauth_code(&err), OAuthErrorCode::InvalidGrant);
    let text = format!("{err} {err:?}");
    assert!(!text.contains(wrong.expose_secret()), "{text}");
    assert!(text.contains("code_verifier"), "{text}");

    // The right verifier works (on a fresh code: codes are single-use).
    let code = h.emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        Some(&right.challenge()),
    );
    assert!(pkce.exchange_with_verifier(code, &right).await.is_ok());
}

// ---------------------------------------------------------------------------
// SAML2 bearer, static tokens, configuration
// ---------------------------------------------------------------------------

#[tokio::test]
async fn saml2_bearer_end_to_end() {
    let h = harness().await;
    let assertion = h.emu.mint_saml_assertion(seed::DEFAULT_USER_ID);
    let source = Saml2Bearer::new(
        h.endpoint.clone(),
        seed::USER_CLIENT_ID,
        seed::USER_CLIENT_SECRET,
        seed::DEFAULT_ORG_NAME,
        assertion.clone(),
    );
    let token = source.token().await.unwrap();
    assert!(token.principal().is_user());
    assert_eq!(h.token_requests(Grant::Saml2Bearer), 1);
    let info = h.introspector().introspect(&token).await.unwrap();
    assert_eq!(info.principal, Principal::user(seed::DEFAULT_USER_ID));
    assert_eq!(info.user_name.as_deref(), Some(seed::DEFAULT_USER_NAME));

    let wrong_org = Saml2Bearer::new(
        h.endpoint.clone(),
        seed::USER_CLIENT_ID,
        seed::USER_CLIENT_SECRET,
        "someone-else",
        assertion.clone(),
    );
    let err = wrong_org.token().await.unwrap_err();
    assert_eq!(oauth_code(&err), OAuthErrorCode::InvalidGrant);
    source.set_assertion("not-an-assertion");
    assert_eq!(
        oauth_code(&source.token().await.unwrap_err()),
        OAuthErrorCode::InvalidGrant
    );
    assert!(!format!("{source:?} {err}").contains(&assertion));
}

#[tokio::test]
async fn static_tokens_are_unknown_until_introspected() {
    let h = harness().await;
    let user = AccessToken::new(h.emu.user_token(seed::DEFAULT_USER_ID));
    assert!(user.principal().is_unknown());
    let resolved = h.introspector().resolve(user).await.unwrap();
    assert_eq!(
        resolved.principal(),
        &Principal::user(seed::DEFAULT_USER_ID)
    );
    assert_eq!(resolved.has_scope("all"), Some(true));

    let client = AccessToken::new(h.emu.client_credentials_token(seed::DEFAULT_CLIENT_ID));
    let resolved = h.introspector().resolve(client).await.unwrap();
    assert_eq!(
        resolved.principal(),
        &Principal::client(seed::DEFAULT_CLIENT_ID)
    );

    // A revoked token cannot be introspected.
    let revoked = h.emu.user_token(seed::DEFAULT_USER_ID);
    h.emu.revoke_token(&revoked);
    let err = h
        .introspector()
        .introspect(&AccessToken::new(revoked.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(!err.to_string().contains(&revoked));

    // A static token is its own source; after a 401 there is nothing to refresh.
    let source = resolved.clone().cached();
    let t = source.token().await.unwrap();
    source.invalidate(&t);
    assert!(source.token().await.unwrap().same_secret(&resolved));
}

#[tokio::test]
async fn configuration_from_genesys_environment_variables() {
    let h = harness().await;
    let base = h.emu.base_url();
    let env = |name: &str| match name {
        "GENESYSCLOUD_REGION" => Some(base.clone()),
        "GENESYSCLOUD_OAUTHCLIENT_ID" => Some(seed::DEFAULT_CLIENT_ID.to_owned()),
        "GENESYSCLOUD_OAUTHCLIENT_SECRET" => Some(seed::DEFAULT_CLIENT_SECRET.to_owned()),
        _ => None,
    };
    let config = AuthConfig::from_lookup(env).unwrap();
    let source = config.token_source().unwrap().cached();
    let token = source.token().await.unwrap();
    assert_eq!(
        token.principal(),
        &Principal::client(seed::DEFAULT_CLIENT_ID)
    );
    assert_eq!(h.token_requests(Grant::ClientCredentials), 1);

    let static_token = h.emu.user_token(seed::DEFAULT_USER_ID);
    let st = static_token.clone();
    let env = move |name: &str| match name {
        "GENESYSCLOUD_REGION" => Some(base.clone()),
        "GENESYSCLOUD_ACCESS_TOKEN" => Some(st.clone()),
        _ => None,
    };
    let config = AuthConfig::from_lookup(env).unwrap();
    let token = config.token_source().unwrap().token().await.unwrap();
    assert_eq!(token.expose_secret(), static_token);
    assert!(token.principal().is_unknown());

    // A gc profile file pointing at the emulator.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[DEFAULT]\nenvironment = \"{}\"\nclient_credentials = \"{}\"\nclient_secret = \"{}\"\n",
            h.emu.base_url(),
            seed::DEFAULT_CLIENT_ID,
            seed::DEFAULT_CLIENT_SECRET
        ),
    )
    .unwrap();
    let config = AuthConfig::from_sources(|_| None, Some(&path), None).unwrap();
    let token = config.token_source().unwrap().token().await.unwrap();
    assert!(token.principal().is_client());
    assert_eq!(h.token_requests(Grant::ClientCredentials), 2);
}

// ---------------------------------------------------------------------------
// The cache against the emulator
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_first_calls_make_one_token_request() {
    let h = harness().await;
    let cache = Arc::new(h.cache(h.client_credentials()));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert!(tokens.iter().all(|t| t.same_secret(&tokens[0])));
    assert_eq!(h.token_requests(Grant::ClientCredentials), 1);
    assert_eq!(h.emu.counters().token_requests_total(), 1);
}

#[tokio::test]
async fn short_lived_tokens_refresh_early_and_on_expiry() {
    let h =
        harness_with(EmulatorConfig::default().with_token_lifetime(Duration::from_secs(60))).await;
    let cache = h.cache(h.client_credentials());
    let t1 = cache.token().await.unwrap();
    assert_eq!(
        t1.expires_in(genesys_auth::Clock::now(&h.clock)),
        Some(Duration::from_secs(60))
    );

    // The 5-minute default margin is capped at half the lifetime: 30 s.
    h.advance(Duration::from_secs(29));
    assert!(cache.token().await.unwrap().same_secret(&t1));
    assert_eq!(h.token_requests(Grant::ClientCredentials), 1);
    h.advance(Duration::from_secs(1));
    let t2 = cache.token().await.unwrap();
    assert!(!t2.same_secret(&t1));
    assert_eq!(h.token_requests(Grant::ClientCredentials), 2);

    // Past expiry: a new one, and the old one is refused by the API.
    h.advance(Duration::from_secs(61));
    assert_eq!(h.users_me(&t2).await, StatusCode::UNAUTHORIZED);
    let t3 = cache.token().await.unwrap();
    assert!(!t3.same_secret(&t2));
    assert_eq!(h.token_requests(Grant::ClientCredentials), 3);
}

#[tokio::test]
async fn refresh_failure_then_recovery() {
    let h = harness().await;
    let cache = h.cache(h.client_credentials());

    // No token yet: the failure goes to the caller and is not cached.
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::Status {
            status: 503,
            times: 1,
        },
    );
    let err = cache.token().await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let t1 = cache.token().await.unwrap();
    assert_eq!(h.token_posts(), 2);

    // Early refresh fails: the still-valid token is kept.
    h.advance(DAY - Duration::from_secs(120));
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::Status {
            status: 500,
            times: 1,
        },
    );
    assert!(cache.token().await.unwrap().same_secret(&t1));
    assert_eq!(h.token_posts(), 3);
    // ... without hammering the endpoint ...
    assert!(cache.token().await.unwrap().same_secret(&t1));
    assert_eq!(h.token_posts(), 3);
    // ... and the next attempt after the retry interval succeeds.
    h.advance(genesys_auth::DEFAULT_RETRY_INTERVAL);
    let t2 = cache.token().await.unwrap();
    assert!(!t2.same_secret(&t1));
    assert_eq!(h.token_posts(), 4);
}

#[tokio::test]
async fn a_401_drops_only_the_rejected_token() {
    let h = harness().await;
    let cache = h.cache(h.client_credentials());
    let t1 = cache.token().await.unwrap();
    h.emu.revoke_token(t1.expose_secret());
    assert_eq!(h.users_me(&t1).await, StatusCode::UNAUTHORIZED);

    // Many requests saw the 401 for t1: one refresh.
    for _ in 0..10 {
        cache.invalidate(&t1);
    }
    let t2 = cache.token().await.unwrap();
    assert!(!t2.same_secret(&t1));
    cache.invalidate(&t1); // late report of the old token
    assert!(cache.token().await.unwrap().same_secret(&t2));
    assert_eq!(h.token_requests(Grant::ClientCredentials), 2);
    assert_eq!(h.users_me(&t2).await, StatusCode::BAD_REQUEST); // works, no user context
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_honoured_inside_the_single_flight() {
    let h = harness().await;
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::RateLimited {
            retry_after: Some(1),
            times: 1,
        },
    );
    let cache = Arc::new(h.cache(h.client_credentials()));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(h.sleeper.waits(), vec![Duration::from_secs(1)]);
    assert_eq!(h.token_posts(), 2, "one 429, then one successful request");
    assert_eq!(h.token_requests(Grant::ClientCredentials), 1);
}

#[tokio::test]
async fn rate_limiting_is_bounded() {
    let h = harness().await;
    // Longer than the longest wait: not waited for.
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::RateLimited {
            retry_after: Some(3600),
            times: 1,
        },
    );
    let err = h.client_credentials().token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::RateLimited { retry_after: Some(d), attempts: 1 } if d == Duration::from_secs(3600)),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(h.sleeper.waits().is_empty());

    // A storm without Retry-After: backoff, at most 3 requests.
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::RateLimited {
            retry_after: None,
            times: 10,
        },
    );
    let before = h.token_posts();
    let err = h.client_credentials().token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::RateLimited { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(h.token_posts() - before, 3);
    assert_eq!(
        h.sleeper.waits(),
        vec![Duration::from_millis(500), Duration::from_secs(1)]
    );
}

#[tokio::test]
async fn connection_failures_are_transient_transport_errors() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let sleeper = RecordingSleeper::default();
    let endpoint = TokenEndpoint::builder()
        .environment(Environment::single(
            BaseUrl::parse(&format!("http://{addr}")).unwrap(),
        ))
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    let err = ClientCredentials::new(endpoint, "id", "SENTINEL-SECRET")
        .token()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::Transport {
                transient: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(sleeper.waits().len(), 2, "connect failures are retried");
    assert!(!format!("{err} {err:?}").contains("SENTINEL"));
}

/// A client whose requests never complete, to exercise the timeout.
#[derive(Debug)]
struct Hangs;

impl HttpClient for Hangs {
    fn send(
        &self,
        _: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, genesys_transport::TransportError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test(start_paused = true)]
async fn a_hanging_token_request_times_out() {
    let endpoint = TokenEndpoint::builder()
        .http_client(Hangs)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let err = ClientCredentials::new(endpoint, "id", "secret")
        .cached()
        .token()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::Transport {
                transient: true,
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------
// Secrets never leak
// ---------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

struct CapturedWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for CapturedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = CapturedWriter;
    fn make_writer(&'a self) -> Self::Writer {
        CapturedWriter(Arc::clone(&self.0))
    }
}

const SENTINEL_CLIENT_SECRET: &str = "SENTINEL-CLIENT-SECRET-1f3a";
const SENTINEL_USER_SECRET: &str = "SENTINEL-USER-SECRET-9b2c";
const SENTINEL_CLIENT: &str = "sentinel-client";
const SENTINEL_USER_CLIENT: &str = "sentinel-user-client";

#[tokio::test]
async fn secrets_never_appear_in_debug_display_errors_or_logs() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let config = EmulatorConfig::default()
        .with_client(ClientSeed::client_credentials(
            SENTINEL_CLIENT,
            SENTINEL_CLIENT_SECRET,
        ))
        .with_client(
            ClientSeed::new(
                SENTINEL_USER_CLIENT,
                SENTINEL_USER_SECRET,
                [Grant::AuthorizationCode, Grant::Saml2Bearer],
            )
            .with_redirect_uri(seed::DEFAULT_REDIRECT_URI),
        );
    let h = harness_with(config).await;
    let mut secrets: Vec<String> = vec![SENTINEL_CLIENT_SECRET.into(), SENTINEL_USER_SECRET.into()];
    let mut texts: Vec<String> = Vec::new();

    // Client credentials, cached, with a 429 and an early-refresh failure.
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::RateLimited {
            retry_after: Some(1),
            times: 1,
        },
    );
    let cc = ClientCredentials::new(h.endpoint.clone(), SENTINEL_CLIENT, SENTINEL_CLIENT_SECRET);
    let cached = h.cache(cc.clone());
    let token = cached.token().await.unwrap();
    secrets.push(token.expose_secret().to_owned());
    texts.push(format!("{cc:?} {cached:?} {token:?} {:?}", h.endpoint));
    h.advance(DAY - Duration::from_secs(60));
    h.emu.inject(
        RouteMatch::path("/oauth/token"),
        Fault::Status {
            status: 503,
            times: 1,
        },
    );
    cached.token().await.unwrap();
    let wrong =
        ClientCredentials::new(h.endpoint.clone(), SENTINEL_CLIENT, "SENTINEL-WRONG-SECRET");
    secrets.push("SENTINEL-WRONG-SECRET".into());
    let err = wrong.token().await.unwrap_err();
    texts.push(format!("{err} {err:?} {wrong:?}"));

    // Authorization code and refresh (rotating).
    let code = h.emu.mint_authorization_code(
        SENTINEL_USER_CLIENT,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    secrets.push(code.clone());
    let grant = AuthorizationCode::new(
        h.endpoint.clone(),
        SENTINEL_USER_CLIENT,
        SENTINEL_USER_SECRET,
        seed::DEFAULT_REDIRECT_URI,
    );
    let user = grant.exchange(code.clone()).await.unwrap();
    let r1 = user.refresh_token().unwrap().expose_secret().to_owned();
    secrets.push(r1.clone());
    let t = user.token().await.unwrap();
    secrets.push(t.expose_secret().to_owned());
    let t = user.token().await.unwrap();
    secrets.push(t.expose_secret().to_owned());
    secrets.push(user.refresh_token().unwrap().expose_secret().to_owned());
    texts.push(format!("{grant:?} {user:?} {t:?}"));
    let err = grant.exchange(code).await.unwrap_err(); // spent code
    texts.push(format!("{err} {err:?}"));
    let spent = RefreshToken::new(
        h.endpoint.clone(),
        SENTINEL_USER_CLIENT,
        SENTINEL_USER_SECRET,
        SecretString::from(r1),
    );
    let err = spent.token().await.unwrap_err();
    texts.push(format!("{err} {err:?} {spent:?}"));

    // PKCE, including a mismatch.
    let pkce = Pkce::new(
        h.endpoint.clone(),
        SENTINEL_USER_CLIENT,
        seed::DEFAULT_REDIRECT_URI,
    );
    let request = pkce.authorize().build();
    secrets.push(request.verifier().unwrap().expose_secret().to_owned());
    let redirect = h.follow_authorize(request.url()).await;
    let code = request.code_from_redirect(&redirect).unwrap();
    secrets.push(code.expose_secret().to_owned());
    let pkce_source = pkce.exchange(&request, code).await.unwrap();
    let t = pkce_source.token().await.unwrap();
    secrets.push(t.expose_secret().to_owned());
    secrets.push(
        pkce_source
            .refresh_token()
            .unwrap()
            .expose_secret()
            .to_owned(),
    );
    texts.push(format!("{pkce:?} {request:?} {pkce_source:?}"));
    let other = PkceVerifier::generate();
    secrets.push(other.expose_secret().to_owned());
    let code = h.emu.mint_authorization_code(
        SENTINEL_USER_CLIENT,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        Some(&PkceVerifier::generate().challenge()),
    );
    secrets.push(code.clone());
    let err = pkce.exchange_with_verifier(code, &other).await.unwrap_err();
    texts.push(format!("{err} {err:?}"));

    // SAML2 bearer, good and bad.
    let assertion = h.emu.mint_saml_assertion(seed::DEFAULT_USER_ID);
    secrets.push(assertion.clone());
    let saml = Saml2Bearer::new(
        h.endpoint.clone(),
        SENTINEL_USER_CLIENT,
        SENTINEL_USER_SECRET,
        seed::DEFAULT_ORG_NAME,
        assertion.clone(),
    );
    let t = saml.token().await.unwrap();
    secrets.push(t.expose_secret().to_owned());
    let bad = Saml2Bearer::new(
        h.endpoint.clone(),
        SENTINEL_USER_CLIENT,
        SENTINEL_USER_SECRET,
        "wrong-org",
        assertion,
    );
    let err = bad.token().await.unwrap_err();
    texts.push(format!("{saml:?} {bad:?} {err} {err:?}"));

    // Introspection of a revoked token, and configuration.
    let info = h.introspector().introspect(&t).await.unwrap();
    texts.push(format!("{info:?}"));
    h.emu.revoke_token(t.expose_secret());
    let err = h.introspector().introspect(&t).await.unwrap_err();
    texts.push(format!("{err} {err:?}"));
    let config = AuthConfig::new()
        .with_environment(environment(&h.emu))
        .with_client_credentials(SENTINEL_CLIENT, SENTINEL_CLIENT_SECRET);
    texts.push(format!("{config:?} {:?}", config.token_source().unwrap()));

    drop(_guard);
    let logs = captured.0.lock().unwrap().clone();
    let logs = String::from_utf8_lossy(&logs);
    assert!(
        logs.contains("rate limiting"),
        "tracing was captured:\n{logs}"
    );
    assert!(logs.contains("stays in use"), "{logs}");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "`{secret}` leaked into the logs:\n{logs}"
        );
        for text in &texts {
            assert!(
                !text.contains(secret.as_str()),
                "`{secret}` leaked into:\n{text}"
            );
        }
    }
}
