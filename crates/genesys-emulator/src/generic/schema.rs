//! Swagger 2.0 schemas of the digest at work: checking a request body,
//! building a schema-valid answer, and carrying fields from one definition
//! to another by name.

use serde_json::{Map, Value};

/// How deep generated answers nest objects; below it only required
/// properties are filled.
const MAX_DEPTH: usize = 6;

/// Where generation stops even for required properties, so definitions
/// that require each other in a cycle still give an answer.
const HARD_DEPTH: usize = 2 * MAX_DEPTH;

/// Why a value does not fit its schema, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    /// The field's path from the body's root (`memberFlow.id`,
    /// `entities[0].name`); empty for the root.
    pub(crate) field: String,
    /// What is wrong, for the error message.
    pub(crate) problem: String,
}

/// The schemas of one spec.
#[derive(Clone, Copy)]
pub(crate) struct Schemas<'a> {
    definitions: &'a Map<String, Value>,
}

impl<'a> Schemas<'a> {
    pub(crate) fn new(definitions: &'a Map<String, Value>) -> Self {
        Schemas { definitions }
    }

    /// Follows `$ref`s to the schema that describes the value.
    pub(crate) fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        // A chain of references is short; the bound only guards a cyclic alias.
        for _ in 0..8 {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(name) => match self.definitions.get(name) {
                    Some(target) => schema = target,
                    None => return &Value::Null,
                },
                None => return schema,
            }
        }
        schema
    }

    /// The schema of property `name` of an object schema.
    pub(crate) fn property(&self, schema: &'a Value, name: &str) -> Option<&'a Value> {
        self.resolve(schema).get("properties")?.get(name)
    }

    /// Checks `value` against `schema`: types, required properties (except
    /// read-only ones, which clients do not send) and enums.
    pub(crate) fn validate(&self, value: &Value, schema: &Value) -> Result<(), Mismatch> {
        let mut path = String::new();
        self.check(value, schema, &mut path)
    }

    fn check(&self, value: &Value, schema: &Value, path: &mut String) -> Result<(), Mismatch> {
        let schema = self.resolve(schema);
        let mismatch = |path: &str, problem: String| Mismatch {
            field: path.to_owned(),
            problem,
        };
        if let Some(values) = schema.get("enum").and_then(Value::as_array)
            && !values.contains(value)
        {
            let allowed: Vec<String> = values.iter().map(short).collect();
            return Err(mismatch(
                path,
                format!(
                    "value {} is not one of the allowed values: {}",
                    short(value),
                    allowed.join(", ")
                ),
            ));
        }
        match kind(schema) {
            Some("object") => {
                let Some(object) = value.as_object() else {
                    return Err(mismatch(path, expected("an object", value)));
                };
                if let Some(required) = schema.get("required").and_then(Value::as_array) {
                    for name in required.iter().filter_map(Value::as_str) {
                        let read_only = self
                            .property(schema, name)
                            .map(|p| self.resolve(p))
                            .and_then(|p| p.get("readOnly"))
                            .and_then(Value::as_bool)
                            .unwrap_or(false);
                        if !read_only && object.get(name).is_none_or(Value::is_null) {
                            return Err(mismatch(
                                &join(path, name),
                                "this field is required".to_owned(),
                            ));
                        }
                    }
                }
                let properties = schema.get("properties").and_then(Value::as_object);
                let extra = schema.get("additionalProperties").filter(|s| s.is_object());
                for (name, field) in object {
                    // An explicit null clears or omits an optional field.
                    if field.is_null() {
                        continue;
                    }
                    let field_schema = properties.and_then(|p| p.get(name)).or(extra);
                    if let Some(field_schema) = field_schema {
                        let len = path.len();
                        push_field(path, name);
                        self.check(field, field_schema, path)?;
                        path.truncate(len);
                    }
                }
                Ok(())
            }
            Some("array") => {
                let Some(items) = value.as_array() else {
                    return Err(mismatch(path, expected("an array", value)));
                };
                if unique_items(schema) && has_duplicates(items) {
                    return Err(mismatch(path, "the items must be unique".to_owned()));
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        if item.is_null() {
                            continue;
                        }
                        let len = path.len();
                        path.push_str(&format!("[{i}]"));
                        self.check(item, item_schema, path)?;
                        path.truncate(len);
                    }
                }
                Ok(())
            }
            Some("string") if !value.is_string() => {
                Err(mismatch(path, expected("a string", value)))
            }
            Some("boolean") if !value.is_boolean() => {
                Err(mismatch(path, expected("a boolean", value)))
            }
            Some("integer") if !is_integer(value, schema.get("format")) => {
                let what = match schema.get("format").and_then(Value::as_str) {
                    Some("int32") => "a 32-bit integer",
                    _ => "a 64-bit integer",
                };
                Err(mismatch(path, expected(what, value)))
            }
            Some("number") if !value.is_number() => {
                Err(mismatch(path, expected("a number", value)))
            }
            _ => Ok(()),
        }
    }

    /// A schema-valid example of `schema`: required properties present,
    /// identifiers and `selfUri` filled, formats right (uuid, date-time,
    /// date), enums from the spec. Deterministic: the same `seed` gives the
    /// same value.
    pub(crate) fn example(&self, schema: &Value, seed: &str) -> Value {
        self.generate(schema, seed, 0)
    }

    fn generate(&self, schema: &Value, seed: &str, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|v| v.first())
        {
            return first.clone();
        }
        match kind(schema) {
            Some("object") if depth > HARD_DEPTH => Value::Object(Map::new()),
            Some("object") => {
                let mut out = Map::new();
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                    for (name, property) in properties {
                        let wanted = required.contains(&name.as_str())
                            || (depth < MAX_DEPTH
                                && (matches!(name.as_str(), "id" | "name" | "selfUri")
                                    || (depth == 0 && self.is_scalar(property))));
                        if wanted {
                            let value = self.generate_field(name, property, seed, depth + 1);
                            out.insert(name.clone(), value);
                        }
                    }
                }
                Value::Object(out)
            }
            Some("array") => {
                // A top-level list answer shows one item; nested lists stay empty.
                match schema.get("items") {
                    Some(items) if depth == 0 => {
                        Value::Array(vec![self.generate(items, seed, depth + 1)])
                    }
                    _ => Value::Array(Vec::new()),
                }
            }
            Some("string") => string_example(schema, seed),
            Some("integer") => Value::from(1),
            Some("number") => Value::from(1.5),
            Some("boolean") => Value::Bool(false),
            _ => Value::Object(Map::new()),
        }
    }

    fn generate_field(&self, name: &str, schema: &Value, seed: &str, depth: usize) -> Value {
        let resolved = self.resolve(schema);
        let plain_string = kind(resolved) == Some("string")
            && resolved.get("enum").is_none()
            && resolved.get("format").is_none();
        if plain_string && (name == "id" || name.ends_with("Id")) {
            return Value::String(crate::ids::uuid_from_seed(&format!("{seed}/{name}")));
        }
        if plain_string && name == "name" {
            return Value::String(format!("Emulated {}", short_seed(seed)));
        }
        if name == "selfUri" && kind(resolved) == Some("string") {
            return Value::String(format!("/api/v2/emulated/{}", short_seed(seed)));
        }
        self.generate(schema, &format!("{seed}/{name}"), depth)
    }

    fn is_scalar(&self, schema: &Value) -> bool {
        matches!(
            kind(self.resolve(schema)),
            Some("string" | "integer" | "number" | "boolean")
        )
    }

    /// Carries `value`'s fields over to `schema` by name: a field is kept
    /// when `schema` has a property of that name that the field's value
    /// fits; required properties still missing are filled with examples.
    /// A value that is not an object, or a schema that is not one, gives
    /// `value` itself when it fits and an example when it does not.
    pub(crate) fn project(&self, value: &Value, schema: &Value, seed: &str) -> Value {
        let resolved = self.resolve(schema);
        let (Some(object), Some(properties)) = (
            value.as_object(),
            resolved.get("properties").and_then(Value::as_object),
        ) else {
            return if self.validate(value, schema).is_ok() {
                value.clone()
            } else {
                self.example(schema, seed)
            };
        };
        let mut out = Map::new();
        for (name, field) in object {
            let Some(property) = properties.get(name).filter(|_| !field.is_null()) else {
                continue;
            };
            // A set in the target keeps one of each, as Genesys's decoding does.
            let field = match field.as_array() {
                Some(items) if unique_items(self.resolve(property)) => {
                    let mut unique: Vec<Value> = Vec::with_capacity(items.len());
                    for item in items {
                        if !unique.contains(item) {
                            unique.push(item.clone());
                        }
                    }
                    Value::Array(unique)
                }
                _ => field.clone(),
            };
            if self.fits(&field, property) {
                out.insert(name.clone(), field);
            }
        }
        if let Some(required) = resolved.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !out.contains_key(name)
                    && let Some(property) = properties.get(name)
                {
                    out.insert(
                        name.to_owned(),
                        self.generate_field(name, property, seed, 1),
                    );
                }
            }
        }
        Value::Object(out)
    }

    /// Whether `value` fits `schema` as an answer: like [`Self::validate`],
    /// and read-only required properties must be there too.
    pub(crate) fn fits(&self, value: &Value, schema: &Value) -> bool {
        self.validate(value, schema).is_ok() && self.complete(value, schema, 0)
    }

    fn complete(&self, value: &Value, schema: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return true;
        }
        let schema = self.resolve(schema);
        match (kind(schema), value) {
            (Some("object"), Value::Object(object)) => {
                let required_present =
                    schema
                        .get("required")
                        .and_then(Value::as_array)
                        .is_none_or(|r| {
                            r.iter()
                                .filter_map(Value::as_str)
                                .all(|name| object.get(name).is_some_and(|v| !v.is_null()))
                        });
                required_present
                    && object.iter().all(|(name, field)| {
                        self.property(schema, name)
                            .is_none_or(|p| field.is_null() || self.complete(field, p, depth + 1))
                    })
            }
            (Some("array"), Value::Array(items)) => schema
                .get("items")
                .is_none_or(|s| items.iter().all(|i| self.complete(i, s, depth + 1))),
            _ => true,
        }
    }
}

