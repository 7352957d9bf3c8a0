//! Event bodies for call conversations, as the notification service sends
//! them.
//!
//! The bodies follow the notification spec's definitions:
//! `ConversationCallEventTopicCallConversation` for
//! `v2.users.{id}.conversations.calls` (and the identical
//! `QueueConversationCallEventTopicCallConversation` for
//! `v2.routing.queues.{id}.conversations.calls`), and
//! `ConversationEventTopicConversation` for `v2.users.{id}.conversations`.
//! They are derived from the same `CallConversation` the REST API answers,
//! so a client sees the same participants, states and times either way.

use genesys_model::CallConversation;
use serde_json::{Map, Value, json};

use crate::api::{PHASES, conversation_model_at};
use crate::ids;
use crate::state::{Conversation, Destination, Shared};

/// Which event body a topic gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// `ConversationCallEventTopicCallConversation` (the calls topics).
    Call,
    /// `ConversationEventTopicConversation` (the conversations topic).
    Conversation,
}

/// What a call's events are made from: the call, and the topics that hear
/// about it. The call is turned into its phase's `CallConversation` and the
/// JSON bodies only when a phase falls due and some channel listens: a load
/// test's calls usually have no listener, and building every phase's bodies
/// up front cost ten times the rest of creating a call.
#[derive(Debug)]
pub(crate) struct CallEvents {
    conversation: Conversation,
    /// Every topic that hears about this call, with the body it gets: the
    /// calls and conversations topics of the placing user and of a called
    /// user, and the queue's calls topic for a call to a queue.
    pub(crate) topics: Vec<(String, BodyKind)>,
}

impl CallEvents {
    pub(crate) fn new(conv: &Conversation) -> Self {
        let mut users = vec![conv.user_id.clone()];
        if let Destination::User(target) = &conv.destination
            && !users.contains(target)
        {
            users.push(target.clone());
        }
        let mut topics = Vec::new();
        for user in &users {
            topics.push((
                format!("v2.users.{user}.conversations.calls"),
                BodyKind::Call,
            ));
            topics.push((
                format!("v2.users.{user}.conversations"),
                BodyKind::Conversation,
            ));
        }
        if let Destination::Queue(queue) = &conv.destination {
            topics.push((
                format!("v2.routing.queues.{queue}.conversations.calls"),
                BodyKind::Call,
            ));
        }
        Self {
            conversation: conv.clone(),
            topics,
        }
    }

    /// The body of `kind` for `phase`; `None` past the last phase.
    pub(crate) fn body(&self, shared: &Shared, kind: BodyKind, phase: usize) -> Option<Value> {
        if phase >= PHASES.len() {
            return None;
        }
        let conv = &self.conversation;
        let model = conversation_model_at(shared, conv, phase);
        Some(match kind {
            BodyKind::Call => {
                let name = conversation_name(shared, conv);
                call_event_body(&model, &conv.id, name.as_deref())
            }
            BodyKind::Conversation => conversation_event_body(&model, &conv.id),
        })
    }
}

/// Participant fields of `CallConversation` that the call event's
/// participant (`ConversationCallEventTopicCallMediaParticipant`) has under
/// the same name and type.
const CALL_PARTICIPANT_FIELDS: &[&str] = &[
    "id",
    "name",
    "address",
    "startTime",
    "connectedTime",
    "endTime",
    "purpose",
    "state",
    "direction",
    "held",
    "wrapupRequired",
    "provider",
    "muted",
    "confined",
    "recording",
    "ani",
    "dnis",
];

