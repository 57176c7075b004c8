//! File access as interceptions (playback-studio's file-open interception): drop-in
//! forms of `std::fs::read`, `read_to_string`, `metadata` and `write`. The `playback`
//! facade re-exports this module as `playback::fs`.
//!
//! [`read`], [`read_to_string`] and [`metadata`] are inputs and [`write()`] is an output,
//! each keyed by the path as given (`{"path": ".."}`; a relative path is not resolved).
//! Inside an operation, the result is recorded, errors included (a missing file is an
//! `Err` of kind `NotFound`). A replay hands back the recorded result without touching
//! the disk: the files need not exist, and a `write` is captured as an output, not done.
//! Outside any operation they are the `std::fs` functions.
//!
//! Contents are stored with the [`Bytes`] codec: as text when they are UTF-8, so a diff
//! reads as text, and as `{"base64": ..}` otherwise. Errors are stored with
//! [`IoError`](crate::codecs::IoError) and replay as an `io::Error` of the same kind and
//! message. With the `tokio` feature, `playback::fs::tokio` has the async forms, under
//! the same aliases: a recording made with one form replays with the other.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("greeting.txt");
//! playback_layer::fs::write(&path, "hello")?;          // outside an operation: std::fs
//! assert_eq!(playback_layer::fs::read_to_string(&path)?, "hello");
//! let missing = playback_layer::fs::read(dir.path().join("nope")).unwrap_err();
//! assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::panic::Location;
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::call::{Call, Replayed, run_call};
use crate::codec::Codec;
use crate::codecs::{Bytes, IoResult, Serde, StoredTime};
use crate::functions::dynamic_site;
use crate::site::{Kind, Site};

#[cfg(feature = "tokio")]
#[path = "fs_async.rs"]
pub mod tokio;

/// The aliases the file functions are recorded under.
pub(crate) const READ: &str = "playback::fs::read";
pub(crate) const READ_TO_STRING: &str = "playback::fs::read_to_string";
pub(crate) const METADATA: &str = "playback::fs::metadata";
pub(crate) const WRITE: &str = "playback::fs::write";

/// The key of a file input: `{"path": ".."}` (lossy UTF-8, so every path is recordable).
#[derive(Debug, Serialize)]
pub(crate) struct PathKey {
    path: String,
}

impl PathKey {
    pub(crate) fn new(path: &Path) -> PathKey {
        PathKey {
            path: path.to_string_lossy().into_owned(),
        }
    }
}

/// The arguments of a file write: `{"path": .., "contents": ..}`, contents as [`Bytes`]
/// stores them.
#[derive(Debug, Serialize)]
pub(crate) struct WriteArgs<'a> {
    path: String,
    contents: crate::codecs::BytesRef<'a>,
}

impl<'a> WriteArgs<'a> {
    pub(crate) fn new(path: &Path, contents: &'a [u8]) -> WriteArgs<'a> {
        WriteArgs {
            path: path.to_string_lossy().into_owned(),
            contents: crate::codecs::BytesRef(contents),
        }
    }
}

/// What [`metadata`] records and returns: a serializable subset of
/// [`std::fs::Metadata`]. It is not `std::fs::Metadata` (which cannot be built from
/// recorded data): it has the same `len`, `is_file`, `is_dir` and `modified` methods, and
/// `readonly()` for `permissions().readonly()`. Stored as
/// `{"len": 5, "is_file": true, "is_dir": false, "modified": "<RFC 3339>", "readonly": false}`.
///
/// ```
/// let file = tempfile::NamedTempFile::new()?;
/// std::fs::write(file.path(), "12345")?;
/// let meta = playback_layer::fs::metadata(file.path())?;
/// assert_eq!((meta.len(), meta.is_file(), meta.is_dir()), (5, true, false));
/// assert!(meta.modified()? <= std::time::SystemTime::now());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    len: u64,
    is_file: bool,
    is_dir: bool,
    /// `None` where the platform has no modification time.
    modified: Option<StoredTime>,
    readonly: bool,
}

impl Metadata {
    /// The size of the file, in bytes.
    ///
    /// ```
    /// let meta = playback_layer::fs::metadata(std::env::temp_dir())?;
    /// assert!(meta.is_dir() && !meta.is_file());
    /// let _ = meta.len();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether [`len`](Self::len) is zero.
    ///
    /// ```
    /// let file = tempfile::NamedTempFile::new()?;
    /// assert!(playback_layer::fs::metadata(file.path())?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether this is a regular file (links are followed, as `std::fs::metadata` does).
    ///
    /// ```
    /// let file = tempfile::NamedTempFile::new()?;
    /// assert!(playback_layer::fs::metadata(file.path())?.is_file());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_file(&self) -> bool {
        self.is_file
    }

    /// Whether this is a directory.
    ///
    /// ```
    /// assert!(playback_layer::fs::metadata(std::env::temp_dir())?.is_dir());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_dir(&self) -> bool {
        self.is_dir
    }

    /// The last modification time, to the nanosecond; an `Unsupported` error where the
    /// platform has none (as `std::fs::Metadata::modified`).
    ///
    /// ```
    /// let file = tempfile::NamedTempFile::new()?;
    /// let meta = playback_layer::fs::metadata(file.path())?;
    /// assert_eq!(meta.modified()?, std::fs::metadata(file.path())?.modified()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn modified(&self) -> io::Result<SystemTime> {
        self.modified.map(StoredTime::into_inner).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "modification time is not available on this platform",
            )
        })
    }

    /// Whether the file is read-only (`permissions().readonly()`).
    ///
    /// ```
    /// let file = tempfile::NamedTempFile::new()?;
    /// assert!(!playback_layer::fs::metadata(file.path())?.readonly());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn readonly(&self) -> bool {
        self.readonly
    }
}

