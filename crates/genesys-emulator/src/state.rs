//! The emulated world: seeded entities and everything minted at run time.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::{ClientSeed, EmulatorConfig, Grant, UserSeed};
use crate::counters::Counters;
use crate::faults::FaultRegistry;
use crate::ids;
use crate::notifications::Notifications;

/// A role with its resolved id.
#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// A seeded user with resolved roles.
#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub(crate) seed: UserSeed,
    pub(crate) roles: Vec<Role>,
    pub(crate) permissions: BTreeSet<String>,
}

/// A seeded OAuth client with resolved roles.
#[derive(Debug, Clone)]
pub(crate) struct ClientRec {
    pub(crate) seed: ClientSeed,
    pub(crate) roles: Vec<Role>,
    pub(crate) permissions: BTreeSet<String>,
}

/// The immutable part of the world.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) users: BTreeMap<String, UserRec>,
    pub(crate) clients: BTreeMap<String, ClientRec>,
}

impl World {
    pub(crate) fn new(config: &EmulatorConfig) -> World {
        let mut by_key: HashMap<&str, (Role, &[String])> = HashMap::new();
        let resolved: Vec<(Role, &[String])> = config
            .roles
            .iter()
            .map(|r| {
                (
                    Role {
                        id: r.effective_id(),
                        name: r.name.clone(),
                    },
                    r.permissions.as_slice(),
                )
            })
            .collect();
        for (seed, entry) in config.roles.iter().zip(&resolved) {
            by_key.insert(seed.name.as_str(), entry.clone());
        }
        for entry in &resolved {
            by_key.entry(entry.0.id.as_str()).or_insert(entry.clone());
        }
        let resolve = |names: &[String]| {
            let mut roles = Vec::new();
            let mut permissions = BTreeSet::new();
            for name in names {
                if let Some((role, perms)) = by_key.get(name.as_str()) {
                    roles.push(role.clone());
                    permissions.extend(perms.iter().cloned());
                }
            }
            (roles, permissions)
        };
        let users = config
            .users
            .iter()
            .map(|u| {
                let (roles, permissions) = resolve(&u.roles);
                (
                    u.id.clone(),
                    UserRec {
                        seed: u.clone(),
                        roles,
                        permissions,
                    },
                )
            })
            .collect();
        let clients = config
            .clients
            .iter()
            .map(|c| {
                let (roles, permissions) = resolve(&c.roles);
                (
                    c.id.clone(),
                    ClientRec {
                        seed: c.clone(),
                        roles,
                        permissions,
                    },
                )
            })
            .collect();
        World { users, clients }
    }
}

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// A client-credentials token.
    Client,
    /// A user token (code, PKCE, SAML2 bearer, implicit or minted).
    User(String),
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct TokenRec {
    pub(crate) principal: Principal,
    pub(crate) client_id: String,
    pub(crate) grant: Grant,
    pub(crate) expires_at: OffsetDateTime,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub(crate) struct RefreshRec {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    /// Issued to a PKCE (public) client: refreshing needs no secret.
    pub(crate) public: bool,
}

/// A minted authorization code.
#[derive(Debug, Clone)]
pub(crate) struct CodeRec {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) expires_at: OffsetDateTime,
}

/// A minted SAML assertion.
#[derive(Debug, Clone)]
pub(crate) struct AssertionRec {
    pub(crate) user_id: String,
    pub(crate) expires_at: OffsetDateTime,
}

/// Where a created call goes.
#[derive(Debug, Clone)]
pub(crate) enum Destination {
    Phone(String),
    User(String),
    Queue(String),
    Conversations,
    Participants(Vec<String>),
}

/// A created call conversation.
#[derive(Debug, Clone)]
pub(crate) struct Conversation {
    pub(crate) id: String,
    pub(crate) created_at: OffsetDateTime,
    /// The user whose station places the call.
    pub(crate) user_id: String,
    pub(crate) destination: Destination,
    pub(crate) caller_id: Option<String>,
    pub(crate) caller_id_name: Option<String>,
    pub(crate) external_participant_id: String,
    pub(crate) user_participant_id: String,
}

/// A fixed rate-limit window of one token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateWindow {
    pub(crate) start: OffsetDateTime,
    pub(crate) count: u32,
}

