//! The embedded default store: one JSON file per recording in a local directory.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use time::{Date, Month, OffsetDateTime, UtcOffset};

use crate::error::StoreError;
use crate::format::{Recording, Summary};
use crate::id::{RecordingId, validate_category};
use crate::query::Query;
use crate::store::Store;

/// Keeps recordings as files under a root directory:
/// `<root>/<category>/<YYYY-MM-DD>/<id>.json`, the date being the UTC day the
/// operation started.
///
/// Writes are atomic (a temporary file in the same directory, synced, then renamed), so
/// a reader never sees half a recording, even after a crash. Categories and ids are
/// checked before any path is built, and the store never follows a symbolic link inside
/// the root, so it never reads or writes outside it. A listing reads only the category
/// asked for and only the days inside the query's time range. A file over
/// [`crate::MAX_RECORDING_BYTES`] is refused from its size before it is read, and each
/// unreadable file is one error entry of a listing, beside the recordings that read.
///
/// **What is durable when.** A recording is durable (on disk, surviving a crash or a
/// power loss) once [`Store::put`] returned `Ok`, or once [`Store::put_batch`] returned
/// `Ok` for it: `put` syncs the file and then its folder; `put_batch` writes every file
/// of the batch, syncs them with one barrier (`syncfs` on Linux, once per filesystem the
/// batch touches; an fsync per file elsewhere), renames them, and syncs each folder whose
/// entries changed (and the parents of folders it created) once. A crash during a call
/// can lose the recordings of that call: each is then absent or complete, never partial
/// (a leftover `.<id>.json.tmp-*` file is hidden from listings). The layer's writer hands
/// its queue to `put_batch` up to 256 recordings at a time, so a crash also loses what was
/// still in the layer's queue.
///
/// ```
/// use playback_store::{DirStore, Query, Recording, Store};
/// use time::macros::datetime;
/// let dir = tempfile::tempdir()?;
/// let store = DirStore::new(dir.path().join("recordings"))?;
/// let rec = Recording::builder("checkout").recorded_at(datetime!(2026-01-02 03:04 UTC)).build();
/// store.put(&rec)?;
/// let path = dir.path().join(format!("recordings/checkout/2026-01-02/{}.json", rec.id()));
/// assert!(path.is_file());
/// assert_eq!(store.get(rec.id())?.category(), "checkout");
/// assert_eq!(store.list(&Query::category("checkout"))?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    /// Opens the store at `root`, creating the directory if needed.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = playback_store::DirStore::new(dir.path().join("a/b"))?;
    /// assert!(store.root().is_dir());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(io_error(&root, "create directory"))?;
        Ok(DirStore { root })
    }

    /// The store's root directory.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = playback_store::DirStore::new(dir.path())?;
    /// assert_eq!(store.root(), dir.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where [`Store::put`] writes `recording`; fails when its category cannot be a
    /// folder name.
    ///
    /// ```
    /// use playback_store::{DirStore, Recording};
    /// use time::macros::datetime;
    /// let dir = tempfile::tempdir()?;
    /// let store = DirStore::new(dir.path())?;
    /// let rec = Recording::builder("checkout").recorded_at(datetime!(2026-05-06 23:59 -01:00)).build();
    /// let path = store.path_for(&rec)?;
    /// assert_eq!(path, dir.path().join("checkout/2026-05-07").join(format!("{}.json", rec.id())));
    /// assert!(store.path_for(&Recording::builder("../x").build()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path_for(&self, recording: &Recording) -> Result<PathBuf, StoreError> {
        validate_category(&recording.category)?;
        Ok(self
            .root
            .join(&recording.category)
            .join(date_dir_name(utc_date(recording.recorded_at)))
            .join(file_name(&recording.id)))
    }

    /// The category folders under the root, skipping anything that is not one.
    /// Symbolic links come back as errors.
    fn categories(&self) -> Result<Vec<CategoryDir>, StoreError> {
        let mut found = Vec::new();
        for entry in read_dir(&self.root)? {
            let (name, path, kind) = entry?;
            if validate_category(&name).is_err() {
                continue;
            }
            match kind {
                Kind::Dir => found.push((name, Ok(path))),
                Kind::Symlink => found.push((name, Err(StoreError::Symlink { path }))),
                Kind::File | Kind::Other => {}
            }
        }
        Ok(found)
    }

    /// The path of `id` if it is stored, looking first in the day its ULID names and then
    /// in every day of every category.
    fn locate(&self, id: &RecordingId) -> Result<Option<PathBuf>, StoreError> {
        let name = file_name(id);
        let categories: Vec<PathBuf> = self
            .categories()?
            .into_iter()
            .filter_map(|(_, dir)| dir.ok())
            .collect();
        if let Some(at) = id.timestamp() {
            let day = date_dir_name(utc_date(at));
            for category in &categories {
                let day_dir = category.join(&day);
                if is_real_dir(&day_dir)? && is_real_file(&day_dir.join(&name))? {
                    return Ok(Some(day_dir.join(&name)));
                }
            }
        }
        for category in &categories {
            for entry in read_dir(category)? {
                let (dir_name, day_dir, kind) = entry?;
                if kind != Kind::Dir || parse_date_dir(&dir_name).is_none() {
                    continue;
                }
                let path = day_dir.join(&name);
                if is_real_file(&path)? {
                    return Ok(Some(path));
                }
            }
        }
        Ok(None)
    }

    /// Removes other copies of `id` that a `put` to `kept` replaces: the same id filed
    /// under another category or day (looked up in the id's own day and the new day).
    /// Symbolic links are left alone.
    fn remove_stale_copies(
        &self,
        id: &RecordingId,
        day: Date,
        kept: &Path,
    ) -> Result<(), StoreError> {
        self.remove_stale_copies_among(&self.categories()?, id, day, kept)
    }

    /// [`DirStore::remove_stale_copies`] over categories already listed.
    fn remove_stale_copies_among(
        &self,
        categories: &[CategoryDir],
        id: &RecordingId,
        day: Date,
        kept: &Path,
    ) -> Result<(), StoreError> {
        let name = file_name(id);
        let mut days = vec![date_dir_name(day)];
        if let Some(at) = id.timestamp() {
            days.push(date_dir_name(utc_date(at)));
        }
        for (_, category) in categories {
            let Ok(category) = category else { continue };
            for day in &days {
                let day_dir = category.join(day);
                let path = day_dir.join(&name);
                if path == kept
                    || entry_kind(&day_dir)? != Some(Kind::Dir)
                    || entry_kind(&path)? != Some(Kind::File)
                {
                    continue;
                }
                fs::remove_file(&path)
                    .or_else(ignore_not_found)
                    .map_err(io_error(&path, "delete the replaced recording"))?;
            }
        }
        Ok(())
    }

    /// The day folders of every category the query names, in range, grouped by day.
    fn days_to_read(
        &self,
        query: &Query,
        errors: &mut Vec<Result<Summary, StoreError>>,
    ) -> Result<BTreeMap<Date, Vec<(String, PathBuf)>>, StoreError> {
        let categories = match query.get_category() {
            Some(category) => {
                validate_category(category)?;
                let path = self.root.join(category);
                match entry_kind(&path)? {
                    Some(Kind::Dir) => vec![(category.to_owned(), Ok(path))],
                    Some(Kind::Symlink) => {
                        vec![(category.to_owned(), Err(StoreError::Symlink { path }))]
                    }
                    _ => Vec::new(),
                }
            }
            None => self.categories()?,
        };
        let mut days: BTreeMap<Date, Vec<(String, PathBuf)>> = BTreeMap::new();
        for (category, dir) in categories {
            let entries = match dir.and_then(|dir| read_dir(&dir)) {
                Ok(entries) => entries,
                Err(err) => {
                    errors.push(Err(err));
                    continue;
                }
            };
            for entry in entries {
                let (name, path, kind) = match entry {
                    Ok(entry) => entry,
                    Err(err) => {
                        errors.push(Err(err));
                        continue;
                    }
                };
                let Some(date) = parse_date_dir(&name) else {
                    continue;
                };
                if !query.includes_date(date) {
                    continue;
                }
                match kind {
                    Kind::Dir => days.entry(date).or_default().push((category.clone(), path)),
                    Kind::Symlink => errors.push(Err(StoreError::Symlink { path })),
                    Kind::File | Kind::Other => {}
                }
            }
        }
        Ok(days)
    }

    /// Reads every recording of one day folder, pushing matching summaries and errors.
    /// Returns how many summaries matched.
    fn read_day(
        &self,
        category: &str,
        day_dir: &Path,
        query: &Query,
        out: &mut Vec<Result<Summary, StoreError>>,
    ) -> usize {
        let entries = match read_dir(day_dir) {
            Ok(entries) => entries,
            Err(err) => {
                out.push(Err(err));
                return 0;
            }
        };
        let mut matched = 0;
        for entry in entries {
            let (name, path, kind) = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    out.push(Err(err));
                    continue;
                }
            };
            // Temporary files (`.<id>.json.tmp-*`) and other hidden files.
            if name.starts_with('.') {
                continue;
            }
            let Some(id) = name
                .strip_suffix(".json")
                .and_then(|stem| RecordingId::parse(stem).ok())
            else {
                continue;
            };
            let entry = match kind {
                Kind::File => read_recording(&path, category, &id).map(|rec| rec.summary()),
                Kind::Symlink => Err(StoreError::Symlink { path }),
                Kind::Dir | Kind::Other => continue,
            };
            match entry {
                Ok(summary) if query.matches(&summary) => {
                    matched += 1;
                    out.push(Ok(summary));
                }
                Ok(_) => {}
                Err(err) => out.push(Err(err)),
            }
        }
        matched
    }
}

