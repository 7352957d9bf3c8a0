//! Rust source for the facade's API surface: one handler per tag
//! (`client.conversations()`), one method per operation, returning a typed
//! request that is awaited directly or refined with optional parameters.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::emit::{GeneratedFile, format_file, header, sanitize_doc};
use super::ir::{Ir, OperationDef, ParamDef, ParamTy, SecurityDef};
use super::names::{self, Namespace};
use super::paging;

fn parse_type(rust: &str) -> TokenStream {
    syn::parse_str::<syn::Type>(rust)
        .map(|t| quote! { #t })
        .unwrap_or_else(|_| quote! { serde_json::Value })
}

/// The argument type a parameter takes, and how it is turned into the
/// string(s) the request carries.
fn param_arg(ty: &ParamTy) -> TokenStream {
    match ty {
        ParamTy::Str | ParamTy::Json => quote! { impl Into<String> },
        ParamTy::I32 => quote! { i32 },
        ParamTy::I64 => quote! { i64 },
        ParamTy::F64 => quote! { f64 },
        ParamTy::Bool => quote! { bool },
        ParamTy::DateTime => quote! { genesys_model::DateTime },
        ParamTy::Date => quote! { genesys_model::Date },
        ParamTy::List(inner) => {
            let item = match inner.as_ref() {
                ParamTy::Str | ParamTy::Json | ParamTy::List(_) => quote! { impl Into<String> },
                other => param_arg(other),
            };
            quote! { impl IntoIterator<Item = #item> }
        }
    }
}

/// Expression converting the argument `v` into a `String` (scalars) or
/// `Vec<String>` (lists).
fn param_to_string(ty: &ParamTy, v: &syn::Ident) -> TokenStream {
    match ty {
        ParamTy::Str | ParamTy::Json => quote! { #v.into() },
        ParamTy::List(inner) => match inner.as_ref() {
            ParamTy::Str | ParamTy::Json | ParamTy::List(_) => {
                quote! { #v.into_iter().map(Into::into).collect::<Vec<String>>() }
            }
            _ => quote! { #v.into_iter().map(|x| x.to_string()).collect::<Vec<String>>() },
        },
        _ => quote! { #v.to_string() },
    }
}

fn path_arg(ty: &ParamTy) -> TokenStream {
    match ty {
        ParamTy::I32 => quote! { i32 },
        ParamTy::I64 => quote! { i64 },
        ParamTy::Bool => quote! { bool },
        _ => quote! { &str },
    }
}

fn param_doc(p: &ParamDef) -> String {
    let mut doc = match &p.description {
        Some(d) if !d.trim().is_empty() => sanitize_doc(d),
        _ => format!("The `{}` parameter.", p.name),
    };
    doc.push_str(&format!(" ({} parameter `{}`", p.location, p.name));
    if !p.enum_values.is_empty() {
        let values: Vec<String> = p.enum_values.iter().map(|v| format!("`{v}`")).collect();
        doc.push_str(&format!("; one of {}", values.join(", ")));
    }
    doc.push(')');
    doc
}

fn doc_lines(text: &str) -> TokenStream {
    let lines: Vec<String> = text
        .lines()
        .map(|l| format!(" {l}").trim_end().to_owned())
        .collect();
    quote! { #(#[doc = #lines])* }
}

fn operation_doc(op: &OperationDef) -> String {
    let mut doc = if op.summary.trim().is_empty() {
        format!("`{}`", op.id)
    } else {
        sanitize_doc(&op.summary)
    };
    if !op.description.trim().is_empty() && op.description.trim() != op.summary.trim() {
        doc.push_str("\n\n");
        doc.push_str(&sanitize_doc(&op.description));
    }
    doc.push_str(&format!(
        "\n\n`{} {}` (operation `{}`).",
        op.method.to_uppercase(),
        op.path,
        op.id
    ));
    if op.requires_user_context {
        doc.push_str(
            "\n\n**Needs a user context**: a client-credentials token is refused (`not.a.user`); \
             the client's preflight check reports this before sending.",
        );
    }
    match &op.permissions {
        Some((kind, list)) if !list.is_empty() => {
            let list: Vec<String> = list.iter().map(|p| format!("`{p}`")).collect();
            let how = if kind == "ANY" { "any of" } else { "all of" };
            doc.push_str(&format!("\n\nPermissions: {how} {}.", list.join(", ")));
        }
        _ => {}
    }
    match &op.security {
        SecurityDef::OAuth(scopes) if !scopes.is_empty() => {
            let list: Vec<String> = scopes.iter().map(|s| format!("`{s}`")).collect();
            doc.push_str(&format!("\n\nOAuth scopes (any of): {}.", list.join(", ")));
        }
        SecurityDef::Public => doc.push_str("\n\nNo authorization needed."),
        _ => {}
    }
    if op.preview {
        doc.push_str("\n\nPreview API: it may change or disappear without notice.");
    }
    doc
}

struct OperationCode {
    method: TokenStream,
    marker: TokenStream,
}

/// `index`: the operation's position in the catalogue (`ir.operations`,
/// which the catalogue emits in the same order).
fn emit_operation(
    op: &OperationDef,
    index: usize,
    marker_name: &str,
    feature: &str,
) -> OperationCode {
    let marker = format_ident!("{}", marker_name);
    let method_name = format_ident!("{}", names::field_name(&op.id.to_snake_case()));
    let id = &op.id;
    let output = match &op.response_rust {
        Some(body) => parse_type(&body.rust),
        None => quote! { () },
    };

    let mut arg_names = Namespace::default();
    arg_names.reserve("self");
    let mut args = Vec::new();
    let mut setup = Vec::new();
    let mut setters = Vec::new();

    // Path: its literal pieces, with each {param} percent-encoded between
    // them (`build_path`, one allocation).
    let mut path_literals = Vec::new();
    let mut path_args = Vec::new();
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        path_literals.push(rest[..start].to_owned());
        let name = &rest[start + 1..end];
        let param = op
            .params
            .iter()
            .find(|p| p.location == "path" && p.name == name);
        let ty = param.map_or(ParamTy::Str, |p| p.ty.clone());
        let arg = format_ident!("{}", arg_names.claim(&names::field_name(name), "_"));
        let arg_ty = path_arg(&ty);
        args.push(quote! { #arg: #arg_ty });
        path_args.push(match ty {
            ParamTy::I32 | ParamTy::I64 | ParamTy::Bool => quote! { &#arg.to_string() },
            _ => quote! { #arg },
        });
        rest = &rest[(end + 1).min(rest.len())..];
    }
    path_literals.push(rest.to_owned());

    for p in &op.params {
        match p.location.as_str() {
            "query" | "header" => {
                let is_query = p.location == "query";
                let multi = p.collection_format.as_deref() == Some("multi");
                let name = &p.name;
                let conv_ident = format_ident!("value");
                let store = match (&p.ty, is_query) {
                    (ParamTy::List(_), true) => {
                        let conv = param_to_string(&p.ty, &conv_ident);
                        quote! { request.query_list(#name, #conv, #multi); }
                    }
                    (ParamTy::List(_), false) => {
                        let conv = param_to_string(&p.ty, &conv_ident);
                        quote! { request.header(#name, #conv.join(",")); }
                    }
                    (_, true) => {
                        let conv = param_to_string(&p.ty, &conv_ident);
                        quote! { request.query(#name, #conv); }
                    }
                    (_, false) => {
                        let conv = param_to_string(&p.ty, &conv_ident);
                        quote! { request.header(#name, #conv); }
                    }
                };
                let arg_ty = param_arg(&p.ty);
                let doc = doc_lines(&param_doc(p));
                if p.required {
                    let arg = format_ident!("{}", arg_names.claim(&names::field_name(name), "_"));
                    args.push(quote! { #arg: #arg_ty });
                    setup.push(quote! {
                        {
                            let value = #arg;
                            #store
                        }
                    });
                } else {
                    let setter = format_ident!("{}", names::field_name(name));
                    setters.push(quote! {
                        #doc
                        pub fn #setter(mut self, value: #arg_ty) -> Self {
                            let request = self.parts_mut();
                            #store
                            self
                        }
                    });
                }
            }
            "body" => {
                let body_ty = op
                    .body_rust
                    .as_ref()
                    .map_or_else(|| quote! { serde_json::Value }, |b| parse_type(&b.rust));
                let arg = format_ident!("{}", arg_names.claim("body", "_"));
                args.push(quote! { #arg: &#body_ty });
                if op.body_rust.as_ref().is_some_and(|b| b.is_model) {
                    setup.push(quote! { request.model_body(#arg); });
                } else {
                    setup.push(quote! { request.json_body(#arg); });
                }
            }
            _ => {}
        }
    }

    let doc = doc_lines(&operation_doc(op));
    let deprecated = op.deprecated.then(|| {
        quote! { #[deprecated(note = "deprecated in the Genesys Cloud API")] }
    });
    let path = if path_args.is_empty() {
        let literal = op.path.clone();
        quote! { String::from(#literal) }
    } else {
        quote! { crate::operation::build_path(&[#(#path_literals),*], &[#(#path_args),*]) }
    };
    let index = proc_macro2::Literal::usize_unsuffixed(index);
    let binding = if setup.is_empty() {
        quote! { request }
    } else {
        quote! { mut request }
    };
    let method = quote! {
        #doc
        #deprecated
        pub fn #method_name(&self, #(#args),*) -> crate::Request<'a, #marker> {
            let #binding = crate::operation::OperationRequest::indexed(#index, #id, #path);
            #(#setup)*
            crate::Request::new(self.client, request)
        }
    };

    let marker_doc = format!(
        " Marker for the `{id}` operation: see [`{}Api`].",
        feature.to_upper_camel_case()
    );
    let method_name_str = method_name.to_string();
    let marker_doc2 = format!(" Built by `{method_name_str}`.");
    let setters_impl = (!setters.is_empty()).then(|| {
        quote! {
            impl crate::Request<'_, #marker> {
                #(#setters)*
            }
        }
    });
    let marker = quote! {
        #[doc = #marker_doc]
        #[doc = #marker_doc2]
        #[derive(Debug, Clone, Copy)]
        pub struct #marker;

        impl crate::ApiOperation for #marker {
            const ID: &'static str = #id;
            type Output = #output;
        }

        #setters_impl
    };
    OperationCode { method, marker }
}

pub fn emit_api(ir: &Ir) -> anyhow::Result<Vec<GeneratedFile>> {
    let header = header(ir);
    let catalogue_index: BTreeMap<&str, usize> = ir
        .operations
        .iter()
        .enumerate()
        .map(|(i, op)| (op.id.as_str(), i))
        .collect();
    let mut by_feature: BTreeMap<String, (String, Vec<&OperationDef>)> = BTreeMap::new();
    for op in &ir.operations {
        for tag in &op.tags {
            by_feature
                .entry(names::feature_name(tag))
                .or_insert_with(|| (tag.clone(), Vec::new()))
                .1
                .push(op);
        }
    }

    let mut files = Vec::new();
    let mut mods = Vec::new();
    let models = paging::Models::new(ir);
    // listing type → features of the paged operations that return it
    let mut listings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();

    for (feature, (tag, ops)) in &by_feature {
        let module = format_ident!("{}", feature.replace('-', "_"));
        let handler = format_ident!("{}Api", feature.to_upper_camel_case());
        let accessor = format_ident!("{}", names::field_name(&feature.replace('-', "_")));
        let mut markers_ns = Namespace::default();
        markers_ns.reserve(&handler.to_string());
        let mut methods = Vec::new();
        let mut markers = Vec::new();
        let mut paged_impls = Vec::new();
        for op in ops {
            let marker_name = markers_ns.claim(&op.id.to_upper_camel_case(), "");
            let code = emit_operation(op, catalogue_index[op.id.as_str()], &marker_name, feature);
            methods.push(code.method);
            markers.push(code.marker);
            if let paging::Classification::Paged { style, listing } = paging::classify(&models, op)
            {
                listings.entry(listing).or_default().insert(feature.clone());
                paged_impls.push(paging::paged_impl(&marker_name, style));
            }
        }
        let accessor_doc = format!(" The operations of the \"{tag}\" tag (feature `{feature}`).");
        let handler_doc = format!(
            " The \"{tag}\" operations of the Genesys Cloud API (feature `{feature}`).\n\n Get one with [`Client::{accessor}`](crate::Client::{accessor}); each method returns a [`Request`](crate::Request) you can `.await` directly or refine first."
        );
        let module_doc =
            format!(" The \"{tag}\" operations: [`{handler}`] and one marker type per operation.");
        let tokens = quote! {
            #![doc = #module_doc]
            #![allow(clippy::all, deprecated)]

            impl crate::Client {
                #[doc = #accessor_doc]
                pub fn #accessor(&self) -> #handler<'_> {
                    #handler { client: self }
                }
            }

            #[doc = #handler_doc]
            #[derive(Debug, Clone, Copy)]
            pub struct #handler<'a> {
                client: &'a crate::Client,
            }

            impl<'a> #handler<'a> {
                #(#methods)*
            }

            #(#markers)*

            #(#paged_impls)*
        };
        files.push(GeneratedFile {
            path: format!("{}.rs", feature.replace('-', "_")),
            contents: format_file(tokens, &header)?,
        });
        let cfg = quote! { #[cfg(feature = #feature)] };
        mods.push(quote! {
            #cfg
            pub mod #module;
            #cfg
            pub use #module::#handler;
        });
    }

    let listing_impls = listings
        .iter()
        .filter_map(|(listing, features)| paging::listing_impl(&models, listing, features));
    let count = ir.operations.len();
    let doc = format!(
        " The generated API: {count} operations in {} tags.",
        by_feature.len()
    );
    files.push(GeneratedFile {
        path: "mod.rs".into(),
        contents: format_file(
            quote! {
                #![doc = #doc]
                #![allow(clippy::all)]
                #(#mods)*
                #(#listing_impls)*
            },
            &header,
        )?,
    });
    Ok(files)
}

/// The facade's hand-written notification channel client: the REST tag it
/// calls, the call topics it follows, and its WebSocket and TLS crates.
const NOTIFICATIONS_CLIENT_FEATURE: &str = "# The notification channel client (WebSocket): live events instead of polling.\nnotifications-client = [\"notifications\", \"topics-users\", \"dep:tokio-tungstenite\", \"dep:rustls\", \"dep:rand\", \"futures-util/sink\"]\n";

/// The facade's `[features]` block: each tag forwards to the model's.
pub fn facade_features_block(ir: &Ir) -> String {
    let mut out = String::new();
    out.push_str("[features]\n");
    out.push_str("# The job this SDK exists for: placing calls and following them by events.\n");
    if ir.topic_features.is_empty() {
        out.push_str("default = [\"conversations\", \"users\", \"tokens\"]\n");
    } else {
        out.push_str(
            "default = [\"conversations\", \"users\", \"tokens\", \"notifications-client\"]\n",
        );
    }
    out.push_str(&format!(
        "# Every tag, plus every model.\nfull = [\"genesys-model/full\", {}]\n",
        super::emit::every_feature(ir)
    ));
    for (feature, tag) in &ir.features {
        out.push_str(&format!(
            "# The \"{tag}\" operations and their models.\n{feature} = [\"genesys-model/{feature}\"]\n"
        ));
    }
    if !ir.topic_features.is_empty() {
        out.push_str("# Every notification topic family's events.\nall-topics = [\"genesys-model/all-topics\"]\n");
        out.push_str(NOTIFICATIONS_CLIENT_FEATURE);
    }
    for (feature, family) in &ir.topic_features {
        out.push_str(&format!(
            "# The events of the `v2.{family}.*` notification topics.\n{feature} = [\"genesys-model/{feature}\"]\n"
        ));
    }
    out
}