/// The schema's type; an untyped schema with properties is an object.
pub(crate) fn kind(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str).or_else(|| {
        schema
            .get("properties")
            .map(|_| "object")
            .or_else(|| schema.get("additionalProperties").map(|_| "object"))
    })
}

fn string_example(schema: &Value, seed: &str) -> Value {
    let text = match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => "2026-01-01T00:00:00.000Z".to_owned(),
        Some("local-date-time") => "2026-01-01T00:00:00.000".to_owned(),
        Some("date") => "2026-01-01".to_owned(),
        Some("year-month") => "2026-01".to_owned(),
        Some("uuid") => crate::ids::uuid_from_seed(seed),
        // Genesys sends paths in `format: uri` fields (`selfUri`, `nextUri`).
        Some("uri") => format!("/api/v2/emulated/{}", short_seed(seed)),
        _ => format!("example-{}", short_seed(seed)),
    };
    Value::String(text)
}

/// Eight hex digits of `seed`'s hash: short, stable, distinct enough.
fn short_seed(seed: &str) -> String {
    crate::ids::uuid_from_seed(seed)[..8].to_owned()
}

fn unique_items(schema: &Value) -> bool {
    schema.get("uniqueItems").and_then(Value::as_bool) == Some(true)
}

fn has_duplicates(items: &[Value]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, item)| items[..i].contains(item))
}

