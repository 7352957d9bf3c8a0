//! What a subscription yields: notifications and gap markers, untyped or
//! typed, and a handle to change the topics while it runs.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

use futures_util::Stream;
use genesys_model::notifications::{
    CHANNEL_METADATA_TOPIC, Event, EventPayload, Notification, Topic,
};
use tokio::sync::{mpsc, oneshot};

use super::error::NotificationError;

/// Events may have been missed on some topics between `from` and `to`: the
/// connection carrying them was lost and has been re-established.
///
/// The notification service does not replay what it sent while a client
/// was away, so the stream says so instead of hiding it: reconcile through
/// the REST API (e.g. `GET /api/v2/conversations/calls/{id}` for the calls
/// you follow). A make-before-break switch (on `v2.system.socket_closing`,
/// or before a channel's 24 h end) loses nothing and yields no gap.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gap {
    /// The last moment the lost connection was known to deliver (its last
    /// heartbeat or event).
    pub from: SystemTime,
    /// When the new connection was subscribed and receiving again.
    pub to: SystemTime,
    /// The topics that may have missed events (those of the lost channel).
    pub topics: Vec<String>,
    /// Why the connection was lost.
    pub cause: String,
}

/// One item of a [`NotificationStream`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ChannelEvent {
    /// An event on a subscribed topic (heartbeats and the system messages
    /// the client acts on itself are not yielded).
    Notification(Notification),
    /// Events may have been missed: see [`Gap`].
    Gap(Gap),
}

impl ChannelEvent {
    /// The notification, unless this is a gap.
    pub fn notification(&self) -> Option<&Notification> {
        match self {
            ChannelEvent::Notification(n) => Some(n),
            ChannelEvent::Gap(_) => None,
        }
    }

    /// The gap, if this is one.
    pub fn gap(&self) -> Option<&Gap> {
        match self {
            ChannelEvent::Gap(g) => Some(g),
            ChannelEvent::Notification(_) => None,
        }
    }

    /// The event body as `T`, when this is a notification holding one.
    pub fn event_as<T: EventPayload>(&self) -> Option<&T> {
        self.notification().and_then(Notification::event_as)
    }
}

/// What the stream's task is asked to do.
pub(crate) enum Command {
    Add {
        topics: Vec<String>,
        reply: oneshot::Sender<Result<(), NotificationError>>,
    },
    Remove {
        topics: Vec<String>,
        reply: oneshot::Sender<Result<(), NotificationError>>,
    },
    Status {
        reply: oneshot::Sender<Status>,
    },
}

/// A snapshot of a running subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Status {
    pub(crate) topics: Vec<String>,
    pub(crate) channels: usize,
}

/// The topic names to send to the subscriptions API, checked: each is a
/// known topic (else the error names the nearest), duplicates once, and
/// the `v2.system.*` topics and `channel.metadata` left out (every channel
/// receives them without subscribing).
pub(crate) fn preflight_names<S: AsRef<str>>(
    names: impl IntoIterator<Item = S>,
) -> Result<Vec<String>, NotificationError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for name in names {
        let name = name.as_ref();
        if name == CHANNEL_METADATA_TOPIC {
            continue;
        }
        let topic = Topic::<Event>::parse(name)?;
        if topic.pattern().requires_subscription && seen.insert(name.to_owned()) {
            out.push(topic.into_name());
        }
    }
    Ok(out)
}

/// Like [`preflight_names`], for typed topics (checked with [`Topic::check`]).
pub(crate) fn preflight_topics<T>(
    topics: impl IntoIterator<Item = Topic<T>>,
) -> Result<Vec<String>, NotificationError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for topic in topics {
        topic.check()?;
        if topic.pattern().requires_subscription && seen.insert(topic.name().to_owned()) {
            out.push(topic.into_name());
        }
    }
    Ok(out)
}

