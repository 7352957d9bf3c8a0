//! The lean layout rule of the generated models: a nested model is one
//! pointer (`Option<Box<T>>`), and decoded arrays hold no spare capacity.
//! Sizes are measured for the models users hold most of: users and calls.

use std::mem::size_of;

use genesys_model::{
    CallConversation, CallMediaParticipant, Conversation, DomainEntityRef, User, UserEntityListing,
};

#[test]
fn nested_models_are_not_stored_inline() {
    // Before the rule: User 3,704 bytes, CallMediaParticipant 3,200. What
    // is left is the fields' own inline size: 24 bytes per optional string
    // or array, 16 per date, 8 per nested model, 8 for the unknown fields
    // (see the crate docs).
    assert!(
        size_of::<User>() <= 648,
        "User is {} bytes",
        size_of::<User>()
    );
    assert!(
        size_of::<CallMediaParticipant>() <= 928,
        "CallMediaParticipant is {} bytes",
        size_of::<CallMediaParticipant>()
    );
    assert!(size_of::<CallConversation>() <= 512);
    assert!(size_of::<Conversation>() <= 512);
    // A nested model costs a pointer, whatever its own size, and so do the
    // unknown fields until one arrives.
    assert_eq!(size_of::<Option<Box<User>>>(), size_of::<usize>());
    assert_eq!(
        size_of::<genesys_model::UnknownFields>(),
        size_of::<usize>()
    );
    assert!(User::default().unknown_fields.is_empty());
}

#[test]
fn a_boxed_field_is_set_with_box_new_and_reads_through_as_deref() {
    let participant = CallMediaParticipant {
        user: Some(Box::new(DomainEntityRef {
            id: Some("u-1".into()),
            ..Default::default()
        })),
        ..Default::default()
    };
    let json = serde_json::to_value(&participant).unwrap();
    assert_eq!(json["user"]["id"], "u-1");
    let back: CallMediaParticipant = serde_json::from_value(json).unwrap();
    assert_eq!(back, participant);
    assert_eq!(
        back.user.as_deref().and_then(|u| u.id.as_deref()),
        Some("u-1")
    );
}

#[test]
fn decoded_arrays_hold_no_spare_capacity() {
    let users: Vec<serde_json::Value> = (0..5)
        .map(|i| serde_json::json!({"id": format!("u-{i}"), "primaryContactInfo": [{"address": "a@example.invalid"}]}))
        .collect();
    let listing: UserEntityListing =
        serde_json::from_value(serde_json::json!({ "entities": users })).unwrap();
    let entities = listing.entities.as_ref().unwrap();
    assert_eq!(entities.len(), 5);
    assert_eq!(entities.capacity(), 5, "serde alone would leave room for 8");
    let contacts = entities[0].primary_contact_info.as_ref().unwrap();
    assert_eq!(contacts.capacity(), 1, "serde alone would leave room for 4");
}
