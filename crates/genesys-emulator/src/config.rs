//! The seeded world and the emulator's behaviour settings.
//!
//! [`EmulatorConfig`] is built in Rust (builder-style `with_*` methods) or
//! read from a TOML or JSON file ([`EmulatorConfig::from_file`]). Every
//! top-level key of a file is optional: a missing key keeps the value of
//! [`EmulatorConfig::default()`], the documented seed in [`crate::seed`].
//!
//! ```toml
//! token_lifetime_secs = 3600
//! clock = "manual"
//!
//! [organization]
//! id = "11111111-1111-4111-8111-111111111111"
//! name = "acme"
//!
//! [[roles]]
//! name = "dialer"
//! permissions = ["conversation:call:add"]
//!
//! [[users]]
//! id = "22222222-2222-4222-8222-222222222222"
//! name = "Ada"
//! email = "ada@acme.invalid"
//! station = true
//! roles = ["dialer"]
//!
//! [[clients]]
//! id = "my-client"
//! secret = "my-secret"
//! grants = ["client_credentials"]
//! roles = ["dialer"]
//!
//! [rate_limit]
//! requests = 300
//! window_secs = 60
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::EmulatorError;
use crate::seed;

/// An OAuth grant type, as sent in the `grant_type` form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grant {
    /// `client_credentials`.
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    /// `authorization_code`, with or without PKCE.
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    /// `refresh_token` (implied by [`Grant::AuthorizationCode`]).
    #[serde(rename = "refresh_token")]
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:saml2-bearer`.
    #[serde(
        rename = "saml2_bearer",
        alias = "urn:ietf:params:oauth:grant-type:saml2-bearer"
    )]
    Saml2Bearer,
    /// The implicit grant (`/oauth/authorize?response_type=token`); never
    /// used at the token endpoint.
    #[serde(rename = "implicit")]
    Implicit,
}

impl Grant {
    /// Every grant, in declaration order.
    pub const ALL: [Grant; 5] = [
        Grant::ClientCredentials,
        Grant::AuthorizationCode,
        Grant::RefreshToken,
        Grant::Saml2Bearer,
        Grant::Implicit,
    ];

    /// The `grant_type` form value for this grant (`"implicit"` for the
    /// implicit grant, which has none).
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::AuthorizationCode => "authorization_code",
            Grant::RefreshToken => "refresh_token",
            Grant::Saml2Bearer => "urn:ietf:params:oauth:grant-type:saml2-bearer",
            Grant::Implicit => "implicit",
        }
    }

    /// Parses a `grant_type` form value.
    pub fn from_grant_type(value: &str) -> Option<Grant> {
        match value {
            "client_credentials" => Some(Grant::ClientCredentials),
            "authorization_code" => Some(Grant::AuthorizationCode),
            "refresh_token" => Some(Grant::RefreshToken),
            "urn:ietf:params:oauth:grant-type:saml2-bearer" => Some(Grant::Saml2Bearer),
            _ => None,
        }
    }

    /// The `authorizedGrantType` value Genesys reports for a client of this grant.
    pub(crate) fn genesys_name(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "CLIENT-CREDENTIALS",
            Grant::AuthorizationCode | Grant::RefreshToken => "CODE",
            Grant::Saml2Bearer => "SAML2-BEARER",
            Grant::Implicit => "TOKEN",
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The organization every seeded user and client belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Organization id (a UUID in Genesys Cloud).
    pub id: String,
    /// Organization name; the SAML2 bearer grant's `orgName` must equal it.
    pub name: String,
}

impl Default for Organization {
    fn default() -> Self {
        Organization {
            id: seed::DEFAULT_ORG_ID.to_owned(),
            name: seed::DEFAULT_ORG_NAME.to_owned(),
        }
    }
}

/// A role: a named set of permissions such as `conversation:call:add`.
///
/// A granted permission may use `*` for any of its three segments
/// (`conversation:*:*`, `*:*:*`), as Genesys admin roles do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSeed {
    /// Role id; derived from the name when left empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Role name; users and clients refer to a role by name or id.
    pub name: String,
    /// Permissions the role grants, e.g. `conversation:call:add`.
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl RoleSeed {
    /// A role with the given name and permissions (its id is derived from the name).
    pub fn new<I, S>(name: impl Into<String>, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RoleSeed {
            id: String::new(),
            name: name.into(),
            permissions: permissions.into_iter().map(Into::into).collect(),
        }
    }

    /// Sets an explicit role id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The role id: the configured one or a UUID derived from the name.
    pub fn effective_id(&self) -> String {
        if self.id.is_empty() {
            crate::ids::uuid_from_seed(&format!("role:{}", self.name))
        } else {
            self.id.clone()
        }
    }
}

/// A user of the seeded organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    /// User id (a UUID in Genesys Cloud).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address, also used as the username.
    pub email: String,
    /// Whether the user has an associated station (needed to place calls).
    #[serde(default)]
    pub station: bool,
    /// Role names or ids.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl UserSeed {
    /// A user without a station or roles.
    pub fn new(id: impl Into<String>, name: impl Into<String>, email: impl Into<String>) -> Self {
        UserSeed {
            id: id.into(),
            name: name.into(),
            email: email.into(),
            station: false,
            roles: Vec::new(),
        }
    }

    /// Sets whether the user has a station.
    pub fn with_station(mut self, station: bool) -> Self {
        self.station = station;
        self
    }

    /// Adds a role (by name or id).
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// The id of this user's station (derived from the user id), if they have one.
    pub fn station_id(&self) -> Option<String> {
        self.station
            .then(|| crate::ids::uuid_from_seed(&format!("station:{}", self.id)))
    }
}

/// An OAuth client. Its `Debug` output hides the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSeed {
    /// Client id.
    pub id: String,
    /// Client secret (HTTP Basic password at the token endpoint).
    pub secret: String,
    /// Display name; defaults to the id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Grants this client may use.
    pub grants: Vec<Grant>,
    /// Role names or ids that client-credentials tokens of this client carry.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Redirect URIs accepted for the authorization-code and implicit grants
    /// (exact match).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

impl fmt::Debug for ClientSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSeed")
            .field("id", &self.id)
            .field("secret", &"[REDACTED]")
            .field("name", &self.name)
            .field("grants", &self.grants)
            .field("roles", &self.roles)
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

impl ClientSeed {
    /// A client allowed the given grants, without roles or redirect URIs.
    pub fn new(
        id: impl Into<String>,
        secret: impl Into<String>,
        grants: impl IntoIterator<Item = Grant>,
    ) -> Self {
        ClientSeed {
            id: id.into(),
            secret: secret.into(),
            name: String::new(),
            grants: grants.into_iter().collect(),
            roles: Vec::new(),
            redirect_uris: Vec::new(),
        }
    }

    /// A client-credentials client.
    pub fn client_credentials(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::new(id, secret, [Grant::ClientCredentials])
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Adds a role (by name or id) for client-credentials tokens.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Adds an allowed grant.
    pub fn with_grant(mut self, grant: Grant) -> Self {
        if !self.grants.contains(&grant) {
            self.grants.push(grant);
        }
        self
    }

    /// Adds a registered redirect URI.
    pub fn with_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Whether the client may use `grant` (a refresh is allowed to any
    /// client that may use the authorization-code grant).
    pub fn allows(&self, grant: Grant) -> bool {
        self.grants.contains(&grant)
            || (grant == Grant::RefreshToken && self.grants.contains(&Grant::AuthorizationCode))
    }

    /// The display name, or the id when no name is set.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            &self.id
        } else {
            &self.name
        }
    }
}

/// A per-token request budget for `/api/v2` requests: at most `requests` in
/// each fixed `window`; further requests get 429 `too.many.requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    #[serde(rename = "window_secs", with = "duration_secs")]
    pub window: Duration,
}

