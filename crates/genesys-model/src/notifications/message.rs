//! One message of a notification channel: the envelope, its typed event,
//! the channel's own metadata and the socket's replies.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::topic::{TopicMatch, match_topic};
use super::{Event, TopicPattern};
use crate::model::UnknownFields;

/// The topic of the channel's own messages: heartbeats and pongs.
pub const CHANNEL_METADATA_TOPIC: &str = "channel.metadata";
/// The `message` of a heartbeat.
pub const HEARTBEAT_MESSAGE: &str = "WebSocket Heartbeat";
/// The `message` of the answer to `{"message":"ping"}`.
pub const PONG_MESSAGE: &str = "pong";

/// Types an [`Event`] can hold: every event body type (each once, whatever
/// names it goes by), and `Event` itself.
pub trait EventPayload: Sized {
    /// The body, when the event holds this type.
    fn from_event(event: &Event) -> Option<&Self>;
    /// The body, when the event holds this type; else the event back.
    fn from_event_owned(event: Event) -> Result<Box<Self>, Event>;
}

impl EventPayload for Event {
    fn from_event(event: &Event) -> Option<&Self> {
        Some(event)
    }
    fn from_event_owned(event: Event) -> Result<Box<Self>, Event> {
        Ok(Box::new(event))
    }
}

/// `channel.metadata` bodies.
impl EventPayload for ChannelMetadata {
    fn from_event(event: &Event) -> Option<&Self> {
        match event {
            Event::ChannelMetadata(m) => Some(m),
            _ => None,
        }
    }
    fn from_event_owned(event: Event) -> Result<Box<Self>, Event> {
        match event {
            Event::ChannelMetadata(m) => Ok(Box::new(m)),
            other => Err(other),
        }
    }
}

/// Decodes an event body (generated code calls this).
pub(crate) fn decode_body<T: DeserializeOwned>(body: &str) -> Result<Box<T>, serde_json::Error> {
    serde_json::from_str(body).map(Box::new)
}

/// An event body this build could not type, kept as JSON so nothing is lost.
#[derive(Debug, Clone, PartialEq)]
pub struct UntypedEvent {
    /// The `eventBody`, verbatim.
    pub body: serde_json::Value,
    /// Why it is not typed.
    pub reason: UntypedReason,
}

/// Why an event is [`Event::Untyped`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UntypedReason {
    /// The topic matches no pattern of this crate's catalogue (newer than it).
    UnknownTopic,
    /// The topic is known but its family's feature is off in this build.
    NotEnabled {
        /// The feature that would type it (`topics-routing`).
        feature: &'static str,
    },
    /// The body did not decode as the topic's type (a value of the wrong
    /// JSON type, say); the decoder's message says where.
    Undecodable {
        /// The decode error.
        error: String,
    },
    /// The message had no `eventBody`.
    MissingBody,
}

/// The body of a `channel.metadata` message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelMetadata {
    /// `WebSocket Heartbeat` for a heartbeat, `pong` for a ping's answer.
    pub message: Option<String>,
    /// Fields this crate does not know, kept.
    pub unknown_fields: UnknownFields,
}

/// The `metadata` of a notification.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationMetadata {
    /// `CorrelationId` (capital C, as Genesys sends it).
    pub correlation_id: Option<String>,
    /// Fields this crate does not know, kept.
    pub unknown_fields: UnknownFields,
}

macro_rules! small_model {
    ($ty:ident, $expecting:literal, $($json:literal => $field:ident),*) => {
        impl crate::__private::DecodeFields for $ty {
            const EXPECTING: &'static str = $expecting;
            fn decode_field<'de, A: MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $($json => self.$field = map.next_value()?,)*
                    _ => return Ok(false),
                }
                Ok(true)
            }
            fn unknown_fields_slot(&mut self) -> &mut UnknownFields {
                &mut self.unknown_fields
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::__private::deserialize_object(d)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                $(crate::__private::field(&mut map, $json, &self.$field)?;)*
                crate::__private::finish(map, &self.unknown_fields)
            }
        }
    };
}

small_model!(ChannelMetadata, "a channel.metadata body", "message" => message);
small_model!(NotificationMetadata, "a notification's metadata", "CorrelationId" => correlation_id);

