//! The notification service's events: typed topics, the topic catalogue,
//! and typed decoding of WebSocket and EventBridge messages.
//!
//! Genesys Cloud pushes what happens (a call ringing, connecting, ending;
//! presence; queue activity) as notifications on topics such as
//! `v2.users.{id}.conversations.calls`. This module is transport-agnostic:
//! it types the messages; a channel client (WebSocket) or an EventBridge
//! consumer (SQS, Kinesis, Lambda) feeds it text.
//!
//! * [`topics`]: one builder per topic pattern, returning a [`Topic<T>`]
//!   whose `T` is the type of its events, so what you subscribe to and what
//!   you decode cannot disagree.
//! * [`TopicPattern::all`]: the catalogue of the 242 patterns: parameter
//!   names, event type, whether a subscription is needed, the feature.
//! * [`match_topic`]: a topic name to its pattern and parameter values
//!   (a trie: cost grows with the name's length, not the catalogue's size).
//! * [`Notification`]: one message, its body decoded into [`Event`] by its
//!   topic; [`ChannelMessage`] adds the socket's replies;
//!   [`EventBridgeEvent`] wraps the same notification in EventBridge's envelope.
//!
//! # Why an enum, and an accessor
//!
//! A channel carries many topics, so its messages are decoded before the
//! consumer says which type it wants: [`Event`] has one variant per topic
//! pattern (boxed, so the enum stays small), which a `match` handles
//! exhaustively for what it cares about. When you already know the type
//! (you subscribed with a typed [`Topic<T>`]), [`Notification::event_as`]
//! gives `&T` directly. Many topics share a body type (all the queue and
//! user conversation topics of a media type, say); the accessor finds it
//! under any of them.
//!
//! # What never fails
//!
//! Topics newer than this crate, topics whose family is not enabled, and
//! bodies that do not fit their type decode as [`Event::Untyped`], keeping
//! the JSON and saying why ([`UntypedReason`]). Unknown fields are kept at
//! every level and re-encoded, so forwarding a notification loses nothing.
//!
//! # Features
//!
//! Each topic family (the segment after `v2.`) is a feature:
//! `topics-users` types `v2.users.*` (calls, presence, routing status, ...),
//! `topics-routing` types `v2.routing.*`, and so on; `all-topics` enables
//! them all. The `v2.system.*` topics and `channel.metadata` are always
//! typed. The catalogue and matching are always compiled.
//!
//! # Ids with dots
//!
//! Genesys ids are UUIDs, but a builder accepts any id. When an id contains
//! dots, matching reads it as one parameter as long as no other reading
//! fits (an `{id}` may span several segments; literal segments win, shorter
//! ids first). Where that is ambiguous (`v2.system.{id}.{id}` with dotted
//! ids), [`Topic::check`] says so before anything is subscribed.
//!
//! ```
//! use genesys_model::notifications::{Event, Notification};
//!
//! let text = r#"{"topicName":"v2.system.socket_closing","eventBody":{"message":"closing"}}"#;
//! let notification = Notification::from_json(text).unwrap();
//! match &notification.event {
//!     Event::SystemSocketClosing(_) => { /* reconnect now */ }
//!     Event::Untyped(untyped) => println!("not typed: {:?}", untyped.reason),
//!     _ => {}
//! }
//! ```

mod eventbridge;
mod message;
mod topic;

#[doc(hidden)]
pub use crate::generated::topics::BUILDER_TABLE;
pub use crate::generated::topics::Event;
pub use eventbridge::EventBridgeEvent;
pub(crate) use message::decode_body;
pub use message::{
    CHANNEL_METADATA_TOPIC, ChannelMessage, ChannelMetadata, EventPayload, HEARTBEAT_MESSAGE,
    Notification, NotificationKind, NotificationMetadata, PONG_MESSAGE, SocketReply, UntypedEvent,
    UntypedReason,
};
#[doc(hidden)]
pub use topic::match_topic_linear;
pub use topic::{Topic, TopicError, TopicMatch, TopicPattern, match_topic};

/// Typed topic builders, one per pattern of the catalogue, each gated by
/// its family's feature.
///
/// ```
/// # #[cfg(feature = "topics-users")] {
/// use genesys_model::ConversationCallEventTopicCallConversation;
/// use genesys_model::notifications::{Topic, topics};
///
/// let topic: Topic<ConversationCallEventTopicCallConversation> =
///     topics::users_conversations_calls("8f6c2e1a-0d4b-4d8e-9a53-1f0c2b7e5d11");
/// assert_eq!(topic.name(), "v2.users.8f6c2e1a-0d4b-4d8e-9a53-1f0c2b7e5d11.conversations.calls");
/// # }
/// ```
pub mod topics {
    pub use crate::generated::topics::builders::*;
}

#[cfg(test)]
mod tests;
