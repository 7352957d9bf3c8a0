//! The login service: every grant and its OAuth errors.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{Http, seed};
use genesys_emulator::{ClientSeed, Emulator, EmulatorConfig, Grant};
use http::{Method, StatusCode};
use sha2::Digest as _;

const USER_CLIENT: (&str, &str) = (seed::USER_CLIENT_ID, seed::USER_CLIENT_SECRET);

async fn start(config: EmulatorConfig) -> (Emulator, Http) {
    let emu = Emulator::start(config).await.unwrap();
    let http = Http::new(&emu.base_url());
    (emu, http)
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

async fn me_id(http: &Http, token: &str) -> String {
    let r = http.get("/api/v2/users/me", token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn client_credentials_with_basic_auth() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    assert!(!emu.base_url().ends_with('/'));
    let r = http
        .token(
            Some((seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_399);
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let info = http.get("/api/v2/tokens/me", token).await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(info.json()["OAuthClient"]["id"], seed::DEFAULT_CLIENT_ID);
    assert_eq!(
        info.json()["OAuthClient"]["authorizedGrantType"],
        "CLIENT-CREDENTIALS"
    );
    assert_eq!(emu.counters().token_requests(Grant::ClientCredentials), 1);
    assert_eq!(emu.counters().tokens_issued(Grant::ClientCredentials), 1);
    assert_eq!(emu.counters().token_requests_total(), 1);
    assert_eq!(emu.counters().requests(&Method::POST, "/oauth/token"), 1);
}

#[tokio::test]
async fn client_secret_in_form_is_accepted() {
    let (_emu, http) = start(EmulatorConfig::default()).await;
    let r = http
        .token(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", seed::DEFAULT_CLIENT_ID),
                ("client_secret", seed::DEFAULT_CLIENT_SECRET),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_client_credentials_are_invalid_client() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let wrong_secret = http
        .token(
            Some((seed::DEFAULT_CLIENT_ID, "nope")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    wrong_secret.assert_oauth_error(401, "invalid_client");
    let unknown = http
        .token(
            Some(("who", "ever")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    unknown.assert_oauth_error(401, "invalid_client");
    let no_auth = http
        .token(None, &[("grant_type", "client_credentials")])
        .await;
    no_auth.assert_oauth_error(401, "invalid_client");
    let garbage = http
        .send(
            Method::POST,
            "/oauth/token",
            &[
                ("authorization", "Basic !!!not-base64"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "grant_type=client_credentials",
        )
        .await;
    garbage.assert_oauth_error(401, "invalid_client");
    assert_eq!(emu.counters().token_requests(Grant::ClientCredentials), 4);
    assert_eq!(emu.counters().tokens_issued(Grant::ClientCredentials), 0);
}

#[tokio::test]
async fn grant_not_allowed_is_unauthorized_client() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let r = http
        .token(Some(USER_CLIENT), &[("grant_type", "client_credentials")])
        .await;
    r.assert_oauth_error(400, "unauthorized_client");
    let code = emu.mint_authorization_code(
        seed::DEFAULT_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    let r = http
        .token(
            Some((seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
            ],
        )
        .await;
    r.assert_oauth_error(400, "unauthorized_client");
}

#[tokio::test]
async fn unknown_or_missing_grant_type() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let r = http
        .token(
            Some(USER_CLIENT),
            &[
                ("grant_type", "password"),
                ("username", "a"),
                ("password", "b"),
            ],
        )
        .await;
    r.assert_oauth_error(400, "unsupported_grant_type");
    let r = http.token(Some(USER_CLIENT), &[]).await;
    r.assert_oauth_error(400, "invalid_request");
    let r = http
        .send(
            Method::POST,
            "/oauth/token",
            &[("content-type", "application/json")],
            r#"{"grant_type":"client_credentials"}"#,
        )
        .await;
    r.assert_oauth_error(400, "invalid_request");
    assert_eq!(emu.counters().token_requests_total(), 3);
}

#[tokio::test]
async fn authorization_code_is_single_use_and_bound_to_redirect_uri() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
    ];
    let r = http.token(Some(USER_CLIENT), &form).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["token_type"], "bearer");
    assert!(body["refresh_token"].is_string());
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(me_id(&http, token).await, seed::DEFAULT_USER_ID);

    let again = http.token(Some(USER_CLIENT), &form).await;
    again.assert_oauth_error(400, "invalid_grant");

    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    let wrong_redirect = http
        .token(
            Some(USER_CLIENT),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1/elsewhere"),
            ],
        )
        .await;
    wrong_redirect.assert_oauth_error(400, "invalid_grant");
    assert_eq!(emu.counters().token_requests(Grant::AuthorizationCode), 3);
    assert_eq!(emu.counters().tokens_issued(Grant::AuthorizationCode), 1);
}

#[tokio::test]
async fn pkce_exchange_without_basic_header() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let verifier = "a".repeat(20) + &"B-._".repeat(8);
    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        Some(&s256(&verifier)),
    );
    let wrong = http
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &"x".repeat(50)),
                ("client_id", seed::USER_CLIENT_ID),
                ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
            ],
        )
        .await;
    wrong.assert_oauth_error(400, "invalid_grant");

    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        Some(&s256(&verifier)),
    );
    let r = http
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &verifier),
                ("client_id", seed::USER_CLIENT_ID),
                ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let refresh = r.json()["refresh_token"].as_str().unwrap().to_owned();
    // A public client refreshes with its client_id alone.
    let r = http
        .token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", seed::USER_CLIENT_ID),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Without a challenge, a code needs the client secret.
    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    let r = http
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", seed::USER_CLIENT_ID),
                ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
            ],
        )
        .await;
    r.assert_oauth_error(401, "invalid_client");
}