impl Store for DirStore {
    fn put(&self, recording: &Recording) -> Result<(), StoreError> {
        let target = self.path_for(recording)?;
        let bytes = recording.to_json()?;
        let day = utc_date(recording.recorded_at);
        let category_dir = self.root.join(&recording.category);
        let day_dir = category_dir.join(date_dir_name(day));
        for dir in [&category_dir, &day_dir] {
            if entry_kind(dir)? == Some(Kind::Symlink) {
                return Err(StoreError::Symlink { path: dir.clone() });
            }
        }
        fs::create_dir_all(&day_dir).map_err(io_error(&day_dir, "create directory"))?;
        write::write_atomic(&day_dir, &file_name(&recording.id), &bytes)?;
        self.remove_stale_copies(&recording.id, day, &target)
    }

    /// Group commit: every file of the batch is written, then made durable with one
    /// barrier (`syncfs` on Linux, once per filesystem the batch touches; an fsync per
    /// file elsewhere), renamed onto its name, and each folder whose entries changed is
    /// synced once. An `Ok` item is as durable as [`Store::put`] makes it; an item that
    /// fails (a bad category, an I/O error on its file) fails alone.
    fn put_batch(&self, recordings: &[Recording]) -> Vec<Result<(), StoreError>> {
        write::put_batch(self, recordings)
    }

    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        let path = self
            .locate(id)?
            .ok_or_else(|| StoreError::NotFound { id: id.to_string() })?;
        let category = path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned();
        read_recording(&path, &category, id)
    }

    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        let path = self
            .locate(id)?
            .ok_or_else(|| StoreError::NotFound { id: id.to_string() })?;
        fs::remove_file(&path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => StoreError::NotFound { id: id.to_string() },
            _ => StoreError::Io {
                path,
                op: "delete",
                source,
            },
        })
    }

    fn list(&self, query: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        let mut entries = Vec::new();
        let days = self.days_to_read(query, &mut entries)?;
        let limit = query.get_limit().unwrap_or(usize::MAX);
        let mut matched = 0;
        // Newest day first, so a limit stops the walk early: every later day is older.
        for (_, dirs) in days.into_iter().rev() {
            if matched >= limit {
                break;
            }
            for (category, dir) in dirs {
                matched += self.read_day(&category, &dir, query, &mut entries);
            }
        }
        Ok(query.sort_and_limit(entries))
    }
}