/// One notification: an event on a topic, as the WebSocket delivers it
/// (`{"topicName", "version", "eventBody", "metadata": {"CorrelationId"}}`)
/// and as an EventBridge event's `detail` carries it.
///
/// Decoding never fails because of the topic or the body: a topic this
/// build does not type keeps its body as JSON ([`Event::Untyped`]), and
/// unknown fields are kept at every level, so re-encoding gives the same
/// JSON. Only a message that is not a JSON object with a `topicName` is an
/// error.
///
/// ```
/// use genesys_model::notifications::{Notification, NotificationKind};
///
/// let heartbeat: Notification = serde_json::from_str(
///     r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#,
/// ).unwrap();
/// assert_eq!(heartbeat.kind(), NotificationKind::Heartbeat);
///
/// # #[cfg(feature = "topics-users")] {
/// use genesys_model::PresenceEventUserPresence;
/// let presence: Notification = serde_json::from_str(r#"{
///     "topicName": "v2.users.6a1c.presence", "version": "2",
///     "eventBody": {"presenceDefinition": {"systemPresence": "Available"}, "newField": 1},
///     "metadata": {"CorrelationId": "c0ffee"}
/// }"#).unwrap();
/// let body: &PresenceEventUserPresence = presence.event_as().unwrap();
/// assert_eq!(body.unknown_fields["newField"], 1);
/// assert_eq!(presence.topic().unwrap().parameter("user_id"), Some("6a1c"));
/// assert_eq!(presence.correlation_id(), Some("c0ffee"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The topic the event was published on (`v2.users.<id>.presence`).
    pub topic_name: String,
    /// The envelope version (Genesys sends `"2"`).
    pub version: Option<String>,
    /// The event body, typed by its topic.
    pub event: Event,
    /// The envelope's metadata.
    pub metadata: Option<NotificationMetadata>,
    /// Envelope fields this crate does not know, kept.
    pub unknown_fields: UnknownFields,
}

/// What a notification is, for a channel client's dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotificationKind {
    /// `channel.metadata` with `WebSocket Heartbeat`.
    Heartbeat,
    /// `channel.metadata` with `pong`: the answer to a ping.
    Pong,
    /// Another `channel.metadata` message.
    ChannelMetadata,
    /// `v2.system.socket_closing`: the service will close this socket soon.
    SocketClosing,
    /// `v2.system.token_revoked.{id}`: the channel's token was revoked.
    TokenRevoked,
    /// `v2.system.no_longer_subscribed.{id}`: the channel lost its
    /// subscriptions (evicted, e.g. by a 21st channel of the same user and app).
    NoLongerSubscribed,
    /// Another `v2.system.*` message.
    System,
    /// An event on a subscribed topic.
    Event,
}

impl Notification {
    /// Decodes one message's JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// A notification on `topic_name` with `event` (re-encodes as the
    /// service would send it).
    pub fn new(topic_name: impl Into<String>, event: Event) -> Self {
        Notification {
            topic_name: topic_name.into(),
            version: Some("2".into()),
            event,
            metadata: None,
            unknown_fields: UnknownFields::new(),
        }
    }

    /// What kind of message this is.
    pub fn kind(&self) -> NotificationKind {
        if self.topic_name == CHANNEL_METADATA_TOPIC {
            let message = match &self.event {
                Event::ChannelMetadata(m) => m.message.as_deref(),
                _ => None,
            };
            return match message {
                Some(HEARTBEAT_MESSAGE) => NotificationKind::Heartbeat,
                Some(PONG_MESSAGE) => NotificationKind::Pong,
                _ => NotificationKind::ChannelMetadata,
            };
        }
        match self.topic_name.strip_prefix("v2.system.") {
            Some("socket_closing") => NotificationKind::SocketClosing,
            Some(rest) if rest.starts_with("token_revoked.") => NotificationKind::TokenRevoked,
            Some(rest) if rest.starts_with("no_longer_subscribed.") => {
                NotificationKind::NoLongerSubscribed
            }
            Some(_) => NotificationKind::System,
            None => NotificationKind::Event,
        }
    }

