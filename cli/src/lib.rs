//! The `playback` command line: find, read, fetch, compare and prune recordings, merge
//! and render reports, and review the changes the test harness left pending.
//!
//! The binaries `playback` and `cargo-playback` (so `cargo playback list` works) call
//! [`run`] and [`run_as_cargo_subcommand`]. Every command opens a store from
//! `--dir PATH`, `--s3 s3://bucket/prefix` (feature `s3`) or the `PLAYBACK_STORE`
//! environment variable.
//!
//! Exit codes: `0` success, `1` differences (`diff`) or changes left pending
//! (`review`), `2` a usage, store or file error.
//!
//! ```
//! let code = playback_cli::run(["playback", "completions", "bash"]);
//! assert_eq!(code, std::process::ExitCode::SUCCESS);
//! ```
//!
//! # Feature flags
//!
//! - `s3`: `--s3 s3://bucket/prefix` and `PLAYBACK_STORE=s3://..` (playback-s3,
//!   aws-sdk-s3).

mod args;
mod cmd;
mod error;
mod exit;
mod filter;
mod open;
mod output;
mod run;
mod when;

pub use crate::run::{run, run_as_cargo_subcommand};
