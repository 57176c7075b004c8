//! Redacting while a value is first serialized: a serde `Serializer` wrapper that walks
//! the path patterns as it goes, and writes the redacted form where a rule matches. No
//! value tree is built, except for a value a rule matches (its fingerprint or mask is
//! computed from its tree, as [`Redactor::redact`] does).
//!
//! It gives what [`Redactor::redact`] gives on the serialized value, rule for rule, with
//! two differences that do not change meaning: object members keep the order in which
//! they were serialized (a parsed tree sorts them), and the rare shapes it does not
//! stream, listed at [`Ctx::fall_back`], are redacted on a tree instead.

use std::cell::{Cell, RefCell};

use playback_store::{REDACTED, redacted_fingerprint};
use serde::ser::{
    self, Error as _, Serialize, SerializeMap, SerializeSeq, SerializeStruct,
    SerializeStructVariant, SerializeTuple, SerializeTupleStruct, SerializeTupleVariant,
    Serializer,
};
use serde_json::Value;

use crate::apply::{Action, Marker, index};
use crate::path::State;
use crate::rules::{Mode, Redactor};
use crate::transcode::Transcoder;

/// The name under which `serde_json::value::RawValue` serializes itself.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// One streaming redaction: the rules, and the pattern states of the positions being
/// serialized (a stack: each node's states are `stack[at..at + patterns]`).
pub(crate) struct Ctx<'r> {
    pub(crate) r: &'r Redactor,
    stack: RefCell<Vec<State>>,
    /// Set when a shape was met that is redacted on a tree instead (see
    /// [`Ctx::fall_back`]); the serialization then fails and the caller redo it.
    pub(crate) fallback: Cell<bool>,
    /// The part's first member is `Err` (a `Result::Err`), as written before redaction.
    pub(crate) first_err: Cell<bool>,
}

/// What happens to the value at one position.
enum Plan {
    /// A rule matches it.
    Redact(Mode, usize),
    /// Something may apply below: walk it.
    Walk,
    /// Nothing can apply at it or below: serialize it as it is.
    Plain,
}

impl<'r> Ctx<'r> {
    pub(crate) fn new(r: &'r Redactor, states: Vec<State>) -> Self {
        Ctx {
            r,
            stack: RefCell::new(states),
            fallback: Cell::new(false),
            first_err: Cell::new(false),
        }
    }

    /// The shapes redacted on a tree: a rule that matches a struct or tuple variant's
    /// own member (its value is only ever seen field by field), a map key that is not
    /// a string or an integer, and an object member that starts like a `Secret` marker
    /// (`{"playback.redacted": ..}`) but is not one. The serialization fails, and the
    /// caller redacts the part with [`Redactor::redact`] on its tree.
    fn fall_back<E: ser::Error>(&self) -> E {
        self.fallback.set(true);
        E::custom("playback: this part is redacted on a tree")
    }

    /// Pushes the states one segment below those at `at`; returns where they start.
    fn child(&self, at: usize, segment: &str) -> usize {
        let mut stack = self.stack.borrow_mut();
        let start = stack.len();
        for (k, (p, _, _)) in self.r.paths.iter().enumerate() {
            let s = stack[at + k];
            stack.push(p.step(s, segment));
        }
        start
    }

    fn pop(&self, to: usize) {
        self.stack.borrow_mut().truncate(to);
    }

    /// The plan for the value at `at`; `name` is its member name when it is an object
    /// member (field-name rules apply to it first).
    fn plan(&self, at: usize, name: Option<&str>) -> Plan {
        if let Some(name) = name
            && let Some((_, mode, i)) = self.r.keys.iter().find(|(re, _, _)| re.is_match(name))
        {
            return Plan::Redact(*mode, *i);
        }
        self.plan_path(at)
    }

    /// The rule that matches the part's root, if one does.
    pub(crate) fn plan_root(&self) -> Option<(Mode, usize)> {
        match self.plan_path(0) {
            Plan::Redact(mode, rule) => Some((mode, rule)),
            _ => None,
        }
    }

    /// The plan for member `name` of the object at the root: `Err` with the rule that
    /// matches it, `Ok(Some(states))` to walk it, `Ok(None)` to write it as it is.
    pub(crate) fn plan_member(&self, name: &str) -> Result<Option<usize>, (Mode, usize)> {
        let child = self.child(0, name);
        match self.plan(child, Some(name)) {
            Plan::Redact(mode, rule) => {
                self.pop(child);
                Err((mode, rule))
            }
            Plan::Walk => Ok(Some(child)),
            Plan::Plain => {
                self.pop(child);
                Ok(None)
            }
        }
    }

