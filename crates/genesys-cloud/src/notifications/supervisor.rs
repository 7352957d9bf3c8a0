//! The task behind a [`NotificationStream`](super::NotificationStream): it
//! owns the channels and their connections, delivers each event once,
//! reconnects after drops (yielding gap markers), switches channels
//! make-before-break, and applies topic changes.
//!
//! Topics are spread over *slots*: one slot per channel, at most
//! `max_topics_per_channel` topics each. A slot is up (one current
//! connection) or down (waiting to reconnect). Connections being replaced
//! by a switch are *retired*: still read until they close, deduplicated
//! against their replacement.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use genesys_model::notifications::NotificationKind;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::channel::{self, ChannelRef, Mode};
use super::config::Config;
use super::dedup::{self, Dedup};
use super::error::{NotificationError, RejectedTopic, TopicsRejected};
use super::socket::{self, ConnId, Ended, SocketEvent, SocketHandle};
use super::stream::{ChannelEvent, Command, Gap, Status};
use crate::Client;

type SlotId = u64;
type Item = Result<ChannelEvent, NotificationError>;

/// The shortest wait before renewing a channel, whatever its `expires`.
const MIN_RENEW_WAIT: Duration = Duration::from_secs(1);

/// A connection's part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The connection of this slot (or its replacement being set up).
    Current(SlotId),
    /// Replaced by a switch; read until it closes.
    Retired,
}

/// Waiting to reconnect.
#[derive(Debug)]
struct Down {
    /// The last moment the lost connection was known to deliver.
    since: SystemTime,
    cause: String,
    /// Failed attempts so far.
    attempt: u32,
    at: Instant,
}

#[derive(Debug)]
struct Slot {
    topics: Vec<String>,
    channel: ChannelRef,
    socket: Option<SocketHandle>,
    down: Option<Down>,
    /// When to switch to a fresh channel (before this one expires, or to
    /// retry a failed switch).
    renew_at: Option<Instant>,
    switch_failures: u32,
}

#[derive(Debug)]
struct Retired {
    slot: SlotId,
    /// Kept so the close completes; dropped when the connection ends.
    _handle: SocketHandle,
    /// When its replacement was ready.
    replaced_at: SystemTime,
}

pub(crate) struct Supervisor {
    client: Client,
    config: Config,
    tls: Arc<rustls::ClientConfig>,
    slots: BTreeMap<SlotId, Slot>,
    roles: HashMap<ConnId, Role>,
    retired: HashMap<ConnId, Retired>,
    next_id: u64,
    events_tx: mpsc::UnboundedSender<SocketEvent>,
    events_rx: mpsc::UnboundedReceiver<SocketEvent>,
    out: mpsc::UnboundedSender<Item>,
    dedup: Dedup,
    /// Retired connections whose dedup counts are to be forgotten.
    forget_at: Vec<(Instant, ConnId)>,
}

/// What woke the task.
enum Wake {
    StreamDropped,
    Command(Option<Command>),
    Socket(SocketEvent),
    Timer,
}

