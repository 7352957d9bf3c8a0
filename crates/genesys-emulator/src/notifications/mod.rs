//! The notification service: channels, subscriptions, the WebSocket at
//! each channel's `connectUri`, events, heartbeats and scripted faults.
//!
//! All state lives in [`Notifications`]. Work that falls due on the
//! emulator clock (call state events, heartbeats, channel expiry, the close
//! that follows `socket_closing`) is done by [`run_due`](Notifications::run_due),
//! which a background task ([`scheduler`]) calls whenever the clock is
//! advanced or the schedule changes, and which every channel operation also
//! calls first, so nothing due is ever skipped.

pub(crate) mod events;
pub(crate) mod rest;
pub(crate) mod socket;
pub(crate) mod topics;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use rand::Rng as _;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::{Notify, mpsc, watch};

use crate::clock::Clock;
use crate::config::NotificationSettings;
use crate::counters::Counters;
use crate::ids;
use crate::state::{Principal, Shared};

use events::CallEvents;
use topics::{ScriptedRejection, Verdict};

/// Who owns a channel: the token's principal and its OAuth client (Genesys
/// limits channels per user-and-app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) principal: Principal,
    pub(crate) client_id: String,
}

impl Owner {
    fn user_id(&self) -> Option<&str> {
        match &self.principal {
            Principal::User(id) => Some(id),
            Principal::Client => None,
        }
    }
}

/// A message for a socket task.
#[derive(Debug)]
pub(crate) enum Out {
    /// A text frame.
    Text(String),
    /// A close frame with this code and reason, then the end.
    Close(u16, &'static str),
    /// End the connection abruptly, without a close frame.
    Drop,
}

struct Conn {
    id: u64,
    tx: mpsc::UnboundedSender<Out>,
    next_heartbeat: OffsetDateTime,
    closing_at: Option<OffsetDateTime>,
}

impl Conn {
    fn send(&self, out: Out) {
        // A socket task that has ended no longer listens; nothing to do.
        let _ = self.tx.send(out);
    }
}

struct Channel {
    id: String,
    owner: Owner,
    /// SHA-256 of the token that created it (for `includechannels=token`).
    token_fingerprint: String,
    created: OffsetDateTime,
    expires: OffsetDateTime,
    last_used: OffsetDateTime,
    topics: Vec<String>,
    heartbeats_stopped: bool,
    conn: Option<Conn>,
}

/// A call whose later state events are still to be sent.
struct TrackedCall {
    /// When each phase begins.
    timeline: [OffsetDateTime; 3],
    /// The last phase whose events were sent.
    emitted: usize,
    events: CallEvents,
}

impl TrackedCall {
    /// Sends phase `phase`'s events to whoever listens.
    fn emit(&self, hub: &Notifications, state: &HubState, phase: usize) {
        // Gone only while the emulator shuts down: nothing to send then.
        let Some(shared) = hub.shared.get().and_then(Weak::upgrade) else {
            return;
        };
        for (topic, kind) in &self.events.topics {
            hub.deliver_with(state, topic, || self.events.body(&shared, *kind, phase));
        }
    }
}

#[derive(Default)]
struct HubState {
    /// Live channels, oldest first.
    channels: Vec<Channel>,
    /// In creation order (see `run_due_locked`).
    calls: std::collections::VecDeque<TrackedCall>,
    rejections: Vec<ScriptedRejection>,
    next_conn: u64,
}

impl HubState {
    fn index(&self, id: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.id == id)
    }
}

/// A snapshot of one notification channel, for tests and tools.
///
/// `Debug` output shortens the channel id: like the `connectUri` it is a
/// bearer capability (whoever has it can read the channel).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// The channel id (the last path segment of its `connectUri`).
    pub id: String,
    /// The user who created it, or `None` for a client-credentials token.
    pub user_id: Option<String>,
    /// The OAuth client of the token that created it.
    pub client_id: String,
    /// Subscribed topics, in subscription order.
    pub topics: Vec<String>,
    /// Whether a WebSocket is connected.
    pub connected: bool,
    /// Whether heartbeats are stopped by [`Notifications::stop_heartbeats`].
    pub heartbeats_stopped: bool,
    /// When it was created (emulator clock).
    pub created: OffsetDateTime,
    /// When it expires (emulator clock).
    pub expires: OffsetDateTime,
}

