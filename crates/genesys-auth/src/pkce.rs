//! PKCE ([`Pkce`], [`PkceVerifier`]) and the authorize-URL builder shared
//! with the authorization-code grant.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, Rng};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::endpoint::{TokenEndpoint, TokenRequest};
use crate::error::{AuthError, OAuthError, truncate_chars};
use crate::grants::{RefreshToken, user_tokens};

/// The characters RFC 7636 allows in a verifier (`unreserved`).
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// Length of generated verifiers (RFC 7636: 43 to 128).
const VERIFIER_LEN: usize = 64;

/// Length of generated `state` values (letters and digits only, so they
/// need no escaping).
const STATE_LEN: usize = 32;

/// The operating system-seeded CSPRNG used for verifiers and states.
fn csprng() -> impl CryptoRng + Rng {
    rand::rng()
}

/// `len` characters drawn uniformly from `alphabet` with the CSPRNG.
fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = csprng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A PKCE code verifier (RFC 7636): 43 to 128 characters from
/// `A-Z a-z 0-9 - . _ ~`, kept secret. Its S256 challenge goes into the
/// authorize URL; the verifier itself only to the token endpoint.
///
/// ```
/// use genesys_auth::PkceVerifier;
///
/// // The example of RFC 7636, appendix B.
/// let verifier = PkceVerifier::from_string("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
/// assert_eq!(verifier.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
///
/// let fresh = PkceVerifier::generate(); // 64 characters from a CSPRNG
/// assert_eq!(fresh.expose_secret().len(), 64);
/// assert!(!format!("{fresh:?}").contains(fresh.expose_secret()));
/// assert!(PkceVerifier::from_string("too-short").is_err());
/// ```
#[derive(Clone)]
pub struct PkceVerifier(SecretString);

impl PkceVerifier {
    /// A new random verifier of 64 characters, drawn from a
    /// cryptographically secure generator seeded by the operating system.
    pub fn generate() -> Self {
        Self(SecretString::from(random_string(UNRESERVED, VERIFIER_LEN)))
    }

    /// A verifier you stored earlier (e.g. between the redirect and the
    /// exchange in another process); checked against RFC 7636.
    pub fn from_string(verifier: impl Into<String>) -> Result<Self, AuthError> {
        let verifier = verifier.into();
        if !(43..=128).contains(&verifier.len()) {
            return Err(AuthError::config(
                "a PKCE code verifier must be 43 to 128 characters long",
            ));
        }
        if !verifier.bytes().all(|b| UNRESERVED.contains(&b)) {
            return Err(AuthError::config(
                "a PKCE code verifier may only contain A-Z a-z 0-9 - . _ ~",
            ));
        }
        Ok(Self(SecretString::from(verifier)))
    }

    /// The S256 challenge: base64url(SHA-256(verifier)) without padding.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.expose_secret().as_bytes()))
    }

    /// The verifier in clear text (to store it, or send it).
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([REDACTED])")
    }
}

/// Builds the URL that sends the user's browser to
/// `{login}/oauth/authorize`. Get one from [`Pkce::authorize`] or
/// [`AuthorizationCode::authorize`](crate::AuthorizationCode::authorize).
///
/// A random `state` (from a CSPRNG) is included unless you set one; check
/// it on the way back with
/// [`AuthorizationRequest::code_from_redirect`].
///
/// ```
/// # #[cfg(feature = "http-client")]
/// # fn demo() -> Result<(), genesys_auth::AuthError> {
/// use genesys_auth::{Pkce, Region, TokenEndpoint};
///
/// let pkce = Pkce::new(TokenEndpoint::new(Region::UsEast1)?, "client-id", "http://127.0.0.1:8085/cb");
/// let request = pkce.authorize().login_hint("ada@example.com").build();
/// assert!(request.url().starts_with("https://login.mypurecloud.com/oauth/authorize?"));
/// assert!(request.url().contains("code_challenge_method=S256"));
/// assert!(request.url().contains(&format!("state={}", request.state())));
/// # Ok(()) }
/// # #[cfg(feature = "http-client")]
/// # demo().unwrap();
/// ```
#[derive(Debug)]
#[must_use]
pub struct AuthorizeUrlBuilder {
    authorize_url: String,
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    verifier: Option<PkceVerifier>,
    login_hint: Option<String>,
    org_and_provider: Option<(String, String)>,
    target: Option<String>,
    prompt_login: bool,
}

impl AuthorizeUrlBuilder {
    pub(crate) fn new(
        endpoint: &TokenEndpoint,
        client_id: &str,
        redirect_uri: &str,
        verifier: Option<PkceVerifier>,
    ) -> Self {
        Self {
            authorize_url: format!("{}/oauth/authorize", endpoint.login_base_url()),
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: None,
            verifier,
            login_hint: None,
            org_and_provider: None,
            target: None,
            prompt_login: false,
        }
    }

