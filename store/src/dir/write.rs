//! How [`DirStore`] makes a recording durable: one file at a time ([`Store::put`]) or a
//! batch with one barrier ([`Store::put_batch`], group commit).
//!
//! Both write each recording to a hidden temporary file in its day folder and rename it
//! onto `<id>.json`, so a reader never sees half a recording. `put` syncs the file, renames
//! it and syncs the folder: two waits on the disk per recording. `put_batch` writes every
//! file of the batch first, then waits on the disk once for all of them (`syncfs` on Linux,
//! one per filesystem the batch touches; elsewhere an fsync per file), renames them all,
//! and syncs each folder whose entries changed once.
//!
//! [`Store::put`]: crate::Store::put
//! [`Store::put_batch`]: crate::Store::put_batch

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use time::Date;

use super::{DirStore, Kind, date_dir_name, entry_kind, file_name, io_error, utc_date};
use crate::error::StoreError;
use crate::format::Recording;
use crate::id::RecordingId;

/// Writes `bytes` to `dir/name` atomically: a synced temporary file renamed over the
/// target, then the directory synced so the rename is durable.
pub(super) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let target = dir.join(name);
    let tmp = temp_path(dir, name);
    let written = create_file(&tmp, bytes)
        .and_then(|file| file.sync_all().map_err(io_error(&tmp, "sync")))
        .and_then(|()| {
            fs::rename(&tmp, &target).map_err(io_error(&target, "rename the temporary file onto"))
        });
    if written.is_err() {
        // Best effort: the temporary file is hidden from listings either way.
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir)
}

/// A hidden name next to `name`, skipped by listings (`.<id>.json.tmp-<random>`).
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.tmp-{:016x}", fastrand::u64(..)))
}

/// Creates `path` (never an existing file) holding `bytes`, not synced.
fn create_file(path: &Path, bytes: &[u8]) -> Result<fs::File, StoreError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_error(path, "create"))?;
    file.write_all(bytes).map_err(io_error(path, "write"))?;
    Ok(file)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir, "sync directory"))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// One recording of a batch in its temporary file, not yet synced or renamed.
struct Staged {
    /// Its place in the batch (and in the results).
    index: usize,
    /// Open until the barrier: the per-file fallback syncs through it.
    file: Option<fs::File>,
    tmp: PathBuf,
    target: PathBuf,
    day_dir: PathBuf,
    day: Date,
}

/// The day folders a batch writes to, checked and created once per batch.
#[derive(Default)]
struct Folders {
    /// Each day folder, with the filesystem it is on and the folders whose entries this
    /// batch changed by creating it (its category folder, and the root for a new category).
    ready: HashMap<PathBuf, (u64, Vec<PathBuf>)>,
}

impl Folders {
    /// Checks that neither folder is a symbolic link and creates the day folder; returns
    /// the filesystem it is on.
    fn prepare(
        &mut self,
        root: &Path,
        category_dir: &Path,
        day_dir: &Path,
    ) -> Result<u64, StoreError> {
        if let Some((dev, _)) = self.ready.get(day_dir) {
            return Ok(*dev);
        }
        let category = entry_kind(category_dir)?;
        let day = if category.is_some() {
            entry_kind(day_dir)?
        } else {
            None
        };
        for (dir, kind) in [(category_dir, category), (day_dir, day)] {
            if kind == Some(Kind::Symlink) {
                return Err(StoreError::Symlink {
                    path: dir.to_owned(),
                });
            }
        }
        fs::create_dir_all(day_dir).map_err(io_error(day_dir, "create directory"))?;
        let mut created = Vec::new();
        if day.is_none() {
            created.push(category_dir.to_owned());
        }
        if category.is_none() {
            created.push(root.to_owned());
        }
        let dev = device(day_dir)?;
        self.ready.insert(day_dir.to_owned(), (dev, created));
        Ok(dev)
    }
}

#[cfg(unix)]
fn device(dir: &Path) -> Result<u64, StoreError> {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(dir)
        .map(|m| m.dev())
        .map_err(io_error(dir, "inspect"))
}

#[cfg(not(unix))]
fn device(_dir: &Path) -> Result<u64, StoreError> {
    Ok(0)
}

/// [`crate::Store::put_batch`] for [`DirStore`]: group commit.
pub(super) fn put_batch(store: &DirStore, recordings: &[Recording]) -> Vec<Result<(), StoreError>> {
    let mut results = Vec::with_capacity(recordings.len());
    let mut staged = Vec::with_capacity(recordings.len());
    let mut folders = Folders::default();
    let mut devices: Vec<(u64, Vec<usize>)> = Vec::new();
    for (index, rec) in recordings.iter().enumerate() {
        match stage(store, rec, index, &mut folders) {
            Ok((s, dev)) => {
                match devices.iter_mut().find(|(d, _)| *d == dev) {
                    Some((_, members)) => members.push(staged.len()),
                    None => devices.push((dev, vec![staged.len()])),
                }
                staged.push(s);
                results.push(Ok(()));
            }
            Err(err) => results.push(Err(err)),
        }
    }
    // 1. The bytes of every file, with one wait on the disk.
    for (_, members) in &devices {
        sync_files(&staged, members, &mut results);
    }
    // 2. Every synced file under its name: a reader sees all of it or none.
    staged.retain_mut(|s| {
        drop(s.file.take());
        if results[s.index].is_ok() {
            match fs::rename(&s.tmp, &s.target) {
                Ok(()) => return true,
                Err(source) => {
                    results[s.index] = Err(io_error(&s.target, "rename the temporary file onto")(
                        source,
                    ));
                }
            }
        }
        // Best effort: the temporary file is hidden from listings either way.
        let _ = fs::remove_file(&s.tmp);
        false
    });
    // 3. The renames (and new folders), with one sync per folder.
    sync_folders(&staged, &folders, &mut results);
    // 4. Other copies of the same ids, as `put` removes them; a later item of the batch
    //    with the same id replaces an earlier one.
    remove_stale_copies(store, recordings, &staged, &mut results);
    results
}

