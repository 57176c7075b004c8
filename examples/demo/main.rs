//! The whole promise of playback in one command: a real HTTP service is recorded under
//! traffic, a behaviour change is replayed against those recordings without the
//! service's database, and a report shows which operations changed and how.
//!
//! ```sh
//! cargo run --release --example demo
//! cargo run --release --example demo -- --requests 1000 --keep
//! cargo run --release --example demo --features s3 -- --store s3 --endpoint http://127.0.0.1:9000 --bucket recordings
//! ```
//!
//! Flags:
//! - `--requests N`: requests per traffic run (default 400)
//! - `--concurrency N`: requests in flight at once (default 4)
//! - `--store dir|s3`: record into `./recordings` (default) or an S3 bucket (needs the
//!   `s3` feature, `--endpoint URL` and `--bucket NAME`; credentials come from the
//!   usual AWS environment variables)
//! - `--dir PATH`: the recordings directory for `--store dir` (default `recordings`)
//! - `--report PATH`: the HTML report (default `target/playback/report.html`)
//! - `--keep`: keep the recordings, to look at them after the run
//!
//! The service is in `shop.rs` (its routes in `http.rs`), the steps in `run.rs`.

mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::run::{Options, StoreChoice};

const USAGE: &str = "usage: cargo run --release --example demo -- [--requests N] [--concurrency N] \
                     [--store dir|s3] [--dir PATH] [--endpoint URL] [--bucket NAME] [--report PATH] [--keep]";

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e:#}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run::run(&options, &mut std::io::stdout()) {
        Ok(outcome) => match outcome.check() {
            Ok(()) => ExitCode::SUCCESS,
            Err(broken) => {
                eprintln!("error: the demo did not show what it should: {broken}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The options, or `None` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Option<Options>> {
    let mut requests = 400;
    let mut concurrency = 4;
    let mut store = "dir".to_owned();
    let mut dir = PathBuf::from("recordings");
    let mut endpoint = None;
    let mut bucket = None;
    let mut report = PathBuf::from("target/playback/report.html");
    let mut keep = false;
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--requests" => requests = value()?.parse().context("--requests takes a number")?,
            "--concurrency" => {
                concurrency = value()?.parse().context("--concurrency takes a number")?
            }
            "--store" => store = value()?,
            "--dir" => dir = value()?.into(),
            "--endpoint" => endpoint = Some(value()?),
            "--bucket" => bucket = Some(value()?),
            "--report" => report = value()?.into(),
            "--keep" => keep = true,
            "-h" | "--help" => return Ok(None),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(requests > 0, "--requests must be at least 1");
    anyhow::ensure!(concurrency > 0, "--concurrency must be at least 1");
    let store = match store.as_str() {
        "dir" => StoreChoice::Dir(dir),
        "s3" => StoreChoice::s3(
            endpoint.context("--store s3 needs --endpoint URL")?,
            bucket.context("--store s3 needs --bucket NAME")?,
        ),
        other => anyhow::bail!("--store takes dir or s3, not {other}"),
    };
    Ok(Some(Options {
        requests,
        concurrency,
        seed: 7,
        store,
        keep,
        report,
    }))
}
