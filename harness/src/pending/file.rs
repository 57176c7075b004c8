//! The pending file: its versioned format, and reading, finding, accepting and
//! rejecting it.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use playback_compare::{Comparison, Difference, Status, SummaryOptions};
use playback_store::{Recording, RecordingId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::Error;

/// The pending-file format version this crate writes: `major.minor`. A reader accepts
/// the same major version (a newer minor only adds optional fields) and refuses any
/// other with [`Error::UnsupportedPendingVersion`].
///
/// ```
/// assert_eq!(playback_harness::pending::PENDING_FORMAT_VERSION, "1.0");
/// ```
pub const PENDING_FORMAT_VERSION: &str = "1.0";
const SUPPORTED_MAJOR: &str = "1";

/// What a pending file's name adds to its recording's: `<id>.json` has its pending
/// change in `<id>.json.pending`, which `DirStore` does not list.
///
/// ```
/// assert_eq!(playback_harness::pending::PENDING_SUFFIX, ".pending");
/// ```
pub const PENDING_SUFFIX: &str = ".pending";

/// The document, as written.
#[derive(Serialize)]
struct FileOut<'a> {
    format_version: &'static str,
    recording_id: &'a RecordingId,
    category: &'a str,
    test_name: &'a str,
    recording_fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    differences: &'a [Difference],
    recording: &'a Recording,
}

/// The document, as read (the recording is checked by the recording format's reader).
#[derive(Deserialize)]
struct FileIn {
    recording_id: RecordingId,
    category: String,
    test_name: String,
    recording_fingerprint: String,
    #[serde(default)]
    message: Option<String>,
    differences: Vec<Difference>,
    recording: Box<RawValue>,
}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: Option<String>,
}

/// One pending change: a recording whose replay differed, with the differences and the
/// recording as it would read once accepted ([`crate::pending::updated_recording`]).
///
/// ```
/// use playback_harness::pending;
/// let dir = tempfile::tempdir()?;
/// // `playback review` does this: show each change, then accept or reject it
/// for change in pending::find(dir.path())? {
///     println!("{}", change.render(false));
///     change.accept()?;
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pending {
    pending_path: PathBuf,
    recording_path: PathBuf,
    recording_id: RecordingId,
    category: String,
    test_name: String,
    fingerprint: String,
    message: Option<String>,
    differences: Vec<Difference>,
    updated: Recording,
}

