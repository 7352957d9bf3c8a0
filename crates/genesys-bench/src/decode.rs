//! Decode speed: a large listing into the generated models against
//! `serde_json::Value`.
//!
//! The listings are built from the spec's types: a JSON document shaped like
//! a Genesys answer is decoded into the generated model and re-encoded from
//! it, so every byte benchmarked is what the model itself writes. A third
//! listing adds fields the model does not know to every participant, to
//! show what keeping them for the round trip costs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use genesys_model::{CallConversationEntityListing, UserEntityListing};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// One decode dataset.
pub struct Dataset {
    /// A short name (`users`, `conversations`, `conversations+unknown`).
    pub name: &'static str,
    /// The model it decodes into.
    pub model: &'static str,
    /// The JSON bytes.
    pub bytes: Vec<u8>,
    /// How many entities the listing holds.
    pub entities: usize,
    decode_typed: fn(&[u8]) -> anyhow::Result<Duration>,
}

impl Dataset {
    /// Times one decode into the generated model (dropping the result is
    /// not timed).
    pub fn decode_typed(&self) -> anyhow::Result<Duration> {
        (self.decode_typed)(&self.bytes)
    }

    /// Times one decode into `serde_json::Value` (dropping the result is
    /// not timed).
    pub fn decode_value(&self) -> anyhow::Result<Duration> {
        time_decode::<Value>(&self.bytes)
    }
}

fn time_decode<T: DeserializeOwned>(bytes: &[u8]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let value: T = serde_json::from_slice(black_box(bytes))?;
    let elapsed = started.elapsed();
    drop(black_box(value));
    Ok(elapsed)
}

/// A users listing (`GET /api/v2/users?expand=...`) and a call
/// conversations listing of at least `min_bytes` each.
pub fn datasets(min_bytes: usize) -> anyhow::Result<Vec<Dataset>> {
    Ok(vec![
        build(
            "users",
            "UserEntityListing",
            min_bytes,
            user,
            time_decode::<UserEntityListing>,
            reencode::<UserEntityListing>,
        )?,
        build(
            "users (lean)",
            "UserEntityListing",
            min_bytes,
            lean_user,
            time_decode::<UserEntityListing>,
            reencode::<UserEntityListing>,
        )?,
        build(
            "conversations",
            "CallConversationEntityListing",
            min_bytes,
            conversation,
            time_decode::<CallConversationEntityListing>,
            reencode::<CallConversationEntityListing>,
        )?,
        build(
            "conversations+unknown",
            "CallConversationEntityListing",
            min_bytes,
            conversation_with_unknown_fields,
            time_decode::<CallConversationEntityListing>,
            reencode::<CallConversationEntityListing>,
        )?,
    ])
}

fn reencode<T: DeserializeOwned + serde::Serialize>(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let typed: T = serde_json::from_slice(bytes)?;
    Ok(serde_json::to_vec(&typed)?)
}

