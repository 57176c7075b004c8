//! `playback diff A B`: a structural diff of two recordings (ids or files) or of two
//! report files, by JSON-pointer path.

use std::fmt::Write as _;
use std::path::Path;

use clap::Args;
use playback_compare::{Difference, JsonDiff, Report};
use playback_store::{Recording, RecordingId};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::args::Global;
use crate::error::CliError;
use crate::open::{Access, Location, Opened};
use crate::output::{Paint, print};

/// Paths of a recording that differ between any two recordings: left out unless
/// `--all` is given.
const RECORDING_NOISE: [&str; 4] = ["/id", "/recorded_at", "/duration_us", "/format_version"];
/// Paths of a report that differ between any two runs.
const REPORT_NOISE: [&str; 4] = [
    "/generated_at",
    "/elapsed_ms",
    "/comparisons/*/recorded_duration_us",
    "/comparisons/*/replayed_duration_us",
];

/// `playback diff A B [--ignore PATH]... [--all] [--json]`.
#[derive(Debug, Args)]
#[command(
    after_help = "A and B are recording ids in the store, recording files, or report files
(`.json` written by `Report::write_json` or `report merge`); the kind is read
from the content. Exit code 0: the same; 1: different.

Examples:
  playback diff 01KE4F9ZQE0000000000000000 01KE4FA3M70000000000000000 --dir recordings
  playback diff before/report.json after/report.json --ignore '/comparisons/*/message'"
)]
pub(crate) struct DiffArgs {
    /// The left side: a recording id, a recording file or a report file.
    #[arg(value_name = "A")]
    pub(crate) a: String,

    /// The right side, of the same kind as A.
    #[arg(value_name = "B")]
    pub(crate) b: String,

    /// A JSON-pointer pattern to leave out (`*` is one segment, `**` any number);
    /// repeatable.
    #[arg(long, value_name = "PATH")]
    pub(crate) ignore: Vec<String>,

    /// Also compare ids, times, durations and the format version.
    #[arg(long)]
    pub(crate) all: bool,

    /// Print JSON: `{"kind", "same", "differences": [{"path", "a", "b"}]}`.
    #[arg(long)]
    pub(crate) json: bool,
}

/// One side, loaded.
enum Side {
    Recording(Box<Recording>),
    Report(Box<Report>),
}

impl Side {
    fn kind(&self) -> &'static str {
        match self {
            Side::Recording(_) => "recording",
            Side::Report(_) => "report",
        }
    }
}

/// What `diff --json` prints.
#[derive(Debug, Serialize)]
struct DiffOut<'a> {
    kind: &'static str,
    same: bool,
    differences: Vec<DiffEntry<'a>>,
}

#[derive(Debug, Serialize)]
struct DiffEntry<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<&'a Value>,
}

pub(crate) fn run(global: &Global, args: &DiffArgs) -> Result<u8, CliError> {
    let mut store = None;
    let a = load(&args.a, global, &mut store)?;
    let b = load(&args.b, global, &mut store)?;
    let (kind, noise, left, right) = match (&a, &b) {
        (Side::Recording(a), Side::Recording(b)) => {
            ("recording", &RECORDING_NOISE, to_value(a), to_value(b))
        }
        (Side::Report(a), Side::Report(b)) => {
            ("report", &REPORT_NOISE, report_value(a)?, report_value(b)?)
        }
        _ => {
            return Err(CliError::MixedKinds {
                a: a.kind(),
                b: b.kind(),
            });
        }
    };
    let mut differ = JsonDiff::new();
    if !args.all {
        for path in noise {
            differ = differ.ignore(path);
        }
    }
    for path in &args.ignore {
        differ = differ.ignore(path);
    }
    let differences = differ.diff(&left, &right);
    if args.json {
        let out = DiffOut {
            kind,
            same: differences.is_empty(),
            differences: differences
                .iter()
                .map(|d| DiffEntry {
                    path: &d.path,
                    a: d.recorded.as_ref(),
                    b: d.replayed.as_ref(),
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&out).expect("plain data serializes");
        text.push('\n');
        print(&text);
    } else {
        print(&render(
            kind,
            &args.a,
            &args.b,
            &differences,
            Paint {
                on: global.color.enabled(),
            },
        ));
    }
    Ok(if differences.is_empty() {
        crate::exit::OK
    } else {
        crate::exit::DIFFERENT
    })
}

/// A file (recording or report, by content), or else a recording id in the store.
fn load(arg: &str, global: &Global, store: &mut Option<Opened>) -> Result<Side, CliError> {
    let path = Path::new(arg);
    if path.is_file() {
        return load_file(path);
    }
    let id = RecordingId::parse(arg).map_err(|_| CliError::NotFileOrId {
        arg: arg.to_owned(),
    })?;
    if store.is_none() {
        *store = Some(Location::from_flags(global)?.open(Access::Read)?);
    }
    let opened = store.as_ref().expect("opened above");
    Ok(Side::Recording(Box::new(opened.store().get(&id)?)))
}

fn load_file(path: &Path) -> Result<Side, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Io {
        op: "read",
        path: path.to_owned(),
        source,
    })?;
    let unknown = || CliError::UnknownDocument {
        path: path.to_owned(),
    };
    let doc: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| unknown())?;
    if doc.get("format").and_then(Value::as_str) == Some("playback-report") {
        return Ok(Side::Report(Box::new(Report::read_json(path)?)));
    }
    if doc.contains_key("format_version") {
        let origin = path.display().to_string();
        return Ok(Side::Recording(Box::new(Recording::from_json_at(
            &bytes, &origin,
        )?)));
    }
    Err(unknown())
}

fn to_value(rec: &Recording) -> Value {
    serde_json::to_value(rec).expect("a loaded recording serializes")
}

/// A report as JSON with its comparisons keyed by recording id, so that a recording
/// present on one side only is one difference, not a shifted array.
fn report_value(report: &Report) -> Result<Value, CliError> {
    let mut doc: Value = serde_json::from_str(&report.to_json()?).expect("a report is JSON");
    if let Some(Value::Array(list)) = doc.get_mut("comparisons").map(Value::take) {
        let mut by_id = Map::new();
        for mut c in list {
            let id = c
                .as_object_mut()
                .and_then(|c| c.remove("recording_id"))
                .and_then(|id| id.as_str().map(str::to_owned))
                .unwrap_or_default();
            by_id.insert(id, c);
        }
        doc["comparisons"] = Value::Object(by_id);
    }
    Ok(doc)
}

fn render(kind: &str, a: &str, b: &str, differences: &[Difference], paint: Paint) -> String {
    let mut out = String::new();
    if differences.is_empty() {
        let _ = writeln!(out, "the two {kind}s are the same");
        return out;
    }
    let _ = writeln!(out, "{} {a}", paint.removed("---"));
    let _ = writeln!(out, "{} {b}", paint.added("+++"));
    for d in differences {
        let _ = writeln!(
            out,
            "{}",
            paint.bold(if d.path.is_empty() { "/" } else { &d.path })
        );
        if let Some(v) = &d.recorded {
            let _ = writeln!(out, "  {}", paint.removed(&format!("- {}", compact(v))));
        }
        if let Some(v) = &d.replayed {
            let _ = writeln!(out, "  {}", paint.added(&format!("+ {}", compact(v))));
        }
    }
    let _ = writeln!(
        out,
        "{} difference(s) between the two {kind}s",
        differences.len()
    );
    out
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
