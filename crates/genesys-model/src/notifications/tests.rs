//! The catalogue, matching and envelope decoding, with whatever topic
//! features this build has (none by default: that is the case where typing
//! must degrade to untyped, never to an error).

use super::*;

/// A name for `pattern` with `ids` in place of its `{id}`s.
fn instantiate(pattern: &str, ids: &[&str]) -> String {
    let mut ids = ids.iter();
    pattern
        .split('.')
        .map(|s| if s == "{id}" { *ids.next().unwrap() } else { s })
        .collect::<Vec<_>>()
        .join(".")
}

#[test]
fn the_catalogue_is_sorted_unique_and_names_every_parameter() {
    let all = TopicPattern::all();
    assert_eq!(all.len(), 242);
    assert!(all.windows(2).all(|w| w[0].pattern < w[1].pattern));
    for (i, t) in all.iter().enumerate() {
        assert_eq!(t.index(), i);
        assert_eq!(TopicPattern::find(t.pattern), Some(t));
        let placeholders = t.pattern.split('.').filter(|s| *s == "{id}").count();
        assert_eq!(t.parameters.len(), placeholders, "{}", t.pattern);
        let mut names = t.parameters.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), placeholders, "distinct names in {}", t.pattern);
        assert_eq!(
            t.requires_subscription,
            !t.pattern.starts_with("v2.system.")
        );
        assert_eq!(t.feature.is_none(), t.pattern.starts_with("v2.system."));
    }
}

#[test]
fn every_pattern_matches_itself_with_its_parameters_and_agrees_with_a_linear_scan() {
    let ids = ["1f0c2b7e-5d11-4d8e-9a53-8f6c2e1a0d4b", "USER", "x_y-z"];
    for (i, t) in TopicPattern::all().iter().enumerate() {
        let name = instantiate(t.pattern, &ids[..t.parameters.len()]);
        let m = match_topic(&name).unwrap_or_else(|| panic!("{name} matched nothing"));
        assert_eq!(m.index(), i, "{name} matched {}", m.pattern().pattern);
        assert_eq!(m.values().collect::<Vec<_>>(), ids[..t.parameters.len()]);
        for (param, value) in t.parameters.iter().zip(ids) {
            assert_eq!(m.parameter(param), Some(value));
        }
        assert_eq!(match_topic_linear(&name), Some(i), "{name}");
    }
}

#[test]
fn literal_segments_win_over_ids() {
    // `v2.system.{id}.{id}` would also fit.
    let m = match_topic("v2.system.token_revoked.abc").unwrap();
    assert_eq!(m.pattern().pattern, "v2.system.token_revoked.{id}");
    let m = match_topic("v2.system.other.abc").unwrap();
    assert_eq!(m.pattern().pattern, "v2.system.{id}.{id}");
    // `v2.flows.{id}` vs `v2.flows.outcomes.{id}`.
    assert_eq!(
        match_topic("v2.flows.outcomes.9")
            .unwrap()
            .pattern()
            .pattern,
        "v2.flows.outcomes.{id}"
    );
    assert_eq!(
        match_topic("v2.flows.9").unwrap().pattern().pattern,
        "v2.flows.{id}"
    );
}

#[test]
fn an_id_with_dots_is_one_parameter_when_only_that_reading_fits() {
    let m = match_topic("v2.users.first.last.conversations.calls").unwrap();
    assert_eq!(m.pattern().pattern, "v2.users.{id}.conversations.calls");
    assert_eq!(m.parameter("user_id"), Some("first.last"));
    // Even an id whose parts spell the pattern's own words.
    let m = match_topic("v2.users.a.conversations.conversations.calls").unwrap();
    assert_eq!(m.pattern().pattern, "v2.users.{id}.conversations.calls");
    assert_eq!(m.parameter("user_id"), Some("a.conversations"));
}

#[test]
fn names_that_fit_no_pattern_match_nothing() {
    for name in [
        "",
        "channel.metadata",
        "v2",
        "v2.users",
        "v2.users..presence",
        "v2.users.x.presence.",
        ".v2.users.x.presence",
        "v2.users.x.presense",
        "v3.users.x.presence",
    ] {
        assert!(match_topic(name).is_none(), "{name:?}");
        assert_eq!(match_topic_linear(name), None, "{name:?}");
    }
    let long = vec!["a"; 40].join(".");
    assert!(match_topic(&long).is_none());
}

