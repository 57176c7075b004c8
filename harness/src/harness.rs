//! [`Harness`]: the settings of a recordings test target.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::Arguments;
use playback_compare::{BoxError, Comparator, Tuning};
use playback_replay::{Playback, Replayer};
use playback_store::{Query, Recording, Store};

use crate::error::Error;
use crate::outcome::RunOutcome;
use crate::source::Source;
use crate::update::Update;

/// A replay function, as `Equalizer::player` takes it.
pub(crate) type PlayerFn = dyn Fn(&Recording) -> Result<Playback, BoxError> + Send + Sync;

/// The metadata key a recording's test name is read from by default.
///
/// ```
/// assert_eq!(playback_harness::DEFAULT_NAME_KEY, "test_name");
/// ```
pub const DEFAULT_NAME_KEY: &str = "test_name";

/// A test target whose tests are recordings: each recording is one libtest test,
/// replayed and compared as the Equalizer does.
///
/// ```no_run
/// // tests/recordings.rs, a `[[test]]` target with `harness = false`
/// use playback_harness::Harness;
///
/// fn main() {
///     playback_harness::run(Harness::new().dir("tests/recordings").replayer(playback_replay::Replayer::new()))
/// }
/// ```
///
/// In a test, [`Harness::run_with_args`] runs in-process and says which tests failed:
///
/// ```
/// use playback_harness::{Arguments, Harness};
/// let dir = tempfile::tempdir()?;
/// let outcome = Harness::new().dir(dir.path()).run_with_args(&Arguments::from_iter(["recordings", "--quiet"]));
/// assert_eq!(outcome.conclusion.num_passed, 0);
/// assert!(outcome.failed().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Harness {
    pub(crate) source: Option<Source>,
    pub(crate) query: Query,
    pub(crate) tuning: Tuning,
    pub(crate) player: Option<Arc<PlayerFn>>,
    pub(crate) comparator: Option<Arc<dyn Comparator>>,
    pub(crate) noise_runs: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) include_incomplete: bool,
    pub(crate) name_key: String,
    pub(crate) update: Option<Update>,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("source", &self.source)
            .field("query", &self.query)
            .field("tuning", &self.tuning)
            .field("player", &self.player.is_some())
            .field("comparator", &self.comparator.is_some())
            .field("noise_runs", &self.noise_runs)
            .field("timeout", &self.timeout)
            .field("include_incomplete", &self.include_incomplete)
            .field("name_key", &self.name_key)
            .field("update", &self.update)
            .finish()
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness {
            source: None,
            query: Query::all(),
            tuning: Tuning::new(),
            player: None,
            comparator: None,
            noise_runs: 0,
            timeout: None,
            include_incomplete: false,
            name_key: DEFAULT_NAME_KEY.to_owned(),
            update: None,
        }
    }
}

impl Harness {
    /// A harness with no recordings yet: give it [`Harness::dir`] or
    /// [`Harness::store`]. It replays with automatic replay and compares with
    /// `JsonDiff::new()`, as the Equalizer does.
    ///
    /// ```
    /// let h = playback_harness::Harness::new();
    /// assert!(format!("{h:?}").contains("source: None"));
    /// ```
    pub fn new() -> Self {
        Harness::default()
    }

