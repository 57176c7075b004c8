//! Objects (maps, structs, struct variants): each member sits at its name; field-name
//! rules apply to it; a removed member is left out; a `RawValue` is transcoded in place.

use playback_store::REDACTED;
use serde::ser::{
    self, Error as _, Serialize, SerializeMap, SerializeStruct, SerializeStructVariant, Serializer,
};
use serde_json::Value;

use super::ctx::{Ctx, Node, Plan};
use super::key::KeyCap;
use super::ser::Ser;
use crate::transcode::Transcoder;

/// An object (map, struct or struct variant) being walked: each member is at its name.
pub(crate) struct Map<'c, 'r, I> {
    inner: I,
    c: &'c Ctx<'r>,
    /// The object's states, or `None`: serialized as it is.
    at: Option<usize>,
    member: bool,
    root: bool,
    pop: Option<usize>,
    first: bool,
    /// A map's key between `serialize_key` and `serialize_value` (the buffer is reused).
    key: String,
    /// An object member whose first member is `playback.redacted`: held until the end
    /// tells whether it is a marker (written as it is) or not.
    pending: Option<Value>,
}

/// What to write for one member.
enum Entry {
    /// Held back (a possible marker).
    Held,
    Removed,
    Redacted(Value),
    Walk(usize),
    Plain(Option<usize>),
}

impl<'c, 'r, I> Map<'c, 'r, I> {
    pub(super) fn walk(
        inner: I,
        c: &'c Ctx<'r>,
        at: usize,
        member: bool,
        root: bool,
        pop: Option<usize>,
    ) -> Self {
        Map {
            inner,
            c,
            at: Some(at),
            member,
            root,
            pop,
            first: true,
            key: String::new(),
            pending: None,
        }
    }

    pub(super) fn plain(inner: I, c: &'c Ctx<'r>) -> Self {
        Map {
            inner,
            c,
            at: None,
            member: false,
            root: false,
            pop: None,
            first: false,
            key: String::new(),
            pending: None,
        }
    }

    fn entry<T: ?Sized + Serialize, E: ser::Error>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<Entry, E> {
        let Some(at) = self.at else {
            return Ok(Entry::Plain(None));
        };
        if self.pending.is_some() {
            return Err(self.c.fall_back());
        }
        let first = std::mem::replace(&mut self.first, false);
        if first && self.root && key == "Err" {
            self.c.first_err.set(true);
        }
        if first && self.member && key == REDACTED {
            self.pending = Some(serde_json::to_value(value).map_err(E::custom)?);
            return Ok(Entry::Held);
        }
        let child = self.c.child(at, key);
        Ok(match self.c.plan(child, Some(key)) {
            Plan::Redact(mode, rule) => {
                let v = self.c.redacted(value, true, mode, rule);
                self.c.pop(child);
                match v? {
                    Some(v) => Entry::Redacted(v),
                    None => Entry::Removed,
                }
            }
            Plan::Walk => Entry::Walk(child),
            Plan::Plain => Entry::Plain(Some(child)),
        })
    }

    /// The end: the held marker to write, if any.
    fn finish<E: ser::Error>(&mut self) -> Result<Option<Value>, E> {
        if let Some(p) = self.pop {
            self.c.pop(p);
        }
        match self.pending.take() {
            None => Ok(None),
            Some(v @ (Value::String(_) | Value::Null)) => Ok(Some(v)),
            Some(_) => Err(self.c.fall_back()),
        }
    }
}

/// Writes one member with `inner.$write(key, value)`; `$skip` for a removed one.
macro_rules! member {
    ($self:ident, $key:expr, $value:ident, $write:ident, $skip:expr) => {{
        let key = $key;
        match $self.entry(key, $value)? {
            Entry::Held => Ok(()),
            Entry::Removed => $skip,
            Entry::Redacted(v) => $self.inner.$write(key, &v),
            Entry::Walk(child) => {
                let node = Node {
                    value: $value,
                    c: $self.c,
                    at: child,
                    member: true,
                    root: false,
                };
                let out = $self.inner.$write(key, &node);
                $self.c.pop(child);
                out
            }
            Entry::Plain(pushed) => {
                if let Some(p) = pushed {
                    $self.c.pop(p);
                }
                $self.inner.$write(key, $value)
            }
        }
    }};
}

impl<I: SerializeMap> SerializeMap for Map<'_, '_, I> {
    type Ok = I::Ok;
    type Error = I::Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), I::Error> {
        if self.at.is_none() {
            return self.inner.serialize_key(key);
        }
        self.key.clear();
        if key.serialize(KeyCap(&mut self.key)).is_err() {
            return Err(self.c.fall_back());
        }
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), I::Error> {
        if self.at.is_none() {
            return self.inner.serialize_value(value);
        }
        let key = std::mem::take(&mut self.key);
        let out = member!(self, key.as_str(), value, serialize_entry, Ok(()));
        self.key = key;
        out
    }

    fn serialize_entry<K: ?Sized + Serialize, V: ?Sized + Serialize>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), I::Error> {
        if self.at.is_none() {
            return self.inner.serialize_entry(key, value);
        }
        self.serialize_key(key)?;
        self.serialize_value(value)
    }

    fn end(mut self) -> Result<I::Ok, I::Error> {
        if let Some(v) = self.finish()? {
            self.inner.serialize_entry(REDACTED, &v)?;
        }
        self.inner.end()
    }
}

macro_rules! struct_impl {
    ($tr:ident) => {
        impl<I: $tr> $tr for Map<'_, '_, I> {
            type Ok = I::Ok;
            type Error = I::Error;

            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), I::Error> {
                member!(
                    self,
                    key,
                    value,
                    serialize_field,
                    self.inner.skip_field(key)
                )
            }

            fn skip_field(&mut self, key: &'static str) -> Result<(), I::Error> {
                self.inner.skip_field(key)
            }

            fn end(mut self) -> Result<I::Ok, I::Error> {
                if let Some(v) = self.finish()? {
                    self.inner.serialize_field(REDACTED, &v)?;
                }
                self.inner.end()
            }
        }
    };
}

struct_impl!(SerializeStruct);
struct_impl!(SerializeStructVariant);

/// A struct: walked, or a `RawValue` (its JSON text is captured, then transcoded
/// through the wrapper at the same position).
pub(crate) enum Struct<'c, 'r, S: Serializer> {
    Raw {
        ser: Option<Ser<'c, 'r, S>>,
        json: Option<String>,
    },
    Walk(Map<'c, 'r, S::SerializeStruct>),
}

impl<S: Serializer> SerializeStruct for Struct<'_, '_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        match self {
            Struct::Walk(m) => m.serialize_field(key, value),
            Struct::Raw { json, .. } => {
                let mut text = String::new();
                value
                    .serialize(KeyCap(&mut text))
                    .map_err(|_| S::Error::custom("a RawValue that is not text"))?;
                *json = Some(text);
                Ok(())
            }
        }
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        match self {
            Struct::Walk(m) => SerializeStruct::skip_field(m, key),
            Struct::Raw { .. } => Ok(()),
        }
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        match self {
            Struct::Walk(m) => SerializeStruct::end(m),
            Struct::Raw { ser, json } => {
                let (Some(ser), Some(json)) = (ser, json) else {
                    return Err(S::Error::custom("a RawValue without its text"));
                };
                let mut de = serde_json::Deserializer::from_str(&json);
                Transcoder::new(&mut de).serialize(ser)
            }
        }
    }
}
