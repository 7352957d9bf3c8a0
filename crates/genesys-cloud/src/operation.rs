//! Typed requests for generated operations: awaited directly, refined with
//! optional parameters first, or paged (see [`crate::paging`]).

use std::borrow::Cow;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use genesys_model::Model;
use genesys_model::catalogue::{self, Operation};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::paging::PagingOptions;
use crate::{Client, Error};

/// One generated operation: its id and what a successful call returns.
/// Implemented by the marker types of the generated API (e.g.
/// [`PostConversationsCalls`](crate::api::conversations::PostConversationsCalls)).
pub trait ApiOperation {
    /// The spec's `operationId`, the key into the [`catalogue`].
    const ID: &'static str;
    /// The decoded success response (`()` when the operation returns none).
    type Output: DeserializeOwned + Send + 'static;
}

/// Characters kept as-is in a path segment: unreserved ones (RFC 3986).
#[allow(
    dead_code,
    reason = "used by the generated API of whichever tags are enabled"
)]
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path parameter so it stays one segment.
#[allow(
    dead_code,
    reason = "used by the generated API of whichever tags are enabled"
)]
pub(crate) fn encode_path_segment(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// A path from its literal pieces with each parameter percent-encoded
/// between them (`literals.len() == segments.len() + 1`), built in one
/// allocation: `build_path(&["/api/v2/users/", "/queues"], &["a b"])` is
/// `/api/v2/users/a%20b/queues`.
#[allow(
    dead_code,
    reason = "used by the generated API of whichever tags are enabled"
)]
pub(crate) fn build_path(literals: &[&str], segments: &[&str]) -> String {
    let mut path = String::with_capacity(literals.iter().chain(segments).map(|s| s.len()).sum());
    for (i, literal) in literals.iter().enumerate() {
        path.push_str(literal);
        if let Some(segment) = segments.get(i) {
            path.extend(utf8_percent_encode(segment, PATH_SEGMENT));
        }
    }
    path
}

/// The parts of a request the generated code fills in.
#[derive(Debug, Clone)]
pub(crate) struct OperationRequest {
    pub(crate) operation_id: &'static str,
    /// The catalogue entry, when the builder already knows it (the
    /// generated API does); otherwise it is looked up by id when sent.
    pub(crate) operation: Option<&'static Operation>,
    pub(crate) path: String,
    pub(crate) query: Vec<(Cow<'static, str>, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Bytes>,
    /// Why the request cannot be sent (found while building it).
    pub(crate) problem: Option<String>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) correlation_id: Option<String>,
}

impl OperationRequest {
    #[allow(
        dead_code,
        reason = "used by the generated API of whichever tags are enabled"
    )]
    pub(crate) fn new(operation_id: &'static str, path: String) -> Self {
        Self {
            operation_id,
            operation: None,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            problem: None,
            timeout: None,
            correlation_id: None,
        }
    }

    /// A request for the operation at `index` in the catalogue (the
    /// generator knows it), so sending it needs no lookup by id. An index
    /// that does not name `operation_id` (a catalogue from another
    /// generation) falls back to the lookup.
    #[allow(
        dead_code,
        reason = "used by the generated API of whichever tags are enabled"
    )]
    pub(crate) fn indexed(index: usize, operation_id: &'static str, path: String) -> Self {
        let mut request = Self::new(operation_id, path);
        request.operation = catalogue::operations()
            .get(index)
            .filter(|op| op.id == operation_id);
        request
    }

    /// A request for an operation already looked up.
    pub(crate) fn for_operation(operation: &'static Operation, path: String) -> Self {
        let mut request = Self::new(operation.id, path);
        request.operation = Some(operation);
        request
    }

    pub(crate) fn query(&mut self, name: impl Into<Cow<'static, str>>, value: String) {
        let name = name.into();
        self.query.retain(|(n, _)| *n != name);
        self.query.push((name, value));
    }

    /// An array parameter: repeated (`multi`) or comma-joined.
    #[allow(
        dead_code,
        reason = "used by the generated API of whichever tags are enabled"
    )]
    pub(crate) fn query_list(&mut self, name: &'static str, values: Vec<String>, multi: bool) {
        self.query.retain(|(n, _)| *n != name);
        if multi {
            self.query
                .extend(values.into_iter().map(|v| (Cow::Borrowed(name), v)));
        } else if !values.is_empty() {
            self.query.push((Cow::Borrowed(name), values.join(",")));
        }
    }

    pub(crate) fn header(&mut self, name: &str, value: String) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value));
    }

    #[allow(
        dead_code,
        reason = "used by the generated API of whichever tags are enabled"
    )]
    pub(crate) fn json_body<T: Serialize + ?Sized>(&mut self, body: &T) {
        // Most bodies fit, so serialising rarely grows the buffer.
        let mut bytes = Vec::with_capacity(256);
        match serde_json::to_writer(&mut bytes, body) {
            Ok(()) => self.body = Some(bytes.into()),
            Err(e) => self.problem = Some(format!("the request body could not be encoded: {e}")),
        }
    }

    /// A model body, checked for the properties the spec requires.
    #[allow(
        dead_code,
        reason = "used by the generated API of whichever tags are enabled"
    )]
    pub(crate) fn model_body<T: Model>(&mut self, body: &T) {
        let missing = body.missing_required_fields();
        if !missing.is_empty() {
            self.problem = Some(format!(
                "the {} body lacks required field(s): {}",
                T::DEFINITION,
                missing.join(", ")
            ));
        }
        self.json_body(body);
    }

    /// The path with its query string.
    pub(crate) fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let query: String = form_query(&self.query);
        format!("{}?{query}", self.path)
    }
}

