//! The harness through its public API, in-process: names, libtest's command line,
//! incomplete recordings, failure messages, the update modes and store sources.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use playback_compare::{BoxError, Status};
use playback_harness::{Arguments, Error, Harness, RunOutcome, Update, pending};
use playback_replay::{Output, Playback, Side};
use playback_store::{
    DirStore, Interception, InterceptionKind, MemoryStore, OpResult, Outcome, Query, Recording,
    RecordingId, Store, StoreError, Summary,
};
use serde_json::value::to_raw_value;
use serde_json::{Value, json};

/// The code under test: `price(n) = n * factor`, with an `audit` output of the total.
/// A zero `n` fails the replay. Counts its replays.
fn player(
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
fn recording(category: &str, id: &str, n: u64, factor: u64) -> Recording {
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

struct Fixture {
    dir: tempfile::TempDir,
    replays: Arc<AtomicUsize>,
}

impl Fixture {
    /// Four recordings made with factor 2: two of `price`, one of `quote`, and one
    /// that fails to replay.
    fn new() -> Fixture {
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

    fn root(&self) -> PathBuf {
        self.dir.path().join("recordings")
    }

    fn put(&self, rec: &Recording) -> PathBuf {
        let store = DirStore::new(self.root()).unwrap();
        store.put(rec).unwrap();
        store.path_for(rec).unwrap()
    }

    fn harness(&self, factor: u64) -> Harness {
        Harness::new()
            .dir(self.root())
            .player(player(factor, self.replays.clone()))
            .update(Update::No)
    }

    fn replays(&self) -> usize {
        self.replays.load(Ordering::SeqCst)
    }
}

/// Runs with libtest's `args`, its output into a log file; returns the outcome and the
/// output.
fn run(harness: Harness, args: &[&str]) -> (RunOutcome, String) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut all = vec!["recordings", "--logfile", log.path().to_str().unwrap()];
    all.extend_from_slice(args);
    let outcome = harness.run_with_args(&Arguments::from_iter(all));
    (outcome, fs::read_to_string(log.path()).unwrap())
}

#[test]
fn list_prints_one_test_per_recording_and_replays_none() {
    let f = Fixture::new();
    let (outcome, log) = run(f.harness(2), &["--list"]);
    assert_eq!(
        log,
        "broken::0000000004: test\nprice::0000000001: test\nprice::0000000002: test\nquote::0000000003: test\n"
    );
    assert!(outcome.tests.is_empty());
    assert_eq!(f.replays(), 0);
    let (_, terse) = run(f.harness(2), &["--list", "--format", "terse", "price"]);
    assert_eq!(terse, "price::0000000001: test\nprice::0000000002: test\n");
}

#[test]
fn filters_exact_skip_and_nocapture_behave_as_libtest() {
    let f = Fixture::new();
    let (outcome, _) = run(f.harness(2), &["price"]);
    assert_eq!(outcome.passed(), ["price::0000000001", "price::0000000002"]);
    assert_eq!(outcome.conclusion.num_filtered_out, 2);
    assert_eq!(f.replays(), 2, "only the selected recordings replay");

    let (outcome, _) = run(f.harness(2), &["--exact", "price::0000000002"]);
    assert_eq!(outcome.passed(), ["price::0000000002"]);
    let (outcome, _) = run(f.harness(2), &["--exact", "price::000000000"]);
    assert!(outcome.tests.is_empty(), "--exact does not match a prefix");

    let (outcome, _) = run(f.harness(2), &["--skip", "broken", "--nocapture"]);
    assert_eq!(outcome.failed(), Vec::<&str>::new());
    assert_eq!(outcome.passed().len(), 3);
    assert!(!outcome.conclusion.has_failed());
}

#[test]
fn exact_finds_its_one_recording_without_reading_the_others() {
    let f = Fixture::new();
    // a sibling that cannot be read: a full listing makes it a test of its own
    let corrupt = f.put(&recording("price", "01KE4F9ZQE0000000000000007", 1, 2));
    fs::write(&corrupt, "{ truncated").unwrap();

    let (outcome, _) = run(f.harness(2), &["--exact", "price::0000000001"]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(
        outcome.conclusion.num_filtered_out, 0,
        "nothing else was listed"
    );
    assert_eq!(f.replays(), 1);
    // with --skip the harness lists everything, and the result is the same
    let (outcome, _) = run(
        f.harness(2),
        &["--exact", "price::0000000001", "--skip", "x"],
    );
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(outcome.conclusion.num_filtered_out, 4);

    // names the full listing would not give select nothing, as libtest's --exact does
    f.put(&recording("price", "01KE4F9ZQE1000000000000002", 3, 2)); // collides with ..0002
    let mut named = recording("quote", "01KE4F9ZQE0000000000000009", 3, 2);
    named.metadata.insert("test_name".into(), json!("usd"));
    f.put(&named);
    for name in ["price::0000000002", "quote::0000000009", "nope::0000000001"] {
        let (outcome, _) = run(f.harness(2), &["--exact", name]);
        assert!(outcome.tests.is_empty(), "{name}: {:?}", outcome.tests);
    }
    let (outcome, _) = run(f.harness(2), &["--exact", "quote::usd"]);
    assert_eq!(outcome.passed(), ["quote::usd"]);
    let (outcome, _) = run(
        f.harness(2).query(Query::category("quote")),
        &["--exact", "price::0000000001"],
    );
    assert!(outcome.tests.is_empty());
    let (outcome, _) = run(f.harness(2), &["--exact", "price::0000000000000002"]);
    assert_eq!(outcome.passed(), ["price::0000000000000002"]);
}

#[test]
fn incomplete_recordings_are_ignored_tests_replayed_with_ignored() {
    let f = Fixture::new();
    let mut cut = recording("price", "01KE4F9ZQE0000000000000005", 4, 2);
    cut.outcome = Outcome::Incomplete;
    cut.result = None;
    f.put(&cut);

    let (_, log) = run(f.harness(2), &["--list", "--ignored"]);
    assert_eq!(log, "price::0000000005: test\n");
    let (outcome, log) = run(f.harness(2), &["price"]);
    assert_eq!(outcome.passed(), ["price::0000000001", "price::0000000002"]);
    assert_eq!(outcome.conclusion.num_ignored, 1);
    assert!(log.contains("test price::0000000005 ... ignored"), "{log}");

    // --ignored replays it, comparing only what was recorded: the audit output
    let (outcome, _) = run(f.harness(2), &["--ignored"]);
    assert_eq!(outcome.passed(), ["price::0000000005"]);
    let (outcome, _) = run(f.harness(2), &["--include-ignored", "price"]);
    assert_eq!(outcome.passed().len(), 3);
    // include_incomplete(true): an ordinary test
    let (outcome, _) = run(f.harness(2).include_incomplete(true), &["price"]);
    assert_eq!(outcome.passed().len(), 3);
    assert_eq!(outcome.conclusion.num_ignored, 0);
}

#[test]
fn names_come_from_the_short_id_lengthened_on_collision_or_from_metadata() {
    let f = Fixture::new();
    // shares its last 10 characters with 0000000001, in the same category
    f.put(&recording("price", "01KE4F9ZQE1000000000000001", 3, 2));
    // the same suffix in another category does not collide
    f.put(&recording("quote", "01KE4F9ZQE2000000000000001", 3, 2));
    let mut named = recording("quote", "01KE4F9ZQE0000000000000009", 3, 2);
    named
        .metadata
        .insert("test_name".into(), json!("three mugs in USD"));
    f.put(&named);
    let names = f.harness(2).test_names().unwrap();
    assert_eq!(
        names,
        [
            "broken::0000000004",
            "price::0000000000000001",
            "price::0000000002",
            "price::1000000000000001",
            "quote::0000000003",
            "quote::three mugs in USD",
            "quote::0000000001",
        ]
    );
    let scenario = f.harness(2).name_key("scenario").test_names().unwrap();
    assert!(scenario.contains(&"quote::0000000009".to_owned()));
    let (outcome, _) = run(f.harness(2), &["--exact", "quote::three mugs in USD"]);
    assert_eq!(outcome.passed(), ["quote::three mugs in USD"]);
}

#[test]
fn a_failing_test_prints_the_equalizer_diff_or_the_replay_error() {
    let f = Fixture::new();
    let (outcome, log) = run(f.harness(3), &["--color", "never"]);
    assert_eq!(
        outcome.failed(),
        [
            "broken::0000000004",
            "price::0000000001",
            "price::0000000002",
            "quote::0000000003"
        ]
    );
    let price = outcome.get("price::0000000001").unwrap();
    assert_eq!(price.status, Status::Different);
    assert_eq!(
        price.message.as_deref().unwrap(),
        "different  price  01KE4F9ZQE0000000000000001  shop::price\n  /outputs/0/args/total\n    - 6\n    + 9\n  /result/Ok\n    - 6\n    + 9\n"
    );
    let broken = outcome.get("broken::0000000004").unwrap();
    assert_eq!(broken.status, Status::Failed);
    assert!(
        broken
            .message
            .as_deref()
            .unwrap()
            .contains("price: n is 0; record a real order")
    );
    assert!(log.contains("---- broken::0000000004 ----"), "{log}");
    assert!(!log.contains('\u{1b}'));

    let (outcome, _) = run(f.harness(3), &["--color", "always", "price::0000000001"]);
    assert!(
        outcome.tests[0]
            .message
            .as_deref()
            .unwrap()
            .contains('\u{1b}')
    );
    // a log file without --color always has no colour
    let (outcome, _) = run(f.harness(3), &["price::0000000001"]);
    assert!(
        !outcome.tests[0]
            .message
            .as_deref()
            .unwrap()
            .contains('\u{1b}')
    );
}

#[test]
fn update_no_writes_nothing_and_update_new_writes_a_pending_change_to_review() {
    let f = Fixture::new();
    let file = DirStore::new(f.root())
        .unwrap()
        .path_for(&recording("price", "01KE4F9ZQE0000000000000001", 3, 2))
        .unwrap();
    let before = fs::read(&file).unwrap();

    let (outcome, _) = run(f.harness(3), &["price"]);
    assert_eq!(outcome.failed().len(), 2);
    assert!(pending::find(f.root()).unwrap().is_empty());

    let (outcome, _) = run(f.harness(3).update(Update::New), &["price"]);
    assert_eq!(outcome.failed(), ["price::0000000001", "price::0000000002"]);
    let test = outcome.get("price::0000000001").unwrap();
    let written = test.pending.clone().unwrap();
    assert_eq!(
        written,
        PathBuf::from(format!("{}.pending", file.display()))
    );
    assert!(
        test.message
            .as_deref()
            .unwrap()
            .contains(&format!("pending change written to {}", written.display()))
    );
    assert_eq!(
        fs::read(&file).unwrap(),
        before,
        "the recording is untouched"
    );

    let changes = pending::find(f.root()).unwrap();
    assert_eq!(changes.len(), 2);
    let change = &changes[0];
    assert_eq!(change.test_name(), "price::0000000001");
    assert_eq!(change.recording_path(), file);
    let paths: Vec<&str> = change
        .differences()
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(paths, ["/outputs/0/args/total", "/result/Ok"]);
    change.accept().unwrap();
    changes[1].reject().unwrap();

    let (outcome, _) = run(f.harness(3).update(Update::New), &["price"]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(outcome.failed(), ["price::0000000002"]);
    let accepted = Recording::from_json(&fs::read(&file).unwrap()).unwrap();
    let original = Recording::from_json(&before).unwrap();
    assert_eq!(accepted.result.unwrap().to_json(), json!({"Ok": 9}));
    assert_eq!(accepted.interceptions[1].args_value(), json!({"total": 9}));
    assert_eq!(
        accepted.interceptions[0].value.as_ref().unwrap().get(),
        original.interceptions[0].value.as_ref().unwrap().get()
    );
    assert_eq!(accepted.interceptions[0].key, original.interceptions[0].key);
    assert_eq!(accepted.args["n"].get(), original.args["n"].get());

    // a pending change left behind is removed once the recording passes again
    run(
        f.harness(3).update(Update::New),
        &["--exact", "price::0000000002"],
    );
    assert_eq!(pending::find(f.root()).unwrap().len(), 1);
    let (outcome, _) = run(
        f.harness(2).update(Update::New),
        &["--exact", "price::0000000002"],
    );
    assert_eq!(outcome.passed(), ["price::0000000002"]);
    assert!(
        pending::find(f.root()).unwrap().is_empty(),
        "a stale pending change is removed"
    );
}

#[test]
fn update_always_accepts_at_once_and_failed_replays_are_never_updated() {
    let f = Fixture::new();
    let (outcome, _) = run(f.harness(3).update(Update::Always), &[]);
    assert_eq!(
        outcome.passed(),
        [
            "price::0000000001",
            "price::0000000002",
            "quote::0000000003"
        ]
    );
    assert_eq!(outcome.failed(), ["broken::0000000004"]);
    assert!(outcome.get("quote::0000000003").unwrap().accepted);
    assert!(!outcome.get("broken::0000000004").unwrap().accepted);
    assert!(pending::find(f.root()).unwrap().is_empty());
    let (outcome, _) = run(f.harness(3), &["--skip", "broken"]);
    assert_eq!(outcome.passed().len(), 3);
}

/// A store that can be switched off, as a network store goes offline.
#[derive(Debug, Default)]
struct Flaky {
    inner: MemoryStore,
    offline: AtomicBool,
    gets: AtomicUsize,
}

impl Flaky {
    fn check(&self) -> Result<(), StoreError> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(StoreError::Io {
                path: "s3://bucket".into(),
                op: "list",
                source: std::io::Error::other("network is unreachable"),
            });
        }
        Ok(())
    }
}

impl Store for Flaky {
    fn put(&self, recording: &Recording) -> Result<(), StoreError> {
        self.inner.put(recording)
    }
    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        self.check()?;
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(id)
    }
    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        self.inner.delete(id)
    }
    fn list(&self, query: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        self.check()?;
        self.inner.list(query)
    }
}

