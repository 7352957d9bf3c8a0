//! Helpers for the workspace-level integration tests in `tests/tests/*.rs`:
//! where the shared spec and fixtures live, and proptest generators of JSON
//! documents shaped by a spec definition.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// The `shared/` folder beside the checkout (or `$GENESYS_SHARED`).
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GENESYS_SHARED") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// The current spec, parsed once per test binary.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = shared_dir().join("spec/genesys-platform-api-v2.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        serde_json::from_str(&text).expect("the shared spec is JSON")
    })
}

/// The definition schema called `name`.
pub fn definition(name: &str) -> &'static Value {
    spec()["definitions"]
        .get(name)
        .unwrap_or_else(|| panic!("definition {name} is not in the spec"))
}

/// A prefix no spec property uses, for fields the model cannot know.
pub const UNKNOWN_PREFIX: &str = "zzNotInSpec";

/// Random JSON objects shaped like definition `name`: each property absent,
/// `null` or a value, known and unknown enum values, nested definitions down to
/// `depth`, plus fields the spec does not have. Values are in the canonical
/// form the models re-encode (dates with milliseconds and `Z`, numbers as
/// exact binary fractions), so a lossless round trip gives the same JSON.
pub fn object_of(name: &str, depth: u32) -> BoxedStrategy<Value> {
    let schema = definition(name);
    let props: Vec<(String, BoxedStrategy<Value>)> = schema["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .filter_map(|(k, s)| value_of(s, depth).map(|st| (k.clone(), st)))
                .collect()
        })
        .unwrap_or_default();
    let known = props
        .into_iter()
        .map(|(k, st)| {
            // Each property absent, explicitly `null`, or a value: all three
            // must survive a round trip as they were.
            prop_oneof![
                2 => Just(None),
                1 => Just(Some(Value::Null)),
                3 => st.prop_map(Some),
            ]
            .prop_map(move |v| v.map(|v| (k.clone(), v)))
        })
        .collect::<Vec<_>>();
    let unknown = proptest::collection::btree_map("[a-z]{1,6}", scalar(), 0..3);
    (known, unknown)
        .prop_map(|(known, unknown)| {
            let mut map = Map::new();
            for (k, v) in known.into_iter().flatten() {
                map.insert(k, v);
            }
            for (k, v) in unknown {
                map.insert(format!("{UNKNOWN_PREFIX}{k}"), v);
            }
            Value::Object(map)
        })
        .boxed()
}

fn scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        Just(Value::Array(vec![Value::from(1), Value::from("x")])),
    ]
    .boxed()
}

/// A strategy for one property schema; `None` when recursion must stop.
fn value_of(schema: &Value, depth: u32) -> Option<BoxedStrategy<Value>> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if depth == 0 {
            return None;
        }
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return Some(object_of(name, depth - 1));
    }
    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object");
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    Some(match (kind, format) {
        ("string", _) if schema.get("enum").is_some() => {
            let known: Vec<Value> = schema["enum"].as_array().cloned().unwrap_or_default();
            prop_oneof![
                3 => proptest::sample::select(known),
                1 => "[a-z]{3,8}".prop_map(|s| Value::String(format!("newer-{s}"))),
            ]
            .boxed()
        }
        ("string", "date-time") => (0i64..4_000_000_000_000)
            .prop_map(|ms| {
                let t = OffsetDateTime::UNIX_EPOCH + Duration::milliseconds(ms);
                Value::String(format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                    t.millisecond()
                ))
            })
            .boxed(),
        ("string", "date") => (0i64..40_000)
            .prop_map(|days| {
                let d = (OffsetDateTime::UNIX_EPOCH + Duration::days(days)).date();
                Value::String(format!(
                    "{:04}-{:02}-{:02}",
                    d.year(),
                    u8::from(d.month()),
                    d.day()
                ))
            })
            .boxed(),
        ("string", "local-date-time") => (0u32..86_400)
            .prop_map(|s| {
                Value::String(format!(
                    "2026-11-25T{:02}:{:02}:{:02}.000",
                    s / 3600,
                    s % 3600 / 60,
                    s % 60
                ))
            })
            .boxed(),
        ("string", _) => "[ -~]{0,16}".prop_map(Value::String).boxed(),
        ("integer", "int32") => any::<i32>().prop_map(Value::from).boxed(),
        ("integer", _) => any::<i64>().prop_map(Value::from).boxed(),
        ("number", _) => (-1_000_000i32..1_000_000)
            .prop_map(|n| Value::from(f64::from(n) / 4.0))
            .boxed(),
        ("boolean", _) => any::<bool>().prop_map(Value::Bool).boxed(),
        ("array", _) => {
            let item = value_of(&schema["items"], depth)?;
            proptest::collection::vec(item, 0..3)
                .prop_map(Value::Array)
                .boxed()
        }
        (_, _) => match schema.get("additionalProperties") {
            Some(values) if values.is_object() => {
                let value = value_of(values, depth)?;
                proptest::collection::btree_map("[a-zA-Z0-9]{1,6}", value, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect()))
                    .boxed()
            }
            _ => proptest::collection::btree_map("[a-z]{1,6}", scalar(), 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
                .boxed(),
        },
    })
}

/// Whether `after` still carries everything `before` had: every non-null
/// field, recursively, with an equal value. Numbers sent as strings match
/// the number they encode; date-times match by instant.
pub fn covers(before: &Value, after: &Value, path: &str) -> Result<(), String> {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, bv) in b {
                if bv.is_null() {
                    continue;
                }
                let av = a
                    .get(k)
                    .ok_or_else(|| format!("{path}.{k} was lost on re-encoding"))?;
                covers(bv, av, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(b), Value::Array(a)) => {
            if b.len() != a.len() {
                return Err(format!("{path}: {} items became {}", b.len(), a.len()));
            }
            b.iter()
                .zip(a)
                .enumerate()
                .try_for_each(|(i, (bv, av))| covers(bv, av, &format!("{path}[{i}]")))
        }
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s))
            if s.trim().parse::<f64>().ok() == n.as_f64() =>
        {
            Ok(())
        }
        (Value::String(b), Value::String(a)) if b != a => match (instant(b), instant(a)) {
            (Some(x), Some(y)) if x == y => Ok(()),
            _ => Err(format!("{path}: {b:?} became {a:?}")),
        },
        (Value::Number(b), Value::Number(a)) if b.as_f64() == a.as_f64() => Ok(()),
        (b, a) if b == a => Ok(()),
        (b, a) => Err(format!("{path}: {b} became {a}")),
    }
}

/// Two renderings of one instant compare equal: the original may use a form
/// the model normalizes (one-digit days, `+0100` offsets).
fn instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .or_else(|| s.parse::<genesys_model::DateTime>().ok().map(|d| d.0))
}
