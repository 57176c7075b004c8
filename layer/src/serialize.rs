//! Guarded serialization: a failing or panicking `Serialize` impl becomes an error
//! string, never a panic in the host.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use playback_store::panic_message;

/// How deep a captured value may nest: a recording is read up to
/// [`playback_store::MAX_JSON_DEPTH`] levels, and the document puts each value at most
/// four levels down (`interceptions[i].value`, `result.returned.value`, `args.name`).
pub(crate) const MAX_VALUE_DEPTH: usize = playback_store::MAX_JSON_DEPTH - 4;

fn too_deep() -> String {
    format!(
        "the value nests deeper than {MAX_VALUE_DEPTH} levels, which the recording reader refuses (playback_store::MAX_JSON_DEPTH)"
    )
}

/// Whether a value whose JSON text is `len` bytes long nests deeper than the reader
/// accepts. Only a text of more than two bytes per level can; the walk writes nothing.
fn is_too_deep<T: ?Sized + Serialize>(value: &T, len: usize) -> bool {
    len > 2 * MAX_VALUE_DEPTH
        && catch_unwind(AssertUnwindSafe(|| {
            crate::depth::nests_deeper_than(value, MAX_VALUE_DEPTH)
        }))
        .unwrap_or(false)
}

/// Serializes `value` to raw JSON. A value the recording reader would refuse as too
/// deep is an error, so it is recorded as unrecordable instead.
pub(crate) fn to_raw<T: ?Sized + Serialize>(value: &T) -> Result<Box<RawValue>, String> {
    match catch_unwind(AssertUnwindSafe(|| serde_json::value::to_raw_value(value))) {
        Ok(Ok(raw)) if is_too_deep(value, raw.get().len()) => Err(too_deep()),
        Ok(Ok(raw)) => Ok(raw),
        Ok(Err(e)) => Err(format!("value does not serialize: {e}")),
        Err(p) => Err(format!(
            "a Serialize impl panicked: {}",
            panic_message(p.as_ref())
        )),
    }
}

/// Serializes `value` to a canonical JSON value: object keys sorted, so a `HashMap`
/// argument always gives the same key.
pub(crate) fn to_canonical<T: ?Sized + Serialize>(value: &T) -> Result<Value, String> {
    match catch_unwind(AssertUnwindSafe(|| serde_json::to_value(value))) {
        Ok(Ok(mut v)) => {
            if depth_over(&v, MAX_VALUE_DEPTH) {
                return Err(too_deep());
            }
            if !maps_are_sorted() {
                sort_keys(&mut v);
            }
            Ok(v)
        }
        Ok(Err(e)) => Err(format!("value does not serialize: {e}")),
        Err(p) => Err(format!(
            "a Serialize impl panicked: {}",
            panic_message(p.as_ref())
        )),
    }
}

fn depth_over(value: &Value, limit: usize) -> bool {
    match value {
        Value::Array(_) | Value::Object(_) if limit == 0 => true,
        Value::Array(items) => items.iter().any(|v| depth_over(v, limit - 1)),
        Value::Object(map) => map.values().any(|v| depth_over(v, limit - 1)),
        _ => false,
    }
}

/// serde_json's `Map` is a `BTreeMap` (sorted) unless some crate in the build enables
/// its `preserve_order` feature; check once which one this build has.
fn maps_are_sorted() -> bool {
    static SORTED: OnceLock<bool> = OnceLock::new();
    *SORTED.get_or_init(|| {
        let mut m = Map::new();
        m.insert("b".into(), Value::Null);
        m.insert("a".into(), Value::Null);
        m.keys().next().map(String::as_str) == Some("a")
    })
}

fn sort_keys(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, mut v) in entries {
                sort_keys(&mut v);
                map.insert(k, v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

/// Builds a JSON object from already-serialized fields. The fields are copied
/// verbatim, not parsed again.
pub(crate) fn raw_object(fields: &[(&'static str, Box<RawValue>)]) -> Box<RawValue> {
    struct Fields<'a>(&'a [(&'static str, Box<RawValue>)]);
    impl Serialize for Fields<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap as _;
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (name, value) in self.0 {
                map.serialize_entry(name, value)?;
            }
            map.end()
        }
    }
    serde_json::value::to_raw_value(&Fields(fields)).unwrap_or_else(|_| empty_object())
}

/// Runs a user conversion (a codec's `record`), turning a panic into an error string.
pub(crate) fn convert<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|p| format!("its codec panicked: {}", panic_message(p.as_ref())))
}

/// `{"playback.unrecordable": reason}`, raw.
pub(crate) fn placeholder_raw(reason: &str) -> Box<RawValue> {
    serde_json::value::to_raw_value(&playback_store::unrecordable(reason))
        .unwrap_or_else(|_| null_raw())
}

pub(crate) fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| null_raw())
}

pub(crate) fn null_raw() -> Box<RawValue> {
    serde_json::value::to_raw_value(&Value::Null).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Boom;
    impl Serialize for Boom {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            panic!("boom in serialize")
        }
    }

    struct Fails;
    impl Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no way"))
        }
    }

    #[test]
    fn hashmap_keys_are_canonical_whatever_the_insertion_order() {
        let mut a = HashMap::new();
        let mut b = HashMap::new();
        for i in 0..50 {
            a.insert(format!("k{i}"), i);
        }
        for i in (0..50).rev() {
            b.insert(format!("k{i}"), i);
        }
        let a = serde_json::to_string(&to_canonical(&a).unwrap()).unwrap();
        let b = serde_json::to_string(&to_canonical(&b).unwrap()).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("{\"k0\":0,\"k1\":1,\"k10\":10"));
    }

    #[test]
    fn a_panicking_serialize_impl_becomes_an_error() {
        let err = to_raw(&Boom).unwrap_err();
        assert!(err.contains("boom in serialize"), "{err}");
        let err = to_canonical(&Boom).unwrap_err();
        assert!(err.contains("panicked"), "{err}");
    }

    #[test]
    fn a_failing_serialize_impl_becomes_an_error() {
        assert!(to_raw(&Fails).unwrap_err().contains("no way"));
    }

    #[test]
    fn a_value_deeper_than_the_reader_accepts_is_an_error() {
        let nested = |levels: usize| (0..levels).fold(Value::from(1), |v, _| Value::Array(vec![v]));
        assert!(to_raw(&nested(MAX_VALUE_DEPTH)).is_ok());
        let err = to_raw(&nested(MAX_VALUE_DEPTH + 1)).unwrap_err();
        assert!(err.contains("deeper than 123 levels"), "{err}");
        assert!(to_canonical(&nested(MAX_VALUE_DEPTH)).is_ok());
        assert!(
            to_canonical(&nested(MAX_VALUE_DEPTH + 1))
                .unwrap_err()
                .contains("deeper")
        );
    }

    #[test]
    fn raw_object_joins_fields() {
        let obj = raw_object(&[("a", to_raw(&1).unwrap()), ("b", to_raw(&"x").unwrap())]);
        assert_eq!(obj.get(), r#"{"a":1,"b":"x"}"#);
    }
}