    fn plan_path(&self, at: usize) -> Plan {
        if self.r.paths.is_empty() {
            return Plan::Walk; // field rules or detectors, else the part was not streamed
        }
        let stack = self.stack.borrow();
        let states = &stack[at..at + self.r.paths.len()];
        let mut alive = false;
        for ((p, mode, rule), s) in self.r.paths.iter().zip(states) {
            if p.matched(*s) {
                return Plan::Redact(*mode, *rule);
            }
            alive |= p.alive_below(*s);
        }
        if alive || !self.r.keys.is_empty() || !self.r.detectors.is_empty() {
            Plan::Walk
        } else {
            Plan::Plain
        }
    }

    /// The redacted form of a value a rule matched, from its tree; `None` when it is
    /// removed. An object member that is already a marker is left as it is.
    pub(crate) fn redacted<T: ?Sized + Serialize, E: ser::Error>(
        &self,
        value: &T,
        member: bool,
        mode: Mode,
        rule: usize,
    ) -> Result<Option<Value>, E> {
        let mut v = serde_json::to_value(value).map_err(E::custom)?;
        if member && redacted_fingerprint(&v).is_some() {
            return Ok(Some(v));
        }
        self.r.hit(rule);
        Ok(match self.r.apply(mode, &mut v) {
            Action::Remove => None,
            Action::Keep => Some(v),
        })
    }

    fn detect(&self, text: &str) -> Option<String> {
        if self.r.detectors.is_empty() {
            return None;
        }
        self.r.detectors.redact(text, self.r.key.as_ref())
    }
}

/// A value to serialize at a walked position (its plan was `Walk`).
pub(crate) struct Node<'c, 'r, T: ?Sized> {
    pub(crate) value: &'c T,
    pub(crate) c: &'c Ctx<'r>,
    pub(crate) at: usize,
    pub(crate) member: bool,
    pub(crate) root: bool,
}

impl<T: ?Sized + Serialize> Serialize for Node<'_, '_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Ser {
            s,
            c: self.c,
            at: self.at,
            member: self.member,
            root: self.root,
        })
    }
}

/// The wrapper: serializes into `s`, redacting below the position `at`.
pub(crate) struct Ser<'c, 'r, S> {
    pub(crate) s: S,
    pub(crate) c: &'c Ctx<'r>,
    pub(crate) at: usize,
    pub(crate) member: bool,
    pub(crate) root: bool,
}

impl<'c, 'r, S: Serializer> Ser<'c, 'r, S> {
    fn node<'v, T: ?Sized>(&self, value: &'v T, at: usize, member: bool) -> Node<'v, 'r, T>
    where
        'c: 'v,
    {
        Node {
            value,
            c: self.c,
            at,
            member,
            root: false,
        }
    }

    /// The value of member `variant` of the one-member object an enum variant is.
    fn variant_member(&self, variant: &'static str) -> (usize, Plan) {
        if self.root && variant == "Err" {
            self.c.first_err.set(true);
        }
        let child = self.c.child(self.at, variant);
        (child, self.c.plan(child, Some(variant)))
    }
}

macro_rules! forward {
    ($($f:ident($t:ty)),* $(,)?) => {
        $(fn $f(self, v: $t) -> Result<S::Ok, S::Error> { self.s.$f(v) })*
    };
}

