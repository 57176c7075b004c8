//! Durations as `"1.5s"`, instants as RFC 3339.

use std::fmt;
use std::time::{Duration as StdDuration, SystemTime as StdSystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::DecodeError;
use crate::codec::Codec;

/// A codec for `std::time::Duration`: stored as seconds with a decimal fraction and an
/// `s`, to the nanosecond (`"1.5s"`, `"0.000000001s"`, `"3s"`).
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::Duration;
///
/// let stored = Duration::record(&std::time::Duration::from_millis(1500));
/// assert_eq!(serde_json::to_string(&stored)?, r#""1.5s""#);
/// assert_eq!(Duration::replay(stored), std::time::Duration::from_millis(1500));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Duration;

impl Codec<StdDuration> for Duration {
    type Stored = StoredDuration;

    fn record(value: &StdDuration) -> StoredDuration {
        StoredDuration(*value)
    }

    fn replay(stored: StoredDuration) -> StdDuration {
        stored.0
    }
}

/// What [`Duration`] stores: a duration written as `"1.5s"`.
///
/// ```
/// use playback_layer::codecs::StoredDuration;
/// let d: StoredDuration = serde_json::from_str(r#""0.25s""#)?;
/// assert_eq!(d.into_inner().as_millis(), 250);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredDuration(StdDuration);

impl StoredDuration {
    /// The duration.
    ///
    /// ```
    /// let d: playback_layer::codecs::StoredDuration = serde_json::from_str(r#""2s""#)?;
    /// assert_eq!(d.into_inner().as_secs(), 2);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn into_inner(self) -> StdDuration {
        self.0
    }
}

impl fmt::Display for StoredDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secs, nanos) = (self.0.as_secs(), self.0.subsec_nanos());
        if nanos == 0 {
            return write!(f, "{secs}s");
        }
        let fraction = format!("{nanos:09}");
        write!(f, "{secs}.{}s", fraction.trim_end_matches('0'))
    }
}

fn parse_duration(text: &str) -> Result<StdDuration, DecodeError> {
    let bad = || DecodeError::Duration(text.to_owned());
    let number = text.strip_suffix('s').ok_or_else(bad)?;
    let (secs, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if secs.is_empty() || !digits(secs) || !digits(fraction) || fraction.len() > 9 {
        return Err(bad());
    }
    if number.contains('.') && fraction.is_empty() {
        return Err(bad());
    }
    let secs: u64 = secs.parse().map_err(|_| bad())?;
    let nanos: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().map_err(|_| bad())?
    };
    Ok(StdDuration::new(secs, nanos))
}

impl Serialize for StoredDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StoredDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(StoredDuration)
            .map_err(serde::de::Error::custom)
    }
}

/// A codec for `std::time::SystemTime`: stored as RFC 3339 in UTC, to the nanosecond
/// (`"2024-05-01T12:00:00.5Z"`). An instant outside years 0000-9999 cannot be written:
/// the call is then recorded as unrecordable and runs live.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use playback_layer::Codec;
/// use playback_layer::codecs::SystemTime;
///
/// let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
/// let stored = SystemTime::record(&t);
/// assert_eq!(serde_json::to_string(&stored)?, r#""2023-11-14T22:13:20.5Z""#);
/// assert_eq!(SystemTime::replay(stored), t);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTime;

impl Codec<StdSystemTime> for SystemTime {
    type Stored = StoredTime;

    fn record(value: &StdSystemTime) -> StoredTime {
        StoredTime(*value)
    }

    fn replay(stored: StoredTime) -> StdSystemTime {
        stored.0
    }
}

/// What [`SystemTime`] stores: an instant written as RFC 3339, UTC.
///
/// ```
/// use playback_layer::codecs::StoredTime;
/// let t: StoredTime = serde_json::from_str(r#""1970-01-01T00:00:01Z""#)?;
/// assert_eq!(t.into_inner(), std::time::UNIX_EPOCH + std::time::Duration::from_secs(1));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredTime(StdSystemTime);

impl StoredTime {
    /// The instant.
    ///
    /// ```
    /// let t: playback_layer::codecs::StoredTime = serde_json::from_str(r#""1970-01-01T00:00:00Z""#)?;
    /// assert_eq!(t.into_inner(), std::time::UNIX_EPOCH);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn into_inner(self) -> StdSystemTime {
        self.0
    }

    pub(crate) fn new(time: StdSystemTime) -> StoredTime {
        StoredTime(time)
    }
}

impl Serialize for StoredTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = utc(self.0)
            .ok_or_else(|| format!("{:?} is outside the range of dates", self.0))
            .and_then(|t| t.format(&Rfc3339).map_err(|e| e.to_string()))
            .map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

/// The instant as a UTC date, when the `time` crate can represent it.
fn utc(t: StdSystemTime) -> Option<OffsetDateTime> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => OffsetDateTime::UNIX_EPOCH.checked_add(after.try_into().ok()?),
        Err(before) => OffsetDateTime::UNIX_EPOCH.checked_sub(before.duration().try_into().ok()?),
    }
}

impl<'de> Deserialize<'de> for StoredTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(|t| StoredTime(t.into()))
            .map_err(|e| {
                serde::de::Error::custom(DecodeError::Time {
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
    fn durations_are_seconds_with_a_trimmed_fraction() {
        for (d, text) in [
            (StdDuration::ZERO, "0s"),
            (StdDuration::from_secs(3), "3s"),
            (StdDuration::from_millis(1500), "1.5s"),
            (StdDuration::from_nanos(1), "0.000000001s"),
            (
                StdDuration::new(u64::MAX, 999_999_999),
                "18446744073709551615.999999999s",
            ),
        ] {
            assert_eq!(StoredDuration(d).to_string(), text);
            assert_eq!(parse_duration(text).unwrap(), d, "{text}");
        }
    }

    #[test]
    fn durations_that_are_not_the_text_form_are_errors() {
        for text in [
            "",
            "s",
            "1",
            "1.s",
            ".5s",
            "-1s",
            "1.0000000001s",
            "1,5s",
            "1e3s",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} parsed");
        }
        let err = serde_json::from_str::<StoredDuration>("1.5").unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
    }

    #[test]
    fn instants_round_trip_to_the_nanosecond_before_and_after_the_epoch() {
        for t in [
            UNIX_EPOCH,
            UNIX_EPOCH + StdDuration::new(1_700_000_000, 123_456_789),
            UNIX_EPOCH - StdDuration::new(86_400, 1),
        ] {
            let json = serde_json::to_string(&StoredTime(t)).unwrap();
            let back: StoredTime = serde_json::from_str(&json).unwrap();
            assert_eq!(back.into_inner(), t, "{json}");
        }
        let json =
            serde_json::to_string(&StoredTime(UNIX_EPOCH - StdDuration::new(86_400, 1))).unwrap();
        assert_eq!(json, r#""1969-12-30T23:59:59.999999999Z""#);
    }

    #[test]
    fn an_instant_rfc_3339_cannot_write_is_a_serialize_error() {
        let far = UNIX_EPOCH + StdDuration::from_secs(400_000_000_000);
        assert!(serde_json::to_string(&StoredTime(far)).is_err());
        let err = serde_json::from_str::<StoredTime>(r#""yesterday""#).unwrap_err();
        assert!(err.to_string().contains("not an RFC 3339 time"), "{err}");
    }
}
