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

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use genesys_auth::Principal;
use genesys_model::{
    CallConversation, CallMediaParticipant, CallMediaParticipantState, CreateCallRequest,
};

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

    /// Polls the call until it reaches `state` (or a later one: a call that
    /// ended while waiting for `Connected` returns an error), checking every
    /// second, for at most `timeout`.
    pub async fn wait_for(
        &self,
        conversation_id: &str,
        state: CallState,
        timeout: Duration,
    ) -> Result<CallConversation, Error> {
        self.wait_for_every(conversation_id, state, timeout, Duration::from_secs(1))
            .await
    }

    /// [`Calls::wait_for`] with a chosen polling interval.
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
