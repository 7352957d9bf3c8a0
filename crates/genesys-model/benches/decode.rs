//! Decode and encode speed of generated models, against `serde_json::Value`,
//! and what keeping unknown fields costs.
//!
//! Run: `cargo bench -p genesys-model --features conversations --bench decode`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genesys_model::CallConversationEntityListing;
use serde_json::{Value, json};

/// A page of call conversations shaped like a real listing, `entities`
/// long; with `unknown`, every participant also carries fields the model
/// does not know.
fn listing(entities: usize, unknown: bool) -> Vec<u8> {
    let participant = |i: usize, purpose: &str| {
        let mut p = json!({
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
        });
        if unknown {
            let obj = p.as_object_mut().unwrap();
            for k in [
                "newFieldA",
                "newFieldB",
                "newFieldC",
                "newFieldD",
                "newFieldE",
            ] {
                obj.insert(k.into(), json!({"value": k, "n": [1, 2, 3]}));
            }
        }
        p
    };
    let entities: Vec<Value> = (0..entities)
        .map(|i| {
            json!({
                "id": format!("c-{i}"),
                "name": "Outbound call",
                "participants": [participant(i, "agent"), participant(i, "customer"), participant(i, "acd")],
                "recordingState": "active",
                "maxParticipants": 10,
                "securePause": false,
                "selfUri": format!("/api/v2/conversations/calls/c-{i}")
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "entities": entities, "pageSize": 25, "pageNumber": 1, "total": 2000, "pageCount": 80
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in [
        ("known-fields", listing(2000, false)),
        ("with-unknown-fields", listing(2000, true)),
    ] {
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.sample_size(20);
        group.bench_function("typed", |b| {
            b.iter(|| serde_json::from_slice::<CallConversationEntityListing>(&bytes).unwrap())
        });
        group.bench_function("serde_json::Value", |b| {
            b.iter(|| serde_json::from_slice::<Value>(&bytes).unwrap())
        });
        group.finish();

        let typed: CallConversationEntityListing = serde_json::from_slice(&bytes).unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        let mut group = c.benchmark_group(format!("encode/{name}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.sample_size(20);
        group.bench_function("typed", |b| b.iter(|| serde_json::to_vec(&typed).unwrap()));
        group.bench_function("serde_json::Value", |b| {
            b.iter(|| serde_json::to_vec(&value).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
