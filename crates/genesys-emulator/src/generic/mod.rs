//! Spec-driven answers for every operation the emulator does not
//! hand-implement.
//!
//! The rules, in order:
//! - authentication and the catalogue's rules, as for hand-written routes:
//!   401 without a valid token (public operations need none), 400
//!   `not.a.user` for a client's token on an operation that needs a user,
//!   403 `missing.permissions`/`missing.any.permissions` naming what
//!   `x-inin-requires-permissions` asks for;
//! - request checks: path and query parameters of integer, number and
//!   boolean type parse, required query parameters are there, and the body
//!   fits its definition (400 `bad.request`, `details[0].fieldName` naming
//!   the field); query enums are not enforced, as Genesys often is lenient;
//! - state: collections derived from the paths ([`resources`]) keep what is
//!   created in them;
//! - everything else answers its documented success status with a
//!   schema-valid, deterministic body ([`schema::Schemas::example`]).

pub(crate) mod digest;
mod resources;
mod schema;

use genesys_model::catalogue::{self, HttpMethod, Operation, ParameterLocation, Security};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::api::{ApiResult, Call};
use crate::errors::{ApiError, MSG_BAD_REQUEST, field_detail};
use crate::http::{empty, json};
use crate::server::Req;
use crate::state::Shared;

pub(crate) use resources::Resources;
use resources::Role;
use schema::{Mismatch, Schemas};

/// The spec operation a request is for, when there is one.
pub(crate) fn find(req: &Req) -> Option<&'static Operation> {
    let method = match req.method {
        Method::GET => HttpMethod::Get,
        Method::HEAD => HttpMethod::Head,
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        _ => return None,
    };
    catalogue::find(method, &req.path)
}

/// Whether `op` is answered without a token (`security: []` in the spec).
pub(crate) fn is_public(op: &Operation) -> bool {
    op.security == Security::Public
}

