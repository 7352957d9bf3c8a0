//! [`Introspector`]: who does a token act for? (`GET /api/v2/tokens/me`,
//! `GET /api/v2/users/me`)

use std::borrow::Cow;

use genesys_transport::{
    ApiRequest, Environment, ErrorKind, SharedHttpClient, Transport, TransportError,
};
use http::header::AUTHORIZATION;
use http::{HeaderValue, Method};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::endpoint::{TokenEndpoint, default_http_client, scrub, transport_error};
use crate::error::AuthError;
use crate::token::{AccessToken, Principal};

const TOKENS_ME: &str = "/api/v2/tokens/me";
const USERS_ME: &str = "/api/v2/users/me";

/// What Genesys Cloud says about a token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TokenIntrospection {
    /// Who the token acts for (see [`Introspector`] for how it is decided).
    pub principal: Principal,
    /// The OAuth client the token was issued to (`OAuthClient.id`).
    pub client_id: Option<String>,
    /// The OAuth client's name.
    pub client_name: Option<String>,
    /// The client's grant type as Genesys names it: `CLIENT-CREDENTIALS`,
    /// `CODE`, `TOKEN`, `SAML2-BEARER`, `PASSWORD`.
    pub grant_type: Option<String>,
    /// The authorized scopes (`authorizedScope`).
    pub scopes: Option<Vec<String>>,
    /// The organization's id.
    pub organization_id: Option<String>,
    /// The organization's name.
    pub organization_name: Option<String>,
    /// The user's name, for a user token.
    pub user_name: Option<String>,
}

/// Asks Genesys Cloud who a token belongs to: an explicit, optional step
/// for tokens obtained elsewhere (a static or bring-your-own token has
/// [`Principal::Unknown`] until introspected).
///
/// How the principal is decided:
///
/// 1. `GET /api/v2/tokens/me` (`TokenInfo`) gives the OAuth client (`id`,
///    `name`, `authorizedGrantType`), the organization and the authorized
///    scopes. If it fails (e.g. 401 for an expired or revoked token), so
///    does introspection.
/// 2. If the client's grant type is `CLIENT-CREDENTIALS`, the token acts for
///    the client: [`Principal::Client`], and `users/me` is not asked (it
///    would answer 400 `not.a.user`).
/// 3. Otherwise `GET /api/v2/users/me`:
///    - 200 → [`Principal::User`] with the user's id;
///    - 400 `not.a.user` → [`Principal::Client`] with the client id from
///      step 1 ([`Principal::Unknown`] if there was none);
///    - any other failure → [`Principal::User`] without id when step 1 named
///      a user grant (`CODE`, `TOKEN`, `SAML2-BEARER`, `PASSWORD`), else the
///      error is returned.
///
/// ```no_run
/// # #[cfg(feature = "http-client")]
/// # async fn demo() -> Result<(), genesys_auth::AuthError> {
/// use genesys_auth::{AccessToken, Introspector, Region, SharedTokenSource};
///
/// let introspector = Introspector::new(Region::UsEast1)?;
/// let token = introspector.resolve(AccessToken::new(std::env::var("TOKEN").unwrap())).await?;
/// println!("acting as {}", token.principal());
/// let source = SharedTokenSource::new(token);
/// # let _ = source;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Introspector {
    transport: Transport,
}

impl Introspector {
    /// Introspects against `environment`'s API host with the default HTTP
    /// client (feature `http-client`).
    pub fn new(environment: impl Into<Environment>) -> Result<Self, AuthError> {
        Self::with_http_client(environment, default_http_client()?)
    }

    /// Introspects against `environment`'s API host through `http`.
    pub fn with_http_client(
        environment: impl Into<Environment>,
        http: SharedHttpClient,
    ) -> Result<Self, AuthError> {
        let environment = environment.into();
        let transport = Transport::builder()
            .environment(&environment)
            .shared_http_client(http)
            .build()
            .map_err(|e| transport_error(TOKENS_ME, e))?;
        Ok(Self { transport })
    }

    /// Introspects in the environment of `endpoint`, sharing its client.
    pub fn for_endpoint(endpoint: &TokenEndpoint) -> Result<Self, AuthError> {
        Self::with_http_client(
            endpoint.environment().clone(),
            endpoint.http_client().clone(),
        )
    }

    /// Introspects through an existing transport (its base URL must be the
    /// API host).
    pub fn from_transport(transport: Transport) -> Self {
        Self { transport }
    }

