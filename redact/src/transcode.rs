//! JSON text straight into a serializer, without a tree: serialized JSON (a replayed
//! part, a `RawValue`) goes through the redacting serializer the way a value does.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

/// A deserializer's next value, as a `Serialize`: serializing it reads it.
pub(crate) struct Transcoder<D>(Cell<Option<D>>);

impl<'de, D: Deserializer<'de>> Transcoder<D> {
    pub(crate) fn new(d: D) -> Self {
        Transcoder(Cell::new(Some(d)))
    }
}

impl<'de, D: Deserializer<'de>> Serialize for Transcoder<D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self
            .0
            .take()
            .ok_or_else(|| <S::Error as ser::Error>::custom("a value read twice"))?;
        d.deserialize_any(Into(s))
            .map_err(<S::Error as ser::Error>::custom)
    }
}

/// Forwards what the deserializer visits to the serializer.
struct Into<S>(S);

fn de_err<E: de::Error>(e: impl fmt::Display) -> E {
    E::custom(e)
}

macro_rules! visit {
    ($($v:ident($t:ty) => $s:ident),* $(,)?) => {
        $(fn $v<E: de::Error>(self, v: $t) -> Result<S::Ok, E> {
            self.0.$s(v).map_err(de_err)
        })*
    };
}

impl<'de, S: Serializer> Visitor<'de> for Into<S> {
    type Value = S::Ok;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    visit!(
        visit_bool(bool) => serialize_bool,
        visit_i64(i64) => serialize_i64,
        visit_u64(u64) => serialize_u64,
        visit_i128(i128) => serialize_i128,
        visit_u128(u128) => serialize_u128,
        visit_f64(f64) => serialize_f64,
        visit_str(&str) => serialize_str,
        visit_bytes(&[u8]) => serialize_bytes,
    );

    fn visit_unit<E: de::Error>(self) -> Result<S::Ok, E> {
        self.0.serialize_unit().map_err(de_err)
    }

    fn visit_none<E: de::Error>(self) -> Result<S::Ok, E> {
        self.0.serialize_none().map_err(de_err)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<S::Ok, D::Error> {
        self.0.serialize_some(&Transcoder::new(d)).map_err(de_err)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<S::Ok, A::Error> {
        let mut out = self.0.serialize_seq(seq.size_hint()).map_err(de_err)?;
        while seq.next_element_seed(Element(&mut out))?.is_some() {}
        out.end().map_err(de_err)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<S::Ok, A::Error> {
        let mut out = self.0.serialize_map(map.size_hint()).map_err(de_err)?;
        while map.next_key_seed(Key(&mut out))?.is_some() {
            map.next_value_seed(Value(&mut out))?;
        }
        out.end().map_err(de_err)
    }
}

struct Element<'a, S>(&'a mut S);

impl<'de, S: SerializeSeq> DeserializeSeed<'de> for Element<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0
            .serialize_element(&Transcoder::new(d))
            .map_err(de_err)
    }
}

struct Key<'a, S>(&'a mut S);

impl<'de, S: SerializeMap> DeserializeSeed<'de> for Key<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.serialize_key(&Transcoder::new(d)).map_err(de_err)
    }
}

struct Value<'a, S>(&'a mut S);

impl<'de, S: SerializeMap> DeserializeSeed<'de> for Value<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.serialize_value(&Transcoder::new(d)).map_err(de_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_comes_out_as_it_went_in() {
        let text = r#"{"b":[1,-2,3.5,true,null,"x\"y"],"a":{"z":{}},"n":18446744073709551615}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        let out = serde_json::to_string(&Transcoder::new(&mut de)).unwrap();
        assert_eq!(out, text);
    }
}
