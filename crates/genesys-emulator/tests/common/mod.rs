//! A plain hyper client for the emulator's integration tests.
#![allow(dead_code)]

use base64::Engine as _;
use bytes::Bytes;
use genesys_model::ErrorBody;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

pub use genesys_emulator::seed;

/// A response read to the end.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn error(&self) -> ErrorBody {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not an ErrorBody ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a Genesys error with this status and code, and that the
    /// correlation header matches the body's contextId.
    pub fn assert_error(&self, status: u16, code: &str) -> ErrorBody {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let e = self.error();
        assert_eq!(e.code.as_deref(), Some(code), "{e:?}");
        assert_eq!(e.status, Some(i32::from(status)));
        let correlation = self
            .header("inin-correlation-id")
            .expect("correlation header");
        assert_eq!(e.context_id.as_deref(), Some(correlation));
        e
    }

    /// Asserts an OAuth error with this status and `error`.
    pub fn assert_oauth_error(&self, status: u16, error: &str) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let body = self.json();
        assert_eq!(body["error"], error, "{body}");
        assert!(body["error_description"].is_string(), "{body}");
    }
}

/// A hyper-util legacy client bound to one base URL.
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Http {
    pub fn new(base: &str) -> Self {
        let client = Client::builder(TokioExecutor::new())
            .retry_canceled_requests(false)
            .build_http();
        Http {
            client,
            base: base.to_owned(),
        }
    }

    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Resp, String> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(Full::new(body.into()))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("body: {e:?}"))?
            .to_bytes();
        Ok(Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Resp {
        self.try_send(method, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.send(Method::GET, path, &[("authorization", &auth)], Bytes::new())
            .await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.send(
            Method::POST,
            path,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.to_owned(),
        )
        .await
    }

    /// `POST /oauth/token` with a form and optional HTTP Basic client auth.
    pub async fn token(&self, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> Resp {
        let body = form_body(form);
        let auth = basic.map(|(id, secret)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
            )
        });
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(auth) = &auth {
            headers.push(("authorization", auth));
        }
        self.send(Method::POST, "/oauth/token", &headers, body)
            .await
    }

    /// Client-credentials login with the default client.
    pub async fn cc_token(&self) -> String {
        let r = self
            .token(
                Some((seed::DEFAULT_CLIENT_ID, seed::DEFAULT_CLIENT_SECRET)),
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }
}

pub fn form_body(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub const CALLS: &str = "/api/v2/conversations/calls";

pub fn on_behalf(user_id: &str) -> String {
    format!("/api/v2/conversations/calls/user/{user_id}")
}

pub const PHONE_BODY: &str = r#"{"phoneNumber":"+15550123"}"#;
