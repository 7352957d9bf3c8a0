//! Seeing whether an object field's value was JSON `null` while it decodes
//! into its `Option<T>`, without a second look at the input.
//!
//! [`NullSpyMap`] wraps a `MapAccess`; each value it hands out is decoded
//! through a deserializer that tells its visitor's `visit_none`/`visit_unit`
//! (what a `null` becomes) apart from everything else, then forwards. Only
//! the field's own value is watched: the inner deserializer is passed on
//! unwrapped for nested content, so decoding costs one inlined layer per
//! field. Generated models need no per-field code for it, which keeps their
//! compile time down.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

/// A `MapAccess` that records whether the last value it decoded was `null`.
pub(crate) struct NullSpyMap<'a, A> {
    inner: &'a mut A,
    /// Whether the last value handed out was `null`.
    pub(crate) last_was_null: bool,
}

impl<'a, A> NullSpyMap<'a, A> {
    pub(crate) fn new(inner: &'a mut A) -> Self {
        NullSpyMap {
            inner,
            last_was_null: false,
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for NullSpyMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let mut was_null = false;
        let value = self.inner.next_value_seed(SpySeed {
            seed,
            was_null: &mut was_null,
        })?;
        self.last_was_null = was_null;
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct SpySeed<'f, S> {
    seed: S,
    was_null: &'f mut bool,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for SpySeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(SpyDeserializer {
            inner: deserializer,
            was_null: self.was_null,
        })
    }
}

struct SpyDeserializer<'f, D> {
    inner: D,
    was_null: &'f mut bool,
}

struct SpyVisitor<'f, V> {
    inner: V,
    was_null: &'f mut bool,
}

/// Forwards `deserialize_*` methods to the inner deserializer with the
/// visitor wrapped.
macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method($($arg,)* SpyVisitor { inner: visitor, was_null: self.was_null })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for SpyDeserializer<'_, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Forwards `visit_*` methods taking one value to the inner visitor.
macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for SpyVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        *self.was_null = true;
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        *self.was_null = true;
        self.inner.visit_unit()
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.inner.visit_borrowed_str(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_some<D2: Deserializer<'de>>(self, deserializer: D2) -> Result<V::Value, D2::Error> {
        self.inner.visit_some(deserializer)
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(
        self,
        deserializer: D2,
    ) -> Result<V::Value, D2::Error> {
        self.inner.visit_newtype_struct(deserializer)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<V::Value, S::Error> {
        self.inner.visit_seq(seq)
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<V::Value, M::Error> {
        self.inner.visit_map(map)
    }

    fn visit_enum<En: EnumAccess<'de>>(self, data: En) -> Result<V::Value, En::Error> {
        self.inner.visit_enum(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Decodes `{"a": …, "b": …}` as `Option<T>`s, reporting which were `null`.
    fn spy<T: for<'de> Deserialize<'de>>(json: &str) -> Vec<(String, Option<T>, bool)> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Vec<(String, Option<T>, bool)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                let mut spy = NullSpyMap::new(&mut map);
                while let Some(key) = spy.next_key::<String>()? {
                    let value: Option<T> = spy.next_value()?;
                    out.push((key, value, spy.last_was_null));
                }
                Ok(out)
            }
        }
        let mut de = serde_json::Deserializer::from_str(json);
        de.deserialize_map(V(std::marker::PhantomData)).unwrap()
    }

    #[test]
    fn null_is_told_apart_from_values_and_nested_nulls() {
        let seen = spy::<serde_json::Value>(r#"{"a":null,"b":{"c":null},"d":[null],"e":0,"f":""}"#);
        let nulls: Vec<(&str, bool)> = seen.iter().map(|(k, _, n)| (k.as_str(), *n)).collect();
        assert_eq!(
            nulls,
            [
                ("a", true),
                ("b", false),
                ("d", false),
                ("e", false),
                ("f", false)
            ]
        );
        // The values decode as without the spy.
        assert_eq!(seen[1].1, Some(serde_json::json!({"c": null})));
        assert_eq!(seen[0].1, None);
        let strings = spy::<String>(r#"{"a":"x","b":null}"#);
        assert_eq!(strings[0].1.as_deref(), Some("x"));
        assert!(!strings[0].2 && strings[1].2);
    }
}
