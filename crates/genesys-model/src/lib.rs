//! Typed models and the operation catalogue of the Genesys Cloud Platform API v2.
//!
//! Everything here is generated from the API's Swagger 2.0 document by
//! `cargo xtask codegen` (see `docs/architecture.md`), except the small
//! hand-written runtime it builds on. The crate is transport-agnostic: it
//! depends on serde, serde_json and time only; nothing async, nothing HTTP.
//!
//! * Models: one struct per spec definition, re-exported at the crate root
//!   (e.g. [`ErrorBody`]); one open enum per string-enum property. How they
//!   decode and encode, and why every property is an `Option`, is in
//!   [`model`].
//! * [`catalogue`]: per operation, method, path, parameters, permissions,
//!   OAuth scopes, documented error codes and whether a user context is
//!   required.
//! * [`notifications`]: the notification service's event bodies (generated
//!   from its own document, each gated by its topic family's feature), the
//!   topic catalogue, typed topic builders, and decoding of WebSocket and
//!   EventBridge messages.
//! * [`DateTime`], [`Date`], [`LocalDateTime`]: date fields that decode every
//!   form Genesys sends.
//!
//! # Features: compile only what you use
//!
//! The spec has thousands of definitions. Each spec tag is a cargo feature
//! (`conversations`, `users`, `tokens`, `routing`, ... — the tag name in
//! lower case with `-` for spaces) that enables exactly the models reachable
//! from that tag's operations; `full` enables every tag plus the definitions
//! no operation references. The few types every tag needs (the error body)
//! are always compiled, as is the catalogue.
//!
//! No tag is on by default: a plain build stays small and cheap, and the
//! `genesys-cloud` facade (or you) turns on the tags a program actually
//! calls, e.g.
//!
//! ```toml
//! genesys-model = { version = "0.1", features = ["conversations"] }
//! ```
#![forbid(unsafe_code)]

pub mod catalogue;
mod datetime;
pub mod model;
pub mod notifications;
mod null_spy;
pub mod nulls;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[rustfmt::skip]
mod generated;

pub use datetime::{Date, DateTime, LocalDateTime, ParseDateTimeError};
pub use generated::models::*;
pub use model::{Model, OpenEnum, UnknownFields};
pub use nulls::{ExplicitNulls, Field};
