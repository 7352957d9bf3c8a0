//! The [`HttpClient`] trait and its default hyper implementation.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::TransportError;
use crate::wire::BoxFuture;

/// Sends one HTTP request and returns the complete response.
///
/// This is the seam for plugging in another HTTP stack or a test double. An
/// implementation must:
///
/// - return every response, whatever its status, as `Ok` (the
///   [`Transport`](crate::Transport) turns non-2xx statuses into
///   [`ApiError`](crate::ApiError)s and decides about retries);
/// - report failures with the [`TransportError`] variant that says how far
///   the request got ([`TransportError::Connect`] only when the request
///   provably never left), since that decides whether a `POST` is retried;
/// - read bodies with a bound, and may mark a cut-short error body with
///   [`BodyCompleteness`](crate::BodyCompleteness) in the response extensions;
/// - may record when the response head arrived with
///   [`ReceivedAt`](crate::ReceivedAt) in the response extensions (otherwise
///   the transport reads the clock when `send` returns);
/// - never log header values.
///
/// Timeouts and retries are applied by the [`Transport`](crate::Transport)
/// around `send`; an implementation need not apply its own.
///
/// ```
/// use bytes::Bytes;
/// use genesys_transport::{BoxFuture, HttpClient, SharedHttpClient, TransportError};
///
/// /// Answers every request with `204 No Content`.
/// #[derive(Debug)]
/// struct NoContent;
///
/// impl HttpClient for NoContent {
///     fn send(&self, _request: http::Request<Bytes>) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
///         Box::pin(async {
///             let mut response = http::Response::new(Bytes::new());
///             *response.status_mut() = http::StatusCode::NO_CONTENT;
///             Ok(response)
///         })
///     }
/// }
///
/// let client = SharedHttpClient::new(NoContent);
/// ```
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends `request` (whose URI is absolute) and returns the response.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>>;
}

/// A cheaply clonable, shared [`HttpClient`].
///
/// ```
/// # #[cfg(feature = "hyper-client")]
/// # fn demo() -> Result<(), genesys_transport::TransportError> {
/// use genesys_transport::{HyperClient, SharedHttpClient};
/// let client = SharedHttpClient::new(HyperClient::builder().build()?);
/// let _same_pool = client.clone();
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SharedHttpClient(Arc<dyn HttpClient>);

impl SharedHttpClient {
    /// Wraps a client.
    pub fn new(client: impl HttpClient + 'static) -> Self {
        Self(Arc::new(client))
    }

    /// Wraps an already shared client.
    pub fn from_arc(client: Arc<dyn HttpClient>) -> Self {
        Self(client)
    }
}

impl HttpClient for SharedHttpClient {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        self.0.send(request)
    }
}
