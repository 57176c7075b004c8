//! How deep a value nests once serialized to JSON, found by walking it with a serializer
//! that writes nothing: a few instructions per value, where scanning the JSON text costs
//! several per byte.

use serde::Serialize;
use serde::ser;

/// serde_json's name for the struct a `RawValue` serializes as: its one field is JSON
/// text, written verbatim, so its depth is read from the text.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Whether `value`, serialized by serde_json, nests arrays and objects more than
/// `limit` levels deep. A `Serialize` impl that fails says `false` here (serializing it
/// for real reports the error).
pub(crate) fn nests_deeper_than<T: ?Sized + Serialize>(value: &T, limit: usize) -> bool {
    let mut walker = Walker { depth: 0, limit };
    matches!(value.serialize(&mut walker), Err(Stop::TooDeep))
}

struct Walker {
    depth: usize,
    limit: usize,
}

impl Walker {
    fn open(&mut self, levels: usize) -> Result<&mut Self, Stop> {
        self.depth += levels;
        if self.depth > self.limit {
            return Err(Stop::TooDeep);
        }
        Ok(self)
    }

    fn close(&mut self, levels: usize) -> Result<(), Stop> {
        self.depth -= levels;
        Ok(())
    }
}

/// Why the walk stopped early.
#[derive(Debug)]
enum Stop {
    TooDeep,
    /// The value's own `Serialize` impl failed.
    Custom,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stop::TooDeep => "too deep",
            Stop::Custom => "serialize error",
        })
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop::Custom
    }
}

macro_rules! leaf {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(fn $name(self, _: $ty) -> Result<(), Stop> { Ok(()) })*
    };
}

impl<'a> ser::Serializer for &'a mut Walker {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = &'a mut Walker;
    type SerializeTuple = &'a mut Walker;
    type SerializeTupleStruct = &'a mut Walker;
    type SerializeTupleVariant = &'a mut Walker;
    type SerializeMap = &'a mut Walker;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = &'a mut Walker;

    leaf! {
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_f64: f64, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8],
    }

    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self)
    }

    /// `{"Variant": value}`: one level more.
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(&mut *self.open(1)?)?;
        self.close(1)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Stop> {
        self.open(1)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, Stop> {
        self.open(1)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Stop> {
        self.open(1)
    }

    /// `{"Variant": [..]}`: two levels.
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Stop> {
        self.open(2)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, Stop> {
        self.open(1)
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Fields<'a>, Stop> {
        if name == RAW_VALUE_TOKEN {
            return Ok(Fields {
                walker: self,
                raw: true,
            });
        }
        Ok(Fields {
            walker: self.open(1)?,
            raw: false,
        })
    }

    /// `{"Variant": {..}}`: two levels.
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Stop> {
        self.open(2)
    }

    /// Nothing is written, so nothing is formatted.
    fn collect_str<T: ?Sized + std::fmt::Display>(self, _: &T) -> Result<(), Stop> {
        Ok(())
    }
}

macro_rules! compound {
    ($($trait:ident { $method:ident } closes $levels:expr;)*) => {
        $(impl ser::$trait for &mut Walker {
            type Ok = ();
            type Error = Stop;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
                value.serialize(&mut **self)
            }

            fn end(self) -> Result<(), Stop> {
                self.close($levels)
            }
        })*
    };
}

compound! {
    SerializeSeq { serialize_element } closes 1;
    SerializeTuple { serialize_element } closes 1;
    SerializeTupleStruct { serialize_field } closes 1;
    SerializeTupleVariant { serialize_field } closes 2;
}

impl ser::SerializeMap for &mut Walker {
    type Ok = ();
    type Error = Stop;

    /// Keys are strings in JSON: they add no depth.
    fn serialize_key<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Stop> {
        self.close(1)
    }
}

impl ser::SerializeStructVariant for &mut Walker {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Stop> {
        self.close(2)
    }
}

/// A struct's fields; for a `RawValue`, its JSON text.
struct Fields<'a> {
    walker: &'a mut Walker,
    raw: bool,
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        if !self.raw {
            return value.serialize(&mut *self.walker);
        }
        // The field is the JSON text itself, a string.
        let room = self.walker.limit - self.walker.depth;
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(json))
                if playback_store::nests_deeper_than(json.as_bytes(), room) =>
            {
                Err(Stop::TooDeep)
            }
            _ => Ok(()),
        }
    }

    fn end(self) -> Result<(), Stop> {
        if self.raw {
            return Ok(());
        }
        self.walker.close(1)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;
    use serde_json::value::RawValue;

    use super::*;

    /// The depth of JSON text, the reference.
    fn text_depth(text: &str) -> usize {
        (0..200)
            .find(|&d| !playback_store::nests_deeper_than(text.as_bytes(), d))
            .unwrap()
    }

    fn walked_depth<T: Serialize>(value: &T) -> usize {
        (0..200).find(|&d| !nests_deeper_than(value, d)).unwrap()
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        New(Vec<u8>),
        Tuple(u8, Vec<u8>),
        Struct { a: Vec<Vec<u8>> },
    }

    #[derive(Serialize)]
    struct S {
        e: Vec<E>,
        m: BTreeMap<String, Option<Vec<u8>>>,
        t: (u8, [u8; 2]),
        raw: Box<RawValue>,
        n: Wrapper,
    }

    #[derive(Serialize)]
    struct Wrapper(Vec<Vec<u8>>);

    #[test]
    fn the_walk_agrees_with_the_serialized_text() {
        let raw = RawValue::from_string("[[[[1]]]]".into()).unwrap();
        let s = S {
            e: vec![
                E::Unit,
                E::New(vec![1]),
                E::Tuple(1, vec![2]),
                E::Struct { a: vec![vec![3]] },
            ],
            m: BTreeMap::from([("k".into(), Some(vec![1]))]),
            t: (1, [2, 3]),
            raw,
            n: Wrapper(vec![vec![1]]),
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(walked_depth(&s), text_depth(&text), "{text}");
        for v in [
            json!(1),
            json!([]),
            json!({"a": [{"b": [1]}]}),
            json!([[[]]]),
        ] {
            assert_eq!(walked_depth(&v), text_depth(&v.to_string()), "{v}");
        }
        for e in [
            E::Unit,
            E::New(vec![]),
            E::Tuple(0, vec![]),
            E::Struct { a: vec![vec![]] },
        ] {
            assert_eq!(
                walked_depth(&e),
                text_depth(&serde_json::to_string(&e).unwrap())
            );
        }
    }

    #[test]
    fn deep_values_are_found_and_the_walk_stops_early() {
        let deep = (0..500).fold(json!(1), |v, _| json!([v]));
        assert!(nests_deeper_than(&deep, 123));
        assert!(!nests_deeper_than(&deep, 500));
        let raw = RawValue::from_string(deep.to_string()).unwrap();
        assert!(nests_deeper_than(&vec![raw], 123));
    }
}
