//! The OAuth grants that are token sources: client credentials,
//! authorization code, refresh token and SAML2 bearer. (PKCE is in
//! `pkce.rs`.)

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use crate::clock::Clock;
use crate::endpoint::{Granted, TokenEndpoint, TokenRequest};
use crate::error::AuthError;
use crate::pkce::AuthorizeUrlBuilder;
use crate::source::TokenSource;
use crate::token::{AccessToken, Principal};

/// The SAML2 bearer grant type.
const SAML2_BEARER: &str = "urn:ietf:params:oauth:grant-type:saml2-bearer";

/// The client-credentials grant: a service acting as its OAuth client, not
/// as a user.
///
/// Sends `grant_type=client_credentials` with HTTP Basic client
/// authentication (`base64(client_id:client_secret)`), as every official
/// SDK does. Every call to [`token`](TokenSource::token) makes a request:
/// wrap it in a [`CachingTokenSource`](crate::CachingTokenSource). The
/// principal is [`Principal::Client`] with the client id, so user-context
/// operations can be refused before they are sent.
///
/// ```no_run
/// # #[cfg(feature = "http-client")]
/// # async fn demo() -> Result<(), genesys_auth::AuthError> {
/// use genesys_auth::{ClientCredentials, Region, TokenEndpoint, TokenSource, TokenSourceExt};
///
/// let source = ClientCredentials::new(TokenEndpoint::new(Region::EuCentral1)?, "id", "secret").cached();
/// let token = source.token().await?;
/// assert_eq!(token.principal().client_id(), Some("id"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    endpoint: TokenEndpoint,
    client_id: String,
    client_secret: SecretString,
}

impl ClientCredentials {
    /// The grant for this client.
    pub fn new(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        Self {
            endpoint,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The token endpoint.
    pub fn endpoint(&self) -> &TokenEndpoint {
        &self.endpoint
    }
}

#[async_trait]
impl TokenSource for ClientCredentials {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        let granted = self
            .endpoint
            .request(TokenRequest {
                grant: "client_credentials",
                form: vec![("grant_type", "client_credentials")],
                basic: Some((&self.client_id, &self.client_secret)),
                secrets: vec![self.client_secret.expose_secret()],
                principal: Principal::client(&self.client_id),
            })
            .await?;
        Ok(granted.access)
    }
}

/// The authorization-code grant for a confidential client (one that keeps
/// a secret, such as a web server).
///
/// 1. [`authorize`](Self::authorize) builds the URL to send the user's
///    browser to, with a random `state`;
/// 2. the browser comes back to the redirect URI with `code` and `state`:
///    [`AuthorizationRequest::code_from_redirect`](crate::AuthorizationRequest::code_from_redirect)
///    checks the state and reads the code;
/// 3. [`exchange`](Self::exchange) sends `grant_type=authorization_code`,
///    `code` and `redirect_uri` with HTTP Basic client authentication, and
///    returns a [`RefreshToken`] source that starts with the obtained token
///    and refreshes it when it is due. The principal is a user.
///
/// ```no_run
/// # #[cfg(feature = "http-client")]
/// # async fn demo(redirect_url: &str) -> Result<(), genesys_auth::AuthError> {
/// use genesys_auth::{AuthorizationCode, Region, TokenEndpoint, TokenSource, TokenSourceExt};
///
/// let grant = AuthorizationCode::new(
///     TokenEndpoint::new(Region::UsEast1)?, "client-id", "client-secret", "https://app.example/cb",
/// );
/// let request = grant.authorize().build();
/// // ... redirect the browser to request.url(); it comes back to `redirect_url` ...
/// let code = request.code_from_redirect(redirect_url)?;
/// let source = grant.exchange(code).await?.cached();
/// assert!(source.token().await?.principal().is_user());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizationCode {
    endpoint: TokenEndpoint,
    client_id: String,
    client_secret: SecretString,
    redirect_uri: String,
}

