//! `playback audit`: what the redaction detectors flag in the stored recordings, by
//! recording, path and detector; never the value.

use clap::{Args, ValueEnum};
use playback_redact::{Detector, Rules};
use serde::Serialize;

use crate::args::Global;
use crate::error::CliError;
use crate::exit;
use crate::open::{Access, open};
use crate::output::print;

/// A detector, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DetectorArg {
    Email,
    CreditCard,
    BearerToken,
    Jwt,
    AwsKey,
}

impl DetectorArg {
    fn detector(self) -> Detector {
        match self {
            DetectorArg::Email => Detector::Email,
            DetectorArg::CreditCard => Detector::CreditCard,
            DetectorArg::BearerToken => Detector::BearerToken,
            DetectorArg::Jwt => Detector::Jwt,
            DetectorArg::AwsKey => Detector::AwsKey,
        }
    }
}

/// `playback audit [--detect D]... [--json]`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exits 1 when a detector flags a value, so CI can fail on it.

Examples:
  playback audit --dir recordings
  playback audit --s3 s3://prod-recordings/checkout --detect email --detect credit-card --json"
)]
pub(crate) struct AuditArgs {
    /// The detectors to run (repeat the flag); all of them when none is given.
    #[arg(long = "detect", value_enum, value_name = "DETECTOR")]
    pub(crate) detect: Vec<DetectorArg>,

    /// Print JSON instead of text (stable: fields are only ever added).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Serialize)]
struct Json<'a> {
    scanned: usize,
    unreadable: usize,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonFinding<'a> {
    recording: String,
    path: &'a str,
    detector: &'static str,
}

pub(crate) fn run(global: &Global, args: &AuditArgs) -> Result<u8, CliError> {
    let opened = open(global, Access::Read)?;
    let rules = args
        .detect
        .iter()
        .fold(Rules::new(), |r, d| r.detect(d.detector()));
    let report = playback_redact::audit(opened.store(), &rules)?;
    if args.json {
        let json = Json {
            scanned: report.scanned,
            unreadable: report.unreadable.len(),
            findings: report
                .findings
                .iter()
                .map(|f| JsonFinding {
                    recording: f.recording.to_string(),
                    path: &f.path,
                    detector: f.detector.name(),
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&json).expect("plain data serializes");
        text.push('\n');
        print(&text);
    } else {
        let mut text = String::new();
        for f in &report.findings {
            text.push_str(&format!("{f}\n"));
        }
        text.push_str(&format!(
            "{} finding(s) in {} recording(s) scanned{}\n",
            report.findings.len(),
            report.scanned,
            if report.unreadable.is_empty() {
                String::new()
            } else {
                format!(", {} unreadable", report.unreadable.len())
            }
        ));
        print(&text);
    }
    if !report.unreadable.is_empty() {
        return Err(CliError::Unreadable {
            count: report.unreadable.len(),
        });
    }
    Ok(if report.findings.is_empty() {
        exit::OK
    } else {
        exit::DIFFERENT
    })
}