impl RateLimit {
    /// A budget of `requests` per `window`.
    pub fn new(requests: u32, window: Duration) -> Self {
        RateLimit { requests, window }
    }

    /// Genesys Cloud's usual per-token budget: 300 requests per minute.
    pub fn genesys_default() -> Self {
        RateLimit::new(300, Duration::from_secs(60))
    }
}

/// Which clock drives token expiry, rate-limit windows and call progression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// Wall-clock time (the default); [`crate::Clock::advance`] still adds an offset.
    #[default]
    Real,
    /// Time stands still until the test calls [`crate::Clock::advance`].
    Manual,
}

/// How long a created call's participants stay in each state.
///
/// A participant is `dialing` for `dialing`, then `contacting` for
/// `contacting`, then `connected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallTimings {
    /// Time spent dialing.
    #[serde(rename = "dialing_secs", with = "duration_secs")]
    pub dialing: Duration,
    /// Time spent contacting (ringing) before the call connects.
    #[serde(rename = "contacting_secs", with = "duration_secs")]
    pub contacting: Duration,
}

impl Default for CallTimings {
    fn default() -> Self {
        CallTimings {
            dialing: Duration::from_secs(1),
            contacting: Duration::from_secs(2),
        }
    }
}

/// How the emulated notification service behaves: heartbeats, channel
/// lifetime and limits.
///
/// In a file these are the `[notifications]` table (`heartbeat_interval_secs`,
/// `channel_lifetime_secs`, `max_channels`, `max_topics`); a missing key keeps
/// its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// Time between two `channel.metadata` heartbeats on a connected
    /// channel's WebSocket (emulator clock; default 30 s).
    #[serde(rename = "heartbeat_interval_secs", with = "duration_secs")]
    pub heartbeat_interval: Duration,
    /// How long a channel lives after it is created (emulator clock;
    /// default 24 h). At the end its socket is closed and `HEAD` answers 404.
    #[serde(rename = "channel_lifetime_secs", with = "duration_secs")]
    pub channel_lifetime: Duration,
    /// Channels one user (or client) may hold per OAuth client (default 20);
    /// creating one more evicts the least recently used.
    pub max_channels: usize,
    /// Topics one channel may subscribe to (default 1,000); a subscription
    /// past that is refused with 400.
    pub max_topics: usize,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            heartbeat_interval: Duration::from_secs(30),
            channel_lifetime: Duration::from_secs(24 * 60 * 60),
            max_channels: 20,
            max_topics: 1000,
        }
    }
}

