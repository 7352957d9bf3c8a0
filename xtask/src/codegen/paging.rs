//! Listing operations: which paging style each one uses, read from its
//! query parameters and its response model, and the facade's `Listing`
//! impls (one per listing model) and `Paged` impls (one per operation).
//!
//! The styles, in the order they are tried (an operation that takes both
//! `pageNumber` and `nextPage` pages by number, whose `pageCount` tells
//! where it ends):
//!
//! | style | the operation takes | the response gives |
//! |---|---|---|
//! | page number | `pageNumber` | `pageCount`, or a `nextUri` while there are more |
//! | cursor | `cursor` | `cursor`, `cursors.after` or a `nextUri` |
//! | after | `after` | `cursors.after`, `cursor` or a `nextUri` |
//! | next page | `nextPage` | `nextPage` or a `nextUri` |
//! | start index | `startIndex` (SCIM) | `totalResults` |
//! | next URI | nothing (GET only) | a `nextUri` |
//!
//! and the response must hold an item array: `entities`, `Resources`,
//! `results`, or its only array. GET and POST operations are listings
//! (a POST query re-sends its body with each page's parameter); PUT, PATCH
//! and DELETE answers are never paged.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ir::{FieldDef, Ir, ModelDef, OperationDef, Ty};

/// How a listing operation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Style {
    /// `pageNumber` up to `pageCount`.
    PageNumber,
    /// A `cursor` parameter.
    Cursor,
    /// An `after` parameter.
    After,
    /// A `nextPage` token.
    NextPage,
    /// SCIM `startIndex`/`count` up to `totalResults`.
    StartIndex,
    /// Only the response's `nextUri`.
    NextUri,
}

impl Style {
    /// Every style, in report order.
    #[cfg(test)]
    pub const ALL: [Style; 6] = [
        Style::PageNumber,
        Style::Cursor,
        Style::After,
        Style::NextPage,
        Style::StartIndex,
        Style::NextUri,
    ];

    /// The variant of the facade's `PagingStyle`.
    fn variant(self) -> &'static str {
        match self {
            Style::PageNumber => "PageNumber",
            Style::Cursor => "Cursor",
            Style::After => "After",
            Style::NextPage => "NextPage",
            Style::StartIndex => "StartIndex",
            Style::NextUri => "NextUri",
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Style::PageNumber => "page number (pageNumber/pageCount)",
            Style::Cursor => "cursor",
            Style::After => "after",
            Style::NextPage => "nextPage token",
            Style::StartIndex => "SCIM startIndex/totalResults",
            Style::NextUri => "nextUri only",
        })
    }
}

/// What an operation is, as far as paging goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification {
    /// A listing that pages in this style; its response is the named model.
    Paged { style: Style, listing: String },
    /// It looks like a listing (a paging parameter, or a GET answering a
    /// listing model with paging fields) but cannot be paged: why.
    Unclassified(String),
    /// Not a listing.
    NotAListing,
}

/// The item arrays a listing may hold, preferred in this order.
const ITEM_FIELDS: [&str; 3] = ["entities", "Resources", "results"];

/// Query parameters that say which page to get.
const POSITION_PARAMS: [&str; 5] = ["pageNumber", "cursor", "after", "nextPage", "startIndex"];

/// The generated models by Rust name.
pub struct Models<'a> {
    by_name: HashMap<&'a str, &'a ModelDef>,
}

impl<'a> Models<'a> {
    pub fn new(ir: &'a Ir) -> Self {
        Models {
            by_name: ir.models.iter().map(|m| (m.name.as_str(), m)).collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&'a ModelDef> {
        self.by_name.get(name).copied()
    }

    /// The model an operation answers, when it answers one.
    fn response(&self, op: &OperationDef) -> Option<&'a ModelDef> {
        let body = op.response_rust.as_ref().filter(|b| b.is_model)?;
        self.get(body.rust.strip_prefix("genesys_model::")?)
            .filter(|m| m.alias_of.is_none())
    }
}

/// Where a listing model's next-page token comes from.
#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    /// A string field (`cursor`, `nextPage`).
    Field(&'a FieldDef),
    /// `cursors.after`: the `cursors` field and its model's `after` field.
    CursorsAfter(&'a FieldDef, &'a FieldDef),
}

/// The paging fields of a listing model.
#[derive(Debug, Clone, Copy)]
struct Shape<'a> {
    items: &'a FieldDef,
    page_count: Option<&'a FieldDef>,
    next_uri: Option<&'a FieldDef>,
    token: Option<Token<'a>>,
    total_results: Option<&'a FieldDef>,
    start_index: Option<&'a FieldDef>,
}