/// Changes the topics of a running subscription. Cheap to clone; every
/// method fails with [`NotificationError::Closed`] once the stream has
/// ended.
///
/// ```no_run
/// use futures_util::StreamExt as _;
/// use genesys_model::notifications::topics;
///
/// # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::notifications::NotificationError> {
/// let mut stream = client.notifications_channel().subscribe_names(Vec::<String>::new()).await?;
/// let handle = stream.handle();
/// handle.add([topics::users_presence("a5b6c7d8-user")]).await?;
/// while let Some(item) = stream.next().await {
///     println!("{:?}", item?);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct NotificationHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl fmt::Debug for NotificationHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationHandle")
            .field("running", &!self.commands.is_closed())
            .finish()
    }
}

impl NotificationHandle {
    pub(crate) fn new(commands: mpsc::UnboundedSender<Command>) -> Self {
        NotificationHandle { commands }
    }

    /// Subscribes to more typed topics (checked before anything is sent).
    /// Topics go to channels with room, and to new channels past 1,000 per
    /// channel. When Genesys rejects some, the error names them and the
    /// permitted ones stay subscribed.
    pub async fn add<T>(
        &self,
        topics: impl IntoIterator<Item = Topic<T>>,
    ) -> Result<(), NotificationError> {
        let topics = preflight_topics(topics)?;
        self.add_checked(topics).await
    }

    /// Subscribes to more topics by name (each parsed and checked first).
    pub async fn add_names<S: AsRef<str>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Result<(), NotificationError> {
        let topics = preflight_names(names)?;
        self.add_checked(topics).await
    }

    async fn add_checked(&self, topics: Vec<String>) -> Result<(), NotificationError> {
        if topics.is_empty() {
            return Ok(());
        }
        let (reply, answer) = oneshot::channel();
        self.send(Command::Add { topics, reply })?;
        answer.await.unwrap_or(Err(NotificationError::Closed))
    }

    /// Unsubscribes from typed topics.
    pub async fn remove<T>(
        &self,
        topics: impl IntoIterator<Item = Topic<T>>,
    ) -> Result<(), NotificationError> {
        let names: Vec<String> = topics.into_iter().map(Topic::into_name).collect();
        self.remove_names(names).await
    }

    /// Unsubscribes from topics by name (names not subscribed are ignored).
    pub async fn remove_names<S: AsRef<str>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Result<(), NotificationError> {
        let topics: Vec<String> = names.into_iter().map(|n| n.as_ref().to_owned()).collect();
        if topics.is_empty() {
            return Ok(());
        }
        let (reply, answer) = oneshot::channel();
        self.send(Command::Remove { topics, reply })?;
        answer.await.unwrap_or(Err(NotificationError::Closed))
    }

    /// The subscribed topics (without the system topics every channel gets).
    pub async fn topics(&self) -> Result<Vec<String>, NotificationError> {
        Ok(self.status().await?.topics)
    }

    /// How many channels carry the topics (one per 1,000 topics).
    pub async fn channel_count(&self) -> Result<usize, NotificationError> {
        Ok(self.status().await?.channels)
    }

    async fn status(&self) -> Result<Status, NotificationError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Status { reply })?;
        answer.await.map_err(|_| NotificationError::Closed)
    }

    fn send(&self, command: Command) -> Result<(), NotificationError> {
        self.commands
            .send(command)
            .map_err(|_| NotificationError::Closed)
    }
}

type Item = Result<ChannelEvent, NotificationError>;

/// The notifications of a subscription, as a [`Stream`]: each event once,
/// in the order received, with a [`Gap`] wherever events may have been
/// missed.
///
/// Reconnects, channel renewals and make-before-break switches happen
/// inside; an `Err` item is final (the stream ends after it):
/// [`NotificationError::Evicted`], [`NotificationError::TokenRevoked`],
/// topics rejected on resubscription, or reconnecting given up. Dropping
/// the stream closes its sockets.
///
/// ```no_run
/// use futures_util::StreamExt as _;
/// use genesys_cloud::notifications::ChannelEvent;
///
/// # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::notifications::NotificationError> {
/// let mut stream = client
///     .notifications_channel()
///     .subscribe_names(["v2.users.a5b6c7d8-user.presence"])
///     .await?;
/// while let Some(item) = stream.next().await {
///     match item? {
///         ChannelEvent::Notification(n) => println!("{}: {:?}", n.topic_name, n.event),
///         ChannelEvent::Gap(gap) => println!("may have missed events on {:?}", gap.topics),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub struct NotificationStream {
    items: mpsc::UnboundedReceiver<Item>,
    handle: NotificationHandle,
}

