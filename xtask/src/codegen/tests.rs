//! Generator tests: small hand-written spec fragments for each naming and
//! typing rule, and both shared specs end to end.

use std::path::Path;

use super::ir::{Gate, Ir, Origin, SecurityDef, Ty};
use super::{Targets, spec::Spec, standalone_manifest};

fn generate(text: &str, model: &Path, manifest: &str) -> anyhow::Result<super::Output> {
    super::generate(
        text,
        None,
        &Targets {
            model: (model.to_owned(), manifest.to_owned()),
            facade: Some((model.join("facade"), standalone_manifest())),
            emulator: Some(model.join("emulator")),
        },
    )
}

const FRAGMENT: &str = r##"{
  "swagger": "2.0",
  "info": {"title": "Fragment", "version": "1"},
  "paths": {
    "/api/v2/nodes/{nodeId}": {
      "get": {
        "operationId": "getNode", "tags": ["Graph Things"], "summary": "Get a node",
        "parameters": [
          {"name": "nodeId", "in": "path", "required": true, "type": "string"},
          {"name": "expand", "in": "query", "type": "array", "items": {"type": "string", "enum": ["children", "parent"]}}
        ],
        "responses": {
          "200": {"schema": {"$ref": "#/definitions/Node"}},
          "400": {"schema": {"$ref": "#/definitions/ErrorBody"}, "x-inin-error-codes": {"not.a.user": "This request requires a user context."}}
        },
        "security": [{"PureCloud OAuth": ["graph", "graph:readonly"]}],
        "x-inin-requires-permissions": {"type": "ANY", "permissions": ["graph:node:view", "graph:node:edit"]}
      }
    },
    "/api/v2/odd": {
      "post": {
        "operationId": "postOdd", "tags": ["Other"],
        "parameters": [{"in": "body", "name": "body", "required": true, "schema": {"$ref": "#/definitions/Odd"}}],
        "responses": {"204": {"description": "done"}, "400": {"schema": {"$ref": "#/definitions/ErrorBody"}}},
        "security": []
      }
    }
  },
  "definitions": {
    "Node": {
      "type": "object", "required": ["id", "notAProperty"], "description": "A node [with] <b>markup</b>\n\n    indented text",
      "properties": {
        "id": {"type": "string"},
        "parent": {"$ref": "#/definitions/Node"},
        "sibling": {"$ref": "#/definitions/Leaf"},
        "children": {"type": "array", "items": {"$ref": "#/definitions/Node"}},
        "state": {"type": "string", "enum": ["active", "ACTIVE", "transfer.conference", "2", "", "Unrecognized"]},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "scores": {"type": "object", "additionalProperties": {"type": "integer"}},
        "created": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "count": {"type": "integer"},
        "small": {"type": "integer", "format": "int32"},
        "ratio": {"type": "number", "format": "float"},
        "weight": {"type": "number"},
        "extra": {"type": "object"},
        "flag": {"type": "boolean"}
      }
    },
    "Leaf": {"type": "object", "properties": {"node": {"$ref": "#/definitions/Node"}}},
    "NodeState": {"type": "object", "properties": {}},
    "Odd": {
      "type": "object",
      "properties": {
        "type": {"type": "string"}, "self": {"type": "string"}, "$ref": {"type": "string"},
        "userId": {"type": "string"}, "user_id": {"type": "string"},
        "unknownFields": {"type": "string"}, "1st": {"type": "boolean"}
      }
    },
    "odd": {"type": "object", "properties": {}},
    "DateTime": {"type": "object", "properties": {}},
    "ErrorBody": {"type": "object", "properties": {"code": {"type": "string"}, "status": {"type": "integer", "format": "int32"}}},
    "Unused": {"type": "object", "properties": {"x": {"type": "string"}}}
  }
}"##;

fn fragment_ir() -> Ir {
    Ir::build(&Spec::parse(FRAGMENT).unwrap(), "0".repeat(64)).unwrap()
}

fn model<'a>(ir: &'a Ir, spec_name: &str) -> &'a super::ir::ModelDef {
    ir.models.iter().find(|m| m.spec_name == spec_name).unwrap()
}