impl AuthorizationCode {
    /// The grant for this client and redirect URI.
    pub fn new(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            endpoint,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Starts a login: a builder for the authorize URL.
    pub fn authorize(&self) -> AuthorizeUrlBuilder {
        AuthorizeUrlBuilder::new(&self.endpoint, &self.client_id, &self.redirect_uri, None)
    }

    /// Exchanges an authorization code for tokens.
    pub async fn exchange(&self, code: impl Into<SecretString>) -> Result<RefreshToken, AuthError> {
        let code = code.into();
        let granted = self
            .endpoint
            .request(TokenRequest {
                grant: "authorization_code",
                form: vec![
                    ("grant_type", "authorization_code"),
                    ("code", code.expose_secret()),
                    ("redirect_uri", &self.redirect_uri),
                ],
                basic: Some((&self.client_id, &self.client_secret)),
                secrets: vec![code.expose_secret(), self.client_secret.expose_secret()],
                principal: Principal::unknown_user(),
            })
            .await?;
        Ok(user_tokens(
            self.endpoint.clone(),
            self.client_id.clone(),
            Some(self.client_secret.clone()),
            granted,
        ))
    }
}

/// Turns the answer of a code exchange into a refreshing source.
pub(crate) fn user_tokens(
    endpoint: TokenEndpoint,
    client_id: String,
    client_secret: Option<SecretString>,
    granted: Granted,
) -> RefreshToken {
    RefreshToken {
        endpoint,
        client_id,
        client_secret,
        state: Mutex::new(RefreshState {
            refresh_token: granted.refresh_token,
            initial: Some(granted.access),
        }),
        serial: tokio::sync::Mutex::new(()),
        on_rotation: None,
    }
}

/// Called with each new refresh token.
type RotationHook = Arc<dyn Fn(&SecretString) + Send + Sync>;

/// The refresh-token grant: keeps a user logged in.
///
/// Sends `grant_type=refresh_token` and the current refresh token (with
/// HTTP Basic client authentication for a confidential client, or
/// `client_id` in the form for a public PKCE client). Genesys Cloud
/// **rotates** refresh tokens: each answer carries a new one, which replaces
/// the old one here (the old one is spent). Register
/// [`on_rotation`](Self::on_rotation) to persist it; read it with
/// [`refresh_token`](Self::refresh_token).
///
/// A source created by a code exchange first hands out the token the
/// exchange returned (while it is valid), then refreshes. Requests are
/// serialized, so a refresh token is never sent twice; wrap the source in a
/// [`CachingTokenSource`](crate::CachingTokenSource) so a refresh happens
/// only when a token is due. The principal is a user.
///
/// ```no_run
/// # #[cfg(feature = "http-client")]
/// # async fn demo() -> Result<(), genesys_auth::AuthError> {
/// use genesys_auth::{ExposeSecret, RefreshToken, Region, TokenEndpoint, TokenSource, TokenSourceExt};
///
/// let stored = std::fs::read_to_string("refresh-token").unwrap();
/// let source = RefreshToken::new(TokenEndpoint::new(Region::UsEast1)?, "id", "secret", stored)
///     .on_rotation(|new| std::fs::write("refresh-token", new.expose_secret()).unwrap())
///     .cached();
/// let token = source.token().await?;
/// # let _ = token;
/// # Ok(()) }
/// ```
pub struct RefreshToken {
    endpoint: TokenEndpoint,
    client_id: String,
    client_secret: Option<SecretString>,
    state: Mutex<RefreshState>,
    serial: tokio::sync::Mutex<()>,
    on_rotation: Option<RotationHook>,
}

struct RefreshState {
    refresh_token: Option<SecretString>,
    initial: Option<AccessToken>,
}

impl RefreshToken {
    /// A confidential client's refresh token.
    pub fn new(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        refresh_token: impl Into<SecretString>,
    ) -> Self {
        Self::with_parts(
            endpoint,
            client_id.into(),
            Some(client_secret.into()),
            refresh_token.into(),
        )
    }

    /// A public (PKCE) client's refresh token: `client_id` is sent in the
    /// form and no secret.
    pub fn public(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        refresh_token: impl Into<SecretString>,
    ) -> Self {
        Self::with_parts(endpoint, client_id.into(), None, refresh_token.into())
    }

    fn with_parts(
        endpoint: TokenEndpoint,
        client_id: String,
        client_secret: Option<SecretString>,
        refresh_token: SecretString,
    ) -> Self {
        Self {
            endpoint,
            client_id,
            client_secret,
            state: Mutex::new(RefreshState {
                refresh_token: Some(refresh_token),
                initial: None,
            }),
            serial: tokio::sync::Mutex::new(()),
            on_rotation: None,
        }
    }

    /// Hands out `token` first (while it is valid), refreshing only after.
    pub fn with_initial_token(self, token: AccessToken) -> Self {
        self.lock().initial = Some(token);
        self
    }

