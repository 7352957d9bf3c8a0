//! Topic matching: the cost, per incoming notification, of finding its
//! topic's pattern (and so the type its body decodes into), with the trie
//! `genesys_model::notifications::match_topic` uses against a linear scan
//! over the 242 patterns; and the cost of decoding a whole call event.

use std::hint::black_box;
use std::time::Instant;

use genesys_model::notifications::{Notification, TopicPattern, match_topic, match_topic_linear};

/// Topic names to match: one per pattern (ids filled in), in a fixed
/// shuffled order so neither method is helped by the catalogue's order.
fn names() -> Vec<String> {
    let id = "8f6c2e1a-0d4b-4d8e-9a53-1f0c2b7e5d11";
    let mut names: Vec<String> = TopicPattern::all()
        .iter()
        .map(|t| t.pattern.replace("{id}", id))
        .collect();
    // A fixed permutation (multiplicative step coprime with the length).
    let n = names.len();
    let step = (1..n)
        .rev()
        .find(|s| gcd(*s, n) == 1 && *s > n / 3)
        .unwrap_or(1);
    let order: Vec<String> = (0..n).map(|i| names[(i * step) % n].clone()).collect();
    names.clear();
    names.extend(order);
    names
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Nanoseconds per call of `f` over `names`, the median of `rounds` rounds.
fn per_name(rounds: usize, iterations: usize, names: &[String], f: impl Fn(&str) -> usize) -> f64 {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            let mut sink = 0usize;
            for _ in 0..iterations {
                for name in names {
                    sink = sink.wrapping_add(f(black_box(name)));
                }
            }
            black_box(sink);
            started.elapsed().as_nanos() as f64 / (iterations * names.len()) as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Runs the measurement and prints a table.
pub fn run(rounds: usize, iterations: usize) -> anyhow::Result<()> {
    let names = names();
    // Both methods agree on every name before anything is timed.
    for name in &names {
        let trie = match_topic(name).map(|m| m.index());
        anyhow::ensure!(
            trie == match_topic_linear(name),
            "{name}: the methods disagree"
        );
    }
    // Build the trie outside the timing (it is built once per process).
    let _ = match_topic("v2.users.x.presence");
    let trie = per_name(rounds, iterations, &names, |n| {
        match_topic(n).map_or(0, |m| m.index())
    });
    let linear = per_name(rounds, iterations, &names, |n| {
        match_topic_linear(n).unwrap_or(0)
    });
    let call_event = serde_json::json!({
        "topicName": "v2.users.8f6c2e1a-0d4b-4d8e-9a53-1f0c2b7e5d11.conversations.calls",
        "version": "2",
        "eventBody": {
            "id": "0c2f3b1e-5a4d-4c8e-9f7a-2b1d0e6c5a43", "recordingState": "none",
            "participants": [
                {"id": "p1", "name": "Agent", "address": "tel:+15550100", "state": "connected",
                 "direction": "outbound", "purpose": "agent", "connectedTime": "2026-11-28T04:05:06.789Z",
                 "user": {"id": "8f6c2e1a-0d4b-4d8e-9a53-1f0c2b7e5d11"}},
                {"id": "p2", "address": "tel:+15550123", "state": "alerting", "direction": "outbound",
                 "purpose": "external"}
            ]
        },
        "metadata": {"CorrelationId": "7d3c9a1e-2f4b-4e6d-8c5a-0b1e2d3c4f5a"}
    })
    .to_string();
    let event_iterations = iterations.max(1) * 4;
    let mut decode_samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..event_iterations {
                let n = Notification::from_json(black_box(&call_event)).expect("decodes");
                black_box(n);
            }
            started.elapsed().as_nanos() as f64 / event_iterations as f64
        })
        .collect();
    decode_samples.sort_by(f64::total_cmp);
    let decode = decode_samples[decode_samples.len() / 2];

    println!(
        "topic matching over {} patterns, {} names per round, median of {rounds} rounds",
        TopicPattern::all().len(),
        names.len() * iterations
    );
    println!("| method | ns per message |");
    println!("|---|---|");
    println!("| trie (`match_topic`) | {trie:.0} |");
    println!("| linear scan over the patterns | {linear:.0} |");
    println!(
        "| whole call event decoded (`Notification::from_json`, {} bytes) | {decode:.0} |",
        call_event.len()
    );
    println!("linear / trie: {:.1}x", linear / trie);
    Ok(())
}