fn field_ty(ir: &Ir, spec_name: &str, json: &str) -> Ty {
    model(ir, spec_name)
        .fields
        .iter()
        .find(|f| f.json == json)
        .unwrap()
        .ty
        .clone()
}

fn generated_text(ir_source: &str) -> String {
    let out = generate(ir_source, Path::new("/model"), &standalone_manifest()).unwrap();
    out.files.values().cloned().collect::<Vec<_>>().join("\n")
}

#[test]
fn nested_models_are_boxed_and_collections_are_not() {
    let ir = fragment_ir();
    let node = || Box::new(Ty::Model("Node".into()));
    assert_eq!(field_ty(&ir, "Node", "parent"), Ty::Boxed(node()));
    assert_eq!(
        field_ty(&ir, "Node", "sibling"),
        Ty::Boxed(Box::new(Ty::Model("Leaf".into())))
    );
    assert_eq!(field_ty(&ir, "Leaf", "node"), Ty::Boxed(node()));
    // A Vec already puts its items on the heap.
    assert_eq!(field_ty(&ir, "Node", "children"), Ty::Vec(node()));
    assert!(generated_text(FRAGMENT).contains("pub parent: Option<Box<Node>>"));
}

#[test]
fn enums_are_open_named_after_their_property_and_avoid_collisions() {
    let ir = fragment_ir();
    // `NodeState` is a definition, so Node.state's enum takes another name.
    assert_eq!(
        field_ty(&ir, "Node", "state"),
        Ty::Enum("NodeStateEnum".into())
    );
    let state = ir.enums.iter().find(|e| e.name == "NodeStateEnum").unwrap();
    let variants: Vec<&str> = state.variants.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(
        variants,
        [
            "Active",
            "Active2",
            "TransferConference",
            "V2",
            "Empty",
            "Unrecognized2"
        ]
    );
    // Arrays of enums get an enum item type.
    assert_eq!(
        field_ty(&ir, "Node", "tags"),
        Ty::Vec(Box::new(Ty::Enum("NodeTags".into())))
    );
    let text = generated_text(FRAGMENT);
    assert!(text.contains("Unrecognized(String)"));
    assert!(text.contains("\"transfer.conference\" => Self::TransferConference"));
}

#[test]
fn keywords_and_odd_names_become_valid_distinct_fields() {
    let ir = fragment_ir();
    let names: Vec<&str> = model(&ir, "Odd")
        .fields
        .iter()
        .map(|f| f.rust.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "type_",
            "self_",
            "ref_",
            "user_id",
            "user_id_2",
            "unknown_fields_",
            "n1st"
        ]
    );
    let text = generated_text(FRAGMENT);
    assert!(text.contains("\"$ref\" => self.ref_ = map.next_value()?"));
}

#[test]
fn type_name_collisions_resolve_deterministically() {
    let ir = fragment_ir();
    assert_eq!(model(&ir, "Odd").name, "Odd");
    assert_eq!(model(&ir, "odd").name, "Odd2");
    assert_eq!(model(&ir, "DateTime").name, "DateTimeModel");
    let again = fragment_ir();
    let names = |ir: &Ir| ir.models.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ir), names(&again));
    assert_eq!(generated_text(FRAGMENT), generated_text(FRAGMENT));
}

#[test]
fn scalars_maps_and_dates_follow_the_spec_formats() {
    let ir = fragment_ir();
    assert_eq!(
        field_ty(&ir, "Node", "labels"),
        Ty::Map(Box::new(Ty::String))
    );
    assert_eq!(field_ty(&ir, "Node", "scores"), Ty::Map(Box::new(Ty::I64)));
    assert_eq!(field_ty(&ir, "Node", "created"), Ty::DateTime);
    assert_eq!(field_ty(&ir, "Node", "day"), Ty::Date);
    assert_eq!(field_ty(&ir, "Node", "count"), Ty::I64);
    assert_eq!(field_ty(&ir, "Node", "small"), Ty::I32);
    assert_eq!(field_ty(&ir, "Node", "ratio"), Ty::F32);
    assert_eq!(field_ty(&ir, "Node", "weight"), Ty::F64);
    assert_eq!(field_ty(&ir, "Node", "extra"), Ty::Json);
    let text = generated_text(FRAGMENT);
    // Numbers decode leniently; strings do not need to.
    assert!(
        text.contains("\"count\" => {\n")
            || text.contains(
                "\"count\" => self.count = map.next_value::<crate::__private::Lenient<_>>()?.0"
            )
    );
    assert!(text.contains("\"id\" => self.id = map.next_value()?"));
}

