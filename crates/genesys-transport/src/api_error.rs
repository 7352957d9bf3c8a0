//! [`ApiError`]: the server answered with a non-success status, and the
//! Genesys error body it sent ([`ErrorBody`]), decoded leniently so that no
//! body, however malformed, loses what the server said.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};

use crate::body::BodyCompleteness;
use crate::date::{Human, Rfc3339};
use crate::ratelimit::RateLimitStatus;
use crate::wire::{CORRELATION_ID_HEADER, parse_retry_after_at};

/// How many characters of a non-JSON body are quoted in an error message.
const SNIPPET_CHARS: usize = 200;

/// The size a rendered message may grow to through placeholder substitution
/// (or the template's own size, if larger).
const MAX_RENDERED_BYTES: usize = 16 * 1024;

// ---------------------------------------------------------------------------
// ErrorBody (the Genesys error JSON)
// ---------------------------------------------------------------------------

/// The Genesys `ErrorBody` JSON, decoded leniently.
///
/// Fields of an unexpected type are ignored rather than failing the whole
/// decode, numbers and booleans in `messageParams` are turned into strings,
/// and every field this struct does not know is kept in [`extra`](Self::extra).
///
/// ```
/// use genesys_transport::ErrorBody;
///
/// let body = ErrorBody::decode(br#"{
///     "status": 400, "code": "invalid.value",
///     "message": "Value [{value}] is not valid", "messageParams": {"value": "x"},
///     "contextId": "c-1", "limit": {"key": "k"}
/// }"#).unwrap();
/// assert_eq!(body.code.as_deref(), Some("invalid.value"));
/// assert_eq!(body.rendered_message().as_deref(), Some("Value [x] is not valid"));
/// assert!(body.extra.contains_key("limit"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ErrorBody {
    /// The HTTP status the server put in the body.
    #[serde(
        default,
        deserialize_with = "lenient_u16",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<u16>,
    /// The machine-readable error code, e.g. `not.a.user`.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<String>,
    /// The entity the error is about.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub entity_id: Option<String>,
    /// The name of the entity the error is about.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub entity_name: Option<String>,
    /// The human-readable message, possibly with `{param}` placeholders.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// The message template with `{param}` placeholders.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_with_params: Option<String>,
    /// Values for the placeholders in the message.
    #[serde(
        default,
        deserialize_with = "lenient_params",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub message_params: BTreeMap<String, String>,
    /// The server-side context id of the failed request.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub context_id: Option<String>,
    /// Per-field details.
    #[serde(
        default,
        deserialize_with = "lenient_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<ErrorDetail>,
    /// Nested errors.
    #[serde(
        default,
        deserialize_with = "lenient_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<ErrorBody>,
    /// Every other field, kept as raw JSON (e.g. `limit`).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One entry of [`ErrorBody::details`].
///
/// ```
/// use genesys_transport::ErrorBody;
///
/// let body = ErrorBody::decode(br#"{"details":[{"errorCode":"e","fieldName":"f"}]}"#).unwrap();
/// assert_eq!(body.details[0].field_name.as_deref(), Some("f"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ErrorDetail {
    /// The detail's error code.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// The field the detail is about.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub field_name: Option<String>,
    /// The entity the detail is about.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub entity_id: Option<String>,
    /// The name of the entity the detail is about.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub entity_name: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ErrorBody {
    /// Decodes an error body. Fails only when the bytes are not a JSON object.
    ///
    /// ```
    /// use genesys_transport::ErrorBody;
    ///
    /// assert!(ErrorBody::decode(b"<html>oops</html>").is_err());
    /// assert!(ErrorBody::decode(b"[1,2]").is_err());
    /// assert!(ErrorBody::decode(br#"{"status":"not a number"}"#).unwrap().status.is_none());
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The message with `{param}` placeholders filled from
    /// [`message_params`](Self::message_params). Uses `message`, or
    /// `messageWithParams` when there is no `message`.
    ///
    /// ```
    /// use genesys_transport::ErrorBody;
    ///
    /// let body = ErrorBody::decode(br#"{"messageWithParams":"missing {p}","messageParams":{"p":"a:b"}}"#).unwrap();
    /// assert_eq!(body.rendered_message().unwrap(), "missing a:b");
    /// ```
    pub fn rendered_message(&self) -> Option<String> {
        let template = self
            .message
            .as_deref()
            .filter(|m| !m.is_empty())
            .or(self.message_with_params.as_deref())?;
        Some(render_message(template, &self.message_params))
    }
}