    /// Uses this `state` instead of a random one.
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Pre-fills the login page with a user name (`login_hint`).
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// Logs in through an identity provider of an organization (`org` and
    /// `provider` go together).
    pub fn org_and_provider(mut self, org: impl Into<String>, provider: impl Into<String>) -> Self {
        self.org_and_provider = Some((org.into(), provider.into()));
        self
    }

    /// The organization id to log in to (`target`).
    pub fn target(mut self, org_id: impl Into<String>) -> Self {
        self.target = Some(org_id.into());
        self
    }

    /// Asks for the login page even when the user has a session
    /// (`prompt=login`).
    pub fn prompt_login(mut self) -> Self {
        self.prompt_login = true;
        self
    }

    /// Builds the request: the URL, its state and (for PKCE) the verifier.
    pub fn build(self) -> AuthorizationRequest {
        let state = self
            .state
            .unwrap_or_else(|| random_string(&UNRESERVED[..62], STATE_LEN));
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("response_type", "code");
        query.append_pair("client_id", &self.client_id);
        query.append_pair("redirect_uri", &self.redirect_uri);
        if let Some(verifier) = &self.verifier {
            query.append_pair("code_challenge", &verifier.challenge());
            query.append_pair("code_challenge_method", "S256");
        }
        query.append_pair("state", &state);
        if let Some(hint) = &self.login_hint {
            query.append_pair("login_hint", hint);
        }
        if let Some((org, provider)) = &self.org_and_provider {
            query.append_pair("org", org);
            query.append_pair("provider", provider);
        }
        if let Some(target) = &self.target {
            query.append_pair("target", target);
        }
        if self.prompt_login {
            query.append_pair("prompt", "login");
        }
        AuthorizationRequest {
            url: format!("{}?{}", self.authorize_url, query.finish()),
            state,
            verifier: self.verifier,
        }
    }
}

/// One browser login: the URL to open, the `state` to expect back and, for
/// PKCE, the verifier to send with the code.
///
/// ```
/// # #[cfg(feature = "http-client")]
/// # fn demo() -> Result<(), genesys_auth::AuthError> {
/// use genesys_auth::{ExposeSecret, Pkce, Region, TokenEndpoint};
///
/// let pkce = Pkce::new(TokenEndpoint::new(Region::UsEast1)?, "client-id", "http://127.0.0.1:8085/cb");
/// let request = pkce.authorize().state("xyz").build();
/// let code = request.code_from_redirect("http://127.0.0.1:8085/cb?code=abc&state=xyz")?;
/// assert_eq!(code.expose_secret(), "abc");
/// assert!(request.code_from_redirect("http://127.0.0.1:8085/cb?code=abc&state=forged").is_err());
/// # Ok(()) }
/// # #[cfg(feature = "http-client")]
/// # demo().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    url: String,
    state: String,
    verifier: Option<PkceVerifier>,
}

impl AuthorizationRequest {
    /// The URL to open in the user's browser.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `state` the redirect must carry back.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The PKCE verifier, for a PKCE request.
    pub fn verifier(&self) -> Option<&PkceVerifier> {
        self.verifier.as_ref()
    }

    /// Reads the authorization code from the redirect URL (or just its query
    /// string), after checking `state`. An `error` in the redirect becomes
    /// [`AuthError::OAuth`]; a missing or different `state`, or a missing
    /// code, becomes [`AuthError::Redirect`].
    pub fn code_from_redirect(&self, redirect: &str) -> Result<SecretString, AuthError> {
        let query = redirect
            .split_once('?')
            .map_or(redirect, |(_, q)| q)
            .split('#')
            .next()
            .unwrap_or("");
        let mut code = None;
        let mut state = None;
        let mut error = None;
        let mut description = None;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "code" => code = Some(SecretString::from(value.into_owned())),
                "state" => state = Some(value.into_owned()),
                "error" => error = Some(value.into_owned()),
                "error_description" => description = Some(value.into_owned()),
                _ => {}
            }
        }
        let state_ok = state.as_deref().is_some_and(|s| {
            s.len() == self.state.len()
                && s.bytes()
                    .zip(self.state.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if !state_ok {
            return Err(AuthError::Redirect {
                message: "the `state` does not match the authorization request".into(),
            });
        }
        if let Some(error) = error {
            return Err(AuthError::OAuth(OAuthError::new(
                302,
                &error,
                description.map(|d| truncate_chars(&d, 300)),
            )));
        }
        code.ok_or_else(|| AuthError::Redirect {
            message: "the redirect carries no `code`".into(),
        })
    }
}

/// The authorization-code grant with PKCE (RFC 7636, S256), for apps that
/// cannot keep a client secret (desktop, CLI, single-page).
///
/// 1. [`authorize`](Self::authorize) builds the URL to open, with a fresh
///    verifier (from a CSPRNG), its S256 challenge and a random `state`;
/// 2. the browser comes back to the redirect URI with `code` and `state`:
///    [`AuthorizationRequest::code_from_redirect`] checks the state and
///    reads the code;
/// 3. [`exchange`](Self::exchange) sends `grant_type=authorization_code`,
///    `code`, `code_verifier`, `client_id` and `redirect_uri` (no secret, no
///    Basic header, as the Python, JS and Java SDKs do) and returns a
///    [`RefreshToken`] source that starts with the obtained token and then
///    refreshes it. Its principal is a user.
///
/// ```no_run
/// # #[cfg(feature = "http-client")]
/// # async fn demo(redirect_url: &str) -> Result<(), genesys_auth::AuthError> {
/// use genesys_auth::{Pkce, Region, TokenEndpoint, TokenSource, TokenSourceExt};
///
/// let pkce = Pkce::new(TokenEndpoint::new(Region::UsEast1)?, "client-id", "http://127.0.0.1:8085/cb");
/// let request = pkce.authorize().build();
/// println!("open {}", request.url());
/// // ... the browser is redirected to `redirect_url` ...
/// let code = request.code_from_redirect(redirect_url)?;
/// let source = pkce.exchange(&request, code).await?.cached();
/// assert!(source.token().await?.principal().is_user());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Pkce {
    endpoint: TokenEndpoint,
    client_id: String,
    redirect_uri: String,
    client_secret: Option<SecretString>,
}

