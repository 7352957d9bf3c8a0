//! The emulator's spec digest: the definitions and the success responses of
//! every operation, as compact JSON that `genesys-emulator` embeds.
//!
//! The emulator answers the operations it does not hand-implement from this
//! digest at run time (checking request bodies against their definitions and
//! building schema-valid answers), so it needs no typed model per operation
//! and its build stays small. Descriptions and vendor extensions are left out;
//! one definition per line keeps diffs of a new spec readable.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::spec::{AdditionalProperties, Schema, Spec};

/// The digest's file name under the emulator's `src/generated/`.
pub const FILE: &str = "spec.json";

/// The digest of `spec` as text.
pub fn emit_emulator_spec(spec: &Spec) -> anyhow::Result<String> {
    let mut out = format!(
        "{{\n\"generated\": {},\n\"definitions\": {{\n",
        serde_json::to_string(&format!(
            "by `cargo xtask codegen` from {} {}; do not edit",
            spec.info.title, spec.info.version
        ))?
    );
    let mut first = true;
    let mut names: Vec<&String> = spec.definitions.keys().collect();
    names.sort();
    for name in names {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        let compact = compact(&spec.definitions[name]);
        write!(
            out,
            "{}: {}",
            serde_json::to_string(name)?,
            serde_json::to_string(&compact)?
        )?;
    }
    out.push_str("\n},\n\"operations\": {\n");
    let mut operations = spec.operations()?;
    operations.sort_by(|a, b| a.op.operation_id.cmp(&b.op.operation_id));
    let mut first = true;
    for op in &operations {
        let body = op
            .params
            .iter()
            .find(|p| p.location == "body")
            .and_then(|p| p.schema.as_ref())
            .map(compact);
        // The documented success answers, lowest status first.
        let mut responses = Map::new();
        let mut statuses: Vec<(&String, _)> = op
            .op
            .responses
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .collect();
        statuses.sort_by(|a, b| a.0.cmp(b.0));
        for (status, response) in statuses {
            responses.insert(
                status.clone(),
                response.schema.as_ref().map(compact).unwrap_or(Value::Null),
            );
        }
        let mut entry = Map::new();
        if let Some(body) = body {
            entry.insert("body".into(), body);
        }
        entry.insert("responses".into(), Value::Object(responses));
        if !first {
            out.push_str(",\n");
        }
        first = false;
        write!(
            out,
            "{}: {}",
            serde_json::to_string(&op.op.operation_id)?,
            serde_json::to_string(&Value::Object(entry))?
        )?;
    }
    out.push_str("\n}\n}\n");
    Ok(out)
}

/// The keywords the emulator validates and generates from; nothing else.
fn compact(schema: &Schema) -> Value {
    let mut out = Map::new();
    if let Some(reference) = schema.ref_name() {
        out.insert("$ref".into(), json!(reference));
    }
    if let Some(kind) = &schema.kind {
        out.insert("type".into(), json!(kind));
    }
    if let Some(format) = &schema.format {
        out.insert("format".into(), json!(format));
    }
    if let Some(values) = &schema.enum_values {
        out.insert("enum".into(), Value::Array(values.clone()));
    }
    if let Some(items) = &schema.items {
        out.insert("items".into(), compact(items));
    }
    if !schema.properties.is_empty() {
        let props: Map<String, Value> = schema
            .properties
            .iter()
            .map(|(name, prop)| (name.clone(), compact(prop)))
            .collect();
        out.insert("properties".into(), Value::Object(props));
    }
    if !schema.required.is_empty() {
        out.insert("required".into(), json!(schema.required));
    }
    match &schema.additional_properties {
        Some(AdditionalProperties::Schema(values)) => {
            out.insert("additionalProperties".into(), compact(values));
        }
        Some(AdditionalProperties::Allowed(allowed)) => {
            out.insert("additionalProperties".into(), json!(allowed));
        }
        None => {}
    }
    if schema.read_only {
        out.insert("readOnly".into(), json!(true));
    }
    if schema.unique_items {
        out.insert("uniqueItems".into(), json!(true));
    }
    Value::Object(out)
}
