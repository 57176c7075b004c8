//! `playback report merge|render`: reports of sharded runs, merged and rendered once.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use playback_compare::{Report, SummaryOptions};

use crate::args::Global;
use crate::error::CliError;
use crate::output::print;

/// `playback report ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Merge the JSON reports of the shards of one run into one report.
    Merge(MergeArgs),
    /// Render a JSON report as an HTML page and/or JUnit XML, and print its summary.
    Render(RenderArgs),
}

/// `playback report merge A.json B.json ... -o all.json`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  playback report merge shard-1/report.json shard-2/report.json -o all.json
  playback report merge s3://playback-ci/reports/run-42/ -o all.json   (feature s3)")]
pub(crate) struct MergeArgs {
    /// The reports to merge (each recording, or each recording and matrix walk, in at
    /// most one of them): files, or S3 prefixes (`s3://bucket/prefix/`: every `.json`
    /// object under it).
    #[arg(value_name = "REPORT|S3_PREFIX", required = true)]
    pub(crate) reports: Vec<PathBuf>,

    /// Where to write the merged report.
    #[arg(short, long, value_name = "PATH")]
    pub(crate) output: PathBuf,
}

/// `playback report render all.json --html out.html --junit out.xml`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  playback report render all.json --html target/playback/report.html --junit target/playback/junit.xml")]
pub(crate) struct RenderArgs {
    /// The JSON report.
    #[arg(value_name = "REPORT")]
    pub(crate) report: PathBuf,

    /// Write a self-contained HTML page here.
    #[arg(long, value_name = "PATH")]
    pub(crate) html: Option<PathBuf>,

    /// Write JUnit XML here (one test case per recording).
    #[arg(long, value_name = "PATH")]
    pub(crate) junit: Option<PathBuf>,

    /// Do not print the report's summary.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

pub(crate) fn run(global: &Global, command: &ReportCommand) -> Result<u8, CliError> {
    match command {
        ReportCommand::Merge(args) => merge(args),
        ReportCommand::Render(args) => render(global, args),
    }
}

fn merge(args: &MergeArgs) -> Result<u8, CliError> {
    let mut reports = Vec::new();
    for arg in &args.reports {
        match arg.to_str().filter(|a| a.starts_with("s3://")) {
            Some(url) => reports.extend(read_s3_reports(url)?),
            None => reports.push(Report::read_json(arg)?),
        }
    }
    let count = reports.len();
    let merged = Report::merge(reports)?;
    merged.write_json(&args.output)?;
    let counts = merged.counts();
    print(&format!(
        "merged {} report(s) into {}: {} recording(s), {} different, {} failed\n",
        count,
        args.output.display(),
        merged.comparisons.len(),
        counts.different,
        counts.failed + counts.error,
    ));
    Ok(crate::exit::OK)
}

/// Every `.json` report under an S3 prefix (the shards of one run).
#[cfg(feature = "s3")]
fn read_s3_reports(url: &str) -> Result<Vec<Report>, CliError> {
    let crate::open::Location::S3 { bucket, prefix } = crate::open::parse_s3_url(url)? else {
        return Ok(Vec::new());
    };
    let store = crate::open::s3_store(&bucket, &prefix, crate::open::Access::Read)?;
    let objects = store.read_objects("", ".json")?;
    if objects.is_empty() {
        return Err(CliError::NoReports {
            url: url.to_owned(),
        });
    }
    objects
        .into_iter()
        .map(|(_, bytes)| Report::from_json(&bytes).map_err(CliError::from))
        .collect()
}

#[cfg(not(feature = "s3"))]
fn read_s3_reports(url: &str) -> Result<Vec<Report>, CliError> {
    Err(CliError::NoS3 {
        url: url.to_owned(),
    })
}

fn render(global: &Global, args: &RenderArgs) -> Result<u8, CliError> {
    if args.html.is_none() && args.junit.is_none() {
        return Err(CliError::NothingToRender);
    }
    let report = Report::read_json(&args.report)?;
    if let Some(path) = &args.html {
        report.write_html(path)?;
    }
    if let Some(path) = &args.junit {
        report.write_junit(path)?;
    }
    if !args.quiet {
        let options = SummaryOptions::new().color(global.color.enabled());
        print(&report.summary(&options));
    }
    Ok(crate::exit::OK)
}
