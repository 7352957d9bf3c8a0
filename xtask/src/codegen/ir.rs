//! The generator's own model of the API: named types, enums, feature gates
//! and operations, resolved from the spec and ready to emit.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use heck::ToUpperCamelCase;

use super::names::{self, Namespace};
use super::spec::{Parameter, Schema, Spec, SpecOperation};

/// Which cargo features compile an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Every tag needs it: always compiled.
    Always,
    /// Compiled when any of these tag features is on.
    Features(BTreeSet<String>),
    /// No operation references it: compiled with `full` only.
    Full,
}

/// A field's Rust type. Every field is wrapped in `Option` when emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    I32,
    I64,
    F32,
    F64,
    Bool,
    DateTime,
    Date,
    LocalDateTime,
    /// Free-form JSON.
    Json,
    /// A generated struct, by Rust name.
    Model(String),
    /// A generated enum, by Rust name.
    Enum(String),
    Vec(Box<Ty>),
    Map(Box<Ty>),
    /// A nested model, boxed: every direct model field is one pointer
    /// (the lean layout; `Vec` and map items are on the heap already).
    Boxed(Box<Ty>),
}

impl Ty {
    /// Whether decoding should accept numbers and booleans sent as strings.
    pub fn is_lenient(&self) -> bool {
        match self {
            Ty::I32 | Ty::I64 | Ty::F32 | Ty::F64 | Ty::Bool => true,
            Ty::Vec(inner) | Ty::Map(inner) => inner.is_lenient(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub json: String,
    pub rust: String,
    pub ty: Ty,
    pub doc: Option<String>,
    pub required: bool,
    pub read_only: bool,
}

/// Which document a definition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The REST API's spec.
    Rest,
    /// The notification service's document (event bodies).
    Notifications,
}

#[derive(Debug, Clone)]
pub struct ModelDef {
    pub name: String,
    pub spec_name: String,
    pub doc: Option<String>,
    pub fields: Vec<FieldDef>,
    pub gate: Gate,
    pub origin: Origin,
    /// Structurally identical to this (canonical) model: emitted as a type
    /// alias rather than compiled twice.
    pub alias_of: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    /// The model that owns the property, for placement and docs.
    pub owner: String,
    pub json_property: String,
    pub doc: Option<String>,
    /// (variant, wire value), in spec order.
    pub variants: Vec<(String, String)>,
    pub gate: Gate,
    /// The canonical enum, when the owner is an alias.
    pub alias_of: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ParamDef {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub schema: String,
    pub enum_values: Vec<String>,
    /// `multi` repeats an array parameter; otherwise arrays are comma-joined.
    pub collection_format: Option<String>,
    /// The Rust type of a non-body parameter.
    pub ty: ParamTy,
    pub description: Option<String>,
}

/// The Rust type of a path, query or header parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamTy {
    Str,
    I32,
    I64,
    F64,
    Bool,
    DateTime,
    Date,
    List(Box<ParamTy>),
    /// Bodies and anything unusual travel as JSON text.
    Json,
}

impl ParamTy {
    fn of(schema: &Schema) -> ParamTy {
        match (schema.kind.as_deref(), schema.format.as_deref()) {
            (Some("string"), Some("date-time")) => ParamTy::DateTime,
            (Some("string"), Some("date")) => ParamTy::Date,
            (Some("string"), _) => ParamTy::Str,
            (Some("integer"), Some("int32")) => ParamTy::I32,
            (Some("integer"), _) => ParamTy::I64,
            (Some("number"), _) => ParamTy::F64,
            (Some("boolean"), _) => ParamTy::Bool,
            (Some("array"), _) => match &schema.items {
                Some(items) if items.kind.as_deref() != Some("array") => {
                    ParamTy::List(Box::new(ParamTy::of(items)))
                }
                _ => ParamTy::List(Box::new(ParamTy::Str)),
            },
            _ => ParamTy::Json,
        }
    }
}

/// A request or response body type, as Rust source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyTy {
    /// e.g. `genesys_model::CreateCallRequest`, `Vec<genesys_model::User>`.
    pub rust: String,
    /// A generated model, which can check its required fields.
    pub is_model: bool,
}

#[derive(Debug, Clone)]
pub enum SecurityDef {
    Unknown,
    Public,
    OAuth(Vec<String>),
    ApiKey(String),
}

#[derive(Debug, Clone)]
pub struct OperationDef {
    pub id: String,
    pub tags: Vec<String>,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub params: Vec<ParamDef>,
    pub body_type: Option<String>,
    pub response_type: Option<String>,
    pub body_rust: Option<BodyTy>,
    pub response_rust: Option<BodyTy>,
    pub description: String,
    pub success: Vec<u16>,
    /// ("ANY" | "ALL", permissions)
    pub permissions: Option<(String, Vec<String>)>,
    pub security: SecurityDef,
    pub deprecated: bool,
    pub preview: bool,
    pub errors: Vec<(u16, Vec<(String, String)>)>,
    pub requires_user_context: bool,
}

/// The title, version and SHA-256 of an input document.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub title: String,
    pub version: String,
    pub sha256: String,
}