impl Pending {
    /// Reads the pending file at `path` (`<recording file>.pending`).
    ///
    /// A file that is not JSON or not a pending file gives
    /// [`Error::CorruptPending`], another major format version
    /// [`Error::UnsupportedPendingVersion`], a file whose recording is not the one its
    /// name says [`Error::MisnamedPending`].
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("01KE4F9ZQE0000000000000000.json.pending");
    /// std::fs::write(&path, r#"{"format_version": "7.0"}"#)?;
    /// let err = playback_harness::pending::Pending::read(&path).unwrap_err();
    /// assert!(matches!(err, playback_harness::Error::UnsupportedPendingVersion { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(path: impl AsRef<Path>) -> Result<Pending, Error> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(Error::io(path, "read"))?;
        let corrupt = |source| Error::CorruptPending {
            path: path.to_owned(),
            source,
        };
        let probe: VersionProbe = serde_json::from_slice(&bytes).map_err(corrupt)?;
        let Some(version) = probe.format_version else {
            return Err(corrupt(serde::de::Error::missing_field("format_version")));
        };
        if version.split('.').next() != Some(SUPPORTED_MAJOR) {
            return Err(Error::UnsupportedPendingVersion {
                path: path.to_owned(),
                found: version,
                supported: PENDING_FORMAT_VERSION,
            });
        }
        let file: FileIn = serde_json::from_slice(&bytes).map_err(corrupt)?;
        let updated =
            Recording::from_json_at(file.recording.get().as_bytes(), &path.display().to_string())?;
        let recording_path = recording_path_of(path).ok_or_else(|| Error::MisnamedPending {
            path: path.to_owned(),
            found: updated.id.to_string(),
        })?;
        let expected = format!("{}.json", updated.id);
        if updated.id != file.recording_id
            || recording_path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str())
        {
            return Err(Error::MisnamedPending {
                path: path.to_owned(),
                found: updated.id.to_string(),
            });
        }
        Ok(Pending {
            pending_path: path.to_owned(),
            recording_path,
            recording_id: file.recording_id,
            category: file.category,
            test_name: file.test_name,
            fingerprint: file.recording_fingerprint,
            message: file.message,
            differences: file.differences,
            updated,
        })
    }

    /// Writes the pending change of the recording file `recording_path` (whose current
    /// content is `original`) next to it, and returns it.
    pub(crate) fn write(
        recording_path: &Path,
        original: &[u8],
        test_name: &str,
        comparison: &Comparison,
        updated: Recording,
    ) -> Result<Pending, Error> {
        let pending = Pending {
            pending_path: pending_path_of(recording_path),
            recording_path: recording_path.to_owned(),
            recording_id: updated.id.clone(),
            category: updated.category.clone(),
            test_name: test_name.to_owned(),
            fingerprint: fingerprint(original),
            message: comparison.message.clone(),
            differences: comparison.differences.clone(),
            updated,
        };
        let bytes = pending.to_json()?;
        write_atomic(&pending.pending_path, &bytes)?;
        Ok(pending)
    }

    /// The document, pretty-printed.
    pub(crate) fn to_json(&self) -> Result<Vec<u8>, Error> {
        let out = FileOut {
            format_version: PENDING_FORMAT_VERSION,
            recording_id: &self.recording_id,
            category: &self.category,
            test_name: &self.test_name,
            recording_fingerprint: &self.fingerprint,
            message: self.message.as_deref(),
            differences: &self.differences,
            recording: &self.updated,
        };
        let mut bytes = serde_json::to_vec_pretty(&out).map_err(|e| Error::Update {
            id: self.recording_id.to_string(),
            reason: format!("the pending change does not serialize: {e}"),
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The recording's id.
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("x.json.pending")?;
    /// println!("{}", change.recording_id());
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn recording_id(&self) -> &RecordingId {
        &self.recording_id
    }

    /// The recording's category.
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("x.json.pending")?;
    /// assert_eq!(change.category(), "quote");
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn category(&self) -> &str {
        &self.category
    }

    /// The name of the test that wrote it (`quote::6ZQE0A1B2C`), as `cargo test` lists it.
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("x.json.pending")?;
    /// assert!(change.test_name().starts_with("quote::"));
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn test_name(&self) -> &str {
        &self.test_name
    }

    /// The recording file the change applies to (the pending file's path without
    /// `.pending`).
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("a/x.json.pending")?;
    /// assert_eq!(change.recording_path(), std::path::Path::new("a/x.json"));
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn recording_path(&self) -> &Path {
        &self.recording_path
    }

    /// The pending file.
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("a/x.json.pending")?;
    /// assert_eq!(change.pending_path(), std::path::Path::new("a/x.json.pending"));
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn pending_path(&self) -> &Path {
        &self.pending_path
    }

    /// What differed, recorded against replayed, at JSON-pointer paths of the compared
    /// value (`/result/Ok/total`, `/outputs/0/args/order`).
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("x.json.pending")?;
    /// for d in change.differences() {
    ///     println!("{}: {:?} -> {:?}", d.path, d.recorded, d.replayed);
    /// }
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn differences(&self) -> &[Difference] {
        &self.differences
    }

    /// The comparator's message, if it gave one.
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("x.json.pending")?;
    /// println!("{}", change.message().unwrap_or(""));
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The recording as [`Pending::accept`] writes it.
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("x.json.pending")?;
    /// assert_eq!(change.updated().id(), change.recording_id());
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn updated(&self) -> &Recording {
        &self.updated
    }

    /// What `playback review` shows: the test name, the files, then the differences as
    /// the test failure prints them (a JSON pointer and a line diff each), coloured
    /// when `color` is true.
    ///
    /// ```no_run
    /// # let change = playback_harness::pending::Pending::read("x.json.pending")?;
    /// let text = change.render(false);
    /// assert!(text.starts_with(change.test_name()));
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn render(&self, color: bool) -> String {
        let mut comparison = Comparison::new(&self.updated, Status::Different);
        comparison.message = self.message.clone();
        comparison.differences = self.differences.clone();
        let body = comparison.render(
            &SummaryOptions::new()
                .color(color)
                .max_differences(usize::MAX)
                .max_lines(40),
        );
        format!(
            "{}\n  recording: {}\n  pending:   {}\n{body}",
            self.test_name,
            self.recording_path.display(),
            self.pending_path.display()
        )
    }

    /// Accepts the change: writes the updated recording over the recording file
    /// (atomically) and removes the pending file. See
    /// [`crate::pending::updated_recording`] for what changes in the recording.
    ///
    /// Fails with [`Error::StalePending`], changing nothing, when the recording file
    /// changed after the pending file was written.
    ///
    /// ```no_run
    /// for change in playback_harness::pending::find("tests/recordings")? {
    ///     change.accept()?;
    /// }
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn accept(&self) -> Result<(), Error> {
        let current =
            fs::read(&self.recording_path).map_err(Error::io(&self.recording_path, "read"))?;
        if fingerprint(&current) != self.fingerprint {
            return Err(Error::StalePending {
                path: self.recording_path.clone(),
            });
        }
        let bytes = self.updated.to_json()?;
        write_atomic(&self.recording_path, &bytes)?;
        remove(&self.pending_path)
    }

    /// Rejects the change: removes the pending file and leaves the recording as it is.
    ///
    /// ```no_run
    /// for change in playback_harness::pending::find("tests/recordings")? {
    ///     change.reject()?;
    /// }
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn reject(&self) -> Result<(), Error> {
        remove(&self.pending_path)
    }
}

/// Every pending change under `dir`, searched recursively (symbolic links are not
/// followed), sorted by path. A pending file that cannot be read fails the search with
/// its error, which names the file.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// assert!(playback_harness::pending::find(dir.path())?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn find(dir: impl AsRef<Path>) -> Result<Vec<Pending>, Error> {
    let mut paths = Vec::new();
    walk(dir.as_ref(), &mut paths)?;
    paths.sort();
    paths.iter().map(Pending::read).collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    for entry in fs::read_dir(dir).map_err(Error::io(dir, "list"))? {
        let entry = entry.map_err(Error::io(dir, "list"))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(Error::io(&path, "inspect"))?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() && is_pending_name(&entry.file_name().to_string_lossy()) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_pending_name(name: &str) -> bool {
    !name.starts_with('.') && name.ends_with(&format!(".json{PENDING_SUFFIX}"))
}

/// `<recording>.pending`.
pub(crate) fn pending_path_of(recording: &Path) -> PathBuf {
    let mut name = recording.as_os_str().to_owned();
    name.push(PENDING_SUFFIX);
    PathBuf::from(name)
}

fn recording_path_of(pending: &Path) -> Option<PathBuf> {
    let name = pending.file_name()?.to_str()?;
    let stem = name.strip_suffix(PENDING_SUFFIX)?;
    Some(pending.with_file_name(stem))
}

/// A stable fingerprint of a recording file: FNV-1a, 64 bits, in hex. It tells whether
/// the file changed since the pending change was computed; it is not a security check.
pub(crate) fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

/// Removes a file; one that is already gone is fine.
pub(crate) fn remove(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(path, "remove")(e)),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` through a hidden temporary file in the same directory,
/// renamed over it, so a reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let written = fs::File::create_new(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, "write")(e));
    }
    Ok(())
}
