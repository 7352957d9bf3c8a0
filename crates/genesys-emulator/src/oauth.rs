//! The login service: `POST /oauth/token` and `GET /oauth/authorize`.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, CACHE_CONTROL, LOCATION, PRAGMA};
use http::{Response, StatusCode};

use crate::config::Grant;
use crate::http::{EmuBody, empty, json, oauth_error, set_header};
use crate::ids;
use crate::server::Req;
use crate::state::{ClientRec, Principal, Shared};

/// How the client authenticated at the token endpoint.
enum ClientAuth<'a> {
    /// With its secret (HTTP Basic or `client_secret` in the form).
    Confidential(&'a ClientRec),
    /// `client_id` in the form and no secret (PKCE).
    Public(&'a ClientRec),
}

impl<'a> ClientAuth<'a> {
    fn client(&self) -> &'a ClientRec {
        match self {
            ClientAuth::Confidential(c) | ClientAuth::Public(c) => c,
        }
    }
}

type Form = HashMap<String, String>;

/// Parses a form body or query string; a repeated parameter is an error.
fn parse_form(bytes: &[u8]) -> Result<Form, String> {
    let mut form = HashMap::new();
    for (k, v) in form_urlencoded::parse(bytes) {
        if form.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(format!("Parameter {k} was repeated"));
        }
    }
    Ok(form)
}

fn invalid_client(description: &str) -> Response<EmuBody> {
    let mut r = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    set_header(
        &mut r,
        http::header::WWW_AUTHENTICATE,
        "Basic realm=\"genesys-emulator\"",
    );
    r
}

fn bad(error: &str, description: &str) -> Response<EmuBody> {
    oauth_error(StatusCode::BAD_REQUEST, error, description)
}

/// Decodes `Authorization: Basic base64(id:secret)`.
fn basic_credentials(req: &Req) -> Option<Result<(String, String), ()>> {
    let value = req.headers.get(AUTHORIZATION)?;
    let value = value.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = match STANDARD.decode(rest.trim()) {
        Ok(d) => d,
        Err(_) => return Some(Err(())),
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return Some(Err(()));
    };
    match text.split_once(':') {
        Some((id, secret)) => Some(Ok((id.to_owned(), secret.to_owned()))),
        None => Some(Err(())),
    }
}

/// Constant-time-ish comparison so secret checks do not short-circuit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn authenticate<'a>(
    shared: &'a Shared,
    req: &Req,
    form: &Form,
) -> Result<ClientAuth<'a>, Response<EmuBody>> {
    let lookup = |id: &str| {
        shared
            .world
            .clients
            .get(id)
            .ok_or_else(|| invalid_client("Invalid client credentials."))
    };
    match basic_credentials(req) {
        Some(Err(())) => Err(invalid_client("Malformed Basic authorization header.")),
        Some(Ok((id, secret))) => {
            let client = lookup(&id)?;
            if !same(&client.seed.secret, &secret) {
                return Err(invalid_client("Invalid client credentials."));
            }
            if form.get("client_id").is_some_and(|f| f != &id) {
                return Err(invalid_client(
                    "client_id does not match the authenticated client.",
                ));
            }
            Ok(ClientAuth::Confidential(client))
        }
        None => {
            let Some(id) = form.get("client_id") else {
                return Err(invalid_client("Client authentication is required."));
            };
            let client = lookup(id)?;
            match form.get("client_secret") {
                Some(secret) if same(&client.seed.secret, secret) => {
                    Ok(ClientAuth::Confidential(client))
                }
                Some(_) => Err(invalid_client("Invalid client credentials.")),
                None => Ok(ClientAuth::Public(client)),
            }
        }
    }
}

fn token_response(shared: &Shared, access: &str, refresh: Option<&str>) -> Response<EmuBody> {
    let lifetime = shared.config.token_lifetime.as_secs_f64().ceil() as u64;
    let mut body = serde_json::json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": lifetime,
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = serde_json::Value::from(refresh);
    }
    let mut response = json(StatusCode::OK, &body);
    set_header(&mut response, CACHE_CONTROL, "no-store");
    set_header(&mut response, PRAGMA, "no-cache");
    response
}

