//! A local Genesys Cloud emulator.
//!
//! This crate will hold a hyper server that stands in for the parts of
//! Genesys Cloud this SDK exercises, on `127.0.0.1`: the OAuth token endpoint
//! with every grant the SDK supports, users, the call-creation endpoints with
//! Genesys's own error codes (`not.a.user`, `missing.any.permissions`, ...),
//! rate limiting, scriptable fault injection and per-route counters, so tests,
//! examples and benchmarks run without reaching the internet.
#![forbid(unsafe_code)]
