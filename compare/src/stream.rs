//! `Comparisons`: the lazy form of a run, whichever way it replays.

use std::collections::VecDeque;
use std::fmt;

use crate::comparison::Comparison;
use crate::engine::Threads;
use crate::isolate::Processes;

/// The comparisons of a run, as they complete (in no particular order).
///
/// Returned by `Equalizer::stream` and `Studio::stream`: the lazy form of a run,
/// like playback-studio's generator of comparisons. Dropping it stops the workers
/// after their current recording (with `isolate(true)`, it kills the running child
/// processes and waits for them).
///
/// ```
/// use playback_compare::Equalizer;
/// let recs = vec![playback_store::Recording::builder("checkout").build()];
/// let statuses: Vec<_> = Equalizer::new(recs).stream().map(|c| c.status).collect();
/// // the default player is automatic replay: no operation is registered for "checkout"
/// assert_eq!(statuses, [playback_compare::Status::Failed]);
/// ```
pub struct Comparisons {
    inner: Inner,
}

enum Inner {
    /// Replays on worker threads of this process.
    Threads(Threads),
    /// Replays each recording in a child process.
    Processes(Processes),
    /// Known without replaying.
    Ready(VecDeque<Comparison>, usize),
}

impl fmt::Debug for Comparisons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Threads(t) => f.debug_tuple("Comparisons").field(t).finish(),
            Inner::Processes(p) => f.debug_tuple("Comparisons").field(p).finish(),
            Inner::Ready(list, total) => f
                .debug_struct("Comparisons")
                .field("total", total)
                .field("remaining", &list.len())
                .finish(),
        }
    }
}

impl Comparisons {
    pub(crate) fn threads(threads: Threads) -> Self {
        Comparisons {
            inner: Inner::Threads(threads),
        }
    }

    pub(crate) fn processes(processes: Processes) -> Self {
        Comparisons {
            inner: Inner::Processes(processes),
        }
    }

    pub(crate) fn ready(list: Vec<Comparison>) -> Self {
        let total = list.len();
        Comparisons {
            inner: Inner::Ready(list.into(), total),
        }
    }

    /// How many comparisons the run yields in all.
    ///
    /// ```
    /// let recs = vec![playback_store::Recording::builder("c").build(); 3];
    /// assert_eq!(playback_compare::Equalizer::new(recs).stream().total(), 3);
    /// ```
    pub fn total(&self) -> usize {
        match &self.inner {
            Inner::Threads(t) => t.total(),
            Inner::Processes(p) => p.total(),
            Inner::Ready(_, total) => *total,
        }
    }
}

impl Iterator for Comparisons {
    type Item = Comparison;

    fn next(&mut self) -> Option<Comparison> {
        match &mut self.inner {
            Inner::Threads(t) => t.next(),
            Inner::Processes(p) => p.next(),
            Inner::Ready(list, _) => list.pop_front(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::Threads(t) => t.size_hint(),
            Inner::Processes(p) => p.size_hint(),
            Inner::Ready(list, _) => (list.len(), Some(list.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_can_move_to_another_thread() {
        fn send<T: Send>(_: &T) {}
        let stream = Comparisons::ready(Vec::new());
        send(&stream);
        let total = std::thread::spawn(move || stream.total()).join().unwrap();
        assert_eq!(total, 0);
    }
}
