//! The part of Swagger 2.0 the Genesys documents use, read with serde.
//!
//! Generic OpenAPI crates reject Swagger 2.0 or drop Genesys's `x-inin-*`
//! extensions, so the generator reads the document itself. Unknown keys are
//! ignored; the ones that matter are typed here.

use indexmap::IndexMap;
use serde::Deserialize;

/// A Swagger 2.0 document.
#[derive(Debug, Deserialize)]
pub struct Spec {
    pub swagger: String,
    pub info: Info,
    #[serde(default)]
    pub paths: IndexMap<String, PathItem>,
    #[serde(default)]
    pub definitions: IndexMap<String, Schema>,
    /// The notification service's topics (only in the notifications document).
    #[serde(rename = "x-genesys-notification-topics", default)]
    pub notification_topics: Vec<NotificationTopic>,
}

/// One entry of `x-genesys-notification-topics`.
#[derive(Debug, Clone, Deserialize)]
pub struct NotificationTopic {
    /// The topic pattern, e.g. `v2.users.{id}.conversations.calls`.
    pub topic: String,
    /// The event body's definition (a `$ref`).
    pub schema: Schema,
    /// The placeholder names in order; a name can repeat.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// `false` for topics the service delivers without a subscription.
    #[serde(rename = "requiresSubscription")]
    pub requires_subscription: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct Info {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub version: String,
}

/// The operations of one path, keyed by lower-case method.
#[derive(Debug, Deserialize)]
pub struct PathItem {
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(flatten)]
    pub operations: IndexMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct Operation {
    #[serde(rename = "operationId")]
    pub operation_id: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default)]
    pub responses: IndexMap<String, Response>,
    /// `None` when the spec does not say; `Some([])` for public operations.
    pub security: Option<Vec<IndexMap<String, Vec<String>>>>,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(rename = "x-genesys-preview", default)]
    pub preview: bool,
    #[serde(rename = "x-inin-requires-permissions")]
    pub permissions: Option<RequiredPermissions>,
}

#[derive(Debug, Deserialize)]
pub struct RequiredPermissions {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Response {
    pub schema: Option<Schema>,
    #[serde(rename = "x-inin-error-codes", default)]
    pub error_codes: IndexMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "in")]
    pub location: String,
    #[serde(default)]
    pub required: bool,
    #[serde(rename = "collectionFormat")]
    pub collection_format: Option<String>,
    /// Body parameters carry a schema; the others describe their type inline.
    pub schema: Option<Schema>,
    #[serde(flatten)]
    pub inline: Schema,
}

/// A schema: a `$ref`, a primitive, an array, or an object.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Schema {
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub format: Option<String>,
    pub description: Option<String>,
    pub items: Option<Box<Schema>>,
    #[serde(default)]
    pub properties: IndexMap<String, Schema>,
    #[serde(rename = "additionalProperties")]
    pub additional_properties: Option<AdditionalProperties>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<serde_json::Value>>,
    #[serde(rename = "readOnly", default)]
    pub read_only: bool,
    #[serde(rename = "uniqueItems", default)]
    pub unique_items: bool,
}

/// `additionalProperties` is a schema or a boolean.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AdditionalProperties {
    Allowed(bool),
    Schema(Box<Schema>),
}

impl Schema {
    /// The definition name of a `#/definitions/Name` reference.
    pub fn ref_name(&self) -> Option<&str> {
        self.reference
            .as_deref()
            .map(|r| r.rsplit('/').next().unwrap_or(r))
    }

    /// The schema of the map's values, when this is a map.
    pub fn map_values(&self) -> Option<Option<&Schema>> {
        match &self.additional_properties {
            Some(AdditionalProperties::Schema(s)) => Some(Some(s)),
            Some(AdditionalProperties::Allowed(true)) => Some(None),
            _ => None,
        }
    }

    /// Every definition this schema refers to directly or through arrays and maps.
    pub fn visit_refs<'a>(&'a self, out: &mut impl FnMut(&'a str)) {
        if let Some(name) = self.ref_name() {
            out(name);
        }
        if let Some(items) = &self.items {
            items.visit_refs(out);
        }
        if let Some(Some(values)) = self.map_values() {
            values.visit_refs(out);
        }
        for prop in self.properties.values() {
            prop.visit_refs(out);
        }
    }
}

/// One operation with where it lives and its effective parameters.
#[derive(Debug)]
pub struct SpecOperation {
    /// Lower-case HTTP method.
    pub method: String,
    pub path: String,
    pub op: Operation,
    /// The operation's parameters plus the path-level ones it does not override.
    pub params: Vec<Parameter>,
}

pub const METHODS: [&str; 7] = ["get", "head", "post", "put", "patch", "delete", "options"];

impl Spec {
    /// Parses a document, checking it is Swagger 2.0.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let spec: Spec = serde_json::from_str(text)
            .map_err(|e| anyhow::anyhow!("not a readable Swagger 2.0 document: {e}"))?;
        anyhow::ensure!(
            spec.swagger == "2.0",
            "expected a Swagger 2.0 document, found swagger version `{}`",
            spec.swagger
        );
        Ok(spec)
    }

    /// Every operation with its method and path, in document order.
    pub fn operations(&self) -> anyhow::Result<Vec<SpecOperation>> {
        let mut out = Vec::new();
        for (path, item) in &self.paths {
            for (method, value) in &item.operations {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let op: Operation = serde_json::from_value(value.clone()).map_err(|e| {
                    anyhow::anyhow!(
                        "operation {} {path} is malformed: {e}",
                        method.to_uppercase()
                    )
                })?;
                // Path-level parameters apply unless the operation overrides them.
                let mut params = op.parameters.clone();
                for shared in &item.parameters {
                    if !params
                        .iter()
                        .any(|p| p.name == shared.name && p.location == shared.location)
                    {
                        params.push(shared.clone());
                    }
                }
                out.push(SpecOperation {
                    method: method.clone(),
                    path: path.clone(),
                    op,
                    params,
                });
            }
        }
        Ok(out)
    }
}
