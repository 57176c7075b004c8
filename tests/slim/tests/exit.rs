//! A service binary that keeps its guard in a `static` and exits without dropping it, by
//! returning from `main` or by calling `std::process::exit`: with `write_through` or
//! `flush_on_exit`, every recording arrives.

use std::path::PathBuf;
use std::process::Command;

use playback::{DirStore, Query, Store};

/// Runs the fixture binary's `record-and-exit` and returns how many recordings its store
/// holds after the process has exited.
fn recorded_after_exit(mode: &str, how: &str) -> usize {
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "playback-slim-exit-{mode}-{how}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let status = Command::new(env!("CARGO_BIN_EXE_playback-slim-fixture"))
        .arg("record-and-exit")
        .arg(&dir)
        .args([mode, how])
        .status()
        .unwrap();
    assert!(status.success(), "{mode} {how}: {status}");
    let n = DirStore::new(&dir)
        .unwrap()
        .list(&Query::category("place_order"))
        .unwrap()
        .len();
    std::fs::remove_dir_all(&dir).unwrap();
    n
}

#[test]
fn flush_on_exit_keeps_every_recording_when_main_returns() {
    assert_eq!(recorded_after_exit("flush_on_exit", "return"), 25);
}

#[test]
fn flush_on_exit_keeps_every_recording_on_process_exit() {
    assert_eq!(recorded_after_exit("flush_on_exit", "exit"), 25);
}

#[test]
fn write_through_keeps_every_recording_when_main_returns() {
    assert_eq!(recorded_after_exit("write_through", "return"), 25);
}

#[test]
fn write_through_keeps_every_recording_on_process_exit() {
    assert_eq!(recorded_after_exit("write_through", "exit"), 25);
}
