//! The errors of scenario matrices.

use std::path::PathBuf;

/// What can go wrong around a matrix run: its trace, replaying a walk by id, the
/// shard settings.
///
/// ```
/// let err = playback_matrix::MatrixError::WalkNotInTrace { id: "00000000000000ff".into(), trace: "t.jsonl".into() };
/// assert!(err.to_string().contains("walk 00000000000000ff is not in the trace t.jsonl"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MatrixError {
    /// The trace file could not be written.
    #[error(
        "failed to write the matrix trace {path}: {source}; check that its directory is writable"
    )]
    WriteTrace {
        /// The trace file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The trace file could not be read.
    #[error("failed to read the matrix trace {path}: {source}")]
    ReadTrace {
        /// The trace file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line of the trace is not a trace line.
    #[error("line {line} of the matrix trace {path} is not a walk: {source}")]
    ParseTrace {
        /// The trace file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// No line of the trace has this walk id.
    #[error(
        "walk {id} is not in the trace {trace}; `playback matrix replay --trace {trace}` lists nothing for it: check the id and that the trace is from this matrix"
    )]
    WalkNotInTrace {
        /// The walk id.
        id: String,
        /// The trace file.
        trace: PathBuf,
    },
    /// A walk of the trace names an axis this matrix does not have, or misses one.
    #[error(
        "walk {id} of the trace does not fit this matrix: {reason}; replay it with the matrix (same axes) that wrote the trace"
    )]
    TraceMismatch {
        /// The walk id.
        id: String,
        /// What does not fit.
        reason: String,
    },
    /// A walk's recording is not among the matrix's recordings.
    #[error(
        "walk {id} replays recording {recording}, which this matrix was not given; load the same recordings as the run that wrote the trace"
    )]
    UnknownRecording {
        /// The walk id.
        id: String,
        /// The recording id.
        recording: String,
    },
    /// A walk id that is not 16 hexadecimal digits.
    #[error("`{text}` is not a walk id: expected 16 hexadecimal digits, as in the trace")]
    WalkIdSyntax {
        /// The text.
        text: String,
    },
    /// The shard settings are invalid.
    #[error("invalid shard settings: {reason}")]
    Shard {
        /// What is wrong, and what to set.
        reason: String,
    },
}
