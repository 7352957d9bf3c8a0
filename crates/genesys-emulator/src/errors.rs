//! Genesys error bodies (`ErrorBody`) for API responses.

use std::collections::BTreeMap;

use genesys_model::{Detail, ErrorBody};
use http::header::RETRY_AFTER;
use http::{Response, StatusCode};

use crate::http::{EmuBody, json, set_header};

pub(crate) const MSG_BAD_REQUEST: &str =
    "The request could not be understood by the server due to malformed syntax.";
pub(crate) const MSG_AUTH_REQUIRED: &str =
    "No authentication bearer token specified in authorization header.";
pub(crate) const MSG_BAD_CREDENTIALS: &str = "Invalid login credentials.";
pub(crate) const MSG_NOT_FOUND: &str = "The requested resource was not found.";
pub(crate) const MSG_NOT_A_USER: &str = "This request requires a user context. Client credentials cannot be used for requests to this resource.";
pub(crate) const MSG_NO_STATION: &str = "A station is required to place a call.";
pub(crate) const MSG_TOO_MANY_PARAMETERS: &str =
    "Only a single destination can be supplied in a create conversation request.";
pub(crate) const MSG_UNSUPPORTED_MEDIA_TYPE: &str = "Unsupported Media Type - Unsupported or incorrect media type, such as an incorrect Content-Type value in the header.";
pub(crate) const MSG_NOT_AUTHORIZED: &str =
    "You are not authorized to perform the requested action.";
pub(crate) const MSG_INTERNAL: &str = "The server encountered an unexpected condition which prevented it from fulfilling the request.";
pub(crate) const MSG_UNAVAILABLE: &str = "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).";
pub(crate) const MSG_TIMEOUT: &str = "The request timed out.";

/// A Genesys API error about to be sent.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) message_with_params: Option<String>,
    pub(crate) message_params: BTreeMap<String, String>,
    pub(crate) details: Vec<Detail>,
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            message_with_params: None,
            message_params: BTreeMap::new(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub(crate) fn authentication_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            MSG_AUTH_REQUIRED,
        )
    }

    pub(crate) fn bad_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "bad.credentials",
            MSG_BAD_CREDENTIALS,
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not.found", MSG_NOT_FOUND)
    }

    pub(crate) fn not_a_user() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "not.a.user", MSG_NOT_A_USER)
    }

    pub(crate) fn no_station() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "conversation.error.no.user.station",
            MSG_NO_STATION,
        )
    }

    pub(crate) fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported.media.type",
            MSG_UNSUPPORTED_MEDIA_TYPE,
        )
    }

    pub(crate) fn bad_request(message: impl Into<String>, details: Vec<Detail>) -> Self {
        ApiError {
            details,
            ..Self::new(StatusCode::BAD_REQUEST, "bad.request", message)
        }
    }

    pub(crate) fn payload_too_large(max: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.entity.too.large",
            format!("The request body exceeds the maximum of {max} bytes."),
        )
    }

    /// 403 `missing.any.permissions` / `missing.permissions`.
    pub(crate) fn missing_permissions(any: bool, permissions: &[&str]) -> Self {
        let list = format!("[{}]", permissions.join(", "));
        let (code, template) = if any {
            (
                "missing.any.permissions",
                "Unable to perform the requested action. You must have at least one of the following permissions assigned: ",
            )
        } else {
            (
                "missing.permissions",
                "Unable to perform the requested action. You are missing the following permission(s): ",
            )
        };
        let mut params = BTreeMap::new();
        params.insert("permissions".to_owned(), list.clone());
        ApiError {
            message_with_params: Some(format!("{template}{{permissions}}")),
            message_params: params,
            ..Self::new(StatusCode::FORBIDDEN, code, format!("{template}{list}"))
        }
    }

    /// 429 `too.many.requests` from the configured rate limit.
    pub(crate) fn too_many_requests(
        limit: u32,
        window_secs: u64,
        retry_after: Option<u64>,
    ) -> Self {
        let mut params = BTreeMap::new();
        params.insert("limit".to_owned(), limit.to_string());
        params.insert("window".to_owned(), window_secs.to_string());
        ApiError {
            message_with_params: Some(
                "Rate limit exceeded the maximum [{limit}] requests within [{window}] seconds"
                    .to_owned(),
            ),
            message_params: params,
            retry_after,
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too.many.requests",
                format!(
                    "Rate limit exceeded the maximum [{limit}] requests within [{window_secs}] seconds"
                ),
            )
        }
    }

    /// The error an injected `Fault::Status` answers with.
    pub(crate) fn for_status(status: u16) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (code, message) = match status.as_u16() {
            400 => ("bad.request", MSG_BAD_REQUEST),
            401 => ("bad.credentials", MSG_BAD_CREDENTIALS),
            403 => ("not.authorized", MSG_NOT_AUTHORIZED),
            404 => ("not.found", MSG_NOT_FOUND),
            415 => ("unsupported.media.type", MSG_UNSUPPORTED_MEDIA_TYPE),
            429 => ("too.many.requests", "Rate limit exceeded"),
            502 => (
                "bad.gateway",
                "The server received an invalid response from an upstream server.",
            ),
            503 => ("service.unavailable", MSG_UNAVAILABLE),
            504 => ("request.timeout", MSG_TIMEOUT),
            _ => ("internal.server.error", MSG_INTERNAL),
        };
        Self::new(status, code, message)
    }

    /// The `ErrorBody` model of this error.
    pub(crate) fn body(&self, context_id: &str) -> ErrorBody {
        ErrorBody {
            message: Some(self.message.clone()),
            code: Some(self.code.clone()),
            status: Some(i32::from(self.status.as_u16())),
            message_with_params: self.message_with_params.clone(),
            message_params: Some(self.message_params.clone()),
            context_id: Some(context_id.to_owned()),
            details: Some(self.details.clone()),
            errors: Some(Vec::new()),
            ..Default::default()
        }
    }

    pub(crate) fn into_response(self, context_id: &str) -> Response<EmuBody> {
        let mut response = json(self.status, &self.body(context_id));
        if let Some(secs) = self.retry_after {
            set_header(&mut response, RETRY_AFTER, &secs.to_string());
        }
        response
    }
}

/// A `Detail` naming the offending field.
pub(crate) fn field_detail(error_code: &str, field: Option<String>) -> Detail {
    Detail {
        error_code: Some(error_code.to_owned()),
        field_name: field,
        ..Default::default()
    }
}
