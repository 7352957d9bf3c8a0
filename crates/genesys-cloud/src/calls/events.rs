//! Following calls by notification events: one shared subscription to
//! `v2.users.{id}.conversations.calls` per user, whatever the number of
//! calls followed, and the latest state of every conversation those topics
//! report.
//!
//! The follower lives in the [`Client`] and is created on first use. Its
//! subscription opens one notification channel (more past 1,000 users),
//! which stays open while the client is in use; the channel client
//! reconnects on its own and reports gaps, after which a waiter catches up
//! with one `GET`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt as _;
use genesys_model::notifications::topics;
use genesys_model::{CallConversation, ConversationCallEventTopicCallConversation};
use tokio::sync::watch;

use crate::Client;
use crate::notifications::{NotificationError, NotificationHandle, TopicsRejected, Typed};

/// What the follower knows of one conversation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Seen {
    /// The conversation as the latest event showed it.
    pub(crate) call: Option<Arc<CallConversation>>,
    /// Counts the times events may have been missed (a gap, or the
    /// subscription ending): a waiter that sees it change catches up by `GET`.
    pub(crate) gaps: u64,
    /// A subscription covers this call (placed by this client after its
    /// user's topic was subscribed, or caught up after subscribing): every
    /// later state arrives as an event, so a waiter needs no `GET`.
    pub(crate) covered: bool,
}

/// Conversations kept past this many only while someone waits on them or
/// they have not ended.
const KEEP_CALLS: usize = 4096;

#[derive(Default)]
struct State {
    handle: Option<NotificationHandle>,
    /// user id → subscribed (`Ok`) or why not (`Err`).
    users: HashMap<String, Result<(), String>>,
    calls: HashMap<String, watch::Sender<Seen>>,
    /// Why the subscription ended, once it has: follow by polling then.
    ended: Option<String>,
    /// Users waiting for the next subscription request.
    pending: Vec<String>,
}

/// The shared call follower of a [`Client`].
#[derive(Default)]
pub(crate) struct CallFollower {
    state: Mutex<State>,
    /// Serialises subscribing, so two tasks never open two channels.
    subscribing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for CallFollower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("CallFollower")
            .field("users", &state.users.len())
            .field("calls", &state.calls.len())
            .field("ended", &state.ended)
            .finish()
    }
}

impl CallFollower {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain maps behind: usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why events cannot be used, if the subscription ended.
    pub(crate) fn ended(&self) -> Option<String> {
        self.lock().ended.clone()
    }

    /// Makes sure `user_id`'s call topic is subscribed; `Err` says why it
    /// is not (no permission for the topic, notifications unavailable...),
    /// and the caller then polls.
    ///
    /// Users asked for while a subscription request is under way are
    /// subscribed together in the next one, so 60 calls placed at once for
    /// 60 users cost two subscription requests, not 60.
    pub(crate) async fn ensure_user(
        self: &Arc<Self>,
        client: &Client,
        user_id: &str,
    ) -> Result<(), String> {
        {
            let mut state = self.lock();
            if let Some(why) = &state.ended {
                return Err(why.clone());
            }
            if let Some(known) = state.users.get(user_id) {
                return known.clone();
            }
            if !state.pending.iter().any(|u| u == user_id) {
                state.pending.push(user_id.to_owned());
            }
        }
        let _one_at_a_time = self.subscribing.lock().await;
        let batch = {
            let mut state = self.lock();
            // The batch before this one may have covered the user.
            if let Some(known) = state.users.get(user_id) {
                return known.clone();
            }
            std::mem::take(&mut state.pending)
        };
        let results = self.subscribe(client, &batch).await;
        let mut state = self.lock();
        for (user, result) in batch.iter().zip(results) {
            match &result {
                Ok(()) => tracing::debug!(user_id = %user, "following the user's calls by events"),
                Err(why) => {
                    tracing::info!(user_id = %user, %why, "cannot follow the user's calls by events; polling")
                }
            }
            state.users.insert(user.clone(), result);
        }
        state
            .users
            .get(user_id)
            .cloned()
            .unwrap_or_else(|| Err("the user's call topic was not subscribed".into()))
    }

