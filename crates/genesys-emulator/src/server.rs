//! The hyper server: accept loop, fault injection and dispatch.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::errors::ApiError;
use crate::faults::FaultAction;
use crate::http::{CORRELATION_HEADER, EmuBody, JSON, raw, set_header, truncated};
use crate::listings::ListingFault;
use crate::notifications::{redact_path, socket};
use crate::routes::{self, Endpoint};
use crate::state::Shared;
use crate::{api, ids, oauth};

/// A request as the handlers see it: head, fully read body and route params.
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) params: Vec<String>,
    pub(crate) correlation: String,
    /// How a listing of [`crate::listings`] should misbehave.
    pub(crate) listing_fault: Option<ListingFault>,
}

impl Req {
    /// The `Content-Type` without parameters, lower-cased (`application/json`).
    pub(crate) fn media_type(&self) -> Option<String> {
        let value = self
            .headers
            .get(http::header::CONTENT_TYPE)?
            .to_str()
            .ok()?;
        Some(
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase(),
        )
    }

    /// Whether the body is empty or only whitespace.
    pub(crate) fn body_is_blank(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }
}

/// Returned by the service to make hyper close the connection unanswered.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

enum ReadError {
    TooLarge,
    Broken,
}

async fn read_body(body: Incoming, max: usize) -> Result<Bytes, ReadError> {
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ReadError::TooLarge),
        Err(_) => Err(ReadError::Broken),
    }
}

/// Handles one request end to end.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<EmuBody>, DropConnection> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let matched = routes::match_route(&method, &path);
    shared
        .counters
        .record_request(&method, matched.template.unwrap_or(&path));
    let correlation = ids::random_uuid();

    let (latency, action) = shared.faults.take(&method, matched.template, &path);
    // A listing fault is not a response: the request is served, badly.
    let (action, listing_fault) = match action {
        Some(FaultAction::Listing(fault)) => (None, Some(fault)),
        other => (other, None),
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (mut parts, body) = request.into_parts();
    let max = shared.config.max_body_bytes;
    // Channel ids are bearer capabilities: logs show them shortened.
    let logged = redact_path(&path);
    let mut response = match action {
        Some(FaultAction::DropBeforeRead) => {
            tracing::debug!(%method, path = %logged, "fault: dropping connection before reading");
            drop(body);
            return Err(DropConnection);
        }
        Some(FaultAction::DropAfterRead) => {
            let _ = read_body(body, max).await;
            tracing::debug!(%method, path = %logged, "fault: dropping connection after reading");
            return Err(DropConnection);
        }
        Some(action) => {
            // Consume the request so keep-alive connections stay usable.
            let _ = read_body(body, max).await;
            fault_response(action, &correlation)
        }
        None => match read_body(body, max).await {
            Err(ReadError::Broken) => return Err(DropConnection),
            Err(ReadError::TooLarge) => {
                ApiError::payload_too_large(max).into_response(&correlation)
            }
            Ok(_) if matched.endpoint == Some(Endpoint::ChannelSocket) => {
                let channel = matched.params.first().map(String::as_str).unwrap_or("");
                socket::accept(&shared, &mut parts, channel, &correlation)
            }
            Ok(bytes) => {
                let req = Req {
                    method: method.clone(),
                    path: path.clone(),
                    query: parts.uri.query().map(str::to_owned),
                    headers: parts.headers,
                    body: bytes,
                    params: matched.params,
                    correlation: correlation.clone(),
                    listing_fault,
                };
                dispatch(&shared, &req, matched.endpoint)
            }
        },
    };
    set_header(&mut response, CORRELATION_HEADER, &correlation);
    tracing::debug!(%method, path = %logged, status = response.status().as_u16(), "request");
    Ok(response)
}

fn fault_response(action: FaultAction, correlation: &str) -> Response<EmuBody> {
    match action {
        FaultAction::Status(status) => ApiError::for_status(status).into_response(correlation),
        FaultAction::RateLimited(retry_after) => {
            let mut e = ApiError::for_status(429);
            e.retry_after = retry_after;
            e.message = "Rate limit exceeded the maximum requests".to_owned();
            e.into_response(correlation)
        }
        FaultAction::TruncatedBody => truncated(Bytes::from(format!(
            r#"{{"id":"{}","name":"truncated response","selfUri":"/api/v2/emulator/truncated"}}"#,
            ids::random_uuid()
        ))),
        FaultAction::MalformedBody => raw(StatusCode::OK, JSON, r#"{"id": "abc", "name": tru"#),
        FaultAction::Body {
            status,
            content_type,
            body,
        } => raw(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &content_type,
            body,
        ),
        // Handled before a response is built.
        FaultAction::DropBeforeRead | FaultAction::DropAfterRead | FaultAction::Listing(_) => {
            ApiError::for_status(500).into_response(correlation)
        }
    }
}

fn dispatch(shared: &Shared, req: &Req, endpoint: Option<Endpoint>) -> Response<EmuBody> {
    match endpoint {
        Some(Endpoint::OAuthToken) => oauth::token(shared, req),
        Some(Endpoint::OAuthAuthorize) => oauth::authorize(shared, req),
        _ if req.path.starts_with("/api/") => api::handle(shared, req, endpoint),
        _ => ApiError::not_found().into_response(&req.correlation),
    }
}

/// Accepts connections until `shutdown` changes; with `tls`, each one
/// completes a TLS handshake first.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    tls: Option<Arc<crate::tls::TlsState>>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let conn_shutdown = shutdown.clone();
        match &tls {
            None => {
                tokio::spawn(serve_connection(
                    TokioIo::new(stream),
                    shared,
                    conn_shutdown,
                ));
            }
            Some(tls) => {
                let tls = tls.clone();
                let mut handshake_shutdown = shutdown.clone();
                tokio::spawn(async move {
                    tls.record_handshake();
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), tls.acceptor.accept(stream));
                    let handshake = tokio::select! {
                        result = handshake => result,
                        _ = handshake_shutdown.changed() => return,
                    };
                    match handshake {
                        Ok(Ok(stream)) => {
                            serve_connection(TokioIo::new(stream), shared, conn_shutdown).await;
                        }
                        Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

/// Serves HTTP/1.1 (with upgrades, for the notification WebSocket) on one
/// connection until it closes or `shutdown` changes.
async fn serve_connection<I>(io: I, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req| handle(shared.clone(), req));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .keep_alive(true)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::select! {
        result = conn => {
            if let Err(e) = result {
                tracing::debug!("connection closed: {e}");
            }
        }
        _ = shutdown.changed() => {}
    }
}