    /// Calls `hook` with every new refresh token (e.g. to store it).
    pub fn on_rotation(mut self, hook: impl Fn(&SecretString) + Send + Sync + 'static) -> Self {
        self.on_rotation = Some(Arc::new(hook));
        self
    }

    /// The current refresh token, if the server issued one.
    pub fn refresh_token(&self) -> Option<SecretString> {
        self.lock().refresh_token.clone()
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RefreshState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("RefreshToken")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("confidential", &self.client_secret.is_some())
            .field("has_refresh_token", &state.refresh_token.is_some())
            .field("initial_token", &state.initial)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenSource for RefreshToken {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        let _serial = self.serial.lock().await;
        let refresh_token = {
            let mut state = self.lock();
            if let Some(initial) = state.initial.take()
                && !initial.is_expired(self.endpoint.clock().now())
            {
                return Ok(initial);
            }
            state.refresh_token.clone()
        };
        let Some(refresh_token) = refresh_token else {
            return Err(AuthError::Source {
                message: "the login returned no refresh token, so the expired token cannot be \
                          renewed; the user must log in again"
                    .into(),
                transient: false,
                source: None,
            });
        };
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
        ];
        if self.client_secret.is_none() {
            form.push(("client_id", &self.client_id));
        }
        let mut secrets = vec![refresh_token.expose_secret()];
        if let Some(secret) = &self.client_secret {
            secrets.push(secret.expose_secret());
        }
        let granted = self
            .endpoint
            .request(TokenRequest {
                grant: "refresh_token",
                form,
                basic: self
                    .client_secret
                    .as_ref()
                    .map(|secret| (self.client_id.as_str(), secret)),
                secrets,
                principal: Principal::unknown_user(),
            })
            .await?;
        if let Some(rotated) = granted.refresh_token {
            self.lock().refresh_token = Some(rotated.clone());
            tracing::debug!("the refresh token was rotated");
            if let Some(hook) = &self.on_rotation {
                hook(&rotated);
            }
        }
        Ok(granted.access)
    }

    fn invalidate(&self, rejected: &AccessToken) {
        let mut state = self.lock();
        if state
            .initial
            .as_ref()
            .is_some_and(|t| t.same_secret(rejected))
        {
            state.initial = None;
        }
    }
}

/// The SAML2 bearer grant: exchanges a SAML assertion from your identity
/// provider for a user token.
///
/// Sends `grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer`,
/// `orgName` and `assertion` (base64) with HTTP Basic client
/// authentication. The assertion can be swapped for a fresh one with
/// [`set_assertion`](Self::set_assertion). The principal is a user.
///
/// ```no_run
/// # #[cfg(feature = "http-client")]
/// # async fn demo(assertion: String) -> Result<(), genesys_auth::AuthError> {
/// use genesys_auth::{Region, Saml2Bearer, TokenEndpoint, TokenSource, TokenSourceExt};
///
/// let source = Saml2Bearer::new(TokenEndpoint::new(Region::UsEast1)?, "id", "secret", "my-org", assertion)
///     .cached();
/// assert!(source.token().await?.principal().is_user());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Saml2Bearer {
    endpoint: TokenEndpoint,
    client_id: String,
    client_secret: SecretString,
    org_name: String,
    assertion: Mutex<SecretString>,
}

impl Saml2Bearer {
    /// The grant for this client, organization name and assertion.
    pub fn new(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        org_name: impl Into<String>,
        assertion: impl Into<SecretString>,
    ) -> Self {
        Self {
            endpoint,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            org_name: org_name.into(),
            assertion: Mutex::new(assertion.into()),
        }
    }

    /// Replaces the assertion (e.g. with a fresh one from the identity
    /// provider once the old one expires).
    pub fn set_assertion(&self, assertion: impl Into<SecretString>) {
        *self
            .assertion
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = assertion.into();
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

#[async_trait]
impl TokenSource for Saml2Bearer {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        let assertion = self
            .assertion
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let granted = self
            .endpoint
            .request(TokenRequest {
                grant: "saml2_bearer",
                form: vec![
                    ("grant_type", SAML2_BEARER),
                    ("orgName", &self.org_name),
                    ("assertion", assertion.expose_secret()),
                ],
                basic: Some((&self.client_id, &self.client_secret)),
                secrets: vec![
                    assertion.expose_secret(),
                    self.client_secret.expose_secret(),
                ],
                principal: Principal::unknown_user(),
            })
            .await?;
        Ok(granted.access)
    }
}