    /// The topic's pattern and parameter values; `None` for
    /// `channel.metadata` and topics newer than this crate.
    pub fn topic(&self) -> Option<TopicMatch<'_>> {
        match_topic(&self.topic_name)
    }

    /// The topic's pattern, when known.
    pub fn pattern(&self) -> Option<&'static TopicPattern> {
        self.event
            .pattern()
            .or_else(|| self.topic().map(|m| m.pattern()))
    }

    /// `metadata.CorrelationId`.
    pub fn correlation_id(&self) -> Option<&str> {
        self.metadata.as_ref()?.correlation_id.as_deref()
    }

    /// The event body as `T`, when it is one (`None` for another topic's
    /// type or an untyped body).
    pub fn event_as<T: EventPayload>(&self) -> Option<&T> {
        T::from_event(&self.event)
    }

    /// The event body as `T`, or the notification back.
    pub fn into_event_as<T: EventPayload>(self) -> Result<Box<T>, Box<Notification>> {
        let Notification {
            topic_name,
            version,
            event,
            metadata,
            unknown_fields,
        } = self;
        T::from_event_owned(event).map_err(|event| {
            Box::new(Notification {
                topic_name,
                version,
                event,
                metadata,
                unknown_fields,
            })
        })
    }
}

/// Types a body by its topic; never fails.
fn decode_event(topic_name: &str, body: Option<&RawValue>) -> Event {
    let Some(body) = body else {
        return Event::Untyped(UntypedEvent {
            body: serde_json::Value::Null,
            reason: UntypedReason::MissingBody,
        });
    };
    let untyped = |reason| {
        Event::Untyped(UntypedEvent {
            // A RawValue is valid JSON, so this parse cannot fail.
            body: serde_json::from_str(body.get()).unwrap_or(serde_json::Value::Null),
            reason,
        })
    };
    if topic_name == CHANNEL_METADATA_TOPIC {
        return match serde_json::from_str(body.get()) {
            Ok(metadata) => Event::ChannelMetadata(metadata),
            Err(e) => untyped(UntypedReason::Undecodable {
                error: e.to_string(),
            }),
        };
    }
    let Some(found) = match_topic(topic_name) else {
        return untyped(UntypedReason::UnknownTopic);
    };
    match Event::decode_topic(found.index(), body.get()) {
        Ok(event) => event,
        Err(None) => untyped(UntypedReason::NotEnabled {
            feature: found.pattern().feature.unwrap_or_default(),
        }),
        Err(Some(e)) => untyped(UntypedReason::Undecodable {
            error: e.to_string(),
        }),
    }
}

/// The socket's answer to a message the client sent over it
/// (`{"message":"subscribe",...}`): `{"result":"200","status":"subscribed"}`,
/// or `400`/`404` with a status such as `failure`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SocketReply {
    /// The HTTP-like status, as a string (`"200"`).
    pub result: Option<String>,
    /// `subscribed`, `failure`, `error`, ...
    pub status: Option<String>,
    /// The `correlationId` the client sent, when echoed.
    pub correlation_id: Option<String>,
    /// A human-readable message, when given.
    pub message: Option<String>,
    /// Fields this crate does not know, kept.
    pub unknown_fields: UnknownFields,
}

impl SocketReply {
    /// Whether the request succeeded (`result` is `200`).
    pub fn is_success(&self) -> bool {
        self.result.as_deref() == Some("200")
    }
}

/// Anything a notification channel's WebSocket sends: a notification, or a
/// reply to a message the client sent.
///
/// ```
/// use genesys_model::notifications::ChannelMessage;
///
/// let reply = ChannelMessage::from_json(r#"{"result":"200","status":"subscribed"}"#).unwrap();
/// assert!(matches!(reply, ChannelMessage::Reply(r) if r.is_success()));
/// assert!(ChannelMessage::from_json("{\"topicName\": ").is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelMessage {
    /// A message with a `topicName`.
    Notification(Notification),
    /// A message without one.
    Reply(SocketReply),
}