/// Everything the emitters need.
#[derive(Debug)]
pub struct Ir {
    pub title: String,
    pub version: String,
    pub sha256: String,
    /// The notifications document, when one was read.
    pub notifications: Option<SourceInfo>,
    pub models: Vec<ModelDef>,
    pub enums: Vec<EnumDef>,
    /// feature name → tag
    pub features: BTreeMap<String, String>,
    pub operations: Vec<OperationDef>,
    /// The notification topics, sorted by pattern.
    pub topics: Vec<super::topics::TopicDef>,
    /// topic feature → topic family (`topics-users` → `users`).
    pub topic_features: BTreeMap<String, String>,
    /// How many definitions are type aliases of a structurally identical one.
    pub aliases: usize,
}

/// The error code Genesys returns to client-credentials tokens on
/// operations that need a user.
const NOT_A_USER: &str = "not.a.user";

impl Ir {
    /// The IR of a REST spec alone.
    #[cfg(test)]
    pub fn build(spec: &Spec, sha256: String) -> anyhow::Result<Self> {
        Self::build_with(spec, sha256, None)
    }

    /// The IR of a REST spec and, optionally, the notification service's
    /// document (its event bodies, topics and topic features).
    pub fn build_with(
        spec: &Spec,
        sha256: String,
        notifications: Option<(&Spec, String)>,
    ) -> anyhow::Result<Self> {
        let operations = spec.operations()?;

        // Type names: REST definitions first, in name order, so enums never
        // take a definition's name and the REST names never depend on the
        // notifications document.
        let mut types = Namespace::default();
        let rest_names = claim_type_names(&mut types, spec, None);
        let event_names = notifications
            .as_ref()
            .map(|(events, _)| claim_type_names(&mut types, events, Some((spec, &rest_names))));

        let gates = compute_gates(spec, &operations)?;
        let mut models = Vec::new();
        let mut enums = Vec::new();
        build_models(
            spec,
            &rest_names,
            Origin::Rest,
            &gates,
            &mut types,
            &mut models,
            &mut enums,
        )?;
        let mut topics = Vec::new();
        let mut topic_features = BTreeMap::new();
        let mut aliases = 0;
        if let (Some((events, _)), Some(event_names)) = (&notifications, &event_names) {
            build_models(
                events,
                event_names,
                Origin::Notifications,
                &BTreeMap::new(),
                &mut types,
                &mut models,
                &mut enums,
            )?;
            // A measurement knob (crates/genesys-bench/event-compile-cost.sh):
            // generate every event model as its own struct.
            if std::env::var_os(super::dedup::NO_ALIASES_ENV).is_none() {
                aliases = super::dedup::alias_structural_duplicates(&mut models, &mut enums);
            }
            topics = super::topics::build_topics(events, event_names, &models)?;
            topic_features = super::topics::topic_features(&topics);
            super::topics::gate_event_models(&topics, &mut models, &mut enums);
        }
        models.sort_by(|a, b| a.spec_name.cmp(&b.spec_name).then(a.origin.cmp(&b.origin)));

        let mut features = BTreeMap::new();
        for operation in &operations {
            for tag in &operation.op.tags {
                features.insert(names::feature_name(tag), tag.clone());
            }
        }

        let mut ops = Vec::new();
        for o in &operations {
            ops.push(build_operation(
                &o.method,
                &o.path,
                &o.op,
                &o.params,
                &rest_names,
            )?);
        }
        ops.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = ops.windows(2).find(|w| w[0].id == w[1].id) {
            anyhow::bail!(
                "operationId `{}` is used by both {} {} and {} {}",
                w[0].id,
                w[0].method,
                w[0].path,
                w[1].method,
                w[1].path
            );
        }

        Ok(Ir {
            title: spec.info.title.clone(),
            version: spec.info.version.clone(),
            sha256,
            notifications: notifications.map(|(events, sha)| SourceInfo {
                title: events.info.title.clone(),
                version: events.info.version.clone(),
                sha256: sha,
            }),
            models,
            enums,
            features,
            operations: ops,
            topics,
            topic_features,
            aliases,
        })
    }
}

