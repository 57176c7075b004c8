//! `playback pull QUERY --to DIR`: copy matching recordings into a directory store, to
//! commit them as test fixtures.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use playback_store::{DirStore, Store, Summary};
use time::OffsetDateTime;

use crate::args::Global;
use crate::cmd::listing;
use crate::error::CliError;
use crate::filter::QueryArgs;
use crate::open::{Access, open};
use crate::output::{print, warn};

/// `playback pull [QUERY] --to DIR [--sample N [--seed S]]`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  playback pull --s3 s3://prod-recordings/checkout --since 7d --outcome error --to tests/recordings
  playback pull --dir recordings --category checkout --sample 50 --seed 7 --to tests/recordings")]
pub(crate) struct PullArgs {
    #[command(flatten)]
    pub(crate) query: QueryArgs,

    /// The directory store to copy into (created when missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) to: PathBuf,

    /// Copy N recordings picked at random among the matching ones.
    #[arg(long, value_name = "N")]
    pub(crate) sample: Option<usize>,

    /// The seed of `--sample`: the same seed and recordings pick the same sample.
    #[arg(long, value_name = "SEED", requires = "sample")]
    pub(crate) seed: Option<u64>,
}

pub(crate) fn run(global: &Global, args: &PullArgs) -> Result<u8, CliError> {
    let opened = open(global, Access::Read)?;
    let query = args.query.to_query(OffsetDateTime::now_utc());
    let (mut found, mut unreadable) = listing::summaries(opened.store(), &query)?;
    let matched = found.len();
    let mut sampled = None;
    if let Some(n) = args.sample {
        let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
        found = sample(found, n, seed);
        sampled = Some(seed);
    }
    let target = DirStore::new(&args.to)?;
    let bar = progress(found.len());
    let mut copied = 0;
    for summary in &found {
        bar.set_message(summary.id.to_string());
        match opened.store().get(&summary.id) {
            Ok(recording) => {
                target.put(&recording)?;
                copied += 1;
            }
            Err(err) => {
                unreadable += 1;
                bar.suspend(|| warn(&format!("skipped recording {}: {err}", summary.id)));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut line = format!("pulled {copied} recording(s) into {}", args.to.display());
    if let Some(seed) = sampled {
        line.push_str(&format!(" (a sample of {matched}, seed {seed})"));
    }
    line.push('\n');
    print(&line);
    listing::finish(unreadable)
}

/// `n` of `found` picked with a generator seeded with `seed`, newest first. The same
/// listing and seed give the same sample.
pub(crate) fn sample(mut found: Vec<Summary>, n: usize, seed: u64) -> Vec<Summary> {
    if n < found.len() {
        let mut rng = fastrand::Rng::with_seed(seed);
        for i in 0..n {
            let j = rng.usize(i..found.len());
            found.swap(i, j);
        }
        found.truncate(n);
        found.sort_by(|a, b| {
            b.recorded_at
                .cmp(&a.recorded_at)
                .then_with(|| b.id.cmp(&a.id))
        });
    }
    found
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} recordings ({eta} left) {msg}")
    {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use playback_store::Recording;

    #[test]
    fn a_sample_depends_only_on_the_listing_and_the_seed() {
        let found: Vec<Summary> = (0..50)
            .map(|i| {
                Recording::builder("c")
                    .recorded_at(OffsetDateTime::UNIX_EPOCH + time::Duration::hours(i))
                    .build()
                    .summary()
            })
            .collect();
        let ids = |s: Vec<Summary>| s.into_iter().map(|s| s.id).collect::<Vec<_>>();
        let a = ids(sample(found.clone(), 5, 7));
        assert_eq!(a.len(), 5);
        assert_eq!(a, ids(sample(found.clone(), 5, 7)));
        assert_ne!(a, ids(sample(found.clone(), 5, 8)));
        assert_eq!(sample(found.clone(), 99, 7).len(), 50);
    }
}