/// `{id, name}` of a `DomainEntityRef` (the event's `UriReference`).
fn uri_reference(value: &Value) -> Value {
    let mut out = Map::new();
    for key in ["id", "name"] {
        if let Some(v) = value.get(key).filter(|v| !v.is_null()) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    Value::Object(out)
}

fn participants(model: &CallConversation) -> Vec<Value> {
    let value = serde_json::to_value(model).unwrap_or(Value::Null);
    value
        .get("participants")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The conversation name shown in call events: what was dialled.
fn conversation_name(shared: &Shared, conv: &Conversation) -> Option<String> {
    match &conv.destination {
        Destination::Phone(number) => Some(number.clone()),
        Destination::User(user) => shared.world.users.get(user).map(|u| u.seed.name.clone()),
        Destination::Queue(queue) => Some(queue.clone()),
        Destination::Participants(addresses) => addresses.first().cloned(),
        Destination::Conversations => None,
    }
}

/// `ConversationCallEventTopicCallConversation` of the call `id` as `model`
/// shows it.
fn call_event_body(model: &CallConversation, id: &str, name: Option<&str>) -> Value {
    let participants: Vec<Value> = participants(model)
        .iter()
        .map(|p| {
            let mut out = Map::new();
            for key in CALL_PARTICIPANT_FIELDS {
                if let Some(v) = p.get(*key).filter(|v| !v.is_null()) {
                    out.insert((*key).to_owned(), v.clone());
                }
            }
            for key in ["user", "queue"] {
                if let Some(v) = p.get(key).filter(|v| v.is_object()) {
                    out.insert(key.to_owned(), uri_reference(v));
                }
            }
            out.insert("initialState".to_owned(), json!("dialing"));
            out.insert("recordingState".to_owned(), json!("none"));
            out.insert("securePause".to_owned(), json!(false));
            Value::Object(out)
        })
        .collect();
    let mut body = Map::new();
    body.insert("id".to_owned(), json!(id));
    if let Some(name) = name {
        body.insert("name".to_owned(), json!(name));
    }
    body.insert("participants".to_owned(), Value::Array(participants));
    body.insert("recordingState".to_owned(), json!("none"));
    body.insert("securePause".to_owned(), json!(false));
    body.insert(
        "maxParticipants".to_owned(),
        json!(model.max_participants.unwrap_or(10)),
    );
    Value::Object(body)
}

/// `ConversationEventTopicConversation` of the call `id` as `model` shows
/// it: every participant with one entry in `calls`.
fn conversation_event_body(model: &CallConversation, id: &str) -> Value {
    let participants: Vec<Value> = participants(model)
        .iter()
        .map(|p| {
            let mut out = Map::new();
            for key in [
                "id",
                "name",
                "purpose",
                "address",
                "connectedTime",
                "wrapupRequired",
            ] {
                if let Some(v) = p.get(key).filter(|v| !v.is_null()) {
                    out.insert(key.to_owned(), v.clone());
                }
            }
            if let Some(id) = p.pointer("/user/id").filter(|v| v.is_string()) {
                out.insert("userId".to_owned(), id.clone());
            }
            if let Some(id) = p.pointer("/queue/id").filter(|v| v.is_string()) {
                out.insert("queueId".to_owned(), id.clone());
            }
            let participant_id = p.get("id").and_then(Value::as_str).unwrap_or_default();
            let mut call = Map::new();
            call.insert(
                "id".to_owned(),
                json!(ids::uuid_from_seed(&format!("call:{participant_id}"))),
            );
            for key in [
                "state",
                "direction",
                "held",
                "muted",
                "confined",
                "recording",
                "provider",
                "connectedTime",
            ] {
                if let Some(v) = p.get(key).filter(|v| !v.is_null()) {
                    call.insert(key.to_owned(), v.clone());
                }
            }
            call.insert("initialState".to_owned(), json!("dialing"));
            call.insert("recordingState".to_owned(), json!("none"));
            call.insert("securePause".to_owned(), json!(false));
            out.insert("calls".to_owned(), json!([Value::Object(call)]));
            Value::Object(out)
        })
        .collect();
    json!({
        "id": id,
        "maxParticipants": model.max_participants.unwrap_or(10),
        "participants": participants,
        "recordingState": "none",
        "securePause": false,
    })
}