impl ChannelMessage {
    /// Decodes one WebSocket text frame.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The fields of either kind of message, read in one pass.
#[derive(Default)]
struct Envelope {
    topic_name: Option<String>,
    version: Option<String>,
    body: Option<Box<RawValue>>,
    metadata: Option<NotificationMetadata>,
    result: Option<String>,
    status: Option<String>,
    correlation_id: Option<String>,
    message: Option<String>,
    unknown_fields: UnknownFields,
}

impl Envelope {
    fn into_notification(self) -> Option<Notification> {
        let topic_name = self.topic_name?;
        let mut unknown_fields = self.unknown_fields;
        // Reply fields on a notification are just unknown fields there.
        for (key, value) in [
            ("result", self.result),
            ("status", self.status),
            ("correlationId", self.correlation_id),
            ("message", self.message),
        ] {
            if let Some(value) = value {
                unknown_fields.insert(key.into(), value.into());
            }
        }
        Some(Notification {
            event: decode_event(&topic_name, self.body.as_deref()),
            topic_name,
            version: self.version,
            metadata: self.metadata,
            unknown_fields,
        })
    }

    fn into_reply(self) -> SocketReply {
        let mut unknown_fields = self.unknown_fields;
        if let Some(version) = self.version {
            unknown_fields.insert("version".into(), version.into());
        }
        if let Some(body) = self.body {
            let body = serde_json::from_str(body.get()).unwrap_or_default();
            unknown_fields.insert("eventBody".into(), body);
        }
        if let Some(metadata) = self.metadata {
            let metadata = serde_json::to_value(metadata).unwrap_or_default();
            unknown_fields.insert("metadata".into(), metadata);
        }
        SocketReply {
            result: self.result,
            status: self.status,
            correlation_id: self.correlation_id,
            message: self.message,
            unknown_fields,
        }
    }
}

/// A string Genesys may also send as a number (`"version": 2`).
struct LenientString(String);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientString, E> {
                Ok(LenientString(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientString, E> {
                Ok(LenientString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientString, E> {
                Ok(LenientString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientString, E> {
                Ok(LenientString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Envelope;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a notification channel message (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
                let mut out = Envelope::default();
                let string = |v: Option<LenientString>| v.map(|s| s.0);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "topicName" => out.topic_name = map.next_value()?,
                        "version" => out.version = string(map.next_value()?),
                        "eventBody" => out.body = Some(map.next_value()?),
                        "metadata" => out.metadata = map.next_value()?,
                        "result" => out.result = string(map.next_value()?),
                        "status" => out.status = string(map.next_value()?),
                        "correlationId" => out.correlation_id = map.next_value()?,
                        "message" => out.message = map.next_value()?,
                        _ => {
                            let value = map.next_value()?;
                            out.unknown_fields.insert(key, value);
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Notification {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Envelope::deserialize(d)?
            .into_notification()
            .ok_or_else(|| de::Error::missing_field("topicName"))
    }
}

impl<'de> Deserialize<'de> for ChannelMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let envelope = Envelope::deserialize(d)?;
        Ok(if envelope.topic_name.is_some() {
            ChannelMessage::Notification(envelope.into_notification().expect("has a topic"))
        } else {
            ChannelMessage::Reply(envelope.into_reply())
        })
    }
}

impl Serialize for Notification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("topicName", &self.topic_name)?;
        crate::__private::field(&mut map, "version", &self.version)?;
        let missing = matches!(
            &self.event,
            Event::Untyped(UntypedEvent {
                reason: UntypedReason::MissingBody,
                ..
            })
        );
        if !missing {
            map.serialize_entry("eventBody", &self.event)?;
        }
        crate::__private::field(&mut map, "metadata", &self.metadata)?;
        crate::__private::finish(map, &self.unknown_fields)
    }
}

impl Serialize for SocketReply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        crate::__private::field(&mut map, "result", &self.result)?;
        crate::__private::field(&mut map, "status", &self.status)?;
        crate::__private::field(&mut map, "correlationId", &self.correlation_id)?;
        crate::__private::field(&mut map, "message", &self.message)?;
        crate::__private::finish(map, &self.unknown_fields)
    }
}

impl Serialize for ChannelMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ChannelMessage::Notification(n) => n.serialize(serializer),
            ChannelMessage::Reply(r) => r.serialize(serializer),
        }
    }
}
