//! Workspace-level integration tests for genesys-cloud-rs; the tests live in
//! `tests/tests/*.rs` and exercise the crates together.
#![forbid(unsafe_code)]
