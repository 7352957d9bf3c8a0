//! The request and response types of [`Transport`](crate::Transport).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use crate::retry::RetryPolicy;

/// One API call: method, concrete path (with query), the path template used
/// for tracing, extra headers, body, and per-request options.
///
/// The path is relative to the transport's base URL and must start with `/`.
/// The template (e.g. `/api/v2/users/{userId}`) is what appears in traces, so
/// ids in concrete paths do not blow up span cardinality; it defaults to the
/// concrete path without its query.
///
/// `Debug` shows header names but never header values.
///
/// ```
/// use std::time::Duration;
/// use genesys_transport::ApiRequest;
/// use http::{HeaderName, HeaderValue, Method};
///
/// let request = ApiRequest::new(Method::POST, "/api/v2/conversations/calls")
///     .with_json(r#"{"phoneNumber":"+15551234567"}"#)
///     .with_header(HeaderName::from_static("x-my-header"), HeaderValue::from_static("1"))
///     .with_correlation_id("my-correlation-id")
///     .with_timeout(Duration::from_secs(5));
/// assert_eq!(request.path_template(), "/api/v2/conversations/calls");
///
/// let request = ApiRequest::new(Method::GET, "/api/v2/users/42?expand=presence")
///     .with_path_template("/api/v2/users/{userId}");
/// assert_eq!(request.path_and_query(), "/api/v2/users/42?expand=presence");
/// ```
#[derive(Clone)]
pub struct ApiRequest {
    method: Method,
    path_and_query: String,
    /// Set by [`ApiRequest::with_path_template`]; otherwise the path itself
    /// is the template (worked out when asked, not copied per request).
    path_template: Option<Cow<'static, str>>,
    headers: HeaderMap,
    body: Bytes,
    correlation_id: Option<String>,
    timeout: Option<Duration>,
    retry_policy: Option<RetryPolicy>,
}

impl ApiRequest {
    /// A request with an empty body. `path_and_query` must start with `/`.
    pub fn new(method: Method, path_and_query: impl Into<String>) -> Self {
        Self {
            method,
            path_and_query: path_and_query.into(),
            path_template: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            correlation_id: None,
            timeout: None,
            retry_policy: None,
        }
    }

    /// Sets the path template shown in traces, e.g. `/api/v2/users/{userId}`.
    pub fn with_path_template(mut self, template: impl Into<Cow<'static, str>>) -> Self {
        self.path_template = Some(template.into());
        self
    }

    /// Adds a header (appending to any value already set under that name).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets the body, leaving `Content-Type` as it is.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn with_json(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self
    }

    /// Sends this correlation id in the
    /// [`ININ-Correlation-Id`](crate::CORRELATION_ID_HEADER) header.
    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// Overrides the transport's per-attempt request timeout for this request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Overrides the transport's retry policy for this request.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// The headers, for changes beyond [`with_header`](Self::with_header).
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The concrete path and query.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// The path and query for the URI: moved out when an explicit template
    /// stands in for it afterwards (errors and traces name the template),
    /// copied otherwise.
    pub(crate) fn take_path_if_templated(&mut self) -> String {
        if self.path_template.is_some() {
            std::mem::take(&mut self.path_and_query)
        } else {
            self.path_and_query.clone()
        }
    }

    /// The path template used in traces.
    pub fn path_template(&self) -> &str {
        match &self.path_template {
            Some(template) => template,
            None => self
                .path_and_query
                .split(['?', '#'])
                .next()
                .unwrap_or_default(),
        }
    }

    /// The extra headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The correlation id to send, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// The per-request timeout override, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The per-request retry policy override, if any.
    pub fn retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry_policy.as_ref()
    }
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path_and_query", &self.path_and_query)
            .field("path_template", &self.path_template())
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .field("correlation_id", &self.correlation_id)
            .field("timeout", &self.timeout)
            .field("retry_policy", &self.retry_policy)
            .finish()
    }
}

/// A successful (2xx) response.
///
/// ```
/// # async fn demo(transport: genesys_transport::Transport) -> Result<(), genesys_transport::Error> {
/// use genesys_transport::ApiRequest;
/// use http::Method;
///
/// let response = transport.send(ApiRequest::new(Method::GET, "/api/v2/users/me")).await?;
/// println!("{} after {} attempt(s), correlation {:?}", response.status(), response.attempts(), response.correlation_id());
/// let json: serde_json::Value = response.json().expect("valid JSON");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ApiResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    attempts: u32,
}

impl ApiResponse {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes, attempts: u32) -> Self {
        Self {
            status,
            headers,
            body,
            attempts,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body (decompressed if it was gzip-encoded).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Consumes the response, returning the body.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// How many attempts it took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The `ININ-Correlation-Id` response header.
    pub fn correlation_id(&self) -> Option<&str> {
        self.headers
            .get(&crate::wire::CORRELATION_ID)
            .and_then(|v| v.to_str().ok())
    }

    /// Deserializes the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// Converts into an `http::Response`.
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_defaults_to_path_without_query() {
        let r = ApiRequest::new(Method::GET, "/api/v2/users?pageSize=5");
        assert_eq!(r.path_template(), "/api/v2/users");
        assert_eq!(r.path_and_query(), "/api/v2/users?pageSize=5");
    }

    #[test]
    fn debug_hides_header_values() {
        let mut value = HeaderValue::from_static("Bearer SENTINEL-SECRET");
        value.set_sensitive(true);
        let r = ApiRequest::new(Method::GET, "/x")
            .with_header(http::header::AUTHORIZATION, value)
            .with_header(
                HeaderName::from_static("x-other"),
                HeaderValue::from_static("also-hidden"),
            );
        let text = format!("{r:?}");
        assert!(!text.contains("SENTINEL"), "{text}");
        assert!(!text.contains("also-hidden"), "{text}");
        assert!(text.contains("authorization"), "{text}");
    }
}
