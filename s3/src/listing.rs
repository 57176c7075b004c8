//! Listings: which index folders a query needs, read newest day first.
//!
//! A query with a time range lists only the days in range: up to
//! [`MAX_ENUMERATED_DAYS`] days are named directly (one `ListObjectsV2` per day and
//! category); longer or open-ended ranges first list the year, month and day folders
//! that exist. A query with a limit reads one day at a time, newest first, and stops
//! once the limit is reached. Summaries come from the small index objects, so
//! filters never download recording bodies.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use playback_store::{Query, Recording, RecordingId, StoreError, Summary, validate_category};
use time::{Date, Month, OffsetDateTime};
use tokio::task::JoinSet;

use crate::core::Inner;
use crate::keys::{id_of_key, last_segment, utc_day};
use crate::pack::INDEX_SUFFIX;
use crate::packread::Location;

/// Ranges up to this many days are listed day by day without discovering folders.
pub(crate) const MAX_ENUMERATED_DAYS: i64 = 62;

/// One entry of a listing.
type Entry = Result<Summary, StoreError>;
/// One entry of a listing, with its place when it is in a pack.
type Located = (Entry, Option<Location>);

/// Keeps, of the packed copies of one id, the one in the newest pack.
fn newest_copies(entries: Vec<Located>) -> Vec<Located> {
    let mut newest: HashMap<RecordingId, String> = HashMap::new();
    for (entry, location) in &entries {
        if let (Ok(summary), Some(location)) = (entry, location) {
            let nonce = newest.entry(summary.id.clone()).or_default();
            if location.stem.nonce > *nonce {
                nonce.clone_from(&location.stem.nonce);
            }
        }
    }
    entries
        .into_iter()
        .filter(|(entry, location)| match (entry, location) {
            (Ok(summary), Some(location)) => newest
                .get(&summary.id)
                .is_some_and(|nonce| *nonce == location.stem.nonce),
            _ => true,
        })
        .collect()
}

impl Inner {
    /// The summaries matching `query`, newest first, at most its limit.
    pub(crate) async fn list(self: Arc<Self>, query: Query) -> Result<Vec<Entry>, StoreError> {
        Ok(self
            .list_located(query)
            .await?
            .into_iter()
            .map(|(entry, _)| entry)
            .collect())
    }

    /// [`Inner::list`], with the pack each packed recording is in. An id found in
    /// several packs (put again with `put`) is listed once, from the newest pack.
    async fn list_located(self: Arc<Self>, query: Query) -> Result<Vec<Located>, StoreError> {
        let categories = match query.get_category() {
            Some(category) => {
                validate_category(category)?;
                vec![category.to_owned()]
            }
            None => self.categories().await?,
        };
        let plan = self.days_to_read(&query, &categories).await?;
        let query = Arc::new(query);
        let mut entries = Vec::new();
        match query.get_limit() {
            Some(limit) => {
                // Newest day first; every later day is older, so stop at the limit.
                let mut matched = 0;
                for (day, categories) in plan.into_iter().rev() {
                    if matched >= limit {
                        break;
                    }
                    for category in categories {
                        let found = self.clone().read_day(category, day, query.clone()).await?;
                        matched += found.iter().filter(|e| e.0.is_ok()).count();
                        entries.extend(found);
                    }
                }
            }
            None => {
                let mut days = JoinSet::new();
                for (day, categories) in plan {
                    for category in categories {
                        days.spawn(self.clone().read_day(category, day, query.clone()));
                    }
                }
                while let Some(found) = days.join_next().await {
                    entries.extend(found.map_err(task_failed)??);
                }
            }
        }
        let entries = newest_copies(entries);
        // Sorted and limited as the reference stores do, keeping each summary's place.
        let mut places: HashMap<RecordingId, Location> = HashMap::new();
        let mut summaries = Vec::with_capacity(entries.len());
        for (entry, location) in entries {
            if let (Ok(summary), Some(location)) = (&entry, location) {
                places.insert(summary.id.clone(), location);
            }
            summaries.push(entry);
        }
        Ok(query
            .sort_and_limit(summaries)
            .into_iter()
            .map(|entry| {
                let location = entry
                    .as_ref()
                    .ok()
                    .and_then(|summary| places.remove(&summary.id));
                (entry, location)
            })
            .collect())
    }

