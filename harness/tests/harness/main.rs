//! The harness through its public API, in-process: names, libtest's command line,
//! incomplete recordings, failure messages, the update modes and store sources. One
//! binary; this file holds the fixture the modules share.

mod cli;
mod sources;
mod update;

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use playback_compare::BoxError;
use playback_harness::{Arguments, Harness, RunOutcome, Update};
use playback_replay::{Output, Playback, Side};
use playback_store::{
    DirStore, Interception, InterceptionKind, OpResult, Recording, RecordingId, Store,
};
use serde_json::value::to_raw_value;
use serde_json::{Value, json};

/// The code under test: `price(n) = n * factor`, with an `audit` output of the total.
/// A zero `n` fails the replay. Counts its replays.
pub(crate) fn player(
    factor: u64,
    replays: Arc<AtomicUsize>,
) -> impl Fn(&Recording) -> Result<Playback, BoxError> + Send + Sync + 'static {
    move |rec| {
        replays.fetch_add(1, Ordering::SeqCst);
        let n: u64 = rec.arg("n")?;
        if n == 0 {
            return Err("price: n is 0; record a real order".into());
        }
        let outputs = rec
            .interceptions
            .iter()
            .filter(|i| i.kind == InterceptionKind::Output)
            .map(|i| {
                Output::new(
                    i.alias.clone(),
                    i.invocation,
                    i.args_value(),
                    i.value_json(),
                    i.error,
                )
            })
            .collect();
        let result = rec.result.as_ref().map_or(Value::Null, OpResult::to_json);
        let recorded = Side::new(result, false, outputs, Duration::ZERO);
        let total = n * factor;
        let audit = Output::new("audit", 1, json!({"total": total}), json!(null), false);
        let replayed = Side::new(json!({"Ok": total}), false, vec![audit], Duration::ZERO);
        Ok(Playback::new(
            rec.id.clone(),
            rec.category.clone(),
            recorded,
            replayed,
            vec![],
        ))
    }
}

/// A recording of `price(n)` made when the factor was `factor`.
pub(crate) fn recording(category: &str, id: &str, n: u64, factor: u64) -> Recording {
    let raw = |v: Value| to_raw_value(&v).unwrap();
    Recording::builder(category)
        .id(RecordingId::parse(id).unwrap())
        .operation("shop::price")
        .arg("n", raw(json!(n)))
        .interception(Interception::input(
            "rate",
            1,
            json!({"n": n}),
            raw(json!(factor)),
            false,
        ))
        .interception(Interception::output(
            "audit",
            1,
            raw(json!({"total": n * factor})),
            raw(json!(null)),
            false,
        ))
        .result(OpResult::Returned {
            value: raw(json!({"Ok": n * factor})),
            error: false,
        })
        .build()
}

pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    replays: Arc<AtomicUsize>,
}

impl Fixture {
    /// Four recordings made with factor 2: two of `price`, one of `quote`, and one
    /// that fails to replay.
    pub(crate) fn new() -> Fixture {
        let f = Fixture {
            dir: tempfile::tempdir().unwrap(),
            replays: Arc::default(),
        };
        for rec in [
            recording("price", "01KE4F9ZQE0000000000000001", 3, 2),
            recording("price", "01KE4F9ZQE0000000000000002", 5, 2),
            recording("quote", "01KE4F9ZQE0000000000000003", 7, 2),
            recording("broken", "01KE4F9ZQE0000000000000004", 0, 2),
        ] {
            f.put(&rec);
        }
        f
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("recordings")
    }

    pub(crate) fn put(&self, rec: &Recording) -> PathBuf {
        let store = DirStore::new(self.root()).unwrap();
        store.put(rec).unwrap();
        store.path_for(rec).unwrap()
    }

    pub(crate) fn harness(&self, factor: u64) -> Harness {
        Harness::new()
            .dir(self.root())
            .player(player(factor, self.replays.clone()))
            .update(Update::No)
    }

    pub(crate) fn replays(&self) -> usize {
        self.replays.load(Ordering::SeqCst)
    }
}

/// Runs with libtest's `args`, its output into a log file; returns the outcome and the
/// output.
pub(crate) fn run(harness: Harness, args: &[&str]) -> (RunOutcome, String) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut all = vec!["recordings", "--logfile", log.path().to_str().unwrap()];
    all.extend_from_slice(args);
    let outcome = harness.run_with_args(&Arguments::from_iter(all));
    (outcome, fs::read_to_string(log.path()).unwrap())
}
