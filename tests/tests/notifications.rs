//! Notification events: every real-shaped event fixture decodes as its
//! topic's type and loses nothing; every topic pattern round-trips from its
//! builder through matching; EventBridge envelopes give the same events.

use genesys_integration_tests::{covers, shared_dir};
use genesys_model::notifications::{
    BUILDER_TABLE, Event, EventBridgeEvent, Notification, NotificationKind, TopicPattern,
    match_topic, topics,
};
use genesys_model::{
    ConversationCallEventTopicCallConversation, CustomerEndDetailEventTopicCustomerEndEvent,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const USER: &str = "278522be-1683-4877-8257-4164a177be89";

/// (file, definition, topic pattern) of every notification fixture.
fn event_fixtures() -> Vec<(String, String, String)> {
    let dir = shared_dir().join("fixtures/payloads");
    let index = std::fs::read_to_string(dir.join("index.tsv")).expect("fixtures index");
    index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let pattern = cols
                .get(2)?
                .strip_prefix("notification ")?
                .split(' ')
                .next()?;
            Some((cols[0].to_owned(), cols[1].to_owned(), pattern.to_owned()))
        })
        .collect()
}

fn fixture(file: &str) -> Value {
    let text = std::fs::read_to_string(shared_dir().join("fixtures/payloads").join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn name_for(pattern: &str) -> String {
    pattern.replace("{id}", USER)
}

#[test]
fn every_event_fixture_decodes_as_its_topics_type_and_keeps_every_field() {
    let fixtures = event_fixtures();
    assert!(fixtures.len() >= 5, "{fixtures:?}");
    for (file, definition, pattern) in fixtures {
        let body = fixture(&file);
        let envelope = json!({
            "topicName": name_for(&pattern), "version": "2", "eventBody": body,
            "metadata": {"CorrelationId": "5d2f0a1e"}
        });
        let notification: Notification = serde_json::from_value(envelope.clone()).unwrap();
        let found = notification.pattern().unwrap();
        assert_eq!(found.pattern, pattern, "{file}");
        assert_eq!(found.definition, definition, "{file}");
        assert!(
            !matches!(notification.event, Event::Untyped(_)),
            "{file}: {:?}",
            notification.event
        );
        assert_eq!(notification.event.pattern(), Some(found), "{file}");
        let encoded = serde_json::to_value(&notification).unwrap();
        covers(&envelope, &encoded, &file).unwrap();
        covers(&encoded, &envelope, &file).unwrap();
    }
}

#[test]
fn fields_the_spec_does_not_model_survive_in_the_typed_body() {
    // 038's participants carry `additionalProperties: {}` objects.
    let body = fixture("038-ConversationEventTopicConversation.json");
    let text = json!({"topicName": name_for("v2.users.{id}.conversations"), "eventBody": body})
        .to_string();
    let n = Notification::from_json(&text).unwrap();
    let Event::UsersConversations(conversation) = &n.event else {
        panic!("{:?}", n.event)
    };
    let participants = conversation.participants.as_ref().unwrap();
    assert!(!participants.is_empty());
    let reencoded = serde_json::to_value(&n).unwrap();
    covers(&body, &reencoded["eventBody"], "038").unwrap();
}

#[test]
fn an_eventbridge_event_carries_the_same_event_as_the_bare_body() {
    let body = fixture("024-CustomerEndDetailEventTopicCustomerEndEvent.json");
    let bare: CustomerEndDetailEventTopicCustomerEndEvent =
        serde_json::from_value(body.clone()).unwrap();
    let pattern = "v2.detail.events.conversation.{id}.customer.end";
    let bridge = json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": pattern, "source": "aws.partner/genesys.com/cloud/0a1b/events",
        "account": "123456789012", "time": "2022-11-08T17:02:12Z", "region": "us-east-1",
        "resources": [], "replay-name": "kept",
        "detail": {"topicName": name_for(pattern), "version": "2", "eventBody": body,
                   "metadata": {"CorrelationId": "e7c1"}}
    });
    let event = EventBridgeEvent::from_json(&bridge.to_string()).unwrap();
    assert_eq!(event.detail_type.as_deref(), Some(pattern));
    assert_eq!(
        event.id.as_deref(),
        Some("6a7e8feb-b491-4cf7-a9f1-bf3703467718")
    );
    assert_eq!(event.time.unwrap().0.unix_timestamp(), 1_667_926_932);
    let typed: &CustomerEndDetailEventTopicCustomerEndEvent = event.detail.event_as().unwrap();
    assert_eq!(typed, &bare);
    assert_eq!(
        event.detail.topic().unwrap().parameter("conversation_id"),
        Some(USER)
    );
    let encoded = serde_json::to_value(&event).unwrap();
    covers(&bridge, &encoded, "eventbridge").unwrap();
    assert!(
        EventBridgeEvent::from_json(r#"{"id":"x"}"#).is_err(),
        "no detail"
    );
}

#[test]
fn a_call_event_is_typed_by_the_builder_it_was_subscribed_with() {
    let topic = topics::users_conversations_calls(USER);
    let text = json!({
        "topicName": topic.name(), "version": "2",
        "eventBody": {"id": "c1", "participants": [{"id": "p1", "state": "alerting", "newThing": {"x": 1}}],
                      "eventTime": 1649237444949u64}
    })
    .to_string();
    let n = Notification::from_json(&text).unwrap();
    assert_eq!(n.kind(), NotificationKind::Event);
    let call: &ConversationCallEventTopicCallConversation = n.event_as().unwrap();
    let participant = &call.participants.as_ref().unwrap()[0];
    assert_eq!(participant.state.as_ref().unwrap().to_string(), "alerting");
    assert_eq!(participant.unknown_fields["newThing"]["x"], 1);
    // The queue topic's body is the same type under another name.
    let queue = topics::routing_queues_conversations_calls("q1");
    assert_eq!(
        queue.pattern().event_type,
        "QueueConversationCallEventTopicCallConversation"
    );
    let text = text.replace(topic.name(), queue.name());
    let n = Notification::from_json(&text).unwrap();
    assert!(
        n.event_as::<ConversationCallEventTopicCallConversation>()
            .is_some()
    );
}

#[test]
fn every_pattern_has_a_builder_in_a_full_build() {
    assert_eq!(BUILDER_TABLE.len(), TopicPattern::all().len());
    assert!(TopicPattern::all().iter().all(|t| t.enabled));
}

fn plain_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,40}"
}