/// What a directory entry is, without following symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
    Other,
}

impl From<fs::FileType> for Kind {
    fn from(t: fs::FileType) -> Self {
        if t.is_symlink() {
            Kind::Symlink
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Other
        }
    }
}

/// A category's name and folder, or why the folder cannot be used.
type CategoryDir = (String, Result<PathBuf, StoreError>);

/// A directory entry's name, path and kind.
type DirEntry = Result<(String, PathBuf, Kind), StoreError>;

/// Lists a directory: each entry's UTF-8 name (others are skipped), path and kind.
fn read_dir(dir: &Path) -> Result<Vec<DirEntry>, StoreError> {
    let entries = fs::read_dir(dir).map_err(io_error(dir, "list directory"))?;
    Ok(entries
        .filter_map(|entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(source) => return Some(Err(io_error(dir, "list directory")(source))),
            };
            let name = entry.file_name().into_string().ok()?;
            let path = entry.path();
            Some(
                entry
                    .file_type()
                    .map(|t| (name, path.clone(), Kind::from(t)))
                    .map_err(io_error(&path, "inspect")),
            )
        })
        .collect())
}

/// The kind of `path` without following a final symbolic link; `None` when absent.
fn entry_kind(path: &Path) -> Result<Option<Kind>, StoreError> {
    match fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(Kind::from(meta.file_type()))),
        Err(err) if is_absent(&err) => Ok(None),
        Err(source) => Err(StoreError::Io {
            path: path.to_owned(),
            op: "inspect",
            source,
        }),
    }
}

