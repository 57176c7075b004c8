//! What the Equalizer and the Studio share: run options, recording entries, and
//! turning them into a run.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use playback_store::{Outcome, Recording, RecordingId, StoreError};

use crate::comparison::Comparison;
use crate::engine::{Threads, Work};
use crate::job::{Settings, chain};
use crate::progress::{Bar, Progress};
use crate::report::{Problem, Report};
use crate::shard::Shard;
use crate::stream::Comparisons;
use crate::tuning::Resolved;
use crate::verdict::Status;

/// Why an incomplete recording is skipped by default.
pub(crate) const SKIPPED_INCOMPLETE: &str = "incomplete recording: the operation was cancelled while recording; use .include_incomplete(true) to compare what was recorded";

/// The default per-phase timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One recording given to an Equalizer: a recording, or a store entry that could not
/// be read (it becomes an [`Status::Error`] with the store's error).
///
/// You rarely name this type: `Equalizer::new` takes any iterator of [`Recording`]
/// or of `Result<Recording, StoreError>` (what `store.find(..)?` returns).
///
/// ```
/// use playback_compare::RecordingEntry;
/// let ok: RecordingEntry = playback_store::Recording::builder("c").build().into();
/// assert!(ok.recording().is_some());
/// ```
#[derive(Debug)]
pub struct RecordingEntry {
    pub(crate) result: Result<Recording, StoreError>,
    pub(crate) known_id: Option<RecordingId>,
}

impl RecordingEntry {
    /// The recording, when it could be read.
    ///
    /// ```
    /// let err = playback_store::StoreError::NotFound { id: "x".into() };
    /// let entry = playback_compare::RecordingEntry::from(Err(err));
    /// assert!(entry.recording().is_none());
    /// ```
    pub fn recording(&self) -> Option<&Recording> {
        self.result.as_ref().ok()
    }
}

impl From<Recording> for RecordingEntry {
    fn from(recording: Recording) -> Self {
        RecordingEntry {
            result: Ok(recording),
            known_id: None,
        }
    }
}

impl From<Result<Recording, StoreError>> for RecordingEntry {
    fn from(result: Result<Recording, StoreError>) -> Self {
        RecordingEntry {
            result,
            known_id: None,
        }
    }
}

/// The run options of an Equalizer or a Studio.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) threads: Option<usize>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) noise_runs: usize,
    pub(crate) shard: Option<(u32, u32)>,
    pub(crate) progress: Progress,
    pub(crate) keep_results: bool,
    pub(crate) include_incomplete: bool,
    pub(crate) isolate: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: None,
            timeout: Some(DEFAULT_TIMEOUT),
            noise_runs: 0,
            shard: None,
            progress: Progress::Auto,
            keep_results: false,
            include_incomplete: false,
            isolate: false,
        }
    }
}

/// A recording (or unreadable entry) with its category's tuning.
pub(crate) struct Job {
    pub(crate) entry: RecordingEntry,
    pub(crate) tuning: Arc<Resolved>,
    /// The category reported for an entry that could not be read.
    pub(crate) category: String,
    /// Its position in the input, for the synthetic id of an unreadable entry.
    pub(crate) position: usize,
}

/// A prepared run: the stream and what the report needs besides it.
pub(crate) struct Prepared {
    pub(crate) stream: Comparisons,
    pub(crate) problems: Vec<Problem>,
    pub(crate) shards: Vec<Shard>,
    /// The index of the isolated run, when this process started its children.
    pub(crate) isolated_run: Option<usize>,
}

impl Options {
    fn threads(&self) -> usize {
        self.threads
            .filter(|n| *n > 0)
            .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
            .unwrap_or(1)
    }

