//! `RecordingMatrix`: every recording × every combination of options, replayed and
//! compared, reported per combination.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use playback_compare::{
    AxisOption, Combination, Comparison, Counts, Equalizer, Progress, Report, Shard, Status, Tuning,
};
use playback_replay::Replayer;
use playback_store::Recording;

use crate::action::{Action, Axis, Step, action};
use crate::error::MatrixError;
use crate::setup::Setup;
use crate::trace::{TRACE_ENV, TraceLine, TraceWriter, WALK_ENV, find_walk};
use crate::walk::{Opt, Options, Product, WalkId, axis_options, walk_id};

/// Turns a walk's setup into the replayer of its recording.
type Configure = dyn Fn(&Setup, Replayer) -> Replayer + Send + Sync;

/// A scenario matrix over recordings: each recording is a value of the first axis, so
/// a walk is "replay recording R with options O", compared with R as the Equalizer
/// compares (the same player, extractor and comparator: [`RecordingMatrix::tuning`]).
///
/// The options reach the code under test in two ways:
///
/// - **replay overrides by alias**: an axis made with [`RecordingMatrix::input_axis`]
///   answers an input call site (say `playback::value("shop::rounding", ..)`) with
///   the walk's option; any [`Action<Setup>`] can call [`Setup::override_input`] or
///   [`Setup::override_input_for`] (one key);
/// - **your closure** ([`RecordingMatrix::configure`]): it gets the walk's [`Setup`]
///   and its [`Replayer`], and returns the replayer to use.
///
/// Running: for each combination of options (lazily, in declared order), the
/// recordings of the shard are replayed on all cores by an Equalizer, and every
/// comparison is tagged with its [`Combination`]. The result is one [`Report`], sorted
/// by category, recording and walk id, with [`Report::axes`] as the per-axis
/// breakdown; it prints and writes JSON, JUnit and HTML like any report.
///
/// ```
/// use playback_matrix::RecordingMatrix;
/// use playback_store::Recording;
///
/// let recordings = vec![Recording::builder("quote").build()];
/// let matrix = RecordingMatrix::over(recordings)
///     .input_axis("rounding", "shop::rounding", || ["nearest", "floor"].into_iter().map(String::from));
/// assert_eq!(matrix.walk_count(), 2);
/// ```
pub struct RecordingMatrix {
    recordings: Vec<Recording>,
    axes: Vec<Axis<Setup>>,
    replayer: Replayer,
    configure: Option<Arc<Configure>>,
    tuning: Tuning,
    threads: usize,
    shard: Option<Shard>,
    trace: Option<PathBuf>,
}

impl fmt::Debug for RecordingMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let axes: Vec<&str> = self.axes.iter().map(|a| a.name.as_str()).collect();
        f.debug_struct("RecordingMatrix")
            .field("recordings", &self.recordings.len())
            .field("axes", &axes)
            .field("configure", &self.configure.is_some())
            .field("threads", &self.threads)
            .field("shard", &self.shard)
            .field("trace", &self.trace)
            .finish_non_exhaustive()
    }
}

/// The result of [`RecordingMatrix::run`]: the report, and combtest's counts.
///
/// ```
/// let m = playback_matrix::RecordingMatrix::over(Vec::new()).run()?;
/// assert_eq!((m.walks, m.errors), (0, 0));
/// # Ok::<(), playback_matrix::MatrixError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MatrixReport {
    /// One comparison per walk, with its combination.
    pub report: Report,
    /// Walks run (of this shard).
    pub walks: usize,
    /// How long the run took.
    pub elapsed: Duration,
    /// Walks whose comparison fails (different, failed or error).
    pub errors: usize,
    /// Their ids, sorted.
    pub failed: Vec<WalkId>,
    /// The combinations of options that ran, in product order.
    order: Vec<Vec<AxisOption>>,
}

impl MatrixReport {
    fn new(report: Report, order: Vec<Vec<AxisOption>>) -> MatrixReport {
        let mut failed: Vec<WalkId> = report
            .comparisons
            .iter()
            .filter(|c| c.status.fails())
            .filter_map(|c| c.combination.as_ref()?.walk_id.parse().ok())
            .collect();
        failed.sort();
        MatrixReport {
            walks: report.comparisons.len(),
            elapsed: report.elapsed,
            errors: failed.len(),
            failed,
            report,
            order,
        }
    }

