//! Recording ids and category names: the two user-controlled parts of a storage path.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use ulid::Ulid;

use crate::error::{StoreError, shorten};

/// The longest id accepted, in bytes.
const MAX_ID_LEN: usize = 64;
/// The longest category accepted, in bytes.
const MAX_CATEGORY_LEN: usize = 128;
/// ULID timestamps have 48 bits of milliseconds.
const MAX_ULID_MS: i128 = (1 << 48) - 1;

/// The id of one recording: a ULID for new recordings, so ids sort by time.
///
/// Any id is 1 to 64 characters of `[0-9A-Za-z_-]`, which makes it safe to use as a
/// file name or an object key. The check also runs when an id is deserialized, so a
/// hostile id inside a recording file fails to load.
///
/// ```
/// use playback_store::RecordingId;
/// let id = RecordingId::generate();
/// assert_eq!(id.as_str().len(), 26);
/// assert!(id.timestamp().is_some());
/// assert!(RecordingId::parse("../etc/passwd").is_err());
/// let back: RecordingId = id.as_str().parse()?;
/// assert_eq!(back, id);
/// # Ok::<(), playback_store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RecordingId(String);

impl RecordingId {
    /// A new ULID for the current instant.
    ///
    /// ```
    /// let a = playback_store::RecordingId::generate();
    /// let b = playback_store::RecordingId::generate();
    /// assert_ne!(a, b);
    /// ```
    pub fn generate() -> Self {
        Self::generate_at(OffsetDateTime::now_utc())
    }

    /// A new ULID whose time part is `at` (millisecond precision) and whose random part
    /// is fresh. Instants before 1970 are clamped to the epoch.
    ///
    /// ```
    /// use playback_store::RecordingId;
    /// let t = time::macros::datetime!(2026-03-04 05:06:07.008 UTC);
    /// let id = RecordingId::generate_at(t);
    /// assert_eq!(id.timestamp(), Some(t));
    /// assert_ne!(id, RecordingId::generate_at(t));
    /// ```
    pub fn generate_at(at: OffsetDateTime) -> Self {
        let ms = (at.unix_timestamp_nanos() / 1_000_000).clamp(0, MAX_ULID_MS);
        let ms = u64::try_from(ms).unwrap_or(0);
        let ulid = Ulid::from_parts(ms, Ulid::new().random());
        RecordingId(ulid.to_string())
    }

    /// Checks and wraps an id: 1 to 64 characters of `[0-9A-Za-z_-]`.
    ///
    /// ```
    /// use playback_store::{RecordingId, StoreError};
    /// assert_eq!(RecordingId::parse("order_42-b")?.as_str(), "order_42-b");
    /// for bad in ["", "..", "a/b", "a\\b", "a\0b", "a.json", &"x".repeat(65)] {
    ///     assert!(matches!(RecordingId::parse(bad), Err(StoreError::InvalidId { .. })));
    /// }
    /// # Ok::<(), StoreError>(())
    /// ```
    pub fn parse(id: &str) -> Result<Self, StoreError> {
        let invalid = |reason: String| StoreError::InvalidId {
            id: shorten(id),
            reason,
        };
        if id.is_empty() {
            return Err(invalid("it is empty".to_owned()));
        }
        if id.len() > MAX_ID_LEN {
            return Err(invalid(format!(
                "it is {} bytes long, more than {MAX_ID_LEN}",
                id.len()
            )));
        }
        if let Some(c) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(invalid(format!("it contains the character {c:?}")));
        }
        Ok(RecordingId(id.to_owned()))
    }

    /// The id as text.
    ///
    /// ```
    /// let id = playback_store::RecordingId::parse("abc")?;
    /// assert_eq!(id.as_str(), "abc");
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant encoded in the id when it is a ULID (millisecond precision), or
    /// `None` for other ids.
    ///
    /// ```
    /// use playback_store::RecordingId;
    /// let id = RecordingId::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV")?;
    /// assert_eq!(id.timestamp().unwrap().unix_timestamp(), 1_469_922_850);
    /// assert_eq!(RecordingId::parse("order-42")?.timestamp(), None);
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn timestamp(&self) -> Option<OffsetDateTime> {
        // A 26-character string whose first character is above 7 overflows 128 bits.
        if !matches!(self.0.as_bytes().first(), Some(b'0'..=b'7')) {
            return None;
        }
        let ulid = Ulid::from_string(&self.0).ok()?;
        let nanos = i128::from(ulid.timestamp_ms()) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
    }
}

