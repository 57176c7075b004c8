//! `Comparison`: the result for one recording.

use playback_replay::{Playback, Unused};
use playback_store::{Recording, RecordingId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::combination::Combination;
use crate::difference::{Difference, NotComparable};
use crate::verdict::Status;

/// The result for one recording: its status, always with its recording id, and the
/// evidence.
///
/// `recorded` and `replayed` hold the extracted values when the status is not
/// `Equal` or when noise or paths that are not comparable were found (so reports can show them side by side), and
/// always with `keep_results(true)`. `playback` is only kept with
/// `keep_results(true)` and is not part of the JSON report.
///
/// ```
/// use playback_compare::{Comparison, Status};
/// let rec = playback_store::Recording::builder("checkout").operation("shop::checkout").build();
/// let c = Comparison::new(&rec, Status::Equal);
/// assert_eq!(c.recording_id, rec.id);
/// assert_eq!(c.category, "checkout");
/// assert!(!c.status.fails());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Comparison {
    /// The recording's id.
    pub recording_id: RecordingId,
    /// The recording's category.
    pub category: String,
    /// The recorded operation's alias (empty when the recording could not be read).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operation: String,
    /// The status.
    pub status: Status,
    /// Why: the failure or error message, or the comparator's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The real differences, recorded against replayed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
    /// Paths that could not be compared because a value could not be recorded
    /// (`{"playback.unrecordable": ..}` on a side): a note, they do not fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_comparable: Vec<NotComparable>,
    /// Differences at paths learned as noise: reported apart, they do not fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noise: Vec<Difference>,
    /// The paths where this recording's replays differed from each other
    /// (with `learn_noise`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noise_paths: Vec<String>,
    /// The extracted recorded value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Value>,
    /// The extracted replayed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed: Option<Value>,
    /// Whether the recorded operation ended in an error (`Err` or panic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_is_error: Option<bool>,
    /// Whether the replayed operation ended in an error (`Err` or panic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_is_error: Option<bool>,
    /// How long the recorded operation took, in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_duration_us: Option<u64>,
    /// How long the replay took, in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_duration_us: Option<u64>,
    /// Recorded interceptions the replay never used: code paths that disappeared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unused: Vec<Unused>,
    /// The scenario-matrix walk this comparison ran (`playback::matrix`); `None` for
    /// an Equalizer's comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combination: Option<Combination>,
    /// The playback, with `keep_results(true)`.
    #[serde(skip)]
    pub playback: Option<Playback>,
}

impl Comparison {
    /// A comparison of `recording` with `status` and nothing else filled in.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").build();
    /// let c = playback_compare::Comparison::new(&rec, playback_compare::Status::Failed);
    /// assert!(c.differences.is_empty());
    /// ```
    pub fn new(recording: &Recording, status: Status) -> Self {
        Comparison::bare(
            recording.id.clone(),
            recording.category.clone(),
            recording.operation.clone(),
            status,
        )
    }

    pub(crate) fn bare(
        recording_id: RecordingId,
        category: String,
        operation: String,
        status: Status,
    ) -> Self {
        Comparison {
            recording_id,
            category,
            operation,
            status,
            message: None,
            differences: Vec::new(),
            not_comparable: Vec::new(),
            noise: Vec::new(),
            noise_paths: Vec::new(),
            recorded: None,
            replayed: None,
            recorded_is_error: None,
            replayed_is_error: None,
            recorded_duration_us: None,
            replayed_duration_us: None,
            unused: Vec::new(),
            combination: None,
            playback: None,
        }
    }

    pub(crate) fn with(mut self, status: Status, message: impl Into<String>) -> Self {
        self.status = status;
        self.message = Some(message.into());
        self
    }

    /// The sort key of reports: category, then recording id, then walk id.
    pub(crate) fn sort_key(&self) -> (&str, &str, &str) {
        (&self.category, self.recording_id.as_str(), self.walk_id())
    }

    /// The matrix walk's id, or `""`.
    pub(crate) fn walk_id(&self) -> &str {
        self.combination.as_ref().map_or("", |c| c.walk_id.as_str())
    }
}