/// Validates and serializes one recording and writes its temporary file; returns it and
/// the filesystem it is on.
fn stage(
    store: &DirStore,
    rec: &Recording,
    index: usize,
    folders: &mut Folders,
) -> Result<(Staged, u64), StoreError> {
    let target = store.path_for(rec)?;
    let bytes = rec.to_json()?;
    let day = utc_date(rec.recorded_at);
    let category_dir = store.root.join(&rec.category);
    let day_dir = category_dir.join(date_dir_name(day));
    let dev = folders.prepare(&store.root, &category_dir, &day_dir)?;
    let tmp = temp_path(&day_dir, &file_name(&rec.id));
    let file = match create_file(&tmp, &bytes) {
        Ok(file) => file,
        Err(err) => {
            let _ = fs::remove_file(&tmp);
            return Err(err);
        }
    };
    let staged = Staged {
        index,
        file: Some(file),
        tmp,
        target,
        day_dir,
        day,
    };
    Ok((staged, dev))
}

/// Makes the bytes of `members` (indices into `staged`, all on one filesystem) durable.
/// Linux: one `syncfs` through one of the files; when it fails, or elsewhere, an fsync
/// per file, so a failure is reported on the files it concerns.
fn sync_files(staged: &[Staged], members: &[usize], results: &mut [Result<(), StoreError>]) {
    #[cfg(target_os = "linux")]
    if let Some(file) = members.first().and_then(|&i| staged[i].file.as_ref())
        && rustix::fs::syncfs(file).is_ok()
    {
        return;
    }
    for &i in members {
        let s = &staged[i];
        if let Some(Err(source)) = s.file.as_ref().map(fs::File::sync_all) {
            results[s.index] = Err(io_error(&s.tmp, "sync")(source));
        }
    }
}

/// Syncs each folder whose entries the batch changed once; a recording whose folder (or
/// a new parent folder) did not sync is reported as failed.
fn sync_folders(staged: &[Staged], folders: &Folders, results: &mut [Result<(), StoreError>]) {
    let mut failed: HashMap<&Path, Option<(io::ErrorKind, String)>> = HashMap::new();
    for s in staged {
        for dir in dirs_of(folders, s) {
            failed.entry(dir).or_insert_with(|| match sync_dir(dir) {
                Ok(()) => None,
                Err(StoreError::Io { source, .. }) => Some((source.kind(), source.to_string())),
                Err(err) => Some((io::ErrorKind::Other, err.to_string())),
            });
        }
    }
    for s in staged {
        let first = dirs_of(folders, s)
            .find_map(|dir| failed.get(dir).cloned().flatten().map(|e| (dir, e)));
        if let Some((dir, (kind, message))) = first {
            results[s.index] = Err(StoreError::Io {
                path: dir.to_owned(),
                op: "sync directory",
                source: io::Error::new(kind, message),
            });
        }
    }
}

/// The folders a staged recording needs synced: its day folder, and the folders the
/// batch created it in.
fn dirs_of<'a>(folders: &'a Folders, s: &'a Staged) -> impl Iterator<Item = &'a Path> {
    let created = folders
        .ready
        .get(&s.day_dir)
        .map_or(&[][..], |(_, c)| c.as_slice());
    std::iter::once(s.day_dir.as_path()).chain(created.iter().map(PathBuf::as_path))
}

/// Removes copies of the batch's ids filed under another category or day, for the last
/// stored item of each id, listing the categories once.
fn remove_stale_copies(
    store: &DirStore,
    recordings: &[Recording],
    staged: &[Staged],
    results: &mut [Result<(), StoreError>],
) {
    let mut seen: HashSet<&RecordingId> = HashSet::new();
    let last: Vec<&Staged> = staged
        .iter()
        .rev()
        .filter(|s| results[s.index].is_ok() && seen.insert(&recordings[s.index].id))
        .collect();
    if last.is_empty() {
        return;
    }
    let categories = match store.categories() {
        Ok(categories) => categories,
        Err(err) => {
            let message = err.to_string();
            for s in last {
                results[s.index] = Err(StoreError::Io {
                    path: store.root.clone(),
                    op: "list directory",
                    source: io::Error::other(message.clone()),
                });
            }
            return;
        }
    };
    for s in last.into_iter().rev() {
        let id = &recordings[s.index].id;
        if let Err(err) = store.remove_stale_copies_among(&categories, id, s.day, &s.target) {
            results[s.index] = Err(err);
        }
    }
}

#[cfg(test)]
mod tests;
