//! [`NotificationClient`]: the settings, and `subscribe`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use genesys_model::notifications::{EventPayload, Topic};
use tokio::sync::mpsc;

use super::config::{Backoff, Config, MAX_TOPICS_PER_CHANNEL};
use super::error::{NotificationError, TopicsRejected};
use super::socket;
use super::stream::{
    NotificationHandle, NotificationStream, TypedStream, preflight_names, preflight_topics,
};
use super::supervisor::Supervisor;
use crate::Client;

impl Client {
    /// The notification channel client (feature `notifications-client`):
    /// subscribe to topics and get a stream of their events over a
    /// WebSocket, with reconnects, renewals and gap markers handled.
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// use genesys_cloud::notifications::Typed;
    /// use genesys_model::notifications::topics;
    ///
    /// # async fn demo(client: genesys_cloud::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut calls = client
    ///     .notifications_channel()
    ///     .subscribe([topics::users_conversations_calls("a5b6c7d8-user")])
    ///     .await?;
    /// while let Some(item) = calls.next().await {
    ///     match item? {
    ///         Typed::Event { body, .. } => println!("call {:?} changed", body.id),
    ///         Typed::Gap(gap) => println!("reconcile calls since {:?}", gap.from),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn notifications_channel(&self) -> NotificationClient {
        NotificationClient::new(self)
    }
}

/// Subscribes to notification topics over a channel's WebSocket, and keeps
/// the subscription alive.
///
/// What it guarantees:
///
/// * **Preflight**: a malformed or unknown topic is refused before
///   anything is sent, naming the nearest known topic; topics Genesys
///   rejects come back as [`NotificationError::Rejected`], naming the
///   missing permissions.
/// * **Never silently deaf**: heartbeats are tracked; a connection that
///   receives neither a heartbeat nor an event within
///   [`dead_after_heartbeats`](Self::dead_after_heartbeats) × the
///   [`heartbeat_interval`](Self::heartbeat_interval) is treated as dead.
///   The client also pings; a ping unanswered until the next is due marks
///   the connection dead too.
/// * **Reconnects** after an unexpected close, error or dead connection,
///   with jittered exponential [`backoff`](Self::backoff), reusing the
///   channel if it still exists (`HEAD`), else creating one, and
///   subscribing again. Events sent meanwhile are lost: the stream yields a
///   [`Gap`](super::Gap) with the time window instead of hiding it.
/// * **Make-before-break**: on `v2.system.socket_closing`, and
///   [`renew_before_expiry`](Self::renew_before_expiry) before a channel's
///   24 h end, a new channel is created, connected and subscribed before
///   the old connection is closed; each event is delivered once (what both
///   carried is deduplicated by topic and `CorrelationId`, else by exact
///   text) and no gap is reported.
/// * **Limits**: more than 1,000 topics are spread over several channels;
///   an eviction (`v2.system.no_longer_subscribed`: the 20 channels per
///   user and app were exceeded) and `v2.system.token_revoked` end the
///   stream with a clear error.
/// * Every connect, subscription, heartbeat miss, reconnect and switch is
///   a `tracing` event; the `connectUri` and channel ids, bearer
///   capabilities, are never logged or shown in full.
///
/// ```no_run
/// use std::time::Duration;
/// use futures_util::StreamExt as _;
/// use genesys_cloud::notifications::{Backoff, ChannelEvent, NotificationClient};
///
/// # async fn demo(client: genesys_cloud::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let mut stream = NotificationClient::new(&client)
///     .backoff(Backoff::new(Duration::from_millis(500), Duration::from_secs(30)))
///     .subscribe_names(["v2.users.a5b6c7d8-user.presence"])
///     .await?;
/// while let Some(item) = stream.next().await {
///     if let ChannelEvent::Notification(n) = item? {
///         println!("{}", serde_json::to_string(&n)?);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct NotificationClient {
    client: Client,
    config: Config,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl fmt::Debug for NotificationClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationClient")
            .field("client", &self.client)
            .field("heartbeat_interval", &self.config.heartbeat_interval)
            .field("dead_after", &self.config.dead_after())
            .field("ping_interval", &self.config.ping_interval)
            .field("backoff", &self.config.backoff)
            .field("renew_before_expiry", &self.config.renew_before_expiry)
            .field(
                "max_topics_per_channel",
                &self.config.max_topics_per_channel,
            )
            .field(
                "max_reconnect_attempts",
                &self.config.max_reconnect_attempts,
            )
            .field("custom_tls", &self.tls.is_some())
            .finish()
    }
}

