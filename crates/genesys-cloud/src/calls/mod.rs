//! Placing outbound calls and following them: the job this SDK exists for.
//!
//! [`Calls::place`] picks the right endpoint for the token it has:
//!
//! * a **user** token places the call from that user's station with
//!   `postConversationsCalls`;
//! * an **OAuth client** token (client credentials) cannot do that — Genesys
//!   answers `not.a.user` — so the call is placed on behalf of a user with
//!   `postConversationsCallsUserUserId`, which needs
//!   [`Dial::on_behalf_of`] and the permission `conversation:call:add`
//!   (or `conversation:agentlessCall:add`).
//!
//! # Following a call: events, not polling
//!
//! With the `notifications-client` feature (on by default), the client
//! follows calls by notification events: [`Calls::place`] first makes sure
//! the calling user's `v2.users.{id}.conversations.calls` topic is
//! subscribed (one shared channel for all the users and calls a client
//! follows), so no state change can slip between placing and subscribing;
//! [`Calls::wait_for`] and [`Calls::follow`] then read the states from the
//! events: **no request at all** for a call this client placed, and one
//! `GET` to catch up for a call placed elsewhere (two when the user has to
//! be found from the call first). After a reconnect that may have missed
//! events, a waiter catches up with one `GET`.
//!
//! They poll instead (one `GET` a second) when events are not available:
//! a build without the feature, a token whose roles may not subscribe to
//! the user's call topic, or a notification service that refused or ended
//! the subscription. [`Calls::wait_for_every`] always polls.
//!
//! ```no_run
//! use std::time::Duration;
//! use genesys_cloud::calls::{CallState, Dial};
//!
//! # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::Error> {
//! let placed = client
//!     .calls()
//!     .place(
//!         &Dial::number("+15550123")
//!             .caller_id("+15550100")
//!             .on_behalf_of("a5b6c7d8-user-id")
//!             .attribute("crmCase", "42"),
//!     )
//!     .await?;
//! let call = client
//!     .calls()
//!     .wait_for(&placed.conversation_id, CallState::Connected, Duration::from_secs(60))
//!     .await?;
//! println!("connected: {:?}", call.id);
//! # Ok(()) }
//! ```

#[cfg(feature = "notifications-client")]
pub(crate) mod events;

use std::collections::BTreeMap;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::Stream;

use genesys_auth::Principal;
use genesys_model::{
    CallConversation, CallMediaParticipant, CallMediaParticipantState, CreateCallRequest,
};
#[cfg(feature = "notifications-client")]
use std::sync::Arc;

use crate::{Client, Error};

/// Who or what to call, and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dial {
    request: CreateCallRequest,
    on_behalf_of: Option<String>,
}

impl Dial {
    /// Dial a phone number (E.164, e.g. `+15550123`).
    pub fn number(number: impl Into<String>) -> Self {
        Self::from_request(CreateCallRequest {
            phone_number: Some(number.into()),
            ..Default::default()
        })
    }

    /// Call a Genesys user by id.
    pub fn user(user_id: impl Into<String>) -> Self {
        Self::from_request(CreateCallRequest {
            call_user_id: Some(user_id.into()),
            ..Default::default()
        })
    }

    /// Call a queue by id.
    pub fn queue(queue_id: impl Into<String>) -> Self {
        Self::from_request(CreateCallRequest {
            call_queue_id: Some(queue_id.into()),
            ..Default::default()
        })
    }

    /// Start from a full request body, for fields this builder does not cover.
    pub fn from_request(request: CreateCallRequest) -> Self {
        Self {
            request,
            on_behalf_of: None,
        }
    }

    /// The caller id number shown to the callee.
    pub fn caller_id(mut self, number: impl Into<String>) -> Self {
        self.request.caller_id = Some(number.into());
        self
    }

    /// The caller id name shown to the callee.
    pub fn caller_id_name(mut self, name: impl Into<String>) -> Self {
        self.request.caller_id_name = Some(name.into());
        self
    }

    /// Place the call on behalf of this queue.
    pub fn from_queue(mut self, queue_id: impl Into<String>) -> Self {
        self.request.call_from_queue_id = Some(queue_id.into());
        self
    }

    /// An attribute to attach to the customer participant.
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.request
            .attributes
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// User-to-user information (UUI) for the SIP session.
    pub fn uui_data(mut self, data: impl Into<String>) -> Self {
        self.request.uui_data = Some(data.into());
        self
    }