impl fmt::Debug for ChannelInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelInfo")
            .field("id", &redact_id(&self.id))
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("topics", &self.topics)
            .field("connected", &self.connected)
            .field("heartbeats_stopped", &self.heartbeats_stopped)
            .field("created", &self.created)
            .field("expires", &self.expires)
            .finish()
    }
}

/// The first characters of a channel id, for logs.
pub(crate) fn redact_id(id: &str) -> String {
    let keep: String = id.chars().take(16).collect();
    if keep.len() < id.len() {
        format!("{keep}…")
    } else {
        keep
    }
}

/// A request path with any channel id shortened, for logs.
pub(crate) fn redact_path(path: &str) -> Cow<'_, str> {
    let Some(at) = path.find("/channels/") else {
        return Cow::Borrowed(path);
    };
    let start = at + "/channels/".len();
    let end = path[start..].find('/').map_or(path.len(), |i| start + i);
    Cow::Owned(format!(
        "{}{}{}",
        &path[..start],
        redact_id(&path[start..end]),
        &path[end..]
    ))
}

/// How a subscription request changes a channel's topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubscribeMode {
    /// Add to the current topics (`POST`, and `subscribe` on the socket).
    Add,
    /// Replace the current topics (`PUT`).
    Replace,
}

/// Why a subscription request failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubscribeError {
    /// No such live channel (for this owner).
    NotFound,
    /// The channel would hold more than this many topics.
    TooManyTopics(usize),
    /// Some topics were rejected and the request asked for all or nothing.
    Rejected(Vec<(String, Verdict)>),
}

/// What a subscription request did.
#[derive(Debug, Clone)]
pub(crate) struct Subscribed {
    /// The verdict for each requested topic, in request order.
    pub(crate) results: Vec<(String, Verdict)>,
    /// The channel's topics afterwards.
    pub(crate) topics: Vec<String>,
}

/// A channel as `GET /api/v2/notifications/channels` shows it.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    /// `None` for channels of other tokens when listing the whole app's.
    pub(crate) id: Option<String>,
    pub(crate) connect_uri: Option<String>,
    pub(crate) expires: OffsetDateTime,
}

/// A newly created channel.
#[derive(Debug, Clone)]
pub(crate) struct Created {
    pub(crate) id: String,
    pub(crate) connect_uri: String,
    pub(crate) expires: OffsetDateTime,
}

fn add(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t.saturating_add(time::Duration::try_from(d).unwrap_or(time::Duration::MAX))
}

/// The notification service of one emulator: its channels, their sockets
/// and subscriptions, and the scripted faults. Get it with
/// [`Emulator::notifications`](crate::Emulator::notifications).
///
/// Channels are named by id (see [`Notifications::channels`]). Every fault
/// method returns whether it found what it acts on: a live channel, and
/// for socket faults a connected socket.
pub struct Notifications {
    state: Mutex<HubState>,
    clock: Clock,
    counters: Counters,
    settings: NotificationSettings,
    org_id: String,
    /// `ws://127.0.0.1:PORT`.
    ws_base: String,
    /// Wakes the scheduler when the schedule changes.
    wake: Notify,
    /// The emulator, to build call events from when they fall due (see
    /// [`Notifications::set_emulator`]).
    shared: OnceLock<Weak<Shared>>,
}