/// Answers `op`; `call` is the authenticated caller (`None` for a public
/// operation called without a token).
pub(crate) fn handle(
    shared: &Shared,
    req: &Req,
    call: Option<&Call<'_>>,
    op: &'static Operation,
) -> ApiResult {
    if let Some(call) = call {
        crate::api::authorize(call, op.id)?;
    }
    let digest = digest::digest();
    let Some(spec) = digest.operations.get(op.id) else {
        return Err(ApiError::not_found());
    };
    let schemas = Schemas::new(&digest.definitions);
    let path = req.path.trim_end_matches('/');
    let path_params = path_parameters(op.path, path);
    let query = query_pairs(req);
    check_parameters(op, &path_params, &query)?;
    let body = match &spec.body {
        Some(body_schema) => read_body(req, op, body_schema, &schemas)?,
        None => None,
    };
    let (status, answer_schema) = spec.success();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let answer = |value: &Value, seed: &str| match answer_schema {
        Some(schema) => json(status, &schemas.project(value, schema, seed)),
        None => empty(status),
    };
    let entity_schema = |item: Option<&str>| {
        item.and_then(|id| digest.operations.get(id))
            .and_then(|o| o.response_schema())
            .or_else(|| spec.response_schema())
    };
    let now = crate::api::dt(shared.clock.now()).to_string();
    match resources::role(op) {
        Role::Create { item } => {
            let body = body.unwrap_or_else(|| Value::Object(Map::new()));
            let mut collections = shared.resources.lock();
            let collection = collections.entry(path.to_owned()).or_default();
            collection.created += 1;
            let id = crate::ids::uuid_from_seed(&format!("{path}#{}", collection.created));
            let schema = entity_schema(item);
            let mut entity = match schema {
                Some(schema) => schemas.project(&body, schema, &id),
                None => body,
            };
            stamp(
                &schemas,
                schema,
                &mut entity,
                &[
                    ("id", Value::String(id.clone())),
                    ("selfUri", Value::String(format!("{path}/{id}"))),
                    ("version", Value::from(1)),
                    ("dateCreated", Value::String(now.clone())),
                    ("dateModified", Value::String(now)),
                ],
            );
            collection.entities.push((id.clone(), entity.clone()));
            Ok(answer(&entity, &id))
        }
        Role::List => {
            let collections = shared.resources.lock();
            let entities: Vec<Value> = collections
                .get(path)
                .map(|c| c.entities.iter().map(|(_, e)| e.clone()).collect())
                .unwrap_or_default();
            drop(collections);
            Ok(match answer_schema {
                Some(schema) => json(
                    status,
                    &listing(&schemas, op, schema, &entities, path, &query),
                ),
                None => empty(status),
            })
        }
        Role::Read => {
            let (collection, id) = split_item(path, &path_params);
            let collections = shared.resources.lock();
            let entity = collections
                .get(collection)
                .and_then(|c| c.get(&id))
                .cloned()
                .ok_or_else(ApiError::not_found)?;
            drop(collections);
            Ok(answer(&entity, &id))
        }
        Role::Replace { item } | Role::Update { item } => {
            let (collection, id) = split_item(path, &path_params);
            let body = body.unwrap_or_else(|| Value::Object(Map::new()));
            let schema = entity_schema(item);
            let mut collections = shared.resources.lock();
            let entity = collections
                .get_mut(collection)
                .and_then(|c| c.get_mut(&id))
                .ok_or_else(ApiError::not_found)?;
            let kept = |name: &str| entity.get(name).cloned();
            let version = kept("version").and_then(|v| v.as_i64()).unwrap_or(0) + 1;
            let mut updated = if matches!(resources::role(op), Role::Replace { .. }) {
                let mut replaced = match schema {
                    Some(schema) => schemas.project(&body, schema, &id),
                    None => body,
                };
                for name in ["id", "selfUri", "dateCreated"] {
                    if let (Some(object), Some(value)) = (replaced.as_object_mut(), kept(name)) {
                        object.insert(name.to_owned(), value);
                    }
                }
                replaced
            } else {
                let mut merged = entity.clone();
                merge(&schemas, schema, &mut merged, &body);
                merged
            };
            stamp(
                &schemas,
                schema,
                &mut updated,
                &[
                    ("version", Value::from(version)),
                    ("dateModified", Value::String(now)),
                ],
            );
            *entity = updated.clone();
            drop(collections);
            Ok(answer(&updated, &id))
        }
        Role::Delete => {
            let (collection, id) = split_item(path, &path_params);
            let mut collections = shared.resources.lock();
            if !resources::remove(&mut collections, collection, &id) {
                return Err(ApiError::not_found());
            }
            drop(collections);
            Ok(match answer_schema {
                Some(schema) => json(status, &schemas.example(schema, path)),
                None => empty(status),
            })
        }
        Role::Other => Ok(match answer_schema {
            Some(schema) => json(status, &schemas.example(schema, path)),
            None => empty(status),
        }),
    }
}

/// The collection path and the (decoded) id of an item request.
fn split_item<'p>(path: &'p str, params: &[String]) -> (&'p str, String) {
    let (collection, raw_id) = path.rsplit_once('/').unwrap_or((path, ""));
    let id = params.last().cloned().unwrap_or_else(|| raw_id.to_owned());
    (collection, id)
}

/// Sets the properties the entity's schema has (all of them when there is
/// no schema) to the given values, when they fit.
fn stamp(
    schemas: &Schemas<'_>,
    schema: Option<&Value>,
    entity: &mut Value,
    fields: &[(&str, Value)],
) {
    let Some(object) = entity.as_object_mut() else {
        return;
    };
    for (name, value) in fields {
        let fits = match schema {
            None => *name == "id",
            Some(schema) => schemas
                .property(schema, name)
                .is_some_and(|p| schemas.validate(value, p).is_ok()),
        };
        if fits {
            object.insert((*name).to_owned(), value.clone());
        }
    }
}

