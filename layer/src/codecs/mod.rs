//! Built-in [`Codec`]s for types that real services return but serde cannot rebuild:
//! errors, bytes, durations, instants and ids. The `playback` facade re-exports this
//! module as `playback::codec`.
//!
//! Use them with `#[playback::instrument(.., with = playback::codec::IoResult)]` for a
//! return value, or `with(arg = playback::codec::Bytes)` for one argument. Each stores a
//! readable form, so a comparison shows text where there was text:
//!
//! | codec | for | stored as |
//! | --- | --- | --- |
//! | [`IoError`] | `std::io::Error` | `{"kind": "NotFound", "message": "<Display>"}` |
//! | [`DynError`] | `Box<dyn Error + Send + Sync>`, `Box<dyn Error>` | `{"message": "<Display>"}` |
//! | `AnyhowError` (feature `anyhow`) | `anyhow::Error` | `{"message": "<Display>", "sources": [..]}` |
//! | [`Bytes`] | `Vec<u8>`, `bytes::Bytes` (feature `bytes`) | the text when it is UTF-8, else `{"base64": ".."}` |
//! | [`Duration`] | `std::time::Duration` | `"1.5s"` |
//! | [`SystemTime`] | `std::time::SystemTime` | RFC 3339, UTC, to the nanosecond |
//! | `Uuid` (feature `uuid`) | `uuid::Uuid` | hyphenated text |
//! | [`Serde`] | any serde type | its own serde form |
//!
//! They compose: [`ResultOf<Ok, Err>`](ResultOf) and [`OptionOf<C>`](OptionOf) apply a
//! codec inside a `Result` or an `Option`, and [`IoResult<C>`](IoResult),
//! [`DynResult<C>`](DynResult) and `AnyhowResult<C>` are the usual `Result`s
//! (`C` defaults to [`Serde`]). In an attribute, write a codec's parameters with a
//! turbofish: `with = playback::codec::IoResult::<playback::codec::Bytes>` for
//! `io::Result<Vec<u8>>`. In code, call one through its trait (`<IoResult as
//! Codec<_>>::record(&value)`): a type alias's default parameter applies only where a type
//! is expected.
//!
//! ```
//! use playback_layer::Codec;
//! use playback_layer::codecs::{Bytes, IoResult};
//!
//! let read: std::io::Result<Vec<u8>> = Ok(b"hello".to_vec());
//! let stored = <IoResult<Bytes> as Codec<_>>::record(&read);
//! assert_eq!(serde_json::to_string(&stored)?, r#"{"Ok":"hello"}"#);
//! let replayed: std::io::Result<Vec<u8>> = IoResult::<Bytes>::replay(stored);
//! assert_eq!(replayed?, b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What a replay cannot rebuild
//! An error comes back as a new error with the same `Display` text (and, for
//! `io::Error`, the same [`ErrorKind`](std::io::ErrorKind)), with the `Display` texts of
//! its `source()` chain as sources. It is not the original type: downcasting to it fails,
//! `io::Error::raw_os_error()` is `None`, backtraces are gone, and `Debug` prints
//! differently. Code that looks at an error's kind or text replays the same; code that
//! downcasts does not.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::codec::Codec;

mod bytes;
mod error;
mod time;
#[cfg(feature = "uuid")]
mod uuid;

pub(crate) use self::bytes::BytesRef;
pub use self::bytes::{Bytes, StoredBytes};
#[cfg(feature = "anyhow")]
pub use self::error::{AnyhowError, AnyhowResult};
pub use self::error::{DynError, DynResult, IoError, IoResult, StoredError};
pub use self::time::{Duration, StoredDuration, StoredTime, SystemTime};
#[cfg(feature = "uuid")]
pub use self::uuid::{StoredUuid, Uuid};

