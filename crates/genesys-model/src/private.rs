//! Serde plumbing the generated code calls. Not a public API: it may change
//! with any release, and only generated code should name it.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use crate::model::{OpenEnum, UnknownFields};

/// How a generated object decodes its known fields.
pub trait DecodeFields: Default {
    /// What the decoder expected, for error messages (`"a User object"`).
    const EXPECTING: &'static str;

    /// Decodes the value of `key` into its field; `Ok(false)` when the key is
    /// not a known property (the value is then left unread).
    fn decode_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;

    /// Where unknown fields go.
    fn unknown_fields_slot(&mut self) -> &mut UnknownFields;

    /// JSON names of the known fields (those `decode_field` takes).
    const FIELD_NAMES: &'static [&'static str] = &[];

    /// Where the fields decoded as `null` are recorded, for types that
    /// record them (generated models).
    fn explicit_nulls_slot(&mut self) -> Option<&mut crate::ExplicitNulls> {
        None
    }
}

/// An object key, borrowed from the input when it can be.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    fn into_owned(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Decodes a generated object: known keys into fields, the rest kept.
pub fn deserialize_object<'de, T: DecodeFields, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct ObjectVisitor<T>(PhantomData<T>);
    impl<'de, T: DecodeFields> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut out = T::default();
            // Watches each known field's value for `null` (see `null_spy`).
            let mut map = crate::null_spy::NullSpyMap::new(&mut map);
            while let Some(key) = map.next_key::<Key<'de>>()? {
                if !out.decode_field(key.as_str(), &mut map)? {
                    let value: serde_json::Value = map.next_value()?;
                    out.unknown_fields_slot().insert(key.into_owned(), value);
                } else if map.last_was_null {
                    let name = T::FIELD_NAMES.iter().find(|n| **n == key.as_str());
                    if let (Some(name), Some(nulls)) = (name, out.explicit_nulls_slot()) {
                        nulls.insert(name);
                    }
                }
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

/// Writes one optional field; `None` is left out.
#[inline]
pub fn field<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &'static str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(key, v),
        None => Ok(()),
    }
}

/// Writes one optional field of a generated model: `None` is left out,
/// unless the field is marked as an explicit `null`.
#[inline]
pub fn model_field<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &'static str,
    value: &Option<T>,
    nulls: &crate::ExplicitNulls,
) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(key, v),
        None if nulls.contains(key) => map.serialize_entry(key, &()),
        None => Ok(()),
    }
}

/// Writes the unknown fields back and closes the object.
#[inline]
pub fn finish<M: SerializeMap>(mut map: M, unknown: &UnknownFields) -> Result<M::Ok, M::Error> {
    for (k, v) in unknown {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// Decodes a string enum, keeping values the spec does not list.
pub fn deserialize_enum<'de, T: OpenEnum, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct EnumVisitor<T>(PhantomData<T>);
    impl<T: OpenEnum> Visitor<'_> for EnumVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string enum value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from_wire(v))
        }
    }
    deserializer.deserialize_str(EnumVisitor(PhantomData))
}

/// An array field decoded without spare capacity: serde grows a `Vec` by
/// doubling (a single element gets room for four), which for a listing of
/// sparse models holds more memory than the data; the decoded `Vec` is
/// shrunk to its length.
pub struct Compact<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Compact<Option<Vec<T>>> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut value = Option::<Vec<T>>::deserialize(deserializer)?;
        if let Some(items) = &mut value {
            items.shrink_to_fit();
        }
        Ok(Compact(value))
    }
}

/// A value decoded with Genesys's leniency: numbers and booleans may come as
/// strings, also inside arrays and maps.
pub struct Lenient<T>(pub T);

/// Types that decode leniently (see [`Lenient`]).
pub trait LenientDecode: Sized {
    /// Decodes `Self` leniently.
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

impl<'de, T: LenientDecode> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::decode(deserializer).map(Lenient)
    }
}

impl<T: LenientDecode> LenientDecode for Option<T> {
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<Lenient<T>>::deserialize(deserializer).map(|v| v.map(|l| l.0))
    }
}

impl<T: LenientDecode> LenientDecode for Vec<T> {
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SeqVisitor<T>(PhantomData<T>);
        impl<'de, T: LenientDecode> Visitor<'de> for SeqVisitor<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(Lenient(v)) = seq.next_element::<Lenient<T>>()? {
                    out.push(v);
                }
                out.shrink_to_fit();
                Ok(out)
            }
        }
        deserializer.deserialize_seq(SeqVisitor(PhantomData))
    }
}

