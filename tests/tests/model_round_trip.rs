//! Generated models against the spec they came from: random documents
//! shaped by a definition decode, survive a round trip unchanged, and keep
//! unknown fields and enum values Genesys may add later.

use genesys_integration_tests::{UNKNOWN_PREFIX, covers, object_of};
use genesys_model::{
    CallConversation, CallMediaParticipantState, Conversation, CreateCallRequest,
    CreateCallResponse, ErrorBody, Model, OpenEnum, TokenInfo, User,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// JSON → model → JSON gives the same document, and model → JSON → model
/// gives the same model.
fn assert_round_trip<T: Model>(doc: &Value) -> Result<(), TestCaseError> {
    let typed: T = serde_json::from_value(doc.clone())
        .map_err(|e| TestCaseError::fail(format!("{} did not decode {doc}: {e}", T::DEFINITION)))?;
    let encoded = serde_json::to_value(&typed).expect("models always encode");
    prop_assert_eq!(&encoded, doc, "{} changed on re-encoding", T::DEFINITION);
    covers(doc, &encoded, T::DEFINITION).map_err(TestCaseError::fail)?;
    let again: T = serde_json::from_value(encoded).expect("re-encoded JSON decodes");
    prop_assert_eq!(again, typed);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn create_call_request(doc in object_of("CreateCallRequest", 2)) {
        assert_round_trip::<CreateCallRequest>(&doc)?;
    }

    #[test]
    fn create_call_response(doc in object_of("CreateCallResponse", 2)) {
        assert_round_trip::<CreateCallResponse>(&doc)?;
    }

    #[test]
    fn conversation(doc in object_of("Conversation", 2)) {
        assert_round_trip::<Conversation>(&doc)?;
    }

    #[test]
    fn call_conversation(doc in object_of("CallConversation", 2)) {
        assert_round_trip::<CallConversation>(&doc)?;
    }

    #[test]
    fn error_body(doc in object_of("ErrorBody", 3)) {
        assert_round_trip::<ErrorBody>(&doc)?;
    }

    #[test]
    fn token_info(doc in object_of("TokenInfo", 2)) {
        assert_round_trip::<TokenInfo>(&doc)?;
    }

    #[test]
    fn user(doc in object_of("User", 1)) {
        assert_round_trip::<User>(&doc)?;
    }
}

#[test]
fn unknown_fields_survive_a_read_modify_write() {
    let fetched = json!({
        "id": "c-1",
        "name": "call",
        "recordingState": "active",
        "fieldAddedIn2027": {"nested": [1, 2, 3]},
        "anotherNewField": "kept"
    });
    let mut conversation: CallConversation = serde_json::from_value(fetched).unwrap();
    assert_eq!(conversation.unknown_fields.len(), 2);
    conversation.name = Some("renamed".into());
    let written = serde_json::to_value(&conversation).unwrap();
    assert_eq!(written["fieldAddedIn2027"], json!({"nested": [1, 2, 3]}));
    assert_eq!(written["anotherNewField"], "kept");
    assert_eq!(written["name"], "renamed");
    assert!(
        !written
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with(UNKNOWN_PREFIX))
    );
}

#[test]
fn unknown_enum_values_decode_and_re_encode_unchanged() {
    let doc = json!({"id": "p-1", "state": "holographic"});
    let participant: genesys_model::CallMediaParticipant =
        serde_json::from_value(doc.clone()).unwrap();
    let state = participant.state.clone().unwrap();
    assert_eq!(
        state,
        CallMediaParticipantState::Unrecognized("holographic".into())
    );
    assert!(state.is_unrecognized());
    assert_eq!(serde_json::to_value(&participant).unwrap(), doc);
    assert!(CallMediaParticipantState::KNOWN_VALUES.contains(&"connected"));
}

#[test]
fn missing_required_properties_decode_and_are_reported() {
    // `User.version` is required by the spec; Genesys omits it in places.
    let user: User = serde_json::from_value(json!({"id": "u-1"})).unwrap();
    assert_eq!(user.missing_required_fields(), ["version"]);
    assert_eq!(User::REQUIRED, ["version"]);
    let user = User {
        version: Some(3),
        ..user
    };
    assert!(user.missing_required_fields().is_empty());
}

#[test]
fn lenient_where_genesys_is_lenient_strict_where_it_matters() {
    let body: ErrorBody =
        serde_json::from_value(json!({"status": "429", "code": "too.many.requests"})).unwrap();
    assert_eq!(body.status, Some(429));
    let err = serde_json::from_value::<ErrorBody>(json!({"status": "four hundred"})).unwrap_err();
    assert!(err.to_string().contains("32-bit integer"), "{err}");
    let err =
        serde_json::from_str::<ErrorBody>("{\"code\": \"bad.request\", \"message\": ").unwrap_err();
    assert!(err.is_eof(), "a truncated body is reported as such: {err}");
    let err = serde_json::from_value::<ErrorBody>(json!(["not", "an", "object"])).unwrap_err();
    assert!(err.to_string().contains("ErrorBody object"), "{err}");
}