impl Pkce {
    /// PKCE for a public client.
    pub fn new(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            endpoint,
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            client_secret: None,
        }
    }

    /// Also authenticates the client with HTTP Basic, as the `gc` CLI does
    /// for its PKCE exchange.
    pub fn with_client_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Starts a login: an authorize-URL builder with a new verifier.
    pub fn authorize(&self) -> AuthorizeUrlBuilder {
        AuthorizeUrlBuilder::new(
            &self.endpoint,
            &self.client_id,
            &self.redirect_uri,
            Some(PkceVerifier::generate()),
        )
    }

    /// Exchanges the code for tokens, with the verifier of `request`.
    pub async fn exchange(
        &self,
        request: &AuthorizationRequest,
        code: impl Into<SecretString>,
    ) -> Result<RefreshToken, AuthError> {
        let verifier = request
            .verifier()
            .ok_or_else(|| AuthError::config("the authorization request has no PKCE verifier"))?;
        self.exchange_with_verifier(code, verifier).await
    }

    /// Exchanges the code for tokens with a verifier kept elsewhere.
    pub async fn exchange_with_verifier(
        &self,
        code: impl Into<SecretString>,
        verifier: &PkceVerifier,
    ) -> Result<RefreshToken, AuthError> {
        let code = code.into();
        let mut secrets = vec![code.expose_secret(), verifier.expose_secret()];
        if let Some(secret) = &self.client_secret {
            secrets.push(secret.expose_secret());
        }
        let granted = self
            .endpoint
            .request(TokenRequest {
                grant: "pkce",
                form: vec![
                    ("grant_type", "authorization_code"),
                    ("code", code.expose_secret()),
                    ("code_verifier", verifier.expose_secret()),
                    ("client_id", &self.client_id),
                    ("redirect_uri", &self.redirect_uri),
                ],
                basic: self
                    .client_secret
                    .as_ref()
                    .map(|secret| (self.client_id.as_str(), secret)),
                secrets,
                principal: crate::Principal::unknown_user(),
            })
            .await?;
        Ok(user_tokens(
            self.endpoint.clone(),
            self.client_id.clone(),
            self.client_secret.clone(),
            granted,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_verifiers_are_valid_and_distinct() {
        let a = PkceVerifier::generate();
        let b = PkceVerifier::generate();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(PkceVerifier::from_string(a.expose_secret()).is_ok());
        assert_eq!(a.challenge().len(), 43);
        assert!(!a.challenge().contains('='));
        assert!(PkceVerifier::from_string("a".repeat(129)).is_err());
        assert!(PkceVerifier::from_string(format!("{}!", "a".repeat(50))).is_err());
        assert!(PkceVerifier::from_string("a".repeat(43)).is_ok());
    }

    #[test]
    fn redirect_parsing() {
        let request = AuthorizationRequest {
            url: String::new(),
            state: "s1".into(),
            verifier: None,
        };
        assert_eq!(
            request
                .code_from_redirect("code=c%2B1&state=s1")
                .unwrap()
                .expose_secret(),
            "c+1"
        );
        assert!(matches!(
            request.code_from_redirect("http://x/cb?code=c"),
            Err(AuthError::Redirect { .. })
        ));
        assert!(matches!(
            request.code_from_redirect("http://x/cb?state=s1"),
            Err(AuthError::Redirect { .. })
        ));
        let err = request
            .code_from_redirect("http://x/cb?error=access_denied&error_description=nope&state=s1")
            .unwrap_err();
        assert_eq!(
            err.oauth_error().unwrap().code,
            crate::OAuthErrorCode::AccessDenied
        );
        assert!(request.code_from_redirect("").is_err());
        assert!(request.code_from_redirect("%%%?&&==#").is_err());
    }
}
