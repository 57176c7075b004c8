//! `playback show ID`: one recording, pretty, with its interceptions in call order.

use std::fmt::Write as _;

use clap::Args;
use playback_store::{InterceptionKind, OpResult, Recording, RecordingId};
use serde_json::Value;

use crate::args::Global;
use crate::error::CliError;
use crate::open::{Access, open};
use crate::output::{Paint, print};
use crate::when::{format_micros, format_time};

/// `playback show ID [--json]`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  playback show 01KE4F9ZQE0000000000000000 --dir tests/recordings
  playback show 01KE4F9ZQE0000000000000000 --json > recording.json")]
pub(crate) struct ShowArgs {
    /// The recording's id, as `playback list` prints it.
    #[arg(value_name = "ID")]
    pub(crate) id: String,

    /// Print the recording's JSON document, as stored.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn run(global: &Global, args: &ShowArgs) -> Result<u8, CliError> {
    let id = RecordingId::parse(&args.id)?;
    let opened = open(global, Access::Read)?;
    let recording = opened.store().get(&id)?;
    if args.json {
        let mut text = String::from_utf8(recording.to_json()?).expect("serde_json writes UTF-8");
        text.push('\n');
        print(&text);
    } else {
        print(&render(
            &recording,
            Paint {
                on: global.color.enabled(),
            },
        ));
    }
    Ok(crate::exit::OK)
}

/// The recording for people.
pub(crate) fn render(rec: &Recording, paint: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", paint.bold("recording"), rec.id);
    let rows = [
        ("category", rec.category.clone()),
        ("operation", rec.operation.clone()),
        ("outcome", paint.outcome(rec.outcome)),
        ("recorded at", format_time(rec.recorded_at)),
        ("duration", format_micros(rec.duration_us)),
        ("format", rec.format_version.clone()),
    ];
    for (name, value) in rows {
        let _ = writeln!(out, "  {:<12} {value}", paint.dim(name));
    }
    section(
        &mut out,
        paint,
        "metadata",
        rec.metadata.iter().map(|(k, v)| (k.clone(), v.clone())),
    );
    let args = rec.args.iter().map(|(k, v)| {
        (
            k.clone(),
            serde_json::from_str(v.get()).unwrap_or(Value::Null),
        )
    });
    section(&mut out, paint, "arguments", args);
    if let Some(result) = &rec.result {
        let label = match result {
            OpResult::Panicked { .. } => "result (panicked)",
            _ if result.is_error() => "result (error)",
            _ => "result",
        };
        let _ = writeln!(out, "{}", paint.bold(label));
        let _ = writeln!(out, "  {}", compact(&result.to_json()));
    }
    let count = match rec.interceptions.len() {
        0 => "(none)".to_owned(),
        n => format!("({n}, in call order)"),
    };
    let _ = writeln!(out, "{} {}", paint.bold("interceptions"), paint.dim(&count));
    for (n, i) in rec.interceptions.iter().enumerate() {
        let kind = match i.kind {
            InterceptionKind::Input => "input ",
            _ => "output",
        };
        let mut notes = Vec::new();
        if i.error {
            notes.push("error".to_owned());
        }
        if i.concurrent {
            notes.push("concurrent".to_owned());
        }
        if !i.site.is_empty() {
            notes.push(i.site.clone());
        }
        let mut line = format!(
            "  {:>3}. {kind} {} #{}",
            n + 1,
            paint.bold(&i.alias),
            i.invocation
        );
        if !notes.is_empty() {
            let _ = write!(line, "  {}", paint.dim(&notes.join("  ")));
        }
        let _ = writeln!(out, "{line}");
        if let Some(key) = &i.key {
            let _ = writeln!(out, "       {}  {}", paint.dim("key  "), compact(key));
        }
        if i.args.is_some() {
            let _ = writeln!(
                out,
                "       {}  {}",
                paint.dim("args "),
                compact(&i.args_value())
            );
        }
        let _ = writeln!(
            out,
            "       {}  {}",
            paint.dim("value"),
            compact(&i.value_json())
        );
        if let Some(reason) = &i.unrecordable {
            let _ = writeln!(out, "       {}  {reason}", paint.dim("unrecordable"));
        }
    }
    out
}

fn section(
    out: &mut String,
    paint: Paint,
    title: &str,
    rows: impl Iterator<Item = (String, Value)>,
) {
    let rows: Vec<(String, Value)> = rows.collect();
    if rows.is_empty() {
        return;
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "{}", paint.bold(title));
    for (key, value) in rows {
        let _ = writeln!(out, "  {key:<width$}  {}", compact(&value));
    }
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
