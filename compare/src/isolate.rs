//! Crash isolation, the parent's side: each recording is replayed in a child
//! process, so that an abort, an exit, a stack overflow or a stuck replay ends that
//! process only.
//!
//! There is no coordinator and no extra binary: the child is the current
//! executable, started again with the same arguments (in a libtest thread, the
//! arguments that run just this test), and [`crate::child`] variables that tell it
//! which recording of which isolated run to replay. Up to `threads` children run at
//! once, each watched by a worker thread of this pool; a child past its deadline
//! is killed. Every child is waited for and every worker joined before the pool is
//! dropped, so nothing is left running.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use playback_store::Recording;
use wait_timeout::ChildExt;

use crate::child::{self, ChildOutput, Role};
use crate::comparison::Comparison;
use crate::crash::{Ended, crash_message, never_reached_message, timed_out_message};
use crate::engine::{Threads, Work};
use crate::job::Settings;
use crate::stream::Comparisons;
use crate::verdict::Status;

/// How often a waiting worker looks whether the run was dropped.
const CANCEL_CHECK: Duration = Duration::from_millis(100);

/// Starts an isolated run, or, in a child process, plays this run's part: replays
/// the one recording and exits, or returns what the parent's earlier run reported.
/// Also returns the run's index when this process is the parent, so that its report
/// can be kept for the children of later runs.
pub(crate) fn start(
    work: Vec<Work>,
    early: Vec<Comparison>,
    settings: Settings,
    threads: usize,
) -> (Comparisons, Option<usize>) {
    let run = child::next_run();
    match child::role() {
        Role::Parent => {
            let pool = Processes::start(run, work, early, settings, threads);
            (Comparisons::processes(pool), Some(run))
        }
        Role::Child(target) if run == target.run => child::replay_and_exit(work, settings, target),
        Role::Child(target) if run < target.run => match child::earlier(target, run) {
            Some(list) => (Comparisons::ready(list), None),
            None => (in_process(work, early, settings, threads), None),
        },
        Role::Child(_) | Role::Stray => (in_process(work, early, settings, threads), None),
    }
}

fn in_process(
    work: Vec<Work>,
    early: Vec<Comparison>,
    settings: Settings,
    threads: usize,
) -> Comparisons {
    Comparisons::threads(Threads::start(work, early, settings, threads))
}

/// How to start a child: this executable, with the arguments that lead to the same
/// `run()` call.
#[derive(Debug)]
struct Launch {
    exe: PathBuf,
    args: Vec<OsString>,
    /// The calling thread's name, for messages.
    thread: String,
}

impl Launch {
    /// For the calling thread: a libtest thread (named after its test) re-runs only
    /// its test; the main thread or an unnamed one re-runs the program as it was
    /// started.
    fn current() -> std::io::Result<Launch> {
        let exe = std::env::current_exe()?;
        let current = thread::current();
        let name = current.name().unwrap_or("");
        let args = if name.is_empty() || name == "main" {
            std::env::args_os().skip(1).collect()
        } else {
            [
                name,
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "--include-ignored",
            ]
            .map(OsString::from)
            .to_vec()
        };
        let thread = if name.is_empty() { "(unnamed)" } else { name };
        Ok(Launch {
            exe,
            args,
            thread: thread.to_owned(),
        })
    }
}

struct Shared {
    run: usize,
    work: Vec<Work>,
    next: AtomicUsize,
    cancelled: AtomicBool,
    launch: Launch,
    scratch: PathBuf,
    keep_results: bool,
    deadline: Option<Duration>,
}

