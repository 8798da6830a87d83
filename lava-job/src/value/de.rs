//! serde deserialisation from [`Value`], and of [`Value`] itself.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeOwned, IntoDeserializer, Visitor};

use super::ser::TIMESTAMP;
use super::{Mapping, Value};
use crate::Error;

/// Converts a [`Value`] into any serde type.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(value)
}

/// Converts a [`Value`] into a type of [`crate::model`], whose structs keep
/// the keys they do not model in a flattened `extra` [`Mapping`]. A key
/// written with an explicit null lands there too when the struct reads it
/// into an `Option` field (null and absent both read as `None`), so writing
/// the struct back gives `key: null` again.
pub(crate) fn from_value_keeping_nulls<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(Deser {
        value,
        keep_nulls: true,
    })
}

/// Reads a model struct that keeps a modelled key of another shape than its
/// field's as it was written. `read` is the struct's derived reader, `extra`
/// its mapping of keys it does not model. When the whole mapping does not
/// read, each entry is tried alone: an entry the struct refuses on its own
/// (`dtb: https://…` where the field is an image mapping) goes to `extra`
/// with its value untouched, and the struct reads from the other entries.
/// LAVA's non-strict mode lets such a key pass where its schema does not
/// check it (a key the action's method does not know); the struct's field
/// then reads as absent. Each level of a nested misfit reads its entries up
/// to three times: whole, alone, and without the misfits.
pub(crate) fn from_value_keeping_misfits<T>(
    value: Value,
    read: impl Fn(Deser) -> Result<T, Error>,
    extra: impl Fn(&mut T) -> &mut Mapping,
) -> Result<T, Error> {
    let keeping_nulls = |value| Deser {
        value,
        keep_nulls: true,
    };
    let whole = match read(keeping_nulls(value.clone())) {
        Ok(read) => return Ok(read),
        Err(err) => err,
    };
    let Value::Mapping(entries) = value else {
        return Err(whole);
    };

    let mut fits = Mapping::new();
    let mut misfits = Vec::new();
    for (key, v) in entries {
        let alone = Mapping::from_iter([(key.clone(), v.clone())]);
        match read(keeping_nulls(Value::Mapping(alone))) {
            Ok(_) => fits.insert(key, v),
            Err(_) => misfits.push((key, v)),
        }
    }
    if misfits.is_empty() {
        return Err(whole);
    }

    let mut read = read(keeping_nulls(Value::Mapping(fits)))?;
    for (key, v) in misfits {
        extra(&mut read).insert(key, v);
    }
    Ok(read)
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Model {
            reason: msg.to_string(),
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} does not fit in 64 bits")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Value::Timestamp(s)),
            other => Ok(other),
        }
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Sequence(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Mapping::new();
        while let Some((k, v)) = map.next_entry::<Key, Value>()? {
            match k {
                Key::Value(k) => m.insert(k, v),
                // The key is there already when this mapping read the entry
                // itself; it is missing when a struct field took it.
                Key::Null(k) => {
                    if m.get(&k).is_none() {
                        m.insert(k, Value::Null);
                    }
                }
            }
        }
        Ok(Value::Mapping(m))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl<'de> Deserialize<'de> for Mapping {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Mapping, D::Error> {
        match Value::deserialize(d)? {
            Value::Mapping(m) => Ok(m),
            Value::Null => Ok(Mapping::new()),
            other => Err(de::Error::custom(format!(
                "expected a mapping, found {}",
                other.type_name()
            ))),
        }
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

/// A [`Value`] being taken apart. With `keep_nulls`, a mapping entry whose
/// value is null is offered a second time under a [`NullKey`], so that a
/// typed struct that reads the key into an `Option` field (where null and
/// absent are both `None`) still gets the explicit null into its `extra`
/// mapping, and writes it back.
pub(crate) struct Deser {
    value: Value,
    keep_nulls: bool,
}

/// Marks the bytes of a [`NullKey`]: no YAML key reads as bytes, so a
/// mapping cannot hold one by accident.
const NULL_KEY: &[u8] = b"\0explicit-null\0";

/// The second offer of a null-valued entry: deserialises as bytes (the marker
/// and the key), which no model field name matches, so serde's `flatten`
/// passes it on to the struct's `extra` mapping, where [`Mapping`]'s reader
/// turns it back into `key: null` unless the key is there already.
struct NullKey(String);

impl<'de> de::Deserializer<'de> for NullKey {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut bytes = NULL_KEY.to_vec();
        bytes.extend_from_slice(self.0.as_bytes());
        visitor.visit_byte_buf(bytes)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// A mapping key as [`Mapping`]'s reader sees it: a value, or the second
/// offer of a null-valued entry.
enum Key {
    Value(Value),
    Null(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

macro_rules! key_from_value {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Key, E> {
            ValueVisitor.$method(v).map(Key::Value)
        }
    )*};
}

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping key")
    }
    key_from_value!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str),
        visit_string(String),
    );
    fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
        Ok(Key::Value(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Key, E> {
        Ok(Key::Value(Value::Null))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        Value::deserialize(d).map(Key::Value)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        ValueVisitor.visit_newtype_struct(d).map(Key::Value)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Key, A::Error> {
        ValueVisitor.visit_seq(seq).map(Key::Value)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Key, A::Error> {
        ValueVisitor.visit_map(map).map(Key::Value)
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key, E> {
        v.strip_prefix(NULL_KEY)
            .and_then(|key| std::str::from_utf8(key).ok())
            .map(|key| Key::Null(key.to_string()))
            .ok_or_else(|| E::custom("a mapping key that is bytes"))
    }
}

struct SeqAccess {
    items: std::vec::IntoIter<Value>,
    keep_nulls: bool,
}

impl<'de> de::SeqAccess<'de> for SeqAccess {
    type Error = Error;
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let keep_nulls = self.keep_nulls;
        self.items
            .next()
            .map(|value| seed.deserialize(Deser { value, keep_nulls }))
            .transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess {
    entries: std::vec::IntoIter<(Value, Value)>,
    value: Option<Value>,
    keep_nulls: bool,
    /// The key of the null-valued entry just given, to be offered again.
    null_again: Option<String>,
}

impl<'de> de::MapAccess<'de> for MapAccess {
    type Error = Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if let Some(key) = self.null_again.take() {
            self.value = Some(Value::Null);
            return seed.deserialize(NullKey(key)).map(Some);
        }
        match self.entries.next() {
            Some((k, v)) => {
                if self.keep_nulls
                    && v == Value::Null
                    && let Value::String(key) = &k
                {
                    self.null_again = Some(key.clone());
                }
                self.value = Some(v);
                let keep_nulls = self.keep_nulls;
                seed.deserialize(Deser {
                    value: k,
                    keep_nulls,
                })
                .map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(Deser {
            value: self.value.take().unwrap_or(Value::Null),
            keep_nulls: self.keep_nulls,
        })
    }
}

struct EnumAccess {
    variant: Value,
    content: Option<Value>,
    keep_nulls: bool,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = Error;
    type Variant = VariantAccess;
    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantAccess), Error> {
        let v = seed.deserialize(self.variant)?;
        Ok((
            v,
            VariantAccess {
                content: self.content,
                keep_nulls: self.keep_nulls,
            },
        ))
    }
}

struct VariantAccess {
    content: Option<Value>,
    keep_nulls: bool,
}

impl VariantAccess {
    fn content(self) -> Deser {
        Deser {
            value: self.content.unwrap_or(Value::Null),
            keep_nulls: self.keep_nulls,
        }
    }
}

impl<'de> de::VariantAccess<'de> for VariantAccess {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            None | Some(Value::Null) => Ok(()),
            Some(other) => Err(de::Error::custom(format!(
                "expected no content, found {}",
                other.type_name()
            ))),
        }
    }
    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.content())
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self.content(), visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self.content(), visitor)
    }
}

fn invalid(value: &Value, expected: &str) -> Error {
    Error::Model {
        reason: format!("expected {expected}, found {}", value.type_name()),
    }
}

impl<'de> de::Deserializer<'de> for Deser {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let keep_nulls = self.keep_nulls;
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::Float(x) => visitor.visit_f64(x),
            Value::String(s) => visitor.visit_string(s),
            Value::Timestamp(s) => visitor.visit_newtype_struct(Value::String(s)),
            Value::Sequence(items) => visitor.visit_seq(SeqAccess {
                items: items.into_iter(),
                keep_nulls,
            }),
            Value::Mapping(m) => visitor.visit_map(MapAccess {
                entries: m.into_iter(),
                value: None,
                keep_nulls,
                null_again: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) | Value::Timestamp(s) => visitor.visit_string(s),
            other => Err(invalid(&other, "a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::Timestamp(s) if name == TIMESTAMP => visitor.visit_string(s),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let keep_nulls = self.keep_nulls;
        match self.value {
            Value::Mapping(m) if m.len() == 1 => {
                let Some((variant, content)) = m.into_iter().next() else {
                    return Err(de::Error::custom("empty enum mapping"));
                };
                visitor.visit_enum(EnumAccess {
                    variant,
                    content: Some(content),
                    keep_nulls,
                })
            }
            other => visitor.visit_enum(EnumAccess {
                variant: other,
                content: None,
                keep_nulls,
            }),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            other => Err(invalid(&other, "null")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// `Value` as a deserializer of its own: every method goes to [`Deser`]
/// without the second offer of nulls.
macro_rules! plain {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
            Deser { value: self, keep_nulls: false }.$method($($arg,)* visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Error;

    plain!(
        deserialize_any(),
        deserialize_bool(),
        deserialize_i8(),
        deserialize_i16(),
        deserialize_i32(),
        deserialize_i64(),
        deserialize_i128(),
        deserialize_u8(),
        deserialize_u16(),
        deserialize_u32(),
        deserialize_u64(),
        deserialize_u128(),
        deserialize_f32(),
        deserialize_f64(),
        deserialize_char(),
        deserialize_str(),
        deserialize_string(),
        deserialize_bytes(),
        deserialize_byte_buf(),
        deserialize_option(),
        deserialize_unit(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_seq(),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(),
        deserialize_ignored_any(),
    );
}