/// Why a stored value could not be read back. It reaches you as the message of the
/// replay's type-mismatch error, which names the call site.
///
/// ```
/// use playback_layer::codecs::StoredDuration;
/// let err = serde_json::from_str::<StoredDuration>(r#""soon""#).unwrap_err();
/// assert!(err.to_string().contains("not a duration"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A `{"base64": ..}` value that is not base64.
    #[error("stored bytes are not valid base64: {0}")]
    Base64(String),
    /// A duration that is not `<seconds>[.<fraction>]s`.
    #[error("{0:?} is not a duration such as \"1.5s\"")]
    Duration(String),
    /// An instant that is not RFC 3339.
    #[error("{text:?} is not an RFC 3339 time: {reason}")]
    Time {
        /// The stored text.
        text: String,
        /// What the parser said.
        reason: String,
    },
    /// A uuid that does not parse.
    #[error("{text:?} is not a uuid: {reason}")]
    Uuid {
        /// The stored text.
        text: String,
        /// What the parser said.
        reason: String,
    },
}

/// The identity codec: a serde type stored as its own serde form. It is the default
/// inner codec of [`ResultOf`], [`OptionOf`] and the `Result` aliases, so
/// [`IoResult`] alone handles `io::Result<T>` for any serde `T`.
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::Serde;
///
/// let stored = <Serde as Codec<Vec<u32>>>::record(&vec![1, 2]);
/// assert_eq!(serde_json::to_string(&stored)?, "[1,2]");
/// let back: Vec<u32> = Serde::replay(serde_json::from_str("[3]")?);
/// assert_eq!(back, [3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Serde;

impl<T: Serialize + DeserializeOwned> Codec<T> for Serde {
    type Stored = SerdeValue<T>;

    /// Serializes the value once, so `T` needs no `Clone`. A value whose `Serialize`
    /// fails panics here, which the recorder catches: the call is recorded as
    /// unrecordable, as it is without a codec.
    fn record(value: &T) -> SerdeValue<T> {
        match serde_json::value::to_raw_value(value) {
            Ok(raw) => SerdeValue(Repr::Recorded(raw)),
            Err(e) => panic!("value does not serialize: {e}"),
        }
    }

    fn replay(stored: SerdeValue<T>) -> T {
        match stored.0 {
            Repr::Replayed(value) => value,
            // Only a value made by `record` is `Recorded`; read it back the same way.
            Repr::Recorded(raw) => match serde_json::from_str(raw.get()) {
                Ok(value) => value,
                Err(e) => panic!("recorded value does not deserialize: {e}"),
            },
        }
    }
}

/// What [`Serde`] stores: the value's own serde form (JSON made once when recording, the
/// value itself when replaying).
///
/// ```
/// use playback_layer::codecs::SerdeValue;
/// let v: SerdeValue<u8> = serde_json::from_str("7")?;
/// assert_eq!(serde_json::to_string(&v)?, "7");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug)]
pub struct SerdeValue<T>(Repr<T>);

#[derive(Debug)]
enum Repr<T> {
    Recorded(Box<RawValue>),
    Replayed(T),
}

impl<T: Serialize> Serialize for SerdeValue<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Recorded(raw) => raw.serialize(s),
            Repr::Replayed(value) => value.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for SerdeValue<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|v| SerdeValue(Repr::Replayed(v)))
    }
}

/// A codec for `Result<T, E>`: `OkCodec` for `T`, `ErrCodec` for `E` (both default to
/// [`Serde`]). Stored as `{"Ok": ..}` or `{"Err": ..}`, as serde stores a `Result`, so
/// the recording says whether the call failed.
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::{Duration, IoError, ResultOf};
///
/// type Timed = ResultOf<Duration, IoError>;
/// let took: std::io::Result<std::time::Duration> = Ok(std::time::Duration::from_millis(1500));
/// let stored = Timed::record(&took);
/// assert_eq!(serde_json::to_string(&stored)?, r#"{"Ok":"1.5s"}"#);
/// assert_eq!(Timed::replay(stored)?.as_millis(), 1500);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ResultOf<OkCodec = Serde, ErrCodec = Serde>(PhantomData<fn() -> (OkCodec, ErrCodec)>);

