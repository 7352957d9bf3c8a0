//! Rust source for the models, enums and catalogue, from the IR.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::ir::{EnumDef, FieldDef, Gate, Ir, ModelDef, OperationDef, SecurityDef, Ty};

/// One generated file: path relative to the model crate's `src/generated`.
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// Makes spec prose safe as rustdoc: one paragraph per blank line, no
/// indented code blocks or fences that would become doctests, no brackets
/// or angle brackets that rustdoc reads as links or HTML, and bare URLs
/// wrapped as autolinks (`<https://…>`) so rustdoc neither warns nor
/// mangles them.
pub fn sanitize_doc(text: &str) -> String {
    let mut paragraphs = Vec::new();
    for paragraph in text.split("\n\n") {
        let joined = paragraph
            .split_whitespace()
            .map(sanitize_word)
            .collect::<Vec<_>>()
            .join(" ");
        if !joined.is_empty() {
            paragraphs.push(joined);
        }
    }
    paragraphs.join("\n\n")
}

/// Escapes one whitespace-free word of prose; a URL inside it becomes an
/// autolink, left unescaped (CommonMark does not unescape inside autolinks).
fn sanitize_word(word: &str) -> String {
    let Some(start) = word.find("https://").or_else(|| word.find("http://")) else {
        return escape_prose(word);
    };
    let rest = &word[start..];
    let mut end = rest
        .find(|c: char| matches!(c, '<' | '>' | '"' | '`' | '\\') || c.is_control())
        .unwrap_or(rest.len());
    // Sentence punctuation and an unbalanced closing parenthesis belong to
    // the prose, not to the URL.
    while let Some(last) = rest[..end].chars().last() {
        let unbalanced_paren =
            last == ')' && rest[..end].matches('(').count() < rest[..end].matches(')').count();
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'') || unbalanced_paren {
            end -= last.len_utf8();
        } else {
            break;
        }
    }
    let url = &rest[..end];
    if url.ends_with("://") {
        return escape_prose(word);
    }
    format!(
        "{}<{url}>{}",
        escape_prose(&word[..start]),
        sanitize_word(&rest[end..])
    )
}

fn escape_prose(text: &str) -> String {
    text.replace("```", "`")
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('*', "\\*")
        .replace('_', "\\_")
}

