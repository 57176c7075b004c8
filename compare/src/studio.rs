//! `Studio`: the Equalizer across many categories, each with its own tuning.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use playback_replay::Playback;
use playback_store::{Query, Recording, RecordingId, Store, days};

use crate::comparator::BoxError;
use crate::progress::Progress;
use crate::report::{Problem, Report};
use crate::run::{Options, RecordingEntry};
use crate::stream::Comparisons;
use crate::tuning::Tuning;

pub(crate) type TunerFn = dyn Fn(&str) -> Result<Tuning, BoxError> + Send + Sync;

/// Where a studio gets its recordings.
pub(crate) enum Source {
    /// A store: every category of the lookup, or the listed ones, or listed ids.
    Store(Arc<dyn Store>),
    /// Recordings given directly, grouped by their category.
    Given(Vec<RecordingEntry>),
}

/// Replays and compares many categories in one run, each with its own [`Tuning`]
/// (playback-studio's `PlaybackStudio` with an `EqualizerTuner`).
///
/// Recordings come from a store (per category, with a lookup query; or a list of ids,
/// grouped by category) or are given directly. Each category's tuning is, in order:
/// the one set with [`Studio::tune`], else what the [`Studio::tuner`] returns for it,
/// else the defaults ([`Studio::defaults`], [`Studio::player`]). A tuner that fails
/// for a category becomes a [`Problem`] for that category, and its recordings are not
/// replayed. All categories share one worker pool and produce one [`Report`].
///
/// ```
/// use playback_compare::{JsonDiff, Progress, Studio, Tuning};
/// use playback_replay::{Playback, Side};
/// use playback_store::{MemoryStore, Recording, Store};
///
/// let store = MemoryStore::new();
/// store.put(&Recording::builder("checkout").build())?;
/// store.put(&Recording::builder("refund").build())?;
/// let echo = |rec: &Recording| {
///     let side = Side::new(serde_json::json!({"Ok": 1}), false, vec![], std::time::Duration::ZERO);
///     Ok::<_, std::io::Error>(Playback::new(rec.id.clone(), rec.category.clone(), side.clone(), side, vec![]))
/// };
/// let report = Studio::new(store)
///     .categories(["checkout", "refund"])
///     .player(echo)
///     .tune("refund", Tuning::new().comparator(JsonDiff::new().ignore("/result")))
///     .progress(Progress::Never)
///     .run();
/// assert_eq!(report.categories().len(), 2);
/// assert_eq!(report.counts().equal, 2);
/// # Ok::<(), playback_store::StoreError>(())
/// ```
pub struct Studio {
    pub(crate) source: Source,
    pub(crate) categories: Vec<String>,
    pub(crate) lookup: Query,
    pub(crate) ids: Option<Vec<RecordingId>>,
    pub(crate) defaults: Tuning,
    pub(crate) tunings: BTreeMap<String, Tuning>,
    pub(crate) tuner: Option<Arc<TunerFn>>,
    pub(crate) options: Options,
}

impl fmt::Debug for Studio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Store(s) => format!("{s:?}"),
            Source::Given(list) => format!("{} recordings", list.len()),
        };
        f.debug_struct("Studio")
            .field("source", &source)
            .field("categories", &self.categories)
            .field("lookup", &self.lookup)
            .field("ids", &self.ids.as_ref().map(Vec::len))
            .field("defaults", &self.defaults)
            .field("tuned", &self.tunings.keys().collect::<Vec<_>>())
            .field("tuner", &self.tuner.is_some())
            .field("options", &self.options)
            .finish()
    }
}

impl Studio {
    /// A studio over a store. Without [`Studio::categories`] it replays every
    /// category the lookup finds.
    ///
    /// ```
    /// let studio = playback_compare::Studio::new(playback_store::MemoryStore::new());
    /// assert!(format!("{studio:?}").contains("MemoryStore"));
    /// ```
    pub fn new<S: Store>(store: S) -> Self {
        Studio::with_source(Source::Store(Arc::new(store)))
    }