/// Rust type names for a document's definitions, in name order. A
/// notification definition that the REST spec also has, with the same
/// schema, is the REST type (it is not generated twice).
fn claim_type_names<'a>(
    types: &mut Namespace,
    spec: &'a Spec,
    rest: Option<(&Spec, &BTreeMap<&str, String>)>,
) -> BTreeMap<&'a str, String> {
    let mut sorted: Vec<&String> = spec.definitions.keys().collect();
    sorted.sort();
    sorted
        .into_iter()
        .map(|spec_name| {
            let shared = rest.and_then(|(rest_spec, rest_names)| {
                let same = rest_spec
                    .definitions
                    .get(spec_name.as_str())
                    .is_some_and(|r| {
                        format!("{r:?}") == format!("{:?}", spec.definitions[spec_name])
                    });
                same.then(|| rest_names[spec_name.as_str()].clone())
            });
            let name = shared.unwrap_or_else(|| types.claim(&names::type_name(spec_name), ""));
            (spec_name.as_str(), name)
        })
        .collect()
}

/// The models (and the enums they own) of one document's definitions,
/// skipping definitions that are another document's type.
fn build_models(
    spec: &Spec,
    def_names: &BTreeMap<&str, String>,
    origin: Origin,
    gates: &BTreeMap<String, Gate>,
    types: &mut Namespace,
    models: &mut Vec<ModelDef>,
    enums: &mut Vec<EnumDef>,
) -> anyhow::Result<()> {
    let generated: BTreeSet<&str> = models.iter().map(|m| m.name.as_str()).collect();
    let mut sorted_defs: Vec<&String> = spec.definitions.keys().collect();
    sorted_defs.sort();
    let mut out = Vec::new();
    for spec_name in sorted_defs {
        let name = def_names[spec_name.as_str()].clone();
        if generated.contains(name.as_str()) {
            continue; // shared with the REST spec: already a model
        }
        let schema = &spec.definitions[spec_name.as_str()];
        let gate = gates.get(spec_name.as_str()).cloned().unwrap_or(Gate::Full);
        let mut fields_ns = Namespace::default();
        fields_ns.reserve(names::UNKNOWN_FIELDS);
        fields_ns.reserve(names::EXPLICIT_NULLS);
        let mut fields = Vec::new();
        for (json, prop) in &schema.properties {
            let rust = fields_ns.claim(&names::field_name(json), "_");
            let mut ctx = TyContext {
                def_names,
                types,
                enums,
                owner: &name,
                json_property: json,
                gate: &gate,
            };
            let mut ty = ctx
                .resolve(prop)
                .with_context(|| format!("definition {spec_name}, property {json}"))?;
            // The lean layout: a nested model is one pointer, so a struct
            // does not carry its (mostly absent) nested objects inline, and
            // recursive definitions need no special case.
            if matches!(ty, Ty::Model(_)) {
                ty = Ty::Boxed(Box::new(ty));
            }
            fields.push(FieldDef {
                json: json.clone(),
                rust,
                ty,
                doc: prop.description.clone(),
                required: schema.required.contains(json),
                read_only: prop.read_only,
            });
        }
        out.push(ModelDef {
            name,
            spec_name: spec_name.to_string(),
            doc: schema.description.clone(),
            fields,
            gate,
            origin,
            alias_of: None,
        });
    }
    models.extend(out);
    Ok(())
}