impl<'c, 'r, S: Serializer> Serializer for Ser<'c, 'r, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Seq<'c, 'r, S::SerializeSeq>;
    type SerializeTuple = Seq<'c, 'r, S::SerializeTuple>;
    type SerializeTupleStruct = Seq<'c, 'r, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Seq<'c, 'r, S::SerializeTupleVariant>;
    type SerializeMap = Map<'c, 'r, S::SerializeMap>;
    type SerializeStruct = Struct<'c, 'r, S>;
    type SerializeStructVariant = Map<'c, 'r, S::SerializeStructVariant>;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8]),
    );

    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        match self.c.detect(v) {
            Some(out) => self.s.serialize_str(&out),
            None => self.s.serialize_str(v),
        }
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.s.serialize_none()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        let node = Node {
            value,
            c: self.c,
            at: self.at,
            member: self.member,
            root: self.root,
        };
        self.s.serialize_some(&node)
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.s.serialize_unit()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.s.serialize_unit_struct(name)
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        match self.c.detect(variant) {
            Some(out) => self.s.serialize_str(&out),
            None => self.s.serialize_unit_variant(name, index, variant),
        }
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let node = Node {
            value,
            c: self.c,
            at: self.at,
            member: self.member,
            root: self.root,
        };
        self.s.serialize_newtype_struct(name, &node)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let (child, plan) = self.variant_member(variant);
        let out = match plan {
            Plan::Redact(mode, rule) => match self.c.redacted(value, true, mode, rule)? {
                Some(v) => self.s.serialize_newtype_variant(name, index, variant, &v),
                None => self.s.serialize_map(Some(0))?.end(),
            },
            Plan::Walk => {
                let node = self.node(value, child, true);
                self.s
                    .serialize_newtype_variant(name, index, variant, &node)
            }
            Plan::Plain => self
                .s
                .serialize_newtype_variant(name, index, variant, value),
        };
        self.c.pop(child);
        out
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Ok(Seq::walk(self.s.serialize_seq(len)?, self.c, self.at, None))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        Ok(Seq::walk(
            self.s.serialize_tuple(len)?,
            self.c,
            self.at,
            None,
        ))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let inner = self.s.serialize_tuple_struct(name, len)?;
        Ok(Seq::walk(inner, self.c, self.at, None))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let (child, plan) = self.variant_member(variant);
        match plan {
            Plan::Redact(..) => Err(self.c.fall_back()),
            Plan::Walk => {
                let inner = self.s.serialize_tuple_variant(name, index, variant, len)?;
                Ok(Seq::walk(inner, self.c, child, Some(child)))
            }
            Plan::Plain => {
                self.c.pop(child);
                let inner = self.s.serialize_tuple_variant(name, index, variant, len)?;
                Ok(Seq::plain(inner, self.c))
            }
        }
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let inner = self.s.serialize_map(len)?;
        Ok(Map::walk(
            inner,
            self.c,
            self.at,
            self.member,
            self.root,
            None,
        ))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        if name == RAW_TOKEN {
            return Ok(Struct::Raw {
                ser: Some(self),
                json: None,
            });
        }
        let inner = self.s.serialize_struct(name, len)?;
        Ok(Struct::Walk(Map::walk(
            inner,
            self.c,
            self.at,
            self.member,
            self.root,
            None,
        )))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let (child, plan) = self.variant_member(variant);
        match plan {
            Plan::Redact(..) => Err(self.c.fall_back()),
            Plan::Walk => {
                let inner = self.s.serialize_struct_variant(name, index, variant, len)?;
                Ok(Map::walk(inner, self.c, child, true, false, Some(child)))
            }
            Plan::Plain => {
                self.c.pop(child);
                let inner = self.s.serialize_struct_variant(name, index, variant, len)?;
                Ok(Map::plain(inner, self.c))
            }
        }
    }

    fn is_human_readable(&self) -> bool {
        self.s.is_human_readable()
    }
}

/// A sequence (array) being walked: each element is at its index.
pub(crate) struct Seq<'c, 'r, I> {
    inner: I,
    c: &'c Ctx<'r>,
    /// The states of the array, or `None`: serialized as it is.
    at: Option<usize>,
    next: usize,
    /// Where to truncate the stack at the end (a variant pushed its member's states).
    pop: Option<usize>,
}

impl<'c, 'r, I> Seq<'c, 'r, I> {
    fn walk(inner: I, c: &'c Ctx<'r>, at: usize, pop: Option<usize>) -> Self {
        Seq {
            inner,
            c,
            at: Some(at),
            next: 0,
            pop,
        }
    }

    fn plain(inner: I, c: &'c Ctx<'r>) -> Self {
        Seq {
            inner,
            c,
            at: None,
            next: 0,
            pop: None,
        }
    }

    /// The plan for the next element (its states are pushed; `Elem::Walk` holds them).
    fn element<T: ?Sized + Serialize, E: ser::Error>(&mut self, value: &T) -> Result<Elem, E> {
        let Some(at) = self.at else {
            return Ok(Elem::Plain(None));
        };
        let mut buf = [0u8; 20];
        let child = self.c.child(at, index(self.next, &mut buf));
        self.next += 1;
        let elem = match self.c.plan_path(child) {
            Plan::Redact(mode, rule) => {
                let v = self.c.redacted(value, false, mode, rule);
                self.c.pop(child);
                Elem::Redacted(v?)
            }
            Plan::Walk => Elem::Walk(child),
            Plan::Plain => Elem::Plain(Some(child)),
        };
        Ok(elem)
    }