/// `POST /oauth/token`.
pub(crate) fn token(shared: &Shared, req: &Req) -> Response<EmuBody> {
    let form_type = req.media_type();
    if form_type
        .as_deref()
        .is_some_and(|t| t != "application/x-www-form-urlencoded")
    {
        shared.counters.record_token_request(None);
        return bad(
            "invalid_request",
            "The token request must be application/x-www-form-urlencoded.",
        );
    }
    let form = match parse_form(&req.body) {
        Ok(form) => form,
        Err(e) => {
            shared.counters.record_token_request(None);
            return bad("invalid_request", &e);
        }
    };
    let grant_type = form.get("grant_type").map(String::as_str);
    let grant = grant_type.and_then(Grant::from_grant_type);
    shared.counters.record_token_request(grant);
    let Some(grant_type) = grant_type else {
        return bad("invalid_request", "Missing grant_type.");
    };
    let Some(grant) = grant else {
        return bad(
            "unsupported_grant_type",
            &format!("Unsupported grant_type: {grant_type}"),
        );
    };
    let auth = match authenticate(shared, req, &form) {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    let client = auth.client();
    if !client.seed.allows(grant) {
        return bad(
            "unauthorized_client",
            &format!("The client is not authorized to use the {grant_type} grant."),
        );
    }
    let result = match grant {
        Grant::ClientCredentials => client_credentials(shared, &auth),
        Grant::AuthorizationCode => authorization_code(shared, &auth, &form),
        Grant::RefreshToken => refresh(shared, &auth, &form),
        Grant::Saml2Bearer => saml2_bearer(shared, &auth, &form),
        Grant::Implicit => Err(bad(
            "unsupported_grant_type",
            "The implicit grant is not used at the token endpoint.",
        )),
    };
    match result {
        Ok(response) => {
            shared.counters.record_token_issued(grant);
            response
        }
        Err(response) => response,
    }
}

type GrantResult = Result<Response<EmuBody>, Response<EmuBody>>;

fn require_secret(auth: &ClientAuth<'_>) -> Result<(), Response<EmuBody>> {
    match auth {
        ClientAuth::Confidential(_) => Ok(()),
        ClientAuth::Public(_) => Err(invalid_client("Client authentication is required.")),
    }
}

fn client_credentials(shared: &Shared, auth: &ClientAuth<'_>) -> GrantResult {
    require_secret(auth)?;
    let client = auth.client();
    let token = shared.issue_token(Principal::Client, &client.seed.id, Grant::ClientCredentials);
    Ok(token_response(shared, &token, None))
}

fn authorization_code(shared: &Shared, auth: &ClientAuth<'_>, form: &Form) -> GrantResult {
    let client = auth.client();
    let Some(code) = form.get("code") else {
        return Err(bad("invalid_request", "Missing code."));
    };
    // A code is single-use: it is gone after any exchange attempt.
    let record = shared.store().codes.remove(code);
    let Some(record) = record else {
        return Err(bad("invalid_grant", "Invalid authorization code."));
    };
    if record.expires_at <= shared.clock.now() {
        return Err(bad("invalid_grant", "The authorization code has expired."));
    }
    if record.client_id != client.seed.id {
        return Err(bad(
            "invalid_grant",
            "The authorization code was issued to another client.",
        ));
    }
    if form.get("redirect_uri").map(String::as_str) != Some(record.redirect_uri.as_str()) {
        return Err(bad(
            "invalid_grant",
            "redirect_uri does not match the authorization request.",
        ));
    }
    match (&record.code_challenge, form.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            if !(43..=128).contains(&verifier.len()) {
                return Err(bad(
                    "invalid_grant",
                    "code_verifier must be 43 to 128 characters.",
                ));
            }
            if !same(&ids::pkce_s256(verifier), challenge) {
                return Err(bad(
                    "invalid_grant",
                    "code_verifier does not match the code_challenge.",
                ));
            }
        }
        (Some(_), None) => return Err(bad("invalid_grant", "Missing code_verifier.")),
        (None, _) => require_secret(auth)?,
    }
    if !shared.world.users.contains_key(&record.user_id) {
        return Err(bad("invalid_grant", "The user no longer exists."));
    }
    let public = matches!(auth, ClientAuth::Public(_));
    let access = shared.issue_token(
        Principal::User(record.user_id.clone()),
        &client.seed.id,
        Grant::AuthorizationCode,
    );
    let refresh = shared.issue_refresh_token(&client.seed.id, &record.user_id, public);
    Ok(token_response(shared, &access, Some(&refresh)))
}

fn refresh(shared: &Shared, auth: &ClientAuth<'_>, form: &Form) -> GrantResult {
    let client = auth.client();
    let Some(token) = form.get("refresh_token") else {
        return Err(bad("invalid_request", "Missing refresh_token."));
    };
    let record = {
        let mut store = shared.store();
        match store.refresh_tokens.get(token) {
            Some(rec) if rec.client_id == client.seed.id => {
                if matches!(auth, ClientAuth::Public(_)) && !rec.public {
                    None
                } else {
                    store.refresh_tokens.remove(token)
                }
            }
            _ => None,
        }
    };
    let Some(record) = record else {
        if matches!(auth, ClientAuth::Public(_)) {
            return Err(invalid_client("Client authentication is required."));
        }
        return Err(bad("invalid_grant", "Invalid refresh token."));
    };
    let access = shared.issue_token(
        Principal::User(record.user_id.clone()),
        &client.seed.id,
        Grant::RefreshToken,
    );
    let rotated = shared.issue_refresh_token(&client.seed.id, &record.user_id, record.public);
    Ok(token_response(shared, &access, Some(&rotated)))
}