/// Fills `{name}` placeholders in a Genesys message from `params`, in one
/// pass: unknown placeholders stay as they are and substituted values are
/// not expanded again.
///
/// ```
/// use std::collections::BTreeMap;
/// use genesys_transport::render_message;
///
/// let params = BTreeMap::from([("perm".to_string(), "a:b:c".to_string())]);
/// assert_eq!(render_message("missing {perm} ({other})", &params), "missing a:b:c ({other})");
/// ```
pub fn render_message(template: &str, params: &BTreeMap<String, String>) -> String {
    if params.is_empty() {
        return template.to_owned();
    }
    // Repeated placeholders with long values could multiply the size; cap it.
    let cap = template.len().max(MAX_RENDERED_BYTES);
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if out.len() > cap {
            break;
        }
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match params.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if out.len() > cap {
        let mut end = cap;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

fn value_to_string(value: serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn lenient_u16<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_params<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter_map(|(k, v)| value_to_string(v).map(|v| (k, v)))
            .collect(),
        _ => BTreeMap::new(),
    })
}

fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

// ---------------------------------------------------------------------------
// ApiError
// ---------------------------------------------------------------------------

/// Why an error body could not be decoded into an [`ErrorBody`].
///
/// ```
/// use genesys_transport::BodyProblem;
///
/// assert_eq!(BodyProblem::Empty.to_string(), "empty body");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyProblem {
    /// The body was empty.
    Empty,
    /// The body is not JSON (e.g. an HTML page from a proxy).
    NotJson {
        /// The `Content-Type` the server sent, if any.
        content_type: Option<String>,
    },
    /// The body looked like JSON but could not be parsed (malformed or cut).
    Malformed {
        /// The parser's message.
        reason: String,
    },
    /// The body was larger than the limit; only a prefix was read.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection broke while the body was being read.
    Incomplete {
        /// What happened.
        reason: String,
    },
}

impl fmt::Display for BodyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty body"),
            Self::NotJson {
                content_type: Some(ct),
            } => write!(f, "non-JSON body ({ct})"),
            Self::NotJson { content_type: None } => f.write_str("non-JSON body"),
            Self::Malformed { reason } => write!(f, "malformed JSON body ({reason})"),
            Self::TooLarge { limit } => write!(f, "body larger than {limit} bytes, not decoded"),
            Self::Incomplete { reason } => write!(f, "body cut short ({reason})"),
        }
    }
}

/// The server answered with a non-success status.
///
/// Built from the status, the headers (`ININ-Correlation-Id`, matched
/// case-insensitively, `Retry-After` and the `inin-ratelimit-*` headers) and
/// a bounded prefix of the body.
/// When the body is a Genesys `ErrorBody`, [`body`](Self::body) holds it;
/// otherwise [`body_problem`](Self::body_problem) says why not and the
/// message quotes a short, sanitized snippet of the raw body.
///
/// ```
/// use genesys_transport::ApiError;
/// use http::{HeaderMap, StatusCode};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("inin-correlation-id", "corr-1".parse().unwrap());
/// let err = ApiError::from_response(
///     StatusCode::FORBIDDEN,
///     &headers,
///     br#"{"status":403,"code":"missing.any.permissions","message":"Need {p}","messageParams":{"p":"a:b"}}"#,
///     1024,
/// );
/// assert_eq!(err.code(), Some("missing.any.permissions"));
/// assert_eq!(err.message(), "Need a:b");
/// assert_eq!(err.correlation_id(), Some("corr-1"));
/// assert!(err.to_string().contains("corr-1"));
/// ```
///
/// A 429 says it was rate limited, how long the server asked to wait and
/// until when (see [`retry_after`](Self::retry_after) and
/// [`retry_at`](Self::retry_at)):
///
/// ```
/// use std::time::Duration;
/// use genesys_transport::ApiError;
/// use http::{HeaderMap, StatusCode};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", "7200".parse().unwrap());
/// let err = ApiError::from_response(StatusCode::TOO_MANY_REQUESTS, &headers, b"{}", 1024);
/// assert!(err.is_rate_limited());
/// assert_eq!(err.retry_after(), Some(Duration::from_secs(7200)));
/// assert!(err.retry_at().is_some());
/// // "HTTP 429: ... (rate limited: the server asked to wait 2 h, until 2026-11-28T10:00:00Z)"
/// assert!(err.to_string().contains("rate limited: the server asked to wait 2 h, until "));
/// ```
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    correlation_id: Option<String>,
    retry_after: Option<Duration>,
    received_at: SystemTime,
    rate_limit: Option<RateLimitStatus>,
    body: Option<ErrorBody>,
    problem: Option<BodyProblem>,
    raw: Bytes,
    message: String,
}

