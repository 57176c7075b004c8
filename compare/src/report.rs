//! `Report`: every recording's comparison, the counts, and the JSON format.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::comparison::Comparison;
use crate::counts::{CategorySummary, Counts, NoisePath};
use crate::error::Error;
use crate::shard::Shard;

/// The version of the JSON report format this crate writes (`major.minor`). Readers
/// accept the same major version; a minor version only adds optional fields and values
/// (1.1: the `skipped` status and `not_comparable` paths; 1.2: a comparison's
/// `combination`, for scenario matrices).
///
/// ```
/// assert_eq!(playback_compare::REPORT_FORMAT_VERSION, "1.2");
/// ```
pub const REPORT_FORMAT_VERSION: &str = "1.2";
const REPORT_FORMAT: &str = "playback-report";

/// A problem that concerns no single recording: a category whose tuner failed, a
/// category whose lookup failed, an invalid shard. Any problem fails the run.
///
/// ```
/// let p = playback_compare::Problem::new(Some("refund"), "the tuner failed: no comparator");
/// assert_eq!(p.category.as_deref(), Some("refund"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Problem {
    /// The category concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// What went wrong and what to do.
    pub message: String,
}

impl Problem {
    /// A problem, optionally about one category.
    ///
    /// ```
    /// let p = playback_compare::Problem::new(None, "invalid shard 0/2");
    /// assert!(p.category.is_none());
    /// ```
    pub fn new(category: Option<&str>, message: impl Into<String>) -> Self {
        Problem {
            category: category.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// The result of a run: one [`Comparison`] per recording, sorted by category and then
/// recording id whatever the parallelism, plus any [`Problem`].
///
/// Outputs: [`Report::print_summary`] (terminal), [`Report::write_json`] (stable,
/// documented at [`Report::to_json`], mergeable with [`Report::merge`]),
/// [`Report::write_junit`] (one test case per recording) and [`Report::write_html`]
/// (one self-contained page).
///
/// ```
/// let report = playback_compare::Report::default();
/// assert_eq!(report.exit_code(), 0);
/// assert_eq!(report.counts().total, 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// When the run finished (UTC).
    pub generated_at: OffsetDateTime,
    /// How long the run took (for a merged report, the longest shard).
    pub elapsed: Duration,
    /// The shards this report covers; empty when it covers every recording (an
    /// unsharded run, or a merge of every shard).
    pub shards: Vec<Shard>,
    /// Problems that concern no single recording.
    pub problems: Vec<Problem>,
    /// One entry per recording, sorted by category, then recording id.
    pub comparisons: Vec<Comparison>,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            generated_at: OffsetDateTime::UNIX_EPOCH,
            elapsed: Duration::ZERO,
            shards: Vec::new(),
            problems: Vec::new(),
            comparisons: Vec::new(),
        }
    }
}

impl Report {
    pub(crate) fn new(
        mut comparisons: Vec<Comparison>,
        mut problems: Vec<Problem>,
        shards: Vec<Shard>,
        elapsed: Duration,
    ) -> Report {
        sort_comparisons(&mut comparisons);
        problems.sort();
        problems.dedup();
        Report {
            generated_at: OffsetDateTime::now_utc(),
            elapsed,
            shards,
            problems,
            comparisons,
        }
    }

