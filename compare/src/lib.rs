//! The comparison engine of [playback](https://docs.rs/playback): replay many
//! recordings, compare what production did with what today's code does, and report.
//!
//! - [`Equalizer`] replays a set of recordings (from `store.find(..)?` or any iterator)
//!   with a **player**, extracts a value from each side with a **result extractor**
//!   (default [`result_and_outputs`]), and compares the two with a **comparator**
//!   (default [`JsonDiff`]), optionally with data from a **comparison-data
//!   extractor**. It runs on all cores, with a per-replay timeout, panics isolated
//!   per recording, optional noise learning and sharding, and optional crash
//!   isolation ([`Equalizer::isolate`]: a child process per recording).
//! - [`Studio`] does the same across many categories, with a [`Tuning`] per category.
//! - [`Report`] holds one [`Comparison`] per recording, always with its recording id
//!   and a [`Status`]: `Equal`, `Fixed`, `Different` (with the [`Difference`]s),
//!   `Failed` (the replay failed: mismatch, panic, timeout, crash), `Error` (the
//!   store, a missing player, or your extractor or comparator failed) or `Skipped`
//!   (an incomplete recording, see [`Equalizer::include_incomplete`]). Paths where a
//!   value could not be recorded are [`NotComparable`], a note rather than a
//!   difference. It prints a terminal summary and writes JSON (mergeable across
//!   shards), JUnit XML and a self-contained HTML page.
//!
//! ```
//! use playback_compare::{Equalizer, JsonDiff, Progress, Status};
//! use playback_replay::{Output, Playback, Side};
//! use playback_store::Recording;
//! use serde_json::json;
//! use std::time::Duration;
//!
//! // A stand-in player: the replayed total is read from the recording's metadata.
//! let player = |rec: &Recording| -> Result<Playback, std::io::Error> {
//!     let side = |total: &serde_json::Value| {
//!         let out = Output::new("shop::save_order", 1, json!({"total": total, "trace_id": fastrand_like(total)}), json!({"Ok": null}), false);
//!         Side::new(json!({"Ok": {"total": total}}), false, vec![out], Duration::ZERO)
//!     };
//!     Ok(Playback::new(rec.id.clone(), rec.category.clone(), side(&rec.metadata["recorded"]), side(&rec.metadata["replayed"]), vec![]))
//! };
//! # fn fastrand_like(v: &serde_json::Value) -> String { format!("t-{v}") }
//! let equal = Recording::builder("checkout").metadata("recorded", 10).metadata("replayed", 10).build();
//! let changed = Recording::builder("checkout").metadata("recorded", 10).metadata("replayed", 11).build();
//!
//! let report = Equalizer::new(vec![equal, changed.clone()])
//!     .player(player)
//!     .comparator(JsonDiff::new().ignore("/outputs/*/args/trace_id").float_tolerance(1e-9))
//!     .progress(Progress::Never)
//!     .run();
//!
//! let c = report.get(&changed.id).unwrap();
//! assert_eq!(c.status, Status::Different);
//! let paths: Vec<&str> = c.differences.iter().map(|d| d.path.as_str()).collect();
//! assert_eq!(paths, ["/outputs/0/args/total", "/result/Ok/total"]);
//! assert_eq!(report.exit_code(), 1);
//! ```
//!
//! # Reports
//!
//! - [`Report::print_summary`]: counts per category and status, then the first
//!   diffs, coloured with `similar` on a terminal.
//! - [`Report::write_json`]: the stable format documented at [`Report::to_json`];
//!   [`Report::merge`] joins the reports of shards.
//! - [`Report::write_junit`]: one test case per recording.
//! - [`Report::write_html`]: a single self-contained page with the recorded and
//!   replayed values side by side and the differing paths highlighted.
//! - [`Report::exit_code`]: `0` when nothing differs or failed.

mod child;
mod combination;
mod comparator;
mod comparison;
mod counts;
mod crash;
mod diff;
mod difference;
mod engine;
mod equalizer;
mod error;
mod fuzz;
#[doc(hidden)]
pub mod __fuzz {
    //! Not public API: the fuzz targets' checks (see `fuzz/README.md`).
    pub use crate::fuzz::*;
}
mod gather;
mod html;
mod html_assets;
mod isolate;
mod job;
mod junit;
mod pointer;
mod progress;
mod report;
mod run;
mod shard;
mod stream;
mod studio;
mod summary;
mod tuning;
mod verdict;
mod walk;

pub use crate::combination::{AxisOption, AxisSummary, AxisValueCounts, Combination};
pub use crate::comparator::{BoxError, Comparator, Context, result_and_outputs};
pub use crate::comparison::Comparison;
pub use crate::counts::{CategorySummary, Counts, NoisePath};
pub use crate::diff::JsonDiff;
pub use crate::difference::{Change, Difference, Inspection, NotComparable, REDACTED_CHANGED};
pub use crate::equalizer::Equalizer;
pub use crate::error::Error;
pub use crate::progress::Progress;
pub use crate::report::{Problem, REPORT_FORMAT_VERSION, Report};
pub use crate::run::RecordingEntry;
pub use crate::shard::Shard;
pub use crate::stream::Comparisons;
pub use crate::studio::Studio;
pub use crate::summary::SummaryOptions;
pub use crate::tuning::Tuning;
pub use crate::verdict::{Status, Verdict};