fn is_real_dir(path: &Path) -> Result<bool, StoreError> {
    match entry_kind(path)? {
        Some(Kind::Dir) => Ok(true),
        Some(Kind::Symlink) => Err(StoreError::Symlink {
            path: path.to_owned(),
        }),
        _ => Ok(false),
    }
}

fn is_real_file(path: &Path) -> Result<bool, StoreError> {
    match entry_kind(path)? {
        Some(Kind::File) => Ok(true),
        Some(Kind::Symlink) => Err(StoreError::Symlink {
            path: path.to_owned(),
        }),
        _ => Ok(false),
    }
}

fn is_absent(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

fn ignore_not_found(err: io::Error) -> io::Result<()> {
    if err.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(err)
    }
}

/// Reads and parses one recording file, checking it is filed under its own id and
/// category.
fn read_recording(path: &Path, category: &str, id: &RecordingId) -> Result<Recording, StoreError> {
    let origin = path.display().to_string();
    let read = crate::limits::read_file(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => StoreError::NotFound { id: id.to_string() },
        _ => StoreError::Io {
            path: path.to_owned(),
            op: "read",
            source,
        },
    })?;
    let bytes = read.map_err(|size| StoreError::TooLarge {
        origin: origin.clone(),
        size,
        limit: crate::MAX_RECORDING_BYTES,
    })?;
    let rec = Recording::from_json_at(&bytes, &origin)?;
    if rec.id != *id || rec.category != category {
        return Err(StoreError::Misplaced {
            origin,
            found_id: rec.id.to_string(),
            found_category: rec.category,
        });
    }
    Ok(rec)
}

fn io_error(path: &Path, op: &'static str) -> impl FnOnce(io::Error) -> StoreError + use<> {
    let path = path.to_owned();
    move |source| StoreError::Io { path, op, source }
}

fn file_name(id: &RecordingId) -> String {
    format!("{id}.json")
}

fn utc_date(at: OffsetDateTime) -> Date {
    at.to_offset(UtcOffset::UTC).date()
}

/// `YYYY-MM-DD`.
fn date_dir_name(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The date a day folder stands for, when its name is exactly what [`date_dir_name`]
/// writes.
fn parse_date_dir(name: &str) -> Option<Date> {
    let mut parts = name.rsplitn(3, '-');
    let day: u8 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let year: i32 = parts.next()?.parse().ok()?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    (date_dir_name(date) == name).then_some(date)
}

mod write;

#[cfg(test)]
mod tests;
