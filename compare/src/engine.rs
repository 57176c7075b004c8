//! The worker pool: parallel replays with per-phase deadlines.
//!
//! Workers take jobs from a shared counter. Before each phase (each replay, then the
//! comparison) a worker notes the job, the phase and the time in its slot. The
//! consumer waits for results with a deadline: when a phase overruns the timeout,
//! the consumer marks the worker abandoned, reports the job, and starts a
//! replacement worker. A thread cannot be killed in-process, so the abandoned thread
//! runs on; its result is discarded and it exits at its next phase boundary.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Instant;

use playback_store::Recording;

use crate::comparison::Comparison;
use crate::job::{Phase, Settings, process, timed_out};
use crate::tuning::Resolved;
use crate::verdict::Status;

/// One recording to replay, with its category's tuning.
pub(crate) struct Work {
    pub(crate) recording: Arc<Recording>,
    pub(crate) tuning: Arc<Resolved>,
}

#[derive(Debug)]
struct Slot {
    job: Option<usize>,
    phase: Phase,
    started: Instant,
    abandoned: bool,
}

struct Shared {
    work: Vec<Work>,
    next: AtomicUsize,
    cancelled: AtomicBool,
    settings: Settings,
    slots: Mutex<Vec<Slot>>,
}

impl Shared {
    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        // No code panics while holding the lock; recover the data if one ever did.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes the start of a phase; `false` when the worker was abandoned.
    fn enter(&self, worker: usize, job: usize, phase: Phase) -> bool {
        let mut slots = self.slots();
        let slot = &mut slots[worker];
        if slot.abandoned {
            return false;
        }
        slot.job = Some(job);
        slot.phase = phase;
        slot.started = Instant::now();
        true
    }

    /// Notes the end of a job; `false` when the worker was abandoned.
    fn leave(&self, worker: usize) -> bool {
        let mut slots = self.slots();
        let slot = &mut slots[worker];
        slot.job = None;
        !slot.abandoned
    }
}

enum Msg {
    Done {
        job: usize,
        comparison: Box<Comparison>,
    },
    Exited {
        worker: usize,
    },
}

/// Sends `Exited` when a worker thread ends, however it ends.
struct ExitNotice {
    worker: usize,
    tx: Sender<Msg>,
}

impl Drop for ExitNotice {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Exited {
            worker: self.worker,
        });
    }
}

fn worker_loop(shared: &Shared, worker: usize, tx: &Sender<Msg>) {
    loop {
        if shared.cancelled.load(Ordering::Relaxed) {
            return;
        }
        let job = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(work) = shared.work.get(job) else {
            return;
        };
        let mut enter = |phase| shared.enter(worker, job, phase);
        let Some(comparison) = process(&work.recording, &work.tuning, &shared.settings, &mut enter)
        else {
            return;
        };
        if !shared.leave(worker) {
            return;
        }
        let done = Msg::Done {
            job,
            comparison: Box::new(comparison),
        };
        if tx.send(done).is_err() {
            return;
        }
    }
}

/// The in-process pool: the comparisons of a run, as they complete (in no
/// particular order). Dropping it stops the workers after their current recording.
pub(crate) struct Threads {
    shared: Arc<Shared>,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    ready: VecDeque<Comparison>,
    reported: Vec<bool>,
    remaining: usize,
    alive: usize,
    total: usize,
}

impl fmt::Debug for Threads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Threads")
            .field("total", &self.total)
            .field("remaining", &(self.remaining + self.ready.len()))
            .field("workers", &self.alive)
            .finish()
    }
}

impl Threads {
    /// Starts `threads` workers over `work`; `early` are results known without
    /// replaying (unreadable recordings), yielded first.
    pub(crate) fn start(
        work: Vec<Work>,
        early: Vec<Comparison>,
        settings: Settings,
        threads: usize,
    ) -> Threads {
        let (tx, rx) = mpsc::channel();
        let jobs = work.len();
        let shared = Arc::new(Shared {
            work,
            next: AtomicUsize::new(0),
            cancelled: AtomicBool::new(false),
            settings,
            slots: Mutex::new(Vec::new()),
        });
        let total = jobs + early.len();
        let mut this = Threads {
            shared,
            tx,
            rx,
            ready: early.into(),
            reported: vec![false; jobs],
            remaining: jobs,
            alive: 0,
            total,
        };
        for _ in 0..threads.max(1).min(jobs) {
            this.spawn_worker();
        }
        this
    }