fn location_params(r: &common::Resp, separator: char) -> (String, Vec<(String, String)>) {
    assert_eq!(r.status, StatusCode::FOUND, "{:?}", r.body);
    let location = r.header("location").unwrap();
    let (base, query) = location.split_once(separator).unwrap();
    let params = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.replace("%2D", "-"))
        })
        .collect();
    (base.to_owned(), params)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {params:?}"))
}

#[tokio::test]
async fn authorize_endpoint_auto_approves_with_pkce() {
    let (_emu, http) = start(EmulatorConfig::default()).await;
    let verifier = "v".repeat(64);
    let path = format!(
        "/oauth/authorize?client_id={}&response_type=code&redirect_uri={}&state=xyz&code_challenge={}&code_challenge_method=S256",
        seed::USER_CLIENT_ID,
        "http%3A%2F%2F127.0.0.1%2Fcallback",
        s256(&verifier)
    );
    let r = http.send(Method::GET, &path, &[], "").await;
    let (base, params) = location_params(&r, '?');
    assert_eq!(base, seed::DEFAULT_REDIRECT_URI);
    assert_eq!(param(&params, "state"), "xyz");
    let code = param(&params, "code").to_owned();
    let r = http
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &verifier),
                ("client_id", seed::USER_CLIENT_ID),
                ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me_id(&http, &token).await, seed::DEFAULT_USER_ID);

    // login_hint picks another user.
    let path = format!(
        "/oauth/authorize?client_id={}&response_type=token&redirect_uri={}&login_hint={}",
        seed::USER_CLIENT_ID,
        "http%3A%2F%2F127.0.0.1%2Fcallback",
        seed::NO_STATION_USER_EMAIL.replace('@', "%40"),
    );
    let r = http.send(Method::GET, &path, &[], "").await;
    let (_, params) = location_params(&r, '#');
    assert_eq!(param(&params, "token_type"), "bearer");
    let token = param(&params, "access_token").to_owned();
    assert_eq!(me_id(&http, &token).await, seed::NO_STATION_USER_ID);

    // Unregistered redirect URIs are refused without redirecting.
    let path = format!(
        "/oauth/authorize?client_id={}&response_type=code&redirect_uri=http%3A%2F%2Fevil.invalid%2F",
        seed::USER_CLIENT_ID
    );
    let r = http.send(Method::GET, &path, &[], "").await;
    r.assert_oauth_error(400, "invalid_request");
    // A client that may not use the code grant gets the error by redirect.
    let config = EmulatorConfig::default().with_client(
        ClientSeed::client_credentials("cc-with-uri", "s").with_redirect_uri("http://127.0.0.1/cb"),
    );
    let (_emu2, http2) = start(config).await;
    let r = http2
        .send(
            Method::GET,
            "/oauth/authorize?client_id=cc-with-uri&response_type=code&state=s1",
            &[],
            "",
        )
        .await;
    let (_, params) = location_params(&r, '?');
    assert_eq!(param(&params, "error"), "unauthorized_client");
    assert_eq!(param(&params, "state"), "s1");
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    let r = http
        .token(
            Some(USER_CLIENT),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
            ],
        )
        .await;
    let first = r.json()["refresh_token"].as_str().unwrap().to_owned();
    let r = http
        .token(
            Some(USER_CLIENT),
            &[("grant_type", "refresh_token"), ("refresh_token", &first)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let second = r.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me_id(&http, &token).await, seed::DEFAULT_USER_ID);
    // The old refresh token is spent.
    let r = http
        .token(
            Some(USER_CLIENT),
            &[("grant_type", "refresh_token"), ("refresh_token", &first)],
        )
        .await;
    r.assert_oauth_error(400, "invalid_grant");
    // Another client cannot use it.
    let r = http
        .token(
            Some((seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET)),
            &[("grant_type", "refresh_token"), ("refresh_token", &second)],
        )
        .await;
    r.assert_oauth_error(400, "unauthorized_client");
    assert_eq!(emu.counters().token_requests(Grant::RefreshToken), 3);
    assert_eq!(emu.counters().tokens_issued(Grant::RefreshToken), 1);
}