/// The comparisons of an isolated run, as their child processes end.
pub(crate) struct Processes {
    shared: Option<Arc<Shared>>,
    rx: Option<Receiver<(usize, Comparison)>>,
    ready: VecDeque<Comparison>,
    reported: Vec<bool>,
    remaining: usize,
    total: usize,
    workers: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Processes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Processes")
            .field("total", &self.total)
            .field("remaining", &(self.remaining + self.ready.len()))
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl Processes {
    fn start(
        run: usize,
        work: Vec<Work>,
        early: Vec<Comparison>,
        settings: Settings,
        threads: usize,
    ) -> Processes {
        let jobs = work.len();
        let mut this = Processes {
            shared: None,
            rx: None,
            total: jobs + early.len(),
            ready: early.into(),
            reported: vec![false; jobs],
            remaining: jobs,
            workers: Vec::new(),
        };
        if jobs == 0 {
            return this;
        }
        let prepared = Launch::current()
            .map_err(|e| format!("could not find the current executable to start it again: {e}"))
            .and_then(|launch| {
                scratch_dir().map(|dir| (launch, dir)).map_err(|e| {
                    format!("could not create a scratch directory for isolated replays: {e}")
                })
            });
        let (launch, scratch) = match prepared {
            Ok(p) => p,
            Err(msg) => {
                for w in &work {
                    this.ready.push_back(
                        Comparison::new(&w.recording, Status::Error)
                            .with(Status::Error, msg.clone()),
                    );
                }
                this.remaining = 0;
                return this;
            }
        };
        // Without them, a child replays earlier isolated runs itself.
        let _ = child::write_earlier(&scratch);
        // The timeout is per replay: a child makes 1 + learn_noise of them.
        let replays = u32::try_from(settings.noise_runs + 1).unwrap_or(u32::MAX);
        let deadline = settings
            .timeout
            .map(|t| t.checked_mul(replays).unwrap_or(Duration::MAX));
        let shared = Arc::new(Shared {
            run,
            work,
            next: AtomicUsize::new(0),
            cancelled: AtomicBool::new(false),
            launch,
            scratch,
            keep_results: settings.keep_results,
            deadline,
        });
        let (tx, rx) = mpsc::channel();
        for i in 0..threads.max(1).min(jobs) {
            let shared = Arc::clone(&shared);
            let tx = tx.clone();
            let spawned = thread::Builder::new()
                .name(format!("playback-isolate-{i}"))
                .spawn(move || worker(&shared, &tx));
            if let Ok(handle) = spawned {
                this.workers.push(handle);
            }
        }
        this.shared = Some(shared);
        this.rx = Some(rx);
        this
    }

    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// Reports every recording not reported yet as an error: no worker is left.
    fn fail_unreported(&mut self) {
        let Some(shared) = &self.shared else {
            self.remaining = 0;
            return;
        };
        for (job, done) in self.reported.iter_mut().enumerate() {
            if !*done {
                *done = true;
                let rec = &shared.work[job].recording;
                self.ready.push_back(Comparison::new(rec, Status::Error).with(
                    Status::Error,
                    "no worker thread was left to start its replay process: the system refused to start a thread",
                ));
            }
        }
        self.remaining = 0;
    }
}

impl Iterator for Processes {
    type Item = Comparison;