#[test]
fn a_store_source_fetches_each_recording_once_into_the_cache_and_runs_offline_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let store = Arc::new(Flaky::default());
    for rec in [
        recording("price", "01KE4F9ZQE0000000000000001", 3, 2),
        recording("quote", "01KE4F9ZQE0000000000000003", 7, 2),
    ] {
        store.put(&rec).unwrap();
    }
    let replays = Arc::new(AtomicUsize::new(0));
    let harness = |factor| {
        Harness::new()
            .store(store.clone())
            .cache_dir(&cache)
            .query(Query::category("price"))
            .player(player(factor, replays.clone()))
            .update(Update::New)
    };
    let (outcome, _) = run(harness(2), &[]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    let (outcome, _) = run(harness(2), &[]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(store.gets.load(Ordering::SeqCst), 1, "fetched once");
    assert_eq!(
        DirStore::new(&cache)
            .unwrap()
            .list(&Query::all())
            .unwrap()
            .len(),
        1
    );

    store.offline.store(true, Ordering::SeqCst);
    let (outcome, _) = run(harness(2), &[]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);

    // a change is reported, but a store's recording is not updated
    let (outcome, _) = run(harness(3), &[]);
    let failed = outcome.get("price::0000000001").unwrap();
    assert!(failed.message.as_deref().unwrap().contains("playback pull"));
    assert!(failed.pending.is_none());

    // offline with an empty cache: the store's error, as the one failing test
    let empty = Harness::new()
        .store(store.clone())
        .cache_dir(dir.path().join("none"));
    let (outcome, _) = run(empty, &[]);
    assert_eq!(outcome.failed(), ["playback::setup"]);
    let message = outcome.tests[0].message.as_deref().unwrap();
    assert!(
        message.contains("failed to list `s3://bucket`")
            && message.contains("network is unreachable"),
        "{message}"
    );
}

#[test]
fn setup_problems_and_unreadable_recordings_are_failing_tests_that_say_what_to_do() {
    let (outcome, _) = run(Harness::new().dir("no/such/dir"), &[]);
    assert_eq!(outcome.failed(), ["playback::setup"]);
    let message = outcome.tests[0].message.clone().unwrap();
    assert!(
        message.contains("no/such/dir") && message.contains("playback pull"),
        "{message}"
    );
    assert!(matches!(Harness::new().test_names(), Err(Error::NoSource)));

    let f = Fixture::new();
    let day = f.put(&recording("price", "01KE4F9ZQE0000000000000007", 1, 2));
    fs::write(&day, "{ truncated").unwrap();
    let (outcome, _) = run(f.harness(2), &["--skip", "broken"]);
    assert_eq!(outcome.failed(), ["playback::unreadable::1"]);
    assert!(
        outcome
            .tests
            .iter()
            .any(|t| t.message.as_deref().is_some_and(|m| m.contains("corrupt")))
    );
    assert_eq!(outcome.passed().len(), 3);
}

#[test]
fn find_reports_a_corrupt_pending_file_by_name() {
    let f = Fixture::new();
    run(f.harness(3).update(Update::New), &["price::0000000001"]);
    let change = &pending::find(f.root()).unwrap()[0];
    fs::write(
        change.pending_path(),
        "{\"format_version\": \"1.0\", \"recording_id\": 3}",
    )
    .unwrap();
    let err = pending::find(f.root()).unwrap_err();
    assert!(
        matches!(err, Error::CorruptPending { ref path, .. } if path == change.pending_path()),
        "{err:?}"
    );
    assert!(err.to_string().contains("delete it"), "{err}");
}

#[test]
fn update_modes_parse_from_their_names() {
    for (text, mode) in [
        ("", Update::No),
        ("no", Update::No),
        ("new", Update::New),
        ("always", Update::Always),
    ] {
        assert_eq!(Update::parse(text).unwrap(), mode);
    }
    let err = Update::parse("yes").unwrap_err();
    assert_eq!(
        err.to_string(),
        "PLAYBACK_UPDATE=yes is not a mode: use no, new or always"
    );
    let _ = Path::new("");
}

/// Set in the child process of [`playback_update_is_read_from_the_environment`]: the
/// recordings directory it runs the harness on.
const CHILD_DIR: &str = "PLAYBACK_HARNESS_TEST_DIR";

#[test]
fn playback_update_is_read_from_the_environment() {
    if let Ok(root) = std::env::var(CHILD_DIR) {
        // The child: no `.update(..)`, so the mode comes from PLAYBACK_UPDATE.
        let harness = Harness::new().dir(&root).player(player(3, Arc::default()));
        let (outcome, _) = run(harness, &["--skip", "broken"]);
        let failed = outcome.failed().join("\n");
        fs::write(PathBuf::from(root).with_file_name("failed.txt"), failed).unwrap();
        return;
    }
    // The parent runs this same test again in a child process, with the variable set
    // there only.
    let child = |f: &Fixture, mode: &str| {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "playback_update_is_read_from_the_environment",
                "--exact",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, f.root())
            .env("PLAYBACK_UPDATE", mode)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{mode}: {status}");
        fs::read_to_string(f.dir.path().join("failed.txt")).unwrap()
    };

    let f = Fixture::new();
    let all = "price::0000000001\nprice::0000000002\nquote::0000000003";
    assert_eq!(child(&f, "no"), all);
    assert!(pending::find(f.root()).unwrap().is_empty());
    assert_eq!(child(&f, "new"), all);
    assert_eq!(pending::find(f.root()).unwrap().len(), 3);
    assert_eq!(child(&f, "always"), "");
    assert!(pending::find(f.root()).unwrap().is_empty());
    assert_eq!(child(&f, "always"), "", "accepted: it passes now");

    let f = Fixture::new();
    assert_eq!(child(&f, "sometimes"), "playback::setup");
    assert!(pending::find(f.root()).unwrap().is_empty());
}