impl ApiError {
    /// Builds an error from a response received just now (the system clock
    /// is the reference for [`retry_at`](Self::retry_at) and for a
    /// `Retry-After` date). At most `max_body_bytes` of `body` are looked at;
    /// the rest is ignored.
    pub fn from_response(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        max_body_bytes: usize,
    ) -> Self {
        Self::from_response_with(
            status,
            headers,
            Bytes::copy_from_slice(&body[..body.len().min(max_body_bytes)]),
            body.len() > max_body_bytes,
            &BodyCompleteness::Complete,
            max_body_bytes,
            SystemTime::now(),
        )
    }

    pub(crate) fn from_response_with(
        status: StatusCode,
        headers: &HeaderMap,
        raw: Bytes,
        over_limit: bool,
        completeness: &BodyCompleteness,
        limit: usize,
        received_at: SystemTime,
    ) -> Self {
        let correlation_id = correlation_id(headers);
        let retry_after = headers
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after_at(v, received_at));
        let rate_limit = RateLimitStatus::from_headers(headers, received_at);
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);

        let (body, problem) = if over_limit {
            (None, Some(BodyProblem::TooLarge { limit }))
        } else {
            match completeness {
                BodyCompleteness::Truncated { limit } => {
                    (None, Some(BodyProblem::TooLarge { limit: *limit }))
                }
                BodyCompleteness::Incomplete { reason } => match ErrorBody::decode(&raw) {
                    // A cut connection after a complete JSON document is harmless.
                    Ok(b) => (Some(b), None),
                    Err(_) => (
                        None,
                        Some(BodyProblem::Incomplete {
                            reason: reason.clone(),
                        }),
                    ),
                },
                BodyCompleteness::Complete => decode_body(&raw, content_type),
            }
        };

        let message = build_message(status, body.as_ref(), problem.as_ref(), &raw);
        Self {
            status,
            correlation_id,
            retry_after,
            received_at,
            rate_limit,
            body,
            problem,
            raw,
            message,
        }
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The Genesys error code (e.g. `not.a.user`), when the body had one.
    pub fn code(&self) -> Option<&str> {
        self.body.as_ref().and_then(|b| b.code.as_deref())
    }

    /// The message, with `{param}` placeholders filled from `messageParams`;
    /// for undecodable bodies, a description of the problem and a snippet.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `contextId` from the body.
    pub fn context_id(&self) -> Option<&str> {
        self.body.as_ref().and_then(|b| b.context_id.as_deref())
    }

    /// The `ININ-Correlation-Id` response header.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// How long the server asked to wait before trying again: the
    /// `Retry-After` response header, as whole seconds or an HTTP date (a
    /// date in the past gives zero), counted from
    /// [`received_at`](Self::received_at). `None` when the header was
    /// missing or unreadable.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Until when the server asked to wait:
    /// [`received_at`](Self::received_at) plus
    /// [`retry_after`](Self::retry_after).
    ///
    /// ```
    /// use std::time::Duration;
    /// use genesys_transport::ApiError;
    /// use http::{HeaderMap, StatusCode};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("retry-after", "60".parse().unwrap());
    /// let err = ApiError::from_response(StatusCode::TOO_MANY_REQUESTS, &headers, b"", 1024);
    /// assert_eq!(err.retry_at(), Some(err.received_at() + Duration::from_secs(60)));
    /// ```
    pub fn retry_at(&self) -> Option<SystemTime> {
        self.received_at.checked_add(self.retry_after?)
    }

    /// When the response arrived (its [`ReceivedAt`](crate::ReceivedAt), or
    /// the system clock when it had none).
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// True for `429 Too Many Requests`.
    pub fn is_rate_limited(&self) -> bool {
        self.status == StatusCode::TOO_MANY_REQUESTS
    }

    /// The `inin-ratelimit-*` headers of this response, when it had any.
    pub fn rate_limit(&self) -> Option<&RateLimitStatus> {
        self.rate_limit.as_ref()
    }

    /// What `Display` says about waiting, when there is something to say:
    /// for a 429, `rate limited`, then for any status with a usable
    /// `Retry-After`, how long the server asked to wait and until when (RFC
    /// 3339, UTC), e.g. `rate limited: the server asked to wait 2 h, until
    /// 2026-11-28T10:00:00Z`.
    pub fn retry_notice(&self) -> Option<String> {
        let wait = self.retry_after.map(|wait| {
            let until = self
                .retry_at()
                .map(|at| format!(", until {}", Rfc3339(at)))
                .unwrap_or_default();
            format!("the server asked to wait {}{until}", Human(wait))
        });
        match (self.is_rate_limited(), wait) {
            (true, Some(wait)) => Some(format!("rate limited: {wait}")),
            (true, None) => Some("rate limited".to_owned()),
            (false, wait) => wait,
        }
    }

    /// The decoded error body, when there was one.
    pub fn body(&self) -> Option<&ErrorBody> {
        self.body.as_ref()
    }

    /// Why the body could not be decoded, when it could not.
    pub fn body_problem(&self) -> Option<&BodyProblem> {
        self.problem.as_ref()
    }

    /// The raw body bytes that were read (bounded by the error-body limit).
    pub fn raw_body(&self) -> &Bytes {
        &self.raw
    }

    /// Per-field details from the body.
    pub fn details(&self) -> &[ErrorDetail] {
        self.body
            .as_ref()
            .map(|b| b.details.as_slice())
            .unwrap_or(&[])
    }

    /// Nested errors from the body.
    pub fn errors(&self) -> &[ErrorBody] {
        self.body
            .as_ref()
            .map(|b| b.errors.as_slice())
            .unwrap_or(&[])
    }
}

