//! HTTP plumbing: the response body type and response builders.

use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use hyper::body::{Body, Frame, SizeHint};
use serde::Serialize;

/// The correlation header Genesys sets on every API response.
pub(crate) const CORRELATION_HEADER: HeaderName = HeaderName::from_static("inin-correlation-id");
pub(crate) const JSON: &str = "application/json";

/// Error returned by a body the emulator cuts short on purpose.
#[derive(Debug)]
pub(crate) struct Truncated;

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("response body truncated by an injected fault")
    }
}

impl std::error::Error for Truncated {}

/// A response body: complete, or cut short after a pause.
pub(crate) struct EmuBody {
    kind: Kind,
}

enum Kind {
    Full(Option<Bytes>),
    Truncated {
        data: Option<Bytes>,
        pause: Pin<Box<tokio::time::Sleep>>,
    },
}

impl EmuBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        EmuBody {
            kind: Kind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    pub(crate) fn empty() -> Self {
        EmuBody {
            kind: Kind::Full(None),
        }
    }

    /// Sends `data`, waits a moment so it is flushed, then fails so the
    /// connection is closed before the declared length is reached.
    pub(crate) fn truncated(data: Bytes) -> Self {
        EmuBody {
            kind: Kind::Truncated {
                data: Some(data),
                pause: Box::pin(tokio::time::sleep(Duration::from_millis(20))),
            },
        }
    }
}

impl Body for EmuBody {
    type Data = Bytes;
    type Error = Truncated;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Truncated>>> {
        match &mut self.get_mut().kind {
            Kind::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            Kind::Truncated { data, pause } => {
                if let Some(d) = data.take() {
                    return Poll::Ready(Some(Ok(Frame::data(d))));
                }
                match pause.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Truncated))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Truncated { .. } => SizeHint::default(),
        }
    }
}

/// A response with a body and content type.
pub(crate) fn raw(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Response<EmuBody> {
    let mut response = Response::new(EmuBody::full(body));
    *response.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, v);
    }
    response
}

/// A JSON response.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<EmuBody> {
    match serde_json::to_vec(value) {
        Ok(body) => raw(status, JSON, body),
        Err(e) => raw(
            StatusCode::INTERNAL_SERVER_ERROR,
            JSON,
            format!(
                r#"{{"message":"cannot encode response: {e}","status":500,"code":"internal.server.error"}}"#
            ),
        ),
    }
}

/// A response with no body.
pub(crate) fn empty(status: StatusCode) -> Response<EmuBody> {
    let mut response = Response::new(EmuBody::empty());
    *response.status_mut() = status;
    response
}

/// 200 with a `Content-Length` of the whole body but only half of it sent.
pub(crate) fn truncated(full: Bytes) -> Response<EmuBody> {
    let half = full.slice(..full.len() / 2);
    let mut response = Response::new(EmuBody::truncated(half));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(full.len() as u64));
    response
}

/// An OAuth error response (`error`, `description`, `error_description`).
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<EmuBody> {
    json(
        status,
        &serde_json::json!({
            "error": error,
            "description": description,
            "error_description": description,
        }),
    )
}

/// Sets a header, ignoring values that are not valid header text.
pub(crate) fn set_header(response: &mut Response<EmuBody>, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}