struct TyContext<'a> {
    def_names: &'a BTreeMap<&'a str, String>,
    types: &'a mut Namespace,
    enums: &'a mut Vec<EnumDef>,
    owner: &'a str,
    json_property: &'a str,
    gate: &'a Gate,
}

impl TyContext<'_> {
    fn resolve(&mut self, schema: &Schema) -> anyhow::Result<Ty> {
        if let Some(target) = schema.ref_name() {
            let name = self
                .def_names
                .get(target)
                .with_context(|| format!("`$ref` to unknown definition `{target}`"))?;
            return Ok(Ty::Model(name.clone()));
        }
        if let Some(values) = string_enum_values(schema) {
            return Ok(Ty::Enum(self.define_enum(schema, values)));
        }
        Ok(match schema.kind.as_deref() {
            Some("string") => match schema.format.as_deref() {
                Some("date-time") => Ty::DateTime,
                Some("date") => Ty::Date,
                Some("local-date-time") => Ty::LocalDateTime,
                _ => Ty::String,
            },
            Some("integer") => match schema.format.as_deref() {
                Some("int32") => Ty::I32,
                _ => Ty::I64,
            },
            Some("number") => match schema.format.as_deref() {
                Some("float") => Ty::F32,
                _ => Ty::F64,
            },
            Some("boolean") => Ty::Bool,
            Some("array") => match &schema.items {
                Some(items) => Ty::Vec(Box::new(self.resolve(items)?)),
                None => Ty::Vec(Box::new(Ty::Json)),
            },
            Some("object") | None => match schema.map_values() {
                Some(Some(values)) => Ty::Map(Box::new(self.resolve(values)?)),
                Some(None) => Ty::Map(Box::new(Ty::Json)),
                None => Ty::Json,
            },
            Some(other) => anyhow::bail!("unsupported schema type `{other}`"),
        })
    }

    fn define_enum(&mut self, schema: &Schema, values: Vec<String>) -> String {
        let base = format!("{}{}", self.owner, self.json_property.to_upper_camel_case());
        let name = if self.types.reserve(&base) {
            base
        } else {
            self.types.claim(&format!("{base}Enum"), "")
        };
        let mut variants_ns = Namespace::default();
        variants_ns.reserve("Unrecognized");
        let mut seen = BTreeSet::new();
        let variants = values
            .into_iter()
            .filter(|v| seen.insert(v.clone()))
            .map(|v| (variants_ns.claim(&names::variant_name(&v), ""), v))
            .collect();
        self.enums.push(EnumDef {
            name: name.clone(),
            owner: self.owner.to_owned(),
            json_property: self.json_property.to_owned(),
            doc: schema.description.clone(),
            variants,
            gate: self.gate.clone(),
            alias_of: None,
        });
        name
    }
}

/// The values of a string enum; other enums (integer, boolean) stay plain.
fn string_enum_values(schema: &Schema) -> Option<Vec<String>> {
    if schema.kind.as_deref() != Some("string") {
        return None;
    }
    let values = schema.enum_values.as_ref()?;
    let strings: Vec<String> = values
        .iter()
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    (!strings.is_empty()).then_some(strings)
}

