//! One WebSocket connection to a channel's `connectUri`: reading messages,
//! tracking heartbeats, pinging, and saying when and why it ended.

use std::fmt;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt as _, StreamExt as _};
use genesys_model::notifications::{ChannelMessage, Notification, NotificationKind};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::channel::ChannelRef;
use super::config::Config;
use super::error::NotificationError;
use super::secret::{ChannelId, ConnectUri, scrub};

/// A WebSocket over a connection from the client's
/// [`ConnectionSettings`](genesys_transport::ConnectionSettings): direct, or
/// a `CONNECT` tunnel through its proxy.
type Ws = WebSocketStream<MaybeTlsStream<genesys_transport::ConnectedStream>>;

/// Identifies one connection (unique within a stream).
pub(crate) type ConnId = u64;

/// The text a client sends to ping.
const PING: &str = r#"{"message":"ping"}"#;
/// How long closing a socket may take before it is abandoned.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// What a connection reports to the supervisor.
#[derive(Debug)]
pub(crate) enum SocketEvent {
    /// A notification other than a heartbeat or pong.
    Message {
        conn: ConnId,
        notification: Box<Notification>,
        /// Hash of the exact text, for deduplication.
        text_hash: u64,
    },
    /// The connection ended.
    Ended(Ended),
}

