//! Crash isolation: each recording replays in a child process (this test binary,
//! started again for the one test), so that an abort, an exit, a stack overflow or
//! a stuck replay fails that recording only.
//!
//! Everything before `run()` in these tests runs again in each child: the
//! recordings are built with fixed ids so that the child finds them.

use std::sync::Mutex;
use std::time::Duration;

use playback_compare::{Equalizer, JsonDiff, Progress, Status, Studio, Tuning};
use playback_replay::Playback;
use playback_store::{Outcome, Recording};
use serde_json::{Value, json};

use crate::support::{Mismatch, id, player, rec, rec_with};

/// The isolation tests run one at a time, so that each can check that none of its
/// child processes and watcher threads is left.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Recurses with a 32 KiB frame until the stack overflows.
#[inline(never)]
fn overflow(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 4096]);
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    overflow(frame[(depth % 4096) as usize] + 1).wrapping_add(frame[7])
}

/// The test player, plus the crashes a recording's `crash` metadata asks for.
fn crashing_player(rec: &Recording) -> Result<Playback, Mismatch> {
    match rec.metadata.get("crash").and_then(Value::as_str) {
        Some("abort") => std::process::abort(),
        Some("exit") => std::process::exit(3),
        Some("overflow") => {
            let depth = overflow(0);
            panic!("the stack did not overflow at depth {depth}")
        }
        Some("loop") => loop {
            std::thread::park();
        },
        _ => player(rec),
    }
}

fn crash(n: usize, how: &str) -> Recording {
    let mut r = rec("checkout", &id(n), json!({"Ok": n}), json!({"Ok": n}));
    r.metadata.insert("crash".into(), how.into());
    r
}

/// Processes started by this process from this executable that still exist, live
/// or not yet waited for (zombies keep their name).
#[cfg(target_os = "linux")]
fn children_running_this_binary() -> Vec<String> {
    let stat = |pid: &str| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
    let me = std::process::id().to_string();
    let Some(own) = stat("self") else {
        return Vec::new();
    };
    let name = |s: &str| s[s.find('(').unwrap_or(0)..=s.rfind(')').unwrap_or(0)].to_owned();
    let parent = |s: &str| {
        s[s.rfind(')').unwrap_or(0) + 2..]
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .to_owned()
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if let Some(s) = stat(&pid).filter(|s| parent(s) == me && name(s) == name(&own)) {
            found.push(s);
        }
    }
    found
}

/// This process's threads that watch isolated replays.
#[cfg(target_os = "linux")]
fn watcher_threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .filter(|comm| comm.starts_with("playback-isolat"))
        .collect()
}

#[test]
fn abort_exit_stack_overflow_and_a_stuck_replay_fail_their_recording_only() {
    let _serial = serial();
    let recs = vec![
        crash(1, "abort"),
        crash(2, "exit"),
        crash(3, "overflow"),
        crash(4, "loop"),
        rec("checkout", &id(5), json!({"Ok": 5}), json!({"Ok": 5})),
        rec("checkout", &id(6), json!({"Ok": 6}), json!({"Ok": 6})),
        rec("checkout", &id(7), json!({"Ok": 7}), json!({"Ok": 8})),
    ];
    let report = Equalizer::new(recs)
        .player(crashing_player)
        .isolate(true)
        .timeout(Duration::from_secs(2))
        .threads(2)
        .progress(Progress::Never)
        .run();
    let got: Vec<(Status, &str)> = report
        .comparisons
        .iter()
        .map(|c| (c.status, c.message.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        got,
        [
            (
                Status::Failed,
                "the replay aborted the process (signal 6, SIGABRT)"
            ),
            (Status::Failed, "the replay exited the process with code 3"),
            (Status::Failed, "the replay overflowed its stack"),
            (
                Status::Failed,
                "the replay did not finish within 2s; its process was killed"
            ),
            (Status::Equal, ""),
            (Status::Equal, ""),
            (Status::Different, ""),
        ]
    );
    let paths: Vec<&str> = report.comparisons[6]
        .differences
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(paths, ["/outputs/0/args/saved/Ok", "/result/Ok"]);
    assert_eq!(report.exit_code(), 2);
    #[cfg(target_os = "linux")]
    {
        assert_eq!(children_running_this_binary(), Vec::<String>::new());
        assert_eq!(watcher_threads(), Vec::<String>::new());
    }
}

#[test]
fn isolated_comparisons_equal_the_in_process_ones() {
    let _serial = serial();
    let recs = || {
        let mut cancelled = rec("checkout", &id(4), json!(null), json!({"Ok": 1}));
        cancelled.outcome = Outcome::Incomplete;
        let unrecordable = playback_store::unrecordable("`Conn` is not Serialize");
        vec![
            rec("checkout", &id(1), json!({"Ok": 1}), json!({"Ok": 1})),
            rec("checkout", &id(2), json!({"Ok": 1}), json!({"Ok": 2})),
            rec_with("checkout", &id(3), "err"),
            cancelled,
            rec_with("refund", &id(5), "panic"),
            rec(
                "refund",
                &id(6),
                json!({"Ok": {"conn": unrecordable}}),
                json!({"Ok": {"conn": 1}}),
            ),
            rec("search", &id(7), json!({"Ok": [1]}), json!({"Ok": [2]})),
        ]
    };
    let studio = || {
        Studio::from_recordings(recs())
            .player(player)
            .tune(
                "search",
                Tuning::new().comparator(JsonDiff::new().ignore("/**/Ok")),
            )
            .keep_results(true)
            .learn_noise(1)
            .progress(Progress::Never)
    };
    let in_process = studio().run();
    let isolated = studio().isolate(true).threads(2).run();
    assert_eq!(isolated.comparisons, in_process.comparisons);
    let statuses: Vec<Status> = isolated.comparisons.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Equal,
            Status::Different,
            Status::Failed,
            Status::Skipped,
            Status::Failed,
            Status::Equal,
            Status::Equal
        ]
    );
    let playback = isolated.comparisons[1].playback.as_ref().unwrap();
    assert_eq!(playback.replayed().result(), &json!({"Ok": 2}));
    assert_eq!(isolated.comparisons[5].not_comparable.len(), 2);
}