    /// The counts per combination of options (recordings aside), in the matrix's
    /// product order: which combinations change results.
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(Vec::new()).run()?;
    /// assert!(m.combinations().is_empty());
    /// # Ok::<(), playback_matrix::MatrixError>(())
    /// ```
    pub fn combinations(&self) -> Vec<(Vec<AxisOption>, Counts)> {
        let mut out: Vec<(Vec<AxisOption>, Counts)> = self
            .order
            .iter()
            .map(|o| (o.clone(), Counts::default()))
            .collect();
        for c in &self.report.comparisons {
            let options = c
                .combination
                .as_ref()
                .map(|w| w.options.clone())
                .unwrap_or_default();
            match out.iter_mut().find(|(o, _)| *o == options) {
                Some((_, counts)) => counts.add(c.status),
                None => {
                    let mut counts = Counts::default();
                    counts.add(c.status);
                    out.push((options, counts));
                }
            }
        }
        out
    }
}

impl RecordingMatrix {
    /// A matrix over `recordings` (each one a value of the recording axis), with no
    /// other axis yet.
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(vec![playback_store::Recording::builder("c").build()]);
    /// assert_eq!(m.walk_count(), 1);
    /// ```
    pub fn over(recordings: impl IntoIterator<Item = Recording>) -> Self {
        RecordingMatrix {
            recordings: recordings.into_iter().collect(),
            axes: Vec::new(),
            replayer: Replayer::new(),
            configure: None,
            tuning: Tuning::new(),
            threads: 0,
            shard: None,
            trace: None,
        }
    }

    /// Adds an axis: any action on the walk's [`Setup`].
    ///
    /// ```
    /// use playback_matrix::{RecordingMatrix, action};
    /// let m = RecordingMatrix::over(Vec::new())
    ///     .axis(action("cache", || [false, true].into_iter(), |on: &bool, s: &mut playback_matrix::Setup| { s.set("cache", on); Ok::<_, String>(()) }));
    /// assert!(format!("{m:?}").contains("cache"));
    /// ```
    pub fn axis<A: Action<Setup>>(mut self, action: A) -> Self {
        self.axes.push(Axis::parallel(action));
        self
    }

    /// Adds an axis whose option answers input call site `alias` (a replay override,
    /// see [`Setup::override_input`]).
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(Vec::new())
    ///     .input_axis("rounding", "shop::rounding", || ["nearest", "floor", "ceil"].into_iter().map(String::from));
    /// assert!(format!("{m:?}").contains("rounding"));
    /// ```
    pub fn input_axis<O, It, I>(
        self,
        name: impl Into<String>,
        alias: impl Into<String>,
        options: I,
    ) -> Self
    where
        O: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
        It: Iterator<Item = O> + Send + 'static,
        I: Fn() -> It + Send + Sync + 'static,
    {
        let alias = alias.into();
        self.axis(action(
            name,
            options,
            move |option: &O, setup: &mut Setup| {
                setup.override_input(alias.clone(), option);
                Ok::<_, String>(())
            },
        ))
    }

    /// The replayer every walk starts from (default: `Replayer::new()`); provide
    /// your stateful values here.
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(Vec::new()).replayer(playback_replay::Replayer::new().strict(false));
    /// # let _ = m;
    /// ```
    pub fn replayer(mut self, replayer: Replayer) -> Self {
        self.replayer = replayer;
        self
    }

    /// Your closure from a walk's setup to its replayer (after the setup's input
    /// overrides are applied).
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(Vec::new())
    ///     .configure(|setup, replayer| if setup.get("strict") == Some(&false.into()) { replayer.strict(false) } else { replayer });
    /// assert!(format!("{m:?}").contains("configure: true"));
    /// ```
    pub fn configure<F>(mut self, configure: F) -> Self
    where
        F: Fn(&Setup, Replayer) -> Replayer + Send + Sync + 'static,
    {
        self.configure = Some(Arc::new(configure));
        self
    }

    /// The extractor, comparator and comparison data of every walk (the player is the
    /// matrix's: each walk's replayer).
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(Vec::new())
    ///     .tuning(playback_compare::Tuning::new().comparator(playback_compare::JsonDiff::new().float_tolerance(1e-9)));
    /// # let _ = m;
    /// ```
    pub fn tuning(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning;
        self
    }

