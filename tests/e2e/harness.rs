//! The demo's recordings (`tests/recordings/`) as tests, through `playback::harness`, on
//! a temporary copy: they all pass; the candidate pricing fails exactly the quotes it
//! changes, with a diff at `/result/Ok/total`; `PLAYBACK_UPDATE=new` writes their
//! pending changes, and accepting them makes every test pass with the inputs unchanged.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use playback::harness::{Arguments, Harness, RunOutcome, TestResult, Update, pending};
use playback::{
    DirStore, InterceptionKind, OpResult, Query, Recording, RecordingId, Replayer, Status, Store,
};

use crate::demo::run::shop;
use crate::support::candidate_pricing_lock;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recordings");

/// A copy of the fixtures, and where libtest's output goes.
struct Fixtures {
    dir: tempfile::TempDir,
}

impl Fixtures {
    fn new() -> Fixtures {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(Path::new(FIXTURES), &dir.path().join("recordings"));
        Fixtures { dir }
    }

    fn recordings(&self) -> PathBuf {
        self.dir.path().join("recordings")
    }

    /// Runs every test of the copy, with the candidate pricing on or off.
    fn run(&self, candidate: bool, update: Update) -> (RunOutcome, String) {
        self.run_with(candidate, update, shop::replayer())
    }

    fn run_with(
        &self,
        candidate: bool,
        update: Update,
        replayer: Replayer,
    ) -> (RunOutcome, String) {
        shop::CANDIDATE_PRICING.store(candidate, Ordering::SeqCst);
        let log = self.dir.path().join("libtest.log");
        let args = Arguments::from_iter([
            "recordings",
            "--logfile",
            log.to_str().unwrap(),
            "--test-threads",
            "2",
        ]);
        let outcome = Harness::new()
            .dir(self.recordings())
            .replayer(replayer)
            .update(update)
            .run_with_args(&args);
        shop::CANDIDATE_PRICING.store(false, Ordering::SeqCst);
        (outcome, fs::read_to_string(log).unwrap())
    }

    fn store(&self) -> DirStore {
        DirStore::new(self.recordings()).unwrap()
    }