#[test]
fn absent_values_are_not_serialized() {
    let request = CreateCallRequest {
        phone_number: Some("+15550123".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"phoneNumber":"+15550123"}"#
    );
    assert_eq!(
        serde_json::to_string(&CreateCallRequest::default()).unwrap(),
        "{}"
    );
}

#[test]
fn recursive_definitions_are_boxed_and_decode_deeply() {
    let doc = json!({"id": "a", "manager": {"id": "b", "manager": {"id": "c"}}});
    let user: User = serde_json::from_value(doc.clone()).unwrap();
    let manager: &User = user.manager.as_deref().unwrap();
    assert_eq!(manager.manager.as_ref().unwrap().id.as_deref(), Some("c"));
    assert_eq!(serde_json::to_value(&user).unwrap(), doc);
}

/// PATCH needs `"field": null` to clear a field; every other request wants
/// `None` left out. Absent stays absent, `null` stays `null`, a value stays
/// a value — through decode, encode, and a read-modify-write.
#[test]
fn explicit_nulls_are_sent_when_asked_and_kept_when_decoded() {
    use genesys_model::UpdateUser;

    // Ordinary construction is unchanged: None is left out.
    let plain = UpdateUser {
        version: Some(3),
        ..Default::default()
    };
    assert_eq!(serde_json::to_value(&plain).unwrap(), json!({"version": 3}));

    // Marked fields are sent as null.
    let patch = plain
        .clone()
        .with_null(UpdateUser::TITLE)
        .with_null(UpdateUser::DEPARTMENT);
    assert!(patch.is_null(UpdateUser::TITLE));
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        json!({"title": null, "department": null, "version": 3})
    );
    // A value wins over the mark; clearing the mark leaves the field out.
    let mut patch = patch;
    patch.title = Some("Agent".into());
    patch.clear_null(UpdateUser::DEPARTMENT);
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        json!({"title": "Agent", "version": 3})
    );

    // Decoding tells null from absent, and re-encodes each as it was.
    let text = r#"{"id":"u1","title":null,"name":"Ada"}"#;
    let user: User = serde_json::from_str(text).unwrap();
    assert!(user.title.is_none() && user.is_null(User::TITLE));
    assert!(user.department.is_none() && !user.is_null(User::DEPARTMENT));
    assert!(
        user.unknown_fields().is_empty(),
        "a known field is not unknown"
    );
    assert_eq!(
        serde_json::to_value(&user).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
    // Nested nulls are the nested model's own.
    let call: CallConversation =
        serde_json::from_str(r#"{"id":"c1","participants":[{"id":"p1","state":null}]}"#).unwrap();
    let participant = &call.participants.as_ref().unwrap()[0];
    assert!(participant.is_null(genesys_model::CallMediaParticipant::STATE));
    assert!(call.explicit_nulls().is_empty());
    // Null is told apart whatever the field's type: a number decoded
    // leniently, an array, a map, a nested model, a date. Empty values are
    // values, not nulls.
    let text = r#"{"version":null,"addresses":null,"manager":null,"dateLastLogin":null,"certifications":[],"name":"","acdAutoAnswer":false}"#;
    let user_nulls: User = serde_json::from_str(text).unwrap();
    for field in [
        User::VERSION,
        User::ADDRESSES,
        User::MANAGER,
        User::DATE_LAST_LOGIN,
    ] {
        assert!(user_nulls.is_null(field), "{field:?}");
    }
    for field in [
        User::CERTIFICATIONS,
        User::NAME,
        User::ACD_AUTO_ANSWER,
        User::ID,
    ] {
        assert!(!user_nulls.is_null(field), "{field:?}");
    }
    assert_eq!(
        serde_json::to_value(&user_nulls).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
    // A null inside an array is the item's, not the array field's.
    let call: CallConversation = serde_json::from_str(
        r#"{"id":"c1","participants":[{"id":"p1","wrapup":null}],"recordingState":null}"#,
    )
    .unwrap();
    assert!(call.is_null(CallConversation::RECORDING_STATE));
    assert!(!call.is_null(CallConversation::PARTICIPANTS));
    let participant = &call.participants.as_ref().unwrap()[0];
    assert!(participant.is_null(genesys_model::CallMediaParticipant::WRAPUP));
    // A null is not a value: decoded and constructed models differ by it.
    let without: User = serde_json::from_str(r#"{"id":"u1","name":"Ada"}"#).unwrap();
    assert_ne!(user, without);
}
