//! The key layout inside the bucket.
//!
//! ```text
//! packed (the default):
//! <prefix>packs/<YYYY>/<MM>/<DD>/<HH>/<mm>/<stem>.pack        recordings, one after the other
//! <prefix>packs/<YYYY>/<MM>/<DD>/<HH>/<mm>/<stem>.dir.json    id -> byte range in the pack
//! <prefix>index/<category>/<YYYY>/<MM>/<DD>/<stem>.pack.json  summaries + byte ranges
//! one object per recording (`packed(false)`, ids that are not ULIDs, older buckets):
//! <prefix>recordings/<id>.json                                the recording
//! <prefix>index/<category>/<YYYY>/<MM>/<DD>/<id>.json         its summary, for listings
//! ```
//!
//! A pack's folder is the UTC minute of its recordings' ULIDs and its `<stem>` is
//! `<lowest id>.<highest id>.<pack ULID>`, so a recording is found by id alone: list
//! the minute folder of its ULID, read the directory of the packs whose id range holds
//! it (cached), then one ranged GET. Listings read only the index folders of the
//! categories and days they need, and filter on the summaries.

use playback_store::{Recording, RecordingId, Summary};
use time::{Date, Month, OffsetDateTime};

/// Key names for one store (bucket + prefix).
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    prefix: String,
}

impl Layout {
    /// `prefix` is used as given, with a `/` added when it does not end with one.
    pub(crate) fn new(prefix: &str) -> Self {
        let mut prefix = prefix.trim_start_matches('/').to_owned();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Layout { prefix }
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The folder of recording bodies.
    pub(crate) fn recordings_root(&self) -> String {
        format!("{}recordings/", self.prefix)
    }

    /// The folder of index objects.
    pub(crate) fn index_root(&self) -> String {
        format!("{}index/", self.prefix)
    }

    /// The folder of packs.
    pub(crate) fn packs_root(&self) -> String {
        format!("{}packs/", self.prefix)
    }

    /// The folder of the packs holding recordings whose ULID falls in `at`'s minute.
    pub(crate) fn pack_folder(&self, at: OffsetDateTime) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        format!(
            "{}packs/{:04}/{:02}/{:02}/{:02}/{:02}/",
            self.prefix,
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        )
    }

    /// The full key of a pack key stored in an index object (relative to the prefix).
    pub(crate) fn full_key(&self, relative: &str) -> String {
        format!("{}{relative}", self.prefix)
    }

    /// A full key relative to the prefix (for index objects, so a copied prefix works).
    pub(crate) fn relative<'k>(&self, key: &'k str) -> &'k str {
        key.strip_prefix(self.prefix.as_str()).unwrap_or(key)
    }

    pub(crate) fn body_key(&self, id: &RecordingId) -> String {
        format!("{}recordings/{id}.json", self.prefix)
    }

    pub(crate) fn category_prefix(&self, category: &str) -> String {
        format!("{}index/{category}/", self.prefix)
    }

    pub(crate) fn year_prefix(&self, category: &str, year: i32) -> String {
        format!("{}{year:04}/", self.category_prefix(category))
    }

    pub(crate) fn month_prefix(&self, category: &str, year: i32, month: Month) -> String {
        format!(
            "{}{:02}/",
            self.year_prefix(category, year),
            u8::from(month)
        )
    }

    pub(crate) fn day_prefix(&self, category: &str, day: Date) -> String {
        format!(
            "{}{:02}/",
            self.month_prefix(category, day.year(), day.month()),
            day.day()
        )
    }

    pub(crate) fn index_key(&self, category: &str, day: Date, id: &RecordingId) -> String {
        format!("{}{id}.json", self.day_prefix(category, day))
    }

    /// The index folder a recording is filed under (its category and UTC day).
    pub(crate) fn index_folder_for(&self, recording: &Recording) -> String {
        self.day_prefix(
            &recording.category,
            recording.recorded_at.to_offset(time::UtcOffset::UTC).date(),
        )
    }

    pub(crate) fn index_key_for(&self, recording: &Recording) -> String {
        self.index_key(
            &recording.category,
            recording.recorded_at.to_offset(time::UtcOffset::UTC).date(),
            &recording.id,
        )
    }
}

/// The parts of a pack stem, `<lowest id>.<highest id>.<pack ULID>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stem {
    pub(crate) lowest: String,
    pub(crate) highest: String,
    pub(crate) nonce: String,
}