/// PATCH: sets the body's fields that the entity's schema has (all of
/// them without a schema); an explicit `null` removes a field.
fn merge(schemas: &Schemas<'_>, schema: Option<&Value>, entity: &mut Value, body: &Value) {
    let (Some(object), Some(changes)) = (entity.as_object_mut(), body.as_object()) else {
        return;
    };
    for (name, value) in changes {
        if matches!(name.as_str(), "id" | "selfUri") {
            continue;
        }
        if value.is_null() {
            object.remove(name);
            continue;
        }
        let fits = match schema {
            None => true,
            Some(schema) => schemas
                .property(schema, name)
                .is_some_and(|p| schemas.fits(value, p)),
        };
        if fits {
            object.insert(name.clone(), value.clone());
        }
    }
}

/// A listing answer of the stored entities: pages by `pageNumber` and
/// `pageSize` when the operation does, else one page with everything.
fn listing(
    schemas: &Schemas<'_>,
    op: &Operation,
    schema: &Value,
    entities: &[Value],
    path: &str,
    query: &[(String, String)],
) -> Value {
    let resolved = schemas.resolve(schema);
    if schema::kind(resolved) == Some("array") {
        let items = resolved.get("items").unwrap_or(&Value::Null);
        return Value::Array(
            entities
                .iter()
                .map(|e| schemas.project(e, items, path))
                .collect(),
        );
    }
    let Some(properties) = resolved.get("properties").and_then(Value::as_object) else {
        return schemas.example(schema, path);
    };
    let list_field = ["entities", "results", "Resources", "items"]
        .into_iter()
        .find(|name| properties.contains_key(*name))
        .or_else(|| {
            properties
                .iter()
                .find(|(_, p)| schema::kind(schemas.resolve(p)) == Some("array"))
                .map(|(name, _)| name.as_str())
        });
    let Some(list_field) = list_field else {
        return schemas.example(schema, path);
    };
    let items_schema = properties[list_field].get("items").unwrap_or(&Value::Null);
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let pages_by_number = op.parameter("pageNumber").is_some();
    let total = entities.len();
    let (page_size, page_number) = if pages_by_number {
        (
            param("pageSize").unwrap_or(25).clamp(1, 10_000),
            param("pageNumber").unwrap_or(1).max(1),
        )
    } else {
        (total.max(1), 1)
    };
    let page_count = total.div_ceil(page_size).max(1);
    let start = (page_number - 1).saturating_mul(page_size).min(total);
    let end = (start + page_size).min(total);
    let page: Vec<Value> = entities[start..end]
        .iter()
        .map(|e| schemas.project(e, items_schema, path))
        .collect();
    let mut out = Map::new();
    out.insert(list_field.to_owned(), Value::Array(page));
    let others: String = query
        .iter()
        .filter(|(k, _)| k != "pageNumber" && k != "pageSize")
        .map(|(k, v)| {
            form_urlencoded::Serializer::new(String::new())
                .append_pair(k, v)
                .finish()
                + "&"
        })
        .collect();
    let uri = |n: usize| format!("{path}?{others}pageSize={page_size}&pageNumber={n}");
    let mut fields: Vec<(&str, Value)> = vec![
        ("total", Value::from(total)),
        ("totalResults", Value::from(total)),
    ];
    if pages_by_number {
        fields.extend([
            ("pageSize", Value::from(page_size)),
            ("pageNumber", Value::from(page_number)),
            ("pageCount", Value::from(page_count)),
            ("selfUri", Value::String(uri(page_number))),
            ("firstUri", Value::String(uri(1))),
            ("lastUri", Value::String(uri(page_count))),
        ]);
        if page_number < page_count {
            fields.push(("nextUri", Value::String(uri(page_number + 1))));
        }
        if page_number > 1 {
            fields.push(("previousUri", Value::String(uri(page_number - 1))));
        }
    }
    for (name, value) in fields {
        if properties
            .get(name)
            .is_some_and(|p| schemas.validate(&value, p).is_ok())
        {
            out.insert(name.to_owned(), value);
        }
    }
    schemas.project(&Value::Object(out), schema, path)
}

