//! Durations (`7d`, `12h`, `30m`) and points in time (a duration ago, a date, or an
//! RFC 3339 timestamp) given on the command line.

use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// A point in time: a duration before now, or an absolute time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum When {
    /// This long before now.
    Ago(Duration),
    /// This moment.
    At(OffsetDateTime),
}

impl When {
    /// The moment, counting back from `now`.
    pub(crate) fn resolve(self, now: OffsetDateTime) -> OffsetDateTime {
        match self {
            When::At(at) => at,
            When::Ago(d) => time::Duration::try_from(d)
                .ok()
                .and_then(|d| now.checked_sub(d))
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        }
    }
}

/// Parses a duration: one or more `<number><unit>` with units `s`, `m`, `h`, `d`, `w`
/// (`90s`, `30m`, `12h`, `7d`, `2w`, `1d12h`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "invalid duration `{text}`: write a number and a unit, such as `30m`, `12h` or `7d` \
             (units: s, m, h, d, w)"
        )
    };
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(invalid()),
        };
        let n: u64 = digits.parse().map_err(|_| invalid())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(invalid)?;
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(invalid());
    }
    Ok(Duration::from_secs(total))
}

/// Parses a point in time: a duration ago (`7d`), a UTC date (`2026-01-31`, its start)
/// or an RFC 3339 timestamp (`2026-01-31T12:00:00Z`).
pub(crate) fn parse_when(text: &str) -> Result<When, String> {
    if let Ok(d) = parse_duration(text) {
        return Ok(When::Ago(d));
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(When::At(at));
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = Date::parse(text, &date_format) {
        return Ok(When::At(date.midnight().assume_utc()));
    }
    Err(format!(
        "invalid time `{text}`: write a duration ago (`7d`, `12h`, `30m`), a UTC date \
         (`2026-01-31`) or an RFC 3339 timestamp (`2026-01-31T12:00:00Z`)"
    ))
}

/// `recorded_at` as the listings print it: RFC 3339 in UTC.
pub(crate) fn format_time(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// A duration for people: `850µs`, `12.3ms`, `1.50s`, `2m05s`.
pub(crate) fn format_micros(us: u64) -> String {
    match us {
        0..1_000 => format!("{us}µs"),
        1_000..1_000_000 => format!("{:.1}ms", us as f64 / 1e3),
        1_000_000..60_000_000 => format!("{:.2}s", us as f64 / 1e6),
        _ => format!("{}m{:02}s", us / 60_000_000, (us / 1_000_000) % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn durations_accept_every_unit_and_combinations() {
        let secs = |t| parse_duration(t).map(|d| d.as_secs());
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("30m"), Ok(1_800));
        assert_eq!(secs("12h"), Ok(43_200));
        assert_eq!(secs("7d"), Ok(604_800));
        assert_eq!(secs("2w"), Ok(1_209_600));
        assert_eq!(secs("1d12h"), Ok(129_600));
        for bad in ["", "7", "d", "7x", "-1d", "1.5h", "99999999999999999999d"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("invalid duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn points_in_time_are_durations_dates_or_timestamps() {
        let now = datetime!(2026-02-10 12:00 UTC);
        assert_eq!(
            parse_when("2d").unwrap().resolve(now),
            datetime!(2026-02-08 12:00 UTC)
        );
        assert_eq!(
            parse_when("2026-01-31").unwrap().resolve(now),
            datetime!(2026-01-31 0:00 UTC)
        );
        assert_eq!(
            parse_when("2026-01-31T10:00:00+02:00")
                .unwrap()
                .resolve(now),
            datetime!(2026-01-31 8:00 UTC)
        );
        assert!(parse_when("yesterday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn micros_read_as_people_write_durations() {
        assert_eq!(format_micros(850), "850µs");
        assert_eq!(format_micros(12_345), "12.3ms");
        assert_eq!(format_micros(1_500_000), "1.50s");
        assert_eq!(format_micros(125_000_000), "2m05s");
    }
}
