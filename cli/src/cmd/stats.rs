//! `playback stats`: counts per category, outcome and day, and the store's size.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clap::Args;
use playback_store::Summary;
use serde::Serialize;
use time::OffsetDateTime;

use crate::args::Global;
use crate::cmd::listing;
use crate::error::CliError;
use crate::filter::QueryArgs;
use crate::open::{Access, open};
use crate::output::{Paint, format_bytes, print};

/// `playback stats [QUERY] [--json]`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  playback stats --dir tests/recordings
  playback stats --s3 s3://prod-recordings/checkout --since 30d --json")]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    pub(crate) query: QueryArgs,

    /// Print JSON instead of text (stable: fields are only ever added).
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `stats --json` prints.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Stats {
    recordings: usize,
    unreadable: usize,
    /// Bytes of the counted recordings on disk; `null` for an S3 store.
    size_bytes: Option<u64>,
    by_category: BTreeMap<String, usize>,
    by_outcome: BTreeMap<&'static str, usize>,
    by_day: BTreeMap<String, usize>,
}

impl Stats {
    fn count(found: &[Summary]) -> Stats {
        let mut stats = Stats {
            recordings: found.len(),
            ..Stats::default()
        };
        for s in found {
            *stats.by_category.entry(s.category.clone()).or_default() += 1;
            *stats.by_outcome.entry(s.outcome.as_str()).or_default() += 1;
            let day = s
                .recorded_at
                .to_offset(time::UtcOffset::UTC)
                .date()
                .to_string();
            *stats.by_day.entry(day).or_default() += 1;
        }
        stats
    }
}

pub(crate) fn run(global: &Global, args: &StatsArgs) -> Result<u8, CliError> {
    let opened = open(global, Access::Read)?;
    let query = args.query.to_query(OffsetDateTime::now_utc());
    let (found, unreadable) = listing::summaries(opened.store(), &query)?;
    let mut stats = Stats::count(&found);
    stats.unreadable = unreadable;
    stats.size_bytes = opened.size_of(&found);
    if args.json {
        let mut text = serde_json::to_string_pretty(&stats).expect("plain data serializes");
        text.push('\n');
        print(&text);
    } else {
        print(&render(
            &stats,
            Paint {
                on: global.color.enabled(),
            },
        ));
    }
    listing::finish(unreadable)
}

fn render(stats: &Stats, paint: Paint) -> String {
    let mut out = String::new();
    let size = match stats.size_bytes {
        Some(bytes) => format_bytes(bytes),
        None => "not listed by S3 stores".to_owned(),
    };
    let _ = writeln!(out, "{} {}", paint.bold("recordings"), stats.recordings);
    let _ = writeln!(out, "{} {size}", paint.bold("size"));
    if stats.unreadable > 0 {
        let _ = writeln!(out, "{} {}", paint.bold("unreadable"), stats.unreadable);
    }
    let groups: [(&str, Vec<(&str, usize)>); 3] = [
        (
            "by category",
            stats
                .by_category
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect(),
        ),
        (
            "by outcome",
            stats.by_outcome.iter().map(|(k, v)| (*k, *v)).collect(),
        ),
        (
            "by day",
            stats.by_day.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
        ),
    ];
    for (title, rows) in groups {
        if rows.is_empty() {
            continue;
        }
        let width = rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        let _ = writeln!(out, "{}", paint.bold(title));
        for (name, n) in rows {
            let _ = writeln!(out, "  {name:<width$}  {n:>6}");
        }
    }
    out
}