    /// The counts over every category.
    ///
    /// ```
    /// assert_eq!(playback_compare::Report::default().counts().failing(), 0);
    /// ```
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for c in &self.comparisons {
            counts.add(c.status);
        }
        counts
    }

    /// Counts and learned noise per category, sorted by category.
    ///
    /// ```
    /// assert!(playback_compare::Report::default().categories().is_empty());
    /// ```
    pub fn categories(&self) -> Vec<CategorySummary> {
        let mut by_name: BTreeMap<&str, (Counts, BTreeMap<&str, usize>)> = BTreeMap::new();
        for c in &self.comparisons {
            let (counts, noise) = by_name.entry(&c.category).or_default();
            counts.add(c.status);
            for path in &c.noise_paths {
                *noise.entry(path).or_default() += 1;
            }
        }
        by_name
            .into_iter()
            .map(|(name, (counts, noise))| CategorySummary {
                name: name.to_owned(),
                counts,
                noise: noise
                    .into_iter()
                    .map(|(path, recordings)| NoisePath {
                        path: path.to_owned(),
                        recordings,
                    })
                    .collect(),
            })
            .collect()
    }

    /// The comparisons of one category (playback-studio's per-category results).
    ///
    /// ```
    /// assert_eq!(playback_compare::Report::default().in_category("checkout").count(), 0);
    /// ```
    pub fn in_category<'a>(
        &'a self,
        category: &'a str,
    ) -> impl Iterator<Item = &'a Comparison> + 'a {
        self.comparisons
            .iter()
            .filter(move |c| c.category == category)
    }

    /// The comparison of one recording.
    ///
    /// ```
    /// let id = playback_store::RecordingId::generate();
    /// assert!(playback_compare::Report::default().get(&id).is_none());
    /// ```
    pub fn get(&self, id: &playback_store::RecordingId) -> Option<&Comparison> {
        self.comparisons.iter().find(|c| &c.recording_id == id)
    }

    /// Whether nothing differs, failed or errored, and there is no problem.
    ///
    /// ```
    /// assert!(playback_compare::Report::default().is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        self.exit_code() == 0
    }

    /// The process exit code for CI:
    ///
    /// - `0`: every recording is `Equal`, `Fixed` or `Skipped` (learned noise and
    ///   paths that are not comparable do not count), and there is no problem;
    /// - `1`: some recordings are `Different`, none `Failed` or `Error`, no problem;
    /// - `2`: some recording `Failed` or is an `Error`, or there is a problem.
    ///
    /// An empty report exits with `0`; [`Report::print_summary`] warns about it.
    ///
    /// ```
    /// use playback_compare::{Comparison, Report, Status};
    /// let rec = playback_store::Recording::builder("c").build();
    /// let mut report = Report::default();
    /// report.comparisons.push(Comparison::new(&rec, Status::Skipped));
    /// assert_eq!(report.exit_code(), 0);
    /// report.comparisons.push(Comparison::new(&rec, Status::Different));
    /// assert_eq!(report.exit_code(), 1);
    /// report.comparisons.push(Comparison::new(&rec, Status::Failed));
    /// assert_eq!(report.exit_code(), 2);
    /// ```
    pub fn exit_code(&self) -> i32 {
        let counts = self.counts();
        if counts.failed + counts.error > 0 || !self.problems.is_empty() {
            2
        } else if counts.different > 0 {
            1
        } else {
            0
        }
    }

    /// Merges the JSON reports of the shards of one run into one report.
    ///
    /// Comparisons are concatenated and sorted; a recording present in two reports is
    /// an [`Error::DuplicateRecording`] (overlapping shards); in matrix reports, a
    /// (recording, walk) pair present in two reports is. Problems are merged
    /// without duplicates. When the shards `1..=n` of one `n` are all there, the
    /// merged report covers every recording (`shards` is empty) and equals the
    /// report of an unsharded run, apart from `generated_at` (the latest) and
    /// `elapsed` (the longest).
    ///
    /// ```
    /// use playback_compare::{Comparison, Report, Shard, Status};
    /// let (a, b) = (playback_store::Recording::builder("c").build(), playback_store::Recording::builder("c").build());
    /// let mut one = Report::default();
    /// one.shards = vec![Shard::new(1, 2)?];
    /// one.comparisons.push(Comparison::new(&a, Status::Equal));
    /// let mut two = Report::default();
    /// two.shards = vec![Shard::new(2, 2)?];
    /// two.comparisons.push(Comparison::new(&b, Status::Equal));
    /// let merged = Report::merge([one, two])?;
    /// assert_eq!(merged.counts().equal, 2);
    /// assert!(merged.shards.is_empty());
    /// assert!(Report::merge([merged.clone(), merged]).is_err());
    /// # Ok::<(), playback_compare::Error>(())
    /// ```
    pub fn merge<I: IntoIterator<Item = Report>>(reports: I) -> Result<Report, Error> {
        let mut merged = Report::default();
        let mut seen = HashSet::new();
        let mut shards = BTreeSet::new();
        let mut complete = false;
        for report in reports {
            merged.generated_at = merged.generated_at.max(report.generated_at);
            merged.elapsed = merged.elapsed.max(report.elapsed);
            if report.shards.is_empty() {
                complete = true;
            }
            shards.extend(report.shards);
            merged.problems.extend(report.problems);
            for c in report.comparisons {
                if !seen.insert((c.recording_id.clone(), c.walk_id().to_owned())) {
                    let id = match &c.combination {
                        Some(walk) => format!("{} (walk {})", c.recording_id, walk.walk_id),
                        None => c.recording_id.to_string(),
                    };
                    return Err(Error::DuplicateRecording {
                        id,
                        category: c.category,
                    });
                }
                merged.comparisons.push(c);
            }
        }
        let totals: BTreeSet<u32> = shards.iter().map(Shard::total).collect();
        let covers_all = match totals.iter().next() {
            Some(&n) if totals.len() == 1 => (1..=n).all(|k| shards.iter().any(|s| s.index() == k)),
            _ => false,
        };
        merged.shards = if complete || covers_all {
            Vec::new()
        } else {
            shards.into_iter().collect()
        };
        sort_comparisons(&mut merged.comparisons);
        merged.problems.sort();
        merged.problems.dedup();
        Ok(merged)
    }

    /// The report as JSON: the stable, documented format (version
    /// [`REPORT_FORMAT_VERSION`]).
    ///
    /// ```json
    /// {
    ///   "format": "playback-report",
    ///   "format_version": "1.2",
    ///   "generated_at": "2026-01-02T03:04:05Z",     // RFC 3339, UTC
    ///   "elapsed_ms": 1234,
    ///   "shards": [{"index": 1, "total": 4}],       // empty: every recording
    ///   "totals": {"total": 4, "equal": 1, "fixed": 0, "different": 1, "failed": 1, "error": 0, "skipped": 1},
    ///   "categories": [
    ///     {"name": "checkout", "counts": {..same shape as totals..},
    ///      "noise": [{"path": "/result/Ok/token", "recordings": 3}]}
    ///   ],
    ///   "problems": [{"category": "refund", "message": "..."}],
    ///   "comparisons": [                             // sorted by category, recording_id, walk id
    ///     {
    ///       "recording_id": "01J...", "category": "checkout", "operation": "shop::checkout",
    ///       "status": "equal" | "fixed" | "different" | "failed" | "error" | "skipped",
    ///       "message": "...",                        // optional; why, for skipped
    ///       "differences": [{"path": "/result/Ok/total", "recorded": 10, "replayed": 11}],
    ///       "not_comparable": [{"path": "/outputs/0/args/conn", "reason": "..."}],  // notes
    ///       "noise": [ ..differences at learned noise paths.. ],
    ///       "noise_paths": ["/result/Ok/token"],
    ///       "recorded": <extracted value>, "replayed": <extracted value>,
    ///       "recorded_is_error": false, "replayed_is_error": false,
    ///       "recorded_duration_us": 812, "replayed_duration_us": 95,
    ///       "unused": [{"kind": "input", "alias": "...", "invocation": 1, "site": "src/x.rs:3"}],
    ///       "combination": {"walk_id": "9c0e4a1f2b3d5e60",  // scenario matrices only
    ///                       "options": [{"axis": "rounding", "value": "floor"}]}
    ///     }
    ///   ]
    /// }
    /// ```
    ///
    /// Fields of a comparison other than `recording_id`, `category` and `status` are
    /// left out when empty. In a difference, `recorded` is absent when the path was
    /// added and `replayed` when it was removed; a `null` value is written as `null`.
    /// `totals` and `categories` are derived from `comparisons` and are recomputed on
    /// reading.
    ///
    /// ```
    /// let json = playback_compare::Report::default().to_json()?;
    /// assert!(json.contains("\"format\": \"playback-report\""));
    /// let back = playback_compare::Report::from_json(json.as_bytes())?;
    /// assert_eq!(back, playback_compare::Report::default());
    /// # Ok::<(), playback_compare::Error>(())
    /// ```
    pub fn to_json(&self) -> Result<String, Error> {
        let out = ReportOut {
            format: REPORT_FORMAT,
            format_version: REPORT_FORMAT_VERSION,
            generated_at: self.generated_at,
            elapsed_ms: u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            shards: &self.shards,
            totals: self.counts(),
            categories: self.categories(),
            problems: &self.problems,
            comparisons: &self.comparisons,
        };
        let mut text = serde_json::to_string_pretty(&out).map_err(|e| Error::Serialize {
            format: "JSON",
            source: Box::new(e),
        })?;
        text.push('\n');
        Ok(text)
    }

    /// Writes [`Report::to_json`] to `path`, creating its directory.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("playback/report.json");
    /// playback_compare::Report::default().write_json(&path)?;
    /// assert!(playback_compare::Report::read_json(&path)?.comparisons.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_json(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write_file(path.as_ref(), self.to_json()?.as_bytes())
    }

    /// Parses a JSON report.
    ///
    /// ```
    /// let err = playback_compare::Report::from_json(b"{}").unwrap_err();
    /// assert!(err.to_string().contains("not a valid playback JSON report"));
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Report, Error> {
        Report::parse(bytes, "<memory>")
    }

    /// Reads a JSON report written by [`Report::write_json`].
    ///
    /// ```
    /// assert!(playback_compare::Report::read_json("/nonexistent/report.json").is_err());
    /// ```
    pub fn read_json(path: impl AsRef<Path>) -> Result<Report, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Report::parse(&bytes, &path.display().to_string())
    }

    fn parse(bytes: &[u8], origin: &str) -> Result<Report, Error> {
        let parse_error = |source| Error::Parse {
            origin: origin.to_owned(),
            source,
        };
        let input: ReportIn = serde_json::from_slice(bytes).map_err(parse_error)?;
        let major = input.format_version.split('.').next();
        let supported = REPORT_FORMAT_VERSION.split('.').next();
        if input.format != REPORT_FORMAT || major != supported {
            return Err(Error::UnsupportedVersion {
                origin: origin.to_owned(),
                found: format!("{} {}", input.format, input.format_version),
                supported: REPORT_FORMAT_VERSION,
            });
        }
        let mut comparisons = input.comparisons;
        sort_comparisons(&mut comparisons);
        Ok(Report {
            generated_at: input.generated_at,
            elapsed: Duration::from_millis(input.elapsed_ms),
            shards: input.shards,
            problems: input.problems,
            comparisons,
        })
    }
}

fn sort_comparisons(comparisons: &mut [Comparison]) {
    comparisons.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.status.cmp(&b.status))
            .then_with(|| a.message.cmp(&b.message))
    });
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let write_error = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_error)?;
    }
    std::fs::write(path, bytes).map_err(write_error)
}

#[derive(Serialize)]
struct ReportOut<'a> {
    format: &'static str,
    format_version: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    generated_at: OffsetDateTime,
    elapsed_ms: u64,
    shards: &'a [Shard],
    totals: Counts,
    categories: Vec<CategorySummary>,
    problems: &'a [Problem],
    comparisons: &'a [Comparison],
}

#[derive(Deserialize)]
struct ReportIn {
    format: String,
    format_version: String,
    #[serde(with = "time::serde::rfc3339")]
    generated_at: OffsetDateTime,
    #[serde(default)]
    elapsed_ms: u64,
    #[serde(default)]
    shards: Vec<Shard>,
    #[serde(default)]
    problems: Vec<Problem>,
    #[serde(default)]
    comparisons: Vec<Comparison>,
}