/// How many call conversations the emulator remembers by default (see
/// [`EmulatorConfig::conversation_history`]).
pub const DEFAULT_CONVERSATION_HISTORY: usize = 10_000;

/// Everything the emulator is seeded with and how it behaves.
///
/// [`EmulatorConfig::default()`] seeds the world described in [`crate::seed`].
/// [`EmulatorConfig::empty()`] seeds only the organization. `Debug` output
/// never shows client secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorConfig {
    /// The organization.
    pub organization: Organization,
    /// Roles (sets of permissions).
    pub roles: Vec<RoleSeed>,
    /// Users.
    pub users: Vec<UserSeed>,
    /// OAuth clients.
    pub clients: Vec<ClientSeed>,
    /// Lifetime of access tokens (`expires_in`).
    #[serde(rename = "token_lifetime_secs", with = "duration_secs")]
    pub token_lifetime: Duration,
    /// How long a minted authorization code or SAML assertion stays valid.
    #[serde(rename = "code_lifetime_secs", with = "duration_secs")]
    pub code_lifetime: Duration,
    /// Per-token rate limit for `/api/v2`; `None` (the default) disables it.
    pub rate_limit: Option<RateLimit>,
    /// Real or manual clock.
    pub clock: ClockMode,
    /// Call participant state timings.
    pub call_timings: CallTimings,
    /// User id that `/oauth/authorize` approves when the request has no
    /// matching `login_hint`; `None` (the default) means the first user,
    /// which in the default seed is [`seed::DEFAULT_USER_ID`].
    pub authorize_user: Option<String>,
    /// Largest request body read, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// The notification service (channels, heartbeats, limits).
    pub notifications: NotificationSettings,
    /// How many created call conversations are remembered for
    /// `GET /api/v2/conversations/calls/{id}` and the conversation
    /// listings; beyond it the oldest are forgotten (a `GET` of one is then
    /// a 404), so a long-running emulator holds bounded memory. Their
    /// events are still sent, and [`Counters::calls_created`] counts every
    /// call. The default is [`DEFAULT_CONVERSATION_HISTORY`].
    ///
    /// [`Counters::calls_created`]: crate::Counters::calls_created
    pub conversation_history: usize,
    /// Serve HTTPS (and `wss://`) instead of plain HTTP; `None`, the
    /// default, serves plain HTTP. Not read from configuration files: the
    /// certificates are generated at start (see [`crate::TlsOptions`]).
    #[serde(skip)]
    pub tls: Option<crate::TlsOptions>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        let roles = vec![
            RoleSeed::new(
                seed::CALLER_ROLE,
                ["conversation:call:add", "conversation:call:view"],
            ),
            RoleSeed::new(seed::AGENT_ROLE, ["conversation:conference:add"]),
            RoleSeed::new(seed::VIEWER_ROLE, ["directory:user:view"]),
            RoleSeed::new(seed::ADMIN_ROLE, ["*:*:*"]),
        ];
        let users = vec![
            UserSeed::new(
                seed::DEFAULT_USER_ID,
                seed::DEFAULT_USER_NAME,
                seed::DEFAULT_USER_EMAIL,
            )
            .with_station(true)
            .with_role(seed::AGENT_ROLE),
            UserSeed::new(
                seed::NO_STATION_USER_ID,
                seed::NO_STATION_USER_NAME,
                seed::NO_STATION_USER_EMAIL,
            )
            .with_role(seed::AGENT_ROLE),
        ];
        let clients = vec![
            ClientSeed::client_credentials(seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET)
                .with_name("Emulator client credentials")
                .with_role(seed::CALLER_ROLE)
                .with_role(seed::ADMIN_ROLE),
            ClientSeed::client_credentials(
                seed::NO_PERMISSION_CLIENT_ID,
                seed::NO_PERMISSION_CLIENT_SECRET,
            )
            .with_name("Emulator client without call permissions")
            .with_role(seed::VIEWER_ROLE),
            ClientSeed::new(
                seed::USER_CLIENT_ID,
                seed::USER_CLIENT_SECRET,
                [
                    Grant::AuthorizationCode,
                    Grant::RefreshToken,
                    Grant::Saml2Bearer,
                    Grant::Implicit,
                ],
            )
            .with_name("Emulator user login")
            .with_redirect_uri(seed::DEFAULT_REDIRECT_URI),
        ];
        EmulatorConfig {
            organization: Organization::default(),
            roles,
            users,
            clients,
            token_lifetime: Duration::from_secs(seed::DEFAULT_TOKEN_LIFETIME_SECS),
            code_lifetime: Duration::from_secs(600),
            rate_limit: None,
            clock: ClockMode::Real,
            call_timings: CallTimings::default(),
            authorize_user: None,
            max_body_bytes: 1024 * 1024,
            notifications: NotificationSettings::default(),
            conversation_history: DEFAULT_CONVERSATION_HISTORY,
            tls: None,
        }
    }
}

