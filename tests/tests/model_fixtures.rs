//! Every real-shaped payload in ../shared/fixtures/payloads whose definition
//! is in the spec decodes as that definition and re-encodes every field it had.

use std::collections::BTreeMap;

use genesys_integration_tests::{covers, shared_dir, spec};
use genesys_model::Model;
use serde_json::Value;

type RoundTrip = fn(&Value) -> Result<Value, String>;

fn round_trip<T: Model>(doc: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(doc.clone())
        .map_err(|e| format!("does not decode as {}: {e}", T::DEFINITION))?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

fn checks() -> BTreeMap<&'static str, RoundTrip> {
    use genesys_model::*;
    let mut m: BTreeMap<&'static str, RoundTrip> = BTreeMap::new();
    m.insert(
        "AnalyticsConversationQueryResponse",
        round_trip::<AnalyticsConversationQueryResponse>,
    );
    m.insert(
        "AnalyticsConversationWithoutAttributes",
        round_trip::<AnalyticsConversationWithoutAttributes>,
    );
    m.insert("Channel", round_trip::<Channel>);
    m.insert(
        "ConversationAggregateQueryResponse",
        round_trip::<ConversationAggregateQueryResponse>,
    );
    m.insert("ConversationQuery", round_trip::<ConversationQuery>);
    m.insert("CreateCallbackCommand", round_trip::<CreateCallbackCommand>);
    m.insert("CreateEmailRequest", round_trip::<CreateEmailRequest>);
    m.insert(
        "CreateOutboundMessagingConversationResponse",
        round_trip::<CreateOutboundMessagingConversationResponse>,
    );
    m.insert("CreateTriggerRequest", round_trip::<CreateTriggerRequest>);
    m.insert("EmailConversation", round_trip::<EmailConversation>);
    m.insert("ErrorBody", round_trip::<ErrorBody>);
    m.insert("Flow", round_trip::<Flow>);
    m.insert("Response", round_trip::<Response>);
    m.insert(
        "SendAgentlessOutboundMessageRequest",
        round_trip::<SendAgentlessOutboundMessageRequest>,
    );
    m.insert("UcUserPresence", round_trip::<UcUserPresence>);
    m.insert("UsageExecutionResult", round_trip::<UsageExecutionResult>);
    m.insert("UserAggregationQuery", round_trip::<UserAggregationQuery>);
    m
}

#[test]
fn every_fixture_in_the_spec_decodes_and_keeps_every_field() {
    let dir = shared_dir().join("fixtures/payloads");
    let index = std::fs::read_to_string(dir.join("index.tsv")).expect("fixtures index");
    let checks = checks();
    let definitions = spec()["definitions"].as_object().unwrap();
    let (mut checked, mut failures) = (0, Vec::new());
    for line in index.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut cols = line.split('\t');
        let (file, definition) = (cols.next().unwrap(), cols.next().unwrap());
        if !definitions.contains_key(definition) {
            continue; // event bodies: checked by tests/notifications.rs
        }
        let check = checks.get(definition).unwrap_or_else(|| {
            panic!("{file}: add a check for {definition} (and its tag feature)")
        });
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        match check(&doc).and_then(|encoded| covers(&doc, &encoded, file)) {
            Ok(()) => checked += 1,
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 15, "only {checked} fixtures were checked");
}