    /// Shards the jobs and starts the workers.
    pub(crate) fn start(&self, jobs: Vec<Job>, mut problems: Vec<Problem>) -> Prepared {
        let shard = match self.shard {
            None => Ok(None),
            Some((k, n)) => Shard::new(k, n).map(Some),
        };
        let (shard, jobs) = match shard {
            Ok(shard) => (shard, jobs),
            Err(e) => {
                problems.push(Problem::new(None, format!("{e}; nothing was replayed")));
                (None, Vec::new())
            }
        };
        let mut work = Vec::new();
        let mut early = Vec::new();
        for job in jobs {
            let known_id = job.entry.known_id;
            match job.entry.result {
                Ok(rec) => {
                    if !shard.is_none_or(|s| s.contains(&rec.id)) {
                        continue;
                    }
                    if rec.outcome == Outcome::Incomplete && !self.include_incomplete {
                        let c = Comparison::new(&rec, Status::Skipped);
                        early.push(c.with(Status::Skipped, SKIPPED_INCOMPLETE));
                    } else {
                        work.push(Work {
                            recording: Arc::new(rec),
                            tuning: job.tuning,
                        });
                    }
                }
                Err(e) => {
                    let id = known_id
                        .or_else(|| id_in_error(&e))
                        .unwrap_or_else(|| synthetic_id(job.position));
                    if shard.is_none_or(|s| s.contains(&id)) {
                        let msg = format!("the recording could not be read: {}", chain(&e));
                        let c = Comparison::bare(id, job.category, String::new(), Status::Error);
                        early.push(c.with(Status::Error, msg));
                    }
                }
            }
        }
        let settings = Settings {
            noise_runs: self.noise_runs,
            keep_results: self.keep_results,
            timeout: self.timeout,
        };
        let (stream, isolated_run) = if self.isolate {
            crate::isolate::start(work, early, settings, self.threads())
        } else {
            let pool = Threads::start(work, early, settings, self.threads());
            (Comparisons::threads(pool), None)
        };
        Prepared {
            stream,
            problems,
            shards: shard.into_iter().collect(),
            isolated_run,
        }
    }

    /// Runs to completion, with the progress bar, and sorts the report.
    pub(crate) fn run(&self, jobs: Vec<Job>, problems: Vec<Problem>) -> Report {
        let started = Instant::now();
        let prepared = self.start(jobs, problems);
        let mut bar = Bar::new(self.progress, prepared.stream.total());
        let mut comparisons = Vec::with_capacity(prepared.stream.total());
        for c in prepared.stream {
            bar.record(c.status);
            comparisons.push(c);
        }
        bar.finish();
        let report = Report::new(
            comparisons,
            prepared.problems,
            prepared.shards,
            started.elapsed(),
        );
        if let Some(run) = prepared.isolated_run {
            crate::child::remember(run, &report);
        }
        report
    }
}

/// The recording id named in a store error, when there is one.
fn id_in_error(e: &StoreError) -> Option<RecordingId> {
    let text = match e {
        StoreError::NotFound { id } => id.clone(),
        StoreError::Misplaced { found_id, .. } => found_id.clone(),
        StoreError::Corrupt { origin, .. }
        | StoreError::NotARecording { origin }
        | StoreError::UnsupportedVersion { origin, .. } => Path::new(origin)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())?,
        _ => return None,
    };
    RecordingId::parse(&text).ok()
}

/// `unreadable-<n>`: the id of the n-th input entry when its own id is unknown. It is
/// the same in every shard of a run over the same input, so sharding stays disjoint.
fn synthetic_id(position: usize) -> RecordingId {
    RecordingId::parse(&format!("unreadable-{position}"))
        .unwrap_or_else(|_| RecordingId::generate())
}

/// The category reported for unreadable entries: the one category of the readable
/// recordings when they all share one, otherwise `"(unknown)"`.
pub(crate) fn common_category(entries: &[RecordingEntry]) -> String {
    let mut found: Option<&str> = None;
    for rec in entries.iter().filter_map(RecordingEntry::recording) {
        match found {
            None => found = Some(&rec.category),
            Some(c) if c == rec.category => {}
            Some(_) => return UNKNOWN_CATEGORY.to_owned(),
        }
    }
    found.unwrap_or(UNKNOWN_CATEGORY).to_owned()
}

/// The category of an unreadable recording whose category cannot be known.
pub(crate) const UNKNOWN_CATEGORY: &str = "(unknown)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_in_error_reads_not_found_and_file_stems() {
        let e = StoreError::NotFound { id: "abc".into() };
        assert_eq!(id_in_error(&e).unwrap().as_str(), "abc");
        let e = StoreError::NotARecording {
            origin: "/store/checkout/2026-01-02/01J0000000000000000000000A.json".into(),
        };
        assert_eq!(
            id_in_error(&e).unwrap().as_str(),
            "01J0000000000000000000000A"
        );
        let e = StoreError::ReadOnly { store: "x".into() };
        assert!(id_in_error(&e).is_none());
    }

    #[test]
    fn common_category_is_the_shared_one_or_unknown() {
        let a: RecordingEntry = Recording::builder("a").build().into();
        let a2: RecordingEntry = Recording::builder("a").build().into();
        let b: RecordingEntry = Recording::builder("b").build().into();
        assert_eq!(common_category(&[a, a2]), "a");
        let a: RecordingEntry = Recording::builder("a").build().into();
        assert_eq!(common_category(&[a, b]), UNKNOWN_CATEGORY);
        assert_eq!(common_category(&[]), UNKNOWN_CATEGORY);
    }

    #[test]
    fn synthetic_ids_are_valid_and_stable() {
        assert_eq!(synthetic_id(3).as_str(), "unreadable-3");
    }
}