    /// Asks about `token`.
    pub async fn introspect(&self, token: &AccessToken) -> Result<TokenIntrospection, AuthError> {
        let info = match self.get(TOKENS_ME, token).await {
            Ok(info) => info,
            Err(Failure::Auth(error)) => return Err(error),
            Err(Failure::NotAUser) => {
                return Err(AuthError::UnexpectedResponse {
                    endpoint: Cow::Borrowed(TOKENS_ME),
                    status: 400,
                    reason: "the request failed [not.a.user]".into(),
                    excerpt: String::new(),
                });
            }
        };
        let client = info.get("OAuthClient");
        let text = |v: Option<&Value>, key: &str| -> Option<String> {
            v.and_then(|v| v.get(key))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let mut result = TokenIntrospection {
            principal: Principal::Unknown,
            client_id: text(client, "id"),
            client_name: text(client, "name"),
            grant_type: text(client, "authorizedGrantType"),
            scopes: info
                .get("authorizedScope")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                }),
            organization_id: text(info.get("organization"), "id"),
            organization_name: text(info.get("organization"), "name"),
            user_name: None,
        };
        let client_principal = || match &result.client_id {
            Some(id) => Principal::client(id),
            None => Principal::Unknown,
        };
        let grant = result.grant_type.as_deref().map(str::to_ascii_uppercase);
        if grant.as_deref() == Some("CLIENT-CREDENTIALS") && result.client_id.is_some() {
            result.principal = client_principal();
            return Ok(result);
        }
        result.principal = match self.get(USERS_ME, token).await {
            Ok(me) => {
                result.user_name = text(Some(&me), "name");
                match text(Some(&me), "id") {
                    Some(id) => Principal::user(id),
                    None => Principal::unknown_user(),
                }
            }
            Err(Failure::NotAUser) => client_principal(),
            Err(Failure::Auth(error)) => {
                let user_grant = matches!(
                    grant.as_deref(),
                    Some("CODE" | "TOKEN" | "SAML2-BEARER" | "PASSWORD")
                );
                if user_grant {
                    Principal::unknown_user()
                } else {
                    return Err(error);
                }
            }
        };
        Ok(result)
    }

    /// Introspects `token` and returns it with its principal (and scopes,
    /// when reported) filled in.
    pub async fn resolve(&self, token: AccessToken) -> Result<AccessToken, AuthError> {
        let info = self.introspect(&token).await?;
        let mut token = token.with_principal(info.principal);
        if let Some(scopes) = info.scopes {
            token = token.with_scopes(scopes);
        }
        Ok(token)
    }

    async fn get(&self, path: &'static str, token: &AccessToken) -> Result<Value, Failure> {
        let mut header = HeaderValue::from_str(token.bearer().expose_secret())
            .map_err(|_| AuthError::config("the access token cannot be sent in a header"))?;
        header.set_sensitive(true);
        let request = ApiRequest::new(Method::GET, path).with_header(AUTHORIZATION, header);
        let response = match self.transport.send(request).await {
            Ok(response) => response,
            Err(error) => {
                if let Some(api) = error.api_error() {
                    if api.status().as_u16() == 400 && api.code() == Some("not.a.user") {
                        return Err(Failure::NotAUser);
                    }
                    let status = api.status().as_u16();
                    let reason = if status == 401 {
                        "the token was rejected".to_owned()
                    } else {
                        format!("the request failed [{}]", api.code().unwrap_or("no code"))
                    };
                    return Err(Failure::Auth(AuthError::UnexpectedResponse {
                        endpoint: Cow::Borrowed(path),
                        status,
                        reason,
                        excerpt: scrub(api.message(), &[token.expose_secret()]),
                    }));
                }
                return Err(Failure::Auth(match error.into_kind() {
                    ErrorKind::Transport(e) => transport_error(path, e),
                    other => transport_error(path, TransportError::other(other.to_string())),
                }));
            }
        };
        let status = response.status().as_u16();
        match response.json::<Value>() {
            Ok(value @ Value::Object(_)) => Ok(value),
            _ => Err(Failure::Auth(AuthError::UnexpectedResponse {
                endpoint: Cow::Borrowed(path),
                status,
                reason: "the answer is not a JSON object".into(),
                excerpt: String::new(),
            })),
        }
    }
}

/// How a lookup failed.
enum Failure {
    /// 400 `not.a.user`.
    NotAUser,
    /// Anything else.
    Auth(AuthError),
}

impl From<AuthError> for Failure {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}