/// For each definition, the tag features whose operations reach it.
fn compute_gates(
    spec: &Spec,
    operations: &[SpecOperation],
) -> anyhow::Result<BTreeMap<String, Gate>> {
    let mut refs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, schema) in &spec.definitions {
        let entry = refs.entry(name.as_str()).or_default();
        schema.visit_refs(&mut |r| {
            entry.insert(r);
        });
    }
    let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut all_features = BTreeSet::new();
    for SpecOperation { op, params, .. } in operations {
        let features: BTreeSet<String> = op.tags.iter().map(|t| names::feature_name(t)).collect();
        all_features.extend(features.iter().cloned());
        let mut stack: Vec<&str> = Vec::new();
        for p in params {
            if let Some(schema) = &p.schema {
                schema.visit_refs(&mut |r| stack.push(r));
            }
            p.inline.visit_refs(&mut |r| stack.push(r));
        }
        for response in op.responses.values() {
            if let Some(schema) = &response.schema {
                schema.visit_refs(&mut |r| stack.push(r));
            }
        }
        let mut seen = BTreeSet::new();
        while let Some(name) = stack.pop() {
            if !seen.insert(name) {
                continue;
            }
            anyhow::ensure!(
                spec.definitions.contains_key(name),
                "operation {} refers to unknown definition `{name}`",
                op.operation_id
            );
            if let Some(next) = refs.get(name) {
                stack.extend(next.iter().copied());
            }
        }
        for name in seen {
            reached
                .entry(name.to_owned())
                .or_default()
                .extend(features.iter().cloned());
        }
    }
    Ok(reached
        .into_iter()
        .map(|(name, features)| {
            let gate = if features == all_features {
                Gate::Always
            } else {
                Gate::Features(features)
            };
            (name, gate)
        })
        .collect())
}

fn build_operation(
    method: &str,
    path: &str,
    op: &super::spec::Operation,
    params: &[Parameter],
    def_names: &BTreeMap<&str, String>,
) -> anyhow::Result<OperationDef> {
    let type_of = |schema: &Schema| render_type(schema, def_names, Spelling::Catalogue);

    let op_params = params;
    let params: Vec<ParamDef> = params
        .iter()
        .map(|p| {
            let schema = p.schema.as_ref().unwrap_or(&p.inline);
            ParamDef {
                name: p.name.clone(),
                location: p.location.clone(),
                required: p.required || p.location == "path",
                schema: param_schema(schema, def_names),
                collection_format: p.collection_format.clone(),
                ty: ParamTy::of(schema),
                description: p.inline.description.clone(),
                enum_values: schema
                    .enum_values
                    .iter()
                    .chain(schema.items.as_ref().and_then(|i| i.enum_values.as_ref()))
                    .flatten()
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
            }
        })
        .collect();
    let body_type = op_params
        .iter()
        .find(|p| p.location == "body")
        .map(|p| type_of(p.schema.as_ref().unwrap_or(&p.inline)));

    let body_rust = op_params
        .iter()
        .find(|p| p.location == "body")
        .map(|p| rust_body_type(p.schema.as_ref().unwrap_or(&p.inline), def_names));
    let mut response_rust = None;
    let mut success = Vec::new();
    let mut response_type = None;
    let mut errors = Vec::new();
    for (status, response) in &op.responses {
        let Ok(code) = status.parse::<u16>() else {
            continue; // `default` responses carry no status
        };
        if (200..300).contains(&code) {
            success.push(code);
            if response_type.is_none() {
                response_type = response.schema.as_ref().map(&type_of);
                response_rust = response
                    .schema
                    .as_ref()
                    .map(|s| rust_body_type(s, def_names));
            }
        } else if !response.error_codes.is_empty() {
            let codes: Vec<(String, String)> = response
                .error_codes
                .iter()
                .map(|(c, m)| (c.clone(), m.clone()))
                .collect();
            errors.push((code, codes));
        }
    }
    success.sort_unstable();
    errors.sort_by_key(|(status, _)| *status);
    let requires_user_context = errors
        .iter()
        .any(|(_, codes)| codes.iter().any(|(c, _)| c == NOT_A_USER));

    let security = match &op.security {
        None => SecurityDef::Unknown,
        Some(reqs) if reqs.is_empty() => SecurityDef::Public,
        Some(reqs) => {
            // Requirements are alternatives; within the OAuth scheme the
            // scopes are too (Genesys lists `users` and `users:readonly`).
            let mut scopes = Vec::new();
            let mut api_key = None;
            for (scheme, list) in reqs.iter().flatten() {
                if list.is_empty() && !scheme.contains("Auth") {
                    api_key.get_or_insert_with(|| scheme.clone());
                } else {
                    scopes.extend(list.iter().cloned());
                }
            }
            match api_key {
                Some(scheme) if scopes.is_empty() => SecurityDef::ApiKey(scheme),
                _ => SecurityDef::OAuth(scopes),
            }
        }
    };

    Ok(OperationDef {
        id: op.operation_id.clone(),
        tags: op.tags.clone(),
        method: method.to_owned(),
        path: path.to_owned(),
        summary: op.summary.clone(),
        params,
        body_type,
        response_type,
        body_rust,
        response_rust,
        description: op.description.clone(),
        success,
        permissions: op
            .permissions
            .as_ref()
            .map(|p| (p.kind.to_uppercase(), p.permissions.clone())),
        security,
        deprecated: op.deprecated,
        preview: op.preview,
        errors,
        requires_user_context,
    })
}

