//! When recordings reach the store: `write_through`, and `flush_on_exit` for a process that
//! exits without dropping the guard.
//!
//! The exit tests run this test binary again as a child process, on the `child_*` tests
//! below (ignored in a normal run). Each child installs the layer *globally* with
//! `set_global_default` and keeps the guard in a `static`, so the guard is never dropped,
//! as a test suite that records itself does; that is why they need a process of their own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use playback_store::{DirStore, MemoryStore, Query, Store};
use tracing_subscriber::prelude::*;

use crate::{PlaybackGuard, PlaybackLayer, input};

/// One operation with one input, as a recorded test makes.
fn operation(n: u64) -> u64 {
    let _op = tracing::info_span!("suite", playback = "operation").entered();
    input("price", &n, || n * 2)
}

fn stored(store: &impl Store) -> usize {
    store.list(&Query::category("suite")).unwrap().len()
}

#[test]
fn write_through_stores_the_recording_before_the_operation_returns() {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .write_through(true)
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let seen = tracing::subscriber::with_default(subscriber, || {
        (0..3)
            .map(|n| {
                assert_eq!(operation(n), n * 2);
                stored(&store)
            })
            .collect::<Vec<_>>()
    });
    // Each operation was in the store as soon as it returned: no flush, guard alive.
    assert_eq!(seen, [1, 2, 3]);
    assert_eq!(guard.stats().snapshot().recorded, 3);
    assert_eq!(guard.stats().snapshot().dropped, 0);
}

#[test]
fn write_through_ignores_the_queue_capacity() {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .write_through(true)
        .queue_capacity(1)
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        for n in 0..20 {
            operation(n);
        }
    });
    assert_eq!(stored(&store), 20);
    assert_eq!(guard.stats().snapshot().dropped, 0);
}

#[test]
fn flush_on_exit_flushes_when_a_recording_thread_ends() {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .flush_on_exit(true)
        .build()
        .unwrap();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    std::thread::spawn(move || {
        tracing::dispatcher::with_default(&dispatch, || {
            for n in 0..50 {
                operation(n);
            }
        });
    })
    .join()
    .unwrap();
    // `join` returns once the thread's thread-locals are destroyed: its flush is done.
    assert_eq!(stored(&store), 50);
    assert_eq!(guard.stats().snapshot().recorded, 50);
}

// ---- a process that exits without dropping the guard ----

/// The store's directory, set by the parent test; unset in a normal run.
const DIR_VAR: &str = "PLAYBACK_EXIT_TEST_DIR";
/// `write_through` or `flush_on_exit`.
const MODE_VAR: &str = "PLAYBACK_EXIT_TEST_MODE";
/// Operations each child test records.
const PER_TEST: u64 = 40;

/// The guard of the child's global layer: never dropped, as in a recorded test suite.
static GUARD: OnceLock<PlaybackGuard> = OnceLock::new();

/// In a child process: installs the layer globally once, as a recorded test suite does.
/// `false` in a normal run (the child tests are then ignored, or do nothing).
fn install_globally() -> bool {
    let (Some(dir), Ok(mode)) = (std::env::var_os(DIR_VAR), std::env::var(MODE_VAR)) else {
        return false;
    };
    GUARD.get_or_init(|| {
        let builder = PlaybackLayer::builder().store(DirStore::new(dir).unwrap());
        let builder = match mode.as_str() {
            "write_through" => builder.write_through(true),
            "flush_on_exit" => builder.flush_on_exit(true),
            other => panic!("unknown {MODE_VAR} {other}"),
        };
        let (layer, guard) = builder.build().unwrap();
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .unwrap();
        guard
    });
    true
}

fn child_records() {
    if install_globally() {
        for n in 0..PER_TEST {
            operation(n);
        }
    }
}

#[test]
#[ignore = "run in a child process by recordings_survive_*"]
fn child_suite_a() {
    child_records();
}

#[test]
#[ignore = "run in a child process by recordings_survive_*"]
fn child_suite_b() {
    child_records();
}

#[test]
#[ignore = "run in a child process by recordings_survive_*"]
fn child_suite_c() {
    child_records();
}

#[test]
#[ignore = "run in a child process by recordings_survive_*"]
fn child_suite_d() {
    child_records();
}

/// Records, and leaves a thread blocked forever that recorded too, then exits the process
/// from this test thread with `std::process::exit`.
#[test]
#[ignore = "run in a child process by recordings_survive_*"]
fn child_exit() {
    if !install_globally() {
        return;
    }
    let (done_tx, done_rx) = mpsc::channel();
    let (_never_tx, never_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        for n in 0..PER_TEST {
            operation(n);
        }
        done_tx.send(()).unwrap();
        let _ = never_rx.recv(); // still running when the process exits
    });
    done_rx.recv().unwrap();
    for n in 0..PER_TEST {
        operation(n);
    }
    std::process::exit(0);
}

/// A fresh directory for one child's recordings.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "playback-exit-{name}-{}-{}",
        std::process::id(),
        ulid_like()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ulid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Runs this test binary on the `child_*` tests matching `filter`, and returns how many
/// recordings its store holds once the child has exited.
fn run_child(mode: &str, filter: &str, dir: &Path) -> usize {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([filter, "--ignored", "--test-threads", "4"])
        .env(DIR_VAR, dir)
        .env(MODE_VAR, mode)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = stored(&DirStore::new(dir).unwrap());
    let _ = std::fs::remove_dir_all(dir);
    stored
}

#[test]
fn recordings_survive_a_test_binary_that_never_drops_the_guard_with_flush_on_exit() {
    let dir = scratch("suite-flush");
    let n = run_child("flush_on_exit", "writer::tests::child_suite_", &dir);
    assert_eq!(n, 4 * PER_TEST as usize);
}

#[test]
fn recordings_survive_a_test_binary_that_never_drops_the_guard_with_write_through() {
    let dir = scratch("suite-through");
    let n = run_child("write_through", "writer::tests::child_suite_", &dir);
    assert_eq!(n, 4 * PER_TEST as usize);
}

#[test]
fn recordings_survive_process_exit_with_flush_on_exit() {
    let dir = scratch("exit-flush");
    let n = run_child("flush_on_exit", "writer::tests::child_exit", &dir);
    assert_eq!(n, 2 * PER_TEST as usize);
}

#[test]
fn recordings_survive_process_exit_with_write_through() {
    let dir = scratch("exit-through");
    let n = run_child("write_through", "writer::tests::child_exit", &dir);
    assert_eq!(n, 2 * PER_TEST as usize);
}

#[test]
fn flush_all_reports_every_live_flush_on_exit_queue() {
    let (_layer, guard) = PlaybackLayer::builder()
        .store(MemoryStore::new())
        .flush_on_exit(true)
        .flush_timeout(Duration::from_secs(10))
        .build::<tracing_subscriber::Registry>()
        .unwrap();
    let (done, live) = super::exit::flush_all();
    // Other tests' layers may be alive too; this one is among them and all flushed.
    assert!(live >= 1, "{live}");
    assert_eq!(done, live);
    drop(guard);
}
