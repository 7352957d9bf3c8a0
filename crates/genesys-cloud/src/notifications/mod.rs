//! The notification channel client (feature `notifications-client`):
//! subscribe to notification topics and get their events as a
//! [`Stream`](futures_util::Stream), over a channel's WebSocket, without
//! missing any silently.
//!
//! Genesys Cloud pushes what happens (a call ringing, connecting, ending;
//! presence; queue activity) on topics such as
//! `v2.users.{id}.conversations.calls`. A *channel*
//! (`POST /api/v2/notifications/channels`) carries up to 1,000 topics to one
//! WebSocket at its `connectUri`. This module creates channels, subscribes
//! them, and keeps them alive: see [`NotificationClient`] for what it
//! guarantees.
//!
//! * [`Client::notifications_channel`](crate::Client::notifications_channel)
//!   or [`NotificationClient::new`]: the settings.
//! * [`NotificationClient::subscribe`]: typed topics from
//!   [`genesys_model::notifications::topics`], yielding [`Typed<T>`];
//!   [`NotificationClient::subscribe_names`]: topic names, yielding
//!   [`ChannelEvent`]s.
//! * [`NotificationHandle`]: add and remove topics while the stream runs.
//! * [`Gap`]: events may have been missed between two instants (after a
//!   reconnect): reconcile through the REST API.
//!
//! ```no_run
//! use futures_util::StreamExt as _;
//! use genesys_cloud::notifications::Typed;
//! use genesys_model::notifications::topics;
//!
//! # async fn demo(client: genesys_cloud::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let user = "a5b6c7d8-user-id";
//! let mut calls = client
//!     .notifications_channel()
//!     .subscribe([topics::users_conversations_calls(user)])
//!     .await?;
//! while let Some(item) = calls.next().await {
//!     match item? {
//!         Typed::Event { body, .. } => {
//!             for p in body.participants.iter().flatten() {
//!                 println!("{:?}: {:?}", p.purpose, p.state);
//!             }
//!         }
//!         Typed::Gap(gap) => println!("events may be missing since {:?}", gap.from),
//!         Typed::Other(n) => println!("untyped: {}", n.topic_name),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # What it cannot do
//!
//! The service does not replay events sent while a client was
//! disconnected: they are reported as a [`Gap`], not recovered. For a
//! fleet of servers, prefer EventBridge: Genesys allows 20 channels per
//! user and OAuth client.

mod channel;
mod client;
mod config;
mod dedup;
mod error;
mod secret;
mod socket;
mod stream;
mod supervisor;

pub use client::NotificationClient;
pub use config::Backoff;
pub use error::{NotificationError, RejectedTopic, TopicsRejected};
pub use stream::{ChannelEvent, Gap, NotificationHandle, NotificationStream, Typed, TypedStream};