impl fmt::Debug for Notifications {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifications")
            .field("channels", &self.lock().channels.len())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Notifications {
    pub(crate) fn new(
        clock: Clock,
        counters: Counters,
        settings: NotificationSettings,
        org_id: String,
        ws_base: String,
    ) -> Notifications {
        Notifications {
            state: Mutex::new(HubState::default()),
            clock,
            counters,
            settings,
            org_id,
            ws_base,
            wake: Notify::new(),
            shared: OnceLock::new(),
        }
    }

    /// Gives the hub the emulator it belongs to, once it is shared: call
    /// events are built from the emulator's world when they fall due.
    pub(crate) fn set_emulator(&self, shared: Weak<Shared>) {
        let _ = self.shared.set(shared);
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the state after doing everything due by now.
    fn lock_current(&self) -> (MutexGuard<'_, HubState>, OffsetDateTime) {
        let now = self.clock.now();
        let mut state = self.lock();
        self.run_due_locked(&mut state, now);
        (state, now)
    }

    // ----- public: inspection and faults -------------------------------

    /// The live channels, oldest first.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        let (state, _) = self.lock_current();
        state
            .channels
            .iter()
            .map(|c| ChannelInfo {
                id: c.id.clone(),
                user_id: c.owner.user_id().map(str::to_owned),
                client_id: c.owner.client_id.clone(),
                topics: c.topics.clone(),
                connected: c.conn.is_some(),
                heartbeats_stopped: c.heartbeats_stopped,
                created: c.created,
                expires: c.expires,
            })
            .collect()
    }

    /// Ids of the live channels, oldest first.
    pub fn channel_ids(&self) -> Vec<String> {
        self.channels().into_iter().map(|c| c.id).collect()
    }

    /// Fault: ends the channel's socket abruptly, without a close frame (as
    /// a network failure would). The channel and its subscriptions stay;
    /// the client may connect again.
    pub fn drop_socket(&self, channel_id: &str) -> bool {
        let (mut state, _) = self.lock_current();
        let Some(i) = state.index(channel_id) else {
            return false;
        };
        match state.channels[i].conn.take() {
            Some(conn) => {
                conn.send(Out::Drop);
                true
            }
            None => false,
        }
    }

    /// Fault: sends `v2.system.socket_closing` on the channel's socket, then
    /// closes the socket (close frame 1001) once `close_after` has passed
    /// on the emulator clock. `Duration::ZERO` closes it at once. The
    /// channel itself stays.
    pub fn send_socket_closing(&self, channel_id: &str, close_after: Duration) -> bool {
        let (mut state, now) = self.lock_current();
        let Some(i) = state.index(channel_id) else {
            return false;
        };
        let body = self.system_body(
            &state.channels[i],
            None,
            "The socket will be closed for maintenance. Reconnect now.",
        );
        let channel = &mut state.channels[i];
        let Some(conn) = channel.conn.as_mut() else {
            return false;
        };
        let topic = "v2.system.socket_closing";
        conn.send(Out::Text(envelope(topic, &body)));
        self.counters.record_event_sent(topic);
        conn.closing_at = Some(add(now, close_after));
        self.run_due_locked(&mut state, now);
        drop(state);
        self.wake.notify_one();
        true
    }

    /// Fault: stops the channel's heartbeats (on this and later
    /// connections) until [`Notifications::resume_heartbeats`].
    pub fn stop_heartbeats(&self, channel_id: &str) -> bool {
        let (mut state, _) = self.lock_current();
        let Some(i) = state.index(channel_id) else {
            return false;
        };
        state.channels[i].heartbeats_stopped = true;
        true
    }

    /// Resumes the channel's heartbeats; the next one is due a full
    /// interval from now.
    pub fn resume_heartbeats(&self, channel_id: &str) -> bool {
        let (mut state, now) = self.lock_current();
        let Some(i) = state.index(channel_id) else {
            return false;
        };
        let channel = &mut state.channels[i];
        channel.heartbeats_stopped = false;
        if let Some(conn) = channel.conn.as_mut() {
            conn.next_heartbeat = add(now, self.settings.heartbeat_interval);
        }
        drop(state);
        self.wake.notify_one();
        true
    }

    /// Fault: expires the channel now, as its 24 hours running out would:
    /// its socket is closed (close frame 1000) and `HEAD` answers 404.
    pub fn expire_channel(&self, channel_id: &str) -> bool {
        let (mut state, _) = self.lock_current();
        let Some(i) = state.index(channel_id) else {
            return false;
        };
        self.expire_at(&mut state, i);
        true
    }

    /// Fault: evicts the channel, as creating a 21st channel for the same
    /// user and app does: its socket gets
    /// `v2.system.no_longer_subscribed.<channelId>` and is closed, and
    /// `HEAD` answers 404.
    pub fn evict_channel(&self, channel_id: &str) -> bool {
        let (mut state, _) = self.lock_current();
        let Some(i) = state.index(channel_id) else {
            return false;
        };
        self.evict_at(&mut state, i);
        true
    }

    /// Fault: from now on, subscriptions to topics matching `pattern` are
    /// rejected as if the subscriber lacked `missing_permission` (through
    /// the REST API and over the socket). `pattern` is a topic, or a
    /// pattern of the topic catalogue, which then covers every topic it
    /// matches (`v2.users.{id}.conversations.calls`). Topics already subscribed
    /// stay.
    pub fn reject_topic(&self, pattern: impl Into<String>, missing_permission: impl Into<String>) {
        self.lock().rejections.push(ScriptedRejection {
            pattern: pattern.into(),
            permission: missing_permission.into(),
        });
    }

    /// Removes every rejection added by [`Notifications::reject_topic`].
    pub fn clear_topic_rejections(&self) {
        self.lock().rejections.clear();
    }

    /// Sends an event on `topic` with this `eventBody` to every channel
    /// subscribed to it (wrapped in the usual envelope with a fresh
    /// `CorrelationId`), as if Genesys had published it. Returns the number
    /// of sockets it was written to. Useful to script a steady flow of
    /// numbered events.
    pub fn publish(&self, topic: &str, event_body: Value) -> usize {
        let (state, _) = self.lock_current();
        self.deliver(&state, topic, &event_body)
    }

    /// Fault: writes this exact text frame to the channel's socket (for
    /// malformed or unusual messages, or system topics such as
    /// `v2.system.token_revoked.…`). Not counted as an event.
    pub fn send_raw(&self, channel_id: &str, text: impl Into<String>) -> bool {
        let (state, _) = self.lock_current();
        let Some(i) = state.index(channel_id) else {
            return false;
        };
        match &state.channels[i].conn {
            Some(conn) => {
                conn.send(Out::Text(text.into()));
                true
            }
            None => false,
        }
    }

    // ----- crate: channel operations ----------------------------------

    /// Creates a channel, evicting the owner's least recently used one
    /// (preferring channels without a socket) when the owner is at the limit.
    pub(crate) fn create_channel(&self, owner: Owner, token: &str) -> Created {
        let (mut state, now) = self.lock_current();
        loop {
            let mine: Vec<usize> = (0..state.channels.len())
                .filter(|&i| state.channels[i].owner == owner)
                .collect();
            if mine.len() < self.settings.max_channels {
                break;
            }
            let victim = mine
                .iter()
                .copied()
                .min_by_key(|&i| {
                    let c = &state.channels[i];
                    (c.conn.is_some(), c.last_used, i)
                })
                .unwrap_or(mine[0]);
            self.evict_at(&mut state, victim);
        }
        let bytes: [u8; 16] = rand::rng().random();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let id = format!("streaming-0-{hex}");
        let expires = add(now, self.settings.channel_lifetime);
        state.channels.push(Channel {
            id: id.clone(),
            owner,
            token_fingerprint: ids::pkce_s256(token),
            created: now,
            expires,
            last_used: now,
            topics: Vec::new(),
            heartbeats_stopped: false,
            conn: None,
        });
        drop(state);
        self.counters.record_channel_created();
        self.wake.notify_one();
        tracing::debug!(channel = %redact_id(&id), "notification channel created");
        Created {
            connect_uri: self.connect_uri(&id),
            id,
            expires,
        }
    }

    fn connect_uri(&self, id: &str) -> String {
        format!("{}/channels/{id}", self.ws_base)
    }

    /// The owner's channels: those created with this token, or all of them
    /// (ids of other tokens' channels hidden) when `whole_app`.
    pub(crate) fn list(&self, owner: &Owner, token: &str, whole_app: bool) -> Vec<Listed> {
        let (state, _) = self.lock_current();
        let fingerprint = ids::pkce_s256(token);
        state
            .channels
            .iter()
            .filter(|c| &c.owner == owner)
            .filter_map(|c| {
                let own = c.token_fingerprint == fingerprint;
                if own {
                    Some(Listed {
                        id: Some(c.id.clone()),
                        connect_uri: Some(self.connect_uri(&c.id)),
                        expires: c.expires,
                    })
                } else if whole_app {
                    Some(Listed {
                        id: None,
                        connect_uri: None,
                        expires: c.expires,
                    })
                } else {
                    None
                }
            })
            .collect()
    }

    /// Whether the owner has this live channel.
    pub(crate) fn exists(&self, id: &str, owner: &Owner) -> bool {
        let (state, _) = self.lock_current();
        state
            .index(id)
            .is_some_and(|i| &state.channels[i].owner == owner)
    }

    /// The topics of the owner's live channel.
    pub(crate) fn topics(&self, id: &str, owner: &Owner) -> Option<Vec<String>> {
        let (mut state, now) = self.lock_current();
        let i = state
            .index(id)
            .filter(|&i| &state.channels[i].owner == owner)?;
        let channel = &mut state.channels[i];
        channel.last_used = now;
        Some(channel.topics.clone())
    }

    /// Removes every topic of the owner's live channel.
    pub(crate) fn unsubscribe_all(&self, id: &str, owner: &Owner) -> bool {
        let (mut state, now) = self.lock_current();
        let Some(i) = state
            .index(id)
            .filter(|&i| &state.channels[i].owner == owner)
        else {
            return false;
        };
        let channel = &mut state.channels[i];
        channel.topics.clear();
        channel.last_used = now;
        true
    }

    /// Checks and applies a subscription request.
    ///
    /// `owner`: the caller must own the channel (`None` on the socket,
    /// whose URI is the capability). `permissions` gives the permission set
    /// of the channel's owner. With `all_or_nothing`, any rejected topic
    /// fails the whole request and changes nothing; otherwise the permitted
    /// topics are applied and the rejected ones reported.
    pub(crate) fn subscribe(
        &self,
        id: &str,
        owner: Option<&Owner>,
        permissions: &dyn Fn(&Owner) -> BTreeSet<String>,
        requested: Vec<String>,
        mode: SubscribeMode,
        all_or_nothing: bool,
    ) -> Result<Subscribed, SubscribeError> {
        let (mut state, now) = self.lock_current();
        let Some(i) = state
            .index(id)
            .filter(|&i| owner.is_none_or(|o| &state.channels[i].owner == o))
        else {
            return Err(SubscribeError::NotFound);
        };
        let channel_owner = state.channels[i].owner.clone();
        let held = permissions(&channel_owner);
        let has = |p: &str| held.iter().any(|g| crate::api::grants(g, p));
        let results: Vec<(String, Verdict)> = requested
            .into_iter()
            .map(|topic| {
                let verdict =
                    topics::check(&topic, channel_owner.user_id(), &has, &state.rejections);
                (topic, verdict)
            })
            .collect();
        let accepted: Vec<&String> = results
            .iter()
            .filter(|(_, v)| v.is_permitted())
            .map(|(t, _)| t)
            .collect();
        let rejected = results.len() - accepted.len();
        if all_or_nothing && rejected > 0 {
            self.counters.record_subscriptions(0, rejected);
            return Err(SubscribeError::Rejected(results));
        }
        let channel = &mut state.channels[i];
        let mut next = match mode {
            SubscribeMode::Add => channel.topics.clone(),
            SubscribeMode::Replace => Vec::new(),
        };
        for topic in &accepted {
            if !next.contains(topic) {
                next.push((*topic).clone());
            }
        }
        if next.len() > self.settings.max_topics {
            return Err(SubscribeError::TooManyTopics(self.settings.max_topics));
        }
        self.counters.record_subscriptions(accepted.len(), rejected);
        channel.topics = next;
        channel.last_used = now;
        Ok(Subscribed {
            topics: channel.topics.clone(),
            results,
        })
    }

    /// Registers a new socket for a live channel (closing the one it
    /// replaces) and returns its connection id and message queue.
    pub(crate) fn attach(&self, id: &str) -> Option<(u64, mpsc::UnboundedReceiver<Out>)> {
        let (mut state, now) = self.lock_current();
        let i = state.index(id)?;
        state.next_conn += 1;
        let conn_id = state.next_conn;
        let (tx, rx) = mpsc::unbounded_channel();
        let channel = &mut state.channels[i];
        if let Some(old) = channel.conn.take() {
            old.send(Out::Close(
                1000,
                "Replaced by a new connection to this channel",
            ));
        }
        channel.conn = Some(Conn {
            id: conn_id,
            tx,
            next_heartbeat: add(now, self.settings.heartbeat_interval),
            closing_at: None,
        });
        channel.last_used = now;
        drop(state);
        self.counters.record_websocket_connection();
        self.wake.notify_one();
        tracing::debug!(channel = %redact_id(id), "notification socket connected");
        Some((conn_id, rx))
    }

    /// Forgets a socket that ended (if it is still the channel's).
    pub(crate) fn detach(&self, id: &str, conn_id: u64) {
        let mut state = self.lock();
        if let Some(i) = state.index(id)
            && state.channels[i]
                .conn
                .as_ref()
                .is_some_and(|c| c.id == conn_id)
        {
            state.channels[i].conn = None;
        }
    }

    /// Whether `conn_id` is still the live socket of the channel; marks the
    /// channel used.
    pub(crate) fn touch(&self, id: &str, conn_id: u64) -> bool {
        let (mut state, now) = self.lock_current();
        match state.index(id) {
            Some(i)
                if state.channels[i]
                    .conn
                    .as_ref()
                    .is_some_and(|c| c.id == conn_id) =>
            {
                state.channels[i].last_used = now;
                true
            }
            _ => false,
        }
    }

    /// Registers a created call: sends its first (dialing) events now and
    /// schedules the later ones.
    pub(crate) fn call_created(
        &self,
        timeline: [OffsetDateTime; 3],
        events: impl FnOnce() -> CallEvents,
    ) {
        let tracked = TrackedCall {
            timeline,
            emitted: 0,
            events: events(),
        };
        let (mut state, now) = self.lock_current();
        tracked.emit(self, &state, 0);
        state.calls.push_back(tracked);
        self.run_due_locked(&mut state, now);
        drop(state);
        self.wake.notify_one();
    }

    // ----- internals ----------------------------------------------------

    /// A `SystemMessageSystemMessage` body about a channel.
    fn system_body(&self, channel: &Channel, kind: Option<&str>, message: &str) -> Value {
        let mut body = json!({
            "channelId": channel.id,
            "correlationId": ids::random_uuid(),
            "organizationId": self.org_id,
            "oauthClientId": channel.owner.client_id,
            "message": message,
        });
        if let Some(kind) = kind {
            body["systemTopicType"] = json!(kind);
        }
        if let Some(user) = channel.owner.user_id() {
            body["userId"] = json!(user);
        }
        body
    }

    /// Writes an event to every connected channel subscribed to `topic`.
    fn deliver(&self, state: &HubState, topic: &str, body: &Value) -> usize {
        self.deliver_with(state, topic, || Some(body.clone()))
    }

    /// [`deliver`](Self::deliver) with a body made only when some channel
    /// listens (most calls of a load test have no subscriber at all); a body
    /// of `None` sends nothing.
    fn deliver_with(
        &self,
        state: &HubState,
        topic: &str,
        body: impl FnOnce() -> Option<Value>,
    ) -> usize {
        let mut body = Some(body);
        let mut text: Option<Option<String>> = None;
        let mut sent = 0;
        for channel in &state.channels {
            if let Some(conn) = &channel.conn
                && channel.topics.iter().any(|t| t == topic)
            {
                let made = text.get_or_insert_with(|| {
                    body.take()
                        .and_then(|make| make())
                        .map(|b| envelope(topic, &b))
                });
                let Some(text) = made else {
                    return 0;
                };
                conn.send(Out::Text(text.clone()));
                self.counters.record_event_sent(topic);
                sent += 1;
            }
        }
        sent
    }

    fn expire_at(&self, state: &mut HubState, i: usize) {
        let channel = state.channels.remove(i);
        if let Some(conn) = channel.conn {
            conn.send(Out::Close(1000, "Channel expired"));
        }
        tracing::debug!(channel = %redact_id(&channel.id), "notification channel expired");
    }

    fn evict_at(&self, state: &mut HubState, i: usize) {
        let channel = state.channels.remove(i);
        if let Some(conn) = &channel.conn {
            let mut body = self.system_body(
                &channel,
                Some("no_longer_subscribed"),
                "This channel was removed: the user and app reached their channel limit and a newer channel replaced it.",
            );
            body["reason"] = json!("another_channel_subscribed");
            let topic = format!("v2.system.no_longer_subscribed.{}", channel.id);
            conn.send(Out::Text(envelope(&topic, &body)));
            self.counters.record_event_sent(&topic);
            conn.send(Out::Close(1000, "Channel removed"));
        }
        tracing::debug!(channel = %redact_id(&channel.id), "notification channel evicted");
    }

    /// Does everything due by `now`, in time order.
    pub(crate) fn run_due(&self) -> Option<OffsetDateTime> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.run_due_locked(&mut state, now);
        self.next_deadline(&state)
    }

