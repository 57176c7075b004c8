//! [`Json`]: a recorded or replayed value kept as the raw JSON text it was serialized to,
//! parsed into a [`Value`] tree only when something looks inside it.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON value of a [`Side`](crate::Side): the raw text a recording or a replay
/// serialized, with the [`Value`] tree built on first use.
///
/// Replay never needs the tree: two values whose texts are byte for byte the same are
/// equal without parsing either, and a clone shares the text. Reading it as a `Value`
/// (through `Deref`, so `json["field"]`, `json.get(..)` and `&json` as `&Value` all
/// work) parses it once and keeps the tree.
///
/// ```
/// use playback_replay::Json;
/// use serde_json::json;
/// let raw = serde_json::value::to_raw_value(&json!({"total": 5})).unwrap();
/// let a = Json::from_raw(&raw);
/// assert_eq!(a.raw(), r#"{"total":5}"#);
/// assert_eq!(a["total"], 5); // parsed here, once
/// assert_eq!(a, Json::from(json!({"total": 5})));
/// assert_eq!(a, json!({"total": 5}));
/// ```
#[derive(Clone, Default)]
pub struct Json {
    /// The serialized text; `None` for a value made from a tree.
    raw: Option<Arc<str>>,
    tree: OnceLock<Value>,
}

impl Json {
    /// A value from raw JSON text (copied once; clones share it).
    ///
    /// ```
    /// let raw = serde_json::value::to_raw_value(&[1, 2]).unwrap();
    /// assert_eq!(playback_replay::Json::from_raw(&raw)[1], 2);
    /// ```
    pub fn from_raw(raw: &RawValue) -> Self {
        Json {
            raw: Some(Arc::from(raw.get())),
            tree: OnceLock::new(),
        }
    }

    /// `null`.
    ///
    /// ```
    /// assert!(playback_replay::Json::null().is_null());
    /// ```
    pub fn null() -> Self {
        Json::from(Value::Null)
    }

    /// The value as a tree, parsed on the first call.
    ///
    /// ```
    /// let j = playback_replay::Json::from(serde_json::json!({"a": 1}));
    /// assert_eq!(j.value().pointer("/a"), Some(&serde_json::json!(1)));
    /// ```
    pub fn value(&self) -> &Value {
        self.tree.get_or_init(|| match &self.raw {
            // The text came from a `RawValue`, so it parses; `null` is a safe answer if not.
            Some(raw) => serde_json::from_str(raw).unwrap_or(Value::Null),
            None => Value::Null,
        })
    }

    /// The value as compact JSON text: the recorded or replayed text when there is one
    /// (no tree is built), else the tree serialized.
    ///
    /// ```
    /// let j = playback_replay::Json::from(serde_json::json!([1, "a"]));
    /// assert_eq!(j.raw(), r#"[1,"a"]"#);
    /// ```
    pub fn raw(&self) -> std::borrow::Cow<'_, str> {
        match &self.raw {
            Some(raw) => std::borrow::Cow::Borrowed(raw),
            None => std::borrow::Cow::Owned(self.value().to_string()),
        }
    }

    /// Whether the tree has been built (for tests of the lazy path).
    ///
    /// ```
    /// let raw = serde_json::value::to_raw_value(&1).unwrap();
    /// let j = playback_replay::Json::from_raw(&raw);
    /// assert!(!j.is_parsed());
    /// let _ = j.as_u64();
    /// assert!(j.is_parsed());
    /// ```
    pub fn is_parsed(&self) -> bool {
        self.tree.get().is_some()
    }

    /// Deserializes the value into `T`, straight from the raw text when there is one.
    ///
    /// ```
    /// let raw = serde_json::value::to_raw_value(&[1, 2]).unwrap();
    /// let v: Vec<u8> = playback_replay::Json::from_raw(&raw).to::<Vec<u8>>()?;
    /// assert_eq!(v, [1, 2]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn to<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match (&self.raw, self.tree.get()) {
            (_, Some(tree)) => T::deserialize(tree),
            (Some(raw), None) => serde_json::from_str(raw),
            (None, None) => T::deserialize(&Value::Null),
        }
    }
}

impl From<Value> for Json {
    fn from(value: Value) -> Self {
        let tree = OnceLock::new();
        let _ = tree.set(value);
        Json { raw: None, tree }
    }
}

impl From<&RawValue> for Json {
    fn from(raw: &RawValue) -> Self {
        Json::from_raw(raw)
    }
}

impl Deref for Json {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl AsRef<Value> for Json {
    fn as_ref(&self) -> &Value {
        self.value()
    }
}

/// Equal texts are equal values, with no tree; otherwise the trees are compared (so
/// `{"a":1,"b":2}` equals `{"b":2,"a":1}`).
impl PartialEq for Json {
    fn eq(&self, other: &Self) -> bool {
        if let (Some(a), Some(b)) = (&self.raw, &other.raw)
            && (Arc::ptr_eq(a, b) || a == b)
        {
            return true;
        }
        self.value() == other.value()
    }
}

impl PartialEq<Value> for Json {
    fn eq(&self, other: &Value) -> bool {
        self.value() == other
    }
}

impl PartialEq<Json> for Value {
    fn eq(&self, other: &Json) -> bool {
        self == other.value()
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.raw {
            Some(raw) => f.write_str(raw),
            None => fmt::Display::fmt(self.value(), f),
        }
    }
}

/// Serialized as the JSON value itself (any serializer: the tree is built for it).
impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Json::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(v: Value) -> Json {
        Json::from_raw(&serde_json::value::to_raw_value(&v).unwrap())
    }

    #[test]
    fn equal_texts_compare_equal_without_a_tree() {
        let a = raw(json!({"a": [1, 2, 3]}));
        let b = raw(json!({"a": [1, 2, 3]}));
        assert_eq!(a, b);
        assert!(!a.is_parsed() && !b.is_parsed());
        let c = a.clone();
        assert_eq!(a, c);
        assert!(!c.is_parsed());
    }

    #[test]
    fn different_texts_fall_back_to_the_trees() {
        let a = Json::from_raw(&RawValue::from_string(r#"{"a":1,"b":2}"#.into()).unwrap());
        let b = Json::from_raw(&RawValue::from_string(r#"{"b":2, "a":1}"#.into()).unwrap());
        assert_eq!(a, b);
        assert!(a.is_parsed() && b.is_parsed());
        assert_ne!(raw(json!(1)), raw(json!(2)));
        assert_ne!(raw(json!(1)), Json::from(json!("1")));
    }

    #[test]
    fn serializes_as_the_value_and_reads_back() {
        let a = raw(json!({"x": [true, null]}));
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(text, r#"{"x":[true,null]}"#);
        let back: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(back, a);
        assert_eq!(format!("{a}"), text);
        assert_eq!(
            format!("{a:?}"),
            format!("{:?}", json!({"x": [true, null]}))
        );
    }

    #[test]
    fn deserializes_from_the_text_or_the_tree() {
        let a = raw(json!([1, 2]));
        assert_eq!(a.to::<Vec<u8>>().unwrap(), [1, 2]);
        assert!(!a.is_parsed());
        assert_eq!(Json::from(json!([3])).to::<Vec<u8>>().unwrap(), [3]);
        assert!(a.to::<String>().is_err());
    }
}
