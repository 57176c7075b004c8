//! The key layout inside the bucket.
//!
//! ```text
//! <prefix>recordings/<id>.json                          the recording (zstd above a threshold)
//! <prefix>index/<category>/<YYYY>/<MM>/<DD>/<id>.json   its summary, for listings
//! ```
//!
//! A recording is found by id alone (one GET); listings read only the index folders of
//! the categories and days they need, and filter on the small summaries.

use playback_store::{Recording, RecordingId, Summary};
use time::{Date, Month};

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

    pub(crate) fn index_key_for(&self, recording: &Recording) -> String {
        self.index_key(
            &recording.category,
            recording.recorded_at.to_offset(time::UtcOffset::UTC).date(),
            &recording.id,
        )
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
