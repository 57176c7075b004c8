//! Where the recordings come from: a directory, or any store through a local cache.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use playback_store::{
    DirStore, Query, Recording, RecordingId, Store, StoreError, Summary, validate_category,
};

use crate::error::Error;
use crate::names::SHORT_ID_LEN;

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

    /// The one recording a test named `<category>::<short id>` stands for, found
    /// without listing the store: the file names of the category's folder give the
    /// ids, and only the file whose id ends with `short` is read. This is what makes a
    /// test process that runs one test (nextest's `--exact NAME`) cheap.
    ///
    /// For a store source, the cache is searched: a test whose recording was fetched
    /// before runs without listing the store at all.
    ///
    /// `None` whenever the answer could differ from the full listing's, so the caller
    /// lists everything: a query with a limit, a short id that
    /// is not exactly [`SHORT_ID_LEN`] long or that two files of the category share, a
    /// recording named from its metadata, one the query does not match, or any error.
    pub(crate) fn find_short_id(
        &self,
        query: &Query,
        name_key: &str,
        category: &str,
        short: &str,
    ) -> Option<Summary> {
        let root = match self {
            Source::Dir(root) => root.clone(),
            // A cached recording is the store's: recordings never change once written.
            Source::Store { .. } => self.cache_dir(),
        };
        if query.get_limit().is_some()
            || short.len() != SHORT_ID_LEN
            || validate_category(category).is_err()
        {
            return None;
        }
        let mut found = None;
        for day in fs::read_dir(root.join(category)).ok()? {
            let day = day.ok()?;
            if !day.file_type().ok()?.is_dir() || !is_day_name(&day.file_name()) {
                continue;
            }
            for file in fs::read_dir(day.path()).ok()? {
                let file = file.ok()?;
                if !file.file_type().ok()?.is_file() {
                    continue;
                }
                let name = file.file_name();
                let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                    continue;
                };
                if !stem.starts_with('.') && stem.ends_with(short) {
                    if found.is_some() {
                        return None; // shared: the full listing lengthens both names
                    }
                    found = Some(file.path());
                }
            }
        }
        let summary = read_summary(&found?)?;
        let named = summary
            .metadata
            .get(name_key)
            .is_some_and(|v| v.is_string());
        (summary.category == category && !named && query.matches(&summary)).then_some(summary)
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

fn read_summary(path: &Path) -> Option<Summary> {
    let bytes = fs::read(path).ok()?;
    let recording = Recording::from_json_at(&bytes, &path.display().to_string()).ok()?;
    let stem = path.file_stem()?.to_str()?;
    (recording.id.as_str() == stem).then(|| recording.summary())
}

/// Whether a folder name has the shape of `DirStore`'s day folders, `YYYY-MM-DD`.
fn is_day_name(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| {
        n.len() == 10
            && n.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            })
    })
}