    /// Takes the recordings from a directory laid out as `DirStore` writes it
    /// (`<category>/<YYYY-MM-DD>/<id>.json`), usually fixtures committed with the
    /// tests. A relative path starts at the package root, where `cargo test` and
    /// `cargo nextest` run test binaries. Only these recordings are updated by
    /// [`Update::New`] and [`Update::Always`].
    ///
    /// ```
    /// let h = playback_harness::Harness::new().dir("tests/recordings");
    /// assert!(format!("{h:?}").contains("tests/recordings"));
    /// ```
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.source = Some(Source::Dir(dir.into()));
        self
    }

    /// Takes the recordings from any store (S3 included), listing them with the
    /// [`Harness::query`] and fetching each one the first time a test needs it into a
    /// local `DirStore` cache ([`Harness::cache_dir`], by default
    /// `target/playback/cache`). A cached recording is never fetched again, and a test
    /// run by name (`--exact <category>::<short id>`, as nextest runs each test) whose
    /// recording is cached runs without listing the store.
    ///
    /// Offline: when the store cannot be listed, the harness lists the cache with the
    /// same query instead (saying so on stderr), so the recordings fetched before still
    /// run; with an empty cache the run fails with the store's error.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let store = Arc::new(playback_store::MemoryStore::new());
    /// let h = playback_harness::Harness::new().store(store).cache_dir("target/playback/cache");
    /// assert!(format!("{h:?}").contains("target/playback/cache"));
    /// ```
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        let cache = match self.source.take() {
            Some(Source::Store { cache, .. }) => cache,
            _ => None,
        };
        self.source = Some(Source::Store { store, cache });
        self
    }

    /// Where recordings fetched from a [`Harness::store`] are cached (default
    /// `target/playback/cache`, relative to the package root). Without a store it does
    /// nothing.
    ///
    /// ```
    /// let h = playback_harness::Harness::new()
    ///     .store(std::sync::Arc::new(playback_store::MemoryStore::new()))
    ///     .cache_dir("/tmp/cache");
    /// assert!(format!("{h:?}").contains("/tmp/cache"));
    /// ```
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        if let Some(Source::Store { cache, .. }) = &mut self.source {
            *cache = Some(dir.into());
        }
        self
    }

    /// Only the recordings this query matches become tests (default: all).
    ///
    /// ```
    /// let h = playback_harness::Harness::new().query(playback_store::Query::category("quote"));
    /// assert!(format!("{h:?}").contains("quote"));
    /// ```
    pub fn query(mut self, query: Query) -> Self {
        self.query = query;
        self
    }

    /// Replays with this [`Replayer`]'s automatic replay (its provided values,
    /// factories and settings), as `Equalizer::replayer` does.
    ///
    /// ```
    /// let h = playback_harness::Harness::new().replayer(playback_replay::Replayer::new());
    /// assert!(format!("{h:?}").contains("player: true"));
    /// ```
    pub fn replayer(self, replayer: Replayer) -> Self {
        self.player(move |rec| replayer.replay_recording(rec))
    }

    /// Replays with a custom player, as `Equalizer::player` does. An `Err` or a
    /// panic fails the test with the error.
    ///
    /// ```
    /// let h = playback_harness::Harness::new()
    ///     .player(|_rec| Err::<playback_replay::Playback, _>("not today"));
    /// assert!(format!("{h:?}").contains("player: true"));
    /// ```
    pub fn player<F, E>(mut self, player: F) -> Self
    where
        F: Fn(&Recording) -> Result<Playback, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.player = Some(Arc::new(move |rec: &Recording| {
            player(rec).map_err(Into::into)
        }));
        self
    }

    /// Sets the comparator, for example a `JsonDiff` with noise rules
    /// (`.ignore("/result/Ok/placed_at")`, a float tolerance).
    ///
    /// ```
    /// let h = playback_harness::Harness::new()
    ///     .comparator(playback_compare::JsonDiff::new().ignore("/outputs/*/args/trace_id"));
    /// assert!(format!("{h:?}").contains("comparator: true"));
    /// ```
    pub fn comparator<C: Comparator>(mut self, comparator: C) -> Self {
        self.comparator = Some(Arc::new(comparator));
        self
    }

    /// Sets the player, extractor, comparator and comparison data at once, as
    /// `Studio` takes them per category. A player or comparator set with
    /// [`Harness::replayer`], [`Harness::player`] or [`Harness::comparator`] wins over
    /// the tuning's, whatever the order of the calls.
    ///
    /// ```
    /// use playback_compare::{JsonDiff, Tuning};
    /// let h = playback_harness::Harness::new().tuning(Tuning::new().comparator(JsonDiff::new()));
    /// assert!(format!("{h:?}").contains("tuning: Tuning { player: false, extractor: false, comparator: true"));
    /// ```
    pub fn tuning(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning;
        self
    }

    /// Learns noise as `Equalizer::learn_noise` does: each recording is replayed
    /// `runs` more times, and paths that differ between those replays do not fail.
    ///
    /// ```
    /// let h = playback_harness::Harness::new().learn_noise(2);
    /// assert!(format!("{h:?}").contains("noise_runs: 2"));
    /// ```
    pub fn learn_noise(mut self, runs: usize) -> Self {
        self.noise_runs = runs;
        self
    }

    /// The timeout of each replay (default: the Equalizer's, 60 s).
    ///
    /// ```
    /// let h = playback_harness::Harness::new().timeout(std::time::Duration::from_secs(5));
    /// assert!(format!("{h:?}").contains("5s"));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether incomplete recordings (their operation was cancelled while recording)
    /// are ordinary tests (default `false`).
    ///
    /// By default each one is an *ignored* test, as `#[ignore]` makes one: `cargo test`
    /// lists it and reports it `ignored`, and `cargo test -- --ignored` (or
    /// `--include-ignored`) replays it, comparing only what was recorded (see
    /// `Equalizer::include_incomplete`). With `true` it runs with the others.
    ///
    /// ```
    /// let h = playback_harness::Harness::new().include_incomplete(true);
    /// assert!(format!("{h:?}").contains("include_incomplete: true"));
    /// ```
    pub fn include_incomplete(mut self, include: bool) -> Self {
        self.include_incomplete = include;
        self
    }

    /// The metadata key a recording's test name comes from (default
    /// [`DEFAULT_NAME_KEY`], `test_name`): a recording whose metadata holds a string
    /// there is named `<category>::<that string>`, others `<category>::<short id>`.
    ///
    /// ```
    /// let h = playback_harness::Harness::new().name_key("scenario");
    /// assert!(format!("{h:?}").contains("scenario"));
    /// ```
    pub fn name_key(mut self, key: impl Into<String>) -> Self {
        self.name_key = key.into();
        self
    }

    /// What to do with recordings that differ (default: read from `PLAYBACK_UPDATE`,
    /// see [`Update`]). Set here, it wins over the environment.
    ///
    /// ```
    /// let h = playback_harness::Harness::new().update(playback_harness::Update::New);
    /// assert!(format!("{h:?}").contains("Some(New)"));
    /// ```
    pub fn update(mut self, update: Update) -> Self {
        self.update = Some(update);
        self
    }

    /// The test names, in the order `--list` prints them, without loading any
    /// recording.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// assert!(playback_harness::Harness::new().dir(dir.path()).test_names()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn test_names(&self) -> Result<Vec<String>, Error> {
        Ok(crate::trials::plan(self)?
            .into_iter()
            .map(|t| t.name)
            .collect())
    }

    /// Runs the tests that `args` select, printing as libtest does, and returns the
    /// conclusion with the outcome of each test that ran.
    ///
    /// ```
    /// use playback_harness::{Arguments, Harness};
    /// let outcome = Harness::new().run_with_args(&Arguments::from_iter(["recordings", "--quiet"]));
    /// // no source: one failing test says what to do
    /// assert_eq!(outcome.failed(), ["playback::setup"]);
    /// ```
    pub fn run_with_args(self, args: &Arguments) -> RunOutcome {
        crate::trials::run(self, args)
    }
}
