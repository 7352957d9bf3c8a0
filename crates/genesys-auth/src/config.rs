//! [`AuthConfig`]: credentials from the `GENESYSCLOUD_*` environment
//! variables and the `gc` CLI's `~/.gc/config.toml` profiles.

use std::fmt;
use std::path::{Path, PathBuf};

use genesys_transport::Environment;
use secrecy::{ExposeSecret, SecretString};

use crate::endpoint::TokenEndpoint;
use crate::error::AuthError;
use crate::grants::ClientCredentials;
use crate::source::SharedTokenSource;
use crate::token::AccessToken;

/// `GENESYSCLOUD_REGION`: a region key (`eu-west-1`), a domain
/// (`mypurecloud.ie`) or, for an emulator, a loopback URL.
pub const ENV_REGION: &str = "GENESYSCLOUD_REGION";
/// `GENESYSCLOUD_OAUTHCLIENT_ID`: the OAuth client id.
pub const ENV_CLIENT_ID: &str = "GENESYSCLOUD_OAUTHCLIENT_ID";
/// `GENESYSCLOUD_OAUTHCLIENT_SECRET`: the OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "GENESYSCLOUD_OAUTHCLIENT_SECRET";
/// `GENESYSCLOUD_ACCESS_TOKEN`: a ready access token.
pub const ENV_ACCESS_TOKEN: &str = "GENESYSCLOUD_ACCESS_TOKEN";
/// `GENESYSCLOUD_API_REGION`: an API base URL (used by Genesys blueprint
/// scripts); read only when `GENESYSCLOUD_REGION` is not set.
const ENV_API_REGION: &str = "GENESYSCLOUD_API_REGION";

/// The `gc` CLI's default profile name.
const DEFAULT_PROFILE: &str = "DEFAULT";

/// Which credentials an [`AuthConfig`] holds, in the order they are
/// preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialKind {
    /// A ready access token (`GENESYSCLOUD_ACCESS_TOKEN`, profile
    /// `access_token`): used as a static token.
    AccessToken,
    /// A client id and secret: the client-credentials grant.
    ClientCredentials,
    /// Nothing usable.
    None,
}

/// Credentials and environment as Genesys Cloud users already configure
/// them, for the `gc` CLI, the Terraform provider and the blueprint scripts.
///
/// # Sources and precedence
///
/// - **Environment variables** ([`from_env`](Self::from_env)):
///   [`GENESYSCLOUD_REGION`](ENV_REGION),
///   [`GENESYSCLOUD_OAUTHCLIENT_ID`](ENV_CLIENT_ID),
///   [`GENESYSCLOUD_OAUTHCLIENT_SECRET`](ENV_CLIENT_SECRET),
///   [`GENESYSCLOUD_ACCESS_TOKEN`](ENV_ACCESS_TOKEN) (and
///   `GENESYSCLOUD_API_REGION`, an API base URL, when `GENESYSCLOUD_REGION`
///   is not set).
/// - **`gc` CLI profiles** ([`from_gc_profile`](Self::from_gc_profile)):
///   a table of `~/.gc/config.toml` (default `[DEFAULT]`) with the keys
///   `environment`, `client_credentials` (the client **id**, as the CLI names
///   it), `client_secret`, `access_token` and `grant_type`.
/// - As in the CLI, environment variables win over the profile
///   ([`from_env_and_profile`](Self::from_env_and_profile)). Credentials
///   are taken as a unit: if the environment names an access token or a
///   client id, the profile's credentials are not mixed in (except the
///   profile's secret for the same client id).
///
/// # Which grant
///
/// An access token wins (a static token, [`Principal::Unknown`](crate::Principal::Unknown)
/// until [introspected](crate::Introspector)); otherwise a client id and
/// secret give [`ClientCredentials`]. A profile for a browser login
/// (`grant_type` 2, implicit, or 3, PKCE) without an access token is
/// reported as an error: use [`Pkce`](crate::Pkce) for interactive logins.
///
/// ```
/// use genesys_auth::{AuthConfig, CredentialKind};
///
/// let env = |name: &str| match name {
///     "GENESYSCLOUD_REGION" => Some("eu-west-1".to_owned()),
///     "GENESYSCLOUD_OAUTHCLIENT_ID" => Some("my-client".to_owned()),
///     "GENESYSCLOUD_OAUTHCLIENT_SECRET" => Some("my-secret".to_owned()),
///     _ => None,
/// };
/// let config = AuthConfig::from_lookup(env)?;
/// assert_eq!(config.credential_kind(), CredentialKind::ClientCredentials);
/// assert_eq!(config.environment().login_base_url().as_str(), "https://login.mypurecloud.ie");
/// assert!(!format!("{config:?}").contains("my-secret"));
///
/// let profile = AuthConfig::from_gc_toml(r#"
///     [DEFAULT]
///     environment = "mypurecloud.de"
///     client_credentials = "profile-client"
///     client_secret = "profile-secret"
/// "#, "DEFAULT")?;
/// let merged = profile.overridden_by(AuthConfig::from_lookup(|_| None)?);
/// assert_eq!(merged.client_id(), Some("profile-client"));
/// # Ok::<(), genesys_auth::AuthError>(())
/// ```
#[derive(Clone, Default)]
pub struct AuthConfig {
    environment: Option<Environment>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    access_token: Option<SecretString>,
    grant_type: Option<String>,
    origin: Option<String>,
    proxy: Option<ProfileProxy>,
}

