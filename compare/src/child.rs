//! Crash isolation, the child's side: what the parent tells its child process, how
//! the child finds its run, replays its one recording and reports back.
//!
//! The parent re-executes the current executable with four environment variables:
//! the index of the isolated run (the n-th `run()` or `stream()` with `isolate` on
//! the calling thread), the recording to replay, the file to write the result to,
//! and the run's scratch directory. The child process runs the same code up to its
//! n-th isolated run, which replays that one recording in-process, writes the
//! result and exits the process with 0. Its earlier isolated runs return what the
//! parent's did, read from the scratch directory, without replaying.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use playback_replay::Playback;
use serde::{Deserialize, Serialize};

use crate::comparison::Comparison;
use crate::engine::{Threads, Work};
use crate::job::Settings;
use crate::report::Report;

/// Which isolated run of the thread the child replays in.
pub(crate) const RUN_VAR: &str = "PLAYBACK_ISOLATE_RUN";
/// The id of the recording the child replays.
pub(crate) const RECORDING_VAR: &str = "PLAYBACK_ISOLATE_RECORDING";
/// Where the child writes its [`ChildOutput`].
pub(crate) const RESULT_VAR: &str = "PLAYBACK_ISOLATE_RESULT";
/// The run's scratch directory, with the reports of the thread's earlier runs.
pub(crate) const DIR_VAR: &str = "PLAYBACK_ISOLATE_DIR";

/// What a child process was started to do.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) run: usize,
    pub(crate) recording: String,
    pub(crate) result: PathBuf,
    pub(crate) dir: PathBuf,
}

/// The part this process plays in crash isolation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role {
    /// Not started by an isolated run: isolated runs start child processes.
    Parent,
    /// A child process: it replays one recording of one run.
    Child(&'static Target),
    /// Started by an isolated run, with variables it cannot read: it never starts
    /// processes of its own, so isolation can never recurse.
    Stray,
}

/// The role of this process, read from the environment once.
pub(crate) fn role() -> Role {
    static ROLE: OnceLock<Option<Result<Target, ()>>> = OnceLock::new();
    let read = ROLE.get_or_init(|| {
        let run = std::env::var_os(RUN_VAR)?;
        let target = (|| {
            Some(Target {
                run: run.to_str()?.parse().ok()?,
                recording: std::env::var(RECORDING_VAR).ok()?,
                result: std::env::var_os(RESULT_VAR)?.into(),
                dir: std::env::var_os(DIR_VAR)?.into(),
            })
        })();
        Some(target.ok_or(()))
    });
    match read {
        None => Role::Parent,
        Some(Ok(target)) => Role::Child(target),
        Some(Err(())) => Role::Stray,
    }
}

thread_local! {
    /// How many isolated runs this thread has started.
    static RUNS: Cell<usize> = const { Cell::new(0) };
    /// The JSON reports of this thread's finished isolated runs, by run index: a
    /// child process returns them from its earlier runs instead of replaying.
    static EARLIER: RefCell<BTreeMap<usize, Arc<str>>> = const { RefCell::new(BTreeMap::new()) };
}

/// The index of the isolated run starting on this thread.
pub(crate) fn next_run() -> usize {
    RUNS.with(|runs| {
        let n = runs.get();
        runs.set(n + 1);
        n
    })
}

/// Keeps the report of a finished isolated run for the children of later ones.
pub(crate) fn remember(run: usize, report: &Report) {
    if let Ok(json) = report.to_json() {
        EARLIER.with(|e| e.borrow_mut().insert(run, Arc::from(json)));
    }
}

/// Writes the reports of this thread's earlier isolated runs into `dir`.
pub(crate) fn write_earlier(dir: &Path) -> std::io::Result<()> {
    let earlier: Vec<(usize, Arc<str>)> = EARLIER.with(|e| {
        e.borrow()
            .iter()
            .map(|(k, v)| (*k, Arc::clone(v)))
            .collect()
    });
    for (run, json) in earlier {
        std::fs::write(earlier_path(dir, run), json.as_bytes())?;
    }
    Ok(())
}

