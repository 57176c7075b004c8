//! `Matrix`: actions, their walks, and running them on all cores in stages.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use playback_compare::{AxisOption, Shard};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::action::{Action, Axis, SerialAction, Step};
use crate::error::MatrixError;
use crate::outcome::{MatrixRun, Sink, WalkFailure, WalkReplay};
use crate::trace::{TRACE_ENV, TraceWriter, WALK_ENV, find_walk};
use crate::walk::{Opt, Options, Product, WalkId, axis_options, walk_id};

/// A scenario matrix of actions: every walk (one option per action, in declared
/// order) runs on its own clone of the state, on all cores.
///
/// **Stages and serial actions.** [`Matrix::serial`] adds a barrier (combtest's
/// `SerialAction`). The actions before it form a stage: every combination of their
/// options (a walk *prefix*) runs, in parallel, each on a clone of the initial state.
/// When all have finished, the serial action runs on the calling thread, once per
/// option, in order, with the states of every prefix that did not fail (cloned for
/// that option). Then the next stage runs, in parallel, each walk continuing from its
/// prefix's state as the serial action left it. A prefix runs once however many
/// walks share it; a failure in a prefix (or of a serial option) fails every walk
/// that extends it. The states at a barrier are held in memory (one per prefix); the
/// last stage streams.
///
/// **Laziness.** The walks are the cartesian product of the options, generated as
/// they are run: the matrix holds one iterator per axis, never the product, so a
/// 10⁶-walk matrix runs in constant memory (without `gather_states`, and with as many
/// failures as it has).
///
/// ```
/// use playback_matrix::{Matrix, action};
/// let matrix = Matrix::new()
///     .action(action("qty", || 0..3u32, |q: &u32, s: &mut Vec<u32>| {
///         if *q == 0 { return Err("zero".to_owned()) } // ends the walk
///         s.push(*q);
///         Ok(())
///     }))
///     .action(action("double", || [false, true].into_iter(), |d: &bool, s: &mut Vec<u32>| {
///         if *d { s.push(s[0] * 2) }
///         Ok::<_, String>(())
///     }))
///     .gather_states(true);
/// let run = matrix.run(Vec::new())?;
/// assert_eq!((run.walks, run.errors), (6, 2));
/// let states: Vec<&Vec<u32>> = run.states.iter().flatten().map(|(_, s)| s).collect();
/// assert!(states.contains(&&vec![2, 4]));
/// # Ok::<(), playback_matrix::MatrixError>(())
/// ```
pub struct Matrix<S> {
    axes: Vec<Axis<S>>,
    threads: usize,
    shard: Option<Shard>,
    trace: Option<PathBuf>,
    gather: bool,
}

impl<S> fmt::Debug for Matrix<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let axes: Vec<&str> = self.axes.iter().map(|a| a.name.as_str()).collect();
        f.debug_struct("Matrix")
            .field("axes", &axes)
            .field("threads", &self.threads)
            .field("shard", &self.shard)
            .field("trace", &self.trace)
            .field("gather", &self.gather)
            .finish()
    }
}

impl<S> Default for Matrix<S>
where
    S: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Matrix::new()
    }
}

