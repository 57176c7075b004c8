//! Uuids as hyphenated text (feature `uuid`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DecodeError;
use crate::codec::Codec;

/// A codec for `uuid::Uuid` (feature `uuid`): stored as lowercase hyphenated text, with
/// no need for uuid's own `serde` feature.
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::Uuid;
///
/// let id = uuid::Uuid::from_u128(0x67e5504410b1426f9247bb680e5fe0c8);
/// let stored = Uuid::record(&id);
/// assert_eq!(serde_json::to_string(&stored)?, r#""67e55044-10b1-426f-9247-bb680e5fe0c8""#);
/// assert_eq!(Uuid::replay(stored), id);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Uuid;

impl Codec<::uuid::Uuid> for Uuid {
    type Stored = StoredUuid;

    fn record(value: &::uuid::Uuid) -> StoredUuid {
        StoredUuid(*value)
    }

    fn replay(stored: StoredUuid) -> ::uuid::Uuid {
        stored.0
    }
}

/// What [`Uuid`] stores: a uuid written hyphenated (any form uuid parses reads back).
///
/// ```
/// use playback_layer::codecs::StoredUuid;
/// let id: StoredUuid = serde_json::from_str(r#""67e5504410b1426f9247bb680e5fe0c8""#)?;
/// assert_eq!(id.into_inner().as_u128(), 0x67e5504410b1426f9247bb680e5fe0c8);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredUuid(::uuid::Uuid);

impl StoredUuid {
    /// The uuid.
    ///
    /// ```
    /// let id: playback_layer::codecs::StoredUuid = serde_json::from_str(r#""00000000-0000-0000-0000-000000000000""#)?;
    /// assert!(id.into_inner().is_nil());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn into_inner(self) -> ::uuid::Uuid {
        self.0
    }
}

impl Serialize for StoredUuid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.hyphenated())
    }
}

impl<'de> Deserialize<'de> for StoredUuid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ::uuid::Uuid::parse_str(&text).map(StoredUuid).map_err(|e| {
            serde::de::Error::custom(DecodeError::Uuid {
                reason: e.to_string(),
                text,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_uuid_is_an_error_naming_the_text() {
        let err = serde_json::from_str::<StoredUuid>(r#""not-a-uuid""#).unwrap_err();
        assert!(
            err.to_string().contains("\"not-a-uuid\" is not a uuid"),
            "{err}"
        );
    }
}