/// How and when a connection ended.
#[derive(Debug)]
pub(crate) struct Ended {
    pub(crate) conn: ConnId,
    pub(crate) cause: EndCause,
    /// The last heartbeat or event received (or the connect time).
    pub(crate) last_message_at: SystemTime,
    /// When it ended.
    pub(crate) at: SystemTime,
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EndCause {
    /// We closed it.
    ClosedByUs,
    /// The server sent a close frame.
    Closed { code: Option<u16>, reason: String },
    /// A read or write failed, or the connection ended without a close frame.
    Failed(String),
    /// No heartbeat and no event within the allowed silence.
    Silent(Duration),
    /// A ping got no pong before the next ping was due.
    PingUnanswered,
}

impl EndCause {
    pub(crate) fn by_us(&self) -> bool {
        matches!(self, EndCause::ClosedByUs)
    }
}

impl fmt::Display for EndCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndCause::ClosedByUs => f.write_str("closed by the client"),
            EndCause::Closed { code, reason } => {
                write!(f, "closed by the server")?;
                if let Some(code) = code {
                    write!(f, " (code {code}")?;
                    if !reason.is_empty() {
                        write!(f, ", {reason}")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            EndCause::Failed(detail) => write!(f, "connection failed: {detail}"),
            EndCause::Silent(d) => write!(
                f,
                "no heartbeat and no event for {:.1} s: treated as dead",
                d.as_secs_f64()
            ),
            EndCause::PingUnanswered => f.write_str("a ping got no answer: treated as dead"),
        }
    }
}

/// Owns a running connection: dropping it (or [`SocketHandle::close`])
/// closes the socket.
#[derive(Debug)]
pub(crate) struct SocketHandle {
    pub(crate) conn: ConnId,
    close: Option<oneshot::Sender<()>>,
}

impl SocketHandle {
    /// Asks the connection to close (an [`Ended`] with
    /// [`EndCause::ClosedByUs`] follows, unless it already ended).
    pub(crate) fn close(&mut self) {
        if let Some(tx) = self.close.take() {
            let _ = tx.send(());
        }
    }
}

/// What the connection task watches.
#[derive(Debug, Clone, Copy)]
struct Liveness {
    dead_after: Duration,
    ping_interval: Option<Duration>,
}

/// The rustls client configuration of the client's TLS settings (the
/// transport's: same roots, same client certificate, same provider).
pub(crate) fn tls_config(
    settings: &genesys_transport::ConnectionSettings,
) -> Result<Arc<rustls::ClientConfig>, NotificationError> {
    let config = settings
        .rustls_client_config()
        .map_err(|e| NotificationError::Connect {
            uri: String::new(),
            detail: e.to_string(),
        })?;
    Ok(Arc::new(config))
}

/// Refuses a `connectUri` that is neither `wss://` nor `ws://` to a
/// loopback host (the emulator).
fn check_scheme(uri: &ConnectUri) -> Result<(), NotificationError> {
    let refuse = |detail: &str| NotificationError::Connect {
        uri: uri.redacted(),
        detail: detail.to_owned(),
    };
    let parsed: http::Uri = uri
        .expose()
        .parse()
        .map_err(|_| refuse("the connectUri is not a valid URI"))?;
    match parsed.scheme_str() {
        Some("wss") => Ok(()),
        Some("ws")
            if parsed
                .host()
                .is_some_and(genesys_transport::is_loopback_host) =>
        {
            Ok(())
        }
        Some("ws") => Err(refuse(
            "plain ws:// is allowed to loopback hosts only; Genesys channels use wss://",
        )),
        _ => Err(refuse("the connectUri is not a ws:// or wss:// URI")),
    }
}

/// Opens the WebSocket at the channel's `connectUri` and starts the task
/// that reads it, reporting to `events`.
pub(crate) async fn connect(
    channel: &ChannelRef,
    conn: ConnId,
    settings: &genesys_transport::ConnectionSettings,
    tls: Arc<rustls::ClientConfig>,
    config: &Config,
    events: mpsc::UnboundedSender<SocketEvent>,
) -> Result<SocketHandle, NotificationError> {
    check_scheme(&channel.uri)?;
    let failed = |detail: String| NotificationError::Connect {
        uri: channel.uri.redacted(),
        detail: scrub(&detail, Some(&channel.uri), Some(&channel.id)),
    };
    // TCP, or a CONNECT tunnel through the settings' proxy (the same
    // routing as API calls), then TLS and the WebSocket handshake.
    let target =
        tcp_target(&channel.uri).ok_or_else(|| failed("the connectUri has no host".into()))?;
    let uri = channel.uri.expose().to_owned();
    let connecting = async {
        let stream = settings
            .connect(&target, None)
            .await
            .map_err(|e| match &e {
                genesys_transport::TransportError::Proxy {
                    proxy,
                    kind,
                    detail,
                    ..
                } => NotificationError::Proxy {
                    uri: channel.uri.redacted(),
                    proxy: proxy.clone(),
                    kind: kind.clone(),
                    detail: scrub(detail, Some(&channel.uri), Some(&channel.id)),
                },
                _ => match e.tls_failure() {
                    Some(kind) => NotificationError::Tls {
                        uri: channel.uri.redacted(),
                        kind: kind.clone(),
                        detail: scrub(&e.to_string(), Some(&channel.uri), Some(&channel.id)),
                    },
                    None => failed(e.to_string()),
                },
            })?;
        tokio_tungstenite::client_async_tls_with_config(
            uri,
            stream,
            None,
            Some(Connector::Rustls(tls)),
        )
        .await
        .map_err(|e| match genesys_transport::TlsFailure::from_error(&e) {
            Some(kind) => NotificationError::Tls {
                uri: channel.uri.redacted(),
                kind,
                detail: scrub(&e.to_string(), Some(&channel.uri), Some(&channel.id)),
            },
            None => failed(e.to_string()),
        })
    };
    let (ws, _response) = tokio::time::timeout(config.connect_timeout, connecting)
        .await
        .map_err(|_| {
            failed(format!(
                "no WebSocket handshake within {:?}",
                config.connect_timeout
            ))
        })??;
    tracing::info!(
        channel = %channel.id,
        conn,
        host = %channel.uri,
        "notification socket connected"
    );
    let (close_tx, close_rx) = oneshot::channel();
    let liveness = Liveness {
        dead_after: config.dead_after(),
        ping_interval: config.ping_interval.filter(|p| !p.is_zero()),
    };
    let task = Task {
        conn,
        channel: channel.id.clone(),
        uri: channel.uri.clone(),
        liveness,
        events,
    };
    tokio::spawn(task.run(ws, close_rx));
    Ok(SocketHandle {
        conn,
        close: Some(close_tx),
    })
}

/// The `https://host:port` (or `http://`) a `ws(s)://` URI connects to.
fn tcp_target(uri: &ConnectUri) -> Option<http::Uri> {
    let parsed: http::Uri = uri.expose().parse().ok()?;
    let secure = parsed.scheme_str() == Some("wss");
    let host = parsed.host()?;
    let port = parsed.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{host}:{port}/").parse().ok()
}

fn text_hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

struct Task {
    conn: ConnId,
    channel: ChannelId,
    uri: ConnectUri,
    liveness: Liveness,
    events: mpsc::UnboundedSender<SocketEvent>,
}

impl Task {
    async fn run(self, mut ws: Ws, mut close_rx: oneshot::Receiver<()>) {
        let conn = self.conn;
        let started = Instant::now();
        let mut last_alive = started;
        let mut last_message_at = SystemTime::now();
        let mut next_ping = self.liveness.ping_interval.map(|p| started + p);
        let mut ping_outstanding = false;
        // Set once we have sent our close frame: what the server sent before
        // it saw it is still read and delivered (a switch relies on it),
        // until its close, the end of the stream, or this deadline.
        let mut closing: Option<Instant> = None;
        let cause = loop {
            let dead_at = closing.unwrap_or(last_alive + self.liveness.dead_after);
            let ping_at = next_ping.filter(|_| closing.is_none());
            tokio::select! {
                biased;
                _ = &mut close_rx, if closing.is_none() => {
                    match tokio::time::timeout(CLOSE_TIMEOUT, ws.close(None)).await {
                        Ok(Ok(())) => closing = Some(Instant::now() + CLOSE_TIMEOUT),
                        _ => break EndCause::ClosedByUs,
                    }
                }
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        let now = Instant::now();
                        match ChannelMessage::from_json(text.as_str()) {
                            Ok(ChannelMessage::Notification(n)) => match n.kind() {
                                NotificationKind::Heartbeat => {
                                    last_alive = now;
                                    last_message_at = SystemTime::now();
                                    tracing::trace!(channel = %self.channel, conn, "heartbeat");
                                }
                                // A pong shows the socket is open, not that
                                // events flow: it does not move the deadline.
                                NotificationKind::Pong => {
                                    ping_outstanding = false;
                                    tracing::trace!(channel = %self.channel, conn, "pong");
                                }
                                NotificationKind::ChannelMetadata => {
                                    last_alive = now;
                                    last_message_at = SystemTime::now();
                                }
                                _ => {
                                    last_alive = now;
                                    last_message_at = SystemTime::now();
                                    let event = SocketEvent::Message {
                                        conn,
                                        text_hash: text_hash(text.as_str()),
                                        notification: Box::new(n),
                                    };
                                    if self.events.send(event).is_err() {
                                        // Nobody listens any more.
                                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, close(&mut ws)).await;
                                        break EndCause::ClosedByUs;
                                    }
                                }
                            },
                            Ok(ChannelMessage::Reply(reply)) => {
                                tracing::debug!(
                                    channel = %self.channel,
                                    conn,
                                    result = reply.result.as_deref().unwrap_or(""),
                                    status = reply.status.as_deref().unwrap_or(""),
                                    "notification socket reply"
                                );
                            }
                            Err(e) => {
                                last_alive = now;
                                tracing::warn!(
                                    channel = %self.channel,
                                    conn,
                                    "notification message is not a channel message: {e}"
                                );
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) if closing.is_some() => break EndCause::ClosedByUs,
                    Some(Ok(Message::Close(frame))) => {
                        // Let tungstenite answer the close, briefly. After a
                        // close frame the server sends nothing more.
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
                            while let Some(Ok(_)) = ws.next().await {}
                        })
                        .await;
                        break EndCause::Closed {
                            code: frame.as_ref().map(|f| u16::from(f.code)),
                            reason: frame
                                .map(|f| scrub(f.reason.as_str(), Some(&self.uri), Some(&self.channel)))
                                .unwrap_or_default(),
                        };
                    }
                    // Pings are answered by tungstenite; pongs and binary
                    // frames carry nothing for us.
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None if closing.is_some() => break EndCause::ClosedByUs,
                    Some(Err(e)) => {
                        break EndCause::Failed(scrub(&e.to_string(), Some(&self.uri), Some(&self.channel)));
                    }
                    None => break EndCause::Failed("the connection ended without a close frame".into()),
                },
                () = tokio::time::sleep_until(dead_at) => {
                    if closing.is_some() {
                        // The server never answered our close.
                        break EndCause::ClosedByUs;
                    }
                    let silent = Instant::now().saturating_duration_since(last_alive);
                    tracing::warn!(
                        channel = %self.channel,
                        conn,
                        silent_ms = silent.as_millis() as u64,
                        allowed_ms = self.liveness.dead_after.as_millis() as u64,
                        "notification heartbeat missed: no heartbeat and no event in time; treating the connection as dead"
                    );
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, close(&mut ws)).await;
                    break EndCause::Silent(silent);
                }
                () = sleep_until_opt(ping_at) => {
                    if ping_outstanding {
                        tracing::warn!(channel = %self.channel, conn, "notification ping unanswered; treating the connection as dead");
                        let _ = tokio::time::timeout(CLOSE_TIMEOUT, close(&mut ws)).await;
                        break EndCause::PingUnanswered;
                    }
                    let sent = tokio::time::timeout(CLOSE_TIMEOUT, ws.send(Message::text(PING))).await;
                    match sent {
                        Ok(Ok(())) => {
                            ping_outstanding = true;
                            tracing::trace!(channel = %self.channel, conn, "ping");
                        }
                        Ok(Err(e)) => {
                            break EndCause::Failed(scrub(&e.to_string(), Some(&self.uri), Some(&self.channel)));
                        }
                        Err(_) => break EndCause::Failed("sending a ping timed out".into()),
                    }
                    next_ping = self.liveness.ping_interval.map(|p| Instant::now() + p);
                }
            }
        };
        if cause.by_us() {
            tracing::debug!(channel = %self.channel, conn, "notification socket closed");
        } else {
            tracing::warn!(channel = %self.channel, conn, cause = %cause, "notification socket ended");
        }
        let _ = self.events.send(SocketEvent::Ended(Ended {
            conn,
            cause,
            last_message_at,
            at: SystemTime::now(),
        }));
    }
}

/// Sends a close frame and waits for the server's answer, discarding what
/// arrives meanwhile (for connections given up on).
async fn close(ws: &mut Ws) {
    if ws.close(None).await.is_ok() {
        while let Some(Ok(_)) = ws.next().await {}
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_wss_or_loopback_ws_is_accepted() {
        let ok = |u: &str| check_scheme(&ConnectUri::new(u.into())).is_ok();
        assert!(ok("wss://streaming.mypurecloud.com/channels/x"));
        assert!(ok("ws://127.0.0.1:8080/channels/x"));
        assert!(ok("ws://localhost/channels/x"));
        assert!(!ok("ws://streaming.mypurecloud.com/channels/x"));
        assert!(!ok("https://streaming.mypurecloud.com/channels/x"));
        let err = check_scheme(&ConnectUri::new(
            "ws://example.com/channels/streaming-0-secret".into(),
        ))
        .unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn the_default_tls_configuration_builds() {
        assert!(tls_config(&genesys_transport::ConnectionSettings::default()).is_ok());
    }
}
