//! Writing an accepted value in the key order of the recorded one, so that accepting a
//! change touches only the values that changed and a fixture's diff stays readable.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// The shape of a recorded JSON value: its objects' keys in document order.
enum Shape {
    Object(Vec<(String, Shape)>),
    Array(Vec<Shape>),
    Scalar,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Shape::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, shape)) = map.next_entry::<String, Shape>()? {
            entries.push((key, shape));
        }
        Ok(Shape::Object(entries))
    }
}

/// `value` as compact JSON, each object's keys in the order the same object has them in
/// `recorded` (keys it lacks come after, sorted). Without `recorded`, or where its
/// shape differs, keys are sorted.
pub(crate) fn raw_like(
    value: &Value,
    recorded: Option<&RawValue>,
) -> Result<Box<RawValue>, serde_json::Error> {
    let shape = recorded.and_then(|r| serde_json::from_str::<Shape>(r.get()).ok());
    let mut out = String::new();
    write(&mut out, value, shape.as_ref())?;
    RawValue::from_string(out)
}

fn write(out: &mut String, value: &Value, shape: Option<&Shape>) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            let recorded: &[(String, Shape)] = match shape {
                Some(Shape::Object(entries)) => entries,
                _ => &[],
            };
            let first = recorded
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| map.contains_key(*k));
            let rest = map
                .keys()
                .map(String::as_str)
                .filter(|k| !recorded.iter().any(|(r, _)| r == k));
            out.push('{');
            for (i, key) in first.chain(rest).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                let inner = recorded.iter().find(|(k, _)| k == key).map(|(_, s)| s);
                write(out, &map[key], inner)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let inner = match shape {
                    Some(Shape::Array(shapes)) => shapes.get(i),
                    _ => None,
                };
                write(out, item, inner)?;
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn keys_keep_the_recorded_order_and_only_changed_values_change() {
        let recorded =
            raw(r#"{"Ok":{"sku":"scale","qty":7,"lines":[{"z":1,"a":2}],"total":331266}}"#);
        let new = json!({"Ok": {"total": 331265, "qty": 7, "sku": "scale", "lines": [{"a": 2, "z": 1}, {"b": 1, "a": 0}], "extra": true}});
        assert_eq!(
            raw_like(&new, Some(&recorded)).unwrap().get(),
            r#"{"Ok":{"sku":"scale","qty":7,"lines":[{"z":1,"a":2},{"a":0,"b":1}],"total":331265,"extra":true}}"#
        );
    }

    #[test]
    fn without_a_recorded_shape_keys_are_sorted_and_a_different_shape_is_ignored() {
        let new = json!({"b": 1, "a": {"d": 2, "c": 3}});
        assert_eq!(
            raw_like(&new, None).unwrap().get(),
            r#"{"a":{"c":3,"d":2},"b":1}"#
        );
        let other = raw(r#"[{"b":1}]"#);
        assert_eq!(
            raw_like(&new, Some(&other)).unwrap().get(),
            r#"{"a":{"c":3,"d":2},"b":1}"#
        );
        assert_eq!(
            raw_like(&json!("x\"y"), Some(&raw("1"))).unwrap().get(),
            r#""x\"y""#
        );
    }
}