    fn next(&mut self) -> Option<Comparison> {
        loop {
            if let Some(c) = self.ready.pop_front() {
                return Some(c);
            }
            if self.remaining == 0 {
                return None;
            }
            match self.rx.as_ref().map(Receiver::recv) {
                Some(Ok((job, c))) => {
                    if !self.reported[job] {
                        self.reported[job] = true;
                        self.remaining -= 1;
                        return Some(c);
                    }
                }
                _ => self.fail_unreported(),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.remaining + self.ready.len();
        (left, Some(left))
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.cancelled.store(true, Ordering::Relaxed);
        }
        // The workers kill their running child, wait for it, and end.
        self.rx = None;
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
        if let Some(shared) = &self.shared {
            let _ = fs::remove_dir_all(&shared.scratch);
        }
    }
}

fn worker(shared: &Shared, tx: &Sender<(usize, Comparison)>) {
    loop {
        if shared.cancelled.load(Ordering::Relaxed) {
            return;
        }
        let job = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(work) = shared.work.get(job) else {
            return;
        };
        let Some(c) = replay_in_child(shared, job, &work.recording) else {
            return;
        };
        if tx.send((job, c)).is_err() {
            return;
        }
    }
}

/// How the wait for a child ended.
enum Waited {
    Exited(std::process::ExitStatus),
    TimedOut(Duration),
    Cancelled,
    Failed(std::io::Error),
}

/// Replays one recording in a child process; `None` when the run was dropped.
fn replay_in_child(shared: &Shared, job: usize, rec: &Recording) -> Option<Comparison> {
    let result = shared.scratch.join(format!("result-{job}.json"));
    let log = shared.scratch.join(format!("output-{job}.log"));
    let spawned = File::create(&log).and_then(|out| {
        let err = out.try_clone()?;
        Command::new(&shared.launch.exe)
            .args(&shared.launch.args)
            .env(child::RUN_VAR, shared.run.to_string())
            .env(child::RECORDING_VAR, rec.id.as_str())
            .env(child::RESULT_VAR, &result)
            .env(child::DIR_VAR, &shared.scratch)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
    });
    let c = match spawned {
        Err(e) => error(
            rec,
            format!("could not start the process that replays this recording in isolation: {e}"),
        ),
        Ok(mut process) => match wait(&mut process, shared.deadline, &shared.cancelled) {
            Waited::Cancelled => return None,
            Waited::TimedOut(d) => failed(rec, timed_out_message(d)),
            Waited::Failed(e) => {
                error(rec, format!("could not wait for the replay's process: {e}"))
            }
            Waited::Exited(status) => {
                let output =
                    String::from_utf8_lossy(&fs::read(&log).unwrap_or_default()).into_owned();
                if status.success() {
                    read_result(shared, rec, &result, &output)
                } else {
                    failed(rec, crash_message(Ended::of(status), &output))
                }
            }
        },
    };
    let _ = fs::remove_file(&result);
    let _ = fs::remove_file(&log);
    Some(c)
}

/// Waits for the child until it exits, its deadline passes (it is then killed) or
/// the run is dropped (it is then killed too). A killed child is always waited for.
fn wait(process: &mut Child, deadline: Option<Duration>, cancelled: &AtomicBool) -> Waited {
    let started = Instant::now();
    loop {
        if cancelled.load(Ordering::Relaxed) {
            kill(process);
            return Waited::Cancelled;
        }
        let left = deadline.map(|d| d.saturating_sub(started.elapsed()));
        if let (Some(d), Some(Duration::ZERO)) = (deadline, left) {
            kill(process);
            return Waited::TimedOut(d);
        }
        let slice = left.map_or(CANCEL_CHECK, |l| l.min(CANCEL_CHECK));
        match process.wait_timeout(slice) {
            Ok(Some(status)) => return Waited::Exited(status),
            Ok(None) => {}
            Err(e) => {
                kill(process);
                return Waited::Failed(e);
            }
        }
    }
}

fn kill(process: &mut Child) {
    let _ = process.kill();
    let _ = process.wait();
}

/// The comparison a child that exited with 0 wrote.
fn read_result(shared: &Shared, rec: &Recording, path: &PathBuf, output: &str) -> Comparison {
    let Ok(bytes) = fs::read(path) else {
        return failed(
            rec,
            never_reached_message(shared.run, &shared.launch.thread, output),
        );
    };
    match serde_json::from_slice::<ChildOutput>(&bytes) {
        Ok(ChildOutput::Replayed {
            comparison,
            playback,
        }) if comparison.recording_id == rec.id => {
            let mut c = *comparison;
            if shared.keep_results {
                c.playback = playback.map(|p| *p);
            }
            c
        }
        Ok(ChildOutput::Replayed { comparison, .. }) => error(
            rec,
            format!(
                "the replay's process reported recording {} instead",
                comparison.recording_id
            ),
        ),
        Ok(ChildOutput::NotFound) => failed(
            rec,
            format!(
                "the replay's process did not find this recording in isolated run #{} of thread `{}`: \
                 an isolated run must get the same recordings in the child process (load them from a store, \
                 or give them fixed ids)",
                shared.run, shared.launch.thread
            ),
        ),
        Err(e) => error(
            rec,
            format!("the replay's process wrote a result that cannot be read: {e}"),
        ),
    }
}

fn failed(rec: &Recording, message: String) -> Comparison {
    Comparison::new(rec, Status::Failed).with(Status::Failed, message)
}

fn error(rec: &Recording, message: String) -> Comparison {
    Comparison::new(rec, Status::Error).with(Status::Error, message)
}

/// A fresh directory for one run's child results and outputs.
fn scratch_dir() -> std::io::Result<PathBuf> {
    static SEQUENCE: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "playback-isolate-{}-{}-{nanos}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}
