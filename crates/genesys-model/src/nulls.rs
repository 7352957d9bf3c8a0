//! Explicit `null`s: sending `"field": null` (to clear a field with PATCH)
//! and seeing that a decoded payload had `null` rather than nothing.
//!
//! Every model field is an `Option<T>` and `None` is left out of the JSON,
//! which is what almost every request wants. To clear a field, Genesys
//! expects the field present with `null`; mark it with the model's
//! [`Field`] constant (one per property, named after the field in upper
//! case):
//!
//! ```
//! # #[cfg(feature = "users")] {
//! use genesys_model::{Model as _, UpdateUser};
//!
//! let patch = UpdateUser { version: Some(3), ..Default::default() }
//!     .with_null(UpdateUser::TITLE);
//! assert_eq!(serde_json::to_string(&patch).unwrap(), r#"{"title":null,"version":3}"#);
//! # }
//! ```
//!
//! A field that holds a value is sent with its value, marked or not, so
//! setting a value after marking (or after decoding a `null`) simply sends
//! the value. Decoding records the fields that came as `null`
//! ([`Model::is_null`](crate::Model::is_null)), and encoding writes them
//! back as `null`: absent stays absent, `null` stays `null`, a value stays
//! a value.

use std::fmt;
use std::marker::PhantomData;

/// One property of model `M`, by its JSON name: the constants such as
/// `UpdateUser::TITLE` are of this type, so a field of another model does
/// not compile.
pub struct Field<M> {
    json_name: &'static str,
    model: PhantomData<fn() -> M>,
}

impl<M> Field<M> {
    /// The field named `json_name` in the JSON. Generated code makes one per
    /// property; there is no need to call this yourself.
    #[doc(hidden)]
    pub const fn new(json_name: &'static str) -> Self {
        Field {
            json_name,
            model: PhantomData,
        }
    }

    /// The property's name in the JSON (`"selfUri"` for `self_uri`).
    pub const fn json_name(&self) -> &'static str {
        self.json_name
    }
}

// Manual impls: derives would require `M: Clone` etc.
impl<M> Clone for Field<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Field<M> {}

impl<M> PartialEq for Field<M> {
    fn eq(&self, other: &Self) -> bool {
        self.json_name == other.json_name
    }
}

impl<M> Eq for Field<M> {}

impl<M> fmt::Debug for Field<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({:?})", self.json_name)
    }
}

/// The fields of one model instance that are explicitly `null`: sent as
/// `null` while they are `None`, and recorded when a decoded payload had
/// `null`. Empty (and allocation-free) in the common case.
#[derive(Clone, Default, PartialEq, Eq)]
#[allow(
    clippy::box_collection,
    reason = "every model carries one: a single pointer, allocated only when a field is marked"
)]
pub struct ExplicitNulls(Option<Box<Vec<&'static str>>>);

impl ExplicitNulls {
    /// Whether `json_name` is marked.
    pub fn contains(&self, json_name: &str) -> bool {
        self.0
            .as_ref()
            .is_some_and(|names| names.contains(&json_name))
    }

    /// Marks `json_name` (no effect if it already is).
    pub fn insert(&mut self, json_name: &'static str) {
        let names = self.0.get_or_insert_with(Box::default);
        if !names.contains(&json_name) {
            names.push(json_name);
        }
    }

    /// Unmarks `json_name`; true if it was marked.
    pub fn remove(&mut self, json_name: &str) -> bool {
        let Some(names) = self.0.as_mut() else {
            return false;
        };
        let before = names.len();
        names.retain(|n| *n != json_name);
        let removed = names.len() != before;
        if names.is_empty() {
            self.0 = None;
        }
        removed
    }

    /// Whether no field is marked.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The marked JSON names, in the order they were marked.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().flat_map(|names| names.iter().copied())
    }
}

impl fmt::Debug for ExplicitNulls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_a_small_set() {
        let mut nulls = ExplicitNulls::default();
        assert!(nulls.is_empty() && !nulls.contains("title"));
        nulls.insert("title");
        nulls.insert("title");
        nulls.insert("department");
        assert_eq!(nulls.iter().collect::<Vec<_>>(), ["title", "department"]);
        assert_eq!(format!("{nulls:?}"), r#"{"title", "department"}"#);
        assert!(nulls.remove("title"));
        assert!(!nulls.remove("title"));
        assert!(nulls.remove("department"));
        assert!(nulls.is_empty());
        assert_eq!(nulls, ExplicitNulls::default());
    }
}