    fn run_due_locked(&self, state: &mut HubState, now: OffsetDateTime) {
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        enum Kind {
            // Declaration order is the order at equal times.
            Call { call: usize, phase: usize },
            Heartbeat,
            Close,
            Expire,
        }
        let mut due: Vec<(OffsetDateTime, Kind, String)> = Vec::new();
        // Calls are kept in creation order and share their phase durations,
        // so each phase's times grow along the list: those in their second
        // phase come first, then those in their first, and in each part the
        // due ones are a prefix. Only those are looked at, not every pending
        // call on every request.
        let second = state.calls.partition_point(|c| c.emitted > 0);
        let next_due = |c: &TrackedCall| c.timeline.get(c.emitted + 1).is_some_and(|t| *t <= now);
        let due_second = state
            .calls
            .range(..second)
            .take_while(|c| next_due(c))
            .count();
        let due_first = state
            .calls
            .range(second..)
            .take_while(|c| next_due(c))
            .count();
        for ci in (0..due_second).chain(second..second + due_first) {
            let call = &state.calls[ci];
            for phase in call.emitted + 1..call.timeline.len() {
                if call.timeline[phase] <= now {
                    due.push((
                        call.timeline[phase],
                        Kind::Call { call: ci, phase },
                        String::new(),
                    ));
                }
            }
        }
        for channel in &state.channels {
            if channel.expires <= now {
                due.push((channel.expires, Kind::Expire, channel.id.clone()));
            }
            if let Some(conn) = &channel.conn {
                if let Some(at) = conn.closing_at.filter(|at| *at <= now) {
                    due.push((at, Kind::Close, channel.id.clone()));
                }
                if !channel.heartbeats_stopped && conn.next_heartbeat <= now {
                    due.push((conn.next_heartbeat, Kind::Heartbeat, channel.id.clone()));
                }
            }
        }
        if due.is_empty() {
            return;
        }
        due.sort();
        for (_, kind, channel_id) in due {
            match kind {
                Kind::Call { call, phase } => {
                    let tracked = &state.calls[call];
                    if phase != tracked.emitted + 1 {
                        continue;
                    }
                    tracked.emit(self, state, phase);
                    state.calls[call].emitted = phase;
                }
                Kind::Heartbeat => {
                    let Some(i) = state.index(&channel_id) else {
                        continue;
                    };
                    let interval = self.settings.heartbeat_interval;
                    let Some(conn) = state.channels[i].conn.as_mut() else {
                        continue;
                    };
                    conn.send(Out::Text(HEARTBEAT.to_owned()));
                    self.counters.record_heartbeat();
                    // Heartbeats missed by a jump of the clock are not
                    // sent late: one is sent, the next is due on schedule.
                    while conn.next_heartbeat <= now {
                        conn.next_heartbeat = add(conn.next_heartbeat, interval);
                    }
                }
                Kind::Close => {
                    let Some(i) = state.index(&channel_id) else {
                        continue;
                    };
                    if let Some(conn) = state.channels[i].conn.take() {
                        conn.send(Out::Close(1001, "Socket closing"));
                    }
                }
                Kind::Expire => {
                    if let Some(i) = state.index(&channel_id) {
                        self.expire_at(state, i);
                    }
                }
            }
        }
        let last = PHASES_LAST;
        // Finished calls are a prefix too (the earliest to connect).
        while state.calls.front().is_some_and(|c| c.emitted >= last) {
            state.calls.pop_front();
        }
    }