fn correlation_id(headers: &HeaderMap) -> Option<String> {
    // `HeaderMap` keys are lower-case, so this matches any casing on the wire.
    headers
        .get(CORRELATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn decode_body(
    raw: &[u8],
    content_type: Option<String>,
) -> (Option<ErrorBody>, Option<BodyProblem>) {
    let trimmed = raw.trim_ascii();
    if trimmed.is_empty() {
        return (None, Some(BodyProblem::Empty));
    }
    match ErrorBody::decode(trimmed) {
        Ok(body) => (Some(body), None),
        Err(err) => {
            let looks_json = trimmed.first().is_some_and(|b| *b == b'{' || *b == b'[')
                || content_type
                    .as_deref()
                    .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
            if looks_json {
                (
                    None,
                    Some(BodyProblem::Malformed {
                        reason: err.to_string(),
                    }),
                )
            } else {
                (None, Some(BodyProblem::NotJson { content_type }))
            }
        }
    }
}

fn build_message(
    status: StatusCode,
    body: Option<&ErrorBody>,
    problem: Option<&BodyProblem>,
    raw: &[u8],
) -> String {
    if let Some(message) = body.and_then(ErrorBody::rendered_message)
        && !message.is_empty()
    {
        return message;
    }
    let reason = status.canonical_reason().unwrap_or("unknown status");
    match problem {
        None => format!("{reason} (error body has no message)"),
        Some(BodyProblem::Empty) => format!("{reason} (empty body)"),
        Some(problem) => {
            let snippet = snippet(raw);
            if snippet.is_empty() {
                format!("{reason} ({problem})")
            } else {
                format!("{reason} ({problem}): {snippet}")
            }
        }
    }
}

/// A short, printable prefix of a body: lossy UTF-8, control characters
/// replaced, whitespace collapsed.
fn snippet(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(SNIPPET_CHARS * 4)]);
    let mut out = String::new();
    let mut count = 0;
    let mut last_space = false;
    for ch in text.chars() {
        if count >= SNIPPET_CHARS {
            out.push('…');
            break;
        }
        let ch = if ch.is_whitespace() {
            if last_space {
                continue;
            }
            ' '
        } else if ch.is_control() {
            '�'
        } else {
            ch
        };
        last_space = ch == ' ';
        out.push(ch);
        count += 1;
    }
    out.trim().to_owned()
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status.as_u16())?;
        if let Some(code) = self.code() {
            write!(f, " [{code}]")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(notice) = self.retry_notice() {
            write!(f, " ({notice})")?;
        }
        if let Some(ctx) = self.context_id() {
            write!(f, " (context id {ctx})")?;
        }
        if let Some(corr) = &self.correlation_id {
            write!(f, " (correlation id {corr})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    // The rate-limit tests also check how the error that wraps an
    // `ApiError` reads.
    use crate::error::{Error, ErrorKind, StopReason};
    use http::Method;

    fn api(status: u16, headers: &[(&str, &str)], body: &[u8]) -> ApiError {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        ApiError::from_response(StatusCode::from_u16(status).unwrap(), &map, body, 64 * 1024)
    }

    #[test]
    fn decodes_full_genesys_body() {
        let err = api(
            400,
            &[
                ("ININ-Correlation-Id", "corr-9"),
                ("content-type", "application/json"),
            ],
            br#"{"status":400,"code":"invalid.value","entityId":"e1","entityName":"n",
                "message":"Value [{value}] is not valid for field type [{type}]",
                "messageWithParams":"Value [{value}] is not valid for field type [{type}]",
                "messageParams":{"value":"abc","type":"int"},
                "contextId":"ctx-1",
                "details":[{"errorCode":"bad","fieldName":"f1","extraDetail":1}],
                "errors":[{"code":"inner","message":"inner {x}","messageParams":{"x":"y"}}],
                "limit":{"key":"k","namespace":"ns","value":3},
                "somethingNew":true}"#,
        );
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert_eq!(err.code(), Some("invalid.value"));
        assert_eq!(
            err.message(),
            "Value [abc] is not valid for field type [int]"
        );
        assert_eq!(err.context_id(), Some("ctx-1"));
        assert_eq!(err.correlation_id(), Some("corr-9"));
        assert_eq!(err.details().len(), 1);
        assert_eq!(err.details()[0].field_name.as_deref(), Some("f1"));
        assert!(err.details()[0].extra.contains_key("extraDetail"));
        assert_eq!(
            err.errors()[0].rendered_message().as_deref(),
            Some("inner y")
        );
        let body = err.body().unwrap();
        assert_eq!(body.entity_id.as_deref(), Some("e1"));
        assert!(body.extra.contains_key("limit"));
        assert!(body.extra.contains_key("somethingNew"));
        assert!(err.body_problem().is_none());
        let text = err.to_string();
        assert!(text.contains("HTTP 400"), "{text}");
        assert!(text.contains("[invalid.value]"), "{text}");
        assert!(text.contains("ctx-1") && text.contains("corr-9"), "{text}");
    }

    #[test]
    fn correlation_header_any_case() {
        for name in [
            "ININ-Correlation-Id",
            "inin-correlation-id",
            "Inin-Correlation-Id",
            "ININ-CORRELATION-ID",
        ] {
            let err = api(500, &[(name, "c")], b"");
            assert_eq!(err.correlation_id(), Some("c"), "{name}");
        }
    }

    /// An API error received at a fixed time: 2026-11-28T08:00:00Z.
    fn api_at(status: u16, headers: &[(&str, &str)], body: &'static [u8]) -> ApiError {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        ApiError::from_response_with(
            StatusCode::from_u16(status).unwrap(),
            &map,
            Bytes::from_static(body),
            false,
            &BodyCompleteness::Complete,
            64 * 1024,
            received(),
        )
    }

    fn received() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_852_800)
    }

    const TOO_MANY: &[u8] = br#"{"status":429,"code":"too.many.requests.retry.after","message":"Rate limit exceeded the maximum. Retry the request in [7200] seconds"}"#;

    #[test]
    fn long_rate_limit_says_how_long_and_until_when() {
        let err = api_at(
            429,
            &[("Retry-After", "7200"), ("inin-correlation-id", "c-1")],
            TOO_MANY,
        );
        assert!(err.is_rate_limited());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7200)));
        assert_eq!(err.received_at(), received());
        assert_eq!(err.retry_at(), Some(received() + Duration::from_secs(7200)));
        let notice = err.retry_notice().unwrap();
        assert_eq!(
            notice,
            "rate limited: the server asked to wait 2 h, until 2026-11-28T10:00:00Z"
        );
        let text = err.to_string();
        assert!(
            text.starts_with("HTTP 429 [too.many.requests.retry.after]: Rate limit exceeded"),
            "{text}"
        );
        assert!(text.contains(&format!("({notice})")), "{text}");
        assert!(text.contains("(correlation id c-1)"), "{text}");

        // Through `Error`, with the stop reason the retry loop gives it.
        let stop = StopReason::RetryAfterExceedsBudget {
            retry_after: Duration::from_secs(7200),
            remaining: Duration::from_millis(59_990),
            budget: Duration::from_secs(60),
        };
        let err = Error::new(
            ErrorKind::Api(Box::new(err)),
            1,
            stop,
            Method::GET,
            "/api/v2/users/me".into(),
        );
        assert!(err.is_rate_limited());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7200)));
        assert_eq!(err.retry_at(), Some(received() + Duration::from_secs(7200)));
        let text = err.to_string();
        assert!(text.contains("until 2026-11-28T10:00:00Z"), "{text}");
        assert!(
            text.ends_with("(1 attempt; not retried: the server asked to wait 2 h, more than the 60 s retry budget)"),
            "{text}"
        );
    }

    #[test]
    fn retry_after_as_http_date() {
        let err = api_at(
            429,
            &[("Retry-After", "Sat, 28 Nov 2026 08:30:00 GMT")],
            b"{}",
        );
        assert_eq!(err.retry_after(), Some(Duration::from_secs(1800)));
        assert!(
            err.to_string()
                .contains("wait 30 min, until 2026-11-28T08:30:00Z"),
            "{err}"
        );
        // A date in the past: no wait.
        let err = api_at(
            503,
            &[("Retry-After", "Sat, 28 Nov 2026 07:00:00 GMT")],
            b"{}",
        );
        assert_eq!(err.retry_after(), Some(Duration::ZERO));
        assert_eq!(err.retry_at(), Some(received()));
        assert!(!err.is_rate_limited());
        assert_eq!(
            err.retry_notice().as_deref(),
            Some("the server asked to wait 0 s, until 2026-11-28T08:00:00Z")
        );
        // Garbage: no wait known.
        let err = api_at(
            429,
            &[("Retry-After", "Sat, 28 Nov 2026 08:30:00 CET")],
            b"{}",
        );
        assert_eq!(err.retry_after(), None);
        assert_eq!(err.retry_at(), None);
        assert_eq!(err.retry_notice().as_deref(), Some("rate limited"));
        // Not rate limited and no Retry-After: nothing to say.
        let err = api_at(404, &[], b"{}");
        assert_eq!(err.retry_notice(), None);
        assert!(!err.to_string().contains("wait"), "{err}");
    }

    #[test]
    fn rate_limit_headers_ride_along() {
        let err = api_at(
            429,
            &[
                ("Retry-After", "42"),
                ("inin-ratelimit-allowed", "300"),
                ("inin-ratelimit-count", "300"),
                ("inin-ratelimit-reset", "42"),
            ],
            TOO_MANY,
        );
        let limit = err.rate_limit().unwrap();
        assert_eq!((limit.allowed, limit.count), (Some(300), Some(300)));
        assert_eq!(limit.reset, Some(Duration::from_secs(42)));
        assert_eq!(limit.observed_at, received());
        assert_eq!(limit.remaining(), Some(0));
        assert!(api_at(429, &[], b"{}").rate_limit().is_none());
    }

    #[test]
    fn retry_after_is_read() {
        let err = api(429, &[("Retry-After", "7")], b"{}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        let err = api(429, &[("Retry-After", "soon")], b"{}");
        assert_eq!(err.retry_after(), None);
    }

    #[test]
    fn lenient_types() {
        let err = api(
            400,
            &[],
            br#"{"status":"400","code":12,"message":"n={n} b={b}","messageParams":{"n":5,"b":true,"z":null},
                "details":"nope","errors":[1,{"code":"ok"}]}"#,
        );
        assert_eq!(err.body().unwrap().status, Some(400));
        assert_eq!(err.code(), Some("12"));
        assert_eq!(err.message(), "n=5 b=true");
        assert!(err.details().is_empty());
        assert_eq!(err.errors().len(), 1);
    }

    #[test]
    fn empty_body() {
        let err = api(503, &[], b"");
        assert_eq!(err.body_problem(), Some(&BodyProblem::Empty));
        assert_eq!(err.message(), "Service Unavailable (empty body)");
        let err = api(503, &[], b"  \r\n ");
        assert_eq!(err.body_problem(), Some(&BodyProblem::Empty));
    }

    #[test]
    fn html_body() {
        let err = api(
            502,
            &[("content-type", "text/html")],
            b"<html>\n<body>\x01Bad   gateway</body></html>",
        );
        assert!(
            matches!(err.body_problem(), Some(BodyProblem::NotJson { content_type: Some(ct) }) if ct == "text/html")
        );
        assert!(
            err.message().contains("<html> <body>�Bad gateway"),
            "{}",
            err.message()
        );
        assert!(err.code().is_none());
    }

    #[test]
    fn truncated_json_body() {
        let err = api(
            500,
            &[("content-type", "application/json")],
            br#"{"status":500,"code":"internal.server.er"#,
        );
        assert!(matches!(
            err.body_problem(),
            Some(BodyProblem::Malformed { .. })
        ));
        assert!(
            err.message()
                .starts_with("Internal Server Error (malformed JSON body"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn json_that_is_not_an_object() {
        let err = api(500, &[("content-type", "application/json")], b"[1,2,3]");
        assert!(matches!(
            err.body_problem(),
            Some(BodyProblem::Malformed { .. })
        ));
        let err = api(500, &[], b"\"just a string\"");
        assert!(err.body_problem().is_some());
    }

    #[test]
    fn object_without_message() {
        let err = api(418, &[], br#"{"code":"teapot"}"#);
        assert_eq!(err.code(), Some("teapot"));
        assert_eq!(err.message(), "I'm a teapot (error body has no message)");
    }

    #[test]
    fn oversized_body_is_not_decoded() {
        let body = vec![b'a'; 100];
        let err = ApiError::from_response(StatusCode::BAD_GATEWAY, &HeaderMap::new(), &body, 10);
        assert_eq!(
            err.body_problem(),
            Some(&BodyProblem::TooLarge { limit: 10 })
        );
        assert_eq!(err.raw_body().len(), 10);
    }

    #[test]
    fn snippet_is_bounded() {
        let body = "x".repeat(10_000);
        let err = api(500, &[("content-type", "text/plain")], body.as_bytes());
        assert!(
            err.message().chars().count() < SNIPPET_CHARS + 60,
            "{}",
            err.message().len()
        );
        assert!(err.message().ends_with('…'));
    }

    #[test]
    fn render_edge_cases() {
        let p = BTreeMap::from([
            ("a".to_string(), "{b}".to_string()),
            ("b".to_string(), "B".to_string()),
        ]);
        assert_eq!(render_message("{a}{b}{", &p), "{b}B{");
        assert_eq!(render_message("}{}{c}", &p), "}{}{c}");
        assert_eq!(render_message("é{a}ü", &p), "é{b}ü");
        assert_eq!(render_message("no params", &BTreeMap::new()), "no params");
    }

    #[test]
    fn rendering_cannot_blow_up() {
        let template = "{a}".repeat(20_000);
        let params = BTreeMap::from([("a".to_string(), "x".repeat(60_000))]);
        let out = render_message(&template, &params);
        assert!(
            out.len() <= template.len().max(MAX_RENDERED_BYTES) + 3,
            "{}",
            out.len()
        );
        assert!(out.ends_with('…'));
    }

    #[test]
    fn deep_nesting_does_not_panic() {
        let mut s = String::new();
        for _ in 0..10_000 {
            s.push_str(r#"{"errors":["#);
        }
        let err = api(400, &[], s.as_bytes());
        assert!(err.body_problem().is_some());
    }
}
