//! What every generated object model and every generated string enum share.
//!
//! # How models are shaped
//!
//! Every definition of the spec becomes a plain struct whose properties are
//! all `Option<T>`, plus [`UnknownFields`]:
//!
//! * **Decoding never fails for a missing property**, even one the spec marks
//!   `required`: Genesys does not always send what its own spec promises.
//!   The spec's required properties are listed in [`Model::REQUIRED`] and
//!   checked, when you build a request, by [`Model::missing_required_fields`].
//! * **Nothing is lost in a read-modify-write**: JSON fields this version of
//!   the model does not know are kept in `unknown_fields` on decode and
//!   written back on encode, so PUTting back an entity you fetched does not
//!   erase fields newer than this crate.
//! * **Absent values are not serialized**: `None` leaves the field out. To
//!   send `"field": null` (to clear a field with PATCH), mark it with
//!   [`Model::with_null`] and the model's field constant
//!   (`UpdateUser::TITLE`); a decoded `null` is recorded the same way
//!   ([`Model::is_null`]) and re-encoded as `null`. See [`crate::nulls`].
//! * **Genesys's own leniency is accepted**: numbers and booleans sent as
//!   strings (`"5"`, `"true"`) decode; they re-encode as JSON numbers and
//!   booleans.
//! * **Construction** uses `Default` and struct-update syntax:
//!
//! ```
//! # #[cfg(feature = "conversations")] {
//! use genesys_model::CreateCallRequest;
//!
//! let request = CreateCallRequest {
//!     phone_number: Some("+15550123".into()),
//!     caller_id: Some("+15550100".into()),
//!     ..Default::default()
//! };
//! assert_eq!(
//!     serde_json::to_string(&request).unwrap(),
//!     r#"{"phoneNumber":"+15550123","callerId":"+15550100"}"#
//! );
//! # }
//! ```
//!
//! # The lean layout: nested models are boxed
//!
//! A property whose type is another model is an `Option<Box<T>>`: one
//! pointer, whatever the size of `T`. Most nested objects of a Genesys
//! payload are absent (a `User` has 16 of them; a plain `GET
//! /api/v2/users` page fills two), so storing them inline made every
//! struct as big as all its possible descendants (`User` was 3,704 bytes;
//! it is 648). Arrays and maps are on the heap already and stay
//! `Option<Vec<T>>`; strings, enums, numbers and dates stay inline. Decoded
//! arrays are shrunk to their length (serde leaves room for four items
//! where one came), and [`UnknownFields`] is one pointer until a field
//! arrives. `docs/benchmarks.md` has the memory per JSON byte.
//!
//! Set a boxed property with `Box::new` (or `.into()`, since `Box<T>:
//! From<T>`), and read it through `as_deref()`:
//!
//! ```
//! # #[cfg(feature = "conversations")] {
//! use genesys_model::{CallMediaParticipant, DomainEntityRef};
//!
//! let participant = CallMediaParticipant {
//!     purpose: Some("agent".into()),
//!     user: Some(Box::new(DomainEntityRef {
//!         id: Some("8f6c0a12-0000-4000-8000-000000000001".into()),
//!         ..Default::default()
//!     })),
//!     ..Default::default()
//! };
//! let user_id = participant.user.as_deref().and_then(|u| u.id.as_deref());
//! assert_eq!(user_id, Some("8f6c0a12-0000-4000-8000-000000000001"));
//! # }
//! ```
//!
//! String enums are open: each has an `Unrecognized(String)` variant that
//! keeps a value Genesys added after this crate was generated, so it decodes
//! today and re-encodes unchanged (see [`OpenEnum`]).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON fields a model does not know, kept verbatim for the round trip.
///
/// It reads and writes like the [`serde_json::Map`] it derefs to
/// (`fields.get("x")`, `fields.insert(..)`, `fields.is_empty()`), but is one
/// pointer wide and allocates nothing until a field arrives: every model
/// carries one and almost all stay empty (see [the lean layout](self#the-lean-layout-nested-models-are-boxed)).
///
/// ```
/// use genesys_model::UnknownFields;
///
/// let mut fields = UnknownFields::new();
/// assert!(fields.is_empty());
/// fields.insert("newField".into(), serde_json::json!(1));
/// assert_eq!(fields.get("newField"), Some(&serde_json::json!(1)));
/// assert_eq!(std::mem::size_of::<UnknownFields>(), std::mem::size_of::<usize>());
/// ```
#[derive(Clone, Default)]
#[allow(
    clippy::box_collection,
    reason = "every model carries one: a single pointer, allocated only when a field arrives"
)]
pub struct UnknownFields(Option<Box<serde_json::Map<String, serde_json::Value>>>);

impl UnknownFields {
    /// No fields (allocates nothing).
    pub const fn new() -> Self {
        UnknownFields(None)
    }

    /// The fields as a plain map.
    pub fn into_map(self) -> serde_json::Map<String, serde_json::Value> {
        self.0.map(|m| *m).unwrap_or_default()
    }
}

fn empty_map() -> &'static serde_json::Map<String, serde_json::Value> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, serde_json::Value>> =
        std::sync::OnceLock::new();
    EMPTY.get_or_init(serde_json::Map::new)
}

impl std::ops::Deref for UnknownFields {
    type Target = serde_json::Map<String, serde_json::Value>;

    fn deref(&self) -> &Self::Target {
        self.0.as_deref().unwrap_or_else(|| empty_map())
    }
}

