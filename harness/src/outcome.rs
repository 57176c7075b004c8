//! What an in-process run returns: the conclusion and each test's outcome.

use std::path::PathBuf;

use libtest_mimic::Conclusion;
use playback_compare::Status;
use playback_store::RecordingId;

/// How one test ended.
///
/// ```
/// assert_ne!(playback_harness::TestResult::Passed, playback_harness::TestResult::Failed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestResult {
    /// The recording replayed `Equal` (or `Fixed`), or its change was accepted.
    Passed,
    /// It differed, its replay failed, or it could not be loaded.
    Failed,
    /// It was not compared (an incomplete recording the comparison skipped).
    Ignored,
}

/// The outcome of one test that ran.
///
/// ```
/// use playback_harness::{Arguments, Harness, TestResult};
/// let outcome = Harness::new().run_with_args(&Arguments::from_iter(["t", "--quiet"]));
/// let setup = &outcome.tests[0];
/// assert_eq!(setup.result, TestResult::Failed);
/// assert!(setup.message.as_deref().unwrap().contains("Harness::dir"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TestOutcome {
    /// The test's name, as `--list` prints it.
    pub name: String,
    /// The recording (none for a test that stands for a setup error or an unreadable
    /// entry).
    pub recording_id: Option<RecordingId>,
    /// The comparison's status (`Error` for a recording that could not be loaded).
    pub status: Status,
    /// Passed, failed or ignored.
    pub result: TestResult,
    /// What the test printed as its failure: the Equalizer's rendering of the
    /// comparison, and what was written.
    pub message: Option<String>,
    /// The pending file written for it (with [`crate::Update::New`]).
    pub pending: Option<PathBuf>,
    /// Whether its change was accepted into the recording (with
    /// [`crate::Update::Always`]).
    pub accepted: bool,
}

/// What [`crate::Harness::run_with_args`] returns: libtest's conclusion and the
/// outcome of every test that ran, sorted by name.
///
/// ```
/// use playback_harness::{Arguments, Harness};
/// let dir = tempfile::tempdir()?;
/// let outcome = Harness::new().dir(dir.path()).run_with_args(&Arguments::from_iter(["t", "--quiet"]));
/// assert!(!outcome.conclusion.has_failed());
/// assert!(outcome.passed().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunOutcome {
    /// libtest's counts; [`libtest_mimic::Conclusion::exit`] exits as libtest does.
    pub conclusion: Conclusion,
    /// Every test that ran (not those filtered out or ignored), sorted by name.
    pub tests: Vec<TestOutcome>,
}

impl RunOutcome {
    /// The names of the tests that failed, sorted.
    ///
    /// ```
    /// let outcome = playback_harness::Harness::new().run_with_args(&playback_harness::Arguments::from_iter(["t", "-q"]));
    /// assert_eq!(outcome.failed(), ["playback::setup"]);
    /// ```
    pub fn failed(&self) -> Vec<&str> {
        self.names(TestResult::Failed)
    }

    /// The names of the tests that passed, sorted.
    ///
    /// ```
    /// let outcome = playback_harness::Harness::new().run_with_args(&playback_harness::Arguments::from_iter(["t", "-q"]));
    /// assert!(outcome.passed().is_empty());
    /// ```
    pub fn passed(&self) -> Vec<&str> {
        self.names(TestResult::Passed)
    }

    /// The outcome of the test `name`, if it ran.
    ///
    /// ```
    /// let outcome = playback_harness::Harness::new().run_with_args(&playback_harness::Arguments::from_iter(["t", "-q"]));
    /// assert!(outcome.get("playback::setup").is_some());
    /// ```
    pub fn get(&self, name: &str) -> Option<&TestOutcome> {
        self.tests.iter().find(|t| t.name == name)
    }

    fn names(&self, result: TestResult) -> Vec<&str> {
        self.tests
            .iter()
            .filter(|t| t.result == result)
            .map(|t| t.name.as_str())
            .collect()
    }
}
