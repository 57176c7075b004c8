//! `playback prune --older-than 30d [--dry-run]`: delete old recordings.

use std::time::Duration;

use clap::Args;
use playback_store::Query;
use time::OffsetDateTime;

use crate::args::Global;
use crate::cmd::listing;
use crate::error::CliError;
use crate::open::{Access, open};
use crate::output::print;
use crate::when::{When, parse_duration};

/// `playback prune --older-than DURATION [--category NAME] [--dry-run]`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  playback prune --dir recordings --older-than 30d --dry-run
  playback prune --s3 s3://prod-recordings/checkout --older-than 90d --category health")]
pub(crate) struct PruneArgs {
    /// Delete recordings made more than this long ago (`30d`, `12h`, `2w`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) older_than: Duration,

    /// Only recordings of this category.
    #[arg(long, value_name = "NAME")]
    pub(crate) category: Option<String>,

    /// Print what would be deleted, and delete nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

pub(crate) fn run(global: &Global, args: &PruneArgs) -> Result<u8, CliError> {
    let access = if args.dry_run {
        Access::Read
    } else {
        Access::Write
    };
    let opened = open(global, access)?;
    let cutoff = When::Ago(args.older_than).resolve(OffsetDateTime::now_utc());
    let mut query = Query::all().until(cutoff);
    if let Some(category) = &args.category {
        query = query.in_category(category);
    }
    let (found, unreadable) = listing::summaries(opened.store(), &query)?;
    let mut out = String::new();
    for s in &found {
        if !args.dry_run {
            opened.store().delete(&s.id)?;
        }
        out.push_str(&format!(
            "{}  {}  {}\n",
            s.id,
            s.category,
            crate::when::format_time(s.recorded_at)
        ));
    }
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    out.push_str(&format!(
        "{verb} {} recording(s) made before {}\n",
        found.len(),
        crate::when::format_time(cutoff)
    ));
    print(&out);
    listing::finish(unreadable)
}