    /// Every recording of the copy, by id.
    fn all(&self) -> BTreeMap<RecordingId, Recording> {
        self.store()
            .find(&Query::all())
            .unwrap()
            .into_iter()
            .map(|r| r.unwrap())
            .map(|r| (r.id.clone(), r))
            .collect()
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The quotes the candidate changes, worked out from each recorded quote by hand: its
/// converted total truncated instead of rounded differs from the recorded total.
fn changed_by_the_candidate(
    recordings: &BTreeMap<RecordingId, Recording>,
) -> BTreeSet<RecordingId> {
    recordings
        .values()
        .filter(|r| r.category == "quote")
        .filter(|r| {
            let result = r.result.as_ref().unwrap().to_json();
            let Some(quote) = result.get("Ok") else {
                return false;
            };
            let exact = quote["subtotal_eur_cents"].as_u64().unwrap() as f64
                * quote["rate"].as_f64().unwrap();
            exact.floor() as u64 != quote["total"].as_u64().unwrap()
        })
        .map(|r| r.id.clone())
        .collect()
}

fn failed_ids(outcome: &RunOutcome) -> BTreeSet<RecordingId> {
    outcome
        .tests
        .iter()
        .filter(|t| t.result == TestResult::Failed)
        .map(|t| t.recording_id.clone().unwrap())
        .collect()
}

/// What replay feeds a recording: its arguments and its inputs, as stored.
fn inputs(rec: &Recording) -> String {
    let inputs: Vec<_> = rec
        .interceptions
        .iter()
        .filter(|i| i.kind == InterceptionKind::Input)
        .collect();
    format!(
        "{}|{}",
        serde_json::to_string(&rec.args).unwrap(),
        serde_json::to_string(&inputs).unwrap()
    )
}

#[test]
fn every_demo_recording_passes_as_a_test() {
    let _candidate = candidate_pricing_lock();
    let fixtures = Fixtures::new();
    let recordings = fixtures.all();
    assert!(recordings.len() >= 20, "{} fixtures", recordings.len());
    let categories: BTreeSet<&str> = recordings.values().map(|r| r.category.as_str()).collect();
    assert_eq!(
        categories,
        BTreeSet::from(["catalog", "checkout", "product", "quote"])
    );

    let (outcome, log) = fixtures.run(false, Update::No);
    assert_eq!(outcome.failed(), Vec::<&str>::new(), "{log}");
    assert_eq!(outcome.passed().len(), recordings.len());
    assert_eq!(outcome.conclusion.num_passed, recordings.len() as u64);
    assert!(
        log.contains(&format!("{} passed; 0 failed", recordings.len())),
        "{log}"
    );
    for t in &outcome.tests {
        let rec = &recordings[t.recording_id.as_ref().unwrap()];
        assert_eq!(
            t.name,
            format!("{}::{}", rec.category, &rec.id.as_str()[16..])
        );
    }
}

#[test]
fn the_candidate_fails_exactly_the_changed_quotes_with_a_diff_at_the_total() {
    let _candidate = candidate_pricing_lock();
    let fixtures = Fixtures::new();
    let recordings = fixtures.all();
    let expected = changed_by_the_candidate(&recordings);
    assert!(!expected.is_empty() && expected.len() < recordings.len());

    let (outcome, log) = fixtures.run(true, Update::No);
    assert_eq!(failed_ids(&outcome), expected, "{log}");
    assert_eq!(outcome.passed().len(), recordings.len() - expected.len());
    for t in outcome
        .tests
        .iter()
        .filter(|t| t.result == TestResult::Failed)
    {
        let rec = &recordings[t.recording_id.as_ref().unwrap()];
        let total = rec.result.as_ref().unwrap().to_json()["Ok"]["total"]
            .as_u64()
            .unwrap();
        let message = t.message.as_deref().unwrap();
        let diff = format!("/result/Ok/total\n    - {total}\n    + {}\n", total - 1);
        assert!(message.contains(&diff), "{message}");
        assert!(
            message.starts_with(&format!("different  quote  {}", rec.id)),
            "{message}"
        );
        // libtest prints it under the test's name
        assert!(
            log.contains(&format!("---- {} ----\n{message}", t.name)),
            "{log}"
        );
    }
    // no review workflow without PLAYBACK_UPDATE
    assert!(pending::find(fixtures.recordings()).unwrap().is_empty());
}

#[test]
fn accepting_the_pending_changes_makes_every_test_pass_and_keeps_the_inputs() {
    let _candidate = candidate_pricing_lock();
    let fixtures = Fixtures::new();
    let before = fixtures.all();
    let expected = changed_by_the_candidate(&before);
    let bytes_before: BTreeMap<PathBuf, Vec<u8>> = before
        .values()
        .map(|r| {
            let path = fixtures.store().path_for(r).unwrap();
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();

    // PLAYBACK_UPDATE=new: the changed recordings fail and get a pending file each
    let (outcome, log) = fixtures.run(true, Update::New);
    assert_eq!(failed_ids(&outcome), expected, "{log}");
    let changes = pending::find(fixtures.recordings()).unwrap();
    let pending_ids: BTreeSet<RecordingId> =
        changes.iter().map(|p| p.recording_id().clone()).collect();
    assert_eq!(pending_ids, expected);
    for change in &changes {
        let test = outcome.get(change.test_name()).unwrap();
        assert_eq!(test.pending.as_deref(), Some(change.pending_path()));
        assert!(test.message.as_deref().unwrap().contains("playback review"));
        assert_eq!(change.category(), "quote");
        assert_eq!(change.differences().len(), 1);
        assert_eq!(change.differences()[0].path, "/result/Ok/total");
        assert!(change.render(false).contains("/result/Ok/total"));
    }
    // the recordings are untouched until a change is accepted
    for (path, bytes) in &bytes_before {
        assert_eq!(&fs::read(path).unwrap(), bytes, "{}", path.display());
    }
    // and the store lists no pending file
    assert_eq!(fixtures.all().len(), before.len());

    for change in &changes {
        change.accept().unwrap();
    }
    assert!(pending::find(fixtures.recordings()).unwrap().is_empty());

    let (outcome, log) = fixtures.run(true, Update::New);
    assert_eq!(outcome.failed(), Vec::<&str>::new(), "{log}");
    assert_eq!(outcome.passed().len(), before.len());

    let after = fixtures.all();
    for (id, rec) in &before {
        let now = &after[id];
        assert_eq!(inputs(now), inputs(rec), "{id}");
        assert_eq!(
            (
                &now.category,
                &now.operation,
                &now.metadata,
                now.recorded_at
            ),
            (
                &rec.category,
                &rec.operation,
                &rec.metadata,
                rec.recorded_at
            )
        );
        let path = fixtures.store().path_for(rec).unwrap();
        if expected.contains(id) {
            let (old, new) = (total(rec), total(now));
            assert_eq!(new, old - 1, "{id}");
            // the file changed at that number only: a fixture's diff shows just the change
            let before = String::from_utf8(bytes_before[&path].clone()).unwrap();
            assert_eq!(
                fs::read_to_string(&path).unwrap(),
                before.replacen(&format!("\"total\":{old}"), &format!("\"total\":{new}"), 1),
                "{id}"
            );
        } else {
            assert_eq!(fs::read(&path).unwrap(), bytes_before[&path], "{id}");
        }
    }

    // the accepted recordings now expect the candidate: today's pricing fails them
    let (outcome, _) = fixtures.run(false, Update::No);
    assert_eq!(failed_ids(&outcome), expected);
}

#[test]
fn update_always_accepts_the_changes_at_once() {
    let _candidate = candidate_pricing_lock();
    let fixtures = Fixtures::new();
    let expected = changed_by_the_candidate(&fixtures.all());

    let (outcome, log) = fixtures.run(true, Update::Always);
    assert_eq!(outcome.failed(), Vec::<&str>::new(), "{log}");
    let accepted: BTreeSet<RecordingId> = outcome
        .tests
        .iter()
        .filter(|t| t.accepted)
        .map(|t| t.recording_id.clone().unwrap())
        .collect();
    assert_eq!(accepted, expected);
    assert!(pending::find(fixtures.recordings()).unwrap().is_empty());

    let (outcome, log) = fixtures.run(true, Update::No);
    assert_eq!(outcome.failed(), Vec::<&str>::new(), "{log}");
}

#[test]
fn a_replay_that_fails_prints_the_replay_error_and_its_fix_and_is_never_updated() {
    let _candidate = candidate_pricing_lock();
    let fixtures = Fixtures::new();
    let count = fixtures.all().len();
    // the shop's operations take a `&Shop`, which this replayer does not provide
    let (outcome, log) = fixtures.run_with(true, Update::New, Replayer::new());
    assert_eq!(outcome.failed().len(), count, "{log}");
    for t in &outcome.tests {
        assert_eq!(t.status, Status::Failed);
        let message = t.message.as_deref().unwrap();
        assert!(message.starts_with("failed  "), "{message}");
        assert!(message.contains("and none is provided"), "{message}");
        assert!(
            message.contains("to go on: replay with `Replayer::new().provide("),
            "{message}"
        );
    }
    assert!(pending::find(fixtures.recordings()).unwrap().is_empty());
}

fn total(rec: &Recording) -> u64 {
    match rec.result.as_ref().unwrap() {
        r @ OpResult::Returned { .. } => r.to_json()["Ok"]["total"].as_u64().unwrap(),
        other => panic!("{other:?}"),
    }
}
