//! `flush_on_exit`: a thread that queued recordings waits for the writer when it ends.
//!
//! Rust has no safe `atexit`, and the workspace forbids `unsafe`, so the flush hangs on
//! the one hook std offers: a thread-local's destructor, which runs when its thread ends.
//! Every thread that hands a recording to a `flush_on_exit` writer, and the thread that
//! built the layer, is *armed*: a thread-local is touched, and its destructor flushes
//! every live `flush_on_exit` queue (waiting at most each guard's `flush_timeout`).
//!
//! That covers how a process ends without dropping the guard:
//! - libtest joins every test thread before it reports the test, so a test thread's
//!   destructors, and so its flush, finish before the harness exits;
//! - a thread that returns from `main` or calls `std::process::exit` runs its
//!   thread-local destructors inside libc's `exit` on Linux (glibc, musl) and macOS, while
//!   the writer thread still runs. On other platforms (Windows) the main thread's
//!   thread-locals may not be destroyed at exit; there `write_through` is the mode that
//!   does not depend on the platform.
//!
//! A recording still queued by a thread that outlives the process's exit (a detached
//! thread, a worker of a runtime that is never shut down, a recording queued after the
//! flush) is not waited for: `write_through` has no such window.

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::Queue;

/// The queues of live `flush_on_exit` layers.
static QUEUES: Mutex<Vec<Weak<Queue>>> = Mutex::new(Vec::new());

thread_local! {
    static ARMED: Armed = const { Armed };
}

/// Its destructor, run when an armed thread ends, flushes every live queue.
struct Armed;

impl Drop for Armed {
    fn drop(&mut self) {
        flush_all();
    }
}

/// Registers a `flush_on_exit` layer's queue, and arms the thread that builds it (often
/// `main`, which outlives the threads that record).
pub(super) fn register(queue: &Arc<Queue>) {
    let mut queues = QUEUES.lock();
    queues.retain(|q| q.strong_count() > 0);
    queues.push(Arc::downgrade(queue));
    drop(queues);
    arm();
}

/// Arms this thread: when it ends, it flushes every live queue. Cheap once armed (a
/// thread-local access).
pub(super) fn arm() {
    // Fails only while this thread's thread-locals are being destroyed: it is then
    // flushing, or past it, and nothing more can be done.
    let _ = ARMED.try_with(|_| ());
}

/// Flushes every live queue, each up to its own timeout. Returns how many finished in
/// time, out of how many.
pub(super) fn flush_all() -> (usize, usize) {
    let queues: Vec<Arc<Queue>> = QUEUES.lock().iter().filter_map(Weak::upgrade).collect();
    let done = queues.iter().filter(|q| q.flush(q.timeout)).count();
    (done, queues.len())
}