    /// A studio over recordings given directly (or `store.find(..)?` results),
    /// grouped by their category. An entry that could not be read is an `Error`
    /// reported under the one category the readable recordings share (else
    /// `"(unknown)"`), as with [`crate::Equalizer::new`].
    ///
    /// ```
    /// let recs = vec![playback_store::Recording::builder("a").build(), playback_store::Recording::builder("b").build()];
    /// let report = playback_compare::Studio::from_recordings(recs).progress(playback_compare::Progress::Never).run();
    /// assert_eq!(report.categories().len(), 2);
    /// ```
    pub fn from_recordings<I>(recordings: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<RecordingEntry>,
    {
        Studio::with_source(Source::Given(
            recordings.into_iter().map(Into::into).collect(),
        ))
    }

    /// How many recordings were given directly (0 for a store).
    pub(crate) fn given(&self) -> usize {
        match &self.source {
            Source::Given(list) => list.len(),
            Source::Store(_) => 0,
        }
    }

    fn with_source(source: Source) -> Self {
        Studio {
            source,
            categories: Vec::new(),
            lookup: Query::all().since(days(7)).limit(500),
            ids: None,
            defaults: Tuning::new(),
            tunings: BTreeMap::new(),
            tuner: None,
            options: Options::default(),
        }
    }

    /// The categories to replay, each looked up with the lookup query.
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).categories(["checkout"]);
    /// assert!(format!("{s:?}").contains("[\"checkout\"]"));
    /// ```
    pub fn categories<I, C>(mut self, categories: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<String>,
    {
        self.categories = categories.into_iter().map(Into::into).collect();
        self
    }

    /// The lookup query (date range, metadata, outcome, limit), applied per category.
    /// Default: the last 7 days, at most 500 recordings per category (playback-studio
    /// looked up 7 days and 20 recordings).
    ///
    /// ```
    /// use playback_store::{Query, days};
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).lookup(Query::all().since(days(1)).limit(50));
    /// assert!(format!("{s:?}").contains("limit: Some(50)"));
    /// ```
    pub fn lookup(mut self, query: Query) -> Self {
        self.lookup = query;
        self
    }

    /// Replays exactly these recordings, loaded from the store and grouped by their
    /// category; the categories and the lookup are then not used. An id that cannot
    /// be loaded is an `Error` with the store's error.
    ///
    /// ```
    /// let id = playback_store::RecordingId::generate();
    /// let report = playback_compare::Studio::new(playback_store::MemoryStore::new())
    ///     .recording_ids([id.clone()])
    ///     .progress(playback_compare::Progress::Never)
    ///     .run();
    /// assert_eq!(report.get(&id).unwrap().status, playback_compare::Status::Error);
    /// ```
    pub fn recording_ids<I: IntoIterator<Item = RecordingId>>(mut self, ids: I) -> Self {
        self.ids = Some(ids.into_iter().collect());
        self
    }

