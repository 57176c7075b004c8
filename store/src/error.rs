//! The store's error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while reading, writing or listing recordings.
///
/// Messages are lowercase fragments that say what went wrong and what to do about it;
/// the underlying cause, when there is one, is available through
/// [`std::error::Error::source`].
///
/// ```
/// use playback_store::{MemoryStore, RecordingId, Store, StoreError};
/// let id = RecordingId::parse("01J0000000000000000000000A")?;
/// let err = MemoryStore::new().get(&id).unwrap_err();
/// assert!(matches!(err, StoreError::NotFound { .. }));
/// assert_eq!(
///     err.to_string(),
///     "recording 01J0000000000000000000000A not found: check the id with `store.list()`"
/// );
/// # Ok::<(), StoreError>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// [`crate::Recording::arg`] was asked for an argument the recording does not have.
    #[error(
        "recording {id} has no argument `{name}` (it has: {available}): check the argument name \
         against the recorded function's signature"
    )]
    MissingArg {
        /// The recording's id.
        id: String,
        /// The argument asked for.
        name: String,
        /// The recorded argument names, comma-separated.
        available: String,
    },

    /// A recorded argument no longer deserializes into the requested type.
    #[error(
        "argument `{name}` of recording {id} does not deserialize as `{type_name}`: the type \
         changed since it was recorded; re-record the operation or accept the old shape"
    )]
    ArgType {
        /// The recording's id.
        id: String,
        /// The argument's name.
        name: String,
        /// The Rust type asked for.
        type_name: &'static str,
        /// Why deserialization failed.
        #[source]
        source: serde_json::Error,
    },

    /// A recording could not be serialized as JSON.
    #[error(
        "failed to serialize recording {id}: make every recorded value serializable as JSON \
         (for example, maps need string keys)"
    )]
    Serialize {
        /// The recording's id.
        id: String,
        /// Why serialization failed.
        #[source]
        source: serde_json::Error,
    },

    /// A stored recording is not valid JSON, is truncated, or does not have the
    /// recording's shape.
    #[error("recording at {origin} is corrupt or truncated: delete it, or restore it from a copy")]
    Corrupt {
        /// Where the document came from (a path, an object key or `<memory>`).
        origin: String,
        /// What the JSON parser found.
        #[source]
        source: serde_json::Error,
    },

    /// A stored recording or index object larger than [`crate::MAX_RECORDING_BYTES`]; it
    /// is refused before it is read into memory.
    #[error(
        "recording at {origin} is {size} bytes, over the {limit}-byte limit on what a store \
         reads (MAX_RECORDING_BYTES): it is not a recording playback wrote; delete it or move \
         it out of the store"
    )]
    TooLarge {
        /// Where the document is (a path or an object key).
        origin: String,
        /// Its size in bytes (at least `limit + 1` when the size was not known up front).
        size: u64,
        /// The limit, [`crate::MAX_RECORDING_BYTES`].
        limit: u64,
    },

    /// A stored document nested deeper than [`crate::MAX_JSON_DEPTH`] arrays or
    /// objects; the parser stops there instead of recursing further.
    #[error(
        "recording at {origin} nests JSON deeper than {limit} levels, the most a store reads: \
         it is not a recording playback wrote; delete it or move it out of the store"
    )]
    TooDeep {
        /// Where the document is (a path or an object key).
        origin: String,
        /// The limit, [`crate::MAX_JSON_DEPTH`].
        limit: usize,
    },

    /// A JSON document without a `format_version` field, so not a recording.
    #[error(
        "{origin} is not a playback recording (it has no `format_version` field): move it out \
         of the store"
    )]
    NotARecording {
        /// Where the document came from.
        origin: String,
    },

    /// A recording written by a newer, incompatible version of playback.
    #[error(
        "recording at {origin} has format version {found} but this playback reads version \
         {supported}: upgrade playback to read it"
    )]
    UnsupportedVersion {
        /// Where the document came from.
        origin: String,
        /// The version found in the document.
        found: String,
        /// The version this crate writes (and reads, with the same major).
        supported: &'static str,
    },

    /// A recording id that is not 1 to 64 characters of `[0-9A-Za-z_-]`.
    #[error(
        "invalid recording id {id:?}: {reason}; ids are 1 to 64 characters among `A-Z a-z 0-9 _ -`"
    )]
    InvalidId {
        /// The rejected id (possibly shortened).
        id: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A category that cannot be used as a folder name inside a store.
    #[error("invalid category {category:?}: {reason}; use a plain name such as `checkout`")]
    InvalidCategory {
        /// The rejected category (possibly shortened).
        category: String,
        /// What is wrong with it.
        reason: String,
    },

    /// No recording with this id.
    #[error("recording {id} not found: check the id with `store.list()`")]
    NotFound {
        /// The id asked for.
        id: String,
    },

    /// A recording's content does not match where it is stored (it was moved or renamed).
    #[error(
        "recording at {origin} holds id {found_id} in category {found_category:?}, which does \
         not match its location: move it back to `<category>/<date>/<id>.json`"
    )]
    Misplaced {
        /// Where the document was found.
        origin: String,
        /// The id written inside the document.
        found_id: String,
        /// The category written inside the document.
        found_category: String,
    },

    /// A symbolic link inside a directory store; the store never follows them so it
    /// cannot be led outside its root.
    #[error(
        "refusing to follow the symbolic link `{path}` inside the store: replace it with a real \
         directory or file",
        path = path.display()
    )]
    Symlink {
        /// The link's path.
        path: PathBuf,
    },

    /// A file-system operation failed.
    #[error(
        "failed to {op} `{path}`: check that the path exists and that this process may access it",
        path = path.display()
    )]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What was being done (`"read"`, `"create directory"`, ...).
        op: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A write or delete on a store opened read-only.
    #[error("store {store} is read-only: open it writable to put or delete recordings")]
    ReadOnly {
        /// The store's description (a path or a bucket).
        store: String,
    },

    /// A remote store (S3, ...) failed.
    #[error("{store} store failed to {op}: {message}")]
    Backend {
        /// Which store (for example `"s3"`).
        store: String,
        /// What was being done (`"put"`, `"list"`, ...).
        op: &'static str,
        /// What went wrong and what to do: names the bucket, the key and the reason.
        message: String,
        /// The client's error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// Shortens user input quoted in an error message so a huge value cannot flood logs.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_input_and_cuts_long_input_on_a_char_boundary() {
        assert_eq!(shorten("abc"), "abc");
        let long = "é".repeat(100);
        let short = shorten(&long);
        assert!(short.ends_with("..."));
        assert_eq!(short.len(), 80 + 3);
    }

    #[test]
    fn io_error_names_path_and_operation() {
        let err = StoreError::Io {
            path: PathBuf::from("/tmp/x.json"),
            op: "read",
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert_eq!(
            err.to_string(),
            "failed to read `/tmp/x.json`: check that the path exists and that this process may \
             access it"
        );
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn backend_error_carries_message_and_optional_source() {
        let err = StoreError::Backend {
            store: "s3".into(),
            op: "put",
            message: "bucket `b` key `k`: access denied; check the credentials".into(),
            source: None,
        };
        assert_eq!(
            err.to_string(),
            "s3 store failed to put: bucket `b` key `k`: access denied; check the credentials"
        );
        assert!(std::error::Error::source(&err).is_none());
    }
}
