//! [`ReplayRuntime`]: a tokio multi-thread runtime whose every thread replays.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use parking_lot::Mutex;
use playback_layer::ReplayActivity;
use playback_store::Recording;
use tracing::Dispatch;
use tracing::instrument::WithSubscriber as _;
use tracing::subscriber::DefaultGuard;

use crate::error::ReplayError;
use crate::playback::Playback;
use crate::provider;
use crate::registry::{self, Start};
use crate::replayer::{Replayer, conclude};
use crate::session::Session;

thread_local! {
    /// The replay dispatcher of the runtime this worker thread belongs to.
    static WORKER: RefCell<Option<DefaultGuard>> = const { RefCell::new(None) };
}

/// A tokio multi-thread runtime for replay tests: each of its threads has the replay
/// provider as its default dispatcher, so tasks that the operation spawns with a bare
/// `tokio::spawn` are seen by the replay without `.with_current_subscriber()`. A task
/// that also lost the operation's span (no `.in_current_span()`) was not recorded in
/// production either; on this runtime its instrumented calls fail clearly
/// ([`ReplayError::OutsideOperation`]) instead of running live.
///
/// It runs one replay at a time; build one per test, or share one between the
/// replays of a test.
///
/// ```
/// use playback_replay::ReplayRuntime;
/// use playback_store::{Interception, Recording};
/// use tracing::Instrument as _;
///
/// let value = serde_json::value::to_raw_value(&42u64).unwrap();
/// let rec = Recording::builder("checkout")
///     .interceptions(vec![Interception::input("db::price", 1, serde_json::json!(7), value, false)])
///     .build();
/// let rt = ReplayRuntime::builder().worker_threads(2).build()?;
/// let playback = rt.replay(&rec, async {
///     async {
///         // a task spawned with the operation's span, but no subscriber
///         tokio::spawn(async { playback_layer::input("db::price", &7, || 0u64) }.in_current_span())
///             .await
///             .unwrap()
///     }
///     .instrument(tracing::info_span!("checkout", playback = "operation"))
///     .await
/// })?;
/// assert!(playback.unused().is_empty());
/// # Ok::<(), playback_replay::ReplayError>(())
/// ```
#[derive(Debug)]
pub struct ReplayRuntime {
    runtime: tokio::runtime::Runtime,
    slot: Arc<Mutex<Option<Arc<Session>>>>,
    dispatch: Dispatch,
    replayer: Replayer,
    one_at_a_time: Mutex<()>,
}

/// Configures a [`ReplayRuntime`].
///
/// ```
/// let rt = playback_replay::ReplayRuntime::builder()
///     .worker_threads(1)
///     .replayer(playback_replay::Replayer::new().strict(true))
///     .build()?;
/// assert_eq!(rt.handle().metrics().num_workers(), 1);
/// # Ok::<(), playback_replay::ReplayError>(())
/// ```
#[derive(Debug, Default)]
pub struct ReplayRuntimeBuilder {
    worker_threads: Option<usize>,
    replayer: Replayer,
}

impl ReplayRuntimeBuilder {
    /// The number of worker threads (default: tokio's, one per core).
    ///
    /// ```
    /// let b = playback_replay::ReplayRuntime::builder().worker_threads(2);
    /// assert!(format!("{b:?}").contains("Some(2)"));
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n.max(1));
        self
    }

    /// The replay settings and factories to use.
    ///
    /// ```
    /// let b = playback_replay::ReplayRuntime::builder()
    ///     .replayer(playback_replay::Replayer::new().strict(false));
    /// assert!(format!("{b:?}").contains("strict: false"));
    /// ```
    pub fn replayer(mut self, replayer: Replayer) -> Self {
        self.replayer = replayer;
        self
    }

    /// Starts the runtime's threads.
    ///
    /// ```
    /// let rt = playback_replay::ReplayRuntime::builder().build()?;
    /// assert!(rt.handle().metrics().num_workers() >= 1);
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn build(self) -> Result<ReplayRuntime, ReplayError> {
        let slot: Arc<Mutex<Option<Arc<Session>>>> = Arc::new(Mutex::new(None));
        let dispatch = provider::slot_dispatch(slot.clone());
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.enable_all();
        if let Some(n) = self.worker_threads {
            builder.worker_threads(n);
        }
        let on_start = dispatch.clone();
        builder
            .on_thread_start(move || {
                let guard = tracing::dispatcher::set_default(&on_start);
                let _ = WORKER.try_with(|w| *w.borrow_mut() = Some(guard));
            })
            .on_thread_stop(|| {
                let _ = WORKER.try_with(|w| w.borrow_mut().take());
            });
        let runtime = builder
            .build()
            .map_err(|source| ReplayError::Runtime { source })?;
        Ok(ReplayRuntime {
            runtime,
            slot,
            dispatch,
            replayer: self.replayer,
            one_at_a_time: Mutex::new(()),
        })
    }
}