impl EmulatorConfig {
    /// A world with only the default organization: no roles, users or clients.
    pub fn empty() -> Self {
        EmulatorConfig {
            roles: Vec::new(),
            users: Vec::new(),
            clients: Vec::new(),
            ..EmulatorConfig::default()
        }
    }

    /// Replaces the organization.
    pub fn with_organization(mut self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.organization = Organization {
            id: id.into(),
            name: name.into(),
        };
        self
    }

    /// Adds a role.
    pub fn with_role(mut self, role: RoleSeed) -> Self {
        self.roles.push(role);
        self
    }

    /// Adds a user.
    pub fn with_user(mut self, user: UserSeed) -> Self {
        self.users.push(user);
        self
    }

    /// Adds an OAuth client.
    pub fn with_client(mut self, client: ClientSeed) -> Self {
        self.clients.push(client);
        self
    }

    /// Sets the access-token lifetime.
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Enables per-token rate limiting: `requests` per `window`.
    pub fn with_rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = Some(RateLimit::new(requests, window));
        self
    }

    /// Uses a manual clock that only moves when the test calls
    /// [`crate::Clock::advance`].
    pub fn with_manual_clock(mut self) -> Self {
        self.clock = ClockMode::Manual;
        self
    }

    /// Sets how long call participants stay dialing and contacting.
    pub fn with_call_timings(mut self, dialing: Duration, contacting: Duration) -> Self {
        self.call_timings = CallTimings {
            dialing,
            contacting,
        };
        self
    }

    /// Sets the user `/oauth/authorize` approves.
    pub fn with_authorize_user(mut self, user_id: impl Into<String>) -> Self {
        self.authorize_user = Some(user_id.into());
        self
    }

    /// Sets the largest accepted request body.
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Sets the interval between notification heartbeats (default 30 s).
    pub fn with_heartbeat_interval(mut self, interval: Duration) -> Self {
        self.notifications.heartbeat_interval = interval;
        self
    }

    /// Sets how long a notification channel lives (default 24 h).
    pub fn with_channel_lifetime(mut self, lifetime: Duration) -> Self {
        self.notifications.channel_lifetime = lifetime;
        self
    }

    /// Replaces every notification setting.
    pub fn with_notification_settings(mut self, settings: NotificationSettings) -> Self {
        self.notifications = settings;
        self
    }

    /// Serves HTTPS and `wss://` with a CA and server certificate generated
    /// at start ([`Emulator::tls_ca_pem`](crate::Emulator::tls_ca_pem));
    /// [`Emulator::base_url`](crate::Emulator::base_url) is then
    /// `https://127.0.0.1:PORT`.
    pub fn with_tls(mut self, options: crate::TlsOptions) -> Self {
        self.tls = Some(options);
        self
    }

    /// Parses a TOML document (missing keys keep their defaults).
    pub fn from_toml_str(text: &str) -> Result<Self, EmulatorError> {
        let config: EmulatorConfig =
            toml::from_str(text).map_err(|e| EmulatorError::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a JSON document (missing keys keep their defaults).
    pub fn from_json_str(text: &str) -> Result<Self, EmulatorError> {
        let config: EmulatorConfig =
            serde_json::from_str(text).map_err(|e| EmulatorError::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads a `.json` file as JSON and anything else as TOML.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, EmulatorError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| EmulatorError::Config(format!("cannot read {}: {e}", path.display())))?;
        let is_json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        if is_json {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        }
    }

    /// Checks that ids are unique, roles referenced exist, every client has
    /// a grant, durations and notification limits are non-zero and
    /// `authorize_user` names a user.
    pub fn validate(&self) -> Result<(), EmulatorError> {
        let err = |m: String| Err(EmulatorError::Config(m));
        let mut role_keys = BTreeSet::new();
        for role in &self.roles {
            if role.name.is_empty() {
                return err("a role has an empty name".into());
            }
            if !role_keys.insert(role.name.clone()) {
                return err(format!("duplicate role name {:?}", role.name));
            }
            let id = role.effective_id();
            if id != role.name && !role_keys.insert(id.clone()) {
                return err(format!("duplicate role id {id:?}"));
            }
        }
        let check_roles = |owner: &str, roles: &[String]| -> Result<(), EmulatorError> {
            for r in roles {
                if !role_keys.contains(r) {
                    return Err(EmulatorError::Config(format!(
                        "{owner} refers to unknown role {r:?}"
                    )));
                }
            }
            Ok(())
        };
        let mut user_ids = BTreeSet::new();
        for user in &self.users {
            if user.id.is_empty() {
                return err("a user has an empty id".into());
            }
            if !user_ids.insert(user.id.as_str()) {
                return err(format!("duplicate user id {:?}", user.id));
            }
            check_roles(&format!("user {:?}", user.id), &user.roles)?;
        }
        let mut client_ids = BTreeSet::new();
        for client in &self.clients {
            if client.id.is_empty() {
                return err("a client has an empty id".into());
            }
            if !client_ids.insert(client.id.as_str()) {
                return err(format!("duplicate client id {:?}", client.id));
            }
            if client.grants.is_empty() {
                return err(format!("client {:?} allows no grant", client.id));
            }
            check_roles(&format!("client {:?}", client.id), &client.roles)?;
        }
        if let Some(user) = &self.authorize_user
            && !user_ids.contains(user.as_str())
        {
            return err(format!("authorize_user {user:?} is not a configured user"));
        }
        if self.token_lifetime.is_zero() {
            return err("token_lifetime must be positive".into());
        }
        if let Some(limit) = &self.rate_limit
            && (limit.requests == 0 || limit.window.is_zero())
        {
            return err("rate_limit needs requests > 0 and a positive window".into());
        }
        let n = &self.notifications;
        if n.heartbeat_interval.is_zero() || n.channel_lifetime.is_zero() {
            return err(
                "notifications need a positive heartbeat_interval and channel_lifetime".into(),
            );
        }
        if n.max_channels == 0 || n.max_topics == 0 {
            return err("notifications need max_channels > 0 and max_topics > 0".into());
        }
        Ok(())
    }
}

/// (De)serializes a `Duration` as a number of seconds (fractions allowed).
mod duration_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        if d.subsec_nanos() == 0 {
            s.serialize_u64(d.as_secs())
        } else {
            s.serialize_f64(d.as_secs_f64())
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(|e| D::Error::custom(format!("{secs}: {e}")))
    }
}