impl Stem {
    /// Parses the stem of a key ending with `suffix`; `None` for other keys.
    pub(crate) fn of_key(key: &str, suffix: &str) -> Option<Stem> {
        let name = key.rsplit('/').next()?.strip_suffix(suffix)?;
        let mut parts = name.split('.');
        let (lowest, highest, nonce) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || [lowest, highest, nonce].iter().any(|p| p.len() != 26) {
            return None;
        }
        Some(Stem {
            lowest: lowest.to_owned(),
            highest: highest.to_owned(),
            nonce: nonce.to_owned(),
        })
    }

    /// Whether `id` sorts inside the pack's id range.
    pub(crate) fn holds(&self, id: &str) -> bool {
        self.lowest.as_str() <= id && id <= self.highest.as_str()
    }
}

impl std::fmt::Display for Stem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.lowest, self.highest, self.nonce)
    }
}

/// The UTC day a summary is filed under.
pub(crate) fn utc_day(summary: &Summary) -> Date {
    summary.recorded_at.to_offset(time::UtcOffset::UTC).date()
}

/// The last path segment of a common prefix (`a/b/2026/` gives `2026`).
pub(crate) fn last_segment(prefix: &str) -> &str {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The id in an index or body key (`.../<id>.json`), if the name is one.
pub(crate) fn id_of_key(key: &str) -> Option<RecordingId> {
    let name = key.rsplit('/').next()?;
    let stem = name.strip_suffix(".json")?;
    RecordingId::parse(stem).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn keys_follow_the_documented_layout() {
        let layout = Layout::new("checkout-service");
        let id = RecordingId::parse("01JABCDEFGHJKMNPQRSTVWXYZ0").unwrap();
        assert_eq!(layout.prefix(), "checkout-service/");
        assert_eq!(
            layout.body_key(&id),
            "checkout-service/recordings/01JABCDEFGHJKMNPQRSTVWXYZ0.json"
        );
        assert_eq!(
            layout.index_key("checkout", date!(2026 - 03 - 04), &id),
            "checkout-service/index/checkout/2026/03/04/01JABCDEFGHJKMNPQRSTVWXYZ0.json"
        );
        assert_eq!(
            layout.month_prefix("checkout", 2026, Month::December),
            "checkout-service/index/checkout/2026/12/"
        );
        assert_eq!(
            Layout::new("").body_key(&id),
            "recordings/01JABCDEFGHJKMNPQRSTVWXYZ0.json"
        );
        assert_eq!(Layout::new("/a/b/").prefix(), "a/b/");
    }

    #[test]
    fn index_key_uses_the_utc_day() {
        let layout = Layout::new("p/");
        let rec = Recording::builder("c")
            .recorded_at(datetime!(2026-01-01 23:30 -02:00))
            .build();
        let key = layout.index_key_for(&rec);
        assert!(key.starts_with("p/index/c/2026/01/02/"), "{key}");
        assert_eq!(utc_day(&rec.summary()), time::macros::date!(2026 - 01 - 02));
    }

    #[test]
    fn pack_keys_follow_the_documented_layout() {
        let layout = Layout::new("svc");
        assert_eq!(
            layout.pack_folder(datetime!(2026-03-04 23:59:30 -01:00)),
            "svc/packs/2026/03/05/00/59/"
        );
        let a = "01JABCDEFGHJKMNPQRSTVWXYZ0";
        let b = "01JABCDEFGHJKMNPQRSTVWXYZ9";
        let n = "01JABCDEFGHJKMNPQRSTVWXYZ5";
        let stem = Stem::of_key(&format!("svc/packs/x/{a}.{b}.{n}.dir.json"), ".dir.json");
        let stem = stem.unwrap();
        assert_eq!(stem.to_string(), format!("{a}.{b}.{n}"));
        assert!(stem.holds(n) && stem.holds(a) && stem.holds(b));
        assert!(!stem.holds("01JABCDEFGHJKMNPQRSTVWXYZA"));
        assert!(Stem::of_key(&format!("{a}.{b}.json"), ".dir.json").is_none());
        assert!(Stem::of_key(&format!("{a}.{b}.{n}.pack.json"), ".dir.json").is_none());
        assert_eq!(layout.relative("svc/packs/p.pack"), "packs/p.pack");
        assert_eq!(layout.full_key("packs/p.pack"), "svc/packs/p.pack");
    }

    #[test]
    fn ids_and_segments_are_parsed_back_from_keys() {
        assert_eq!(last_segment("p/index/c/2026/"), "2026");
        assert_eq!(last_segment("c/"), "c");
        assert_eq!(
            id_of_key("p/index/c/2026/01/02/abc.json").unwrap().as_str(),
            "abc"
        );
        assert!(id_of_key("p/index/c/2026/01/02/abc.txt").is_none());
        assert!(id_of_key("p/index/c/2026/01/02/a.b.json").is_none());
    }
}