    /// Every recording matching `query`, newest first, fetched concurrently.
    pub(crate) async fn find(
        self: Arc<Self>,
        query: Query,
    ) -> Result<Vec<Result<Recording, StoreError>>, StoreError> {
        let listed = self.clone().list_located(query).await?;
        let mut found: Vec<Option<Result<Recording, StoreError>>> =
            Vec::with_capacity(listed.len());
        let mut fetches = JoinSet::new();
        for (slot, (entry, location)) in listed.into_iter().enumerate() {
            match entry {
                Ok(summary) => {
                    found.push(None);
                    let inner = self.clone();
                    fetches.spawn(async move {
                        let _permit = inner.read_permits.clone().acquire_owned().await;
                        (slot, inner.fetch(summary.id, location).await)
                    });
                }
                Err(err) => found.push(Some(Err(err))),
            }
        }
        while let Some(done) = fetches.join_next().await {
            let (slot, result) = done.map_err(task_failed)?;
            found[slot] = Some(result);
        }
        Ok(found.into_iter().flatten().collect())
    }

    /// The categories that have an index folder.
    async fn categories(&self) -> Result<Vec<String>, StoreError> {
        let listing = self
            .bucket
            .list("list", &self.layout.index_root(), true)
            .await?;
        Ok(listing
            .prefixes
            .iter()
            .map(|p| last_segment(p).to_owned())
            .filter(|c| validate_category(c).is_ok())
            .collect())
    }

    /// The days to read for each category, grouped by day.
    async fn days_to_read(
        &self,
        query: &Query,
        categories: &[String],
    ) -> Result<BTreeMap<Date, Vec<String>>, StoreError> {
        let (lo, hi) = query.date_range().unwrap_or((Date::MIN, Date::MAX));
        let mut plan: BTreeMap<Date, Vec<String>> = BTreeMap::new();
        for category in categories {
            let days = match enumerate_days(lo, hi, OffsetDateTime::now_utc().date()) {
                Some(days) => days,
                None => self.discover_days(category, lo, hi).await?,
            };
            for day in days {
                plan.entry(day).or_default().push(category.clone());
            }
        }
        Ok(plan)
    }

    /// The day folders of `category` within `lo..=hi`, found by listing the year,
    /// month and day levels (only inside the range).
    async fn discover_days(
        &self,
        category: &str,
        lo: Date,
        hi: Date,
    ) -> Result<Vec<Date>, StoreError> {
        let list = |prefix: String| async move {
            self.bucket
                .list("list", &prefix, true)
                .await
                .map(|l| l.prefixes)
        };
        let mut days = Vec::new();
        let years = list(self.layout.category_prefix(category)).await?;
        for year in years
            .iter()
            .filter_map(|p| last_segment(p).parse::<i32>().ok())
        {
            if year < lo.year() || year > hi.year() {
                continue;
            }
            let months = list(self.layout.year_prefix(category, year)).await?;
            for month in months.iter().filter_map(|p| parse_month(last_segment(p))) {
                let ym = (year, u8::from(month));
                if ym < (lo.year(), u8::from(lo.month())) || ym > (hi.year(), u8::from(hi.month()))
                {
                    continue;
                }
                let found = list(self.layout.month_prefix(category, year, month)).await?;
                days.extend(
                    found
                        .iter()
                        .filter_map(|p| last_segment(p).parse::<u8>().ok())
                        .filter_map(|d| Date::from_calendar_date(year, month, d).ok())
                        .filter(|d| lo <= *d && *d <= hi),
                );
            }
        }
        Ok(days)
    }

    /// A recording of a listing: straight from its pack when the listing gave its
    /// place (through the cache), else by id.
    async fn fetch(
        self: Arc<Self>,
        id: RecordingId,
        location: Option<Location>,
    ) -> Result<Recording, StoreError> {
        let Some(location) = location else {
            return self.get(id).await;
        };
        if let Some(cache) = &self.cache
            && let Some(json) = cache.load(&id)
            && let Ok(recording) = Recording::from_json_at(&json, "the local cache")
            && recording.id == id
        {
            self.counters
                .cache_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(recording);
        }
        let (recording, json) = self.read_packed("find", &id, &location).await?;
        if let Some(cache) = &self.cache {
            cache.store(&id, &json);
        }
        Ok(recording)
    }