impl fmt::Display for RecordingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RecordingId {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for RecordingId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RecordingId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RecordingId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Checks that a category can be used as one folder name (or key segment) in a store.
///
/// A category must be 1 to 128 bytes, must not contain `/`, `\`, NUL or control
/// characters, must not contain `..` and must not start with `.`.
///
/// ```
/// use playback_store::validate_category;
/// assert!(validate_category("checkout").is_ok());
/// assert!(validate_category("shop checkout v2").is_ok());
/// for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b", ".hidden", "a..b", "a\nb"] {
///     assert!(validate_category(bad).is_err(), "{bad:?}");
/// }
/// assert!(validate_category(&"c".repeat(129)).is_err());
/// ```
pub fn validate_category(category: &str) -> Result<(), StoreError> {
    let invalid = |reason: String| {
        Err(StoreError::InvalidCategory {
            category: shorten(category),
            reason,
        })
    };
    if category.is_empty() {
        return invalid("it is empty".to_owned());
    }
    if category.len() > MAX_CATEGORY_LEN {
        return invalid(format!(
            "it is {} bytes long, more than {MAX_CATEGORY_LEN}",
            category.len()
        ));
    }
    if let Some(c) = category
        .chars()
        .find(|c| *c == '/' || *c == '\\' || c.is_control())
    {
        return invalid(format!("it contains the character {c:?}"));
    }
    if category.starts_with('.') {
        return invalid("it starts with `.`".to_owned());
    }
    if category.contains("..") {
        return invalid("it contains `..`".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn generated_ids_are_ulids_that_sort_by_time() {
        let early = RecordingId::generate_at(datetime!(2025-01-01 00:00 UTC));
        let late = RecordingId::generate_at(datetime!(2025-01-01 00:00:00.001 UTC));
        assert!(early < late);
        assert_eq!(early.as_str().len(), 26);
        assert!(RecordingId::parse(early.as_str()).is_ok());
        assert_eq!(early.timestamp(), Some(datetime!(2025-01-01 00:00 UTC)));
    }

    #[test]
    fn generate_at_clamps_instants_before_the_epoch() {
        let id = RecordingId::generate_at(datetime!(1960-01-01 00:00 UTC));
        assert_eq!(id.timestamp(), Some(OffsetDateTime::UNIX_EPOCH));
    }

    #[test]
    fn parse_rejects_hostile_ids_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("..", "'.'"),
            ("../x", "'.'"),
            ("a/b", "'/'"),
            ("a\\b", "'\\\\'"),
            ("a\0b", "'\\0'"),
            ("a b", "' '"),
            ("é", "'é'"),
        ];
        for (id, reason) in cases {
            match RecordingId::parse(id) {
                Err(StoreError::InvalidId { reason: r, .. }) => {
                    assert!(r.contains(reason), "{id:?}: {r}")
                }
                other => panic!("{id:?} gave {other:?}"),
            }
        }
        let long = "a".repeat(200);
        match RecordingId::parse(&long) {
            Err(StoreError::InvalidId { id, reason }) => {
                assert!(reason.contains("200 bytes"));
                assert!(id.len() < 100, "the message quotes a shortened id");
            }
            other => panic!("gave {other:?}"),
        }
        assert!(RecordingId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn timestamp_is_none_for_ids_that_are_not_ulids() {
        for id in [
            "abc",
            "8ZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "01ARZ3NDEKTSV4RRFFQ69G5FAU_",
            "01ARZ3NDEKTSV4RRFFQ69G5FAI",
        ] {
            assert_eq!(RecordingId::parse(id).unwrap().timestamp(), None, "{id}");
        }
    }

    #[test]
    fn deserializing_a_hostile_id_fails() {
        let err = serde_json::from_str::<RecordingId>("\"../../etc/passwd\"").unwrap_err();
        assert!(err.to_string().contains("invalid recording id"), "{err}");
        let ok: RecordingId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(ok.as_str(), "abc");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"abc\"");
    }

    #[test]
    fn validate_category_reasons_name_the_problem() {
        let reason = |c: &str| match validate_category(c) {
            Err(StoreError::InvalidCategory { reason, .. }) => reason,
            other => panic!("{c:?} gave {other:?}"),
        };
        assert_eq!(reason(""), "it is empty");
        assert_eq!(reason(".."), "it starts with `.`");
        assert_eq!(reason("a..b"), "it contains `..`");
        assert_eq!(reason("a/b"), "it contains the character '/'");
        assert_eq!(reason("a\0"), "it contains the character '\\0'");
        assert!(reason(&"x".repeat(200)).contains("200 bytes"));
        assert!(validate_category(&"x".repeat(128)).is_ok());
    }
}