#[tokio::test]
async fn saml2_bearer_with_minted_assertion() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let assertion = emu.mint_saml_assertion(seed::NO_STATION_USER_ID);
    let grant = "urn:ietf:params:oauth:grant-type:saml2-bearer";
    let r = http
        .token(
            Some(USER_CLIENT),
            &[
                ("grant_type", grant),
                ("orgName", seed::DEFAULT_ORG_NAME),
                ("assertion", &assertion),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.json().get("refresh_token").is_none());
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me_id(&http, &token).await, seed::NO_STATION_USER_ID);
    let info = http.get("/api/v2/tokens/me", &token).await.json();
    assert_eq!(info["OAuthClient"]["authorizedGrantType"], "SAML2-BEARER");

    let wrong_org = http
        .token(
            Some(USER_CLIENT),
            &[
                ("grant_type", grant),
                ("orgName", "someone-else"),
                ("assertion", &assertion),
            ],
        )
        .await;
    wrong_org.assert_oauth_error(400, "invalid_grant");
    let forged = http
        .token(
            Some(USER_CLIENT),
            &[
                ("grant_type", grant),
                ("orgName", seed::DEFAULT_ORG_NAME),
                ("assertion", "PHNhbWw+Zm9yZ2VkPC9zYW1sPg=="),
            ],
        )
        .await;
    forged.assert_oauth_error(400, "invalid_grant");
    assert_eq!(emu.counters().token_requests(Grant::Saml2Bearer), 3);
}

#[tokio::test]
async fn short_lived_tokens_expire_on_the_manual_clock() {
    let config = EmulatorConfig::default()
        .with_manual_clock()
        .with_token_lifetime(Duration::from_secs(60));
    let (emu, http) = start(config).await;
    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    let r = http
        .token(
            Some(USER_CLIENT),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
            ],
        )
        .await;
    assert_eq!(r.json()["expires_in"], 60);
    let access = r.json()["access_token"].as_str().unwrap().to_owned();
    let refresh = r.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(me_id(&http, &access).await, seed::DEFAULT_USER_ID);

    emu.clock().advance(Duration::from_secs(59));
    assert_eq!(me_id(&http, &access).await, seed::DEFAULT_USER_ID);
    emu.clock().advance(Duration::from_secs(1));
    http.get("/api/v2/users/me", &access)
        .await
        .assert_error(401, "bad.credentials");

    let r = http
        .token(
            Some(USER_CLIENT),
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let fresh = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me_id(&http, &fresh).await, seed::DEFAULT_USER_ID);

    // Minted codes expire too (default code lifetime: 10 minutes).
    let code = emu.mint_authorization_code(
        seed::USER_CLIENT_ID,
        seed::DEFAULT_USER_ID,
        seed::DEFAULT_REDIRECT_URI,
        None,
    );
    emu.clock().advance(Duration::from_secs(601));
    let r = http
        .token(
            Some(USER_CLIENT),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", seed::DEFAULT_REDIRECT_URI),
            ],
        )
        .await;
    r.assert_oauth_error(400, "invalid_grant");
}

#[tokio::test]
async fn revoked_token_is_bad_credentials() {
    let (emu, http) = start(EmulatorConfig::default()).await;
    let token = http.cc_token().await;
    let auth = format!("Bearer {token}");
    let r = http
        .send(
            Method::HEAD,
            "/api/v2/tokens/me",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = http
        .send(
            Method::DELETE,
            "/api/v2/tokens/me",
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    http.get("/api/v2/tokens/me", &token)
        .await
        .assert_error(401, "bad.credentials");
    let helper = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    assert_eq!(http.get("/api/v2/tokens/me", &helper).await.status, 200);
    emu.revoke_token(&helper);
    http.get("/api/v2/tokens/me", &helper)
        .await
        .assert_error(401, "bad.credentials");
}