/// An integer that fits the format, as Genesys's (Java) decoding wants:
/// `1.0` and integers past 64 bits (which JSON parsers turn into floats)
/// are refused rather than stored as something else.
fn is_integer(value: &Value, format: Option<&Value>) -> bool {
    match format.and_then(Value::as_str) {
        Some("int32") => value.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        _ => value.is_i64() || value.is_u64(),
    }
}

fn expected(what: &str, value: &Value) -> String {
    let found = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    format!("expected {what}, found {found}")
}

/// A value for a message, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}...", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn push_field(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::generic::digest::digest;

    fn schemas() -> Schemas<'static> {
        Schemas::new(&digest().definitions)
    }

    fn queue() -> Value {
        json!({"$ref": "Queue"})
    }

    #[test]
    fn a_wrong_type_names_the_nested_field() {
        let body = json!({"name": "Support", "queueFlow": {"id": 7}});
        let err = schemas()
            .validate(&body, &json!({"$ref": "CreateQueueRequest"}))
            .unwrap_err();
        assert_eq!(err.field, "queueFlow.id");
        assert!(err.problem.contains("expected a string"), "{err:?}");
    }

    #[test]
    fn a_missing_required_property_is_named() {
        let err = schemas()
            .validate(
                &json!({"description": "x"}),
                &json!({"$ref": "CreateQueueRequest"}),
            )
            .unwrap_err();
        assert_eq!(err.field, "name");
        assert_eq!(err.problem, "this field is required");
    }

    #[test]
    fn enums_and_arrays_are_checked_with_their_index() {
        let schema = json!({"type": "object", "properties": {
            "list": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}
        }});
        let err = schemas()
            .validate(&json!({"list": ["a", "z"]}), &schema)
            .unwrap_err();
        assert_eq!(err.field, "list[1]");
        assert!(err.problem.contains("\"z\""), "{err:?}");
        assert!(schemas().validate(&json!({"list": ["b"]}), &schema).is_ok());
    }

    #[test]
    fn definitions_that_require_each_other_still_give_an_answer() {
        let definitions = json!({
            "A": {"type": "object", "required": ["b"], "properties": {"b": {"$ref": "B"}}},
            "B": {"type": "object", "required": ["a"], "properties": {"a": {"$ref": "A"}}}
        });
        let definitions = definitions.as_object().unwrap();
        let value = Schemas::new(definitions).example(&json!({"$ref": "A"}), "cycle");
        assert!(value["b"]["a"]["b"].is_object(), "{value}");
    }

    #[test]
    fn a_set_keeps_one_of_each_when_carried_over() {
        let s = schemas();
        let target = json!({"type": "object", "properties": {
            "roleIds": {"type": "array", "uniqueItems": true, "items": {"type": "string"}}
        }});
        let carried = s.project(&json!({"roleIds": ["a", "b", "a"]}), &target, "x");
        assert_eq!(carried["roleIds"], json!(["a", "b"]));
        let err = s
            .validate(&json!({"roleIds": ["a", "a"]}), &target)
            .unwrap_err();
        assert_eq!(err.field, "roleIds");
    }

    #[test]
    fn integers_must_fit_their_format() {
        let schema = json!({"type": "object", "properties": {
            "small": {"type": "integer", "format": "int32"},
            "big": {"type": "integer", "format": "int64"}
        }});
        let s = schemas();
        assert!(
            s.validate(&json!({"small": 7, "big": 1_i64 << 40}), &schema)
                .is_ok()
        );
        let err = s
            .validate(&json!({"small": 1_i64 << 40}), &schema)
            .unwrap_err();
        assert_eq!(err.field, "small");
        let huge: Value =
            serde_json::from_str(r#"{"big": 88412061190563330000000000000000000}"#).unwrap();
        assert_eq!(s.validate(&huge, &schema).unwrap_err().field, "big");
        assert!(s.validate(&json!({"big": 1.0}), &schema).is_err());
    }

    #[test]
    fn examples_fit_their_schema_and_are_deterministic() {
        let s = schemas();
        for name in [
            "Queue",
            "User",
            "CallConversation",
            "WrapupCode",
            "Campaign",
        ] {
            let schema = json!({"$ref": name});
            let value = s.example(&schema, name);
            assert!(s.fits(&value, &schema), "{name}: {value}");
            assert_eq!(value, s.example(&schema, name));
        }
        let queue = s.example(&queue(), "q");
        assert_eq!(queue["id"].as_str().unwrap().len(), 36);
        assert!(queue["dateCreated"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn projection_keeps_fields_that_fit_by_name() {
        let s = schemas();
        let body = json!({"name": "Support", "description": "d", "notAQueueField": 1,
                          "queueFlow": {"id": "f1"}});
        let queue = s.project(&body, &queue(), "seed");
        assert_eq!(queue["name"], "Support");
        assert_eq!(queue["description"], "d");
        assert!(queue.get("notAQueueField").is_none());
        assert!(s.fits(&queue, &self::queue()));
    }
}
