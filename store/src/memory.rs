//! A store in memory, for tests.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::error::StoreError;
use crate::format::{Recording, Summary};
use crate::id::RecordingId;
use crate::query::Query;
use crate::store::Store;

/// Keeps recordings in memory, as the same JSON bytes a file would hold, so reading one
/// back goes through the real reader.
///
/// Clones share the same recordings.
///
/// ```
/// use playback_store::{MemoryStore, Query, Recording, Store};
/// let store = MemoryStore::new();
/// let shared = store.clone();
/// shared.put(&Recording::builder("checkout").build())?;
/// assert_eq!(store.len(), 1);
/// assert_eq!(store.list(&Query::category("checkout"))?.len(), 1);
/// # Ok::<(), playback_store::StoreError>(())
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    entries: Arc<RwLock<BTreeMap<RecordingId, Vec<u8>>>>,
}

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// assert!(playback_store::MemoryStore::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How many recordings the store holds.
    ///
    /// ```
    /// use playback_store::{MemoryStore, Recording, Store};
    /// let store = MemoryStore::new();
    /// store.put(&Recording::builder("c").build())?;
    /// assert_eq!(store.len(), 1);
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entries.read().len()
    }

    /// Whether the store holds no recording.
    ///
    /// ```
    /// assert!(playback_store::MemoryStore::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.read().is_empty()
    }

    /// The ids of every stored recording, in ascending id order (time order for ULIDs).
    ///
    /// ```
    /// use playback_store::{MemoryStore, Recording, Store};
    /// let store = MemoryStore::new();
    /// let rec = Recording::builder("c").build();
    /// store.put(&rec)?;
    /// assert_eq!(store.ids(), vec![rec.id().clone()]);
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn ids(&self) -> Vec<RecordingId> {
        self.entries.read().keys().cloned().collect()
    }

    /// Removes every recording.
    ///
    /// ```
    /// use playback_store::{MemoryStore, Recording, Store};
    /// let store = MemoryStore::new();
    /// store.put(&Recording::builder("c").build())?;
    /// store.clear();
    /// assert!(store.is_empty());
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn clear(&self) {
        self.entries.write().clear();
    }

    /// Stores raw bytes under `id`, as if a file with this content were in a store.
    /// Useful to test how code copes with corrupt or foreign recordings: the bytes are
    /// parsed only when read.
    ///
    /// ```
    /// use playback_store::{MemoryStore, RecordingId, Store, StoreError};
    /// let store = MemoryStore::new();
    /// let id = RecordingId::parse("broken")?;
    /// store.put_bytes(id.clone(), b"{\"format_version\": \"1.0\", ".to_vec());
    /// assert!(matches!(store.get(&id), Err(StoreError::Corrupt { .. })));
    /// # Ok::<(), StoreError>(())
    /// ```
    pub fn put_bytes(&self, id: RecordingId, bytes: Vec<u8>) {
        self.entries.write().insert(id, bytes);
    }

    fn parse(id: &RecordingId, bytes: &[u8]) -> Result<Recording, StoreError> {
        let origin = format!("memory:{id}");
        let rec = Recording::from_json_at(bytes, &origin)?;
        if rec.id != *id {
            return Err(StoreError::Misplaced {
                origin,
                found_id: rec.id.to_string(),
                found_category: rec.category,
            });
        }
        Ok(rec)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("len", &self.len())
            .finish()
    }
}

