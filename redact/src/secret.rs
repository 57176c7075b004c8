//! `Secret<T>`: a value that is recorded as a keyed fingerprint, never as itself.

use std::fmt;

use parking_lot::RwLock;
use playback_store::{REDACTED, redacted_fingerprint};
use serde::de::{DeserializeOwned, Error as _};
use serde::ser::{Error as _, SerializeMap as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::RedactError;
use crate::key::fingerprint_key;

/// A value that never reaches a recording: it serializes as
/// `{"playback.redacted": "<fingerprint>"}`, an HMAC-SHA256 of its JSON under the
/// process's [fingerprint key](crate::set_fingerprint_key), so equal values still match
/// on replay. Without a key it serializes as `{"playback.redacted": null}`.
///
/// `Debug` and `Display` print `Secret([redacted])`. Reading a recorded fingerprint back
/// gives the [placeholder](set_placeholder) when one is set and `T` accepts a string,
/// else an error; never an empty value.
///
/// ```
/// use playback_redact::{FingerprintKey, Secret};
/// playback_redact::set_fingerprint_key(FingerprintKey::new([7u8; 32])?);
/// let id = Secret::new("user-42".to_owned());
/// assert_eq!(format!("{id:?} {id}"), "Secret([redacted]) Secret([redacted])");
/// let json = serde_json::to_string(&id)?;
/// assert!(json.starts_with(r#"{"playback.redacted":""#) && !json.contains("user-42"));
/// assert_eq!(id.expose(), "user-42");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    ///
    /// ```
    /// let s = playback_redact::Secret::new(4111u64);
    /// assert_eq!(*s.expose(), 4111);
    /// ```
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value, for the code that needs it.
    ///
    /// ```
    /// assert_eq!(playback_redact::Secret::new("pw").expose().len(), 2);
    /// ```
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The value, unwrapped.
    ///
    /// ```
    /// assert_eq!(playback_redact::Secret::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T: Serialize> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fingerprint = match fingerprint_key() {
            Some(key) => {
                // The inner value's error message could quote the value: keep it out.
                let value = serde_json::to_value(&self.0).map_err(|_| {
                    S::Error::custom("the value inside a Secret does not serialize")
                })?;
                Value::String(key.fingerprint_value(&value))
            }
            None => Value::Null,
        };
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(REDACTED, &fingerprint)?;
        map.end()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        if redacted_fingerprint(&value).is_some() {
            let redacted = || {
                D::Error::custom(RedactError::Redacted {
                    type_name: std::any::type_name::<T>(),
                })
            };
            let placeholder = PLACEHOLDER.read().clone().ok_or_else(redacted)?;
            return T::deserialize(Value::String(placeholder))
                .map(Secret)
                .map_err(|_| redacted());
        }
        T::deserialize(value)
            .map(Secret)
            .map_err(|_| D::Error::custom("the value inside a Secret does not deserialize"))
    }
}

static PLACEHOLDER: RwLock<Option<String>> = RwLock::new(None);

/// What a redacted `Secret<T>` reads back as during replay, when `T` deserializes from a
/// string (`Secret<String>`): `Some("<placeholder>")`, or `None` (the default) for an
/// error. Process-wide.
///
/// ```
/// use playback_redact::{Secret, set_placeholder};
/// let marker = serde_json::json!({"playback.redacted": "0f0f"});
/// set_placeholder(Some("redacted-user".to_owned()));
/// let s: Secret<String> = serde_json::from_value(marker.clone())?;
/// assert_eq!(s.expose(), "redacted-user");
/// assert!(serde_json::from_value::<Secret<u64>>(marker.clone()).is_err()); // no u64 placeholder
/// set_placeholder(None);
/// assert!(serde_json::from_value::<Secret<String>>(marker).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn set_placeholder(placeholder: Option<String>) {
    *PLACEHOLDER.write() = placeholder;
}