/// The HTTP proxy a `gc` CLI profile names (keys `proxy_protocol`,
/// `proxy_host`, `proxy_port`, `proxy_username`, `proxy_password`;
/// `proxy_pathparams` is not used). The password is never printed.
///
/// ```
/// use genesys_auth::AuthConfig;
///
/// let config = AuthConfig::from_gc_toml(r#"
///     [DEFAULT]
///     environment = "mypurecloud.ie"
///     proxy_host = "proxy.corp.example"
///     proxy_port = 3128
///     proxy_username = "svc"
///     proxy_password = "s3cret"
/// "#, "DEFAULT")?;
/// let proxy = config.proxy().expect("a proxy");
/// assert_eq!(proxy.url(), "http://proxy.corp.example:3128");
/// assert_eq!(proxy.username(), Some("svc"));
/// assert!(!format!("{config:?}").contains("s3cret"));
/// # Ok::<(), genesys_auth::AuthError>(())
/// ```
#[derive(Clone)]
pub struct ProfileProxy {
    url: String,
    username: Option<String>,
    password: Option<SecretString>,
}

impl ProfileProxy {
    /// `protocol://host[:port]` (protocol `http` unless the profile says
    /// otherwise), without credentials.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The proxy user, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The proxy password, if any.
    pub fn password(&self) -> Option<&SecretString> {
        self.password.as_ref()
    }

    /// The transport's [`Proxy`](genesys_transport::Proxy) for this profile
    /// proxy, with its basic credentials when the profile has both a user
    /// and a password (feature `http-client`).
    ///
    /// ```
    /// use genesys_auth::AuthConfig;
    ///
    /// let config = AuthConfig::from_gc_toml(r#"
    ///     [DEFAULT]
    ///     proxy_host = "proxy.corp.example"
    ///     proxy_port = 3128
    ///     proxy_username = "svc"
    ///     proxy_password = "s3cret"
    /// "#, "DEFAULT")?;
    /// let proxy = config.proxy().expect("a proxy").to_proxy().expect("a usable URL");
    /// assert!(proxy.has_credentials());
    /// assert!(!format!("{proxy:?}").contains("s3cret"));
    /// # Ok::<(), genesys_auth::AuthError>(())
    /// ```
    ///
    /// # Errors
    /// The profile's protocol, host or port do not make a usable proxy URL.
    #[cfg(feature = "http-client")]
    pub fn to_proxy(&self) -> Result<genesys_transport::Proxy, genesys_transport::TransportError> {
        let proxy = genesys_transport::Proxy::new(&self.url)?;
        Ok(match (&self.username, &self.password) {
            (Some(user), Some(password)) => proxy.basic_auth(user, password.clone()),
            _ => proxy,
        })
    }
}

