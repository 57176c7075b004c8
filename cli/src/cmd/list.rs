//! `playback list`: the recordings a query matches, newest first.

use clap::Args;
use playback_store::Summary;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::args::Global;
use crate::cmd::listing;
use crate::error::CliError;
use crate::filter::QueryArgs;
use crate::open::{Access, open};
use crate::output::{Paint, print, table};
use crate::when::{format_micros, format_time};

/// `playback list [QUERY] [--json]`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  playback list --dir tests/recordings --category checkout --since 7d
  playback list --meta tenant=acme --meta 'region~eu-*' --meta 'items>2' --outcome error
  playback list --limit 20 --json | jq -r '.[].id'")]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) query: QueryArgs,

    /// Print a JSON array instead of a table (stable: fields are only ever added).
    #[arg(long)]
    pub(crate) json: bool,
}

/// One line of `list --json`.
#[derive(Debug, Serialize)]
pub(crate) struct ListEntry<'a> {
    id: &'a str,
    category: &'a str,
    operation: &'a str,
    outcome: &'static str,
    recorded_at: String,
    duration_us: u64,
    metadata: &'a Map<String, Value>,
}

impl<'a> ListEntry<'a> {
    pub(crate) fn new(s: &'a Summary) -> Self {
        ListEntry {
            id: s.id.as_str(),
            category: &s.category,
            operation: &s.operation,
            outcome: s.outcome.as_str(),
            recorded_at: format_time(s.recorded_at),
            duration_us: s.duration_us,
            metadata: &s.metadata,
        }
    }
}

pub(crate) fn run(global: &Global, args: &ListArgs) -> Result<u8, CliError> {
    let opened = open(global, Access::Read)?;
    let query = args.query.to_query(OffsetDateTime::now_utc());
    let (found, unreadable) = listing::summaries(opened.store(), &query)?;
    if args.json {
        let entries: Vec<ListEntry<'_>> = found.iter().map(ListEntry::new).collect();
        let mut text = serde_json::to_string_pretty(&entries).expect("plain data serializes");
        text.push('\n');
        print(&text);
    } else if found.is_empty() {
        eprintln!("no recordings match");
    } else {
        print(&render_table(
            &found,
            Paint {
                on: global.color.enabled(),
            },
        ));
    }
    listing::finish(unreadable)
}

fn render_table(found: &[Summary], paint: Paint) -> String {
    let header = [
        "ID",
        "CATEGORY",
        "OPERATION",
        "OUTCOME",
        "RECORDED_AT",
        "DURATION",
    ];
    let mut plain = vec![header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    let mut cells = vec![header.iter().map(|h| paint.bold(h)).collect::<Vec<_>>()];
    for s in found {
        let row = vec![
            s.id.to_string(),
            s.category.clone(),
            s.operation.clone(),
            s.outcome.as_str().to_owned(),
            format_time(s.recorded_at),
            format_micros(s.duration_us),
        ];
        let mut colored = row.clone();
        colored[3] = paint.outcome(s.outcome);
        plain.push(row);
        cells.push(colored);
    }
    table(&plain, &cells)
}