/// The template's parameter values in `path`, percent-decoded, in order.
fn path_parameters(template: &str, path: &str) -> Vec<String> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter(|(t, _)| t.starts_with('{'))
        .map(|(_, p)| crate::routes::percent_decode(p))
        .collect()
}

fn query_pairs(req: &Req) -> Vec<(String, String)> {
    req.query
        .as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Path and query parameters: numbers and booleans parse, required query
/// parameters are present.
fn check_parameters(
    op: &Operation,
    path_params: &[String],
    query: &[(String, String)],
) -> Result<(), ApiError> {
    let mut path_values = path_params.iter();
    for param in op.parameters {
        match param.location {
            ParameterLocation::Path => {
                if let Some(value) = path_values.next() {
                    check_value(param.name, param.schema, value)?;
                }
            }
            ParameterLocation::Query => {
                let mut values = query.iter().filter(|(k, _)| k == param.name).peekable();
                if param.required && values.peek().is_none() {
                    return Err(ApiError::bad_request(
                        format!(
                            "{MSG_BAD_REQUEST} The query parameter {} is required.",
                            param.name
                        ),
                        vec![field_detail(
                            "missing.required.parameter",
                            Some(param.name.to_owned()),
                        )],
                    ));
                }
                for (_, value) in values {
                    // Arrays come as repeated or comma-joined values.
                    for part in value
                        .split(',')
                        .filter(|_| param.schema.starts_with("array"))
                    {
                        check_value(param.name, param.schema, part)?;
                    }
                    if !param.schema.starts_with("array") {
                        check_value(param.name, param.schema, value)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks one parameter value against its catalogue type (`integer(int32)`,
/// `array<number>`, `boolean`, ...).
fn check_value(name: &str, schema: &str, value: &str) -> Result<(), ApiError> {
    let scalar = schema
        .strip_prefix("array<")
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(schema);
    let base = scalar.split('(').next().unwrap_or(scalar);
    let ok = match base {
        "integer" => value.trim().parse::<i64>().is_ok(),
        "number" => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        "boolean" => matches!(value.trim(), "true" | "false"),
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(ApiError::bad_request(
        format!("{MSG_BAD_REQUEST} The value [{value}] of {name} is not a valid {base}."),
        vec![field_detail("invalid.value", Some(name.to_owned()))],
    ))
}

/// Reads and checks the body: JSON media type, well-formed, fits its
/// definition. `None` when there is no body and it is optional.
fn read_body(
    req: &Req,
    op: &Operation,
    schema: &Value,
    schemas: &Schemas<'_>,
) -> Result<Option<Value>, ApiError> {
    let required = op
        .parameters
        .iter()
        .any(|p| p.location == ParameterLocation::Body && p.required);
    if req.body_is_blank() {
        return if required {
            Err(crate::api::body_required())
        } else {
            Ok(None)
        };
    }
    crate::api::require_json(req)?;
    let value: Value = serde_json::from_slice(&req.body).map_err(|e| {
        ApiError::bad_request(
            format!("{MSG_BAD_REQUEST} {e}"),
            vec![field_detail("bad.request", None)],
        )
    })?;
    schemas
        .validate(&value, schema)
        .map_err(|Mismatch { field, problem }| {
            let shown = if field.is_empty() {
                "the body"
            } else {
                field.as_str()
            };
            let code = if problem == "this field is required" {
                "missing.required.field"
            } else {
                "invalid.value"
            };
            ApiError::bad_request(
                format!("{MSG_BAD_REQUEST} {shown}: {problem}"),
                vec![field_detail(
                    code,
                    (!field.is_empty()).then_some(field.clone()),
                )],
            )
        })?;
    Ok(Some(value))
}
