//! `Equalizer`: replay a set of recordings and compare.

use std::time::Duration;

use playback_replay::{Playback, Side};
use playback_store::Recording;
use serde_json::Value;

use crate::comparator::{BoxError, Comparator, Context};
use crate::progress::Progress;
use crate::report::Report;
use crate::run::RecordingEntry;
use crate::stream::Comparisons;
use crate::studio::Studio;
use crate::tuning::Tuning;
use crate::verdict::Verdict;

/// Replays recordings, compares recorded against replayed, and reports.
///
/// The parts, each replaceable:
///
/// - a **player** replays one recording into a [`Playback`] (default: automatic
///   replay, `playback_replay::replay_recording`, which finds the operation
///   registered for the recording's category and calls it with the recorded
///   arguments; a category with no registered operation is `Failed`, with the
///   replay error naming it);
/// - a **result extractor** turns each side into the value compared (default:
///   [`crate::result_and_outputs`]);
/// - a **comparator** compares the two values (default: [`crate::JsonDiff::new`]);
/// - an optional **comparison-data extractor** reads the recording and hands the
///   comparator extra data ([`Context::data`]).
///
/// Execution: parallel on worker threads (default: the number of cores), a timeout
/// per replay and per comparison (default 60 s), panics isolated to their recording,
/// a report order that does not depend on the parallelism, a progress bar on a
/// terminal. See [`Equalizer::timeout`] for what happens to a stuck replay.
///
/// An Equalizer is a [`Studio`] over the given recordings with one tuning for every
/// category: it forwards its run options to the studio, so both run the same way.
///
/// ```
/// use playback_compare::{Equalizer, JsonDiff, Progress, Status};
/// use playback_replay::{Playback, Side};
/// use playback_store::Recording;
/// use serde_json::json;
/// use std::time::Duration;
///
/// // A player that "replays" by reading a value from the recording's metadata.
/// let player = |rec: &Recording| -> Result<Playback, std::io::Error> {
///     let side = |v: &serde_json::Value| Side::new(v.clone(), false, vec![], Duration::ZERO);
///     let recorded = side(&rec.metadata["recorded"]);
///     let replayed = side(&rec.metadata["replayed"]);
///     Ok(Playback::new(rec.id.clone(), rec.category.clone(), recorded, replayed, vec![]))
/// };
/// let same = Recording::builder("checkout").metadata("recorded", json!({"total": 1})).metadata("replayed", json!({"total": 1})).build();
/// let changed = Recording::builder("checkout").metadata("recorded", json!({"total": 1})).metadata("replayed", json!({"total": 2})).build();
///
/// let report = Equalizer::new(vec![same, changed.clone()])
///     .player(player)
///     .comparator(JsonDiff::new().ignore("/result/created_at"))
///     .progress(Progress::Never)
///     .run();
/// assert_eq!(report.counts().equal, 1);
/// let diff = report.get(&changed.id).unwrap();
/// assert_eq!(diff.status, Status::Different);
/// assert_eq!(diff.differences[0].path, "/result/total");
/// assert_eq!(report.exit_code(), 1);
/// ```
pub struct Equalizer {
    /// The recordings and the run options.
    studio: Studio,
    /// The one tuning of every recording, whatever its category.
    tuning: Tuning,
}

impl std::fmt::Debug for Equalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Equalizer")
            .field("recordings", &self.studio.given())
            .field("tuning", &self.tuning)
            .field("options", &self.studio.options)
            .finish()
    }
}