impl<S> Matrix<S>
where
    S: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// A matrix with no action (one empty walk).
    ///
    /// ```
    /// let run = playback_matrix::Matrix::new().run(0u8)?;
    /// assert_eq!(run.walks, 1);
    /// # Ok::<(), playback_matrix::MatrixError>(())
    /// ```
    pub fn new() -> Self {
        Matrix {
            axes: Vec::new(),
            threads: 0,
            shard: None,
            trace: None,
            gather: false,
        }
    }

    /// Adds an action: the next axis of every walk.
    ///
    /// ```
    /// let m = playback_matrix::Matrix::<u32>::new()
    ///     .action(playback_matrix::action("n", || 0..2u32, |n: &u32, s: &mut u32| { *s += n; Ok::<_, String>(()) }));
    /// assert!(format!("{m:?}").contains("\"n\""));
    /// ```
    pub fn action<A: Action<S>>(mut self, action: A) -> Self {
        self.axes.push(Axis::parallel(action));
        self
    }

    /// Adds a serial action: a barrier between two stages (see the type's docs).
    ///
    /// ```
    /// use playback_matrix::{Matrix, SerialAction};
    /// struct Reset;
    /// impl SerialAction<u32> for Reset {
    ///     type Option = u32;
    ///     type Error = String;
    ///     fn name(&self) -> &str { "reset" }
    ///     fn options(&self) -> Box<dyn Iterator<Item = u32> + Send + '_> { Box::new(0..2) }
    ///     fn run(&self, to: &u32, states: &mut [u32]) -> Result<(), String> { states.fill(*to); Ok(()) }
    /// }
    /// let run = Matrix::new().serial(Reset).gather_states(true).run(7u32)?;
    /// let mut states: Vec<u32> = run.states.unwrap().into_iter().map(|(_, s)| s).collect();
    /// states.sort();
    /// assert_eq!(states, [0, 1]);
    /// # Ok::<(), playback_matrix::MatrixError>(())
    /// ```
    pub fn serial<A: SerialAction<S>>(mut self, action: A) -> Self {
        self.axes.push(Axis::serial(action));
        self
    }

    /// Worker threads (default and `0`: the number of cores).
    ///
    /// ```
    /// let m = playback_matrix::Matrix::<()>::new().threads(2);
    /// assert!(format!("{m:?}").contains("threads: 2"));
    /// ```
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Runs only the walks of this shard: those whose id hashes to it
    /// ([`Shard::contains_key`] on the id's hex text). See [`crate::shard_from_env`].
    ///
    /// ```
    /// let m = playback_matrix::Matrix::<()>::new().shard(Some("1/2".parse()?));
    /// assert!(format!("{m:?}").contains("index: 1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shard(mut self, shard: Option<Shard>) -> Self {
        self.shard = shard;
        self
    }

    /// Writes a JSON line per walk to `path` (see [`crate::TraceLine`]).
    ///
    /// ```
    /// let m = playback_matrix::Matrix::<()>::new().trace("target/matrix.jsonl");
    /// assert!(format!("{m:?}").contains("matrix.jsonl"));
    /// ```
    pub fn trace(mut self, path: impl Into<PathBuf>) -> Self {
        self.trace = Some(path.into());
        self
    }

    /// Keeps every walk's final state in [`MatrixRun::states`] (combtest's
    /// `gather_states`; default `false`). Costs one state per walk in memory.
    ///
    /// ```
    /// let run = playback_matrix::Matrix::new().gather_states(true).run(5u8)?;
    /// assert_eq!(run.states.unwrap()[0].1, 5);
    /// # Ok::<(), playback_matrix::MatrixError>(())
    /// ```
    pub fn gather_states(mut self, gather: bool) -> Self {
        self.gather = gather;
        self
    }

    /// Every walk's id and options, lazily, in product order (no action runs).
    ///
    /// ```
    /// let m = playback_matrix::Matrix::<()>::new()
    ///     .action(playback_matrix::action("a", || 0..1000u32, |_: &u32, _: &mut ()| Ok::<_, String>(())))
    ///     .action(playback_matrix::action("b", || 0..1000u32, |_: &u32, _: &mut ()| Ok::<_, String>(())));
    /// let (id, options) = m.walks().nth(1001).unwrap();
    /// assert_eq!(options[0].value, 1);
    /// assert_eq!(id.to_string().len(), 16);
    /// ```
    pub fn walks(&self) -> impl Iterator<Item = (WalkId, Vec<AxisOption>)> + '_ {
        let axes = self.refs();
        Product::new(axes.clone())
            .map(move |opts| (walk_id(&axes, &opts, None), axis_options(&axes, &opts)))
    }

    fn refs(&self) -> Vec<&dyn Options> {
        self.axes.iter().map(|a| a as &dyn Options).collect()
    }

    /// Runs every walk (of the shard) and returns the counts, the failures and, with
    /// `gather_states`, the final states. With `PLAYBACK_MATRIX_WALK` set, runs only
    /// that walk, read from the trace (`PLAYBACK_MATRIX_TRACE` or [`Matrix::trace`]).
    ///
    /// An `Err` is about the trace; walk failures are in the result.
    ///
    /// ```
    /// let run = playback_matrix::Matrix::new()
    ///     .action(playback_matrix::action("n", || 0..4u32, |n: &u32, s: &mut u32| { *s += n; Ok::<_, String>(()) }))
    ///     .run(0u32)?;
    /// assert_eq!(run.walks, 4);
    /// assert!(run.failed.is_empty());
    /// # Ok::<(), playback_matrix::MatrixError>(())
    /// ```
    pub fn run(&self, initial: S) -> Result<MatrixRun<S>, MatrixError> {
        if let Some(id) = std::env::var(WALK_ENV).ok().filter(|v| !v.is_empty()) {
            let trace = std::env::var_os(TRACE_ENV)
                .map(PathBuf::from)
                .or_else(|| self.trace.clone())
                .ok_or_else(|| MatrixError::Shard {
                    reason: format!("{WALK_ENV} is set but no trace: set {TRACE_ENV}"),
                })?;
            let started = Instant::now();
            let replay = self.replay_walk_by_id(&trace, id.parse()?, initial)?;
            return Ok(MatrixRun::single(replay, self.gather, started.elapsed()));
        }
        let started = Instant::now();
        let writer = match &self.trace {
            Some(path) => Some(TraceWriter::create(
                path,
                self.shard.map(|s| s.to_string()),
            )?),
            None => None,
        };
        let sink = Sink::new(writer, self.gather);
        let refs = self.refs();
        let mut prefixes: Vec<(Vec<Opt>, S)> = vec![(Vec::new(), initial)];
        let mut from = 0;
        while from <= self.axes.len() {
            let barrier = self.axes[from..]
                .iter()
                .position(|a| matches!(a.step, Step::Serial(_)))
                .map(|i| from + i);
            let end = barrier.unwrap_or(self.axes.len());
            let last = barrier.is_none();
            let survivors = self.stage(&refs, &prefixes, from..end, last, &sink);
            let Some(serial) = barrier else {
                break;
            };
            prefixes = self.barrier(&refs, survivors, serial, &sink);
            from = serial + 1;
        }
        sink.finish(started.elapsed())
    }

    /// Runs the walks of one stage in parallel; returns the prefixes that did not fail
    /// (for the last stage: none, every walk is complete).
    fn stage(
        &self,
        refs: &[&dyn Options],
        prefixes: &[(Vec<Opt>, S)],
        range: std::ops::Range<usize>,
        last: bool,
        sink: &Sink<S>,
    ) -> Vec<(Vec<Opt>, S)> {
        let stage_axes: Vec<&dyn Options> = refs[range.clone()].to_vec();
        // numbered in product order, so survivors can be put back in that order
        let work = std::sync::Mutex::new(
            prefixes
                .iter()
                .flat_map(|p| Product::new(stage_axes.clone()).map(move |opts| (p, opts)))
                .enumerate(),
        );
        let survivors = std::sync::Mutex::new(Vec::new());
        let threads = worker_count(self.threads);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let next = work.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some((i, ((prefix, state), opts))) = next else {
                            break;
                        };
                        let mut all = Vec::with_capacity(prefix.len() + opts.len());
                        all.extend_from_slice(prefix);
                        all.extend(opts);
                        if last && !self.in_shard(refs, &all) {
                            continue;
                        }
                        let mut state = state.clone();
                        let result = self.run_steps(&all[range.start..], range.start, &mut state);
                        match (result, last) {
                            (Ok(()), true) => sink.complete(refs, &all, Ok(()), Some(state)),
                            (Ok(()), false) => survivors
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push((i, all, state)),
                            (Err(failure), _) => self.fail_extensions(refs, &all, failure, sink),
                        }
                    }
                });
            }
        });
        let mut survivors = survivors.into_inner().unwrap_or_else(|e| e.into_inner());
        // product order, whatever the parallelism
        survivors.sort_by_key(|s| s.0);
        survivors.into_iter().map(|(_, o, s)| (o, s)).collect()
    }

    /// Runs serial action `serial` once per option on every surviving prefix.
    fn barrier(
        &self,
        refs: &[&dyn Options],
        survivors: Vec<(Vec<Opt>, S)>,
        serial: usize,
        sink: &Sink<S>,
    ) -> Vec<(Vec<Opt>, S)> {
        let axis = &self.axes[serial];
        let Step::Serial(run) = &axis.step else {
            return Vec::new();
        };
        let mut next = Vec::new();
        for option in axis.source.fresh() {
            let mut states: Vec<S> = survivors.iter().map(|(_, s)| s.clone()).collect();
            let result = catch_unwind(AssertUnwindSafe(|| run(&option, &mut states)))
                .unwrap_or_else(|p| Err(panic_text(&*p)));
            for ((opts, _), state) in survivors.iter().zip(states) {
                let mut all = opts.clone();
                all.push(option.clone());
                match &result {
                    Ok(()) => next.push((all, state)),
                    Err(message) => {
                        let failure = (axis.name.clone(), message.clone());
                        self.fail_extensions(refs, &all, failure, sink);
                    }
                }
            }
        }
        next
    }

    /// Runs parallel steps from axis `first` on, one option each.
    fn run_steps(&self, opts: &[Opt], first: usize, state: &mut S) -> Result<(), (String, String)> {
        for (k, opt) in opts.iter().enumerate() {
            let axis = &self.axes[first + k];
            let result = catch_unwind(AssertUnwindSafe(|| match &axis.step {
                Step::Parallel(run) => run(opt, state),
                Step::Serial(run) => run(opt, std::slice::from_mut(state)),
            }))
            .unwrap_or_else(|p| Err(panic_text(&*p)));
            result.map_err(|message| (axis.name.clone(), message))?;
        }
        Ok(())
    }

    /// Records every walk that extends the failed prefix `opts` as failed.
    fn fail_extensions(
        &self,
        refs: &[&dyn Options],
        opts: &[Opt],
        failure: (String, String),
        sink: &Sink<S>,
    ) {
        let rest: Vec<&dyn Options> = refs[opts.len()..].to_vec();
        for ext in Product::new(rest) {
            let mut all = opts.to_vec();
            all.extend(ext);
            if self.in_shard(refs, &all) {
                sink.complete(refs, &all, Err(failure.clone()), None);
            }
        }
    }

    fn in_shard(&self, refs: &[&dyn Options], opts: &[Opt]) -> bool {
        self.shard
            .is_none_or(|s| s.contains_key(&walk_id(refs, opts, None).to_string()))
    }

    /// Re-runs exactly walk `id` of `trace` on `state`, in this process and on this
    /// thread (for a debugger): its options are read from the trace and decoded with
    /// this matrix's actions, which run in order (a serial action on this one state).
    ///
    /// ```
    /// use playback_matrix::{Matrix, action};
    /// let dir = tempfile::tempdir()?;
    /// let trace = dir.path().join("trace.jsonl");
    /// let matrix = Matrix::new()
    ///     .action(action("n", || 0..3u32, |n: &u32, s: &mut u32| { *s += n; Ok::<_, String>(()) }))
    ///     .trace(&trace);
    /// matrix.run(10u32)?;
    /// let (id, _) = matrix.walks().nth(2).unwrap();
    /// let replay = matrix.replay_walk_by_id(&trace, id, 10u32)?;
    /// assert_eq!(replay.state, 12);
    /// assert!(replay.failure.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay_walk_by_id(
        &self,
        trace: impl AsRef<Path>,
        id: WalkId,
        mut state: S,
    ) -> Result<WalkReplay<S>, MatrixError> {
        let (line, _) = find_walk(trace, id)?;
        let mismatch = |reason: String| MatrixError::TraceMismatch {
            id: id.to_string(),
            reason,
        };
        if line.options.len() != self.axes.len() {
            return Err(mismatch(format!(
                "it has {} options, the matrix {} actions",
                line.options.len(),
                self.axes.len()
            )));
        }
        let mut opts = Vec::with_capacity(self.axes.len());
        for axis in &self.axes {
            let found = line
                .options
                .iter()
                .find(|o| o.axis == axis.name)
                .ok_or_else(|| mismatch(format!("no option for action `{}`", axis.name)))?;
            let opt = (axis.decode)(&found.value)
                .map_err(|e| mismatch(format!("option of `{}`: {e}", axis.name)))?;
            opts.push(opt);
        }
        let failure = self
            .run_steps(&opts, 0, &mut state)
            .err()
            .map(|(action, message)| WalkFailure {
                id,
                action,
                message,
            });
        Ok(WalkReplay {
            id,
            options: line.options,
            state,
            failure,
        })
    }
}

pub(crate) fn worker_count(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned());
    format!("panicked: {message}")
}