fn earlier_path(dir: &Path, run: usize) -> PathBuf {
    dir.join(format!("run-{run}.json"))
}

/// In a child, the comparisons the parent's isolated run `run` reported, when the
/// parent kept them.
pub(crate) fn earlier(target: &Target, run: usize) -> Option<Vec<Comparison>> {
    let path = earlier_path(&target.dir, run);
    Report::read_json(path).ok().map(|r| r.comparisons)
}

/// What a child process writes for its parent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum ChildOutput {
    /// The recording was replayed and compared.
    Replayed {
        comparison: Box<Comparison>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        playback: Option<Box<Playback>>,
    },
    /// The child's run has no recording with the id it was given.
    NotFound,
}

/// Replays the target recording in this process (the engine, one worker, no
/// timeout: the parent enforces it by killing this process), writes the result for
/// the parent and exits the process.
pub(crate) fn replay_and_exit(work: Vec<Work>, mut settings: Settings, target: &Target) -> ! {
    settings.timeout = None;
    let mine = work
        .into_iter()
        .find(|w| w.recording.id.as_str() == target.recording);
    let output = match mine.and_then(|w| Threads::start(vec![w], Vec::new(), settings, 1).next()) {
        Some(mut comparison) => {
            let playback = comparison.playback.take().map(Box::new);
            ChildOutput::Replayed {
                comparison: Box::new(comparison),
                playback,
            }
        }
        None => ChildOutput::NotFound,
    };
    if let Err(e) = write_atomically(&target.result, &output) {
        eprintln!(
            "playback: failed to write the result of the isolated replay to {}: {e}",
            target.result.display()
        );
    }
    std::process::exit(0)
}

/// Writes beside the file, then renames: the parent reads a whole result or none.
fn write_atomically(path: &Path, output: &ChildOutput) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(output).map_err(std::io::Error::other)?;
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Status;

    #[test]
    fn runs_are_counted_per_thread() {
        let here = next_run();
        assert_eq!(next_run(), here + 1);
        let other = std::thread::spawn(next_run).join().unwrap();
        assert_eq!(other, 0);
    }

    #[test]
    fn earlier_reports_written_by_the_parent_are_read_back_by_the_child() {
        let rec = playback_store::Recording::builder("c").build();
        let mut report = Report::default();
        report
            .comparisons
            .push(Comparison::new(&rec, Status::Equal));
        std::thread::spawn(move || {
            remember(0, &report);
            let dir = std::env::temp_dir().join(format!(
                "playback-child-test-{}-{}",
                std::process::id(),
                rec.id
            ));
            std::fs::create_dir_all(&dir).unwrap();
            write_earlier(&dir).unwrap();
            let target = Target {
                run: 1,
                recording: String::new(),
                result: dir.join("result.json"),
                dir: dir.clone(),
            };
            let got = earlier(&target, 0).unwrap();
            assert_eq!(got[0].recording_id, rec.id);
            assert!(earlier(&target, 5).is_none());
            std::fs::remove_dir_all(&dir).unwrap();
        })
        .join()
        .unwrap();
    }

    #[test]
    fn child_output_round_trips_with_its_playback() {
        use playback_replay::Side;
        let rec = playback_store::Recording::builder("c").build();
        let side = Side::new(
            serde_json::json!(1),
            false,
            vec![],
            std::time::Duration::ZERO,
        );
        let out = ChildOutput::Replayed {
            comparison: Box::new(Comparison::new(&rec, Status::Different)),
            playback: Some(Box::new(Playback::new(
                rec.id.clone(),
                "c",
                side.clone(),
                side,
                vec![],
            ))),
        };
        let back: ChildOutput = serde_json::from_slice(&serde_json::to_vec(&out).unwrap()).unwrap();
        match back {
            ChildOutput::Replayed {
                comparison,
                playback,
            } => {
                assert_eq!(comparison.status, Status::Different);
                assert_eq!(playback.unwrap().replayed().result(), &serde_json::json!(1));
            }
            ChildOutput::NotFound => panic!("expected a replayed result"),
        }
    }
}
