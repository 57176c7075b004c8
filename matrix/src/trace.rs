//! The trace: one JSON line per walk run, and reading it back.

use std::fs::File;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use playback_compare::AxisOption;
use serde::{Deserialize, Serialize};

use crate::error::MatrixError;
use crate::walk::WalkId;

/// Set to a walk id to make [`crate::Matrix::run`] and [`crate::RecordingMatrix::run`]
/// re-run only that walk, read from the trace ([`TRACE_ENV`] or the matrix's own
/// `trace` path): what `playback matrix replay` tells you to run.
pub const WALK_ENV: &str = "PLAYBACK_MATRIX_WALK";
/// The trace to read the walk of [`WALK_ENV`] from.
pub const TRACE_ENV: &str = "PLAYBACK_MATRIX_TRACE";

/// One line of a trace: a walk that ran (or was cut short), human-readable.
///
/// ```json
/// {"id":"5f1c0a7e9b2d4c31","recording":"01J...","options":[{"axis":"rounding","value":"floor"}],"outcome":"different"}
/// {"id":"0b9e22c4d1f3a865","options":[{"axis":"qty","value":0}],"outcome":"failed","failed_at":"qty","error":"zero"}
/// ```
///
/// The first line of a trace is a header, `{"trace":"playback-matrix","command":[..]}`,
/// with the command line of the process that wrote it.
///
/// ```
/// let line: playback_matrix::TraceLine = serde_json::from_str(
///     r#"{"id":"00000000000000ff","options":[],"outcome":"ok"}"#)?;
/// assert_eq!(line.id.to_string(), "00000000000000ff");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TraceLine {
    /// The walk's id.
    pub id: WalkId,
    /// The recording replayed (matrices over recordings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    /// The walk's options, in declared order.
    pub options: Vec<AxisOption>,
    /// `ok` or `failed` for an action matrix; the comparison's status (`equal`,
    /// `different`, `failed`, ...) for a matrix over recordings.
    pub outcome: String,
    /// The action that ended the walk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<String>,
    /// Its error, or the comparison's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The header line of a trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TraceHeader {
    pub(crate) trace: String,
    pub(crate) command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shard: Option<String>,
}

/// Writes trace lines as they come.
pub(crate) struct TraceWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl TraceWriter {
    pub(crate) fn create(path: &Path, shard: Option<String>) -> Result<TraceWriter, MatrixError> {
        let error = |source| MatrixError::WriteTrace {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(error)?;
        }
        let mut out = BufWriter::new(File::create(path).map_err(error)?);
        let header = TraceHeader {
            trace: "playback-matrix".to_owned(),
            command: std::env::args().collect(),
            shard,
        };
        serde_json::to_writer(&mut out, &header).map_err(|e| error(e.into()))?;
        out.write_all(b"\n").map_err(error)?;
        Ok(TraceWriter {
            path: path.to_owned(),
            out,
        })
    }

    pub(crate) fn line(&mut self, line: &TraceLine) -> Result<(), MatrixError> {
        let error = |source| MatrixError::WriteTrace {
            path: self.path.clone(),
            source,
        };
        serde_json::to_writer(&mut self.out, line).map_err(|e| error(e.into()))?;
        self.out.write_all(b"\n").map_err(error)
    }

    pub(crate) fn finish(mut self) -> Result<(), MatrixError> {
        self.out.flush().map_err(|source| MatrixError::WriteTrace {
            path: self.path.clone(),
            source,
        })
    }
}

/// Reads the line of walk `id` from a trace, and the trace's command line.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("trace.jsonl");
/// std::fs::write(&path, "{\"trace\":\"playback-matrix\",\"command\":[\"t\"]}\n{\"id\":\"00000000000000ff\",\"options\":[],\"outcome\":\"ok\"}\n")?;
/// let (line, command) = playback_matrix::find_walk(&path, "00000000000000ff".parse()?)?;
/// assert_eq!(line.outcome, "ok");
/// assert_eq!(command, ["t"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn find_walk(
    trace: impl AsRef<Path>,
    id: WalkId,
) -> Result<(TraceLine, Vec<String>), MatrixError> {
    let path = trace.as_ref();
    let file = File::open(path).map_err(|source| MatrixError::ReadTrace {
        path: path.to_owned(),
        source,
    })?;
    let mut command = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| MatrixError::ReadTrace {
            path: path.to_owned(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let parse_error = |source| MatrixError::ParseTrace {
            path: path.to_owned(),
            line: n + 1,
            source,
        };
        let value: serde_json::Value = serde_json::from_str(&line).map_err(parse_error)?;
        if value.get("trace").is_some() {
            if let Ok(header) = serde_json::from_value::<TraceHeader>(value) {
                command = header.command;
            }
            continue;
        }
        let walk: TraceLine = serde_json::from_value(value).map_err(parse_error)?;
        if walk.id == id {
            return Ok((walk, command));
        }
    }
    Err(MatrixError::WalkNotInTrace {
        id: id.to_string(),
        trace: path.to_owned(),
    })
}