    fn done(&self) {
        if let Some(p) = self.pop {
            self.c.pop(p);
        }
    }
}

/// What to write for one element of a sequence.
enum Elem {
    /// The redacted value, or `None`: removed (a marker without fingerprint).
    Redacted(Option<Value>),
    /// Walk it; its states start here.
    Walk(usize),
    /// As it is (states to pop, if any were pushed).
    Plain(Option<usize>),
}

macro_rules! seq_impl {
    ($tr:ident, $method:ident) => {
        impl<I: $tr> $tr for Seq<'_, '_, I> {
            type Ok = I::Ok;
            type Error = I::Error;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), I::Error> {
                match self.element(value)? {
                    Elem::Redacted(Some(v)) => self.inner.$method(&v),
                    Elem::Redacted(None) => self.inner.$method(&Marker(None)),
                    Elem::Walk(child) => {
                        let node = Node {
                            value,
                            c: self.c,
                            at: child,
                            member: false,
                            root: false,
                        };
                        let out = self.inner.$method(&node);
                        self.c.pop(child);
                        out
                    }
                    Elem::Plain(pushed) => {
                        if let Some(p) = pushed {
                            self.c.pop(p);
                        }
                        self.inner.$method(value)
                    }
                }
            }
            fn end(self) -> Result<I::Ok, I::Error> {
                self.done();
                self.inner.end()
            }
        }
    };
}

seq_impl!(SerializeSeq, serialize_element);
seq_impl!(SerializeTuple, serialize_element);
seq_impl!(SerializeTupleStruct, serialize_field);
seq_impl!(SerializeTupleVariant, serialize_field);

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
    fn walk(
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

    fn plain(inner: I, c: &'c Ctx<'r>) -> Self {
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

/// Writes a map key as the text serde_json gives it (strings, chars, booleans and
/// integers; anything else fails, and the part is redacted on a tree).
struct KeyCap<'a>(&'a mut String);

/// A key [`KeyCap`] does not take.
#[derive(Debug)]
struct KeyErr;

impl std::fmt::Display for KeyErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a string key")
    }
}

impl std::error::Error for KeyErr {}

impl ser::Error for KeyErr {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        KeyErr
    }
}

macro_rules! key_int {
    ($($f:ident($t:ty)),* $(,)?) => {
        $(fn $f(self, v: $t) -> Result<(), KeyErr> {
            use std::fmt::Write as _;
            write!(self.0, "{v}").map_err(|_| KeyErr)
        })*
    };
}

macro_rules! key_refuse {
    ($($f:ident($($t:ty),*)),* $(,)?) => {
        $(fn $f(self, $(_: $t),*) -> Result<(), KeyErr> { Err(KeyErr) })*
    };
}

impl Serializer for KeyCap<'_> {
    type Ok = ();
    type Error = KeyErr;
    type SerializeSeq = ser::Impossible<(), KeyErr>;
    type SerializeTuple = ser::Impossible<(), KeyErr>;
    type SerializeTupleStruct = ser::Impossible<(), KeyErr>;
    type SerializeTupleVariant = ser::Impossible<(), KeyErr>;
    type SerializeMap = ser::Impossible<(), KeyErr>;
    type SerializeStruct = ser::Impossible<(), KeyErr>;
    type SerializeStructVariant = ser::Impossible<(), KeyErr>;

    key_int!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
    );
    key_refuse!(
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
    );

    fn serialize_str(self, v: &str) -> Result<(), KeyErr> {
        self.0.push_str(v);
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), KeyErr> {
        Err(KeyErr)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<(), KeyErr> {
        self.0.push_str(v);
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), KeyErr> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), KeyErr> {
        Err(KeyErr)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, KeyErr> {
        Err(KeyErr)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, KeyErr> {
        Err(KeyErr)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, KeyErr> {
        Err(KeyErr)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, KeyErr> {
        Err(KeyErr)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, KeyErr> {
        Err(KeyErr)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, KeyErr> {
        Err(KeyErr)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, KeyErr> {
        Err(KeyErr)
    }
}
