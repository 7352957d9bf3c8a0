//! The baseline: a bare hyper client sending the create-call request.
//!
//! It is the physical limit of this machine and emulator: a pooled
//! hyper-util client over plain TCP (no TLS, `TCP_NODELAY` as the SDK sets
//! it), the SDK's own header fields and body bytes (captured from the SDK
//! once, see `sdk::capture_create_call`) prepared once and reused, the
//! response body read into memory and its status checked, but not decoded. Whatever the SDK
//! spends on top of this (token cache, preflight, serialising, retries,
//! decoding) shows up as the SDK/raw ratio.

use anyhow::{Context, bail};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A bare hyper client bound to one create-call request.
#[derive(Clone)]
pub struct RawCaller {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: http::Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// The header fields of a minimal create-call request with `token`, for
/// when the SDK's own request is not available to copy (built without the
/// `sdk` feature).
#[cfg(not(feature = "sdk"))]
pub fn minimal_headers(token: &str) -> anyhow::Result<Vec<(HeaderName, HeaderValue)>> {
    Ok(vec![
        (
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        ),
        (
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        ),
    ])
}

impl RawCaller {
    /// A client that posts `body` with these header fields to
    /// `{base_url}/api/v2/conversations/calls/user/{user_id}`.
    pub fn new(
        base_url: &str,
        user_id: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
    ) -> anyhow::Result<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let uri = format!("{base_url}/api/v2/conversations/calls/user/{user_id}")
            .parse()
            .context("create-call URI")?;
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(name.clone(), value.clone());
        }
        Ok(Self {
            client,
            uri,
            headers: map,
            body,
        })
    }

    /// Sends one create-call request; fails unless the answer is 200.
    /// Returns the number of response body bytes.
    pub async fn call(&self) -> anyhow::Result<usize> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        let response = self.client.request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status != http::StatusCode::OK {
            bail!(
                "raw create-call answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(body.len())
    }
}