/// How a rendered type names things: as the catalogue shows them
/// (`Vec<User>`), or as the facade's source needs them
/// (`Vec<genesys_model::User>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spelling {
    Catalogue,
    Source,
}

/// A body or response schema as a Rust type.
fn render_type(schema: &Schema, def_names: &BTreeMap<&str, String>, spelling: Spelling) -> String {
    let (model, map) = match spelling {
        Spelling::Catalogue => ("", "BTreeMap"),
        Spelling::Source => ("genesys_model::", "std::collections::BTreeMap"),
    };
    let render = |inner: &Schema| render_type(inner, def_names, spelling);
    if let Some(r) = schema.ref_name() {
        let name = def_names.get(r).map_or(r, String::as_str);
        return format!("{model}{name}");
    }
    match (schema.kind.as_deref(), schema.format.as_deref()) {
        (Some("string"), Some("date-time")) => format!("{model}DateTime"),
        (Some("string"), Some("date")) => format!("{model}Date"),
        (Some("string"), _) => "String".into(),
        (Some("integer"), Some("int32")) => "i32".into(),
        (Some("integer"), _) => "i64".into(),
        (Some("number"), Some("float")) => "f32".into(),
        (Some("number"), _) => "f64".into(),
        (Some("boolean"), _) => "bool".into(),
        (Some("array"), _) => match &schema.items {
            Some(items) => format!("Vec<{}>", render(items)),
            None => "Vec<serde_json::Value>".into(),
        },
        (Some("object") | None, _) => match schema.map_values() {
            Some(Some(v)) => format!("{map}<String, {}>", render(v)),
            _ => "serde_json::Value".into(),
        },
        (Some(other), _) if spelling == Spelling::Catalogue => other.to_owned(),
        (Some(_), _) => "serde_json::Value".into(),
    }
}

/// A parameter's type as the catalogue spells it: `string`,
/// `integer(int32)`, `array<string>`, or a Rust type name for bodies.
fn param_schema(schema: &Schema, def_names: &BTreeMap<&str, String>) -> String {
    if schema.ref_name().is_some() {
        return render_type(schema, def_names, Spelling::Catalogue);
    }
    match schema.kind.as_deref() {
        Some("array") => match &schema.items {
            Some(items) => format!("array<{}>", param_schema(items, def_names)),
            None => "array".into(),
        },
        Some(kind) => match &schema.format {
            Some(format) => format!("{kind}({format})"),
            None => kind.to_owned(),
        },
        None => render_type(schema, def_names, Spelling::Catalogue),
    }
}

/// A body schema as a Rust type naming the model crate's types.
fn rust_body_type(schema: &Schema, def_names: &BTreeMap<&str, String>) -> BodyTy {
    BodyTy {
        rust: render_type(schema, def_names, Spelling::Source),
        is_model: schema.ref_name().is_some(),
    }
}