#[test]
fn required_properties_are_recorded_not_enforced_on_decode() {
    let ir = fragment_ir();
    let node = model(&ir, "Node");
    let required: Vec<&str> = node
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.json.as_str())
        .collect();
    // `notAProperty` is listed as required but is no property: ignored.
    assert_eq!(required, ["id"]);
    let text = generated_text(FRAGMENT);
    assert!(text.contains("const REQUIRED: &'static [&'static str] = &[\"id\"];"));
    assert!(text.contains("pub id: Option<String>"));
}

#[test]
fn features_gate_what_each_tag_reaches() {
    let ir = fragment_ir();
    assert_eq!(model(&ir, "ErrorBody").gate, Gate::Always);
    let graph = Gate::Features(["graph-things".to_owned()].into());
    assert_eq!(model(&ir, "Node").gate, graph);
    assert_eq!(model(&ir, "Leaf").gate, graph);
    assert_eq!(model(&ir, "Unused").gate, Gate::Full);
    assert_eq!(
        ir.features.keys().collect::<Vec<_>>(),
        ["graph-things", "other"]
    );
    let out = generate(FRAGMENT, Path::new("/model"), &standalone_manifest()).unwrap();
    let manifest = &out.files[Path::new("/model/Cargo.toml")];
    assert!(manifest.contains("full = [\"graph-things\", \"other\"]"));
    assert!(manifest.contains("graph-things = []"));
}

#[test]
fn docs_cannot_turn_into_doctests_or_links() {
    let text = generated_text(FRAGMENT);
    assert!(text.contains("A node \\[with\\] &lt;b&gt;markup&lt;/b&gt;"));
    assert!(!text.contains("///     indented"));
}

#[test]
fn bare_urls_become_autolinks_and_keep_their_characters() {
    use super::emit::sanitize_doc;
    assert_eq!(
        sanitize_doc("See https://developer.genesys.cloud/api/digital/openmessaging/ for more."),
        "See <https://developer.genesys.cloud/api/digital/openmessaging/> for more."
    );
    // Trailing punctuation and an unbalanced parenthesis stay prose.
    assert_eq!(
        sanitize_doc("Mime type (https://www.iana.org/media-types.xhtml)."),
        "Mime type (<https://www.iana.org/media-types.xhtml>)."
    );
    // Quotes end the URL; underscores inside it are not escaped, around it they are.
    assert_eq!(
        sanitize_doc("Only \"http://json-schema.org/draft_04/schema#\" is\nsupported_now."),
        "Only \"<http://json-schema.org/draft_04/schema#>\" is supported\\_now."
    );
    assert_eq!(sanitize_doc("a http:// b"), "a http:// b");
}

#[test]
fn catalogue_records_what_the_spec_says_and_only_that() {
    let ir = fragment_ir();
    let get = ir.operations.iter().find(|o| o.id == "getNode").unwrap();
    assert!(get.requires_user_context);
    assert!(matches!(&get.security, SecurityDef::OAuth(s) if s == &["graph", "graph:readonly"]));
    assert_eq!(get.permissions.as_ref().unwrap().0, "ANY");
    assert_eq!(get.params[1].enum_values, ["children", "parent"]);
    assert_eq!(get.params[1].schema, "array<string>");
    assert_eq!(get.response_type.as_deref(), Some("Node"));
    let post = ir.operations.iter().find(|o| o.id == "postOdd").unwrap();
    assert!(!post.requires_user_context);
    assert!(matches!(post.security, SecurityDef::Public));
    assert!(post.permissions.is_none());
    assert_eq!(post.body_type.as_deref(), Some("Odd"));
    assert_eq!(post.success, [204]);
}