impl ReplayRuntime {
    /// A runtime with the default settings.
    ///
    /// ```
    /// let rt = playback_replay::ReplayRuntime::new()?;
    /// assert!(rt.handle().metrics().num_workers() >= 1);
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn new() -> Result<ReplayRuntime, ReplayError> {
        Self::builder().build()
    }

    /// Configures a runtime.
    ///
    /// ```
    /// let rt = playback_replay::ReplayRuntime::builder().worker_threads(1).build()?;
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn builder() -> ReplayRuntimeBuilder {
        ReplayRuntimeBuilder::default()
    }

    /// The runtime's handle.
    ///
    /// ```
    /// let rt = playback_replay::ReplayRuntime::builder().worker_threads(1).build()?;
    /// assert_eq!(rt.handle().block_on(async { 1 + 1 }), 2);
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.runtime.handle()
    }

    /// Replays `rec` while `fut` runs on this runtime (blocking the calling thread, which
    /// must not be one of a runtime's). See [`replay_async`](crate::replay_async).
    ///
    /// ```
    /// # use playback_store::Recording;
    /// use tracing::Instrument as _;
    /// let rec = Recording::builder("op").build();
    /// let rt = playback_replay::ReplayRuntime::builder().worker_threads(1).build()?;
    /// // the span is made inside the replayed future, where the replay is current
    /// let playback = rt.replay(&rec, async {
    ///     async {}.instrument(tracing::info_span!("op", playback = "operation")).await
    /// })?;
    /// assert_eq!(playback.category(), "op");
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn replay<F: Future>(&self, rec: &Recording, fut: F) -> Result<Playback, ReplayError> {
        let _one = self.one_at_a_time.lock();
        let session = Session::new(rec, self.replayer.config().clone());
        *self.slot.lock() = Some(session.clone());
        let activity = ReplayActivity::start();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.runtime
                .block_on(fut.with_subscriber(self.dispatch.clone()))
        }));
        drop(activity);
        *self.slot.lock() = None;
        conclude(&session, rec, outcome.map(drop))
    }

    /// Replays `rec` by calling its registered operation with the recorded arguments, on
    /// this runtime. See [`replay_recording`](crate::replay_recording).
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("nobody_registered_this").build();
    /// let rt = playback_replay::ReplayRuntime::builder().worker_threads(1).build()?;
    /// assert!(rt.replay_recording(&rec).is_err());
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn replay_recording(&self, rec: &Recording) -> Result<Playback, ReplayError> {
        match registry::start(
            self.replayer.factories(),
            self.replayer.claims(),
            self.replayer.providers(),
            rec,
        )? {
            Start::Factory(factory) => {
                let mut args = None;
                let playback = self.replay(rec, async {
                    if let Err(e) = factory(rec) {
                        args = Some(e);
                    }
                });
                match args {
                    Some(source) => Err(ReplayError::Args { source }),
                    None => playback,
                }
            }
            Start::Thunk(call) => self.replay(rec, async move { call() }),
            Start::Future(fut) => self.replay(rec, fut),
        }
    }
}
