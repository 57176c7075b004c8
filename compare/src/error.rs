//! The error type of reports and sharding.

use std::io;
use std::path::PathBuf;

/// What can go wrong while writing, reading or merging reports, or choosing a shard.
///
/// Problems with one recording never show up here: they become that recording's
/// [`crate::Status::Failed`] or [`crate::Status::Error`] in the report.
///
/// ```
/// let err = playback_compare::Shard::new(5, 4).unwrap_err();
/// assert_eq!(err.to_string(), "invalid shard 5/4: the index must be between 1 and the total, and the total at least 1");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A shard index outside `1..=total`.
    #[error(
        "invalid shard {index}/{total}: the index must be between 1 and the total, and the total at least 1"
    )]
    InvalidShard {
        /// The index given.
        index: u32,
        /// The total given.
        total: u32,
    },

    /// A shard written other than `k/n`.
    #[error("invalid shard {text:?}: write it as `k/n`, for example `2/4`")]
    ShardSyntax {
        /// The text given.
        text: String,
    },

    /// A report file could not be written.
    #[error("failed to write report `{path}`: check that the directory is writable", path = path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A report file could not be read.
    #[error("failed to read report `{path}`: check that the file exists", path = path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A JSON report could not be parsed.
    #[error(
        "report {origin} is not a valid playback JSON report: write it with `Report::write_json`"
    )]
    Parse {
        /// Where the document came from.
        origin: String,
        /// What the parser found.
        #[source]
        source: serde_json::Error,
    },

    /// A JSON report of another format version.
    #[error(
        "report {origin} has format version {found} but this playback reads {supported}: merge reports written by the same playback version"
    )]
    UnsupportedVersion {
        /// Where the document came from.
        origin: String,
        /// The version found.
        found: String,
        /// The version this crate writes.
        supported: &'static str,
    },

    /// Two merged reports hold the same recording: the shards overlap.
    #[error(
        "recording {id} ({category}) is in more than one of the merged reports: merge the reports of distinct shards of one run"
    )]
    DuplicateRecording {
        /// The recording's id.
        id: String,
        /// Its category.
        category: String,
    },

    /// A report could not be serialized.
    #[error("failed to serialize the report as {format}")]
    Serialize {
        /// `"JSON"` or `"JUnit XML"`.
        format: &'static str,
        /// The serializer's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
