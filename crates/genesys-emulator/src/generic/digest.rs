//! The embedded spec digest (`src/generated/spec.json`, written by
//! `cargo xtask codegen`): definitions and each operation's body and success
//! responses, read once per process.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The digest's text, generated from the Genesys spec.
const DIGEST: &str = include_str!("../generated/spec.json");

/// What the emulator knows of the spec beyond the operation catalogue.
#[derive(Debug, Deserialize)]
pub(crate) struct Digest {
    /// Definition name → schema (only the keywords the emulator uses).
    pub(crate) definitions: Map<String, Value>,
    /// `operationId` → body and success responses.
    pub(crate) operations: HashMap<String, OperationDigest>,
}

/// One operation's body and documented success answers.
#[derive(Debug, Deserialize)]
pub(crate) struct OperationDigest {
    /// The body's schema, when the operation takes one.
    #[serde(default)]
    pub(crate) body: Option<Value>,
    /// Success status (`"200"`, `"204"`, ...) → its schema (`null` when the
    /// answer has no body), lowest status first.
    #[serde(default)]
    pub(crate) responses: Map<String, Value>,
}

impl OperationDigest {
    /// The documented success answer: its status and schema. The first 2xx
    /// the spec lists; `200` without a schema when it lists none.
    pub(crate) fn success(&self) -> (u16, Option<&Value>) {
        self.responses
            .iter()
            .find_map(|(status, schema)| {
                let status = status.parse::<u16>().ok()?;
                Some((status, (!schema.is_null()).then_some(schema)))
            })
            .unwrap_or((200, None))
    }

    /// The schema of the first success answer that has one.
    pub(crate) fn response_schema(&self) -> Option<&Value> {
        self.responses.values().find(|s| !s.is_null())
    }
}

/// The digest, parsed on first use.
pub(crate) fn digest() -> &'static Digest {
    static PARSED: OnceLock<Digest> = OnceLock::new();
    PARSED.get_or_init(|| {
        // The digest is generated and checked in CI (`cargo xtask codegen --check`),
        // so a parse failure is a build defect, not bad input.
        serde_json::from_str(DIGEST).expect("the generated spec digest is valid JSON")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_covers_every_catalogue_operation() {
        let digest = digest();
        let missing: Vec<&str> = genesys_model::catalogue::operations()
            .iter()
            .map(|op| op.id)
            .filter(|id| !digest.operations.contains_key(*id))
            .collect();
        assert!(missing.is_empty(), "not in the digest: {missing:?}");
        assert!(digest.definitions.contains_key("Queue"));
    }

    #[test]
    fn success_is_the_first_documented_2xx() {
        let op = &digest().operations["postRoutingQueues"];
        let (status, schema) = op.success();
        assert_eq!(status, 200);
        assert_eq!(schema.unwrap()["$ref"], "Queue");
        let op = &digest().operations["deleteRoutingQueue"];
        assert_eq!(op.success().1, None);
    }
}
