//! Map keys as serde_json writes them.

use serde::ser::{self, Serialize, Serializer};

/// Writes a map key as the text serde_json gives it (strings, chars, booleans and
/// integers; anything else fails, and the part is redacted on a tree).
pub(super) struct KeyCap<'a>(pub(super) &'a mut String);

/// A key [`KeyCap`] does not take.
#[derive(Debug)]
pub(super) struct KeyErr;

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