impl From<std::fs::Metadata> for Metadata {
    fn from(meta: std::fs::Metadata) -> Metadata {
        Metadata {
            len: meta.len(),
            is_file: meta.is_file(),
            is_dir: meta.is_dir(),
            modified: meta.modified().ok().map(StoredTime::new),
            readonly: meta.permissions().readonly(),
        }
    }
}

/// Runs a file call as an interception whose result goes through codec `C`.
fn intercept<C, T, K>(site: &Site, key: &K, f: impl FnOnce() -> io::Result<T>) -> io::Result<T>
where
    C: Codec<io::Result<T>>,
    K: Serialize,
{
    let mut call = Call::begin(site);
    if let Some(c) = &mut call {
        c.whole(key);
        if let Replayed::Value(v) = c.replay::<C::Stored>() {
            return C::replay(v);
        }
    }
    let ret = run_call(&mut call, f);
    if let Some(c) = call {
        c.finish_with(|| C::record(&ret), ret.is_err());
    }
    ret
}

/// `std::fs::read` as an input keyed by `path`: replayed contents, no file needed.
///
/// ```
/// let file = tempfile::NamedTempFile::new()?;
/// std::fs::write(file.path(), [0xff, 0x00])?;
/// assert_eq!(playback_layer::fs::read(file.path())?, [0xff, 0x00]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn read<P: AsRef<Path>>(path: P) -> io::Result<Vec<u8>> {
    let site = dynamic_site(Kind::Input, READ, Location::caller());
    let path = path.as_ref();
    intercept::<IoResult<Bytes>, _, _>(&site, &PathKey::new(path), || std::fs::read(path))
}

/// `std::fs::read_to_string` as an input keyed by `path`.
///
/// ```
/// let file = tempfile::NamedTempFile::new()?;
/// std::fs::write(file.path(), "port = 6379")?;
/// assert_eq!(playback_layer::fs::read_to_string(file.path())?, "port = 6379");
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn read_to_string<P: AsRef<Path>>(path: P) -> io::Result<String> {
    let site = dynamic_site(Kind::Input, READ_TO_STRING, Location::caller());
    let path = path.as_ref();
    intercept::<IoResult<Serde>, _, _>(&site, &PathKey::new(path), || std::fs::read_to_string(path))
}

/// `std::fs::metadata` as an input keyed by `path`, returning the recordable
/// [`Metadata`] subset.
///
/// ```
/// let err = playback_layer::fs::metadata("/no/such/file").unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// ```
#[track_caller]
pub fn metadata<P: AsRef<Path>>(path: P) -> io::Result<Metadata> {
    let site = dynamic_site(Kind::Input, METADATA, Location::caller());
    let path = path.as_ref();
    intercept::<IoResult<Serde>, _, _>(&site, &PathKey::new(path), || {
        std::fs::metadata(path).map(Metadata::from)
    })
}

/// `std::fs::write` as an output: the path and contents are recorded (and compared on
/// replay), and a replay returns the recorded result without writing.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// playback_layer::fs::write(dir.path().join("out.txt"), b"done")?;
/// assert_eq!(std::fs::read(dir.path().join("out.txt"))?, b"done");
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> io::Result<()> {
    let site = dynamic_site(Kind::Output, WRITE, Location::caller());
    let (path, contents) = (path.as_ref(), contents.as_ref());
    intercept::<IoResult<Serde>, _, _>(&site, &WriteArgs::new(path, contents), || {
        std::fs::write(path, contents)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_stored_as_a_readable_subset() {
        let meta = Metadata {
            len: 5,
            is_file: true,
            is_dir: false,
            modified: Some(StoredTime::new(std::time::UNIX_EPOCH)),
            readonly: true,
        };
        let json = serde_json::to_value(&meta).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"len": 5, "is_file": true, "is_dir": false,
                "modified": "1970-01-01T00:00:00Z", "readonly": true})
        );
        let back: Metadata = serde_json::from_value(json).unwrap();
        assert_eq!(back, meta);
        let none = Metadata {
            modified: None,
            ..meta
        };
        assert_eq!(
            none.modified().unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
    }

    #[test]
    fn write_arguments_are_text_or_base64() {
        let args = WriteArgs::new(Path::new("a.txt"), b"hi");
        assert_eq!(
            serde_json::to_string(&args).unwrap(),
            r#"{"path":"a.txt","contents":"hi"}"#
        );
        let args = WriteArgs::new(Path::new("a.bin"), &[0xff]);
        assert_eq!(
            serde_json::to_string(&args).unwrap(),
            r#"{"path":"a.bin","contents":{"base64":"/w=="}}"#
        );
    }
}
