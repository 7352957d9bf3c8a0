//! Pluggable authentication for the Genesys Cloud Platform API.
//!
//! This crate will hold the `TokenSource` trait that every way of obtaining an
//! access token implements, the `AccessToken` type (its secret kept in a
//! `secrecy` type, its expiry, scopes and principal), and the built-in OAuth
//! grants Genesys Cloud supports: client credentials, authorization code,
//! PKCE, refresh token, SAML2 bearer and static tokens, behind a single-flight
//! cache that refreshes ahead of expiry. Its core stays light (no hyper, no
//! rustls without the default feature) so other projects can depend on it to
//! write their own token sources.
#![forbid(unsafe_code)]