    /// Lists one day folder of one category and reads its index objects (one per
    /// recording, or one per pack) concurrently; returns the matching summaries and
    /// the unreadable entries.
    async fn read_day(
        self: Arc<Self>,
        category: String,
        day: Date,
        query: Arc<Query>,
    ) -> Result<Vec<Located>, StoreError> {
        let keys = {
            let _permit = self.read_permits.clone().acquire_owned().await;
            self.bucket
                .list("list", &self.layout.day_prefix(&category, day), true)
                .await?
                .keys
        };
        let mut reads = JoinSet::new();
        for key in keys {
            let inner = self.clone();
            let category = category.clone();
            if key.ends_with(INDEX_SUFFIX) {
                reads.spawn(async move {
                    let _permit = inner.read_permits.clone().acquire_owned().await;
                    inner.read_pack_index(&key, &category, day).await
                });
                continue;
            }
            let Some(id) = id_of_key(&key) else { continue };
            reads.spawn(async move {
                let _permit = inner.read_permits.clone().acquire_owned().await;
                let entry = inner.read_summary(key, id, &category, day).await;
                entry.into_iter().map(|e| (e, None)).collect()
            });
        }
        let mut entries = Vec::new();
        while let Some(done) = reads.join_next().await {
            for (entry, location) in done.map_err(task_failed)? {
                match entry {
                    Ok(summary) if query.matches(&summary) => {
                        entries.push((Ok(summary), location));
                    }
                    Ok(_) => {}
                    Err(err) => entries.push((Err(err), None)),
                }
            }
        }
        Ok(entries)
    }

    /// Reads one index object; `None` when it vanished since the listing.
    async fn read_summary(
        &self,
        key: String,
        id: RecordingId,
        category: &str,
        day: Date,
    ) -> Option<Entry> {
        let origin = format!("s3://{}/{key}", self.bucket.name);
        let bytes = match self.bucket.get("list", &key).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return None,
            Err(err) => return Some(Err(err.into())),
        };
        Some(parse_index(&bytes, &origin, &id, category, day))
    }
}

/// Parses an index object found at `origin`, which a listing filed under `id`,
/// `category` and `day`: a summary that says otherwise is [`StoreError::Misplaced`].
pub(crate) fn parse_index(
    bytes: &[u8],
    origin: &str,
    id: &RecordingId,
    category: &str,
    day: Date,
) -> Entry {
    let summary = Summary::from_json_at(bytes, origin)?;
    if summary.id != *id || summary.category != category || utc_day(&summary) != day {
        return Err(StoreError::Misplaced {
            origin: origin.to_owned(),
            found_id: summary.id.to_string(),
            found_category: summary.category,
        });
    }
    Ok(summary)
}

/// The days of `lo..=hi` when the range is short enough to name each day; an open
/// end (`Date::MAX`) stops at tomorrow (UTC), to allow for clock skew.
pub(crate) fn enumerate_days(lo: Date, hi: Date, today: Date) -> Option<Vec<Date>> {
    if lo == Date::MIN {
        return None;
    }
    let hi = if hi == Date::MAX {
        today.next_day().unwrap_or(today).max(lo)
    } else {
        hi
    };
    if hi < lo {
        return Some(Vec::new());
    }
    if (hi - lo).whole_days() >= MAX_ENUMERATED_DAYS {
        return None;
    }
    let mut days = Vec::new();
    let mut day = lo;
    loop {
        days.push(day);
        match day.next_day() {
            Some(next) if next <= hi => day = next,
            _ => break,
        }
    }
    Some(days)
}

fn parse_month(segment: &str) -> Option<Month> {
    Month::try_from(segment.parse::<u8>().ok()?).ok()
}

fn task_failed(err: tokio::task::JoinError) -> StoreError {
    StoreError::Backend {
        store: "s3".to_owned(),
        op: "list",
        message: "a listing task stopped before it finished (the store is closing)".to_owned(),
        source: Some(Box::new(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn short_ranges_are_enumerated_day_by_day() {
        let days = enumerate_days(
            date!(2026 - 01 - 30),
            date!(2026 - 02 - 02),
            date!(2026 - 06 - 01),
        )
        .unwrap();
        assert_eq!(
            days,
            [
                date!(2026 - 01 - 30),
                date!(2026 - 01 - 31),
                date!(2026 - 02 - 01),
                date!(2026 - 02 - 02)
            ]
        );
        assert_eq!(
            enumerate_days(
                date!(2026 - 01 - 02),
                date!(2026 - 01 - 01),
                date!(2026 - 06 - 01)
            ),
            Some(vec![])
        );
    }

    #[test]
    fn open_ends_and_long_ranges_need_discovery() {
        assert_eq!(
            enumerate_days(Date::MIN, date!(2026 - 01 - 01), date!(2026 - 06 - 01)),
            None
        );
        assert_eq!(
            enumerate_days(
                date!(2025 - 01 - 01),
                date!(2026 - 01 - 01),
                date!(2026 - 06 - 01)
            ),
            None
        );
        let open = enumerate_days(date!(2026 - 05 - 30), Date::MAX, date!(2026 - 06 - 01)).unwrap();
        assert_eq!(open.first(), Some(&date!(2026 - 05 - 30)));
        assert_eq!(open.last(), Some(&date!(2026 - 06 - 02)), "up to tomorrow");
    }
}