/// Everything minted at run time.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) tokens: HashMap<String, TokenRec>,
    pub(crate) refresh_tokens: HashMap<String, RefreshRec>,
    pub(crate) codes: HashMap<String, CodeRec>,
    pub(crate) assertions: HashMap<String, AssertionRec>,
    /// The most recent call conversations, oldest first (at most
    /// `EmulatorConfig::conversation_history`).
    pub(crate) conversations: VecDeque<Conversation>,
    pub(crate) rate: HashMap<String, RateWindow>,
    /// What `PATCH /api/v2/users/{userId}` changed, by user id.
    pub(crate) user_edits: HashMap<String, UserEdit>,
}

/// The changes made to a seeded user: its version and the JSON properties
/// set (a `null` removes the property).
#[derive(Debug, Clone)]
pub(crate) struct UserEdit {
    pub(crate) version: i32,
    pub(crate) fields: serde_json::Map<String, serde_json::Value>,
}

/// State shared by the server tasks and the [`crate::Emulator`] handle.
pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    pub(crate) world: World,
    pub(crate) store: Mutex<Store>,
    pub(crate) clock: Clock,
    pub(crate) counters: Counters,
    pub(crate) faults: FaultRegistry,
    pub(crate) notifications: Notifications,
    /// What generic (spec-driven) operations created.
    pub(crate) resources: crate::generic::Resources,
    /// Changes when the emulator shuts down (ends socket tasks).
    pub(crate) shutdown: watch::Receiver<bool>,
}

fn add(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t.saturating_add(time::Duration::try_from(d).unwrap_or(time::Duration::MAX))
}