fn form_query(pairs: &[(Cow<'static, str>, String)]) -> String {
    const QUERY: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY),
                utf8_percent_encode(v, QUERY)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A typed request for one operation. `.await` it to send it, or refine it
/// first with the operation's optional parameters and these options.
///
/// ```no_run
/// # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::Error> {
/// use std::time::Duration;
///
/// let me = client
///     .tokens()
///     .get_tokens_me()
///     .with_timeout(Duration::from_secs(5))
///     .await?;
/// # let _ = me; Ok(()) }
/// ```
#[must_use = "a request does nothing until it is awaited"]
pub struct Request<'a, O> {
    pub(crate) client: &'a Client,
    pub(crate) parts: OperationRequest,
    pub(crate) paging: PagingOptions,
    _operation: PhantomData<fn() -> O>,
}

impl<O> std::fmt::Debug for Request<'_, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("operation", &self.parts.operation_id)
            .field("path", &self.parts.path)
            .field("query", &self.parts.query)
            .finish_non_exhaustive()
    }
}

impl<'a, O: ApiOperation> Request<'a, O> {
    #[allow(
        dead_code,
        reason = "used by the generated API of whichever tags are enabled"
    )]
    pub(crate) fn new(client: &'a Client, parts: OperationRequest) -> Self {
        Self {
            client,
            parts,
            paging: PagingOptions::default(),
            _operation: PhantomData,
        }
    }

    #[allow(
        dead_code,
        reason = "used by the generated API of whichever tags are enabled"
    )]
    pub(crate) fn parts_mut(&mut self) -> &mut OperationRequest {
        &mut self.parts
    }

    /// What the catalogue says about this operation.
    pub fn operation(&self) -> Option<&'static Operation> {
        catalogue::operation(O::ID)
    }

    /// Adds a header to this request only (e.g. `Genesys-App`).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.parts.header(name, value.into());
        self
    }

    /// Overrides the per-attempt timeout for this request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.parts.timeout = Some(timeout);
        self
    }

    /// Sends this correlation id (`ININ-Correlation-Id`) to tie the request
    /// to your own logs.
    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.parts.correlation_id = Some(id.into());
        self
    }

    /// Sends the request and decodes the response.
    pub async fn send(self) -> Result<O::Output, Error> {
        self.client.execute(self.parts).await
    }
}

impl<'a, O: ApiOperation + 'a> IntoFuture for Request<'a, O> {
    type Output = Result<O::Output, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_cannot_escape_their_segment() {
        assert_eq!(encode_path_segment("abc-123"), "abc-123");
        assert_eq!(encode_path_segment("../users/me"), "..%2Fusers%2Fme");
        assert_eq!(encode_path_segment("a b?c#d"), "a%20b%3Fc%23d");
    }

    #[test]
    fn built_paths_encode_each_parameter_as_one_segment() {
        assert_eq!(build_path(&["/api/v2/users"], &[]), "/api/v2/users");
        assert_eq!(
            build_path(&["/api/v2/users/", "/queues/", ""], &["a b", "../x"]),
            "/api/v2/users/a%20b/queues/..%2Fx"
        );
    }

    #[test]
    fn indexed_requests_carry_their_catalogue_entry_or_fall_back_to_the_id() {
        let index = catalogue::operations()
            .iter()
            .position(|op| op.id == "getUsersMe")
            .unwrap();
        let request = OperationRequest::indexed(index, "getUsersMe", "/api/v2/users/me".into());
        assert_eq!(request.operation.map(|op| op.id), Some("getUsersMe"));
        // A stale index is not trusted: the id is looked up when sent.
        let stale = OperationRequest::indexed(index + 1, "getUsersMe", "/api/v2/users/me".into());
        assert!(stale.operation.is_none());
        assert!(
            OperationRequest::indexed(usize::MAX, "getUsersMe", String::new())
                .operation
                .is_none()
        );
    }

    #[test]
    fn query_lists_repeat_or_join() {
        let mut r = OperationRequest::new("x", "/p".into());
        r.query_list("expand", vec!["a".into(), "b c".into()], true);
        r.query("pageSize", "25".into());
        assert_eq!(r.path_and_query(), "/p?expand=a&expand=b%20c&pageSize=25");
        r.query_list("expand", vec!["a".into(), "b".into()], false);
        assert_eq!(r.path_and_query(), "/p?pageSize=25&expand=a%2Cb");
    }
}
