//! What a matrix run returns, and the sink walks report to as they finish.

use std::sync::Mutex;
use std::time::Duration;

use playback_compare::AxisOption;
use serde::{Deserialize, Serialize};

use crate::error::MatrixError;
use crate::trace::{TraceLine, TraceWriter};
use crate::walk::{Opt, Options, WalkId, axis_options, walk_id};

/// The result of [`crate::Matrix::run`]: combtest's counts, failed walk ids and
/// gathered states.
///
/// ```
/// let run = playback_matrix::Matrix::new().run(())?;
/// assert_eq!((run.walks, run.errors), (1, 0));
/// assert!(run.states.is_none());
/// # Ok::<(), playback_matrix::MatrixError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MatrixRun<S> {
    /// Walks run (of this shard), failed ones included.
    pub walks: usize,
    /// How long the run took.
    pub elapsed: Duration,
    /// Walks that failed.
    pub errors: usize,
    /// The ids of the failed walks, sorted.
    pub failed: Vec<WalkId>,
    /// Why each failed, sorted by id.
    pub failures: Vec<WalkFailure>,
    /// With `gather_states(true)`: every successful walk's final state, sorted by id.
    pub states: Option<Vec<(WalkId, S)>>,
}

/// A walk that failed: the action that ended it, and its error.
///
/// ```
/// let f = playback_matrix::WalkFailure { id: playback_matrix::WalkId(1), action: "qty".into(), message: "zero".into() };
/// assert_eq!(f.to_string(), "walk 0000000000000001 failed in `qty`: zero");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkFailure {
    /// The walk.
    pub id: WalkId,
    /// The action (axis) that failed.
    pub action: String,
    /// Its error, or its panic's message.
    pub message: String,
}

impl std::fmt::Display for WalkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "walk {} failed in `{}`: {}",
            self.id, self.action, self.message
        )
    }
}

/// One walk re-run by [`crate::Matrix::replay_walk_by_id`].
///
/// ```
/// # fn f(r: playback_matrix::WalkReplay<u32>) { let _ = (r.id, r.state, r.failure); }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WalkReplay<S> {
    /// The walk.
    pub id: WalkId,
    /// Its options, as in the trace.
    pub options: Vec<AxisOption>,
    /// The state after the walk (after its failing action, if one failed).
    pub state: S,
    /// Why it failed, if it did.
    pub failure: Option<WalkFailure>,
}

impl<S> MatrixRun<S> {
    pub(crate) fn single(replay: WalkReplay<S>, gather: bool, elapsed: Duration) -> Self {
        let failed: Vec<WalkId> = replay.failure.iter().map(|f| f.id).collect();
        let errors = failed.len();
        let states = (gather && replay.failure.is_none()).then(|| vec![(replay.id, replay.state)]);
        MatrixRun {
            walks: 1,
            elapsed,
            errors,
            failed,
            failures: replay.failure.into_iter().collect(),
            states: states.or_else(|| gather.then(Vec::new)),
        }
    }
}

struct Inner<S> {
    walks: usize,
    failures: Vec<WalkFailure>,
    states: Option<Vec<(WalkId, S)>>,
    writer: Option<TraceWriter>,
    error: Option<MatrixError>,
}

/// Where walks report as they finish.
pub(crate) struct Sink<S>(Mutex<Inner<S>>);

impl<S> Sink<S> {
    pub(crate) fn new(writer: Option<TraceWriter>, gather: bool) -> Sink<S> {
        Sink(Mutex::new(Inner {
            walks: 0,
            failures: Vec::new(),
            states: gather.then(Vec::new),
            writer,
            error: None,
        }))
    }

    pub(crate) fn complete(
        &self,
        refs: &[&dyn Options],
        opts: &[Opt],
        result: Result<(), (String, String)>,
        state: Option<S>,
    ) {
        let id = walk_id(refs, opts, None);
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.walks += 1;
        let (outcome, failed_at, error) = match result {
            Ok(()) => ("ok", None, None),
            Err((action, message)) => {
                inner.failures.push(WalkFailure {
                    id,
                    action: action.clone(),
                    message: message.clone(),
                });
                ("failed", Some(action), Some(message))
            }
        };
        if let (Some(states), Some(state)) = (&mut inner.states, state)
            && failed_at.is_none()
        {
            states.push((id, state));
        }
        if inner.writer.is_some() && inner.error.is_none() {
            let line = TraceLine {
                id,
                recording: None,
                options: axis_options(refs, opts),
                outcome: outcome.to_owned(),
                failed_at,
                error,
            };
            let written = inner.writer.as_mut().map(|w| w.line(&line));
            if let Some(Err(e)) = written {
                inner.error = Some(e);
            }
        }
    }

    pub(crate) fn finish(self, elapsed: Duration) -> Result<MatrixRun<S>, MatrixError> {
        let mut inner = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = inner.error {
            return Err(e);
        }
        if let Some(w) = inner.writer.take() {
            w.finish()?;
        }
        inner.failures.sort_by_key(|f| f.id);
        if let Some(states) = &mut inner.states {
            states.sort_by_key(|(id, _)| *id);
        }
        Ok(MatrixRun {
            walks: inner.walks,
            elapsed,
            errors: inner.failures.len(),
            failed: inner.failures.iter().map(|f| f.id).collect(),
            failures: inner.failures,
            states: inner.states,
        })
    }
}
