//! Channels and their subscriptions, through the notifications REST API.

use std::time::SystemTime;

use genesys_model::{ChannelTopic, ChannelTopicState};

use super::error::{NotificationError, RejectedTopic};
use super::secret::{ChannelId, ConnectUri};
use crate::Client;

/// A channel we created: its id, `connectUri` and end of life.
#[derive(Debug, Clone)]
pub(crate) struct ChannelRef {
    pub(crate) id: ChannelId,
    pub(crate) uri: ConnectUri,
    pub(crate) expires: Option<SystemTime>,
}

/// `POST /api/v2/notifications/channels`. Not retried by us: a request that
/// reached the server may have created a channel (the transport resends
/// only requests that never left).
pub(crate) async fn create(client: &Client) -> Result<ChannelRef, NotificationError> {
    let channel = client
        .notifications()
        .post_notifications_channels()
        .await
        .map_err(|e| NotificationError::api("creating a channel", e))?;
    let id = channel
        .id
        .filter(|id| !id.is_empty())
        .ok_or(NotificationError::InvalidChannel { missing: "id" })?;
    let uri =
        channel
            .connect_uri
            .filter(|u| !u.is_empty())
            .ok_or(NotificationError::InvalidChannel {
                missing: "connectUri",
            })?;
    let channel = ChannelRef {
        id: ChannelId::new(id),
        uri: ConnectUri::new(uri),
        expires: channel.expires.map(|e| SystemTime::from(e.0)),
    };
    tracing::info!(
        channel = %channel.id,
        host = %channel.uri,
        expires = ?channel.expires.map(time_label),
        "notification channel created"
    );
    Ok(channel)
}

/// `HEAD /api/v2/notifications/channels/{id}`: whether it still exists.
pub(crate) async fn exists(client: &Client, id: &ChannelId) -> Result<bool, NotificationError> {
    match client
        .notifications()
        .head_notifications_channel(id.expose())
        .await
    {
        Ok(()) => Ok(true),
        Err(e) if e.status() == Some(404) => Ok(false),
        Err(e) => Err(NotificationError::api("checking a channel", e)),
    }
}

/// How a subscription request changes the channel's topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `POST`: add to the current topics.
    Add,
    /// `PUT`: replace the current topics (idempotent).
    Replace,
}

/// Subscribes the channel to `topics` (with `ignoreErrors=true`, so
/// Genesys applies the permitted topics and lists the rejected ones).
/// Returns the rejected topics.
pub(crate) async fn subscribe(
    client: &Client,
    id: &ChannelId,
    topics: &[String],
    mode: Mode,
) -> Result<Vec<RejectedTopic>, NotificationError> {
    let body: Vec<ChannelTopic> = topics
        .iter()
        .map(|t| ChannelTopic {
            id: Some(t.clone()),
            ..Default::default()
        })
        .collect();
    let api = client.notifications();
    let result = match mode {
        Mode::Add => {
            api.post_notifications_channel_subscriptions(id.expose(), &body)
                .ignore_errors(true)
                .await
        }
        Mode::Replace => {
            api.put_notifications_channel_subscriptions(id.expose(), &body)
                .ignore_errors(true)
                .await
        }
    };
    let listing = result.map_err(|e| NotificationError::api("subscribing to topics", e))?;
    let rejected: Vec<RejectedTopic> = listing
        .entities
        .unwrap_or_default()
        .into_iter()
        .filter(|t| matches!(t.state, Some(ChannelTopicState::Rejected)))
        .map(|t| {
            RejectedTopic::new(
                t.id.unwrap_or_default(),
                t.rejection_reason,
                t.missing_permissions.unwrap_or_default(),
            )
        })
        .collect();
    tracing::info!(
        channel = %id,
        topics = topics.len(),
        rejected = rejected.len(),
        replace = mode == Mode::Replace,
        "notification topics subscribed"
    );
    Ok(rejected)
}

/// `DELETE …/subscriptions`: removes every topic.
pub(crate) async fn unsubscribe_all(
    client: &Client,
    id: &ChannelId,
) -> Result<(), NotificationError> {
    client
        .notifications()
        .delete_notifications_channel_subscriptions(id.expose())
        .await
        .map_err(|e| NotificationError::api("removing subscriptions", e))?;
    tracing::info!(channel = %id, "notification subscriptions removed");
    Ok(())
}

/// Seconds since the Unix epoch, for logs.
fn time_label(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
