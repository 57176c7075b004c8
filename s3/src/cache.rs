//! The read-through cache: recordings fetched once are kept on local disk.
//! Recordings are immutable, so a cached one is never fetched again.

use std::fs;
use std::path::PathBuf;

use playback_store::RecordingId;

use crate::fsutil::write_atomic;

/// A directory of `<id>.json` files (plain JSON) for one bucket and prefix.
#[derive(Debug)]
pub(crate) struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub(crate) fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    fn path(&self, id: &RecordingId) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// The cached JSON of `id`, if any.
    pub(crate) fn load(&self, id: &RecordingId) -> Option<Vec<u8>> {
        fs::read(self.path(id)).ok()
    }

    /// Caches the JSON of `id`. A failure only costs a later fetch, so it is logged
    /// and otherwise ignored.
    pub(crate) fn store(&self, id: &RecordingId, json: &[u8]) {
        let result = fs::create_dir_all(&self.dir)
            .and_then(|()| write_atomic(&self.dir, &format!("{id}.json"), json, false));
        if let Err(err) = result {
            tracing::debug!(
                target: "playback_s3",
                "could not cache recording {id} in {}: {err}",
                self.dir.display()
            );
        }
    }

    /// Drops `id` from the cache (after a delete, or a put that replaces it).
    pub(crate) fn forget(&self, id: &RecordingId) {
        let _ = fs::remove_file(self.path(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_loads_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("c/abc"));
        let id = RecordingId::parse("r1").unwrap();
        assert!(cache.load(&id).is_none());
        cache.store(&id, b"{}");
        assert_eq!(cache.load(&id).unwrap(), b"{}");
        cache.forget(&id);
        assert!(cache.load(&id).is_none());
    }
}