impl Shared {
    /// The shared state of an emulator whose WebSocket base URL (for
    /// channels' `connectUri`) is `ws_base`, e.g. `ws://127.0.0.1:41234`.
    pub(crate) fn new(
        config: EmulatorConfig,
        ws_base: String,
        shutdown: watch::Receiver<bool>,
    ) -> Shared {
        let world = World::new(&config);
        let clock = Clock::from_mode(config.clock);
        let counters = Counters::default();
        let notifications = Notifications::new(
            clock.clone(),
            counters.clone(),
            config.notifications,
            config.organization.id.clone(),
            ws_base,
        );
        Shared {
            config,
            world,
            store: Mutex::new(Store::default()),
            clock,
            counters,
            faults: FaultRegistry::default(),
            resources: crate::generic::Resources::default(),
            notifications,
            shutdown,
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a created call conversation, forgetting the oldest beyond
    /// `EmulatorConfig::conversation_history`.
    pub(crate) fn remember_conversation(&self, conversation: Conversation) {
        let limit = self.config.conversation_history;
        let mut store = self.store();
        store.conversations.push_back(conversation);
        while store.conversations.len() > limit {
            store.conversations.pop_front();
        }
    }

    /// Mints an access token and returns it.
    pub(crate) fn issue_token(
        &self,
        principal: Principal,
        client_id: &str,
        grant: Grant,
    ) -> String {
        let token = ids::random_secret();
        let expires_at = add(self.clock.now(), self.config.token_lifetime);
        let mut store = self.store();
        let now = self.clock.now();
        store.tokens.retain(|_, t| t.expires_at > now);
        store.tokens.insert(
            token.clone(),
            TokenRec {
                principal,
                client_id: client_id.to_owned(),
                grant,
                expires_at,
            },
        );
        token
    }

    /// Mints a refresh token.
    pub(crate) fn issue_refresh_token(
        &self,
        client_id: &str,
        user_id: &str,
        public: bool,
    ) -> String {
        let token = ids::random_secret();
        self.store().refresh_tokens.insert(
            token.clone(),
            RefreshRec {
                client_id: client_id.to_owned(),
                user_id: user_id.to_owned(),
                public,
            },
        );
        token
    }

    /// Mints an authorization code.
    pub(crate) fn issue_code(
        &self,
        client_id: &str,
        user_id: &str,
        redirect_uri: &str,
        code_challenge: Option<String>,
    ) -> String {
        let code = ids::random_secret();
        let expires_at = add(self.clock.now(), self.config.code_lifetime);
        self.store().codes.insert(
            code.clone(),
            CodeRec {
                client_id: client_id.to_owned(),
                user_id: user_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                code_challenge,
                expires_at,
            },
        );
        code
    }

    /// Mints a SAML assertion for a user: base64 of a small SAML 2.0
    /// assertion document whose id is random.
    pub(crate) fn issue_assertion(&self, user_id: &str) -> String {
        use base64::Engine as _;
        let now = self.clock.now();
        let expires_at = add(now, self.config.code_lifetime);
        let fmt = &time::format_description::well_known::Rfc3339;
        let email = self
            .world
            .users
            .get(user_id)
            .map(|u| u.seed.email.clone())
            .unwrap_or_else(|| user_id.to_owned());
        let xml = format!(
            "<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
             ID=\"_{id}\" IssueInstant=\"{issued}\" Version=\"2.0\">\
             <saml2:Issuer>genesys-emulator</saml2:Issuer>\
             <saml2:Subject><saml2:NameID>{email}</saml2:NameID></saml2:Subject>\
             <saml2:Conditions NotOnOrAfter=\"{expires}\"/>\
             <saml2:AttributeStatement><saml2:Attribute Name=\"OrganizationName\">\
             <saml2:AttributeValue>{org}</saml2:AttributeValue></saml2:Attribute>\
             </saml2:AttributeStatement></saml2:Assertion>",
            id = ids::random_secret(),
            issued = now.format(fmt).unwrap_or_default(),
            expires = expires_at.format(fmt).unwrap_or_default(),
            org = self.config.organization.name,
        );
        let assertion = base64::engine::general_purpose::STANDARD.encode(xml);
        self.store().assertions.insert(
            assertion.clone(),
            AssertionRec {
                user_id: user_id.to_owned(),
                expires_at,
            },
        );
        assertion
    }

    /// Looks up a live access token.
    pub(crate) fn token(&self, token: &str) -> Option<TokenRec> {
        let now = self.clock.now();
        let mut store = self.store();
        match store.tokens.get(token) {
            Some(rec) if rec.expires_at > now => Some(rec.clone()),
            Some(_) => {
                store.tokens.remove(token);
                None
            }
            None => None,
        }
    }

    /// Revokes an access token.
    pub(crate) fn revoke(&self, token: &str) {
        let mut store = self.store();
        store.tokens.remove(token);
        store.rate.remove(token);
    }

    /// The permissions a token carries: the user's roles for user tokens,
    /// the client's roles for client-credentials tokens.
    pub(crate) fn permissions(&self, token: &TokenRec) -> BTreeSet<String> {
        self.permissions_of(&token.principal, &token.client_id)
    }

    /// The permissions of a principal that logged in through `client_id`.
    pub(crate) fn permissions_of(
        &self,
        principal: &Principal,
        client_id: &str,
    ) -> BTreeSet<String> {
        match principal {
            Principal::User(user) => self
                .world
                .users
                .get(user)
                .map(|u| u.permissions.clone())
                .unwrap_or_default(),
            Principal::Client => self
                .world
                .clients
                .get(client_id)
                .map(|c| c.permissions.clone())
                .unwrap_or_default(),
        }
    }

    /// Counts one request against a token's rate-limit window; `Err` holds
    /// the seconds until the window resets when the budget is spent.
    /// `Ok` holds (count, allowed, seconds to reset) for the
    /// `inin-ratelimit-*` headers, when a limit is configured.
    pub(crate) fn rate_limit(&self, token: &str) -> Result<Option<(u32, u32, u64)>, u64> {
        let Some(limit) = self.config.rate_limit else {
            return Ok(None);
        };
        let now = self.clock.now();
        let mut store = self.store();
        let window = store.rate.entry(token.to_owned()).or_insert(RateWindow {
            start: now,
            count: 0,
        });
        if add(window.start, limit.window) <= now {
            *window = RateWindow {
                start: now,
                count: 0,
            };
        }
        let reset_at = add(window.start, limit.window);
        let remaining = reset_at - now;
        let reset_secs = remaining.as_seconds_f64().ceil().max(1.0) as u64;
        if window.count >= limit.requests {
            return Err(reset_secs);
        }
        window.count += 1;
        Ok(Some((window.count, limit.requests, reset_secs)))
    }
}
