//! `/api/v2/notifications/channels…`: channels and their subscriptions.

use genesys_model::{
    Channel, ChannelEntityListing, ChannelTopic, ChannelTopicEntityListing, ChannelTopicState,
};
use http::StatusCode;

use crate::api::{ApiResult, Call, authorize, dt, json_body, ok};
use crate::errors::{ApiError, field_detail};
use crate::http::empty;

use super::topics::Verdict;
use super::{Owner, SubscribeError, SubscribeMode, owner_permissions};

fn owner(call: &Call<'_>) -> Owner {
    Owner {
        principal: call.rec.principal.clone(),
        client_id: call.rec.client_id.clone(),
    }
}

fn channel_id<'a>(call: &'a Call<'_>) -> &'a str {
    call.req.params.first().map(String::as_str).unwrap_or("")
}

/// A boolean query parameter (`true`/`false`, any case); absent is `false`.
fn bool_param(call: &Call<'_>, name: &str) -> Result<bool, ApiError> {
    let query = call.req.query.as_deref().unwrap_or("");
    match form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name) {
        None => Ok(false),
        Some((_, v)) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some((_, v)) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some((_, v)) => Err(ApiError::bad_request(
            format!("{name} must be true or false, not {v:?}"),
            vec![field_detail("invalid.value", Some(name.to_owned()))],
        )),
    }
}

/// `POST /api/v2/notifications/channels`: a new channel.
pub(crate) fn post_channels(call: &Call<'_>) -> ApiResult {
    authorize(call, "postNotificationsChannels")?;
    let created = call
        .shared
        .notifications
        .create_channel(owner(call), call.token);
    ok(&Channel {
        connect_uri: Some(created.connect_uri),
        id: Some(created.id),
        expires: Some(dt(created.expires)),
        ..Default::default()
    })
}

/// `GET /api/v2/notifications/channels`: the caller's channels.
/// `includechannels=token` (the default) lists the channels created with
/// this token; `oauthclient` also shows, without id or URI, those of the
/// user's (or client's) other tokens of the same app.
pub(crate) fn get_channels(call: &Call<'_>) -> ApiResult {
    authorize(call, "getNotificationsChannels")?;
    let query = call.req.query.as_deref().unwrap_or("");
    let include = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "includechannels")
        .map(|(_, v)| v.to_ascii_lowercase());
    let whole_app = match include.as_deref() {
        None | Some("token") => false,
        Some("oauthclient") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                format!("includechannels must be token or oauthclient, not {other:?}"),
                vec![field_detail(
                    "invalid.value",
                    Some("includechannels".to_owned()),
                )],
            ));
        }
    };
    let entities = call
        .shared
        .notifications
        .list(&owner(call), call.token, whole_app)
        .into_iter()
        .map(|c| Channel {
            connect_uri: c.connect_uri,
            id: c.id,
            expires: Some(dt(c.expires)),
            ..Default::default()
        })
        .collect();
    ok(&ChannelEntityListing {
        entities: Some(entities),
        ..Default::default()
    })
}

/// `HEAD /api/v2/notifications/channels/{channelId}`: 204 (the spec's
/// documented success) for a live channel of the caller, 404 otherwise.
pub(crate) fn head_channel(call: &Call<'_>) -> ApiResult {
    authorize(call, "headNotificationsChannel")?;
    if call
        .shared
        .notifications
        .exists(channel_id(call), &owner(call))
    {
        Ok(empty(StatusCode::NO_CONTENT))
    } else {
        Err(ApiError::not_found())
    }
}

fn self_uri(channel_id: &str) -> String {
    format!("/api/v2/notifications/channels/{channel_id}/subscriptions")
}

fn permitted(topic: &str, channel_id: &str) -> ChannelTopic {
    ChannelTopic {
        id: Some(topic.to_owned()),
        state: Some(ChannelTopicState::Permitted),
        self_uri: Some(self_uri(channel_id)),
        ..Default::default()
    }
}

fn listing(topics: Vec<ChannelTopic>) -> ApiResult {
    ok(&ChannelTopicEntityListing {
        entities: Some(topics),
        ..Default::default()
    })
}