/// Ids with dots whose parts cannot be mistaken for a topic's words.
fn dotted_id() -> impl Strategy<Value = String> {
    "[0-9][0-9a-f]{0,7}(\\.[0-9][0-9a-f]{0,7}){1,3}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn builder_name_and_match_agree_for_every_pattern(ids in proptest::collection::vec(plain_id(), 3)) {
        for &(index, build) in BUILDER_TABLE {
            let pattern = &TopicPattern::all()[index];
            let ids: Vec<&str> = ids[..pattern.parameters.len()].iter().map(String::as_str).collect();
            let name = build(&ids);
            let m = match_topic(&name).unwrap();
            prop_assert_eq!(m.index(), index, "{} read as {}", name, m.pattern().pattern);
            prop_assert_eq!(m.values().collect::<Vec<_>>(), ids.clone());
            for (param, id) in pattern.parameters.iter().zip(&ids) {
                prop_assert_eq!(m.parameter(param), Some(*id));
            }
        }
    }

    #[test]
    fn a_dotted_id_round_trips_where_it_is_the_only_parameter(id in dotted_id()) {
        for &(index, build) in BUILDER_TABLE {
            let pattern = &TopicPattern::all()[index];
            if pattern.parameters.len() != 1 {
                continue;
            }
            let name = build(&[id.as_str()]);
            let m = match_topic(&name).unwrap();
            prop_assert_eq!(m.index(), index, "{} read as {}", name, m.pattern().pattern);
            prop_assert_eq!(m.values().collect::<Vec<_>>(), vec![id.as_str()]);
        }
    }

    #[test]
    fn unknown_event_fields_and_topics_never_fail_and_re_encode_unchanged(
        key in "[a-z]{1,12}", value in any::<i64>(), family in "[a-z]{3,10}",
    ) {
        let body = json!({"id": "c1", format!("zz{key}"): value, "participants": []});
        for name in [name_for("v2.users.{id}.conversations.calls"), format!("v2.zz{family}.{USER}.things")] {
            let envelope = json!({"topicName": name, "version": "2", "eventBody": body, "zz": [key.clone()]});
            let n: Notification = serde_json::from_value(envelope.clone()).unwrap();
            prop_assert_eq!(serde_json::to_value(&n).unwrap(), envelope);
        }
    }
}