impl Supervisor {
    pub(crate) fn new(
        client: Client,
        config: Config,
        tls: Arc<rustls::ClientConfig>,
        out: mpsc::UnboundedSender<Item>,
    ) -> Self {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        Supervisor {
            dedup: Dedup::new(config.dedup_window),
            client,
            config,
            tls,
            slots: BTreeMap::new(),
            roles: HashMap::new(),
            retired: HashMap::new(),
            next_id: 0,
            events_tx,
            events_rx,
            out,
            forget_at: Vec::new(),
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn renew_at(&self, channel: &ChannelRef) -> Option<Instant> {
        let expires = channel.expires?;
        let left = expires
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let margin = self.config.renew_before_expiry;
        let wait = if left > margin {
            left - margin
        } else {
            left / 2
        };
        Some(Instant::now() + wait.max(MIN_RENEW_WAIT))
    }

    async fn connect(
        &mut self,
        channel: &ChannelRef,
        slot: SlotId,
    ) -> Result<SocketHandle, NotificationError> {
        let conn = self.next_id();
        let handle = socket::connect(
            channel,
            conn,
            self.client.connection_settings(),
            self.tls.clone(),
            &self.config,
            self.events_tx.clone(),
        )
        .await?;
        self.roles.insert(conn, Role::Current(slot));
        Ok(handle)
    }

    /// The new socket back when its topics were all (re)subscribed; else it
    /// is closed and the rejection or error returned.
    fn keep_if_subscribed(
        &mut self,
        socket: SocketHandle,
        subscribed: Result<Vec<RejectedTopic>, NotificationError>,
    ) -> Result<SocketHandle, NotificationError> {
        match subscribed {
            Ok(rejected) if rejected.is_empty() => Ok(socket),
            Ok(rejected) => {
                self.unregister(socket);
                Err(NotificationError::Rejected(TopicsRejected::new(rejected)))
            }
            Err(e) => {
                self.unregister(socket);
                Err(e)
            }
        }
    }

    fn unregister(&mut self, handle: SocketHandle) {
        self.roles.remove(&handle.conn);
        // Dropping the handle closes the socket; its end is then ignored.
        drop(handle);
    }

    /// Creates a channel, connects to it, then subscribes it to `topics`
    /// (connected first, so nothing published after the subscription is
    /// missed). Returns the topics Genesys rejected; the others are the
    /// new slot's.
    pub(crate) async fn open_slot(
        &mut self,
        topics: Vec<String>,
    ) -> Result<Vec<RejectedTopic>, NotificationError> {
        let channel = channel::create(&self.client).await?;
        let slot_id = self.next_id();
        let socket = self.connect(&channel, slot_id).await?;
        let rejected = if topics.is_empty() {
            Vec::new()
        } else {
            match channel::subscribe(&self.client, &channel.id, &topics, Mode::Add).await {
                Ok(rejected) => rejected,
                Err(e) => {
                    self.unregister(socket);
                    return Err(e);
                }
            }
        };
        let refused: HashSet<&str> = rejected.iter().map(|r| r.topic.as_str()).collect();
        let topics = topics
            .into_iter()
            .filter(|t| !refused.contains(t.as_str()))
            .collect();
        let renew_at = self.renew_at(&channel);
        self.slots.insert(
            slot_id,
            Slot {
                topics,
                channel,
                socket: Some(socket),
                down: None,
                renew_at,
                switch_failures: 0,
            },
        );
        Ok(rejected)
    }

    /// Closes everything (the subscription failed, or the stream ended).
    pub(crate) fn close_all(&mut self) {
        self.slots.clear();
        self.retired.clear();
        self.roles.clear();
    }

    /// Runs until the stream is dropped or a final error.
    pub(crate) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut commands_open = true;
        loop {
            let deadline = self.next_deadline();
            let wake = tokio::select! {
                biased;
                () = self.out.closed() => Wake::StreamDropped,
                command = commands.recv(), if commands_open => Wake::Command(command),
                Some(event) = self.events_rx.recv() => Wake::Socket(event),
                () = sleep_until_opt(deadline) => Wake::Timer,
            };
            let step = match wake {
                Wake::StreamDropped => {
                    tracing::debug!("notification stream dropped; closing its sockets");
                    break;
                }
                Wake::Command(None) => {
                    commands_open = false;
                    Ok(())
                }
                Wake::Command(Some(command)) => {
                    self.command(command).await;
                    Ok(())
                }
                Wake::Socket(event) => self.socket_event(event).await,
                Wake::Timer => self.due().await,
            };
            if let Err(e) = step {
                tracing::warn!(error = %e, "notification stream ended");
                let _ = self.out.send(Err(e));
                break;
            }
        }
        self.close_all();
    }

    fn next_deadline(&self) -> Option<Instant> {
        let slots = self.slots.values().flat_map(|s| {
            [s.down.as_ref().map(|d| d.at), s.renew_at]
                .into_iter()
                .flatten()
        });
        let forgets = self.forget_at.iter().map(|(at, _)| *at);
        slots.chain(forgets).min()
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Add { topics, reply } => {
                let result = self.add(topics).await;
                let _ = reply.send(result);
            }
            Command::Remove { topics, reply } => {
                let result = self.remove(topics).await;
                let _ = reply.send(result);
            }
            Command::Status { reply } => {
                let _ = reply.send(Status {
                    topics: self
                        .slots
                        .values()
                        .flat_map(|s| s.topics.iter().cloned())
                        .collect(),
                    channels: self.slots.len(),
                });
            }
        }
    }

