//! Each playback recording as a cargo test, with a review workflow for changed
//! recordings.
//!
//! A test target with `harness = false` whose `main` is one call:
//!
//! ```toml
//! [[test]]
//! name = "recordings"
//! path = "tests/recordings.rs"
//! harness = false
//! ```
//!
//! ```no_run
//! // tests/recordings.rs
//! use playback_harness::Harness;
//!
//! fn main() {
//!     playback_harness::run(Harness::new().dir("tests/recordings").replayer(playback_replay::Replayer::new()))
//! }
//! ```
//!
//! - **One test per recording**, named `<category>::<short id>` (the last 10
//!   characters of its ULID, lengthened only when two recordings of a category share
//!   them), or `<category>::<name>` when its metadata holds a string `test_name`
//!   ([`Harness::name_key`]). `--list`, filters, `--exact`, `--skip`, `--ignored`,
//!   `--include-ignored`, `--test-threads` and `--format` behave as libtest's, so
//!   `cargo nextest run` works unchanged, partitions included.
//! - **Cheap listing, lazy loading**: listing reads only the store's summaries; a
//!   recording is loaded, replayed and compared only when its test runs. A process
//!   that runs one test by name (`--exact <category>::<short id>`, as nextest runs
//!   each test) reads the names in that category's folder and that one file only.
//! - **A failing test prints what the Equalizer prints** for its recording
//!   ([`playback_compare::Comparison::render`]): the JSON-pointer path of each
//!   difference with a line diff (coloured on a terminal, never with `NO_COLOR`), or
//!   the replay error and its fix.
//! - **Incomplete recordings are ignored tests** (as `#[ignore]`), replayed with
//!   `--ignored` or `--include-ignored`; see [`Harness::include_incomplete`].
//! - **Review workflow**: `PLAYBACK_UPDATE=new` writes each changed recording's
//!   pending change next to it ([`pending`]), `playback review` accepts or rejects
//!   them, `PLAYBACK_UPDATE=always` accepts at once ([`Update`]). What accepting
//!   means for a recording is at [`pending::updated_recording`].
//!
//! In-process, [`Harness::run_with_args`] returns which tests failed:
//!
//! ```
//! use playback_harness::{Arguments, Harness};
//! let dir = tempfile::tempdir()?;
//! let outcome = Harness::new().dir(dir.path()).run_with_args(&Arguments::from_iter(["recordings", "-q"]));
//! assert!(outcome.failed().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod harness;
mod names;
mod outcome;
pub mod pending;
mod source;
mod trials;
mod update;

pub use crate::error::Error;
pub use crate::harness::{DEFAULT_NAME_KEY, Harness};
pub use crate::outcome::{RunOutcome, TestOutcome, TestResult};
pub use crate::update::{UPDATE_ENV, Update};
pub use libtest_mimic::{Arguments, Conclusion};

/// Runs `harness` as a test binary's `main`: reads libtest's arguments from the
/// command line, runs the tests they select, and exits as libtest does (code 101 when
/// a test failed).
///
/// ```no_run
/// use playback_harness::Harness;
///
/// fn main() {
///     playback_harness::run(Harness::new().dir("tests/recordings"))
/// }
/// ```
pub fn run(harness: Harness) -> ! {
    harness
        .run_with_args(&Arguments::from_args())
        .conclusion
        .exit()
}
