//! HTTP transport for the Genesys Cloud Platform API.
//!
//! This crate will hold the `HttpClient` trait that sends one request and
//! returns status, headers and body, its default implementation on hyper 1.x
//! with hyper-rustls, the region table of base URLs, timeouts, the retry
//! policy (429 with `Retry-After`, 5xx and connection failures, never
//! re-sending a POST that may have reached the server), and the typed
//! `ApiError` built from a Genesys error body. It knows nothing about OAuth
//! grants or generated operations.
#![forbid(unsafe_code)]