fn saml2_bearer(shared: &Shared, auth: &ClientAuth<'_>, form: &Form) -> GrantResult {
    require_secret(auth)?;
    let client = auth.client();
    let (Some(assertion), Some(org)) = (form.get("assertion"), form.get("orgName")) else {
        return Err(bad("invalid_request", "Missing assertion or orgName."));
    };
    if org != &shared.config.organization.name {
        return Err(bad("invalid_grant", "Unknown organization."));
    }
    let record = shared.store().assertions.get(assertion).cloned();
    let Some(record) = record else {
        return Err(bad("invalid_grant", "Invalid SAML assertion."));
    };
    if record.expires_at <= shared.clock.now() {
        return Err(bad("invalid_grant", "The SAML assertion has expired."));
    }
    let access = shared.issue_token(
        Principal::User(record.user_id),
        &client.seed.id,
        Grant::Saml2Bearer,
    );
    Ok(token_response(shared, &access, None))
}

/// Appends parameters to a redirect URI's query (`?`) or fragment (`#`).
fn redirect(uri: &str, fragment: bool, params: &[(&str, &str)]) -> Response<EmuBody> {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        ser.append_pair(k, v);
    }
    let encoded = ser.finish();
    let location = if fragment {
        format!("{uri}#{encoded}")
    } else if uri.contains('?') {
        format!("{uri}&{encoded}")
    } else {
        format!("{uri}?{encoded}")
    };
    let mut response = empty(StatusCode::FOUND);
    set_header(&mut response, LOCATION, &location);
    response
}

/// `GET /oauth/authorize`: auto-approves the configured user.
pub(crate) fn authorize(shared: &Shared, req: &Req) -> Response<EmuBody> {
    let query = match parse_form(req.query.as_deref().unwrap_or("").as_bytes()) {
        Ok(q) => q,
        Err(e) => return bad("invalid_request", &e),
    };
    let Some(client) = query
        .get("client_id")
        .and_then(|id| shared.world.clients.get(id))
    else {
        return bad("invalid_client", "Unknown client_id.");
    };
    let redirect_uri = match query.get("redirect_uri") {
        Some(uri) if client.seed.redirect_uris.contains(uri) => uri.clone(),
        Some(_) => {
            return bad(
                "invalid_request",
                "redirect_uri is not registered for the client.",
            );
        }
        None if client.seed.redirect_uris.len() == 1 => client.seed.redirect_uris[0].clone(),
        None => return bad("invalid_request", "Missing redirect_uri."),
    };
    let state = query.get("state").cloned();
    let response_type = query.get("response_type").map(String::as_str);
    let fragment = response_type == Some("token");
    let fail = |error: &str, description: &str| {
        let mut params = vec![("error", error), ("error_description", description)];
        if let Some(state) = &state {
            params.push(("state", state));
        }
        redirect(&redirect_uri, fragment, &params)
    };
    let grant = match response_type {
        Some("code") => Grant::AuthorizationCode,
        Some("token") => Grant::Implicit,
        _ => {
            return fail(
                "unsupported_response_type",
                "response_type must be code or token.",
            );
        }
    };
    if !client.seed.allows(grant) {
        return fail(
            "unauthorized_client",
            "The client is not authorized to use this grant.",
        );
    }
    let challenge = query.get("code_challenge").cloned();
    if challenge.is_some() && query.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return fail("invalid_request", "code_challenge_method must be S256.");
    }
    let hinted = query.get("login_hint").and_then(|hint| {
        shared
            .world
            .users
            .values()
            .find(|u| &u.seed.id == hint || u.seed.email.eq_ignore_ascii_case(hint))
    });
    let user = hinted
        .map(|u| u.seed.id.clone())
        .or_else(|| shared.config.authorize_user.clone())
        .or_else(|| shared.config.users.first().map(|u| u.id.clone()));
    let Some(user) = user else {
        return fail(
            "access_denied",
            "No user is configured to approve the request.",
        );
    };
    let mut params: Vec<(&str, String)> = Vec::new();
    if grant == Grant::Implicit {
        shared.counters.record_token_request(Some(Grant::Implicit));
        let token = shared.issue_token(Principal::User(user), &client.seed.id, Grant::Implicit);
        shared.counters.record_token_issued(Grant::Implicit);
        let lifetime = shared.config.token_lifetime.as_secs_f64().ceil() as u64;
        params.push(("access_token", token));
        params.push(("expires_in", lifetime.to_string()));
        params.push(("token_type", "bearer".to_owned()));
    } else {
        let code = shared.issue_code(&client.seed.id, &user, &redirect_uri, challenge);
        params.push(("code", code));
    }
    if let Some(state) = &state {
        params.push(("state", state.clone()));
    }
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    redirect(&redirect_uri, fragment, &borrowed)
}
