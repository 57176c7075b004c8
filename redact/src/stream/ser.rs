//! The wrapper `Serializer`: scalars, strings (detectors), options, newtypes, enum
//! variants (a one-member object), and the compound types.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::ctx::{Ctx, Node, Plan, RAW_TOKEN};
use super::object::{Map, Struct};
use super::seq::Seq;

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