    /// The default player, for categories whose tuning sets none.
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new())
    ///     .player(|_| Err::<playback_replay::Playback, _>("no"));
    /// assert!(format!("{s:?}").contains("player: true"));
    /// ```
    pub fn player<F, E>(mut self, player: F) -> Self
    where
        F: Fn(&Recording) -> Result<Playback, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.defaults = self.defaults.player(player);
        self
    }

    /// The default player replays with this [`Replayer`](playback_replay::Replayer)'s
    /// automatic replay: its provided values, factories and settings.
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new())
    ///     .replayer(playback_replay::Replayer::new());
    /// assert!(format!("{s:?}").contains("player: true"));
    /// ```
    pub fn replayer(self, replayer: playback_replay::Replayer) -> Self {
        self.player(move |rec| replayer.replay_recording(rec))
    }

    /// The defaults for every category: what a category's own tuning leaves unset.
    ///
    /// ```
    /// use playback_compare::{JsonDiff, Studio, Tuning};
    /// let s = Studio::new(playback_store::MemoryStore::new()).defaults(Tuning::new().comparator(JsonDiff::new()));
    /// assert!(format!("{s:?}").contains("comparator: true"));
    /// ```
    pub fn defaults(mut self, tuning: Tuning) -> Self {
        self.defaults = tuning.over(&self.defaults);
        self
    }

    /// The tuning of one category.
    ///
    /// ```
    /// use playback_compare::{JsonDiff, Studio, Tuning};
    /// let s = Studio::new(playback_store::MemoryStore::new()).tune("refund", Tuning::new().comparator(JsonDiff::new()));
    /// assert!(format!("{s:?}").contains("tuned: [\"refund\"]"));
    /// ```
    pub fn tune(mut self, category: impl Into<String>, tuning: Tuning) -> Self {
        self.tunings.insert(category.into(), tuning);
        self
    }

    /// A factory of tunings, called once per category that has no [`Studio::tune`]
    /// (playback-studio's `EqualizerTuner.create_category_tuning`). An `Err` or a
    /// panic is a [`Problem`] for that category.
    ///
    /// ```
    /// use playback_compare::{JsonDiff, Studio, Tuning};
    /// let s = Studio::new(playback_store::MemoryStore::new()).tuner(|category| match category {
    ///     "checkout" => Ok(Tuning::new().comparator(JsonDiff::new().ignore("/result/Ok/id"))),
    ///     other => Err(format!("no tuning for {other}")),
    /// });
    /// assert!(format!("{s:?}").contains("tuner: true"));
    /// ```
    pub fn tuner<F, E>(mut self, tuner: F) -> Self
    where
        F: Fn(&str) -> Result<Tuning, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.tuner = Some(Arc::new(move |c: &str| tuner(c).map_err(Into::into)));
        self
    }

    /// See [`crate::Equalizer::learn_noise`].
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).learn_noise(3);
    /// assert!(format!("{s:?}").contains("noise_runs: 3"));
    /// ```
    pub fn learn_noise(mut self, runs: usize) -> Self {
        self.options.noise_runs = runs;
        self
    }

    /// See [`crate::Equalizer::threads`].
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).threads(2);
    /// assert!(format!("{s:?}").contains("threads: Some(2)"));
    /// ```
    pub fn threads(mut self, threads: usize) -> Self {
        self.options.threads = Some(threads);
        self
    }

    /// See [`crate::Equalizer::timeout`].
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).timeout(std::time::Duration::from_secs(9));
    /// assert!(format!("{s:?}").contains("timeout: Some(9s)"));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// See [`crate::Equalizer::no_timeout`].
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).no_timeout();
    /// assert!(format!("{s:?}").contains("timeout: None"));
    /// ```
    pub fn no_timeout(mut self) -> Self {
        self.options.timeout = None;
        self
    }

    /// See [`crate::Equalizer::shard`].
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).shard(1, 2);
    /// assert!(format!("{s:?}").contains("shard: Some((1, 2))"));
    /// ```
    pub fn shard(mut self, index: u32, total: u32) -> Self {
        self.options.shard = Some((index, total));
        self
    }

    /// See [`crate::Equalizer::progress`].
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).progress(playback_compare::Progress::Never);
    /// assert!(format!("{s:?}").contains("Never"));
    /// ```
    pub fn progress(mut self, progress: Progress) -> Self {
        self.options.progress = progress;
        self
    }

    /// See [`crate::Equalizer::keep_results`].
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).keep_results(true);
    /// assert!(format!("{s:?}").contains("keep_results: true"));
    /// ```
    pub fn keep_results(mut self, keep: bool) -> Self {
        self.options.keep_results = keep;
        self
    }

    /// See [`crate::Equalizer::include_incomplete`].
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).include_incomplete(true);
    /// assert!(format!("{s:?}").contains("include_incomplete: true"));
    /// ```
    pub fn include_incomplete(mut self, include: bool) -> Self {
        self.options.include_incomplete = include;
        self
    }

    /// Replays each recording in a child process, so that an abort, an exit, a
    /// stack overflow or a stuck replay is `Failed` for its recording only; see
    /// [`crate::Equalizer::isolate`] for how, the cost and the caveats.
    ///
    /// ```
    /// let s = playback_compare::Studio::new(playback_store::MemoryStore::new()).isolate(true);
    /// assert!(format!("{s:?}").contains("isolate: true"));
    /// ```
    pub fn isolate(mut self, isolate: bool) -> Self {
        self.options.isolate = isolate;
        self
    }

    /// Runs every category and returns one report.
    ///
    /// ```
    /// let report = playback_compare::Studio::new(playback_store::MemoryStore::new()).progress(playback_compare::Progress::Never).run();
    /// assert_eq!(report.counts().total, 0);
    /// ```
    pub fn run(self) -> Report {
        let options = self.options.clone();
        let (jobs, problems) = self.into_jobs();
        options.run(jobs, problems)
    }

    /// Starts the run and yields each comparison as it completes, with the problems
    /// found before replaying (lookups, tuners, shard).
    ///
    /// ```
    /// let recs = vec![playback_store::Recording::builder("a").build()];
    /// let (stream, problems) = playback_compare::Studio::from_recordings(recs).stream();
    /// assert!(problems.is_empty());
    /// assert_eq!(stream.count(), 1);
    /// ```
    pub fn stream(self) -> (Comparisons, Vec<Problem>) {
        let options = self.options.clone();
        let (jobs, problems) = self.into_jobs();
        let prepared = options.start(jobs, problems);
        (prepared.stream, prepared.problems)
    }
}