#[test]
fn not_swagger_2_is_a_clear_error() {
    let err = Spec::parse(r#"{"openapi": "3.0.0", "swagger": "3.0", "info": {}}"#).unwrap_err();
    assert!(err.to_string().contains("Swagger 2.0"), "{err}");
    let err = Spec::parse("{").unwrap_err();
    assert!(
        err.to_string()
            .contains("not a readable Swagger 2.0 document"),
        "{err}"
    );
    let dangling = FRAGMENT.replace("#/definitions/Leaf\"}", "#/definitions/Missing\"}");
    let err = Ir::build(&Spec::parse(&dangling).unwrap(), String::new()).unwrap_err();
    assert!(format!("{err:#}").contains("Missing"), "{err:#}");
}

fn shared_spec(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/spec")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_2018_spec_generates_into_a_temporary_crate() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate(
        &shared_spec("genesys-platform-api-v2-2018-03.json"),
        dir.path(),
        &standalone_manifest(),
    )
    .unwrap();
    assert_eq!(out.ir.operations.len(), 932);
    assert_eq!(out.ir.models.len(), 822);
    let dirs = [
        dir.path().join("src/generated"),
        dir.path().join("facade/src/generated"),
    ];
    super::write(&out, &dirs).unwrap();
    assert!(dir.path().join("src/generated/catalogue.rs").exists());
    let user_context = out
        .ir
        .operations
        .iter()
        .filter(|o| o.requires_user_context)
        .count();
    assert_eq!(
        user_context, 24,
        "the facts sheet counts 24 not.a.user operations in 2018"
    );
    // Writing again changes nothing, and --check agrees.
    assert!(super::stale_files(&out, &dirs).unwrap().is_empty());
    // The 2018 operations get an API surface too.
    let facade = std::fs::read_to_string(dir.path().join("facade/src/generated/mod.rs")).unwrap();
    assert!(facade.contains("pub mod conversations;"));
}

#[test]
fn the_current_spec_generates_and_matches_the_committed_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let model_crate = root.join("crates/genesys-model");
    let facade = root.join("crates/genesys-cloud");
    let read = |dir: &Path| std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let targets = Targets {
        model: (model_crate.clone(), read(&model_crate)),
        facade: Some((facade.clone(), read(&facade))),
        emulator: Some(root.join("crates/genesys-emulator")),
    };
    let out = super::generate(
        &shared_spec("genesys-platform-api-v2.json"),
        Some(&shared_spec("genesys-notifications.json")),
        &targets,
    )
    .unwrap();
    assert_eq!(out.ir.operations.len(), 3355);
    assert_eq!(out.ir.topics.len(), 242);
    let rest_models = out
        .ir
        .models
        .iter()
        .filter(|m| m.origin == Origin::Rest)
        .count();
    assert_eq!(rest_models, 5214);
    let stale = super::stale_files(&out, &targets.generated_dirs()).unwrap();
    assert!(
        stale.is_empty(),
        "committed code is stale, run `cargo xtask codegen`: {stale:?}"
    );
}

#[test]
fn the_api_surface_has_one_method_per_operation_with_typed_parameters() {
    let out = generate(FRAGMENT, Path::new("/model"), &standalone_manifest()).unwrap();
    let api = &squash(&out.files[Path::new("/model/facade/src/generated/graph_things.rs")]);
    // Path parameters are arguments, percent-encoded into their segment.
    assert!(
        api.contains(&squash("pub fn get_node(&self, node_id: &str)")),
        "{api}"
    );
    assert!(
        api.contains(&squash(
            r#"crate::operation::build_path(&["/api/v2/nodes/", ""], &[node_id])"#
        )),
        "{api}"
    );
    // The catalogue entry is found by index, not looked up by id per call.
    assert!(api.contains(&squash("OperationRequest::indexed(")), "{api}");
    // Optional query parameters are setters; `multi`-less arrays are joined.
    assert!(api.contains(&squash(
        "pub fn expand(mut self, value: impl IntoIterator<Item = impl Into<String>>)"
    )));
    assert!(api.contains(&squash("one of `children`, `parent`")));
    // The response type is the generated model.
    assert!(api.contains(&squash("type Output = genesys_model::Node;")));
    assert!(api.contains(&squash("**Needs a user context**")));
    let other = &squash(&out.files[Path::new("/model/facade/src/generated/other.rs")]);
    // Model bodies are checked for their required fields; no-content responses are ().
    assert!(other.contains(&squash("request.model_body(body);")));
    assert!(other.contains(&squash("type Output = ();")));
    let manifest = &out.files[Path::new("/model/facade/Cargo.toml")];
    assert!(manifest.contains("graph-things = [\"genesys-model/graph-things\"]"));
}