impl std::ops::DerefMut for UnknownFields {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.get_or_insert_with(Default::default)
    }
}

impl PartialEq for UnknownFields {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for UnknownFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for UnknownFields {
    fn from(map: serde_json::Map<String, serde_json::Value>) -> Self {
        if map.is_empty() {
            UnknownFields(None)
        } else {
            UnknownFields(Some(Box::new(map)))
        }
    }
}

impl<'a> IntoIterator for &'a UnknownFields {
    type Item = (&'a String, &'a serde_json::Value);
    type IntoIter = serde_json::map::Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        (**self).iter()
    }
}

impl Serialize for UnknownFields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for UnknownFields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Map::deserialize(deserializer).map(UnknownFields::from)
    }
}

/// Implemented by every generated object model.
pub trait Model:
    Default + Clone + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned
{
    /// The spec definition this type was generated from, e.g. `"CreateCallRequest"`.
    const DEFINITION: &'static str;

    /// JSON names of the properties the spec marks `required`.
    const REQUIRED: &'static [&'static str];

    /// JSON fields that were decoded but that this model does not know.
    fn unknown_fields(&self) -> &UnknownFields;

    /// Mutable access to the fields this model does not know, e.g. to set a
    /// field newer than this crate.
    fn unknown_fields_mut(&mut self) -> &mut UnknownFields;

    /// JSON names of the required properties that are `None` (and not
    /// supplied through [`Model::unknown_fields`] either).
    ///
    /// ```
    /// # #[cfg(feature = "users")] {
    /// use genesys_model::{Model, User};
    ///
    /// let user = User::default();
    /// assert_eq!(user.missing_required_fields(), ["version"]);
    /// # }
    /// ```
    fn missing_required_fields(&self) -> Vec<&'static str>;

    /// The fields marked to be sent as `null` while they are `None`, which
    /// include those a decoded payload had as `null`.
    fn explicit_nulls(&self) -> &crate::ExplicitNulls;

    /// Mutable access to [`Model::explicit_nulls`].
    fn explicit_nulls_mut(&mut self) -> &mut crate::ExplicitNulls;

    /// Marks `field` to be sent as `"field": null` while it is `None` (a
    /// value, if the field holds one, is sent instead).
    ///
    /// ```
    /// # #[cfg(feature = "users")] {
    /// use genesys_model::{Model as _, UpdateUser};
    ///
    /// let mut patch = UpdateUser { version: Some(3), ..Default::default() };
    /// patch.set_null(UpdateUser::DEPARTMENT);
    /// assert_eq!(
    ///     serde_json::to_string(&patch).unwrap(),
    ///     r#"{"department":null,"version":3}"#
    /// );
    /// # }
    /// ```
    fn set_null(&mut self, field: crate::Field<Self>) {
        self.explicit_nulls_mut().insert(field.json_name());
    }

    /// [`Model::set_null`], for struct-update construction:
    /// `UpdateUser { version: Some(3), ..Default::default() }.with_null(UpdateUser::TITLE)`.
    #[must_use]
    fn with_null(mut self, field: crate::Field<Self>) -> Self {
        self.set_null(field);
        self
    }

    /// Whether `field` is marked as `null`: set with [`Model::set_null`], or
    /// `null` (not absent) in the decoded payload.
    ///
    /// ```
    /// # #[cfg(feature = "users")] {
    /// use genesys_model::{Model as _, User};
    ///
    /// let user: User = serde_json::from_str(r#"{"id":"u1","title":null}"#).unwrap();
    /// assert!(user.title.is_none() && user.is_null(User::TITLE));
    /// assert!(user.department.is_none() && !user.is_null(User::DEPARTMENT));
    /// # }
    /// ```
    fn is_null(&self, field: crate::Field<Self>) -> bool {
        self.explicit_nulls().contains(field.json_name())
    }

    /// Removes the mark of [`Model::set_null`] (or of a decoded `null`), so
    /// that a `None` field is left out again.
    fn clear_null(&mut self, field: crate::Field<Self>) {
        self.explicit_nulls_mut().remove(field.json_name());
    }
}

/// Implemented by every generated string enum.
///
/// ```
/// # #[cfg(feature = "conversations")] {
/// use genesys_model::{CallMediaParticipantState, OpenEnum};
///
/// let known: CallMediaParticipantState = serde_json::from_str("\"connected\"").unwrap();
/// assert_eq!(known, CallMediaParticipantState::Connected);
///
/// // A value Genesys adds later still decodes, and re-encodes unchanged.
/// let newer: CallMediaParticipantState = serde_json::from_str("\"teleporting\"").unwrap();
/// assert!(newer.is_unrecognized());
/// assert_eq!(newer.as_str(), "teleporting");
/// assert_eq!(serde_json::to_string(&newer).unwrap(), "\"teleporting\"");
/// # }
/// ```
pub trait OpenEnum: Sized + Clone + PartialEq + std::fmt::Debug {
    /// Every value the spec lists, in spec order.
    const KNOWN_VALUES: &'static [&'static str];

    /// The wire value.
    fn as_str(&self) -> &str;

    /// Reads a wire value; values the spec does not list become the
    /// `Unrecognized` variant.
    fn from_wire(value: &str) -> Self;

    /// Whether this value is one the spec did not list.
    fn is_unrecognized(&self) -> bool;
}
