//! Counts per status and per category.

use serde::{Deserialize, Serialize};

use crate::verdict::Status;

/// How many recordings have each status.
///
/// ```
/// use playback_compare::{Counts, Status};
/// let mut c = Counts::default();
/// c.add(Status::Equal);
/// c.add(Status::Failed);
/// assert_eq!((c.total, c.get(Status::Failed), c.failing()), (2, 1, 1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Counts {
    /// All recordings.
    pub total: usize,
    /// [`Status::Equal`].
    pub equal: usize,
    /// [`Status::Fixed`].
    pub fixed: usize,
    /// [`Status::Different`].
    pub different: usize,
    /// [`Status::Failed`].
    pub failed: usize,
    /// [`Status::Error`].
    pub error: usize,
    /// [`Status::Skipped`]: not compared, never failing.
    #[serde(default)]
    pub skipped: usize,
}

impl Counts {
    /// Counts one more recording.
    ///
    /// ```
    /// let mut c = playback_compare::Counts::default();
    /// c.add(playback_compare::Status::Different);
    /// assert_eq!(c.different, 1);
    /// ```
    pub fn add(&mut self, status: Status) {
        self.total += 1;
        match status {
            Status::Equal => self.equal += 1,
            Status::Fixed => self.fixed += 1,
            Status::Different => self.different += 1,
            Status::Failed => self.failed += 1,
            Status::Error => self.error += 1,
            Status::Skipped => self.skipped += 1,
        }
    }

    /// The count of one status.
    ///
    /// ```
    /// assert_eq!(playback_compare::Counts::default().get(playback_compare::Status::Equal), 0);
    /// ```
    pub fn get(&self, status: Status) -> usize {
        match status {
            Status::Equal => self.equal,
            Status::Fixed => self.fixed,
            Status::Different => self.different,
            Status::Failed => self.failed,
            Status::Error => self.error,
            Status::Skipped => self.skipped,
        }
    }

    /// How many recordings fail the run (different, failed or error; skipped ones
    /// never do).
    ///
    /// ```
    /// assert_eq!(playback_compare::Counts::default().failing(), 0);
    /// ```
    pub fn failing(&self) -> usize {
        self.different + self.failed + self.error
    }
}

/// A path learned as noise in a category, and in how many of its recordings.
///
/// ```
/// let n = playback_compare::NoisePath { path: "/result/Ok/token".into(), recordings: 3 };
/// assert_eq!(n.recordings, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoisePath {
    /// The JSON pointer.
    pub path: String,
    /// How many recordings' replays differed there.
    pub recordings: usize,
}

/// One category's counts and learned noise.
///
/// ```
/// let rec = playback_store::Recording::builder("checkout").build();
/// let report = playback_compare::Equalizer::new(vec![rec]).progress(playback_compare::Progress::Never).run();
/// let cats = report.categories();
/// assert_eq!(cats[0].name, "checkout");
/// assert_eq!(cats[0].counts.failed, 1); // no operation "checkout" is registered
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CategorySummary {
    /// The category.
    pub name: String,
    /// Its counts.
    pub counts: Counts,
    /// The paths learned as noise in it, sorted.
    pub noise: Vec<NoisePath>,
}