impl<T, E, OkCodec, ErrCodec> Codec<Result<T, E>> for ResultOf<OkCodec, ErrCodec>
where
    OkCodec: Codec<T>,
    ErrCodec: Codec<E>,
{
    type Stored = Result<OkCodec::Stored, ErrCodec::Stored>;

    fn record(value: &Result<T, E>) -> Self::Stored {
        match value {
            Ok(v) => Ok(OkCodec::record(v)),
            Err(e) => Err(ErrCodec::record(e)),
        }
    }

    fn replay(stored: Self::Stored) -> Result<T, E> {
        match stored {
            Ok(v) => Ok(OkCodec::replay(v)),
            Err(e) => Err(ErrCodec::replay(e)),
        }
    }
}

/// A codec for `Option<T>`: `C` for the value, `null` for `None`.
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::{OptionOf, SystemTime};
///
/// let none = <OptionOf<SystemTime> as Codec<Option<std::time::SystemTime>>>::record(&None);
/// assert_eq!(serde_json::to_string(&none)?, "null");
/// let epoch = OptionOf::<SystemTime>::record(&Some(std::time::UNIX_EPOCH));
/// assert_eq!(serde_json::to_string(&epoch)?, r#""1970-01-01T00:00:00Z""#);
/// assert_eq!(OptionOf::<SystemTime>::replay(epoch), Some(std::time::UNIX_EPOCH));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct OptionOf<C = Serde>(PhantomData<fn() -> C>);

impl<T, C: Codec<T>> Codec<Option<T>> for OptionOf<C> {
    type Stored = Option<C::Stored>;

    fn record(value: &Option<T>) -> Self::Stored {
        value.as_ref().map(C::record)
    }

    fn replay(stored: Self::Stored) -> Option<T> {
        stored.map(C::replay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Frame {
        id: u64,
        body: String,
    }

    #[test]
    fn serde_values_keep_their_field_order_and_read_back() {
        let stored = <Serde as Codec<Frame>>::record(&Frame {
            id: 1,
            body: "x".into(),
        });
        let json = serde_json::to_string(&stored).unwrap();
        assert_eq!(json, r#"{"id":1,"body":"x"}"#);
        let back: SerdeValue<Frame> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            Serde::replay(back),
            Frame {
                id: 1,
                body: "x".into()
            }
        );
    }

    #[test]
    fn a_serde_value_that_does_not_deserialize_is_a_serde_error() {
        let err = serde_json::from_str::<SerdeValue<Frame>>(r#"{"id":"one"}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
    }

    #[test]
    fn a_serde_value_that_does_not_serialize_panics_for_the_recorder_to_catch() {
        let map: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let panic = std::panic::catch_unwind(|| <Serde as Codec<_>>::record(&map)).unwrap_err();
        let message = playback_store::panic_message(panic.as_ref());
        assert!(message.contains("does not serialize"), "{message}");
    }

    #[test]
    fn result_and_option_compose_with_inner_codecs() {
        type C = ResultOf<OptionOf<Duration>, Serde>;
        let v: Result<Option<std::time::Duration>, String> =
            Ok(Some(std::time::Duration::from_secs(2)));
        let json = serde_json::to_string(&C::record(&v)).unwrap();
        assert_eq!(json, r#"{"Ok":"2s"}"#);
        let back = C::replay(serde_json::from_str(&json).unwrap());
        assert_eq!(back, v);
        let err: Result<Option<std::time::Duration>, String> = Err("no".into());
        let json = serde_json::to_string(&C::record(&err)).unwrap();
        assert_eq!(json, r#"{"Err":"no"}"#);
        assert_eq!(C::replay(serde_json::from_str(&json).unwrap()), err);
    }
}