impl fmt::Debug for ProfileProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileProxy")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("environment", &self.environment)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("grant_type", &self.grant_type)
            .field("origin", &self.origin)
            .field("proxy", &self.proxy)
            .finish()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn parse_environment(value: &str, origin: &str) -> Result<Environment, AuthError> {
    value
        .parse::<Environment>()
        .map_err(|e| AuthError::config(format!("{origin}: {e}")))
}

impl AuthConfig {
    /// An empty configuration (no environment, no credentials).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the `GENESYSCLOUD_*` environment variables.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through
    /// `lookup` (for tests, or another source of settings).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, AuthError> {
        let environment = match non_empty(lookup(ENV_REGION)) {
            Some(region) => Some(parse_environment(&region, ENV_REGION)?),
            None => match non_empty(lookup(ENV_API_REGION)) {
                Some(url) => Some(parse_environment(&url, ENV_API_REGION)?),
                None => None,
            },
        };
        Ok(Self {
            environment,
            client_id: non_empty(lookup(ENV_CLIENT_ID)),
            client_secret: non_empty(lookup(ENV_CLIENT_SECRET)).map(SecretString::from),
            access_token: non_empty(lookup(ENV_ACCESS_TOKEN)).map(SecretString::from),
            grant_type: None,
            origin: Some("environment variables".into()),
            proxy: None,
        })
    }

    /// Where the `gc` CLI keeps its profiles: `$HOME/.gc/config.toml`
    /// (`%USERPROFILE%` on Windows), if a home directory is known.
    pub fn default_gc_config_path() -> Option<PathBuf> {
        Self::gc_config_path_from(|name| std::env::var_os(name).map(PathBuf::from))
    }

    fn gc_config_path_from(lookup: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
        ["HOME", "USERPROFILE"]
            .iter()
            .find_map(|name| lookup(name).filter(|p| !p.as_os_str().is_empty()))
            .map(|home| home.join(".gc").join("config.toml"))
    }

    /// Reads profile `profile` of a `gc` config file.
    pub fn from_gc_profile(path: impl AsRef<Path>, profile: &str) -> Result<Self, AuthError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| AuthError::config(format!("cannot read {}: {e}", path.display())))?;
        Self::parse_gc(&text, profile, &path.display().to_string())
    }

    /// Reads profile `profile` from the text of a `gc` config file.
    pub fn from_gc_toml(text: &str, profile: &str) -> Result<Self, AuthError> {
        Self::parse_gc(text, profile, "gc config")
    }

    fn parse_gc(text: &str, profile: &str, file: &str) -> Result<Self, AuthError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            // The parser's message may quote the offending line, which can
            // hold a secret: report only where it is.
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            AuthError::config(match line {
                Some(line) => format!("{file} is not valid TOML (line {line})"),
                None => format!("{file} is not valid TOML"),
            })
        })?;
        let section = table
            .get(profile)
            .or_else(|| {
                table
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(profile))
                    .map(|(_, v)| v)
            })
            .and_then(toml::Value::as_table)
            .ok_or_else(|| AuthError::config(format!("{file} has no profile `[{profile}]`")))?;
        let get = |key: &str| -> Option<String> {
            let value = section.get(key).or_else(|| {
                section
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            })?;
            match value {
                toml::Value::String(s) => non_empty(Some(s.clone())),
                toml::Value::Integer(i) => Some(i.to_string()),
                _ => None,
            }
        };
        let origin = format!("profile `{profile}` of {file}");
        let environment = match get("environment") {
            Some(env) => Some(parse_environment(&env, &origin)?),
            None => None,
        };
        let proxy = get("proxy_host").map(|host| {
            let protocol = get("proxy_protocol").unwrap_or_else(|| "http".to_owned());
            let protocol = protocol.trim_end_matches("://").to_ascii_lowercase();
            // The CLI's convention for "no port" is an empty value or -1.
            let url = match get("proxy_port").filter(|p| p != "-1" && p != "0") {
                Some(port) => format!("{protocol}://{host}:{port}"),
                None => format!("{protocol}://{host}"),
            };
            ProfileProxy {
                url,
                username: get("proxy_username"),
                password: get("proxy_password").map(SecretString::from),
            }
        });
        Ok(Self {
            environment,
            client_id: get("client_credentials"),
            client_secret: get("client_secret").map(SecretString::from),
            access_token: get("access_token").map(SecretString::from),
            grant_type: get("grant_type"),
            origin: Some(origin),
            proxy,
        })
    }

    /// The `gc` profile (`profile`, default `DEFAULT`, from
    /// `~/.gc/config.toml`) overridden by the environment variables, as the
    /// CLI does. A missing config file is fine unless a profile was named.
    pub fn from_env_and_profile(profile: Option<&str>) -> Result<Self, AuthError> {
        Self::from_sources(
            |name| std::env::var(name).ok(),
            Self::default_gc_config_path().as_deref(),
            profile,
        )
    }

    /// Like [`from_env_and_profile`](Self::from_env_and_profile) with the
    /// variables read through `lookup` and the config file at `gc_config`.
    pub fn from_sources(
        lookup: impl Fn(&str) -> Option<String>,
        gc_config: Option<&Path>,
        profile: Option<&str>,
    ) -> Result<Self, AuthError> {
        let env = Self::from_lookup(lookup)?;
        let base = match (gc_config, profile) {
            (Some(path), Some(name)) => Self::from_gc_profile(path, name)?,
            (Some(path), None) if path.exists() => {
                match Self::from_gc_profile(path, DEFAULT_PROFILE) {
                    Ok(config) => config,
                    // No [DEFAULT] profile: the environment alone decides.
                    Err(_) if !env.is_empty() => Self::default(),
                    Err(e) => return Err(e),
                }
            }
            (None, Some(name)) => {
                return Err(AuthError::config(format!(
                    "profile `{name}` was asked for, but no gc config file was found"
                )));
            }
            _ => Self::default(),
        };
        Ok(base.overridden_by(env))
    }

    fn is_empty(&self) -> bool {
        self.environment.is_none()
            && self.client_id.is_none()
            && self.client_secret.is_none()
            && self.access_token.is_none()
    }

    /// This configuration with `over`'s settings taking precedence: its
    /// environment if set, and its credentials as a unit (see the type's
    /// docs).
    pub fn overridden_by(self, over: AuthConfig) -> AuthConfig {
        let environment = over.environment.or(self.environment);
        let proxy = over.proxy.or(self.proxy);
        let (client_id, client_secret, access_token, grant_type, origin) =
            if over.access_token.is_some() {
                (
                    over.client_id,
                    over.client_secret,
                    over.access_token,
                    over.grant_type,
                    over.origin,
                )
            } else if let Some(id) = over.client_id {
                let secret = over.client_secret.or_else(|| {
                    (self.client_id.as_deref() == Some(id.as_str()))
                        .then_some(self.client_secret)
                        .flatten()
                });
                (Some(id), secret, None, over.grant_type, over.origin)
            } else {
                (
                    self.client_id,
                    over.client_secret.or(self.client_secret),
                    self.access_token,
                    self.grant_type,
                    self.origin,
                )
            };
        AuthConfig {
            environment,
            client_id,
            client_secret,
            access_token,
            grant_type,
            origin,
            proxy,
        }
    }

    /// The HTTP proxy of the `gc` profile, if it names one (see
    /// [`ProfileProxy`]). `genesys_cloud::ClientBuilder::credentials`
    /// applies it unless the client is given a proxy explicitly.
    pub fn proxy(&self) -> Option<&ProfileProxy> {
        self.proxy.as_ref()
    }

    /// Sets the environment.
    pub fn with_environment(mut self, environment: impl Into<Environment>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// Sets client credentials (and drops an access token).
    pub fn with_client_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        self.client_id = Some(client_id.into());
        self.client_secret = Some(client_secret.into());
        self.access_token = None;
        self
    }

    /// Sets an access token (preferred over client credentials).
    pub fn with_access_token(mut self, token: impl Into<SecretString>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// The environment (default `us-east-1`, as in every SDK).
    pub fn environment(&self) -> Environment {
        self.environment.clone().unwrap_or_default()
    }

    /// The environment, if one was configured.
    pub fn configured_environment(&self) -> Option<&Environment> {
        self.environment.as_ref()
    }

    /// The OAuth client id, if configured.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Which credentials will be used.
    pub fn credential_kind(&self) -> CredentialKind {
        if self.access_token.is_some() {
            CredentialKind::AccessToken
        } else if self.client_id.is_some() && self.client_secret.is_some() {
            CredentialKind::ClientCredentials
        } else {
            CredentialKind::None
        }
    }

    /// A token endpoint for the configured environment with the default
    /// HTTP client (feature `http-client`).
    pub fn token_endpoint(&self) -> Result<TokenEndpoint, AuthError> {
        TokenEndpoint::new(self.environment())
    }

    /// The token source these settings describe, with the default HTTP
    /// client (feature `http-client`). It is not cached: wrap it with
    /// [`cached`](crate::TokenSourceExt::cached) (the SDK client does).
    pub fn token_source(&self) -> Result<SharedTokenSource, AuthError> {
        self.check()?;
        match self.credential_kind() {
            CredentialKind::AccessToken => self.static_token(),
            _ => self.token_source_with(self.token_endpoint()?),
        }
    }

    fn static_token(&self) -> Result<SharedTokenSource, AuthError> {
        self.access_token
            .clone()
            .map(|secret| SharedTokenSource::new(AccessToken::from_secret(secret)))
            .ok_or_else(|| self.missing())
    }

    /// The token source these settings describe, sending through `endpoint`
    /// (whose environment is used, not this configuration's).
    pub fn token_source_with(
        &self,
        endpoint: TokenEndpoint,
    ) -> Result<SharedTokenSource, AuthError> {
        self.check()?;
        match self.credential_kind() {
            CredentialKind::AccessToken => self.static_token(),
            CredentialKind::ClientCredentials => {
                match (self.client_id.clone(), self.client_secret.clone()) {
                    (Some(id), Some(secret)) => Ok(SharedTokenSource::new(ClientCredentials::new(
                        endpoint, id, secret,
                    ))),
                    _ => Err(self.missing()),
                }
            }
            CredentialKind::None => Err(self.missing()),
        }
    }

    fn check(&self) -> Result<(), AuthError> {
        if self.access_token.is_none()
            && let Some(grant) = self.grant_type.as_deref()
            && matches!(grant, "2" | "3")
        {
            let origin = self.origin.as_deref().unwrap_or("the configuration");
            let kind = if grant == "2" { "implicit" } else { "PKCE" };
            return Err(AuthError::config(format!(
                "{origin} uses a browser login ({kind} grant) and holds no access token; \
                 log in with `Pkce`, or set {ENV_ACCESS_TOKEN}"
            )));
        }
        if let Some(token) = &self.access_token
            && token.expose_secret().chars().any(char::is_whitespace)
        {
            return Err(AuthError::config("the access token contains whitespace"));
        }
        Ok(())
    }

    fn missing(&self) -> AuthError {
        let origin = self.origin.as_deref().unwrap_or("the configuration");
        let message = match (&self.client_id, &self.client_secret) {
            (Some(_), None) => format!(
                "{origin}: a client id is set but no client secret ({ENV_CLIENT_SECRET} or \
                 `client_secret`)"
            ),
            (None, Some(_)) => format!(
                "{origin}: a client secret is set but no client id ({ENV_CLIENT_ID} or \
                 `client_credentials`)"
            ),
            _ => format!(
                "no credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or \
                 {ENV_ACCESS_TOKEN}, or create a gc CLI profile"
            ),
        };
        AuthError::config(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Region;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn environment_variables() {
        let c = AuthConfig::from_lookup(lookup(&[
            (ENV_REGION, "us_west_2"),
            (ENV_CLIENT_ID, " id "),
            (ENV_CLIENT_SECRET, "SENTINEL-SECRET"),
        ]))
        .unwrap();
        assert_eq!(c.environment().region(), Some(Region::UsWest2));
        assert_eq!(c.client_id(), Some("id"));
        assert_eq!(c.credential_kind(), CredentialKind::ClientCredentials);
        assert!(!format!("{c:?}").contains("SENTINEL"));

        let c = AuthConfig::from_lookup(lookup(&[
            (ENV_ACCESS_TOKEN, "tok"),
            (ENV_CLIENT_ID, "id"),
            (ENV_CLIENT_SECRET, "s"),
            (ENV_API_REGION, "https://api.mypurecloud.jp"),
        ]))
        .unwrap();
        assert_eq!(c.credential_kind(), CredentialKind::AccessToken);
        assert_eq!(c.environment().region(), Some(Region::ApNortheast1));

        let c = AuthConfig::from_lookup(lookup(&[(ENV_REGION, "")])).unwrap();
        assert!(c.configured_environment().is_none());
        assert_eq!(c.environment().region(), Some(Region::UsEast1));
        assert_eq!(c.credential_kind(), CredentialKind::None);
        let err = c.token_source_with(dummy_endpoint()).unwrap_err();
        assert!(err.to_string().contains(ENV_CLIENT_ID), "{err}");

        let err = AuthConfig::from_lookup(lookup(&[(ENV_REGION, "mars-north-7")])).unwrap_err();
        assert!(err.to_string().contains(ENV_REGION));
    }

    /// A client that is never called.
    #[derive(Debug)]
    struct Unused;

    impl genesys_transport::HttpClient for Unused {
        fn send(
            &self,
            _: http::Request<bytes::Bytes>,
        ) -> genesys_transport::BoxFuture<
            '_,
            Result<http::Response<bytes::Bytes>, genesys_transport::TransportError>,
        > {
            unreachable!("no request expected")
        }
    }

    fn dummy_endpoint() -> TokenEndpoint {
        TokenEndpoint::builder()
            .http_client(Unused)
            .build()
            .unwrap()
    }

    const FILE: &str = r#"
[DEFAULT]
environment = "mypurecloud.ie"
client_credentials = "default-client"
client_secret = "SENTINEL-PROFILE-SECRET"
grant_type = "1"

[pkce]
environment = "localhost:8080"
client_credentials = "pkce-client"
grant_type = "3"
redirect_uri = "http://localhost:8080"

[token]
ENVIRONMENT = "eu-central-1"
access_token = "profile-token"
grant_type = 0
"#;

    #[test]
    fn gc_profiles() {
        let c = AuthConfig::from_gc_toml(FILE, "DEFAULT").unwrap();
        assert_eq!(c.environment().region(), Some(Region::EuWest1));
        assert_eq!(c.client_id(), Some("default-client"));
        assert_eq!(c.credential_kind(), CredentialKind::ClientCredentials);
        assert!(c.token_source_with(dummy_endpoint()).is_ok());

        let c = AuthConfig::from_gc_toml(FILE, "pkce").unwrap();
        assert_eq!(
            c.environment().api_base_url().as_str(),
            "http://localhost:8080"
        );
        let err = c.token_source_with(dummy_endpoint()).unwrap_err();
        assert!(err.to_string().contains("PKCE"), "{err}");

        let c = AuthConfig::from_gc_toml(FILE, "TOKEN").unwrap();
        assert_eq!(c.credential_kind(), CredentialKind::AccessToken);
        assert_eq!(c.environment().region(), Some(Region::EuCentral1));

        let err = AuthConfig::from_gc_toml(FILE, "nope").unwrap_err();
        assert!(err.to_string().contains("[nope]"));
        let err =
            AuthConfig::from_gc_toml("[DEFAULT]\nclient_secret = \"SENTINEL-BROKEN\n", "DEFAULT")
                .unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("SENTINEL"), "{text}");
        assert!(text.contains("line 2"), "{text}");
    }

    #[test]
    fn environment_overrides_profile() {
        let profile = AuthConfig::from_gc_toml(FILE, "DEFAULT").unwrap();
        // Only a region in the environment: profile credentials stay.
        let merged = profile
            .clone()
            .overridden_by(AuthConfig::from_lookup(lookup(&[(ENV_REGION, "ap-south-1")])).unwrap());
        assert_eq!(merged.environment().region(), Some(Region::ApSouth1));
        assert_eq!(merged.client_id(), Some("default-client"));
        assert_eq!(merged.credential_kind(), CredentialKind::ClientCredentials);
        // An access token in the environment replaces profile credentials.
        let merged = profile
            .clone()
            .overridden_by(AuthConfig::from_lookup(lookup(&[(ENV_ACCESS_TOKEN, "t")])).unwrap());
        assert_eq!(merged.credential_kind(), CredentialKind::AccessToken);
        assert_eq!(merged.environment().region(), Some(Region::EuWest1));
        // Another client id without a secret does not borrow the profile's.
        let merged = profile
            .clone()
            .overridden_by(AuthConfig::from_lookup(lookup(&[(ENV_CLIENT_ID, "other")])).unwrap());
        assert_eq!(merged.credential_kind(), CredentialKind::None);
        assert!(
            merged
                .token_source_with(dummy_endpoint())
                .unwrap_err()
                .to_string()
                .contains("no client secret")
        );
        // The same client id does.
        let merged = profile.overridden_by(
            AuthConfig::from_lookup(lookup(&[(ENV_CLIENT_ID, "default-client")])).unwrap(),
        );
        assert_eq!(merged.credential_kind(), CredentialKind::ClientCredentials);
    }

    #[test]
    fn files_and_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, FILE).unwrap();
        let c = AuthConfig::from_sources(lookup(&[]), Some(&path), None).unwrap();
        assert_eq!(c.client_id(), Some("default-client"));
        let c = AuthConfig::from_sources(
            lookup(&[(ENV_CLIENT_ID, "env")]),
            Some(&path),
            Some("token"),
        )
        .unwrap();
        assert_eq!(c.client_id(), Some("env"));
        assert_eq!(c.environment().region(), Some(Region::EuCentral1));
        let missing = dir.path().join("missing.toml");
        let c = AuthConfig::from_sources(lookup(&[(ENV_ACCESS_TOKEN, "t")]), Some(&missing), None)
            .unwrap();
        assert_eq!(c.credential_kind(), CredentialKind::AccessToken);
        assert!(AuthConfig::from_sources(lookup(&[]), Some(&missing), Some("x")).is_err());
        assert!(AuthConfig::from_sources(lookup(&[]), None, Some("x")).is_err());
        assert_eq!(
            AuthConfig::gc_config_path_from(|n| (n == "USERPROFILE").then(|| PathBuf::from("/u"))),
            Some(PathBuf::from("/u/.gc/config.toml"))
        );
        assert_eq!(AuthConfig::gc_config_path_from(|_| None), None);
    }
}