    async fn add(&mut self, topics: Vec<String>) -> Result<(), NotificationError> {
        let mut known: HashSet<&str> = self
            .slots
            .values()
            .flat_map(|s| s.topics.iter().map(String::as_str))
            .collect();
        let mut new: Vec<String> = Vec::new();
        for topic in &topics {
            if known.insert(topic) {
                new.push(topic.clone());
            }
        }
        let max = self.config.max_topics_per_channel;
        let mut rejected = Vec::new();
        let mut rest = new.as_slice();
        let ids: Vec<SlotId> = self.slots.keys().copied().collect();
        for id in ids {
            if rest.is_empty() {
                break;
            }
            let Some(slot) = self.slots.get(&id) else {
                continue;
            };
            let room = max.saturating_sub(slot.topics.len());
            if room == 0 {
                continue;
            }
            let (take, after) = rest.split_at(room.min(rest.len()));
            rest = after;
            if slot.down.is_some() {
                // Subscribed when it reconnects.
                if let Some(slot) = self.slots.get_mut(&id) {
                    slot.topics.extend_from_slice(take);
                }
                continue;
            }
            let channel_id = slot.channel.id.clone();
            let refused = channel::subscribe(&self.client, &channel_id, take, Mode::Add).await?;
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.topics.extend(
                    take.iter()
                        .filter(|t| !refused.iter().any(|r| &r.topic == *t))
                        .cloned(),
                );
            }
            rejected.extend(refused);
        }
        while !rest.is_empty() {
            let (take, after) = rest.split_at(max.min(rest.len()));
            rest = after;
            rejected.extend(self.open_slot(take.to_vec()).await?);
        }
        if rejected.is_empty() {
            Ok(())
        } else {
            Err(NotificationError::Rejected(TopicsRejected::new(rejected)))
        }
    }

    async fn remove(&mut self, topics: Vec<String>) -> Result<(), NotificationError> {
        let topics: HashSet<String> = topics.into_iter().collect();
        let ids: Vec<SlotId> = self.slots.keys().copied().collect();
        for id in ids {
            let Some(slot) = self.slots.get(&id) else {
                continue;
            };
            let remaining: Vec<String> = slot
                .topics
                .iter()
                .filter(|t| !topics.contains(*t))
                .cloned()
                .collect();
            if remaining.len() == slot.topics.len() {
                continue;
            }
            if slot.down.is_none() {
                let channel_id = slot.channel.id.clone();
                if remaining.is_empty() {
                    channel::unsubscribe_all(&self.client, &channel_id).await?;
                } else {
                    channel::subscribe(&self.client, &channel_id, &remaining, Mode::Replace)
                        .await?;
                }
            }
            let empty = remaining.is_empty();
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.topics = remaining;
            }
            // A channel left without topics is closed, unless it is the last.
            if empty
                && self.slots.len() > 1
                && let Some(slot) = self.slots.remove(&id)
            {
                tracing::info!(channel = %slot.channel.id, "notification channel emptied; closing it");
                if let Some(socket) = slot.socket {
                    self.unregister(socket);
                }
            }
        }
        Ok(())
    }

    async fn socket_event(&mut self, event: SocketEvent) -> Result<(), NotificationError> {
        match event {
            SocketEvent::Message {
                conn,
                notification,
                text_hash,
            } => {
                let Some(role) = self.roles.get(&conn).copied() else {
                    return Ok(());
                };
                let channel = self.channel_label(role, conn);
                match notification.kind() {
                    NotificationKind::SocketClosing => {
                        if let Role::Current(slot) = role {
                            tracing::info!(channel = %channel, "v2.system.socket_closing received");
                            self.switch(slot, "v2.system.socket_closing").await?;
                        }
                        Ok(())
                    }
                    NotificationKind::TokenRevoked if role != Role::Retired => {
                        Err(NotificationError::TokenRevoked { channel })
                    }
                    NotificationKind::NoLongerSubscribed if role != Role::Retired => {
                        let reason = serde_json::to_value(&notification.event)
                            .ok()
                            .and_then(|v| v.get("message")?.as_str().map(str::to_owned));
                        Err(NotificationError::Evicted { channel, reason })
                    }
                    NotificationKind::TokenRevoked | NotificationKind::NoLongerSubscribed => {
                        tracing::debug!(channel = %channel, "system message on a retired channel ignored");
                        Ok(())
                    }
                    _ => {
                        let key = dedup::key(&notification, text_hash);
                        if self.dedup.admit(conn, key) {
                            let _ = self.out.send(Ok(ChannelEvent::Notification(*notification)));
                        } else {
                            tracing::trace!(channel = %channel, "duplicate notification dropped");
                        }
                        Ok(())
                    }
                }
            }
            SocketEvent::Ended(ended) => {
                self.ended(ended);
                Ok(())
            }
        }
    }

    fn channel_label(&self, role: Role, conn: ConnId) -> String {
        let slot = match role {
            Role::Current(slot) => Some(slot),
            Role::Retired => self.retired.get(&conn).map(|r| r.slot),
        };
        slot.and_then(|s| self.slots.get(&s))
            .map(|s| s.channel.id.redacted())
            .unwrap_or_else(|| "(closed)".into())
    }

    fn ended(&mut self, ended: Ended) {
        let Some(role) = self.roles.remove(&ended.conn) else {
            return;
        };
        match role {
            Role::Current(slot_id) => {
                self.dedup.forget(ended.conn);
                let delay = self.config.backoff.delay(0);
                let Some(slot) = self.slots.get_mut(&slot_id) else {
                    return;
                };
                if slot.socket.as_ref().is_none_or(|s| s.conn != ended.conn) {
                    return;
                }
                slot.socket = None;
                slot.renew_at = None;
                tracing::warn!(
                    channel = %slot.channel.id,
                    cause = %ended.cause,
                    retry_in_ms = delay.as_millis() as u64,
                    "notification connection lost; reconnecting"
                );
                slot.down = Some(Down {
                    since: ended.last_message_at,
                    cause: ended.cause.to_string(),
                    attempt: 0,
                    at: Instant::now() + delay,
                });
            }
            Role::Retired => {
                let Some(retired) = self.retired.remove(&ended.conn) else {
                    return;
                };
                if !ended.cause.by_us() && ended.at < retired.replaced_at {
                    // The server closed it before the replacement was ready.
                    let topics = self
                        .slots
                        .get(&retired.slot)
                        .map(|s| s.topics.clone())
                        .unwrap_or_default();
                    tracing::warn!(cause = %ended.cause, "notification socket closed before its replacement was ready; reporting a gap");
                    let _ = self.out.send(Ok(ChannelEvent::Gap(Gap {
                        from: ended.last_message_at,
                        to: retired.replaced_at,
                        topics,
                        cause: ended.cause.to_string(),
                    })));
                }
                // Its replacement may still deliver copies of what it
                // carried: forget its counts a little later.
                self.forget_at
                    .push((Instant::now() + self.config.switch_dedup_grace, ended.conn));
            }
        }
    }

    async fn due(&mut self) -> Result<(), NotificationError> {
        let now = Instant::now();
        let (forget, keep): (Vec<_>, Vec<_>) =
            self.forget_at.drain(..).partition(|(at, _)| *at <= now);
        self.forget_at = keep;
        for (_, conn) in forget {
            self.dedup.forget(conn);
        }
        let ids: Vec<SlotId> = self.slots.keys().copied().collect();
        for id in ids {
            let Some(slot) = self.slots.get(&id) else {
                continue;
            };
            if slot.down.as_ref().is_some_and(|d| d.at <= now) {
                self.reconnect(id).await?;
            } else if slot.down.is_none() && slot.renew_at.is_some_and(|at| at <= now) {
                self.switch(id, "renewal before the channel expires")
                    .await?;
            }
        }
        Ok(())
    }

    async fn reconnect(&mut self, id: SlotId) -> Result<(), NotificationError> {
        let attempt = self
            .slots
            .get(&id)
            .and_then(|s| s.down.as_ref())
            .map_or(0, |d| d.attempt);
        match self.try_reconnect(id).await {
            Ok(()) => {
                let Some(slot) = self.slots.get_mut(&id) else {
                    return Ok(());
                };
                let Some(down) = slot.down.take() else {
                    return Ok(());
                };
                let to = SystemTime::now();
                tracing::info!(
                    channel = %slot.channel.id,
                    attempts = attempt + 1,
                    gap_ms = to.duration_since(down.since).unwrap_or_default().as_millis() as u64,
                    "notification channel reconnected; reporting a gap"
                );
                let gap = Gap {
                    from: down.since,
                    to,
                    topics: slot.topics.clone(),
                    cause: down.cause,
                };
                let _ = self.out.send(Ok(ChannelEvent::Gap(gap)));
                Ok(())
            }
            Err(e) if e.is_permanent() => Err(e),
            Err(e) => {
                let failed = attempt + 1;
                if self
                    .config
                    .max_reconnect_attempts
                    .is_some_and(|max| failed >= max)
                {
                    return Err(NotificationError::GaveUp {
                        attempts: failed,
                        last: Box::new(e),
                    });
                }
                let delay = self.config.backoff.delay(failed);
                if let Some(slot) = self.slots.get_mut(&id)
                    && let Some(down) = slot.down.as_mut()
                {
                    down.attempt = failed;
                    down.at = Instant::now() + delay;
                    tracing::warn!(
                        channel = %slot.channel.id,
                        attempts = failed,
                        retry_in_ms = delay.as_millis() as u64,
                        error = %e,
                        "notification reconnect failed"
                    );
                }
                Ok(())
            }
        }
    }

    /// Reuses the channel if it still exists (`HEAD`), else creates one;
    /// connects; subscribes the slot's topics again.
    async fn try_reconnect(&mut self, id: SlotId) -> Result<(), NotificationError> {
        let Some(slot) = self.slots.get(&id) else {
            return Ok(());
        };
        let (old, topics) = (slot.channel.clone(), slot.topics.clone());
        tracing::info!(channel = %old.id, "reconnecting notification channel");
        let reused = channel::exists(&self.client, &old.id).await?;
        let channel = if reused {
            old
        } else {
            tracing::warn!(
                channel = %old.id,
                "notification channel no longer exists (expired or removed); creating a new one"
            );
            let fresh = channel::create(&self.client).await?;
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.channel = fresh.clone();
            }
            fresh
        };
        let socket = self.connect(&channel, id).await?;
        let resubscribed = if !topics.is_empty() {
            channel::subscribe(&self.client, &channel.id, &topics, Mode::Replace).await
        } else if reused {
            // Topics removed while it was down are still subscribed there.
            channel::unsubscribe_all(&self.client, &channel.id)
                .await
                .map(|()| Vec::new())
        } else {
            Ok(Vec::new())
        };
        let socket = self.keep_if_subscribed(socket, resubscribed)?;
        let renew_at = self.renew_at(&channel);
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.socket = Some(socket);
            slot.renew_at = renew_at;
            slot.switch_failures = 0;
        }
        Ok(())
    }

    /// Make-before-break: a new channel, connected and subscribed, then
    /// the old connection closed. What both carried is delivered once.
    async fn switch(&mut self, id: SlotId, reason: &'static str) -> Result<(), NotificationError> {
        let Some(slot) = self.slots.get(&id) else {
            return Ok(());
        };
        if slot.down.is_some() {
            return Ok(());
        }
        let old_channel = slot.channel.id.clone();
        tracing::info!(
            channel = %old_channel,
            reason,
            "notification channel switch: opening the replacement before closing the old connection"
        );
        match self.open_replacement(id).await {
            Ok((channel, socket)) => {
                let renew_at = self.renew_at(&channel);
                let Some(slot) = self.slots.get_mut(&id) else {
                    self.unregister(socket);
                    return Ok(());
                };
                tracing::info!(
                    from = %old_channel,
                    to = %channel.id,
                    reason,
                    "notification channel switched; closing the old connection"
                );
                slot.channel = channel;
                slot.renew_at = renew_at;
                slot.switch_failures = 0;
                if let Some(mut old) = slot.socket.replace(socket) {
                    old.close();
                    self.roles.insert(old.conn, Role::Retired);
                    self.retired.insert(
                        old.conn,
                        Retired {
                            slot: id,
                            _handle: old,
                            replaced_at: SystemTime::now(),
                        },
                    );
                }
                Ok(())
            }
            Err(e) if e.is_permanent() => Err(e),
            Err(e) => {
                let Some(slot) = self.slots.get_mut(&id) else {
                    return Ok(());
                };
                slot.switch_failures += 1;
                let delay = self.config.backoff.delay(slot.switch_failures);
                slot.renew_at = Some(Instant::now() + delay);
                tracing::warn!(
                    channel = %old_channel,
                    error = %e,
                    retry_in_ms = delay.as_millis() as u64,
                    "notification channel switch failed; keeping the current connection"
                );
                Ok(())
            }
        }
    }

    async fn open_replacement(
        &mut self,
        id: SlotId,
    ) -> Result<(ChannelRef, SocketHandle), NotificationError> {
        let topics = self
            .slots
            .get(&id)
            .map(|s| s.topics.clone())
            .unwrap_or_default();
        let channel = channel::create(&self.client).await?;
        let socket = self.connect(&channel, id).await?;
        let socket = if topics.is_empty() {
            socket
        } else {
            let subscribed =
                channel::subscribe(&self.client, &channel.id, &topics, Mode::Replace).await;
            self.keep_if_subscribed(socket, subscribed)?
        };
        Ok((channel, socket))
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