    /// Worker threads (default and `0`: the number of cores).
    ///
    /// ```
    /// assert!(format!("{:?}", playback_matrix::RecordingMatrix::over(Vec::new()).threads(2)).contains("threads: 2"));
    /// ```
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Runs only the walks of this shard (see [`crate::shard_from_env`]).
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(Vec::new()).shard(Some("2/3".parse()?));
    /// assert!(format!("{m:?}").contains("index: 2"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shard(mut self, shard: Option<Shard>) -> Self {
        self.shard = shard;
        self
    }

    /// Writes a JSON line per walk to `path` (see [`crate::TraceLine`]).
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(Vec::new()).trace("target/m.jsonl");
    /// assert!(format!("{m:?}").contains("m.jsonl"));
    /// ```
    pub fn trace(mut self, path: impl Into<PathBuf>) -> Self {
        self.trace = Some(path.into());
        self
    }

    pub(crate) fn refs(&self) -> Vec<&dyn Options> {
        self.axes.iter().map(|a| a as &dyn Options).collect()
    }

    pub(crate) fn recordings(&self) -> &[Recording] {
        &self.recordings
    }

    /// The report of one walk, on this thread's replay (one worker thread).
    pub(crate) fn combination_report(&self, opts: &[Opt], recording: Recording) -> Report {
        self.combination(opts, vec![recording], 1, false)
    }

    /// How many walks the matrix has (all shards): recordings × the options of every
    /// axis (the options are counted, not kept).
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(vec![playback_store::Recording::builder("c").build(); 3])
    ///     .input_axis("r", "shop::r", || 0..4u8);
    /// assert_eq!(m.walk_count(), 12);
    /// ```
    pub fn walk_count(&self) -> usize {
        self.axes
            .iter()
            .map(|a| a.fresh().count())
            .fold(self.recordings.len(), usize::saturating_mul)
    }

    /// The setup of a combination, or the failing action and its error.
    fn setup(&self, opts: &[Opt]) -> Result<Setup, (String, String)> {
        let mut setup = Setup::default();
        for (axis, opt) in self.axes.iter().zip(opts) {
            let result = match &axis.step {
                Step::Parallel(run) => run(opt, &mut setup),
                Step::Serial(run) => run(opt, std::slice::from_mut(&mut setup)),
            };
            result.map_err(|e| (axis.name.clone(), e))?;
        }
        Ok(setup)
    }

    /// The report of one combination over `recordings`, each comparison tagged.
    fn combination(
        &self,
        opts: &[Opt],
        recordings: Vec<Recording>,
        threads: usize,
        keep: bool,
    ) -> Report {
        let refs = self.refs();
        let options = axis_options(&refs, opts);
        let mut report = match self.setup(opts) {
            Ok(setup) => {
                let mut replayer = setup.apply(self.replayer.clone());
                if let Some(configure) = &self.configure {
                    replayer = configure(&setup, replayer);
                }
                Equalizer::new(recordings)
                    .tuning(self.tuning.clone())
                    .replayer(replayer)
                    .threads(threads)
                    .keep_results(keep)
                    .progress(Progress::Never)
                    .run()
            }
            Err((axis, message)) => {
                let mut report = Report::default();
                report.comparisons = recordings
                    .iter()
                    .map(|r| {
                        let mut c = Comparison::new(r, Status::Error);
                        c.message = Some(format!("action `{axis}` failed: {message}"));
                        c
                    })
                    .collect();
                report
            }
        };
        for c in &mut report.comparisons {
            let id = walk_id(&refs, opts, Some(c.recording_id.as_str()));
            c.combination = Some(Combination::new(id.to_string(), options.clone()));
        }
        report
    }

    /// Runs every walk (of the shard) and returns the report. With
    /// `PLAYBACK_MATRIX_WALK` set, runs only that walk (see
    /// [`RecordingMatrix::replay_walk_by_id`]).
    ///
    /// ```
    /// let m = playback_matrix::RecordingMatrix::over(vec![playback_store::Recording::builder("nobody_registered").build()])
    ///     .input_axis("rounding", "shop::rounding", || ["nearest", "floor"].into_iter().map(String::from))
    ///     .run()?;
    /// assert_eq!(m.walks, 2);
    /// assert_eq!(m.errors, 2); // no operation is registered for the category
    /// # Ok::<(), playback_matrix::MatrixError>(())
    /// ```
    pub fn run(&self) -> Result<MatrixReport, MatrixError> {
        if let Some(id) = std::env::var(WALK_ENV).ok().filter(|v| !v.is_empty()) {
            let trace = std::env::var_os(TRACE_ENV)
                .map(PathBuf::from)
                .or_else(|| self.trace.clone())
                .ok_or_else(|| MatrixError::Shard {
                    reason: format!("{WALK_ENV} is set but no trace: set {TRACE_ENV}"),
                })?;
            let started = Instant::now();
            let comparison = self.replay_walk_by_id(&trace, id.parse()?)?;
            let mut report = Report::default();
            report.comparisons.push(comparison);
            report.elapsed = started.elapsed();
            let order = report
                .comparisons
                .iter()
                .filter_map(|c| Some(c.combination.as_ref()?.options.clone()))
                .collect();
            return Ok(MatrixReport::new(report, order));
        }
        let started = Instant::now();
        let mut writer = match &self.trace {
            Some(path) => Some(TraceWriter::create(
                path,
                self.shard.map(|s| s.to_string()),
            )?),
            None => None,
        };
        let refs = self.refs();
        let mut reports = Vec::new();
        let mut order = Vec::new();
        for opts in Product::new(refs.clone()) {
            let recordings: Vec<Recording> = self
                .recordings
                .iter()
                .filter(|r| {
                    self.shard.is_none_or(|s| {
                        s.contains_key(&walk_id(&refs, &opts, Some(r.id.as_str())).to_string())
                    })
                })
                .cloned()
                .collect();
            if recordings.is_empty() {
                continue;
            }
            order.push(axis_options(&refs, &opts));
            let report = self.combination(&opts, recordings, self.threads, false);
            if let Some(w) = &mut writer {
                for c in &report.comparisons {
                    w.line(&trace_line(c))?;
                }
            }
            reports.push(report);
        }
        if let Some(w) = writer {
            w.finish()?;
        }
        let mut report = Report::merge(reports).unwrap_or_else(|e| {
            let mut r = Report::default();
            r.problems
                .push(playback_compare::Problem::new(None, e.to_string()));
            r
        });
        report.shards = self.shard.into_iter().collect();
        report.elapsed = started.elapsed();
        Ok(MatrixReport::new(report, order))
    }

    /// Re-runs exactly walk `id` of `trace`: its recording (which must be among this
    /// matrix's) with its options, decoded with this matrix's axes, in this process;
    /// returns its comparison, with the [`playback_replay::Playback`] kept.
    ///
    /// ```no_run
    /// # let matrix = playback_matrix::RecordingMatrix::over(Vec::new());
    /// let c = matrix.replay_walk_by_id("target/matrix.jsonl", "5f1c0a7e9b2d4c31".parse()?)?;
    /// println!("{:?} {:?}", c.status, c.differences);
    /// # Ok::<(), playback_matrix::MatrixError>(())
    /// ```
    pub fn replay_walk_by_id(
        &self,
        trace: impl AsRef<Path>,
        id: WalkId,
    ) -> Result<Comparison, MatrixError> {
        let (line, _) = find_walk(trace, id)?;
        let mismatch = |reason: String| MatrixError::TraceMismatch {
            id: id.to_string(),
            reason,
        };
        let recording_id = line
            .recording
            .ok_or_else(|| mismatch("it names no recording".to_owned()))?;
        let recording = self
            .recordings
            .iter()
            .find(|r| r.id.as_str() == recording_id)
            .ok_or_else(|| MatrixError::UnknownRecording {
                id: id.to_string(),
                recording: recording_id.clone(),
            })?;
        if line.options.len() != self.axes.len() {
            return Err(mismatch(format!(
                "it has {} options, the matrix {} axes",
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
                .ok_or_else(|| mismatch(format!("no option for axis `{}`", axis.name)))?;
            opts.push(
                (axis.decode)(&found.value)
                    .map_err(|e| mismatch(format!("option of `{}`: {e}", axis.name)))?,
            );
        }
        let report = self.combination(&opts, vec![recording.clone()], 1, true);
        report
            .comparisons
            .into_iter()
            .next()
            .ok_or_else(|| mismatch("the replay reported nothing".to_owned()))
    }
}

fn trace_line(c: &Comparison) -> TraceLine {
    let (id, options) = match &c.combination {
        Some(w) => (w.walk_id.parse().unwrap_or(WalkId(0)), w.options.clone()),
        None => (WalkId(0), Vec::new()),
    };
    TraceLine {
        id,
        recording: Some(c.recording_id.to_string()),
        options,
        outcome: c.status.as_str().to_owned(),
        failed_at: None,
        error: c.message.clone().filter(|_| c.status.fails()),
    }
}