#[test]
fn earlier_isolated_runs_on_the_thread_are_not_replayed_again_in_a_child() {
    let _serial = serial();
    // In the child process of the second run, replaying the first run's recording
    // would fail it, and the assertion below would end that child early.
    let first = Equalizer::new(vec![rec("a", &id(1), json!({"Ok": 1}), json!({"Ok": 1}))])
        .player(|r: &Recording| {
            if std::env::var("PLAYBACK_ISOLATE_RUN").as_deref() == Ok("1") {
                return Err(Mismatch);
            }
            player(r)
        })
        .isolate(true)
        .progress(Progress::Never)
        .run();
    assert_eq!(first.counts().equal, 1);
    let second = Equalizer::new(vec![rec("b", &id(2), json!({"Ok": 1}), json!({"Ok": 2}))])
        .player(player)
        .isolate(true)
        .progress(Progress::Never)
        .run();
    assert_eq!(second.comparisons[0].status, Status::Different);
    assert_eq!(second.comparisons[0].differences.len(), 2);
}

#[test]
fn a_child_must_find_the_same_recordings_and_reach_the_same_run() {
    let _serial = serial();
    // A fresh id is generated again, differently, in the child.
    let fresh = Recording::builder("checkout").build();
    let report = Equalizer::new(vec![fresh])
        .player(player)
        .isolate(true)
        .progress(Progress::Never)
        .run();
    let c = &report.comparisons[0];
    assert_eq!(c.status, Status::Failed);
    let msg = c.message.as_deref().unwrap();
    assert!(
        msg.starts_with("the replay's process did not find this recording in isolated run #0 of thread `isolate::a_child_must_find_the_same_recordings_and_reach_the_same_run`"),
        "{msg}"
    );

    // A child whose code takes another path never gets to its run.
    if std::env::var_os("PLAYBACK_ISOLATE_RUN").is_some() {
        return;
    }
    let report = Equalizer::new(vec![rec("c", &id(1), json!(1), json!(1))])
        .player(player)
        .isolate(true)
        .progress(Progress::Never)
        .run();
    let msg = report.comparisons[0].message.as_deref().unwrap();
    assert!(
        msg.starts_with("the replay's process exited without replaying: it never reached isolated run #1 of thread `isolate::a_child_must_find_the_same_recordings_and_reach_the_same_run`"),
        "{msg}"
    );
    assert!(msg.contains("; its last output line: "), "{msg}");
}

#[test]
fn an_isolated_stream_yields_every_comparison() {
    let _serial = serial();
    let recs: Vec<Recording> = (0..4)
        .map(|n| rec("c", &id(n), json!(n), json!(n)))
        .collect();
    let stream = Equalizer::new(recs).player(player).isolate(true).stream();
    assert_eq!(stream.total(), 4);
    let mut ids: Vec<String> = stream.map(|c| c.recording_id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, (0..4).map(id).collect::<Vec<_>>());
}

#[cfg(unix)]
#[test]
fn with_one_thread_the_children_replay_one_after_the_other() {
    use std::io::Write as _;
    let _serial = serial();
    // Each child notes the start and the end of its replay in a file named after
    // the test process (its parent); appends are atomic, so overlapping children
    // would interleave their lines.
    let log_of = |pid: u32| std::env::temp_dir().join(format!("playback-isolate-order-{pid}"));
    let noting = move |r: &Recording| {
        let path = log_of(std::os::unix::process::parent_id());
        let note = |what: &str| {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .unwrap();
            f.write_all(format!("{what} {}\n", r.id).as_bytes())
                .unwrap();
        };
        note("start");
        let p = player(r);
        note("end");
        p
    };
    let recs: Vec<Recording> = (0..6)
        .map(|n| rec("c", &id(n), json!(n), json!(n)))
        .collect();
    let report = Equalizer::new(recs)
        .player(noting)
        .isolate(true)
        .threads(1)
        .progress(Progress::Never)
        .run();
    assert_eq!(report.counts().equal, 6);
    let path = log_of(std::process::id());
    let lines = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 12);
    for pair in lines.chunks(2) {
        let start = pair[0].strip_prefix("start ").unwrap();
        assert_eq!(pair[1], format!("end {start}"), "{lines:?}");
    }
}

#[test]
fn dropping_an_isolated_stream_kills_and_waits_for_its_running_children() {
    let _serial = serial();
    let recs = vec![
        crash(1, "loop"),
        rec("checkout", &id(2), json!({"Ok": 2}), json!({"Ok": 2})),
    ];
    let mut stream = Equalizer::new(recs)
        .player(crashing_player)
        .isolate(true)
        .no_timeout()
        .threads(2)
        .stream();
    // The stuck replay never ends, so the first comparison is the other one.
    let first = stream.next().unwrap();
    assert_eq!(first.recording_id.as_str(), id(2));
    assert_eq!(first.status, Status::Equal);
    drop(stream);
    #[cfg(target_os = "linux")]
    {
        assert_eq!(children_running_this_binary(), Vec::<String>::new());
        assert_eq!(watcher_threads(), Vec::<String>::new());
    }
}
