//! Statuses and the verdict a comparator returns.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::difference::{Difference, NotComparable};

/// The status of one recording after replay and comparison.
///
/// | status | meaning | fails the run |
/// |---|---|---|
/// | `Equal` | the replayed value equals the recorded one (learned noise aside) | no |
/// | `Fixed` | the replay fixes an erroneous recorded result (see [`crate::JsonDiff::detect_fixed`]) | no |
/// | `Different` | the values differ; the differences come with it | yes |
/// | `Failed` | the replay failed: mismatch, panic, timeout, or any error of the player | yes |
/// | `Error` | the machinery failed: the store, a missing player, or your extractor or comparator | yes |
/// | `Skipped` | not compared: an incomplete recording (its operation was cancelled while recording), see [`crate::Equalizer::include_incomplete`] | no |
///
/// ```
/// use playback_compare::Status;
/// assert!(Status::Different.fails());
/// assert!(!Status::Fixed.fails());
/// assert!(!Status::Skipped.fails());
/// assert_eq!(Status::Failed.as_str(), "failed");
/// assert_eq!(serde_json::to_string(&Status::Equal).unwrap(), "\"equal\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// The values are equal.
    Equal,
    /// The replay fixes an erroneous recorded result.
    Fixed,
    /// The values differ.
    Different,
    /// The replay failed.
    Failed,
    /// The comparison machinery, or user code in it, failed.
    Error,
    /// The recording was not replayed: it is incomplete (its operation's future was
    /// dropped while recording: a client disconnect, a timeout, a `select!`), so
    /// comparing it would report differences that are not regressions.
    Skipped,
}

impl Status {
    /// Every status, in report order.
    ///
    /// ```
    /// assert_eq!(playback_compare::Status::ALL.len(), 6);
    /// ```
    pub const ALL: [Status; 6] = [
        Status::Equal,
        Status::Fixed,
        Status::Different,
        Status::Failed,
        Status::Error,
        Status::Skipped,
    ];

    /// The lowercase name used in reports.
    ///
    /// ```
    /// assert_eq!(playback_compare::Status::Error.as_str(), "error");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Equal => "equal",
            Status::Fixed => "fixed",
            Status::Different => "different",
            Status::Failed => "failed",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }

    /// Whether this status makes the run fail ([`crate::Report::exit_code`] non-zero).
    ///
    /// ```
    /// assert!(!playback_compare::Status::Equal.fails());
    /// assert!(playback_compare::Status::Error.fails());
    /// ```
    pub fn fails(self) -> bool {
        matches!(self, Status::Different | Status::Failed | Status::Error)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a comparator decided for one recording: a status, an optional message and the
/// differences found.
///
/// ```
/// use playback_compare::{Difference, Status, Verdict};
/// let v = Verdict::from_differences(vec![Difference::changed("/a", 1.into(), 2.into())])
///     .with_message("total changed");
/// assert_eq!(v.status, Status::Different);
/// assert_eq!(v.message.as_deref(), Some("total changed"));
/// assert_eq!(Verdict::from_differences(vec![]).status, Status::Equal);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Verdict {
    /// The status.
    pub status: Status,
    /// A short explanation, shown next to the status.
    pub message: Option<String>,
    /// The differences (paths, recorded and replayed values). Learned noise is
    /// moved out of this list by the equalizer.
    pub differences: Vec<Difference>,
    /// Paths that could not be compared because a value could not be recorded: a
    /// note, never a difference (see [`crate::JsonDiff::inspect`]).
    pub not_comparable: Vec<NotComparable>,
}

impl Verdict {
    /// The values are equal.
    ///
    /// ```
    /// assert_eq!(playback_compare::Verdict::equal().status, playback_compare::Status::Equal);
    /// ```
    pub fn equal() -> Self {
        Verdict::new(Status::Equal, Vec::new())
    }

    /// The values differ.
    ///
    /// ```
    /// use playback_compare::{Difference, Verdict};
    /// let v = Verdict::different(vec![Difference::added("/x", 1.into())]);
    /// assert_eq!(v.differences.len(), 1);
    /// ```
    pub fn different(differences: Vec<Difference>) -> Self {
        Verdict::new(Status::Different, differences)
    }

    /// The replay fixes an erroneous recorded result.
    ///
    /// ```
    /// let v = playback_compare::Verdict::fixed(vec![]);
    /// assert_eq!(v.status, playback_compare::Status::Fixed);
    /// ```
    pub fn fixed(differences: Vec<Difference>) -> Self {
        Verdict::new(Status::Fixed, differences)
    }

    /// The replay is a failure compared to the recording.
    ///
    /// ```
    /// let v = playback_compare::Verdict::failed("replay returned an error");
    /// assert_eq!(v.status, playback_compare::Status::Failed);
    /// ```
    pub fn failed(message: impl Into<String>) -> Self {
        Verdict::new(Status::Failed, Vec::new()).with_message(message)
    }

    /// `Equal` when `differences` is empty, otherwise `Different`.
    ///
    /// ```
    /// assert_eq!(playback_compare::Verdict::from_differences(vec![]), playback_compare::Verdict::equal());
    /// ```
    pub fn from_differences(differences: Vec<Difference>) -> Self {
        if differences.is_empty() {
            Verdict::equal()
        } else {
            Verdict::different(differences)
        }
    }

    /// Any status with its differences.
    ///
    /// ```
    /// use playback_compare::{Status, Verdict};
    /// assert_eq!(Verdict::new(Status::Error, vec![]).status, Status::Error);
    /// ```
    pub fn new(status: Status, differences: Vec<Difference>) -> Self {
        Verdict {
            status,
            message: None,
            differences,
            not_comparable: Vec::new(),
        }
    }

    /// Sets the message.
    ///
    /// ```
    /// let v = playback_compare::Verdict::equal().with_message("ok");
    /// assert_eq!(v.message.unwrap(), "ok");
    /// ```
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

impl Verdict {
    /// Sets the paths that could not be compared.
    ///
    /// ```
    /// use playback_compare::{NotComparable, Verdict};
    /// let v = Verdict::equal().with_not_comparable(vec![NotComparable::new("/a", "not serializable")]);
    /// assert_eq!(v.not_comparable[0].path, "/a");
    /// ```
    pub fn with_not_comparable(mut self, not_comparable: Vec<NotComparable>) -> Self {
        self.not_comparable = not_comparable;
        self
    }
}

impl From<Status> for Verdict {
    /// A bare status, as Python comparators may return.
    fn from(status: Status) -> Self {
        Verdict::new(status, Vec::new())
    }
}