#[test]
fn parsing_refuses_unknown_topics_naming_the_nearest() {
    let err = Topic::parse("v2.users.8f6c.presense").unwrap_err();
    assert_eq!(
        err,
        TopicError::Unknown {
            name: "v2.users.8f6c.presense".into(),
            nearest: Some("v2.users.{id}.presence"),
        }
    );
    assert!(
        err.to_string()
            .contains("nearest known topic is `v2.users.{id}.presence`")
    );
    let err = Topic::parse("v2.users.8f6c.conversations.call").unwrap_err();
    assert!(matches!(
        err,
        TopicError::Unknown {
            nearest: Some("v2.users.{id}.conversations.calls"),
            ..
        }
    ));
    assert!(matches!(
        Topic::parse("completely.different.thing.entirely.here").unwrap_err(),
        TopicError::Unknown { nearest: None, .. }
    ));
    assert!(matches!(
        Topic::parse("").unwrap_err(),
        TopicError::Malformed { .. }
    ));
    assert!(matches!(
        Topic::parse("v2..users").unwrap_err(),
        TopicError::Malformed { .. }
    ));
    let ok = Topic::parse("v2.routing.queues.q1.users").unwrap();
    assert_eq!(ok.pattern().pattern, "v2.routing.queues.{id}.users");
    assert!(ok.check().is_ok());
}

#[test]
fn built_topics_with_bad_ids_fail_their_check() {
    let socket = topics::system_socket_closing();
    assert!(socket.check().is_ok());
    let revoked = topics::system_token_revoked("");
    let err = revoked.check().unwrap_err();
    assert!(
        matches!(err, TopicError::Ambiguous { matches: None, .. }),
        "{err}"
    );
    let dotted = topics::system("a.b", "c");
    assert!(dotted.check().is_ok() || matches!(dotted.check(), Err(TopicError::Ambiguous { .. })));
}

fn decode(text: &str) -> Notification {
    Notification::from_json(text).unwrap()
}