/// `GET …/subscriptions`: the channel's topics.
pub(crate) fn get_subscriptions(call: &Call<'_>) -> ApiResult {
    authorize(call, "getNotificationsChannelSubscriptions")?;
    let id = channel_id(call);
    let topics = call
        .shared
        .notifications
        .topics(id, &owner(call))
        .ok_or_else(ApiError::not_found)?;
    listing(topics.iter().map(|t| permitted(t, id)).collect())
}

/// `DELETE …/subscriptions`: removes every topic.
pub(crate) fn delete_subscriptions(call: &Call<'_>) -> ApiResult {
    authorize(call, "deleteNotificationsChannelSubscriptions")?;
    if call
        .shared
        .notifications
        .unsubscribe_all(channel_id(call), &owner(call))
    {
        Ok(empty(StatusCode::OK))
    } else {
        Err(ApiError::not_found())
    }
}

/// The error for a request whose topics were rejected (without
/// `ignoreErrors=true`): 403 `missing.permissions` when permissions are
/// missing, else 400 `bad.request` naming the invalid topics.
pub(crate) fn rejection_error(results: &[(String, Verdict)]) -> ApiError {
    let mut missing: Vec<&str> = Vec::new();
    let mut reasons: Vec<&str> = Vec::new();
    for (_, verdict) in results {
        if let Verdict::Rejected {
            reason,
            missing: perms,
        } = verdict
        {
            reasons.push(reason);
            for p in perms {
                if !missing.contains(&p.as_str()) {
                    missing.push(p);
                }
            }
        }
    }
    let details = results
        .iter()
        .filter(|(_, v)| !v.is_permitted())
        .map(|(topic, _)| field_detail("invalid.topic", Some(topic.clone())))
        .collect();
    if missing.is_empty() {
        ApiError::bad_request(reasons.join("; "), details)
    } else {
        ApiError {
            details,
            ..ApiError::missing_permissions(false, &missing)
        }
    }
}

/// `POST` (add) and `PUT` (replace) `…/subscriptions`.
///
/// The body is a list of `{"id": topic}`. Each topic is checked (known
/// topic, permissions, scripted rejections). With `ignoreErrors=true` the
/// permitted topics are applied and the answer lists the rejected ones
/// with `state: Rejected`, `rejectionReason` and `missingPermissions`;
/// without it any rejection fails the request (nothing changes). More than
/// the channel's topic limit is 400.
pub(crate) fn change_subscriptions(call: &Call<'_>, mode: SubscribeMode) -> ApiResult {
    let body: Vec<ChannelTopic> = json_body(call.req)?;
    authorize(
        call,
        match mode {
            SubscribeMode::Add => "postNotificationsChannelSubscriptions",
            SubscribeMode::Replace => "putNotificationsChannelSubscriptions",
        },
    )?;
    let ignore_errors = bool_param(call, "ignoreErrors")?;
    let mut requested = Vec::with_capacity(body.len());
    for (i, topic) in body.into_iter().enumerate() {
        match topic.id.filter(|t| !t.trim().is_empty()) {
            Some(t) => requested.push(t),
            None => {
                return Err(ApiError::bad_request(
                    "Every subscription needs a topic id.",
                    vec![field_detail("bad.request", Some(format!("[{i}].id")))],
                ));
            }
        }
    }
    let id = channel_id(call);
    let caller = owner(call);
    let shared = call.shared;
    let outcome = shared.notifications.subscribe(
        id,
        Some(&caller),
        &|o| owner_permissions(shared, o),
        requested,
        mode,
        !ignore_errors,
    );
    let done = match outcome {
        Ok(done) => done,
        Err(SubscribeError::NotFound) => return Err(ApiError::not_found()),
        Err(SubscribeError::TooManyTopics(max)) => {
            return Err(ApiError::bad_request(
                format!("A channel can subscribe to at most {max} topics."),
                vec![field_detail("max.topics.exceeded", None)],
            ));
        }
        Err(SubscribeError::Rejected(results)) => return Err(rejection_error(&results)),
    };
    let mut entities: Vec<ChannelTopic> = done.topics.iter().map(|t| permitted(t, id)).collect();
    for (topic, verdict) in done.results {
        if let Verdict::Rejected { reason, missing } = verdict {
            entities.push(ChannelTopic {
                id: Some(topic),
                state: Some(ChannelTopicState::Rejected),
                rejection_reason: Some(reason),
                missing_permissions: Some(missing),
                self_uri: Some(self_uri(id)),
                ..Default::default()
            });
        }
    }
    listing(entities)
}