pub fn doc_attrs(text: &str) -> TokenStream {
    let lines: Vec<String> = text
        .lines()
        .map(|l| format!(" {l}").trim_end().to_owned())
        .collect();
    quote! { #(#[doc = #lines])* }
}

pub fn cfg_attr(gate: &Gate) -> TokenStream {
    match gate {
        Gate::Always => quote! {},
        Gate::Full => quote! { #[cfg(feature = "full")] },
        Gate::Features(features) if features.len() == 1 => {
            let f = features.iter().next().expect("one feature");
            quote! { #[cfg(feature = #f)] }
        }
        Gate::Features(features) => {
            let fs = features.iter();
            quote! { #[cfg(any(#(feature = #fs),*))] }
        }
    }
}

fn gate_doc(gate: &Gate) -> String {
    match gate {
        Gate::Always => "Always available.".into(),
        Gate::Full => "Available with the `full` feature (no operation uses it).".into(),
        Gate::Features(features) if features.len() == 1 => {
            let f = features.iter().next().expect("one feature");
            format!("Available with the `{f}` feature.")
        }
        Gate::Features(features) => {
            let list: Vec<String> = features.iter().map(|f| format!("`{f}`")).collect();
            format!("Available with any of the features {}.", list.join(", "))
        }
    }
}

fn ty_tokens(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote! { String },
        Ty::I32 => quote! { i32 },
        Ty::I64 => quote! { i64 },
        Ty::F32 => quote! { f32 },
        Ty::F64 => quote! { f64 },
        Ty::Bool => quote! { bool },
        Ty::DateTime => quote! { crate::DateTime },
        Ty::Date => quote! { crate::Date },
        Ty::LocalDateTime => quote! { crate::LocalDateTime },
        Ty::Json => quote! { serde_json::Value },
        Ty::Model(name) | Ty::Enum(name) => {
            let name = ident(name);
            quote! { #name }
        }
        Ty::Vec(inner) => {
            let inner = ty_tokens(inner);
            quote! { Vec<#inner> }
        }
        Ty::Map(inner) => {
            let inner = ty_tokens(inner);
            quote! { std::collections::BTreeMap<String, #inner> }
        }
        Ty::Boxed(inner) => {
            let inner = ty_tokens(inner);
            quote! { Box<#inner> }
        }
    }
}

/// A field type as seen from outside the model crate (`genesys_model::...`).
pub fn ty_tokens_pub(ty: &Ty) -> TokenStream {
    match ty {
        Ty::DateTime => quote! { genesys_model::DateTime },
        Ty::Date => quote! { genesys_model::Date },
        Ty::LocalDateTime => quote! { genesys_model::LocalDateTime },
        Ty::Model(name) | Ty::Enum(name) => {
            let name = ident(name);
            quote! { genesys_model::#name }
        }
        Ty::Vec(inner) => {
            let inner = ty_tokens_pub(inner);
            quote! { Vec<#inner> }
        }
        Ty::Map(inner) => {
            let inner = ty_tokens_pub(inner);
            quote! { std::collections::BTreeMap<String, #inner> }
        }
        Ty::Boxed(inner) => {
            let inner = ty_tokens_pub(inner);
            quote! { Box<#inner> }
        }
        other => ty_tokens(other),
    }
}

fn field_doc(field: &FieldDef) -> String {
    let mut doc = match &field.doc {
        Some(d) if !d.trim().is_empty() => sanitize_doc(d),
        _ => format!("The `{}` property.", field.json),
    };
    let mut notes = Vec::new();
    if field.required {
        notes.push(
            "Required by the spec (checked by `Model::missing_required_fields`, not by decoding).",
        );
    }
    if field.read_only {
        notes.push("Read-only: set by Genesys.");
    }
    if !notes.is_empty() {
        doc.push_str("\n\n");
        doc.push_str(&notes.join(" "));
    }
    doc
}

fn emit_model(model: &ModelDef) -> TokenStream {
    let cfg = cfg_attr(&model.gate);
    let name = ident(&model.name);
    if let Some(canonical) = &model.alias_of {
        let mut doc = match &model.doc {
            Some(d) if !d.trim().is_empty() => format!("{}\n\n", sanitize_doc(d)),
            _ => String::new(),
        };
        doc.push_str(&format!(
            "The `{}` definition of the notifications document. Its structure is that of [`{canonical}`], so it is that type (compiled once); `Model::DEFINITION` names `{canonical}`.\n\n{}",
            model.spec_name,
            gate_doc(&model.gate)
        ));
        let doc = doc_attrs(&doc);
        let target = ident(canonical);
        return quote! { #doc #cfg pub type #name = #target; };
    }
    let spec_name = &model.spec_name;
    let mut doc = match &model.doc {
        Some(d) if !d.trim().is_empty() => sanitize_doc(d),
        _ => format!("The `{}` definition of the spec.", model.spec_name),
    };
    doc.push_str(&format!("\n\n{}", gate_doc(&model.gate)));
    let doc = doc_attrs(&doc);

    let field_defs = model.fields.iter().map(|f| {
        let fname = ident(&f.rust);
        let ty = ty_tokens(&f.ty);
        let doc = doc_attrs(&field_doc(f));
        quote! { #doc pub #fname: Option<#ty>, }
    });

    let decode_arms = model.fields.iter().map(|f| {
        let json = &f.json;
        let fname = ident(&f.rust);
        if f.ty.is_lenient() {
            quote! { #json => self.#fname = map.next_value::<crate::__private::Lenient<_>>()?.0, }
        } else if matches!(f.ty, Ty::Vec(_)) {
            quote! { #json => self.#fname = map.next_value::<crate::__private::Compact<_>>()?.0, }
        } else {
            quote! { #json => self.#fname = map.next_value()?, }
        }
    });
    let decode_body = if model.fields.is_empty() {
        quote! {
            let _ = (key, map);
            Ok(false)
        }
    } else {
        quote! {
            match key {
                #(#decode_arms)*
                _ => return Ok(false),
            }
            Ok(true)
        }
    };

    let serialize_fields = model.fields.iter().map(|f| {
        let json = &f.json;
        let fname = ident(&f.rust);
        quote! { crate::__private::model_field(&mut map, #json, &self.#fname, &self.explicit_nulls)?; }
    });

    // One `Field<Self>` constant per property, for `Model::set_null`.
    let mut const_names = std::collections::BTreeSet::new();
    let field_consts = model.fields.iter().map(|f| {
        let mut const_name = f.rust.trim_end_matches('_').to_uppercase();
        while !const_names.insert(const_name.clone()) {
            const_name.push('_');
        }
        let const_ident = ident(&const_name);
        let json = &f.json;
        let doc = format!(
            " The `{json}` property ([`Self::{}`]), to mark it as an explicit `null` with [`Model::set_null`](crate::Model::set_null).",
            f.rust
        );
        quote! {
            #[doc = #doc]
            pub const #const_ident: crate::Field<Self> = crate::Field::new(#json);
        }
    }).collect::<Vec<_>>();
    let consts_impl = if field_consts.is_empty() {
        quote! {}
    } else {
        quote! {
            #cfg
            impl #name {
                #(#field_consts)*
            }
        }
    };

    let required: Vec<&FieldDef> = model.fields.iter().filter(|f| f.required).collect();
    let required_names = required.iter().map(|f| &f.json);
    let missing = if required.is_empty() {
        quote! { Vec::new() }
    } else {
        let checks = required.iter().map(|f| {
            let json = &f.json;
            let fname = ident(&f.rust);
            quote! {
                if self.#fname.is_none() && !self.unknown_fields.contains_key(#json) {
                    missing.push(#json);
                }
            }
        });
        quote! {
            let mut missing = Vec::new();
            #(#checks)*
            missing
        }
    };
    let expecting = format!("a {} object", model.spec_name);
    let field_names = model.fields.iter().map(|f| &f.json);
    let map_binding = if model.fields.is_empty() {
        quote! { map }
    } else {
        quote! { mut map }
    };

    quote! {
        #doc
        #cfg
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct #name {
            #(#field_defs)*
            /// JSON fields this model does not know, kept so that a
            /// read-modify-write round trip loses nothing.
            pub unknown_fields: crate::UnknownFields,
            /// Fields sent as `null` while they are `None`, and those that
            /// were `null` when decoded (see [`crate::nulls`]).
            pub explicit_nulls: crate::ExplicitNulls,
        }

        #consts_impl

        #cfg
        impl crate::Model for #name {
            const DEFINITION: &'static str = #spec_name;
            const REQUIRED: &'static [&'static str] = &[#(#required_names),*];
            fn unknown_fields(&self) -> &crate::UnknownFields {
                &self.unknown_fields
            }
            fn unknown_fields_mut(&mut self) -> &mut crate::UnknownFields {
                &mut self.unknown_fields
            }
            fn missing_required_fields(&self) -> Vec<&'static str> {
                #missing
            }
            fn explicit_nulls(&self) -> &crate::ExplicitNulls {
                &self.explicit_nulls
            }
            fn explicit_nulls_mut(&mut self) -> &mut crate::ExplicitNulls {
                &mut self.explicit_nulls
            }
        }

        #cfg
        impl crate::__private::DecodeFields for #name {
            const EXPECTING: &'static str = #expecting;
            fn decode_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                #decode_body
            }
            fn unknown_fields_slot(&mut self) -> &mut crate::UnknownFields {
                &mut self.unknown_fields
            }
            const FIELD_NAMES: &'static [&'static str] = &[#(#field_names),*];
            fn explicit_nulls_slot(&mut self) -> Option<&mut crate::ExplicitNulls> {
                Some(&mut self.explicit_nulls)
            }
        }

        #cfg
        crate::__impl_model_deserialize!(#name);

        #cfg
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                let #map_binding = serializer.serialize_map(None)?;
                #(#serialize_fields)*
                crate::__private::finish(map, &self.unknown_fields)
            }
        }
    }
}

fn emit_enum(def: &EnumDef) -> TokenStream {
    let cfg = cfg_attr(&def.gate);
    let name = ident(&def.name);
    if let Some(canonical) = &def.alias_of {
        let doc = doc_attrs(&format!(
            "The values of the `{}` property of [`{}`]: that model is an alias, so this is [`{canonical}`].",
            def.json_property, def.owner
        ));
        let target = ident(canonical);
        return quote! { #doc #cfg pub type #name = #target; };
    }
    let mut doc = match &def.doc {
        Some(d) if !d.trim().is_empty() => sanitize_doc(d),
        _ => format!("Values of `{}.{}`.", def.owner, def.json_property),
    };
    doc.push_str(&format!(
        "\n\nThe values of the `{}` property of [`{}`]. Open: a value Genesys adds later decodes as `Unrecognized` and re-encodes unchanged.",
        def.json_property, def.owner
    ));
    let doc = doc_attrs(&doc);
    let variants = def.variants.iter().map(|(v, wire)| {
        let v = ident(v);
        let doc = format!(" `{}`", wire.replace('`', "'"));
        quote! { #[doc = #doc] #v, }
    });
    let as_str = def.variants.iter().map(|(v, wire)| {
        let v = ident(v);
        quote! { Self::#v => #wire, }
    });
    let from_wire = def.variants.iter().map(|(v, wire)| {
        let v = ident(v);
        quote! { #wire => Self::#v, }
    });
    let wires = def.variants.iter().map(|(_, w)| w);
    quote! {
        #doc
        #cfg
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the spec does not list, kept verbatim.
            Unrecognized(String),
        }

        #cfg
        impl crate::OpenEnum for #name {
            const KNOWN_VALUES: &'static [&'static str] = &[#(#wires),*];
            fn as_str(&self) -> &str {
                match self {
                    #(#as_str)*
                    Self::Unrecognized(value) => value,
                }
            }
            fn from_wire(value: &str) -> Self {
                match value {
                    #(#from_wire)*
                    other => Self::Unrecognized(other.to_owned()),
                }
            }
            fn is_unrecognized(&self) -> bool {
                matches!(self, Self::Unrecognized(_))
            }
        }

        #cfg
        crate::__impl_open_enum!(#name);
    }
}

/// The module file for each first letter (`a.rs` ... `z.rs`), holding the
/// models whose names start with it and the enums they own.
fn shard_of(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_ascii_lowercase())
        .filter(char::is_ascii_alphabetic)
        .map_or_else(|| "other".to_owned(), |c| c.to_string())
}

pub fn format_file(tokens: TokenStream, header: &str) -> anyhow::Result<String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| anyhow::anyhow!("generated code does not parse: {e}"))?;
    Ok(format!("{header}{}", prettyplease::unparse(&file)))
}

pub fn header(ir: &Ir) -> String {
    let notifications = match &ir.notifications {
        Some(n) => format!(
            "\n// and \"{}\" {} (notifications SHA-256 {})",
            n.title, n.version, n.sha256
        ),
        None => String::new(),
    };
    format!(
        "// @generated by `cargo xtask codegen` from \"{}\" {} (spec SHA-256 {}){notifications}.\n\
         // Do not edit: change xtask/src/codegen and run `cargo xtask codegen`.\n\n",
        ir.title, ir.version, ir.sha256
    )
}

pub fn emit_models(ir: &Ir) -> anyhow::Result<Vec<GeneratedFile>> {
    let header = header(ir);
    let mut shards: BTreeMap<String, Vec<TokenStream>> = BTreeMap::new();
    let mut enums_by_owner: BTreeMap<&str, Vec<&EnumDef>> = BTreeMap::new();
    for e in &ir.enums {
        enums_by_owner.entry(e.owner.as_str()).or_default().push(e);
    }
    for model in &ir.models {
        let shard = shards.entry(shard_of(&model.name)).or_default();
        shard.push(emit_model(model));
        for e in enums_by_owner
            .get(model.name.as_str())
            .into_iter()
            .flatten()
        {
            shard.push(emit_enum(e));
        }
    }
    let mut files = Vec::new();
    let mut mods = Vec::new();
    for (shard, items) in shards {
        let module = format_ident!("{}", shard);
        mods.push(quote! { mod #module; pub use #module::*; });
        let tokens = quote! {
            #![allow(clippy::all, unused_imports)]
            use super::*;
            #(#items)*
        };
        files.push(GeneratedFile {
            path: format!("models/{shard}.rs"),
            contents: format_file(tokens, &header)?,
        });
    }
    let model_count = ir.models.len() - ir.aliases;
    let enum_count = ir.enums.iter().filter(|e| e.alias_of.is_none()).count();
    let doc = format!(
        " {model_count} models, {} aliases of identical models and {enum_count} enums, one file per first letter.",
        ir.aliases
    );
    files.push(GeneratedFile {
        path: "models/mod.rs".into(),
        contents: format_file(
            quote! {
                #![doc = #doc]
                // A shard holds only gated items, so with few features some re-exports are empty.
                #![allow(unused_imports)]
                #(#mods)*
            },
            &header,
        )?,
    });
    Ok(files)
}

pub fn emit_catalogue(ir: &Ir) -> anyhow::Result<GeneratedFile> {
    // Most operations share the same few error-code groups: one static each.
    let mut groups: BTreeMap<&Vec<(String, String)>, usize> = BTreeMap::new();
    for op in &ir.operations {
        for (_, codes) in &op.errors {
            let next = groups.len();
            groups.entry(codes).or_insert(next);
        }
    }
    let mut group_items: Vec<(usize, TokenStream)> = groups
        .iter()
        .map(|(codes, id)| {
            let name = format_ident!("CODES_{}", id);
            let entries = codes.iter().map(|(code, message)| {
                quote! { ErrorCode { code: #code, message: #message }, }
            });
            (
                *id,
                quote! { static #name: &[ErrorCode] = &[#(#entries)*]; },
            )
        })
        .collect();
    group_items.sort_by_key(|(id, _)| *id);
    let group_items = group_items.into_iter().map(|(_, t)| t);

    let ops = ir.operations.iter().map(|op| emit_operation(op, &groups));
    let title = &ir.title;
    let version = &ir.version;
    let sha = &ir.sha256;
    let count = ir.operations.len();
    let doc = format!(" The {count} operations of the spec, sorted by id.");
    let tokens = quote! {
        #![allow(clippy::all)]
        use crate::catalogue::{
            ErrorCode, HttpMethod, Operation, Parameter, ParameterLocation, PermissionRequirement,
            Permissions, Security, StatusErrorCodes,
        };

        /// The `info.title` of the spec the catalogue was generated from.
        pub const SPEC_TITLE: &str = #title;
        /// The `info.version` of the spec the catalogue was generated from.
        pub const SPEC_VERSION: &str = #version;
        /// The SHA-256 of the spec the catalogue was generated from.
        pub const SPEC_SHA256: &str = #sha;

        #(#group_items)*

        #[doc = #doc]
        pub static OPERATIONS: &[Operation] = &[#(#ops)*];
    };
    Ok(GeneratedFile {
        path: "catalogue.rs".into(),
        contents: format_file(tokens, &header(ir))?,
    })
}

fn emit_operation(
    op: &OperationDef,
    groups: &BTreeMap<&Vec<(String, String)>, usize>,
) -> TokenStream {
    let id = &op.id;
    let tags = &op.tags;
    let method = ident(match op.method.as_str() {
        "get" => "Get",
        "head" => "Head",
        "post" => "Post",
        "put" => "Put",
        "patch" => "Patch",
        "delete" => "Delete",
        _ => "Options",
    });
    let path = &op.path;
    let summary = &op.summary;
    let params = op.params.iter().map(|p| {
        let name = &p.name;
        let location = ident(match p.location.as_str() {
            "path" => "Path",
            "query" => "Query",
            "header" => "Header",
            "body" => "Body",
            _ => "FormData",
        });
        let required = p.required;
        let schema = &p.schema;
        let values = &p.enum_values;
        quote! {
            Parameter {
                name: #name,
                location: ParameterLocation::#location,
                required: #required,
                schema: #schema,
                enum_values: &[#(#values),*],
            },
        }
    });
    let opt = |v: &Option<String>| match v {
        Some(s) => quote! { Some(#s) },
        None => quote! { None },
    };
    let body_type = opt(&op.body_type);
    let response_type = opt(&op.response_type);
    let success = &op.success;
    let permissions = match &op.permissions {
        Some((kind, list)) => {
            let req = ident(if kind == "ANY" { "Any" } else { "All" });
            quote! {
                Some(Permissions {
                    requirement: PermissionRequirement::#req,
                    permissions: &[#(#list),*],
                })
            }
        }
        None => quote! { None },
    };
    let security = match &op.security {
        SecurityDef::Unknown => quote! { Security::Unknown },
        SecurityDef::Public => quote! { Security::Public },
        SecurityDef::OAuth(scopes) => quote! { Security::OAuth { scopes: &[#(#scopes),*] } },
        SecurityDef::ApiKey(scheme) => quote! { Security::ApiKey { scheme: #scheme } },
    };
    let deprecated = op.deprecated;
    let preview = op.preview;
    let errors = op.errors.iter().map(|(status, codes)| {
        let group = format_ident!("CODES_{}", groups[codes]);
        quote! { StatusErrorCodes { status: #status, codes: #group }, }
    });
    let user = op.requires_user_context;
    quote! {
        Operation {
            id: #id,
            tags: &[#(#tags),*],
            method: HttpMethod::#method,
            path: #path,
            summary: #summary,
            parameters: &[#(#params)*],
            body_type: #body_type,
            response_type: #response_type,
            success_statuses: &[#(#success),*],
            permissions: #permissions,
            security: #security,
            deprecated: #deprecated,
            preview: #preview,
            error_codes: &[#(#errors)*],
            requires_user_context: #user,
        },
    }
}

pub fn emit_root(ir: &Ir) -> anyhow::Result<GeneratedFile> {
    let tokens = quote! {
        //! Code generated from the spec; see the crate docs.
        pub mod catalogue;
        pub mod models;
        pub mod topics;
    };
    Ok(GeneratedFile {
        path: "mod.rs".into(),
        contents: format_file(tokens, &header(ir))?,
    })
}

/// `"a", "b"`: names as the items of a TOML array.
pub fn toml_strings<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    names
        .into_iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every tag feature and topic feature, as TOML array items.
pub fn every_feature(ir: &Ir) -> String {
    toml_strings(ir.features.keys().chain(ir.topic_features.keys()))
}

/// The `[features]` block of the model crate's Cargo.toml.
pub fn features_block(ir: &Ir) -> String {
    let mut out = String::new();
    out.push_str("[features]\n");
    out.push_str(
        "# No tag by default: a plain build compiles only the catalogue and the error body.\n",
    );
    out.push_str("default = []\n");
    out.push_str("# Every tag and topic family, plus the definitions no operation references.\n");
    out.push_str(&format!("full = [{}]\n", every_feature(ir)));
    for (feature, tag) in &ir.features {
        out.push_str(&format!(
            "# The models of the \"{tag}\" operations.\n{feature} = []\n"
        ));
    }
    if !ir.topic_features.is_empty() {
        out.push_str(&format!(
            "# Every notification topic family.\nall-topics = [{}]\n",
            toml_strings(ir.topic_features.keys())
        ));
    }
    for (feature, family) in &ir.topic_features {
        out.push_str(&format!(
            "# The events of the `v2.{family}.*` notification topics (their builders, `Event` variants and models).\n{feature} = []\n"
        ));
    }
    out
}