fn field<'a>(model: &'a ModelDef, json: &str) -> Option<&'a FieldDef> {
    model.fields.iter().find(|f| f.json == json)
}

fn string_field<'a>(model: &'a ModelDef, json: &str) -> Option<&'a FieldDef> {
    field(model, json).filter(|f| f.ty == Ty::String)
}

fn integer_field<'a>(model: &'a ModelDef, json: &str) -> Option<&'a FieldDef> {
    field(model, json).filter(|f| matches!(f.ty, Ty::I32 | Ty::I64))
}

/// The item array: a preferred name, else the only array.
fn items_field(model: &ModelDef) -> Option<&FieldDef> {
    let arrays: Vec<&FieldDef> = model
        .fields
        .iter()
        .filter(|f| matches!(f.ty, Ty::Vec(_)))
        .collect();
    ITEM_FIELDS
        .iter()
        .find_map(|name| arrays.iter().find(|f| f.json == *name).copied())
        .or(match arrays.as_slice() {
            [only] => Some(*only),
            _ => None,
        })
}

impl<'a> Models<'a> {
    fn shape(&self, model: &'a ModelDef) -> Option<Shape<'a>> {
        let cursors_after = field(model, "cursors").and_then(|cursors| {
            let inner = match &cursors.ty {
                Ty::Model(name) => name,
                Ty::Boxed(inner) => match inner.as_ref() {
                    Ty::Model(name) => name,
                    _ => return None,
                },
                _ => return None,
            };
            let after = string_field(self.get(inner)?, "after")?;
            Some(Token::CursorsAfter(cursors, after))
        });
        let token = string_field(model, "cursor")
            .map(Token::Field)
            .or(cursors_after)
            .or_else(|| string_field(model, "nextPage").map(Token::Field));
        Some(Shape {
            items: items_field(model)?,
            page_count: integer_field(model, "pageCount"),
            next_uri: string_field(model, "nextUri"),
            token,
            total_results: integer_field(model, "totalResults"),
            start_index: integer_field(model, "startIndex"),
        })
    }
}

/// Classifies one operation.
pub fn classify(models: &Models<'_>, op: &OperationDef) -> Classification {
    let method = op.method.to_ascii_lowercase();
    if method != "get" && method != "post" {
        return Classification::NotAListing;
    }
    let takes = |name: &str| {
        op.params
            .iter()
            .any(|p| p.location == "query" && p.name == name)
    };
    let positions: Vec<&str> = POSITION_PARAMS
        .iter()
        .copied()
        .filter(|p| takes(p))
        .collect();
    let Some(model) = models.response(op) else {
        return if positions.is_empty() {
            Classification::NotAListing
        } else {
            Classification::Unclassified(format!(
                "takes `{}` but answers no listing model",
                positions.join("`, `")
            ))
        };
    };
    let name = &model.name;
    let Some(shape) = models.shape(model) else {
        return if positions.is_empty() {
            Classification::NotAListing
        } else {
            Classification::Unclassified(format!(
                "takes `{}` but `{name}` has no item array",
                positions.join("`, `")
            ))
        };
    };
    let paged = |style| Classification::Paged {
        style,
        listing: name.clone(),
    };
    let next_uri = shape.next_uri.is_some();
    if takes("pageNumber") && (shape.page_count.is_some() || next_uri) {
        return paged(Style::PageNumber);
    }
    let tokens = shape.token.is_some() || next_uri;
    if takes("cursor") && tokens {
        return paged(Style::Cursor);
    }
    if takes("after") && tokens {
        return paged(Style::After);
    }
    if takes("nextPage") && tokens {
        return paged(Style::NextPage);
    }
    if takes("startIndex") && shape.total_results.is_some() {
        return paged(Style::StartIndex);
    }
    if method == "get" && positions.is_empty() && next_uri {
        return paged(Style::NextUri);
    }
    // What is left: say why, when it looks like a listing.
    let paging_fields: Vec<&str> = [
        shape.page_count.map(|_| "pageCount"),
        shape.token.map(|t| match t {
            Token::Field(f) => f.json.as_str(),
            Token::CursorsAfter(..) => "cursors.after",
        }),
        shape.total_results.map(|_| "totalResults"),
        shape.next_uri.map(|_| "nextUri"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(first) = positions.first() {
        let wanted = match *first {
            "pageNumber" => "neither `pageCount` nor `nextUri`, so the last page cannot be told",
            "startIndex" => "no `totalResults`, so the last page cannot be told",
            _ => {
                "neither a cursor (`cursor`, `cursors.after`, `nextPage`) nor `nextUri`, \
                 so the next page cannot be found"
            }
        };
        return Classification::Unclassified(format!(
            "takes `{first}` but `{name}` gives {wanted}"
        ));
    }
    let listing_items = ITEM_FIELDS.contains(&shape.items.json.as_str());
    if method == "get" && listing_items && !paging_fields.is_empty() {
        return Classification::Unclassified(format!(
            "`{name}` has {} but the operation takes no page parameter and gets no `nextUri` \
             (one page, or paged through another parameter such as a search's `q64`)",
            paging_fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Classification::NotAListing
}

/// Per-style counts and the listings left unclassified
/// (`cargo test -p xtask paging_report -- --ignored --nocapture`).
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Report {
    pub counts: std::collections::BTreeMap<Style, usize>,
    /// (operation id, why), sorted by id.
    pub unclassified: Vec<(String, String)>,
}

#[cfg(test)]
impl Report {
    pub fn of(ir: &Ir) -> Report {
        let models = Models::new(ir);
        let mut report = Report::default();
        for op in &ir.operations {
            match classify(&models, op) {
                Classification::Paged { style, .. } => {
                    *report.counts.entry(style).or_default() += 1;
                }
                Classification::Unclassified(why) => report.unclassified.push((op.id.clone(), why)),
                Classification::NotAListing => {}
            }
        }
        report
    }

    /// The paged operations.
    pub fn paged(&self) -> usize {
        self.counts.values().sum()
    }
}

#[cfg(test)]
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "paged listing operations: {}", self.paged())?;
        for style in Style::ALL {
            let n = self.counts.get(&style).copied().unwrap_or(0);
            writeln!(f, "  {n:>4}  {style}")?;
        }
        writeln!(
            f,
            "listing-like operations left unclassified: {}",
            self.unclassified.len()
        )?;
        for (id, why) in &self.unclassified {
            writeln!(f, "  {id}: {why}")?;
        }
        Ok(())
    }
}

/// `impl crate::Paged for Marker`: the operation's style.
pub fn paged_impl(marker: &str, style: Style) -> TokenStream {
    let marker = format_ident!("{}", marker);
    let variant = format_ident!("{}", style.variant());
    quote! {
        impl crate::Paged for #marker {
            const STYLE: crate::PagingStyle = crate::PagingStyle::#variant;
        }
    }
}

/// `impl crate::Listing for genesys_model::Model`, compiled with any of
/// `features` (those of the operations that page through it).
pub fn listing_impl(
    models: &Models<'_>,
    listing: &str,
    features: &BTreeSet<String>,
) -> Option<TokenStream> {
    let model = models.get(listing)?;
    let shape = models.shape(model)?;
    let item = match &shape.items.ty {
        Ty::Vec(inner) => super::emit::ty_tokens_pub(inner),
        _ => return None,
    };
    let ident = |f: &FieldDef| format_ident!("{}", f.rust);
    let mut info = Vec::new();
    if let Some(f) = shape.page_count {
        let f = ident(f);
        info.push(quote! { page_count: self.#f.map(i64::from), });
    }
    if let Some(f) = shape.next_uri {
        let f = ident(f);
        info.push(quote! { next_uri: self.#f.as_deref(), });
    }
    match shape.token {
        Some(Token::Field(f)) => {
            let f = ident(f);
            info.push(quote! { cursor: self.#f.as_deref(), });
        }
        Some(Token::CursorsAfter(cursors, after)) => {
            let (cursors, after) = (ident(cursors), ident(after));
            info.push(quote! { cursor: self.#cursors.as_ref().and_then(|c| c.#after.as_deref()), });
        }
        None => {}
    }
    if let Some(f) = shape.total_results {
        let f = ident(f);
        info.push(quote! { total_results: self.#f.map(i64::from), });
    }
    if let Some(f) = shape.start_index {
        let f = ident(f);
        info.push(quote! { start_index: self.#f.map(i64::from), });
    }
    let items = ident(shape.items);
    let ty = format_ident!("{}", listing);
    let fs = features.iter();
    Some(quote! {
        #[cfg(any(#(feature = #fs),*))]
        impl crate::Listing for genesys_model::#ty {
            type Item = #item;
            fn page_info(&self) -> crate::PageInfo<'_> {
                crate::PageInfo { #(#info)* ..Default::default() }
            }
            fn items(&self) -> &[Self::Item] {
                self.#items.as_deref().unwrap_or_default()
            }
            fn into_items(self) -> Vec<Self::Item> {
                self.#items.unwrap_or_default()
            }
        }
    })
}