impl NotificationClient {
    /// A notification client using `client`'s API connection and tokens,
    /// with the defaults: heartbeats every 30 s, dead after 2.5 missed,
    /// pings every 20 s, backoff from 1 s to 60 s, channels renewed 10 min
    /// before they expire, 1,000 topics per channel, reconnecting forever.
    pub fn new(client: &Client) -> Self {
        NotificationClient {
            client: client.clone(),
            config: Config::default(),
            tls: None,
        }
    }

    /// The heartbeat interval the server uses (Genesys: 30 s).
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.config.heartbeat_interval = interval;
        self
    }

    /// How many heartbeat intervals a connection may stay silent (no
    /// heartbeat, no event) before it is treated as dead (default 2.5;
    /// at least 1).
    pub fn dead_after_heartbeats(mut self, multiple: f64) -> Self {
        self.config.dead_after_multiple = multiple;
        self
    }

    /// How often to ping (`{"message":"ping"}`); a ping unanswered when the
    /// next is due marks the connection dead. `None` turns pings off
    /// (default 20 s).
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.config.ping_interval = interval;
        self
    }

    /// The backoff between reconnect attempts (default 1 s doubling to 60 s,
    /// jittered).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// How long before a channel's `expires` to switch to a new one
    /// (default 10 min). When less than this is left, the switch happens
    /// halfway through what is left (but not within 1 s).
    pub fn renew_before_expiry(mut self, margin: Duration) -> Self {
        self.config.renew_before_expiry = margin;
        self
    }

    /// Topics per channel before another channel is used (1 to 1,000, the
    /// Genesys limit; default 1,000).
    pub fn max_topics_per_channel(mut self, max: usize) -> Self {
        self.config.max_topics_per_channel = max.clamp(1, MAX_TOPICS_PER_CHANNEL);
        self
    }

    /// Reconnect attempts in a row before the stream ends with
    /// [`NotificationError::GaveUp`] (`None`, the default: never give up).
    pub fn max_reconnect_attempts(mut self, max: Option<u32>) -> Self {
        self.config.max_reconnect_attempts = max.map(|m| m.max(1));
        self
    }

    /// How many recent events are remembered to deduplicate a switch
    /// (default 10,000).
    pub fn dedup_window(mut self, events: usize) -> Self {
        self.config.dedup_window = events.max(1);
        self
    }

    /// How long a WebSocket handshake may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The TLS configuration for `wss://` connections (default: built
    /// from the client's [`ConnectionSettings`](crate::ConnectionSettings), so the
    /// WebSocket trusts the same roots and presents the same client
    /// certificate as API calls).
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Subscribes to typed topics (from
    /// [`genesys_model::notifications::topics`]) and returns their events
    /// as `T`.
    ///
    /// Every topic is checked first ([`Topic::check`]): nothing is sent if
    /// one is refused. Then a channel is created per 1,000 topics,
    /// connected, and subscribed; when Genesys rejects topics, the error
    /// names them and their missing permissions. An empty list opens one
    /// channel without topics (add some with the stream's
    /// [`handle`](TypedStream::handle)).
    pub async fn subscribe<T: EventPayload>(
        &self,
        topics: impl IntoIterator<Item = Topic<T>>,
    ) -> Result<TypedStream<T>, NotificationError> {
        let names = preflight_topics(topics)?;
        Ok(self.open(names).await?.typed())
    }

    /// Subscribes to topics by name, e.g. from configuration; each is
    /// parsed and checked first, and refused with the nearest known topic
    /// named when it is not one.
    pub async fn subscribe_names<S: AsRef<str>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Result<NotificationStream, NotificationError> {
        let names = preflight_names(names)?;
        self.open(names).await
    }

    async fn open(&self, names: Vec<String>) -> Result<NotificationStream, NotificationError> {
        let tls = match &self.tls {
            Some(tls) => tls.clone(),
            None => socket::tls_config(self.client.connection_settings())?,
        };
        let (out, items) = mpsc::unbounded_channel();
        let mut supervisor = Supervisor::new(self.client.clone(), self.config.clone(), tls, out);
        let max = self.config.max_topics_per_channel;
        let chunks: Vec<Vec<String>> = if names.is_empty() {
            vec![Vec::new()]
        } else {
            names.chunks(max).map(<[String]>::to_vec).collect()
        };
        let mut rejected = Vec::new();
        for chunk in chunks {
            match supervisor.open_slot(chunk).await {
                Ok(refused) => rejected.extend(refused),
                Err(e) => {
                    supervisor.close_all();
                    return Err(e);
                }
            }
        }
        if !rejected.is_empty() {
            supervisor.close_all();
            return Err(NotificationError::Rejected(TopicsRejected::new(rejected)));
        }
        let (commands, receiver) = mpsc::unbounded_channel();
        tokio::spawn(supervisor.run(receiver));
        Ok(NotificationStream::new(
            items,
            NotificationHandle::new(commands),
        ))
    }
}
