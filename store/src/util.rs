//! Small pieces every playback crate needs exactly once: the stable hash that shard
//! assignment, S3 cache folders and call-site signatures depend on, the text of a panic
//! payload, and the placeholder that stands in for a value that could not be recorded.

use std::any::Any;

use serde_json::Value;

/// 64-bit FNV-1a of `bytes`, usable in constants.
///
/// Shard assignment (`Equalizer::shard`), S3 cache folder names and the layer's
/// category lookups are derived from it, so it must never change: a test pins it to the
/// published test vectors.
///
/// ```
/// assert_eq!(playback_store::fnv1a(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(playback_store::fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub const fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_extend(FNV1A_OFFSET, bytes)
}

/// The FNV-1a offset basis: the hash of nothing, where [`fnv1a_extend`] starts.
///
/// ```
/// assert_eq!(playback_store::FNV1A_OFFSET, playback_store::fnv1a(b""));
/// ```
pub const FNV1A_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Continues an FNV-1a hash with more bytes, for a hasher fed in pieces:
/// `fnv1a_extend(fnv1a(a), b) == fnv1a(a ++ b)`.
///
/// ```
/// use playback_store::{fnv1a, fnv1a_extend};
/// assert_eq!(fnv1a_extend(fnv1a(b"foo"), b"bar"), fnv1a(b"foobar"));
/// ```
pub const fn fnv1a_extend(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The message of a panic payload: the `&str` or `String` it carries, or
/// `"<non-string panic payload>"`.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("boom {}", 7)).unwrap_err();
/// assert_eq!(playback_store::panic_message(payload.as_ref()), "boom 7");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// The key of the placeholder object that stands where a value could not be recorded
/// (its `Serialize` impl failed or panicked, or its codec panicked):
/// `{"playback.unrecordable": "<why>"}`. The comparison reports such a path as not
/// comparable, never as different.
///
/// ```
/// assert_eq!(playback_store::UNRECORDABLE, "playback.unrecordable");
/// ```
pub const UNRECORDABLE: &str = "playback.unrecordable";

/// The placeholder for a value that could not be recorded, naming why.
///
/// ```
/// let v = playback_store::unrecordable("key must be a string");
/// assert_eq!(v, serde_json::json!({"playback.unrecordable": "key must be a string"}));
/// assert_eq!(playback_store::unrecordable_reason(&v), Some("key must be a string"));
/// ```
pub fn unrecordable(reason: &str) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(UNRECORDABLE.to_owned(), Value::from(reason));
    Value::Object(map)
}

/// The reason, when `value` is an [`unrecordable`] placeholder.
///
/// ```
/// assert_eq!(playback_store::unrecordable_reason(&serde_json::json!({"a": 1})), None);
/// ```
pub fn unrecordable_reason(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(UNRECORDABLE).and_then(Value::as_str),
        _ => None,
    }
}

/// The key of the marker that stands where a value was redacted at record time:
/// `{"playback.redacted": "<fingerprint>"}`, or `{"playback.redacted": null}` when no
/// fingerprint was made (the value was removed, or no fingerprint key was configured).
/// The marker never holds the value. See `playback::Secret` and the layer's redaction
/// rules.
///
/// ```
/// assert_eq!(playback_store::REDACTED, "playback.redacted");
/// ```
pub const REDACTED: &str = "playback.redacted";

/// When `value` is a redaction marker: `Some(Some(fingerprint))`, or `Some(None)` for a
/// marker without a fingerprint. `None` for any other value.
///
/// ```
/// use serde_json::json;
/// use playback_store::redacted_fingerprint;
/// assert_eq!(redacted_fingerprint(&json!({"playback.redacted": "ab12"})), Some(Some("ab12")));
/// assert_eq!(redacted_fingerprint(&json!({"playback.redacted": null})), Some(None));
/// assert_eq!(redacted_fingerprint(&json!("ab12")), None);
/// ```
pub fn redacted_fingerprint(value: &Value) -> Option<Option<&str>> {
    match value {
        Value::Object(map) if map.len() == 1 => match map.get(REDACTED)? {
            Value::String(fp) => Some(Some(fp.as_str())),
            Value::Null => Some(None),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn panic_message_reads_str_and_string_payloads() {
        let p = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "static");
        let p = std::panic::catch_unwind(|| std::panic::panic_any(5u8)).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "<non-string panic payload>");
    }

    #[test]
    fn a_placeholder_is_recognised_only_in_its_exact_shape() {
        let mut v = unrecordable("x");
        assert_eq!(unrecordable_reason(&v), Some("x"));
        v.as_object_mut()
            .unwrap()
            .insert("other".into(), Value::Null);
        assert_eq!(unrecordable_reason(&v), None);
    }
}
