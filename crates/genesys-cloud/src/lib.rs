//! Rust SDK for the Genesys Cloud Platform API.
//!
//! This crate will hold the `Client` users call: it composes the generated
//! model and operation catalogue (`genesys-model`), a token source
//! (`genesys-auth`) and the HTTP transport (`genesys-transport`), checks each
//! request against the catalogue before sending it (for example, refusing to
//! place a call with `postConversationsCalls` on a client-credentials token
//! and naming `postConversationsCallsUserUserId` instead), and turns every
//! Genesys error body into one error type that says what to do.
#![forbid(unsafe_code)]
