//! The JUnit XML report (quick-junit): one test case per recording.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use serde_json::Value;

use crate::comparison::Comparison;
use crate::error::Error;
use crate::report::{Report, write_file};
use crate::verdict::Status;

/// Longest value shown in a JUnit description, in characters.
const MAX_VALUE_CHARS: usize = 400;

impl Report {
    /// The report as JUnit XML, so CI systems show it natively.
    ///
    /// One `<testsuite>` per category and one `<testcase>` per recording
    /// (`classname` = category, `name` = recording id). `Equal` and `Fixed` pass;
    /// `Different` and `Failed` are `<failure>`s whose `type` is the status and whose
    /// text lists the differences; `Error` is an `<error>`; `Skipped` is a
    /// `<skipped>` with the reason as its message. Learned noise and paths that are
    /// not comparable (a value could not be recorded) go to the test case's
    /// `<system-out>`, as notes. Problems are `<error>` cases in a `(problems)` suite.
    /// `time` is the replay duration.
    ///
    /// ```
    /// use playback_compare::{Comparison, Difference, Report, Status};
    /// let rec = playback_store::Recording::builder("checkout").build();
    /// let mut c = Comparison::new(&rec, Status::Different);
    /// c.differences.push(Difference::changed("/result/Ok/total", 10.into(), 11.into()));
    /// let mut report = Report::default();
    /// report.comparisons.push(c);
    /// let xml = report.to_junit()?;
    /// assert!(xml.contains(r#"<testsuite name="checkout" tests="1""#));
    /// assert!(xml.contains("/result/Ok/total: 10 -&gt; 11"));
    /// # Ok::<(), playback_compare::Error>(())
    /// ```
    pub fn to_junit(&self) -> Result<String, Error> {
        let mut junit = quick_junit::Report::new("playback");
        junit.set_time(self.elapsed);
        for category in self.categories() {
            let mut suite = TestSuite::new(category.name.as_str());
            let mut time = Duration::ZERO;
            for c in self.in_category(&category.name) {
                let case = test_case(c);
                time += case.time.unwrap_or_default();
                suite.add_test_case(case);
            }
            suite.set_time(time);
            junit.add_test_suite(suite);
        }
        if !self.problems.is_empty() {
            let mut suite = TestSuite::new("(problems)");
            for (i, p) in self.problems.iter().enumerate() {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_type("problem").set_message(p.message.as_str());
                let name = format!("problem {}", i + 1);
                let mut case = TestCase::new(name, status);
                case.set_classname(p.category.as_deref().unwrap_or("(run)"));
                suite.add_test_case(case);
            }
            junit.add_test_suite(suite);
        }
        junit.to_string().map_err(|e| Error::Serialize {
            format: "JUnit XML",
            source: Box::new(e),
        })
    }

    /// Writes [`Report::to_junit`] to `path`, creating its directory.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("junit.xml");
    /// playback_compare::Report::default().write_junit(&path)?;
    /// assert!(std::fs::read_to_string(&path)?.contains("<testsuites name=\"playback\""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_junit(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write_file(path.as_ref(), self.to_junit()?.as_bytes())
    }
}

fn test_case(c: &Comparison) -> TestCase {
    let mut status = match c.status {
        Status::Equal | Status::Fixed => TestCaseStatus::success(),
        Status::Different | Status::Failed => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Status::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
        Status::Skipped => {
            let mut skipped = TestCaseStatus::skipped();
            skipped.set_type(Status::Skipped.as_str());
            if let Some(why) = &c.message {
                skipped.set_message(why.as_str());
            }
            skipped
        }
    };
    if c.status.fails() {
        status.set_type(c.status.as_str());
        status.set_message(message(c));
        let description = describe(c);
        if !description.is_empty() {
            status.set_description(description);
        }
    }
    let name = match &c.combination {
        Some(walk) => format!("{} [{}]", c.recording_id, walk.label()),
        None => c.recording_id.to_string(),
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(c.category.as_str());
    if let Some(us) = c.replayed_duration_us {
        case.set_time(Duration::from_micros(us));
    }
    let mut out = String::new();
    if c.status == Status::Fixed {
        let _ = writeln!(
            out,
            "fixed: {}",
            c.message
                .as_deref()
                .unwrap_or("the replay fixes the recorded error")
        );
    }
    if !c.operation.is_empty() {
        let _ = writeln!(out, "operation: {}", c.operation);
    }
    for d in &c.noise {
        let _ = writeln!(
            out,
            "noise: {}",
            line(&d.path, d.recorded.as_ref(), d.replayed.as_ref())
        );
    }
    if !c.noise_paths.is_empty() {
        let _ = writeln!(out, "paths learned as noise: {}", c.noise_paths.join(", "));
    }
    for n in &c.not_comparable {
        let _ = writeln!(out, "not comparable: {}: {}", path(&n.path), n.reason);
    }
    if !out.is_empty() {
        case.set_system_out(out);
    }
    case
}

fn message(c: &Comparison) -> String {
    match (&c.message, c.differences.len()) {
        (Some(m), 0) => m.clone(),
        (Some(m), n) => format!("{m} ({n} differences)"),
        (None, 1) => format!("1 difference at {}", path(&c.differences[0].path)),
        (None, n) => format!("{n} differences"),
    }
}

fn describe(c: &Comparison) -> String {
    let mut out = String::new();
    for d in &c.differences {
        let _ = writeln!(
            out,
            "{}",
            line(&d.path, d.recorded.as_ref(), d.replayed.as_ref())
        );
    }
    out
}

fn path(p: &str) -> &str {
    if p.is_empty() { "(root)" } else { p }
}

fn line(p: &str, recorded: Option<&Value>, replayed: Option<&Value>) -> String {
    let redacted = Some(&Value::from(crate::REDACTED_CHANGED));
    if recorded == redacted && replayed == redacted {
        return format!("{}: {}", path(p), crate::REDACTED_CHANGED);
    }
    format!("{}: {} -> {}", path(p), short(recorded), short(replayed))
}

fn short(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "(absent)".to_owned();
    };
    let text = v.to_string();
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
    format!("{cut}...")
}
