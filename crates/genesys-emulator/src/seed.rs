//! The default seeded world: documented constants that
//! [`EmulatorConfig::default()`](crate::EmulatorConfig::default) uses.
//!
//! Tests and examples can refer to these constants instead of repeating
//! literal ids and secrets. Identifiers are valid UUIDs (as in Genesys Cloud)
//! with a recognisable tail so they stand out in logs.
//!
//! | What | Id constant | Notes |
//! |---|---|---|
//! | Organization | [`DEFAULT_ORG_ID`] | named [`DEFAULT_ORG_NAME`] (the SAML `orgName`) |
//! | Client-credentials client | [`DEFAULT_CLIENT_ID`] / [`DEFAULT_CLIENT_SECRET`] | roles [`CALLER_ROLE`]: `conversation:call:add`, `conversation:call:view`, and [`ADMIN_ROLE`]: every permission (so every operation that does not need a user works with it) |
//! | Client-credentials client without call permissions | [`NO_PERMISSION_CLIENT_ID`] / [`NO_PERMISSION_CLIENT_SECRET`] | role [`VIEWER_ROLE`] |
//! | User-login client | [`USER_CLIENT_ID`] / [`USER_CLIENT_SECRET`] | authorization code (with or without PKCE), refresh token, SAML2 bearer, implicit; redirect URI [`DEFAULT_REDIRECT_URI`] |
//! | User with a station | [`DEFAULT_USER_ID`] | role [`AGENT_ROLE`]: `conversation:conference:add` |
//! | User without a station | [`NO_STATION_USER_ID`] | role [`AGENT_ROLE`] |

/// Id of the seeded organization.
pub const DEFAULT_ORG_ID: &str = "00000000-0000-4000-8000-000000000001";
/// Name of the seeded organization; the SAML2 bearer grant's `orgName` must match it.
pub const DEFAULT_ORG_NAME: &str = "emulator-org";

/// Name of the role that grants `conversation:call:add` (placing calls on
/// behalf of a user) and `conversation:call:view` (following any user's
/// calls on the `v2.users.{id}.conversations.calls` notification topic).
pub const CALLER_ROLE: &str = "emulator-caller";
/// Name of the role that grants `conversation:conference:add` (placing calls as the user).
pub const AGENT_ROLE: &str = "emulator-agent";
/// Name of a role that grants only `directory:user:view` (no call permissions).
pub const VIEWER_ROLE: &str = "emulator-viewer";
/// Name of a role that grants every permission (`*:*:*`), like a Genesys
/// admin role: held by [`DEFAULT_CLIENT_ID`]. Give it to a user of your
/// own configuration to call operations that need a user context.
pub const ADMIN_ROLE: &str = "emulator-admin";

/// Client id of the seeded client-credentials OAuth client (role [`CALLER_ROLE`]).
pub const DEFAULT_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000c001";
/// Secret of [`DEFAULT_CLIENT_ID`].
pub const DEFAULT_CLIENT_SECRET: &str = "emulator-client-secret";

/// Client id of a client-credentials client whose role grants no call permission.
pub const NO_PERMISSION_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000c002";
/// Secret of [`NO_PERMISSION_CLIENT_ID`].
pub const NO_PERMISSION_CLIENT_SECRET: &str = "emulator-no-permission-secret";

/// Client id of the seeded user-login client: `authorization_code` (PKCE
/// optional), `refresh_token`, SAML2 bearer and implicit grants.
pub const USER_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000c003";
/// Secret of [`USER_CLIENT_ID`].
pub const USER_CLIENT_SECRET: &str = "emulator-user-client-secret";
/// The redirect URI registered for [`USER_CLIENT_ID`].
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// Id of the seeded user who has a station and role [`AGENT_ROLE`].
/// `/oauth/authorize` approves this user unless configured otherwise.
pub const DEFAULT_USER_ID: &str = "00000000-0000-4000-8000-0000000000a1";
/// Display name of [`DEFAULT_USER_ID`].
pub const DEFAULT_USER_NAME: &str = "Emulator Agent";
/// Email (and username) of [`DEFAULT_USER_ID`].
pub const DEFAULT_USER_EMAIL: &str = "agent@emulator.invalid";

/// Id of the seeded user without a station (role [`AGENT_ROLE`]).
pub const NO_STATION_USER_ID: &str = "00000000-0000-4000-8000-0000000000a2";
/// Display name of [`NO_STATION_USER_ID`].
pub const NO_STATION_USER_NAME: &str = "Stationless User";
/// Email (and username) of [`NO_STATION_USER_ID`].
pub const NO_STATION_USER_EMAIL: &str = "stationless@emulator.invalid";

/// Default access-token lifetime in seconds (what Genesys Cloud reports for
/// a client-credentials token).
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 86_399;
