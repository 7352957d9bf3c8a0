//! `decode-memory`: how much memory a decoded listing holds, per byte of
//! its JSON, in the generated models and in `serde_json::Value`.
//!
//! A binary of its own because it counts every allocation (a counting
//! global allocator would slow and distort the other benchmarks):
//!
//! ```sh
//! cargo run --release -p genesys-bench --bin decode-memory [-- MB]
//! ```
//!
//! For each listing of `genesys-bench decode` it decodes the JSON and reads
//! the bytes still allocated while the result is alive (heap only; the
//! top-level value's own few bytes are added).
#![forbid(unsafe_code)]

#[path = "../decode.rs"]
#[allow(dead_code)] // the timing half of the module is the main binary's
mod decode;

use std::alloc::System;

use genesys_model::{CallConversationEntityListing, UserEntityListing};
use serde::de::DeserializeOwned;
use serde_json::Value;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated (and not freed) by decoding `bytes` as `T`, measured
/// while the value is alive.
fn held_bytes<T: DeserializeOwned>(bytes: &[u8]) -> anyhow::Result<usize> {
    let region = Region::new(GLOBAL);
    let value: T = serde_json::from_slice(bytes)?;
    let change = region.change();
    // A realloc counts its growth as allocated (and a shrink as freed).
    let held = change.bytes_allocated - change.bytes_deallocated;
    drop(std::hint::black_box(value));
    Ok(held + std::mem::size_of::<T>())
}

fn main() -> anyhow::Result<()> {
    let mb: f64 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| anyhow::anyhow!("the argument is the listing size in MB, not `{arg}`"))?,
        None => 10.0,
    };
    let datasets = decode::datasets((mb * 1e6) as usize)?;
    println!(
        "| listing | JSON | entities | typed: bytes held | per JSON byte | `Value`: bytes held | per JSON byte |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for d in &datasets {
        let typed = match d.model {
            "UserEntityListing" => held_bytes::<UserEntityListing>(&d.bytes)?,
            "CallConversationEntityListing" => {
                held_bytes::<CallConversationEntityListing>(&d.bytes)?
            }
            other => anyhow::bail!("no memory measurement for {other}"),
        };
        let value = held_bytes::<Value>(&d.bytes)?;
        let json = d.bytes.len() as f64;
        println!(
            "| {} | {:.1} MB | {} | {:.1} MB | {:.2} | {:.1} MB | {:.2} |",
            d.name,
            json / 1e6,
            d.entities,
            typed as f64 / 1e6,
            typed as f64 / json,
            value as f64 / 1e6,
            value as f64 / json,
        );
    }
    println!(
        "\nsize_of: User {} B, CallConversation {} B, CallMediaParticipant {} B, Conversation {} B",
        std::mem::size_of::<genesys_model::User>(),
        std::mem::size_of::<genesys_model::CallConversation>(),
        std::mem::size_of::<genesys_model::CallMediaParticipant>(),
        std::mem::size_of::<genesys_model::Conversation>(),
    );
    Ok(())
}
