//! Request counters for assertions in tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use http::Method;

use crate::config::Grant;

/// Counters of what reached the emulator, so tests can assert exact effects
/// (for example that a retried call was created only once).
///
/// A cheap-to-clone handle; all clones see the same counts.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String), u64>,
    calls_created: u64,
    token_requests: BTreeMap<Grant, u64>,
    tokens_issued: BTreeMap<Grant, u64>,
    token_requests_total: u64,
    rate_limited: u64,
    channels_created: u64,
    websocket_connections: u64,
    subscriptions: u64,
    topics_rejected: u64,
    events_sent: BTreeMap<String, u64>,
    heartbeats_sent: u64,
}

impl Counters {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests that arrived for `method` and `route`, faulted or not.
    ///
    /// `route` is the spec's path template (`/api/v2/users/{userId}`,
    /// `/oauth/token`); requests to unknown paths are counted under their
    /// literal path.
    pub fn requests(&self, method: &Method, route: &str) -> u64 {
        self.lock()
            .requests
            .get(&(method.as_str().to_owned(), route.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Requests for `route` with any method.
    pub fn requests_any_method(&self, route: &str) -> u64 {
        self.lock()
            .requests
            .iter()
            .filter(|((_, r), _)| r == route)
            .map(|(_, n)| *n)
            .sum()
    }

    /// All requests that arrived, for any route.
    pub fn requests_total(&self) -> u64 {
        self.lock().requests.values().sum()
    }

    /// Call conversations actually created.
    pub fn calls_created(&self) -> u64 {
        self.lock().calls_created
    }

    /// Token-endpoint requests for `grant` that reached the OAuth service
    /// (successful or not; requests answered by an injected fault are not
    /// included). For [`Grant::Implicit`] it counts tokens issued by
    /// `/oauth/authorize`.
    pub fn token_requests(&self, grant: Grant) -> u64 {
        self.lock().token_requests.get(&grant).copied().unwrap_or(0)
    }

    /// Tokens successfully issued for `grant`.
    pub fn tokens_issued(&self, grant: Grant) -> u64 {
        self.lock().tokens_issued.get(&grant).copied().unwrap_or(0)
    }

    /// Every token-endpoint request that reached the OAuth service,
    /// including ones with a missing or unsupported grant type.
    pub fn token_requests_total(&self) -> u64 {
        self.lock().token_requests_total
    }

    /// API requests rejected by the configured rate limit (not by a fault).
    pub fn rate_limited(&self) -> u64 {
        self.lock().rate_limited
    }

    /// Notification channels created (`POST /api/v2/notifications/channels`).
    pub fn channels_created(&self) -> u64 {
        self.lock().channels_created
    }

    /// WebSocket connections opened to a channel's `connectUri` (successful
    /// upgrades only).
    pub fn websocket_connections(&self) -> u64 {
        self.lock().websocket_connections
    }

    /// Topics accepted by a subscription request, through the REST
    /// subscriptions API or a `subscribe` message on the socket (a topic
    /// subscribed again counts again).
    pub fn subscriptions(&self) -> u64 {
        self.lock().subscriptions
    }

    /// Topics a subscription request rejected (unknown topic, missing
    /// permission or a scripted rejection).
    pub fn topics_rejected(&self) -> u64 {
        self.lock().topics_rejected
    }

    /// Events written to a channel's socket on `topic` (the full topic
    /// name, e.g. `v2.users.{id}.conversations.calls` with the id filled
    /// in, or `v2.system.socket_closing`). An event delivered to two
    /// channels counts twice; events for a channel without a connection
    /// are not sent and not counted. Heartbeats and pongs are not events.
    pub fn events_sent(&self, topic: &str) -> u64 {
        self.lock().events_sent.get(topic).copied().unwrap_or(0)
    }

    /// Events written to sockets on every topic.
    pub fn events_sent_total(&self) -> u64 {
        self.lock().events_sent.values().sum()
    }

    /// `channel.metadata` heartbeats written to sockets.
    pub fn heartbeats_sent(&self) -> u64 {
        self.lock().heartbeats_sent
    }

    /// Sets every counter back to zero.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }

    pub(crate) fn record_request(&self, method: &Method, route: &str) {
        *self
            .lock()
            .requests
            .entry((method.as_str().to_owned(), route.to_owned()))
            .or_default() += 1;
    }

    pub(crate) fn record_call_created(&self) {
        self.lock().calls_created += 1;
    }

    pub(crate) fn record_token_request(&self, grant: Option<Grant>) {
        let mut inner = self.lock();
        if grant != Some(Grant::Implicit) {
            inner.token_requests_total += 1;
        }
        if let Some(grant) = grant {
            *inner.token_requests.entry(grant).or_default() += 1;
        }
    }

    pub(crate) fn record_token_issued(&self, grant: Grant) {
        *self.lock().tokens_issued.entry(grant).or_default() += 1;
    }

    pub(crate) fn record_rate_limited(&self) {
        self.lock().rate_limited += 1;
    }

    pub(crate) fn record_channel_created(&self) {
        self.lock().channels_created += 1;
    }

    pub(crate) fn record_websocket_connection(&self) {
        self.lock().websocket_connections += 1;
    }

    pub(crate) fn record_subscriptions(&self, accepted: usize, rejected: usize) {
        let mut inner = self.lock();
        inner.subscriptions += accepted as u64;
        inner.topics_rejected += rejected as u64;
    }

    pub(crate) fn record_event_sent(&self, topic: &str) {
        *self.lock().events_sent.entry(topic.to_owned()).or_default() += 1;
    }

    pub(crate) fn record_heartbeat(&self) {
        self.lock().heartbeats_sent += 1;
    }
}
