//! The `Store` abstraction.

use std::fmt::Debug;

use crate::error::StoreError;
use crate::format::{Recording, Summary};
use crate::id::RecordingId;
use crate::query::Query;

/// Where recordings are kept: [`crate::MemoryStore`], [`crate::DirStore`], or the S3
/// store of the `playback-s3` crate.
///
/// Every method is synchronous and may be called from any thread; the layer calls
/// [`Store::put`] from its background writer only, never from a request. Stores over
/// an async client (S3) run their own runtime internally.
///
/// A listing never aborts on one bad entry: a corrupt or unreadable recording shows
/// up as an `Err` item in the list returned by [`Store::list`] and [`Store::find`].
///
/// ```
/// use playback_store::{MemoryStore, Query, Recording, Store};
/// let store: Box<dyn Store> = Box::new(MemoryStore::new());
/// let rec = Recording::builder("checkout").build();
/// store.put(&rec)?;
/// let found = store.find(&Query::all())?;
/// assert_eq!(found.len(), 1);
/// store.delete(rec.id())?;
/// assert!(store.get(rec.id()).is_err());
/// # Ok::<(), playback_store::StoreError>(())
/// ```
pub trait Store: Send + Sync + Debug + 'static {
    /// Stores a recording. Storing the same id twice replaces it.
    fn put(&self, recording: &Recording) -> Result<(), StoreError>;

    /// Stores several recordings in one call, returning one result per recording, in
    /// order.
    ///
    /// When an item's result is `Ok`, that recording is as durable as [`Store::put`]
    /// would have made it; an `Err` item was not stored (or not made durable) and fails
    /// alone: the other items still count. Stores that can share the cost of a durable
    /// write between recordings do so here ([`crate::DirStore`] syncs a batch with one
    /// barrier instead of one per file); the layer's background writer hands its queue to
    /// this method a batch at a time. Storing the same id twice in one batch keeps the
    /// last, as two [`Store::put`] calls would.
    ///
    /// The default calls [`Store::put`] for each recording.
    ///
    /// ```
    /// use playback_store::{DirStore, Query, Recording, Store};
    /// let dir = tempfile::tempdir()?;
    /// let store = DirStore::new(dir.path())?;
    /// let batch = [
    ///     Recording::builder("checkout").build(),
    ///     Recording::builder("../not a folder").build(),
    ///     Recording::builder("checkout").build(),
    /// ];
    /// let results = store.put_batch(&batch);
    /// // The bad category fails alone; the other two are stored and durable.
    /// assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    /// assert_eq!(store.list(&Query::category("checkout"))?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn put_batch(&self, recordings: &[Recording]) -> Vec<Result<(), StoreError>> {
        recordings.iter().map(|rec| self.put(rec)).collect()
    }

    /// Loads one recording; [`StoreError::NotFound`] when there is none with this id.
    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError>;

    /// Deletes one recording; [`StoreError::NotFound`] when there is none with this id.
    fn delete(&self, id: &RecordingId) -> Result<(), StoreError>;

    /// Lists the summaries matching `query`, newest first, at most `query.limit`.
    ///
    /// The outer `Err` means the listing itself failed (store unreachable); an inner
    /// `Err` is one entry that could not be read.
    fn list(&self, query: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError>;

    /// Loads every recording matching `query`, newest first.
    ///
    /// The default implementation calls [`Store::list`] and then [`Store::get`] for each.
    fn find(&self, query: &Query) -> Result<Vec<Result<Recording, StoreError>>, StoreError> {
        Ok(self
            .list(query)?
            .into_iter()
            .map(|entry| entry.and_then(|summary| self.get(&summary.id)))
            .collect())
    }

    /// Store-specific counters (for example S3 uploads, retries and spooled
    /// recordings), reported with the layer's stats. Empty by default.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// Waits until every recording accepted by [`Store::put`] is durable or has been
    /// counted as dropped, or until `timeout` passes. Returns whether it finished in time.
    ///
    /// Stores that write synchronously (the default) have nothing to wait for.
    fn flush(&self, timeout: std::time::Duration) -> bool {
        let _ = timeout;
        true
    }
}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn put(&self, recording: &Recording) -> Result<(), StoreError> {
        (**self).put(recording)
    }
    fn put_batch(&self, recordings: &[Recording]) -> Vec<Result<(), StoreError>> {
        (**self).put_batch(recordings)
    }
    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        (**self).get(id)
    }
    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        (**self).delete(id)
    }
    fn list(&self, query: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        (**self).list(query)
    }
    fn find(&self, query: &Query) -> Result<Vec<Result<Recording, StoreError>>, StoreError> {
        (**self).find(query)
    }
    fn counters(&self) -> Vec<(&'static str, u64)> {
        (**self).counters()
    }
    fn flush(&self, timeout: std::time::Duration) -> bool {
        (**self).flush(timeout)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn put(&self, recording: &Recording) -> Result<(), StoreError> {
        (**self).put(recording)
    }
    fn put_batch(&self, recordings: &[Recording]) -> Vec<Result<(), StoreError>> {
        (**self).put_batch(recordings)
    }
    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        (**self).get(id)
    }
    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        (**self).delete(id)
    }
    fn list(&self, query: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        (**self).list(query)
    }
    fn find(&self, query: &Query) -> Result<Vec<Result<Recording, StoreError>>, StoreError> {
        (**self).find(query)
    }
    fn counters(&self) -> Vec<(&'static str, u64)> {
        (**self).counters()
    }
    fn flush(&self, timeout: std::time::Duration) -> bool {
        (**self).flush(timeout)
    }
}