    /// Subscribes the call topics of `users` in one request; one result per
    /// user. (The first request, which creates the channel, fails whole when
    /// a topic is rejected: those users are then followed by polling.)
    async fn subscribe(
        self: &Arc<Self>,
        client: &Client,
        users: &[String],
    ) -> Vec<Result<(), String>> {
        let handle = self.lock().handle.clone();
        let calls_topics = |users: &[String]| {
            users
                .iter()
                .map(|u| topics::users_conversations_calls(u.as_str()))
                .collect::<Vec<_>>()
        };
        let outcome = match handle {
            // Topics the service accepts stay subscribed even when others
            // of the same request are rejected.
            Some(handle) => handle.add(calls_topics(users)).await,
            None => match client
                .notifications_channel()
                .subscribe(calls_topics(users))
                .await
            {
                Ok(stream) => {
                    self.lock().handle = Some(stream.handle());
                    tokio::spawn(read(Arc::clone(self), stream));
                    Ok(())
                }
                Err(e) => Err(e),
            },
        };
        match outcome {
            Ok(()) => users.iter().map(|_| Ok(())).collect(),
            Err(NotificationError::Rejected(rejected)) => users
                .iter()
                .map(|u| {
                    if is_rejected(&rejected, u) {
                        Err(rejected.to_string())
                    } else {
                        Ok(())
                    }
                })
                .collect(),
            Err(e) => users.iter().map(|_| Err(e.to_string())).collect(),
        }
    }

    /// A receiver of what is known of `conversation_id` (created empty).
    pub(crate) fn watch(&self, conversation_id: &str) -> watch::Receiver<Seen> {
        let mut state = self.lock();
        if let Some(sender) = state.calls.get(conversation_id) {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(Seen::default());
        insert_call(&mut state, conversation_id, sender);
        receiver
    }

    /// Notes that a subscription now covers `conversation_id`'s events.
    pub(crate) fn cover(&self, conversation_id: &str) {
        let seen = self.watch(conversation_id);
        drop(seen);
        if let Some(sender) = self.lock().calls.get(conversation_id) {
            sender.send_modify(|seen| seen.covered = true);
        }
    }

    fn record(&self, call: CallConversation) {
        let Some(id) = call.id.clone() else { return };
        let call = Arc::new(call);
        let mut state = self.lock();
        match state.calls.get(&id) {
            Some(sender) => sender.send_modify(|seen| seen.call = Some(call)),
            None => {
                let (sender, _) = watch::channel(Seen {
                    call: Some(call),
                    ..Seen::default()
                });
                insert_call(&mut state, &id, sender);
            }
        }
    }

    fn gap(&self) {
        for sender in self.lock().calls.values() {
            sender.send_modify(|seen| seen.gaps += 1);
        }
    }

    fn end(&self, why: String) {
        self.lock().ended = Some(why);
        self.gap();
    }
}

/// Whether `user_id`'s call topic is among the rejected ones.
fn is_rejected(rejected: &TopicsRejected, user_id: &str) -> bool {
    let topic = topics::users_conversations_calls(user_id);
    rejected.topics.iter().any(|t| t.topic == topic.name())
}

fn insert_call(state: &mut State, id: &str, sender: watch::Sender<Seen>) {
    if state.calls.len() >= KEEP_CALLS {
        state.calls.retain(|_, s| {
            s.receiver_count() > 0
                || s.borrow()
                    .call
                    .as_deref()
                    .is_none_or(|c| super::CallState::of(c) != super::CallState::Ended)
        });
    }
    state.calls.insert(id.to_owned(), sender);
}

/// The conversation an event describes, as the REST model (the two have
/// the same JSON shape; a body that does not convert is left to a `GET`).
pub(crate) fn call_of(
    event: &ConversationCallEventTopicCallConversation,
) -> Option<CallConversation> {
    let value = serde_json::to_value(event).ok()?;
    serde_json::from_value(value).ok()
}

async fn read(
    follower: Arc<CallFollower>,
    mut stream: crate::notifications::TypedStream<ConversationCallEventTopicCallConversation>,
) {
    while let Some(item) = stream.next().await {
        match item {
            Ok(Typed::Event { body, .. }) => match call_of(&body) {
                Some(call) => follower.record(call),
                None => {
                    tracing::debug!(conversation = ?body.id, "a call event did not convert; waiters will GET");
                    follower.gap();
                }
            },
            Ok(Typed::Gap(gap)) => {
                tracing::info!(cause = ?gap.cause, "call events may have been missed; waiters catch up by GET");
                follower.gap();
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the call-event subscription ended; following calls by polling");
                follower.end(e.to_string());
                return;
            }
        }
    }
    follower.end("the call-event subscription ended".into());
}
