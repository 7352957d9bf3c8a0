//! The WebSocket at a channel's `connectUri` (`/channels/{channelId}`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use http::header::{CONNECTION, HeaderValue, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use http::{Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::errors::ApiError;
use crate::http::EmuBody;
use crate::state::Shared;

use super::topics::Verdict;
use super::{Out, PONG, SubscribeError, SubscribeMode, owner_permissions, redact_id};

type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

fn header_has(parts: &http::request::Parts, name: http::header::HeaderName, token: &str) -> bool {
    parts.headers.get_all(name).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

/// Answers a WebSocket handshake for a channel: 101 and a socket task, 404
/// (`not.found`) for an unknown or expired channel, 400 for a request that
/// is not a WebSocket upgrade. The socket is registered before the 101 is
/// sent, so whatever falls due afterwards reaches it.
pub(crate) fn accept(
    shared: &Arc<Shared>,
    parts: &mut http::request::Parts,
    channel_id: &str,
    correlation: &str,
) -> Response<EmuBody> {
    let key = parts.headers.get(SEC_WEBSOCKET_KEY).cloned();
    let is_upgrade = header_has(parts, CONNECTION, "upgrade")
        && header_has(parts, UPGRADE, "websocket")
        && parts
            .headers
            .get("sec-websocket-version")
            .is_some_and(|v| v == "13");
    let (Some(key), true) = (key, is_upgrade) else {
        return ApiError::bad_request(
            "A channel's connectUri only accepts WebSocket (version 13) upgrades.",
            Vec::new(),
        )
        .into_response(correlation);
    };
    let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
        return ApiError::for_status(500).into_response(correlation);
    };
    let Some((conn_id, rx)) = shared.notifications.attach(channel_id) else {
        return ApiError::not_found().into_response(correlation);
    };
    let shared = shared.clone();
    let channel = channel_id.to_owned();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let ws =
                    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None)
                        .await;
                run(&shared, &channel, conn_id, rx, ws).await;
            }
            Err(e) => tracing::debug!(channel = %redact_id(&channel), "upgrade failed: {e}"),
        }
        shared.notifications.detach(&channel, conn_id);
    });
    let mut response = Response::new(EmuBody::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, v);
    }
    response
}

/// Serves one socket until it ends, the hub closes or drops it, or the
/// emulator shuts down.
async fn run(
    shared: &Arc<Shared>,
    channel: &str,
    conn_id: u64,
    mut rx: mpsc::UnboundedReceiver<Out>,
    mut ws: Socket,
) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            biased;
            out = rx.recv() => match out {
                Some(Out::Text(text)) => {
                    if ws.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
                Some(Out::Close(code, reason)) => {
                    close(&mut ws, code, reason).await;
                    return;
                }
                // Dropping the socket ends the TCP connection without a
                // close frame.
                Some(Out::Drop) | None => return,
            },
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let reply = client_message(shared, channel, conn_id, text.as_str());
                    if ws.send(Message::text(reply)).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                // Pings are answered by tungstenite; pongs and binary
                // frames mean nothing here.
                Some(Ok(_)) => {}
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// Sends a close frame and waits briefly for the peer's answer.
async fn close(ws: &mut Socket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: Utf8Bytes::from_static(reason),
    };
    if ws.close(Some(frame)).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

fn answer(result: &str, status: &str, correlation: &Value, message: Option<String>) -> String {
    let mut out = json!({"result": result, "status": status});
    if !correlation.is_null() {
        out["correlationId"] = correlation.clone();
    }
    if let Some(message) = message {
        out["message"] = json!(message);
    }
    out.to_string()
}

/// Handles a text message from the client and returns the answer:
/// `{"message":"ping"}` gets a `channel.metadata` pong;
/// `{"message":"subscribe","topics":[…],"correlationId":…}` adds topics
/// (all or nothing) and gets `{"result":"200","status":"subscribed"}`,
/// `{"result":"400","status":"failure"}` (rejected topics, too many topics)
/// or `{"result":"404","status":"failure"}` (the channel expired or was
/// replaced); anything else gets `{"result":"400","status":"error"}`.
fn client_message(shared: &Shared, channel: &str, conn_id: u64, text: &str) -> String {
    let null = Value::Null;
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return answer(
            "400",
            "error",
            &null,
            Some("The message is not JSON.".into()),
        );
    };
    let correlation = value.get("correlationId").unwrap_or(&null);
    let live = shared.notifications.touch(channel, conn_id);
    match value.get("message").and_then(Value::as_str) {
        Some("ping") => PONG.to_owned(),
        Some("subscribe") => {
            if !live {
                return answer(
                    "404",
                    "failure",
                    correlation,
                    Some("The channel has expired or was replaced.".into()),
                );
            }
            let topics: Option<Vec<String>> = value
                .get("topics")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(|t| t.as_str().map(str::to_owned)).collect());
            let Some(topics) = topics else {
                return answer(
                    "400",
                    "error",
                    correlation,
                    Some("subscribe needs topics: a list of topic names.".into()),
                );
            };
            let outcome = shared.notifications.subscribe(
                channel,
                None,
                &|o| owner_permissions(shared, o),
                topics,
                SubscribeMode::Add,
                true,
            );
            match outcome {
                Ok(_) => answer("200", "subscribed", correlation, None),
                Err(SubscribeError::NotFound) => answer(
                    "404",
                    "failure",
                    correlation,
                    Some("The channel has expired or was replaced.".into()),
                ),
                Err(SubscribeError::TooManyTopics(max)) => answer(
                    "400",
                    "failure",
                    correlation,
                    Some(format!("A channel can subscribe to at most {max} topics.")),
                ),
                Err(SubscribeError::Rejected(results)) => {
                    let reasons: Vec<String> = results
                        .into_iter()
                        .filter_map(|(_, v)| match v {
                            Verdict::Rejected { reason, .. } => Some(reason),
                            Verdict::Permitted => None,
                        })
                        .collect();
                    answer("400", "failure", correlation, Some(reasons.join("; ")))
                }
            }
        }
        _ => answer(
            "400",
            "error",
            correlation,
            Some("Unknown message: expected ping or subscribe.".into()),
        ),
    }
}