impl Store for MemoryStore {
    fn put(&self, recording: &Recording) -> Result<(), StoreError> {
        let bytes = recording.to_json()?;
        self.put_bytes(recording.id.clone(), bytes);
        Ok(())
    }

    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        let bytes = self
            .entries
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::NotFound { id: id.to_string() })?;
        Self::parse(id, &bytes)
    }

    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        match self.entries.write().remove(id) {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound { id: id.to_string() }),
        }
    }

    fn list(&self, query: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        let entries = self.entries.read();
        let summaries = entries
            .iter()
            .map(|(id, bytes)| Self::parse(id, bytes).map(|rec| rec.summary()))
            .collect();
        drop(entries);
        Ok(query.sort_and_limit(summaries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Interception, OpResult, Outcome};
    use crate::query::{Cmp, MetaFilter};
    use serde_json::json;
    use serde_json::value::to_raw_value;
    use time::macros::datetime;

    fn sample() -> Recording {
        Recording::builder("checkout")
            .operation("shop::checkout")
            .metadata("tenant", "acme")
            .arg("cart_id", to_raw_value(&7).unwrap())
            .interception(Interception::input(
                "shop::load_cart",
                1,
                json!({"cart_id": 7}),
                to_raw_value(&json!({"Ok": [1, 2]})).unwrap(),
                false,
            ))
            .result(OpResult::Returned {
                value: to_raw_value(&json!({"Ok": 3})).unwrap(),
                error: false,
            })
            .build()
    }

    fn ok_ids(listed: &[Result<Summary, StoreError>]) -> Vec<RecordingId> {
        listed
            .iter()
            .map(|e| e.as_ref().expect("readable entry").id.clone())
            .collect()
    }

    #[test]
    fn memory_store_round_trips_a_recording_through_json() {
        let store = MemoryStore::new();
        let rec = sample();
        store.put(&rec).unwrap();
        let back = store.get(rec.id()).unwrap();
        assert_eq!(back.summary(), rec.summary());
        assert_eq!(back.arg::<u64>("cart_id").unwrap(), 7);
        assert_eq!(back.interceptions[0].value_json(), json!({"Ok": [1, 2]}));
        assert_eq!(back.result.as_ref().unwrap().to_json(), json!({"Ok": 3}));
        assert_eq!(back.to_json().unwrap(), rec.to_json().unwrap());
    }

    #[test]
    fn memory_store_clones_share_data_and_delete_removes() {
        let store = MemoryStore::new();
        let clone = store.clone();
        let rec = sample();
        clone.put(&rec).unwrap();
        assert_eq!(store.ids(), vec![rec.id.clone()]);
        assert!(!store.is_empty());
        store.delete(rec.id()).unwrap();
        assert!(clone.is_empty());
        assert!(matches!(
            store.delete(rec.id()),
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.get(rec.id()),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn memory_store_lists_newest_first_with_filters_and_limit() {
        let store = MemoryStore::new();
        let make = |category: &str, day: u8, outcome, tenant: &str| {
            let at = datetime!(2026-01-01 12:00 UTC) + time::Duration::days(i64::from(day));
            let rec = Recording::builder(category)
                .recorded_at(at)
                .outcome(outcome)
                .metadata("tenant", tenant)
                .metadata("day", day)
                .build();
            store.put(&rec).unwrap();
            rec.id
        };
        let a = make("checkout", 1, Outcome::Ok, "acme");
        let b = make("checkout", 2, Outcome::Error, "globex");
        let c = make("refund", 3, Outcome::Ok, "acme");
        let d = make("checkout", 4, Outcome::Panicked, "initech");

        let all = store.list(&Query::all()).unwrap();
        assert_eq!(
            ok_ids(&all),
            vec![d.clone(), c.clone(), b.clone(), a.clone()]
        );
        let checkout = store.list(&Query::category("checkout")).unwrap();
        assert_eq!(ok_ids(&checkout), vec![d.clone(), b.clone(), a.clone()]);
        let limited = store.list(&Query::all().limit(2)).unwrap();
        assert_eq!(ok_ids(&limited), vec![d.clone(), c.clone()]);
        let errors = Query::all()
            .outcome(Outcome::Error)
            .outcome(Outcome::Panicked);
        assert_eq!(
            ok_ids(&store.list(&errors).unwrap()),
            vec![d.clone(), b.clone()]
        );
        let acme = Query::all().metadata("tenant", "acme");
        assert_eq!(
            ok_ids(&store.list(&acme).unwrap()),
            vec![c.clone(), a.clone()]
        );
        let late = Query::all().metadata("day", MetaFilter::cmp(Cmp::Gt, 2));
        assert_eq!(
            ok_ids(&store.list(&late).unwrap()),
            vec![d.clone(), c.clone()]
        );
        let range = Query::all()
            .from(datetime!(2026-01-03 12:00 UTC))
            .until(datetime!(2026-01-04 12:00 UTC));
        assert_eq!(
            ok_ids(&store.list(&range).unwrap()),
            vec![c.clone(), b.clone()]
        );
        let found = store.find(&Query::category("refund")).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].as_ref().unwrap().id, c);
    }

    #[test]
    fn memory_store_lists_corrupt_bytes_as_error_entries() {
        let store = MemoryStore::new();
        let rec = sample();
        store.put(&rec).unwrap();
        let bad = RecordingId::parse("bad").unwrap();
        store.put_bytes(bad, b"{\"format_version\": \"1.0\"".to_vec());
        let moved = RecordingId::parse("moved").unwrap();
        store.put_bytes(moved, rec.to_json().unwrap());

        let listed = store.list(&Query::all()).unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0].as_ref().unwrap().id, rec.id);
        let messages: Vec<String> = listed[1..]
            .iter()
            .map(|e| e.as_ref().unwrap_err().to_string())
            .collect();
        assert!(messages[0].contains("memory:bad"), "{}", messages[0]);
        assert!(messages[0].contains("corrupt"), "{}", messages[0]);
        assert!(messages[1].contains("memory:moved"), "{}", messages[1]);
        assert!(
            messages[1].contains("does not match its location"),
            "{}",
            messages[1]
        );
    }
}