    /// A label that categorizes the conversation.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.request.label = Some(label.into());
        self
    }

    /// Place the call on behalf of this user (needed with client-credentials
    /// tokens; optional with a user token).
    pub fn on_behalf_of(mut self, user_id: impl Into<String>) -> Self {
        self.on_behalf_of = Some(user_id.into());
        self
    }

    /// The request body that will be sent.
    pub fn request(&self) -> &CreateCallRequest {
        &self.request
    }
}

/// A call that Genesys accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedCall {
    /// The conversation id, to follow the call.
    pub conversation_id: String,
    /// The operation that placed it.
    pub operation: &'static str,
}

/// How long [`Calls::follow`] waits for the next change: as good as forever.
const FOLLOW_FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// A state change of a followed call (see [`Calls::follow`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CallUpdate {
    /// Where the call stands now.
    pub state: CallState,
    /// The conversation as the event (or the request) showed it.
    pub call: CallConversation,
    /// Where the update came from.
    pub source: UpdateSource,
}

impl CallUpdate {
    fn new(call: CallConversation, source: UpdateSource) -> Self {
        CallUpdate {
            state: CallState::of(&call),
            call,
            source,
        }
    }
}

/// How a [`CallUpdate`] was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateSource {
    /// A notification event.
    Event,
    /// A `GET` of the call (polling, or catching up).
    Request,
}

/// The stream [`Calls::follow`] returns.
pub struct CallFollow {
    inner: Pin<Box<dyn Stream<Item = Result<CallUpdate, Error>> + Send>>,
}

impl std::fmt::Debug for CallFollow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFollow").finish_non_exhaustive()
    }
}

impl Stream for CallFollow {
    type Item = Result<CallUpdate, Error>;
    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The users taking part in a call (whose call topics report it).
#[cfg(feature = "notifications-client")]
fn participant_users(call: &CallConversation) -> Vec<String> {
    call.participants
        .iter()
        .flatten()
        .filter_map(|p| p.user.as_ref()?.id.clone())
        .collect()
}

/// Where a call stands, from its far-end participant's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallState {
    /// The far end is being dialed, alerted or contacted.
    Dialing,
    /// The far end answered.
    Connected,
    /// The call ended.
    Ended,
    /// Genesys reported a state this SDK does not map.
    Other,
}

impl CallState {
    /// The state of a call conversation: its customer (or external)
    /// participant's, else its last participant's.
    pub fn of(call: &CallConversation) -> CallState {
        let participants = call.participants.as_deref().unwrap_or_default();
        let far_end = participants
            .iter()
            .find(|p| matches!(p.purpose.as_deref(), Some("customer" | "external")))
            .or_else(|| participants.last());
        far_end.map_or(CallState::Dialing, Self::of_participant)
    }

    fn of_participant(p: &CallMediaParticipant) -> CallState {
        use CallMediaParticipantState as S;
        match &p.state {
            None | Some(S::Alerting | S::Dialing | S::Contacting | S::Offering) => {
                CallState::Dialing
            }
            Some(S::Connected) => CallState::Connected,
            Some(S::Disconnected | S::Terminated) => CallState::Ended,
            Some(_) => CallState::Other,
        }
    }
}

/// The call API: [`Client::calls`].
#[derive(Debug, Clone, Copy)]
pub struct Calls<'a> {
    client: &'a Client,
}

impl Client {
    /// Placing and following calls.
    pub fn calls(&self) -> Calls<'_> {
        Calls { client: self }
    }
}