#[test]
fn heartbeats_pongs_and_system_topics_are_recognised() {
    let heartbeat =
        decode(r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#);
    assert_eq!(heartbeat.kind(), NotificationKind::Heartbeat);
    assert!(
        matches!(&heartbeat.event, Event::ChannelMetadata(m) if m.message.as_deref() == Some(HEARTBEAT_MESSAGE))
    );
    let pong = decode(r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#);
    assert_eq!(pong.kind(), NotificationKind::Pong);
    let other = decode(r#"{"topicName":"channel.metadata","eventBody":{"message":"hello"}}"#);
    assert_eq!(other.kind(), NotificationKind::ChannelMetadata);

    let closing = decode(
        r#"{"topicName":"v2.system.socket_closing","version":"2","eventBody":{"message":"closing"},"metadata":{"CorrelationId":"c1"}}"#,
    );
    assert_eq!(closing.kind(), NotificationKind::SocketClosing);
    assert!(matches!(&closing.event, Event::SystemSocketClosing(_)));
    assert_eq!(closing.correlation_id(), Some("c1"));
    let revoked = decode(r#"{"topicName":"v2.system.token_revoked.abc","eventBody":{}}"#);
    assert_eq!(revoked.kind(), NotificationKind::TokenRevoked);
    assert!(matches!(&revoked.event, Event::SystemTokenRevoked(_)));
    assert_eq!(
        revoked.topic().unwrap().parameter("token_revoked_id"),
        Some("abc")
    );
    let evicted = decode(r#"{"topicName":"v2.system.no_longer_subscribed.ch1","eventBody":{}}"#);
    assert_eq!(evicted.kind(), NotificationKind::NoLongerSubscribed);
    let system = decode(r#"{"topicName":"v2.system.thing.x","eventBody":{}}"#);
    assert_eq!(system.kind(), NotificationKind::System);
}

#[test]
fn unknown_topics_keep_their_body_and_re_encode_unchanged() {
    let text = r#"{"topicName":"v2.brandnew.abc.things","version":"2","eventBody":{"a":[1,{"b":null}],"c":"d"},"metadata":{"CorrelationId":"x","Extra":true},"newEnvelopeField":7}"#;
    let n = decode(text);
    assert_eq!(n.kind(), NotificationKind::Event);
    let Event::Untyped(untyped) = &n.event else {
        panic!("{:?}", n.event)
    };
    assert_eq!(untyped.reason, UntypedReason::UnknownTopic);
    assert_eq!(untyped.body["c"], "d");
    let original: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_value(&n).unwrap(), original);
}

#[cfg(not(feature = "topics-users"))]
#[test]
fn a_topic_whose_family_is_off_says_which_feature_types_it() {
    let n = decode(
        r#"{"topicName":"v2.users.u1.presence","eventBody":{"presenceDefinition":{"id":"p"}}}"#,
    );
    let Event::Untyped(untyped) = &n.event else {
        panic!("{:?}", n.event)
    };
    assert_eq!(
        untyped.reason,
        UntypedReason::NotEnabled {
            feature: "topics-users"
        }
    );
    assert_eq!(n.pattern().unwrap().pattern, "v2.users.{id}.presence");
}

#[test]
fn a_body_of_the_wrong_shape_is_kept_untyped_with_the_error() {
    let text =
        r#"{"topicName":"v2.system.socket_closing","eventBody":{"message":{"not":"a string"}}}"#;
    let n = decode(text);
    let Event::Untyped(untyped) = &n.event else {
        panic!("{:?}", n.event)
    };
    assert!(
        matches!(&untyped.reason, UntypedReason::Undecodable { error } if error.contains("string"))
    );
    let original: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_value(&n).unwrap(), original);
}

#[test]
fn envelope_oddities_decode_and_broken_messages_are_errors() {
    let n = decode(r#"{"topicName":"v2.system.socket_closing","version":2}"#);
    assert_eq!(n.version.as_deref(), Some("2"));
    assert!(matches!(
        &n.event,
        Event::Untyped(UntypedEvent {
            reason: UntypedReason::MissingBody,
            ..
        })
    ));
    assert_eq!(
        serde_json::to_string(&n).unwrap(),
        r#"{"topicName":"v2.system.socket_closing","version":"2"}"#
    );
    for bad in [
        "",
        "[]",
        "{\"topicName\":",
        "{\"eventBody\":{}}",
        "{\"topicName\":5}",
    ] {
        assert!(Notification::from_json(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn socket_replies_are_told_apart_from_notifications() {
    let ok =
        ChannelMessage::from_json(r#"{"result":"200","status":"subscribed","correlationId":"k"}"#)
            .unwrap();
    let ChannelMessage::Reply(reply) = ok else {
        panic!()
    };
    assert!(reply.is_success());
    assert_eq!(reply.correlation_id.as_deref(), Some("k"));
    let failed = ChannelMessage::from_json(
        r#"{"result":"404","status":"failure","message":"channel expired"}"#,
    )
    .unwrap();
    assert!(
        matches!(failed, ChannelMessage::Reply(r) if !r.is_success() && r.message.as_deref() == Some("channel expired"))
    );
    let n = ChannelMessage::from_json(
        r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#,
    )
    .unwrap();
    assert!(matches!(n, ChannelMessage::Notification(n) if n.kind() == NotificationKind::Pong));
}

#[test]
fn typed_access_finds_the_body_under_any_of_its_topics() {
    let n =
        decode(r#"{"topicName":"v2.system.no_longer_subscribed.c","eventBody":{"message":"bye"}}"#);
    let body: &crate::SystemMessageSystemMessage = n.event_as().unwrap();
    assert!(body.unknown_fields.is_empty());
    assert!(n.event_as::<ChannelMetadata>().is_none());
    let whole: &Event = n.event_as().unwrap();
    assert_eq!(
        whole.pattern().unwrap().pattern,
        "v2.system.no_longer_subscribed.{id}"
    );
    let boxed = n
        .into_event_as::<crate::SystemMessageSystemMessage>()
        .unwrap();
    assert_eq!(
        serde_json::to_string(&boxed).unwrap(),
        r#"{"message":"bye"}"#
    );
}