impl<T: LenientDecode> LenientDecode for BTreeMap<String, T> {
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);
        impl<'de, T: LenientDecode> Visitor<'de> for MapVisitor<T> {
            type Value = BTreeMap<String, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(k) = map.next_key::<String>()? {
                    let Lenient(v) = map.next_value::<Lenient<T>>()?;
                    out.insert(k, v);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

macro_rules! lenient_number {
    ($($ty:ty => $what:literal),*) => {$(
        impl LenientDecode for $ty {
            fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct NumVisitor;
                impl Visitor<'_> for NumVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        NumCast::from_i64(v).ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        NumCast::from_u64(v).ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        NumCast::from_f64(v).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        let t = v.trim();
                        if let Ok(n) = t.parse::<i64>() {
                            return self.visit_i64(n);
                        }
                        if let Ok(n) = t.parse::<u64>() {
                            return self.visit_u64(n);
                        }
                        match t.parse::<f64>() {
                            Ok(n) if n.is_finite() => self.visit_f64(n),
                            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                        }
                    }
                }
                deserializer.deserialize_any(NumVisitor)
            }
        }
    )*};
}

/// Range-checked conversion from what JSON carries to a field's type.
trait NumCast: Sized {
    fn from_i64(v: i64) -> Option<Self>;
    fn from_u64(v: u64) -> Option<Self>;
    fn from_f64(v: f64) -> Option<Self>;
}

macro_rules! int_cast {
    ($($ty:ty),*) => {$(
        impl NumCast for $ty {
            fn from_i64(v: i64) -> Option<Self> { <$ty>::try_from(v).ok() }
            fn from_u64(v: u64) -> Option<Self> { <$ty>::try_from(v).ok() }
            fn from_f64(v: f64) -> Option<Self> {
                // `5.0` is an integer Genesys sometimes writes as a float.
                (v.fract() == 0.0 && v >= <$ty>::MIN as f64 && v <= <$ty>::MAX as f64).then_some(v as $ty)
            }
        }
    )*};
}
int_cast!(i32, i64);

impl NumCast for f64 {
    fn from_i64(v: i64) -> Option<Self> {
        Some(v as f64)
    }
    fn from_u64(v: u64) -> Option<Self> {
        Some(v as f64)
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(v)
    }
}

impl NumCast for f32 {
    fn from_i64(v: i64) -> Option<Self> {
        Some(v as f32)
    }
    fn from_u64(v: u64) -> Option<Self> {
        Some(v as f32)
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(v as f32)
    }
}

lenient_number!(i32 => "a 32-bit integer", i64 => "a 64-bit integer", f32 => "a number", f64 => "a number");

impl LenientDecode for bool {
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BoolVisitor;
        impl Visitor<'_> for BoolVisitor {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                match v.trim() {
                    t if t.eq_ignore_ascii_case("true") => Ok(true),
                    t if t.eq_ignore_ascii_case("false") => Ok(false),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(BoolVisitor)
    }
}

/// Implements `Deserialize` (through [`DecodeFields`]) for a generated model.
#[macro_export]
#[doc(hidden)]
macro_rules! __impl_model_deserialize {
    ($ty:ident) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::__private::deserialize_object(d)
            }
        }
    };
}

/// Implements `Display`, `FromStr`, `From<&str>`, `Serialize` and
/// `Deserialize` for a generated string enum, on top of its [`OpenEnum`] impl.
#[macro_export]
#[doc(hidden)]
macro_rules! __impl_open_enum {
    ($ty:ident) => {
        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str($crate::OpenEnum::as_str(self))
            }
        }
        impl ::core::str::FromStr for $ty {
            type Err = ::core::convert::Infallible;
            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                Ok(<$ty as $crate::OpenEnum>::from_wire(s))
            }
        }
        impl ::core::convert::From<&str> for $ty {
            fn from(s: &str) -> Self {
                <$ty as $crate::OpenEnum>::from_wire(s)
            }
        }
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str($crate::OpenEnum::as_str(self))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::__private::deserialize_enum(d)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lenient<T: LenientDecode>(json: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str::<Lenient<T>>(json).map(|l| l.0)
    }

    #[test]
    fn numbers_as_strings_decode() {
        assert_eq!(lenient::<i32>("\"42\"").unwrap(), 42);
        assert_eq!(lenient::<i64>("\" 7 \"").unwrap(), 7);
        assert_eq!(lenient::<i64>("5.0").unwrap(), 5);
        assert_eq!(lenient::<f64>("\"2.5\"").unwrap(), 2.5);
        assert_eq!(lenient::<Option<i32>>("null").unwrap(), None);
        assert_eq!(lenient::<Vec<i64>>("[1,\"2\",3]").unwrap(), vec![1, 2, 3]);
        assert!(lenient::<bool>("\"TRUE\"").unwrap());
        let map: BTreeMap<String, i32> = lenient("{\"a\":\"1\",\"b\":2}").unwrap();
        assert_eq!(map["a"], 1);
    }

    #[test]
    fn out_of_range_and_junk_are_errors() {
        assert!(lenient::<i32>("3000000000").is_err());
        assert!(lenient::<i32>("\"twelve\"").is_err());
        assert!(lenient::<i64>("5.5").is_err());
        assert!(lenient::<f64>("\"NaN\"").is_err());
        assert!(lenient::<bool>("\"yes\"").is_err());
        assert!(lenient::<i32>("{}").is_err());
    }
}