/// The text without white space, so assertions do not depend on line breaks.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
#[ignore = "a report, not a check: cargo test -p xtask rest_twins -- --ignored --nocapture"]
fn rest_twins() {
    let spec = Spec::parse(&shared_spec("genesys-platform-api-v2.json")).unwrap();
    let ir = Ir::build(&spec, String::new()).unwrap();
    let classes = super::dedup::structural_classes(&ir.models, &ir.enums);
    let mut sizes = std::collections::HashMap::new();
    for c in &classes {
        *sizes.entry(*c).or_insert(0usize) += 1;
    }
    let twins: usize = sizes.values().filter(|n| **n > 1).map(|n| n - 1).sum();
    let fields: usize = ir
        .models
        .iter()
        .zip(&classes)
        .filter(|(_, c)| sizes[*c] > 1)
        .map(|(m, _)| m.fields.len())
        .sum();
    println!(
        "REST models: {}; structural classes: {}; models that could be aliases: {twins}; fields in twin classes: {fields}",
        ir.models.len(),
        sizes.len()
    );
}

/// One listing operation per paging style, and operations that look like
/// listings but are not paged (or are not listings at all).
const PAGING: &str = r##"{
  "swagger": "2.0",
  "info": {"title": "Paging", "version": "1"},
  "paths": {
    "/api/v2/pages": {"get": {"operationId": "getPages", "tags": ["Things"],
      "parameters": [{"name": "pageNumber", "in": "query", "type": "integer"}, {"name": "pageSize", "in": "query", "type": "integer"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/PageListing"}}}}},
    "/api/v2/both": {"get": {"operationId": "getBoth", "tags": ["Things"],
      "parameters": [{"name": "pageNumber", "in": "query", "type": "integer"}, {"name": "nextPage", "in": "query", "type": "string"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/TokenListing"}}}}},
    "/api/v2/cursors": {"get": {"operationId": "getCursors", "tags": ["Things"],
      "parameters": [{"name": "cursor", "in": "query", "type": "string"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/CursorListing"}}}}},
    "/api/v2/scans": {"get": {"operationId": "getScans", "tags": ["Things"],
      "parameters": [{"name": "cursor", "in": "query", "type": "string"}, {"name": "limit", "in": "query", "type": "integer"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/ScanListing"}}}}},
    "/api/v2/jobs/{jobId}/results": {"get": {"operationId": "getJobResults", "tags": ["Things"],
      "parameters": [{"name": "jobId", "in": "path", "required": true, "type": "string"}, {"name": "cursor", "in": "query", "type": "string"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/JobResults"}}}}},
    "/api/v2/afters": {"get": {"operationId": "getAfters", "tags": ["Things"],
      "parameters": [{"name": "after", "in": "query", "type": "string"}, {"name": "before", "in": "query", "type": "string"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/UriListing"}}}}},
    "/api/v2/afters/query": {"post": {"operationId": "postAftersQuery", "tags": ["Things"],
      "parameters": [{"name": "after", "in": "query", "type": "string"}, {"in": "body", "name": "body", "schema": {"$ref": "#/definitions/Thing"}}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/UriListing"}}}}},
    "/api/v2/tokens": {"get": {"operationId": "getTokens", "tags": ["Things"],
      "parameters": [{"name": "nextPage", "in": "query", "type": "string"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/TokenListing"}}}}},
    "/api/v2/scim/things": {"get": {"operationId": "getScimThings", "tags": ["Things"],
      "parameters": [{"name": "startIndex", "in": "query", "type": "integer"}, {"name": "count", "in": "query", "type": "integer"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/ScimList"}}}}},
    "/api/v2/uris": {"get": {"operationId": "getUris", "tags": ["Things"],
      "responses": {"200": {"schema": {"$ref": "#/definitions/UriListing"}}}},
      "post": {"operationId": "postUris", "tags": ["Things"],
      "responses": {"200": {"schema": {"$ref": "#/definitions/UriListing"}}}}},
    "/api/v2/things/{thingId}": {"get": {"operationId": "getThing", "tags": ["Things"],
      "parameters": [{"name": "thingId", "in": "path", "required": true, "type": "string"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/Thing"}}}},
      "patch": {"operationId": "patchThing", "tags": ["Things"],
      "parameters": [{"name": "thingId", "in": "path", "required": true, "type": "string"}, {"name": "nextPage", "in": "query", "type": "string"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/TokenListing"}}}}},
    "/api/v2/numbers": {"get": {"operationId": "getNumbers", "tags": ["Things"],
      "parameters": [{"name": "pageNumber", "in": "query", "type": "integer"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/Counted"}}}}},
    "/api/v2/search": {"get": {"operationId": "getSearch", "tags": ["Things"],
      "parameters": [{"name": "q64", "in": "query", "type": "string"}],
      "responses": {"200": {"schema": {"$ref": "#/definitions/SearchResponse"}}}}},
    "/api/v2/scim/schemas": {"get": {"operationId": "getScimSchemas", "tags": ["Things"],
      "responses": {"200": {"schema": {"$ref": "#/definitions/ScimList"}}}}}
  },
  "definitions": {
    "Thing": {"type": "object", "properties": {"id": {"type": "string"}}},
    "Cursors": {"type": "object", "properties": {"before": {"type": "string"}, "after": {"type": "string"}}},
    "PageListing": {"type": "object", "properties": {
      "entities": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
      "pageNumber": {"type": "integer", "format": "int32"}, "pageCount": {"type": "integer", "format": "int32"},
      "nextUri": {"type": "string"}}},
    "TokenListing": {"type": "object", "properties": {
      "entities": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
      "pageCount": {"type": "integer", "format": "int32"}, "nextUri": {"type": "string"}}},
    "CursorListing": {"type": "object", "properties": {
      "entities": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
      "cursor": {"type": "string"}, "results": {"type": "integer"}}},
    "ScanListing": {"type": "object", "properties": {
      "entities": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
      "cursors": {"$ref": "#/definitions/Cursors"}, "nextUri": {"type": "string"}}},
    "JobResults": {"type": "object", "properties": {
      "results": {"type": "array", "items": {"type": "object"}}, "cursor": {"type": "string"}}},
    "UriListing": {"type": "object", "properties": {
      "entities": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
      "nextUri": {"type": "string"}, "previousUri": {"type": "string"}}},
    "ScimList": {"type": "object", "properties": {
      "schemas": {"type": "array", "items": {"type": "string"}},
      "Resources": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
      "totalResults": {"type": "integer"}, "startIndex": {"type": "integer"}}},
    "Counted": {"type": "object", "properties": {
      "entities": {"type": "array", "items": {"$ref": "#/definitions/Thing"}}, "total": {"type": "integer"}}},
    "SearchResponse": {"type": "object", "properties": {
      "results": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
      "pageCount": {"type": "integer"}, "nextPage": {"type": "string"}}}
  }
}"##;

fn paging_classes(text: &str) -> std::collections::BTreeMap<String, super::paging::Classification> {
    let ir = Ir::build(&Spec::parse(text).unwrap(), "0".repeat(64)).unwrap();
    let models = super::paging::Models::new(&ir);
    ir.operations
        .iter()
        .map(|op| (op.id.clone(), super::paging::classify(&models, op)))
        .collect()
}

#[test]
fn listings_are_classified_by_their_parameters_and_response() {
    use super::paging::{Classification, Style};
    let classes = paging_classes(PAGING);
    let paged = |id: &str| match &classes[id] {
        Classification::Paged { style, listing } => (*style, listing.as_str()),
        other => panic!("{id}: {other:?}"),
    };
    assert_eq!(paged("getPages"), (Style::PageNumber, "PageListing"));
    // pageNumber wins over nextPage when the response counts its pages.
    assert_eq!(paged("getBoth"), (Style::PageNumber, "TokenListing"));
    assert_eq!(paged("getCursors"), (Style::Cursor, "CursorListing"));
    assert_eq!(paged("getScans"), (Style::Cursor, "ScanListing"));
    assert_eq!(paged("getJobResults"), (Style::Cursor, "JobResults"));
    assert_eq!(paged("getAfters"), (Style::After, "UriListing"));
    // A POST query re-sends its body with each page's parameter.
    assert_eq!(paged("postAftersQuery"), (Style::After, "UriListing"));
    assert_eq!(paged("getTokens"), (Style::NextPage, "TokenListing"));
    assert_eq!(paged("getScimThings"), (Style::StartIndex, "ScimList"));
    assert_eq!(paged("getUris"), (Style::NextUri, "UriListing"));
    // Not listings: a POST that answers one without a page parameter, a
    // PATCH, a single entity.
    for id in ["postUris", "patchThing", "getThing"] {
        assert_eq!(classes[id], Classification::NotAListing, "{id}");
    }
    // Listings that cannot be paged say why.
    let why = |id: &str| match &classes[id] {
        Classification::Unclassified(why) => why.clone(),
        other => panic!("{id}: {other:?}"),
    };
    assert!(
        why("getNumbers").contains("neither `pageCount` nor `nextUri`"),
        "{}",
        why("getNumbers")
    );
    assert!(
        why("getSearch").contains("`pageCount`, `nextPage`"),
        "{}",
        why("getSearch")
    );
    assert!(
        why("getScimSchemas").contains("`totalResults`"),
        "{}",
        why("getScimSchemas")
    );
}

#[test]
fn paged_operations_get_their_style_and_listings_read_their_paging_fields() {
    let out = generate(PAGING, Path::new("/model"), &standalone_manifest()).unwrap();
    let api = squash(&out.files[Path::new("/model/facade/src/generated/things.rs")]);
    for (marker, style) in [
        ("GetPages", "PageNumber"),
        ("GetScans", "Cursor"),
        ("PostAftersQuery", "After"),
        ("GetTokens", "NextPage"),
        ("GetScimThings", "StartIndex"),
        ("GetUris", "NextUri"),
    ] {
        assert!(
            api.contains(&squash(&format!(
                "impl crate::Paged for {marker} {{ const STYLE: crate::PagingStyle = crate::PagingStyle::{style}; }}"
            ))),
            "{marker}"
        );
    }
    assert!(!api.contains("implcrate::PagedforPostUris"));
    let listings = squash(&out.files[Path::new("/model/facade/src/generated/mod.rs")]);
    // One impl per listing model, however many operations return it.
    assert_eq!(
        listings
            .matches("implcrate::Listingforgenesys_model::UriListing")
            .count(),
        1
    );
    assert!(listings.contains(&squash(
        "cursor: self.cursors.as_ref().and_then(|c| c.after.as_deref()),"
    )));
    assert!(listings.contains(&squash(
        "impl crate::Listing for genesys_model::ScimList { type Item = genesys_model::Thing;"
    )));
    assert!(listings.contains(&squash("self.resources.as_deref().unwrap_or_default()")));
    assert!(listings.contains(&squash("total_results: self.total_results.map(i64::from),")));
    assert!(listings.contains(&squash(
        "impl crate::Listing for genesys_model::JobResults { type Item = serde_json::Value;"
    )));
    assert!(listings.contains(&squash("page_count: self.page_count.map(i64::from),")));
    assert!(!listings.contains("genesys_model::Counted"));
}

#[test]
fn every_listing_of_the_current_spec_is_classified_or_explained() {
    let spec = Spec::parse(&shared_spec("genesys-platform-api-v2.json")).unwrap();
    let ir = Ir::build(&spec, String::new()).unwrap();
    let report = super::paging::Report::of(&ir);
    use super::paging::Style;
    let count = |style| report.counts.get(&style).copied().unwrap_or(0);
    assert_eq!(count(Style::PageNumber), 291);
    assert_eq!(count(Style::Cursor), 37);
    assert_eq!(count(Style::After), 95);
    assert_eq!(count(Style::NextPage), 4);
    assert_eq!(count(Style::StartIndex), 4);
    assert_eq!(count(Style::NextUri), 44);
    assert!(report.unclassified.iter().all(|(_, why)| !why.is_empty()));
    assert_eq!(report.unclassified.len(), 31, "{report}");
}

#[test]
#[ignore = "a report, not a check: cargo test -p xtask paging_report -- --ignored --nocapture"]
fn paging_report() {
    let spec = Spec::parse(&shared_spec("genesys-platform-api-v2.json")).unwrap();
    let ir = Ir::build(&spec, String::new()).unwrap();
    print!("{}", super::paging::Report::of(&ir));
}
