//! The harness's error type.

use std::io;
use std::path::PathBuf;

use playback_store::StoreError;

/// Everything that can go wrong while loading recordings, or reading, writing,
/// accepting or rejecting a pending change.
///
/// Messages are lowercase fragments that say what went wrong and what to do.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let bad = dir.path().join("01KE4F9ZQE0000000000000000.json.pending");
/// std::fs::write(&bad, "{ not json")?;
/// let err = playback_harness::pending::Pending::read(&bad).unwrap_err();
/// assert!(matches!(err, playback_harness::Error::CorruptPending { .. }));
/// assert!(err.to_string().contains("re-run the tests with PLAYBACK_UPDATE=new"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read, written or removed.
    #[error("failed to {op} {}: check that it exists and that you may write to it", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done (`read`, `write`, `remove`, ...).
        op: &'static str,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// A pending file is not valid JSON or does not have the pending file's shape.
    #[error(
        "pending file {} is corrupt or truncated: delete it, and re-run the tests with \
         PLAYBACK_UPDATE=new to write it again",
        path.display()
    )]
    CorruptPending {
        /// The pending file.
        path: PathBuf,
        /// What the JSON parser found.
        #[source]
        source: serde_json::Error,
    },

    /// A pending file was written by a playback with a format this one cannot read.
    #[error(
        "pending file {} has format version {found}, but this playback reads {supported}: \
         upgrade playback, or delete the file and re-run the tests with PLAYBACK_UPDATE=new",
        path.display()
    )]
    UnsupportedPendingVersion {
        /// The pending file.
        path: PathBuf,
        /// The version it says it has.
        found: String,
        /// The version this crate writes.
        supported: &'static str,
    },

    /// A pending file's name does not match the recording it holds.
    #[error(
        "pending file {} holds recording {found}, not the recording its name says: delete it, \
         and re-run the tests with PLAYBACK_UPDATE=new",
        path.display()
    )]
    MisnamedPending {
        /// The pending file.
        path: PathBuf,
        /// The id of the recording inside it.
        found: String,
    },

    /// The recording changed after its pending change was written, so accepting it would
    /// overwrite that change.
    #[error(
        "recording {} changed after its pending change was written: reject the pending change \
         and re-run the tests with PLAYBACK_UPDATE=new",
        path.display()
    )]
    StalePending {
        /// The recording file.
        path: PathBuf,
    },

    /// A recording could not be read, listed or fetched.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// A recording could not be updated from its replay.
    #[error(
        "cannot update recording {id} from its replay: {reason}; fix the replay, or \
         re-record the operation"
    )]
    Update {
        /// The recording's id.
        id: String,
        /// Why.
        reason: String,
    },

    /// The recordings directory given to [`crate::Harness::dir`] does not exist.
    #[error(
        "the recordings directory {} does not exist: fix the path given to Harness::dir \
         (relative paths start at the package root), or pull recordings into it with \
         `playback pull QUERY --to {}`",
        path.display(),
        path.display()
    )]
    MissingDir {
        /// The directory.
        path: PathBuf,
    },

    /// The harness has no source of recordings.
    #[error("the harness has no recordings: call Harness::dir(PATH) or Harness::store(STORE)")]
    NoSource,

    /// `PLAYBACK_UPDATE` holds a value that is not a mode.
    #[error("PLAYBACK_UPDATE={value} is not a mode: use no, new or always")]
    UpdateMode {
        /// The value found.
        value: String,
    },
}

impl Error {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        op: &'static str,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, op, source }
    }
}