impl Calls<'_> {
    /// Places a call with the endpoint that fits the token (see the module
    /// docs). A client-credentials token without [`Dial::on_behalf_of`] is
    /// refused before anything is sent, naming the fix.
    pub async fn place(&self, dial: &Dial) -> Result<PlacedCall, Error> {
        let token = self.client.access_token().await?;
        #[cfg(feature = "notifications-client")]
        let mut following = false;
        #[cfg(feature = "notifications-client")]
        {
            let caller = match (&dial.on_behalf_of, token.principal()) {
                (Some(user_id), _) => Some(user_id.clone()),
                (None, Principal::User { id }) => id.clone(),
                _ => None,
            };
            if let Some(user_id) = caller {
                // Subscribed before the call exists, so its first state
                // cannot be missed. A refusal only means polling later.
                following = self
                    .client
                    .call_follower()
                    .ensure_user(self.client, &user_id)
                    .await
                    .is_ok();
            }
        }
        let conversations = self.client.conversations();
        let (response, operation) = match (&dial.on_behalf_of, token.principal()) {
            (Some(user_id), _) => (
                conversations
                    .post_conversations_calls_user_user_id(user_id, &dial.request)
                    .await?,
                "postConversationsCallsUserUserId",
            ),
            (None, Principal::Client { .. }) => {
                // Let preflight explain, with the alternatives, without sending.
                self.client.check("postConversationsCalls").await?;
                return Err(Error::InvalidRequest {
                    operation: "postConversationsCalls",
                    reason: "a client-credentials token needs Dial::on_behalf_of(user_id)".into(),
                });
            }
            (None, _) => (
                conversations
                    .post_conversations_calls(&dial.request)
                    .await?,
                "postConversationsCalls",
            ),
        };
        let conversation_id = response.id.ok_or_else(|| Error::InvalidRequest {
            operation,
            reason: "Genesys accepted the call but returned no conversation id".into(),
        })?;
        #[cfg(feature = "notifications-client")]
        if following {
            self.client.call_follower().cover(&conversation_id);
        }
        Ok(PlacedCall {
            conversation_id,
            operation,
        })
    }

    /// The call conversation as it is now.
    pub async fn get(&self, conversation_id: &str) -> Result<CallConversation, Error> {
        self.client
            .conversations()
            .get_conversations_call(conversation_id)
            .await
    }

    /// Waits until the call reaches `state` (a call that ended while
    /// waiting for `Connected` returns an error), for at most `timeout`: by
    /// events when it can, else by polling every second (see the module
    /// docs).
    pub async fn wait_for(
        &self,
        conversation_id: &str,
        state: CallState,
        timeout: Duration,
    ) -> Result<CallConversation, Error> {
        let started = Instant::now();
        let mut last = None;
        loop {
            let remaining = timeout.saturating_sub(started.elapsed());
            let update = match self.next_update(conversation_id, last, remaining).await {
                Ok(update) => update,
                Err(Error::Timeout { what, .. }) if last.is_some() => {
                    return Err(Error::Timeout {
                        conversation_id: conversation_id.to_owned(),
                        what: format!("{what} (waiting for {state:?})"),
                        waited: started.elapsed(),
                    });
                }
                Err(other) => return Err(other),
            };
            if update.state == state {
                return Ok(update.call);
            }
            if update.state == CallState::Ended {
                return Err(Error::Timeout {
                    conversation_id: conversation_id.to_owned(),
                    what: format!("the call ended before reaching {state:?}"),
                    waited: started.elapsed(),
                });
            }
            last = Some(update.state);
        }
    }

    /// Every change of the call's state, from now until it ends (the
    /// stream's last item is the `Ended` update), by events when it can,
    /// else by polling every second. The first item is the state it is in
    /// now.
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    ///
    /// # async fn demo(client: genesys_cloud::Client, id: &str) -> Result<(), genesys_cloud::Error> {
    /// let mut updates = client.calls().follow(id);
    /// while let Some(update) = updates.next().await {
    ///     let update = update?;
    ///     println!("{:?} ({:?})", update.state, update.source);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn follow(&self, conversation_id: &str) -> CallFollow {
        let client = self.client.clone();
        let id = conversation_id.to_owned();
        let stream =
            futures_util::stream::unfold(Some(None), move |last: Option<Option<CallState>>| {
                let (client, id) = (client.clone(), id.clone());
                async move {
                    let last = last?;
                    if last == Some(CallState::Ended) {
                        return None;
                    }
                    let result = client.calls().next_update(&id, last, FOLLOW_FOREVER).await;
                    let next = result.as_ref().ok().map(|u| Some(u.state));
                    Some((result, next))
                }
            });
        CallFollow {
            inner: Box::pin(stream),
        }
    }

    /// The first observation of the call whose state differs from `last`
    /// (any state when `last` is `None`), within `timeout`.
    async fn next_update(
        &self,
        conversation_id: &str,
        last: Option<CallState>,
        timeout: Duration,
    ) -> Result<CallUpdate, Error> {
        #[cfg(feature = "notifications-client")]
        if let Some(update) = self
            .next_update_by_events(conversation_id, last, timeout)
            .await?
        {
            return Ok(update);
        }
        self.next_update_by_polling(conversation_id, last, timeout, Duration::from_secs(1))
            .await
    }

    /// Events, when the call's user is (or can be) followed; `Ok(None)`
    /// when not, so the caller polls.
    #[cfg(feature = "notifications-client")]
    async fn next_update_by_events(
        &self,
        conversation_id: &str,
        last: Option<CallState>,
        timeout: Duration,
    ) -> Result<Option<CallUpdate>, Error> {
        let started = Instant::now();
        let follower = self.client.call_follower();
        if follower.ended().is_some() {
            return Ok(None);
        }
        let mut seen = follower.watch(conversation_id);
        let known = seen.borrow().call.is_some() || seen.borrow().covered;
        let mut caught_up_gaps = seen.borrow().gaps;
        if !known {
            // Not placed by this client, or no event yet. Subscribe to the
            // token's own user first when there is one, then catch up.
            let token = self.client.access_token().await?;
            let mut subscribed = false;
            if let Principal::User { id: Some(user_id) } = token.principal() {
                subscribed = follower.ensure_user(self.client, user_id).await.is_ok();
            }
            if seen.borrow().call.is_none() {
                let mut call = self.get(conversation_id).await?;
                if !subscribed {
                    let users = participant_users(&call);
                    for user_id in &users {
                        if follower.ensure_user(self.client, user_id).await.is_ok() {
                            subscribed = true;
                            break;
                        }
                    }
                    if !subscribed {
                        return Ok(None);
                    }
                    // Catch up on what happened while subscribing.
                    call = self.get(conversation_id).await?;
                }
                follower.cover(conversation_id);
                let state = CallState::of(&call);
                if Some(state) != last {
                    return Ok(Some(CallUpdate::new(call, UpdateSource::Request)));
                }
            }
        }
        loop {
            let (call, gaps) = {
                let now = seen.borrow_and_update();
                (now.call.clone(), now.gaps)
            };
            if follower.ended().is_some() {
                return Ok(None);
            }
            if gaps != caught_up_gaps {
                caught_up_gaps = gaps;
                let call = self.get(conversation_id).await?;
                if Some(CallState::of(&call)) != last {
                    return Ok(Some(CallUpdate::new(call, UpdateSource::Request)));
                }
            } else if let Some(call) = call
                && Some(CallState::of(&call)) != last
            {
                return Ok(Some(CallUpdate::new(
                    Arc::unwrap_or_clone(call),
                    UpdateSource::Event,
                )));
            }
            let remaining = timeout.saturating_sub(started.elapsed());
            match tokio::time::timeout(remaining, seen.changed()).await {
                Ok(Ok(())) => {}
                // The follower dropped the conversation: poll.
                Ok(Err(_)) => return Ok(None),
                Err(_) => {
                    return Err(Error::Timeout {
                        conversation_id: conversation_id.to_owned(),
                        what: format!("still {:?}", last.unwrap_or(CallState::Dialing)),
                        waited: started.elapsed(),
                    });
                }
            }
        }
    }

    async fn next_update_by_polling(
        &self,
        conversation_id: &str,
        last: Option<CallState>,
        timeout: Duration,
        interval: Duration,
    ) -> Result<CallUpdate, Error> {
        let started = Instant::now();
        loop {
            let call = self.get(conversation_id).await?;
            let now = CallState::of(&call);
            if Some(now) != last {
                return Ok(CallUpdate::new(call, UpdateSource::Request));
            }
            if started.elapsed() + interval > timeout {
                return Err(Error::Timeout {
                    conversation_id: conversation_id.to_owned(),
                    what: format!("still {now:?}"),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Polls the call every `interval` until it reaches `state`, for at
    /// most `timeout`; never uses events.
    pub async fn wait_for_every(
        &self,
        conversation_id: &str,
        state: CallState,
        timeout: Duration,
        interval: Duration,
    ) -> Result<CallConversation, Error> {
        let started = Instant::now();
        loop {
            let call = self.get(conversation_id).await?;
            let now = CallState::of(&call);
            if now == state {
                return Ok(call);
            }
            if now == CallState::Ended {
                return Err(Error::Timeout {
                    conversation_id: conversation_id.to_owned(),
                    what: format!("the call ended before reaching {state:?}"),
                    waited: started.elapsed(),
                });
            }
            if started.elapsed() + interval > timeout {
                return Err(Error::Timeout {
                    conversation_id: conversation_id.to_owned(),
                    what: format!("still {now:?}, not {state:?},"),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(interval).await;
        }
    }
}