impl Equalizer {
    /// An equalizer over `recordings`: what `store.find(&query)?` returns (an entry
    /// that could not be read becomes an `Error` with the store's error), or any
    /// iterator of [`Recording`].
    ///
    /// ```
    /// use playback_store::{MemoryStore, Query, Recording, Store};
    /// let store = MemoryStore::new();
    /// store.put(&Recording::builder("checkout").build())?;
    /// let eq = playback_compare::Equalizer::new(store.find(&Query::category("checkout"))?);
    /// assert!(format!("{eq:?}").contains("recordings: 1"));
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn new<I>(recordings: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<RecordingEntry>,
    {
        Equalizer {
            studio: Studio::from_recordings(recordings),
            tuning: Tuning::new(),
        }
    }

    /// Sets the player, which replays one recording. An `Err` or a panic makes the
    /// recording `Failed`, with the error's message.
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new())
    ///     .player(|_rec| Err::<playback_replay::Playback, _>("not today"));
    /// assert!(format!("{eq:?}").contains("player: true"));
    /// ```
    pub fn player<F, E>(mut self, player: F) -> Self
    where
        F: Fn(&Recording) -> Result<Playback, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.tuning = self.tuning.player(player);
        self
    }

    /// Replays with this [`Replayer`](playback_replay::Replayer)'s automatic replay: its
    /// provided values (`Replayer::provide`), factories and settings. This is the player
    /// for stateful operations: one provided value per type, no per-category code.
    ///
    /// ```
    /// let replayer = playback_replay::Replayer::new().provide(|| String::from("placeholder"));
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new())
    ///     .replayer(replayer);
    /// assert!(format!("{eq:?}").contains("player: true"));
    /// ```
    pub fn replayer(self, replayer: playback_replay::Replayer) -> Self {
        self.player(move |rec| replayer.replay_recording(rec))
    }

    /// Sets the result extractor (default: [`crate::result_and_outputs`]). An `Err`
    /// or a panic makes the recording an `Error`.
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new())
    ///     .extractor(|side| Ok::<_, std::convert::Infallible>(side.result().clone()));
    /// assert!(format!("{eq:?}").contains("extractor: true"));
    /// ```
    pub fn extractor<F, E>(mut self, extractor: F) -> Self
    where
        F: Fn(&Side) -> Result<Value, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.tuning = self.tuning.extractor(extractor);
        self
    }

    /// Sets the comparator (default: [`crate::JsonDiff::new`]).
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new())
    ///     .comparator(playback_compare::JsonDiff::new().float_tolerance(1e-9));
    /// assert!(format!("{eq:?}").contains("comparator: true"));
    /// ```
    pub fn comparator<C: Comparator>(mut self, comparator: C) -> Self {
        self.tuning = self.tuning.comparator(comparator);
        self
    }

    /// Sets a closure as the comparator; see [`Tuning::compare_with`].
    ///
    /// ```
    /// use playback_compare::Verdict;
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new())
    ///     .compare_with(|a, b, _| Ok::<_, std::convert::Infallible>(if a == b { Verdict::equal() } else { Verdict::failed("changed") }));
    /// assert!(format!("{eq:?}").contains("comparator: true"));
    /// ```
    pub fn compare_with<F, E>(mut self, comparator: F) -> Self
    where
        F: Fn(&Value, &Value, &Context<'_>) -> Result<Verdict, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.tuning = self.tuning.compare_with(comparator);
        self
    }

    /// Sets the comparison-data extractor; see [`Tuning::comparison_data`].
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new())
    ///     .comparison_data(|rec| Ok::<_, std::convert::Infallible>(rec.metadata["currency"].clone()));
    /// assert!(format!("{eq:?}").contains("comparison_data: true"));
    /// ```
    pub fn comparison_data<F, E>(mut self, data: F) -> Self
    where
        F: Fn(&Recording) -> Result<Value, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.tuning = self.tuning.comparison_data(data);
        self
    }

    /// Sets every part at once from a [`Tuning`]; parts it leaves unset keep their
    /// current value.
    ///
    /// ```
    /// use playback_compare::{Equalizer, JsonDiff, Tuning};
    /// let eq = Equalizer::new(Vec::<playback_store::Recording>::new()).tuning(Tuning::new().comparator(JsonDiff::new()));
    /// assert!(format!("{eq:?}").contains("comparator: true"));
    /// ```
    pub fn tuning(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning.over(&self.tuning);
        self
    }

    /// Learns noise: every recording is replayed `runs` extra times on the same
    /// code, and any path where those replays differ from the compared one is
    /// nondeterministic noise. Differences at noise paths (and under them) are
    /// reported apart, in [`crate::Comparison::noise`], and do not fail the run.
    /// This is Diffy's primary/secondary/candidate idea, in-process.
    ///
    /// The replays are diffed with the comparator's [`Comparator::noise_diff`]
    /// (a [`crate::JsonDiff`] comparator uses its own rules). A comparator that
    /// returns differences without paths gets no noise suppression.
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new()).learn_noise(2);
    /// assert!(format!("{eq:?}").contains("noise_runs: 2"));
    /// ```
    pub fn learn_noise(mut self, runs: usize) -> Self {
        self.studio = self.studio.learn_noise(runs);
        self
    }

    /// How many worker threads replay in parallel (default: the number of cores;
    /// `0` means the default).
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new()).threads(4);
    /// assert!(format!("{eq:?}").contains("threads: Some(4)"));
    /// ```
    pub fn threads(mut self, threads: usize) -> Self {
        self.studio = self.studio.threads(threads);
        self
    }

    /// The timeout of each replay, and of each extraction plus comparison (default
    /// 60 s). A replay past it is `Failed`; an extractor or comparator past it is an
    /// `Error`.
    ///
    /// A thread cannot be killed in-process: the stuck worker is abandoned (it runs
    /// on in the background until it returns, and its result is discarded) and a new
    /// worker takes its place, so the run goes on at full parallelism. An abandoned
    /// replay still holds whatever it holds; if replays can block forever, use
    /// [`Equalizer::isolate`]: each replay is then a child process, which is killed
    /// at the timeout (the timeout then bounds the whole child: `timeout` for each
    /// of its replays, comparison included).
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new())
    ///     .timeout(std::time::Duration::from_secs(5));
    /// assert!(format!("{eq:?}").contains("timeout: Some(5s)"));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.studio = self.studio.timeout(timeout);
        self
    }

    /// Removes the timeout: replays may take as long as they take.
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new()).no_timeout();
    /// assert!(format!("{eq:?}").contains("timeout: None"));
    /// ```
    pub fn no_timeout(mut self) -> Self {
        self.studio = self.studio.no_timeout();
        self
    }

    /// Replays only shard `index` of `total` (from 1): the recordings whose id hashes
    /// to it (see [`crate::Shard`]). An invalid shard replays nothing and reports a
    /// problem, which fails the run.
    ///
    /// ```
    /// let recs: Vec<_> = (0..20).map(|_| playback_store::Recording::builder("c").build()).collect();
    /// let counts: usize = (1..=3)
    ///     .map(|k| playback_compare::Equalizer::new(recs.clone()).shard(k, 3).progress(playback_compare::Progress::Never).run().counts().total)
    ///     .sum();
    /// assert_eq!(counts, 20);
    /// ```
    pub fn shard(mut self, index: u32, total: u32) -> Self {
        self.studio = self.studio.shard(index, total);
        self
    }

    /// When to draw a progress bar (default: [`Progress::Auto`], on a terminal
    /// outside CI).
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new()).progress(playback_compare::Progress::Never);
    /// assert!(format!("{eq:?}").contains("Never"));
    /// ```
    pub fn progress(mut self, progress: Progress) -> Self {
        self.studio = self.studio.progress(progress);
        self
    }

    /// Keeps the extracted values and the [`Playback`] of every recording, equal ones
    /// included (default: the values of the others only, no playback).
    ///
    /// ```
    /// let eq = playback_compare::Equalizer::new(Vec::<playback_store::Recording>::new()).keep_results(true);
    /// assert!(format!("{eq:?}").contains("keep_results: true"));
    /// ```
    pub fn keep_results(mut self, keep: bool) -> Self {
        self.studio = self.studio.keep_results(keep);
        self
    }

    /// Replays incomplete recordings too (default: `false`: they are
    /// [`crate::Status::Skipped`]).
    ///
    /// A recording is incomplete (`Outcome::Incomplete`) when its operation's future
    /// was dropped while it was being recorded: a client disconnect, a tower timeout,
    /// a `select!`. Production never finished it, so a replay that runs to the end
    /// would report differences that are not regressions. By default it is not
    /// replayed: it is `Skipped` with a message saying why, counted and listed in
    /// every report, and it never changes [`Report::exit_code`].
    ///
    /// With `true` it is replayed, and only what was recorded is compared: the
    /// operation's result is not (production never produced one; both sides
    /// extract it as `null`), and of the replayed outputs only the first `N` are,
    /// `N` being the number of outputs the recording has. The comparison's message
    /// says so. A replay that fails is `Failed`, as for any recording.
    ///
    /// ```
    /// use playback_compare::{Equalizer, Progress, Status};
    /// use playback_replay::{Output, Playback, Side};
    /// use playback_store::{Outcome, Recording};
    /// use serde_json::json;
    /// use std::time::Duration;
    ///
    /// // Production was cancelled after its first output; today's replay runs to the end.
    /// fn out(n: u32) -> Output {
    ///     Output::new("shop::notify", n, json!({"n": n}), json!(null), false)
    /// }
    /// let player = |rec: &Recording| {
    ///     let recorded = Side::new(json!(null), false, vec![out(1)], Duration::ZERO);
    ///     let replayed = Side::new(json!({"Ok": 2}), false, vec![out(1), out(2)], Duration::ZERO);
    ///     Ok::<_, std::io::Error>(Playback::new(rec.id.clone(), rec.category.clone(), recorded, replayed, vec![]))
    /// };
    /// let rec = Recording::builder("checkout").outcome(Outcome::Incomplete).build();
    ///
    /// let skipped = Equalizer::new(vec![rec.clone()]).player(player).progress(Progress::Never).run();
    /// assert_eq!(skipped.comparisons[0].status, Status::Skipped);
    /// assert_eq!(skipped.counts().skipped, 1);
    /// assert_eq!(skipped.exit_code(), 0);
    ///
    /// let compared = Equalizer::new(vec![rec]).player(player).include_incomplete(true).progress(Progress::Never).run();
    /// assert_eq!(compared.comparisons[0].status, Status::Equal);
    /// ```
    pub fn include_incomplete(mut self, include: bool) -> Self {
        self.studio = self.studio.include_incomplete(include);
        self
    }

    /// Replays each recording in a child process (default: `false`, every replay
    /// runs on a worker thread of this process).
    ///
    /// In-process, a panic is caught, but a replay that calls
    /// `std::process::abort()` or `std::process::exit(..)`, overflows its stack or
    /// blocks forever takes the whole run down with it, or leaves a thread behind.
    /// Isolated, only its child process ends, the recording is `Failed` with what
    /// happened, and every other recording still completes:
    ///
    /// - "the replay aborted the process (signal 6, SIGABRT)"
    /// - "the replay exited the process with code 3"
    /// - "the replay overflowed its stack"
    /// - "the replay did not finish within 5s; its process was killed" (the
    ///   [`Equalizer::timeout`] bounds each child process as a whole: its replay, or
    ///   its `1 + learn_noise` replays, and its comparison; then the child is killed)
    ///
    /// Every child is waited for and every watching thread joined before `run()`
    /// returns, so nothing is left running. Up to [`Equalizer::threads`] children
    /// run at once.
    ///
    /// **How.** There is no extra binary: the child is the current executable
    /// (`std::env::current_exe()`) started again. Called from a test (a libtest
    /// thread, named after its test), it is started with
    /// `<test name> --exact --nocapture --test-threads=1 --include-ignored`, so only
    /// this test runs again; called from the main thread (or an unnamed one), with
    /// the same arguments as this process. Environment variables tell the child which
    /// isolated run (the n-th `run()` or `stream()` with `isolate` on the calling
    /// thread) and which recording to replay, and where to write the result. In the
    /// child, that `run()` call replays that one recording in-process, writes its
    /// comparison and exits the process with 0; the parent reads it, or, without a
    /// result, reports how the child ended.
    ///
    /// **Caveats.** Everything the test (or `main`) does before `run()` runs again
    /// in every child, once per recording:
    ///
    /// - keep it cheap and deterministic, and mind its side effects (files written,
    ///   servers started, messages sent);
    /// - the child must reach the same `run()` with the same recordings: load them
    ///   from a store, or give them fixed ids (a recording built with a fresh id
    ///   cannot be found again: it is `Failed`, saying so);
    /// - call `run()` on the test's own thread or on the main thread; a child that
    ///   never gets there is `Failed`, with its last line of output;
    /// - earlier isolated `run()`s on the same thread do not replay again in a
    ///   child: they return the report the parent got (the parent keeps each
    ///   isolated run's JSON report for this while its thread lives; an earlier
    ///   isolated `stream()` replays again, in-process).
    ///
    /// What a child prints is not shown. **Cost**: one process start per recording,
    /// a few milliseconds (measured in BENCHMARKS.md, "Crash isolation"), plus the
    /// code before `run()`; use it for suites where a crash is possible, not for
    /// every run.
    ///
    /// ```no_run
    /// use playback_compare::{Equalizer, Status};
    /// use playback_store::{DirStore, Query, Store};
    ///
    /// let store = DirStore::new("recordings")?;
    /// let report = Equalizer::new(store.find(&Query::category("checkout"))?)
    ///     .isolate(true)
    ///     .timeout(std::time::Duration::from_secs(5))
    ///     .run();
    /// for c in report.comparisons.iter().filter(|c| c.status == Status::Failed) {
    ///     // for example "the replay aborted the process (signal 6, SIGABRT)"
    ///     println!("{} {}", c.recording_id, c.message.as_deref().unwrap_or(""));
    /// }
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn isolate(mut self, isolate: bool) -> Self {
        self.studio = self.studio.isolate(isolate);
        self
    }

    /// Runs every recording and returns the report, sorted by category and then
    /// recording id.
    ///
    /// ```
    /// let recs = vec![playback_store::Recording::builder("checkout").build()];
    /// let report = playback_compare::Equalizer::new(recs).progress(playback_compare::Progress::Never).run();
    /// let only = &report.comparisons[0];
    /// // the default player is automatic replay, and no operation "checkout" is registered
    /// assert_eq!(only.status, playback_compare::Status::Failed);
    /// assert!(only.message.as_deref().unwrap().contains("checkout"));
    /// ```
    pub fn run(self) -> Report {
        self.studio.defaults(self.tuning).run()
    }

    /// Starts the run and yields each comparison as it completes (in no particular
    /// order; [`Equalizer::run`] sorts). No progress bar is drawn.
    ///
    /// ```
    /// let recs = vec![playback_store::Recording::builder("c").build(); 2];
    /// assert_eq!(playback_compare::Equalizer::new(recs).stream().count(), 2);
    /// ```
    pub fn stream(self) -> Comparisons {
        self.studio.defaults(self.tuning).stream().0
    }
}