    fn next_deadline(&self, state: &HubState) -> Option<OffsetDateTime> {
        // In creation order, those in their second phase come first, then
        // the rest (see `run_due_locked`): the first of each is the earliest.
        let second = state.calls.iter().take_while(|c| c.emitted > 0);
        let first = state.calls.iter().find(|c| c.emitted == 0);
        let calls = second
            .take(1)
            .chain(first)
            .filter_map(|c| c.timeline.get(c.emitted + 1).copied());
        let channels = state.channels.iter().flat_map(|c| {
            let conn = c.conn.as_ref();
            [
                Some(c.expires),
                conn.and_then(|k| k.closing_at),
                conn.filter(|_| !c.heartbeats_stopped)
                    .map(|k| k.next_heartbeat),
            ]
            .into_iter()
            .flatten()
        });
        calls.chain(channels).min()
    }
}

/// The index of the last call phase (connected).
const PHASES_LAST: usize = crate::api::PHASES.len() - 1;

/// The heartbeat Genesys sends on every channel.
pub(crate) const HEARTBEAT: &str =
    r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
/// The answer to `{"message":"ping"}`.
pub(crate) const PONG: &str = r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#;

/// The envelope of an event: `{topicName, version, eventBody, metadata}`.
pub(crate) fn envelope(topic: &str, body: &Value) -> String {
    json!({
        "topicName": topic,
        "version": "2",
        "eventBody": body,
        "metadata": {"CorrelationId": ids::random_uuid()},
    })
    .to_string()
}

/// The permissions of a channel's owner.
pub(crate) fn owner_permissions(shared: &Shared, owner: &Owner) -> BTreeSet<String> {
    shared.permissions_of(&owner.principal, &owner.client_id)
}

/// Does what falls due on the emulator clock, waking when the clock is
/// advanced, when the schedule changes and (on a real clock) when the next
/// item is due, until `shutdown` changes.
pub(crate) async fn scheduler(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut advanced = shared.clock.subscribe();
    loop {
        let next = shared.notifications.run_due();
        let wait = match next {
            Some(at) if !shared.clock.is_manual() => {
                let secs = (at - shared.clock.now()).as_seconds_f64().max(0.0);
                // Re-check at least every minute (wall-clock jumps).
                Some(Duration::from_secs_f64(secs.min(60.0)) + Duration::from_millis(1))
            }
            _ => None,
        };
        tokio::select! {
            _ = advanced.changed() => {}
            () = shared.notifications.wake.notified() => {}
            () = async {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            } => {}
            _ = shutdown.changed() => return,
        }
    }
}
