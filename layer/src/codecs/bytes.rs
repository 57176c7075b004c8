//! Bytes stored as text when they are UTF-8, as marked base64 otherwise.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DecodeError;
use crate::codec::Codec;

/// The key that marks base64 in a stored byte string.
const BASE64: &str = "base64";

/// A codec for byte buffers (`Vec<u8>`, and `bytes::Bytes` with the `bytes` feature):
/// stored as a JSON string when the bytes are UTF-8, so a diff reads as text, and as
/// `{"base64": ".."}` (standard alphabet, padded) when they are not.
///
/// Replay also reads the plain serde form of a `Vec<u8>` (an array of numbers), so a
/// call site recorded before it had this codec still replays.
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::Bytes;
///
/// let text = <Bytes as Codec<Vec<u8>>>::record(&b"+PONG\r\n".to_vec());
/// assert_eq!(serde_json::to_string(&text)?, r#""+PONG\r\n""#);
/// let binary = <Bytes as Codec<Vec<u8>>>::record(&vec![0xff, 0x00]);
/// assert_eq!(serde_json::to_string(&binary)?, r#"{"base64":"/wA="}"#);
/// let back: Vec<u8> = Bytes::replay(binary);
/// assert_eq!(back, [0xff, 0x00]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Bytes;

impl Codec<Vec<u8>> for Bytes {
    type Stored = StoredBytes;

    fn record(value: &Vec<u8>) -> StoredBytes {
        StoredBytes(value.clone())
    }

    fn replay(stored: StoredBytes) -> Vec<u8> {
        stored.0
    }
}

#[cfg(feature = "bytes")]
impl Codec<::bytes::Bytes> for Bytes {
    type Stored = StoredBytes;

    fn record(value: &::bytes::Bytes) -> StoredBytes {
        StoredBytes(value.to_vec())
    }

    fn replay(stored: StoredBytes) -> ::bytes::Bytes {
        ::bytes::Bytes::from(stored.0)
    }
}

/// What [`Bytes`] stores: the bytes, written as text or as `{"base64": ".."}`.
///
/// ```
/// use playback_layer::codecs::StoredBytes;
/// let stored: StoredBytes = serde_json::from_str(r#"{"base64":"aGk="}"#)?;
/// assert_eq!(stored.into_inner(), b"hi");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBytes(Vec<u8>);

impl StoredBytes {
    /// The bytes.
    ///
    /// ```
    /// let stored: playback_layer::codecs::StoredBytes = serde_json::from_str(r#""ok""#)?;
    /// assert_eq!(stored.into_inner(), b"ok");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl Serialize for StoredBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_bytes(&self.0, s)
    }
}

/// Writes `bytes` the way [`StoredBytes`] does, without copying them.
pub(crate) fn serialize_bytes<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => s.serialize_str(text),
        Err(_) => {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(BASE64, &STANDARD.encode(bytes))?;
            map.end()
        }
    }
}

/// `&[u8]` written as [`StoredBytes`] (for arguments the caller keeps).
#[derive(Debug)]
pub(crate) struct BytesRef<'a>(pub(crate) &'a [u8]);

impl Serialize for BytesRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_bytes(self.0, s)
    }
}

impl<'de> Deserialize<'de> for StoredBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BytesVisitor).map(StoredBytes)
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a string, {"base64": ".."} or an array of bytes"#)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        Ok(text.as_bytes().to_vec())
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Vec<u8>, E> {
        Ok(text.into_bytes())
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<u8>, A::Error> {
        let mut bytes = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != BASE64 || bytes.is_some() {
                return Err(de::Error::custom(format!(
                    "unexpected key {key:?} in stored bytes: expected one \"base64\""
                )));
            }
            let encoded: String = map.next_value()?;
            let decoded = STANDARD
                .decode(encoded.as_bytes())
                .map_err(|e| de::Error::custom(DecodeError::Base64(e.to_string())))?;
            bytes = Some(decoded);
        }
        bytes.ok_or_else(|| de::Error::missing_field(BASE64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bytes: &[u8]) -> (String, Vec<u8>) {
        let json = serde_json::to_string(&BytesRef(bytes)).unwrap();
        let back: StoredBytes = serde_json::from_str(&json).unwrap();
        (json, back.into_inner())
    }

    #[test]
    fn utf8_is_text_and_anything_else_is_marked_base64() {
        assert_eq!(
            roundtrip(b"hello\n"),
            (r#""hello\n""#.into(), b"hello\n".to_vec())
        );
        assert_eq!(roundtrip(b""), (r#""""#.into(), vec![]));
        let all: Vec<u8> = (0..=255).collect();
        let (json, back) = roundtrip(&all);
        assert!(json.starts_with(r#"{"base64":"AAECAw"#), "{json}");
        assert_eq!(back, all);
    }

    #[test]
    fn the_plain_serde_form_of_a_vec_still_reads() {
        let stored: StoredBytes = serde_json::from_str("[104,105]").unwrap();
        assert_eq!(stored.into_inner(), b"hi");
    }

    #[test]
    fn bad_stored_bytes_are_errors() {
        let err = serde_json::from_str::<StoredBytes>(r#"{"base64":"%%"}"#).unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
        let err = serde_json::from_str::<StoredBytes>(r#"{"hex":"00"}"#).unwrap_err();
        assert!(err.to_string().contains("unexpected key \"hex\""), "{err}");
        let err = serde_json::from_str::<StoredBytes>("{}").unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
        assert!(serde_json::from_str::<StoredBytes>("7").is_err());
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn bytes_bytes_use_the_same_form() {
        let b = ::bytes::Bytes::from_static(b"\xff\x01");
        let stored = <Bytes as Codec<::bytes::Bytes>>::record(&b);
        assert_eq!(
            serde_json::to_string(&stored).unwrap(),
            r#"{"base64":"/wE="}"#
        );
        assert_eq!(<Bytes as Codec<::bytes::Bytes>>::replay(stored), b);
    }
}