fn build(
    name: &'static str,
    model: &'static str,
    min_bytes: usize,
    entity: fn(usize) -> Value,
    decode_typed: fn(&[u8]) -> anyhow::Result<Duration>,
    reencode: fn(&[u8]) -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<Dataset> {
    // Size one entity, then build enough of them.
    let one = serde_json::to_vec(&entity(0))?.len().max(1);
    let entities = min_bytes.div_ceil(one).max(1);
    let listing = json!({
        "entities": (0..entities).map(entity).collect::<Vec<_>>(),
        "pageSize": entities,
        "pageNumber": 1,
        "total": entities,
        "pageCount": 1,
        "selfUri": "/api/v2/listing?pageSize=25&pageNumber=1",
        "firstUri": "/api/v2/listing?pageSize=25&pageNumber=1",
        "lastUri": "/api/v2/listing?pageSize=25&pageNumber=1"
    });
    let bytes = reencode(&serde_json::to_vec(&listing)?)?;
    Ok(Dataset {
        name,
        model,
        bytes,
        entities,
        decode_typed,
    })
}

/// A user as `GET /api/v2/users?expand=presence,routingStatus,skills,...`
/// returns it.
pub fn user(i: usize) -> Value {
    let id = format!("5a6c{i:04x}-0b1c-4d2e-8f30-{i:012x}");
    json!({
        "id": id,
        "name": format!("Agent Number {i}"),
        "division": {"id": "d1e1f000-0000-4000-8000-000000000001", "name": "Home", "selfUri": "/api/v2/authorization/divisions/d1e1f000-0000-4000-8000-000000000001"},
        "chat": {"jabberId": format!("{id}@emulator-org.orgspan.com")},
        "department": "Customer Care",
        "email": format!("agent{i}@example.invalid"),
        "primaryContactInfo": [
            {"address": format!("agent{i}@example.invalid"), "mediaType": "EMAIL", "type": "PRIMARY"},
            {"address": "+15550100", "display": "+1 555-0100", "mediaType": "PHONE", "type": "PRIMARY"}
        ],
        "addresses": [
            {"address": "+15550199", "display": "+1 555-0199", "mediaType": "PHONE", "type": "WORK", "extension": "1234", "countryCode": "US"}
        ],
        "state": "active",
        "title": "Senior Agent",
        "username": format!("agent{i}@example.invalid"),
        "manager": {"id": "0a0b0c0d-0000-4000-8000-000000000042", "selfUri": "/api/v2/users/0a0b0c0d-0000-4000-8000-000000000042"},
        "images": [
            {"resolution": "x48", "imageUri": format!("https://prod-images.example.invalid/{id}/48.png")},
            {"resolution": "x96", "imageUri": format!("https://prod-images.example.invalid/{id}/96.png")}
        ],
        "version": 7,
        "certifications": ["Billing", "Retention"],
        "biography": {"biography": "Handles escalations for the winter campaign.", "interests": ["chess", "cycling"], "hobbies": ["baking"], "spouse": "Sam"},
        "employerInfo": {"officialName": format!("Agent Number {i}"), "employeeId": format!("E{i:06}"), "employeeType": "Full-time", "dateHire": "2021-03-15"},
        "routingStatus": {"userId": id, "status": "IDLE", "startTime": "2026-11-25T01:02:03.456Z"},
        "presence": {
            "id": format!("pr-{i}"),
            "source": "PURECLOUD",
            "presenceDefinition": {"id": "6a3af858-942f-489d-9700-5f9bcdcdae9b", "systemPresence": "Available", "selfUri": "/api/v2/presencedefinitions/6a3af858-942f-489d-9700-5f9bcdcdae9b"},
            "message": "",
            "modifiedDate": "2026-11-25T01:02:03.456Z",
            "selfUri": format!("/api/v2/users/{id}/presences/PURECLOUD")
        },
        "acdAutoAnswer": false,
        "languagePreference": "en-us",
        "skills": [
            {"id": "s-1", "name": "Billing", "proficiency": 4.0, "state": "active", "skillUri": "/api/v2/routing/skills/s-1", "selfUri": format!("/api/v2/users/{id}/routingskills/s-1")},
            {"id": "s-2", "name": "Retention", "proficiency": 2.5, "state": "active", "skillUri": "/api/v2/routing/skills/s-2", "selfUri": format!("/api/v2/users/{id}/routingskills/s-2")}
        ],
        "profileSkills": ["Spanish", "Escalations"],
        "dateLastLogin": "2026-11-24T09:00:00.000Z",
        "selfUri": format!("/api/v2/users/{id}")
    })
}

/// A user as a plain `GET /api/v2/users` page returns it (no `expand`):
/// sparse, about 575 bytes of JSON, most of the model's fields absent.
pub fn lean_user(i: usize) -> Value {
    let id = format!("5a6c{i:04x}-0b1c-4d2e-8f30-{i:012x}");
    json!({
        "id": id,
        "name": format!("Agent Number {i}"),
        "division": {"id": "d1e1f000-0000-4000-8000-000000000001", "name": "Home", "selfUri": "/api/v2/authorization/divisions/d1e1f000-0000-4000-8000-000000000001"},
        "chat": {"jabberId": format!("{id}@emulator-org.orgspan.com")},
        "email": format!("agent{i}@example.invalid"),
        "primaryContactInfo": [
            {"address": format!("agent{i}@example.invalid"), "mediaType": "EMAIL", "type": "PRIMARY"}
        ],
        "addresses": [],
        "state": "active",
        "username": format!("agent{i}@example.invalid"),
        "version": 3,
        "acdAutoAnswer": false,
        "selfUri": format!("/api/v2/users/{id}")
    })
}

/// A call conversation as `GET /api/v2/conversations/calls` returns it
/// (the shape of `genesys-model`'s own decode bench).
pub fn conversation(i: usize) -> Value {
    let participant = |purpose: &str| {
        json!({
            "id": format!("p-{i}-{purpose}"),
            "name": "Jane Caller",
            "address": "tel:+15550123",
            "startTime": "2026-11-25T01:02:03.456Z",
            "connectedTime": "2026-11-25T01:02:09.001Z",
            "purpose": purpose,
            "state": "connected",
            "direction": "outbound",
            "held": false,
            "muted": false,
            "confined": false,
            "recording": true,
            "recordingState": "active",
            "wrapupRequired": true,
            "alertingTimeoutMs": 30000,
            "user": {"id": "u-1", "selfUri": "/api/v2/users/u-1"},
            "queue": {"id": "q-1", "selfUri": "/api/v2/routing/queues/q-1"},
            "attributes": {"crm": "123", "campaign": "winter"},
            "ani": "tel:+15550100",
            "dnis": "tel:+15550123"
        })
    };
    json!({
        "id": format!("c-{i}"),
        "name": "Outbound call",
        "participants": [participant("agent"), participant("customer"), participant("acd")],
        "recordingState": "active",
        "maxParticipants": 10,
        "securePause": false,
        "selfUri": format!("/api/v2/conversations/calls/c-{i}")
    })
}

/// [`conversation`] with five fields per participant that no spec version
/// has; the model keeps them in `unknown_fields` and writes them back.
pub fn conversation_with_unknown_fields(i: usize) -> Value {
    let mut call = conversation(i);
    if let Some(participants) = call["participants"].as_array_mut() {
        for participant in participants.iter_mut().filter_map(Value::as_object_mut) {
            for key in [
                "newFieldA",
                "newFieldB",
                "newFieldC",
                "newFieldD",
                "newFieldE",
            ] {
                participant.insert(key.into(), json!({"value": key, "n": [1, 2, 3]}));
            }
        }
    }
    call
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_model::{CallConversation, User};

    #[test]
    fn the_user_uses_only_fields_the_model_knows() {
        let u: User = serde_json::from_value(user(3)).unwrap();
        assert!(u.unknown_fields.is_empty(), "{:?}", u.unknown_fields);
        let presence = u.presence.as_ref().unwrap();
        assert!(presence.unknown_fields.is_empty());
        let definition = presence.presence_definition.as_ref().unwrap();
        assert!(definition.unknown_fields.is_empty());
        assert!(u.routing_status.as_ref().unwrap().unknown_fields.is_empty());
        assert!(u.skills.as_ref().unwrap()[0].unknown_fields.is_empty());
        assert!(
            u.primary_contact_info.as_ref().unwrap()[1]
                .unknown_fields
                .is_empty()
        );
        assert!(u.employer_info.as_ref().unwrap().unknown_fields.is_empty());
        assert!(u.biography.as_ref().unwrap().unknown_fields.is_empty());
        assert!(u.images.as_ref().unwrap()[0].unknown_fields.is_empty());
        assert!(u.date_last_login.is_some());
    }

    #[test]
    fn the_conversation_uses_only_fields_the_model_knows() {
        let c: CallConversation = serde_json::from_value(conversation(1)).unwrap();
        assert!(c.unknown_fields.is_empty(), "{:?}", c.unknown_fields);
        let p = &c.participants.as_ref().unwrap()[0];
        assert!(p.unknown_fields.is_empty(), "{:?}", p.unknown_fields);
    }

    #[test]
    fn unknown_fields_are_kept_through_the_reencoded_listing() {
        let c: CallConversation =
            serde_json::from_value(conversation_with_unknown_fields(1)).unwrap();
        let p = &c.participants.as_ref().unwrap()[0];
        assert_eq!(p.unknown_fields.len(), 5);
        let d = datasets(10_000).unwrap().pop().unwrap();
        assert_eq!(d.name, "conversations+unknown");
        assert!(String::from_utf8_lossy(&d.bytes).contains("newFieldE"));
    }

    #[test]
    fn the_lean_user_is_sparse_and_fully_known() {
        let json = serde_json::to_vec(&lean_user(7)).unwrap();
        assert!((450..=700).contains(&json.len()), "{} bytes", json.len());
        let u: genesys_model::User = serde_json::from_slice(&json).unwrap();
        assert!(u.unknown_fields.is_empty(), "{:?}", u.unknown_fields);
        assert!(u.presence.is_none() && u.manager.is_none());
    }

    #[test]
    fn datasets_reach_the_size_and_decode_both_ways() {
        for d in datasets(100_000).unwrap() {
            assert!(
                d.bytes.len() >= 90_000,
                "{} is {} bytes",
                d.name,
                d.bytes.len()
            );
            d.decode_typed().unwrap();
            d.decode_value().unwrap();
        }
    }
}
