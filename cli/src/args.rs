//! The command line: global options in one struct, one subcommand per module.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::cmd::{
    audit, completions, diff, list, matrix, prune, pull, report, review, show, stats,
};
use crate::output::ColorChoice;

/// Find, read, fetch, compare and prune playback recordings; merge and render reports;
/// review the changes a test run left pending.
///
/// Every command reads its store from `--dir PATH`, `--s3 s3://bucket/prefix` or the
/// PLAYBACK_STORE environment variable (a path or an `s3://` URL).
#[derive(Debug, Parser)]
#[command(name = "playback", version, after_help = crate::exit::HELP, after_long_help = LONG_AFTER_HELP)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,

    #[command(subcommand)]
    pub(crate) command: Command,
}

const LONG_AFTER_HELP: &str = "\
Exit codes:
  0  success: done, no differences (diff), nothing left pending (review)
  1  differences found (diff), changes rejected or left pending (review)
  2  usage error, store or file error, unreadable recordings

Environment:
  PLAYBACK_STORE          the store when neither --dir nor --s3 is given
  NO_COLOR                no colours (with --color auto)
  AWS_ENDPOINT_URL        an S3-compatible endpoint (MinIO, a local server)
  PLAYBACK_S3_PATH_STYLE  `false` for virtual-hosted URLs with a custom endpoint
  AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE: the AWS chain";

/// The help heading of the options every command takes.
const GLOBAL: &str = "Store and output options";

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub(crate) struct Global {
    /// A directory store: the folder holding `<category>/<date>/<id>.json`.
    #[arg(long, global = true, value_name = "PATH", help_heading = GLOBAL)]
    pub(crate) dir: Option<PathBuf>,

    /// An S3 store (feature `s3`): `s3://bucket/prefix`. Credentials, region and
    /// endpoint come from the standard AWS environment.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        conflicts_with = "dir",
        help_heading = GLOBAL
    )]
    pub(crate) s3: Option<String>,

    /// The store when neither --dir nor --s3 is given: a path or an `s3://` URL.
    #[arg(
        long,
        global = true,
        value_name = "PATH|URL",
        env = "PLAYBACK_STORE",
        hide_env_values = true,
        help_heading = GLOBAL
    )]
    pub(crate) store: Option<String>,

    /// When to colour the output.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t,
        value_name = "WHEN",
        help_heading = GLOBAL
    )]
    pub(crate) color: ColorChoice,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List recordings, newest first: id, category, operation, outcome, time, duration.
    List(list::ListArgs),
    /// Print one recording, with its interceptions in call order.
    Show(show::ShowArgs),
    /// Count recordings per category, outcome and day, and measure the store.
    Stats(stats::StatsArgs),
    /// Copy matching recordings into a directory, to commit them as test fixtures.
    Pull(pull::PullArgs),
    /// Compare two recordings (ids or files) or two report files, path by path.
    Diff(diff::DiffArgs),
    /// Merge the JSON reports of sharded runs, and render a report as HTML or JUnit.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Scenario matrices: show one walk of a trace and how to re-run exactly it.
    #[command(subcommand)]
    Matrix(matrix::MatrixCommand),
    /// Delete recordings older than a duration.
    Prune(prune::PruneArgs),
    /// Accept or reject the changes a `PLAYBACK_UPDATE=new` test run left pending.
    Review(review::ReviewArgs),
    /// Scan the recordings for secrets and personal data (emails, cards, tokens, AWS
    /// keys): recording, path and detector, never the value.
    Audit(audit::AuditArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
}
