//! Where the recordings come from: a directory, or any store through a local cache.

use std::path::PathBuf;
use std::sync::Arc;

use playback_store::{DirStore, Query, Recording, RecordingId, Store, StoreError, Summary};

use crate::error::Error;

/// The default cache of recordings fetched from a store, relative to the package root
/// (where `cargo test` runs a test binary).
pub(crate) const DEFAULT_CACHE: &str = "target/playback/cache";

/// Where recordings come from.
#[derive(Clone)]
pub(crate) enum Source {
    /// A directory laid out as `DirStore` writes it, usually committed fixtures.
    Dir(PathBuf),
    /// Any store, each recording fetched once into a `DirStore` cache.
    Store {
        store: Arc<dyn Store>,
        cache: Option<PathBuf>,
    },
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Dir(dir) => f.debug_tuple("Dir").field(dir).finish(),
            Source::Store { cache, .. } => f
                .debug_struct("Store")
                .field("cache", &self.cache_dir())
                .field("cache_set", &cache.is_some())
                .finish(),
        }
    }
}

/// The listing: the summaries that match, and the entries that could not be read.
pub(crate) struct Listing {
    pub(crate) summaries: Vec<Summary>,
    pub(crate) unreadable: Vec<StoreError>,
    /// Set when the store could not be listed and the cache was listed instead.
    pub(crate) offline: Option<StoreError>,
}

/// A loaded recording, with its file when it has one in a directory the harness may
/// update.
pub(crate) struct Loaded {
    pub(crate) recording: Recording,
    pub(crate) file: Option<PathBuf>,
}

impl Source {
    fn cache_dir(&self) -> PathBuf {
        match self {
            Source::Store {
                cache: Some(dir), ..
            } => dir.clone(),
            _ => PathBuf::from(DEFAULT_CACHE),
        }
    }

    /// Lists what `query` matches, without loading any recording.
    pub(crate) fn list(&self, query: &Query) -> Result<Listing, Error> {
        match self {
            Source::Dir(dir) => {
                if !dir.is_dir() {
                    return Err(Error::MissingDir { path: dir.clone() });
                }
                let entries = DirStore::new(dir)?.list(query)?;
                Ok(split(entries, None))
            }
            Source::Store { store, .. } => match store.list(query) {
                Ok(entries) => Ok(split(entries, None)),
                Err(err) => {
                    // Offline: what was fetched before is still there.
                    let cache = self.cache_dir();
                    if !cache.is_dir() {
                        return Err(err.into());
                    }
                    let entries = DirStore::new(&cache)?.list(query)?;
                    if entries.is_empty() {
                        return Err(err.into());
                    }
                    Ok(split(entries, Some(err)))
                }
            },
        }
    }

    /// Loads one listed recording: from the directory, or from the cache, fetching it
    /// from the store into the cache the first time.
    pub(crate) fn load(&self, id: &RecordingId) -> Result<Loaded, Error> {
        match self {
            Source::Dir(dir) => {
                let store = DirStore::new(dir)?;
                let recording = store.get(id)?;
                let file = store.path_for(&recording)?;
                Ok(Loaded {
                    recording,
                    file: Some(file),
                })
            }
            Source::Store { store, .. } => {
                let cache = DirStore::new(self.cache_dir())?;
                let recording = match cache.get(id) {
                    Ok(recording) => recording,
                    Err(StoreError::NotFound { .. }) => {
                        let recording = store.get(id)?;
                        cache.put(&recording)?;
                        recording
                    }
                    Err(err) => return Err(err.into()),
                };
                Ok(Loaded {
                    recording,
                    file: None,
                })
            }
        }
    }
}

fn split(entries: Vec<Result<Summary, StoreError>>, offline: Option<StoreError>) -> Listing {
    let mut summaries = Vec::new();
    let mut unreadable = Vec::new();
    for entry in entries {
        match entry {
            Ok(summary) => summaries.push(summary),
            Err(err) => unreadable.push(err),
        }
    }
    summaries.sort_by(|a, b| (&a.category, &a.id).cmp(&(&b.category, &b.id)));
    unreadable.sort_by_key(ToString::to_string);
    Listing {
        summaries,
        unreadable,
        offline,
    }
}