    /// How many comparisons the run yields in all.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    fn spawn_worker(&mut self) {
        let worker = {
            let mut slots = self.shared.slots();
            slots.push(Slot {
                job: None,
                phase: Phase::Replay(0),
                started: Instant::now(),
                abandoned: false,
            });
            slots.len() - 1
        };
        let shared = Arc::clone(&self.shared);
        let tx = self.tx.clone();
        let spawned = thread::Builder::new()
            .name(format!("playback-compare-{worker}"))
            .spawn(move || {
                let notice = ExitNotice {
                    worker,
                    tx: tx.clone(),
                };
                worker_loop(&shared, worker, &tx);
                drop(notice);
            });
        match spawned {
            Ok(_) => self.alive += 1,
            // Mark the slot so a stray message could never count it.
            Err(_) => self.shared.slots()[worker].abandoned = true,
        }
    }

    /// When to look at the slots next: the earliest deadline of a running phase, and
    /// at the latest one timeout from now, since a phase that starts after this look
    /// (a worker between two phases) cannot expire before then.
    fn next_deadline(&self) -> Option<Instant> {
        let timeout = self.shared.settings.timeout?;
        let running = self
            .shared
            .slots()
            .iter()
            .filter(|s| s.job.is_some() && !s.abandoned)
            .filter_map(|s| s.started.checked_add(timeout))
            .min();
        let horizon = Instant::now().checked_add(timeout);
        match (running, horizon) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Gives up on every phase past its deadline.
    fn expire(&mut self) {
        let Some(timeout) = self.shared.settings.timeout else {
            return;
        };
        let now = Instant::now();
        let mut expired = Vec::new();
        for slot in self.shared.slots().iter_mut() {
            let late = slot
                .started
                .checked_add(timeout)
                .is_some_and(|deadline| deadline <= now);
            if let (Some(job), false, true) = (slot.job, slot.abandoned, late) {
                slot.abandoned = true;
                expired.push((job, slot.phase));
            }
        }
        for (job, phase) in expired {
            self.alive -= 1;
            if !self.reported[job] {
                self.reported[job] = true;
                self.remaining -= 1;
                let rec = &self.shared.work[job].recording;
                let runs = self.shared.settings.noise_runs;
                self.ready.push_back(timed_out(rec, phase, timeout, runs));
            }
            if self.shared.next.load(Ordering::Relaxed) < self.shared.work.len() {
                self.spawn_worker();
            }
        }
    }

    /// Reports every job not reported yet as an error (no worker can run it).
    fn fail_unreported(&mut self) {
        for (job, done) in self.reported.iter_mut().enumerate() {
            if !*done {
                *done = true;
                let rec = &self.shared.work[job].recording;
                self.ready
                    .push_back(Comparison::new(rec, Status::Error).with(
                    Status::Error,
                    "no worker thread was left to replay it: the system refused to start a thread",
                ));
            }
        }
        self.remaining = 0;
    }

    fn is_abandoned(&self, worker: usize) -> bool {
        self.shared.slots().get(worker).is_some_and(|s| s.abandoned)
    }
}

impl Iterator for Threads {
    type Item = Comparison;

    fn next(&mut self) -> Option<Comparison> {
        loop {
            if let Some(c) = self.ready.pop_front() {
                return Some(c);
            }
            if self.remaining == 0 {
                return None;
            }
            if self.alive == 0 {
                self.fail_unreported();
                continue;
            }
            let msg = match self.next_deadline() {
                Some(at) => {
                    match self
                        .rx
                        .recv_timeout(at.saturating_duration_since(Instant::now()))
                    {
                        Ok(msg) => msg,
                        Err(RecvTimeoutError::Timeout) => {
                            self.expire();
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => {
                            self.alive = 0;
                            continue;
                        }
                    }
                }
                None => match self.rx.recv() {
                    Ok(msg) => msg,
                    Err(_) => {
                        self.alive = 0;
                        continue;
                    }
                },
            };
            match msg {
                Msg::Done { job, comparison } => {
                    if !self.reported[job] {
                        self.reported[job] = true;
                        self.remaining -= 1;
                        return Some(*comparison);
                    }
                }
                Msg::Exited { worker } => {
                    if !self.is_abandoned(worker) {
                        self.alive -= 1;
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.remaining + self.ready.len();
        (left, Some(left))
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        self.shared.cancelled.store(true, Ordering::Relaxed);
    }
}