impl fmt::Debug for NotificationStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationStream")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

impl NotificationStream {
    pub(crate) fn new(items: mpsc::UnboundedReceiver<Item>, handle: NotificationHandle) -> Self {
        NotificationStream { items, handle }
    }

    /// A handle to add and remove topics while the stream runs.
    pub fn handle(&self) -> NotificationHandle {
        self.handle.clone()
    }

    /// The same stream, with bodies of type `T` taken out of their
    /// notifications.
    pub fn typed<T: EventPayload>(self) -> TypedStream<T> {
        TypedStream {
            inner: self,
            event: PhantomData,
        }
    }
}

impl Stream for NotificationStream {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        self.items.poll_recv(cx)
    }
}

/// One item of a [`TypedStream`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Typed<T> {
    /// An event whose body is a `T`.
    Event {
        /// The topic it came on.
        topic: String,
        /// `metadata.CorrelationId`.
        correlation_id: Option<String>,
        /// The body.
        body: Box<T>,
    },
    /// An event whose body is not a `T`: one this build could not type
    /// ([`Event::Untyped`](genesys_model::notifications::Event::Untyped),
    /// which says why) or a system message.
    Other(Box<Notification>),
    /// Events may have been missed: see [`Gap`].
    Gap(Gap),
}

/// A [`NotificationStream`] whose events are taken as `T` (what
/// [`NotificationClient::subscribe`](super::NotificationClient::subscribe)
/// returns for `Topic<T>`s).
///
/// ```no_run
/// use futures_util::StreamExt as _;
/// use genesys_cloud::notifications::Typed;
/// use genesys_model::notifications::topics;
///
/// # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::notifications::NotificationError> {
/// let mut calls = client
///     .notifications_channel()
///     .subscribe([topics::users_conversations_calls("a5b6c7d8-user")])
///     .await?;
/// while let Some(item) = calls.next().await {
///     if let Typed::Event { body, .. } = item? {
///         println!("call {:?}", body.id);
///     }
/// }
/// # Ok(()) }
/// ```
pub struct TypedStream<T> {
    inner: NotificationStream,
    event: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for TypedStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedStream")
            .field("event_type", &std::any::type_name::<T>())
            .field("handle", &self.inner.handle)
            .finish_non_exhaustive()
    }
}

impl<T> TypedStream<T> {
    /// A handle to add and remove topics while the stream runs.
    pub fn handle(&self) -> NotificationHandle {
        self.inner.handle()
    }

    /// The untyped stream.
    pub fn into_untyped(self) -> NotificationStream {
        self.inner
    }
}

impl<T: EventPayload> Stream for TypedStream<T> {
    type Item = Result<Typed<T>, NotificationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx).map(|item| {
            item.map(|item| {
                item.map(|event| match event {
                    ChannelEvent::Gap(gap) => Typed::Gap(gap),
                    ChannelEvent::Notification(n) => {
                        let topic = n.topic_name.clone();
                        let correlation_id = n.correlation_id().map(str::to_owned);
                        match n.into_event_as::<T>() {
                            Ok(body) => Typed::Event {
                                topic,
                                correlation_id,
                                body,
                            },
                            Err(other) => Typed::Other(other),
                        }
                    }
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_refuses_typos_naming_the_nearest_topic() {
        let err = preflight_names(["v2.users.8f6c.conversations.cals"]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("v2.users.{id}.conversations.calls"), "{text}");
        assert!(err.is_preflight());
        assert!(matches!(err, NotificationError::Topic(_)));
    }

    #[test]
    fn system_topics_and_duplicates_are_not_sent() {
        let names = preflight_names([
            "v2.users.u1.presence",
            "v2.system.socket_closing",
            "channel.metadata",
            "v2.users.u1.presence",
        ])
        .unwrap();
        assert_eq!(names, ["v2.users.u1.presence"]);
    }
}
