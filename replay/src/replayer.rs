//! [`Replayer`]: the replay settings and entry points, and the free functions that use
//! the default settings.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock};

use playback_layer::{OnMissing, ReplayActivity};
use playback_store::{Recording, StoreError};
use tracing::instrument::WithSubscriber as _;

use crate::error::ReplayError;
use crate::playback::Playback;
use crate::provider::{self, Guarded};
use crate::providers::Providers;
use crate::registry::{self, Claim, Factory, Start};
use crate::session::{Config, Ended, InputOverride, Session};

/// Replay settings, factories for operations that cannot register themselves, and the
/// replay entry points.
///
/// The free functions [`replay`], [`replay_async`], [`replay_recording`] and
/// [`replay_recording_async`] use `Replayer::new()`.
///
/// ```
/// use playback_replay::{OnMissing, Replayer};
/// use playback_store::Recording;
///
/// let rec = Recording::builder("checkout").build(); // nothing was recorded
/// let replayer = Replayer::new().on_missing(OnMissing::Live);
/// let playback = replayer.replay(&rec, || {
///     let span = tracing::info_span!("checkout", playback = "operation");
///     let _entered = span.enter();
///     // not in the recording: runs the real function instead of failing
///     let price: u64 = playback_layer::input("price", &7, || 42);
///     assert_eq!(price, 42);
/// })?;
/// assert_eq!(playback.warnings().len(), 1);
/// # Ok::<(), playback_replay::ReplayError>(())
/// ```
#[derive(Clone, Default)]
pub struct Replayer {
    config: Arc<Config>,
    factories: Arc<HashMap<String, Factory>>,
    claims: Arc<Vec<Claim>>,
    providers: Arc<Providers>,
}

impl std::fmt::Debug for Replayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replayer")
            .field("on_missing", &self.config.on_missing)
            .field("strict", &self.config.strict)
            .field("fail_on_stale_signature", &self.config.fail_on_stale)
            .field("fallbacks", &self.config.fallbacks)
            .field(
                "overrides",
                &self.config.overrides.keys().collect::<Vec<_>>(),
            )
            .field("factories", &self.factories.keys().collect::<Vec<_>>())
            .field("claims", &self.claims)
            .field("providers", &self.providers)
            .finish()
    }
}

static DEFAULT: LazyLock<Replayer> = LazyLock::new(Replayer::new);

impl Replayer {
    /// The default settings: strict, inputs with unrecorded keys fail, stale signatures
    /// are warnings while the recorded value still fits.
    ///
    /// ```
    /// let r = playback_replay::Replayer::new();
    /// assert!(format!("{r:?}").contains("strict: true"));
    /// ```
    pub fn new() -> Self {
        Replayer::default()
    }

    /// What an input does when its key is not in the recording, at call sites that kept
    /// the default (`on_missing = "fail"`); a call site's own `"live"` or `"default"`
    /// wins. Supports [`OnMissing::Fail`] and [`OnMissing::Live`] (run the real
    /// function); [`OnMissing::Default`] needs `T: Default`, which only the call site can
    /// promise, so it acts only where the attribute says `on_missing = "default"`.
    ///
    /// ```
    /// use playback_replay::{OnMissing, Replayer};
    /// let r = Replayer::new().on_missing(OnMissing::Live);
    /// assert!(format!("{r:?}").contains("Live"));
    /// ```
    pub fn on_missing(mut self, policy: OnMissing) -> Self {
        Arc::make_mut(&mut self.config).on_missing = Some(policy);
        self
    }

    /// Strict mode (on by default): an instrumented call made outside the replayed
    /// operation while the replay runs is an error
    /// ([`ReplayError::OutsideOperation`]) instead of a silent live call. Off, it runs
    /// live and is listed in [`Playback::warnings`].
    ///
    /// ```
    /// let r = playback_replay::Replayer::new().strict(false);
    /// assert!(format!("{r:?}").contains("strict: false"));
    /// ```
    pub fn strict(mut self, strict: bool) -> Self {
        Arc::make_mut(&mut self.config).strict = strict;
        self
    }

    /// Fail on any call-site signature change, even when the recorded value still
    /// deserializes. By default such a change is a warning, and an error
    /// ([`ReplayError::StaleSignature`]) only when the value no longer fits or the key
    /// is not found.
    ///
    /// ```
    /// let r = playback_replay::Replayer::new().fail_on_stale_signature(true);
    /// assert!(format!("{r:?}").contains("fail_on_stale_signature: true"));
    /// ```
    pub fn fail_on_stale_signature(mut self, fail: bool) -> Self {
        Arc::make_mut(&mut self.config).fail_on_stale = fail;
        self
    }

    /// Looks for recordings of call site `alias` under `old_alias` too, after a rename
    /// (the same as the attribute's `fallback_aliases`, for call sites that cannot carry
    /// one, such as `playback::input`). Applies to inputs and outputs.
    ///
    /// ```
    /// let r = playback_replay::Replayer::new().fallback_alias("shop::load_cart", "shop::get_cart");
    /// assert!(format!("{r:?}").contains("shop::get_cart"));
    /// ```
    pub fn fallback_alias(
        mut self,
        alias: impl Into<String>,
        old_alias: impl Into<String>,
    ) -> Self {
        Arc::make_mut(&mut self.config)
            .fallbacks
            .entry(alias.into())
            .or_default()
            .push(old_alias.into());
        self
    }

    /// Answers the input call site `alias` with `answer(key)` instead of the recording,
    /// whenever it returns `Some` (`None`: the recording answers, as usual). The key is
    /// the call's arguments as JSON (`null` for `playback::value`). The recorded
    /// interception for that key, if there is one, counts as used. An answer that does
    /// not serialize fails the replay with [`ReplayError::Unserializable`], never falls
    /// back to the recording. This is how a
    /// scenario matrix (`playback::matrix`) feeds a setting to the code under test: a
    /// call site that reads the setting (`playback::value("shop::rounding", ..)`, or an
    /// input with `on_missing = "default"` for recordings made before it existed) gets
    /// the walk's option.
    ///
    /// ```
    /// use playback_store::Recording;
    /// fn checkout() {
    ///     let span = tracing::info_span!("checkout", playback = "operation");
    ///     let _entered = span.enter();
    ///     let total = playback_layer::value("shop::rate_percent", || 100u64) * 10;
    ///     playback_layer::output("mail::send", &total, || true);
    /// }
    /// let raw = |v: serde_json::Value| serde_json::value::to_raw_value(&v).unwrap();
    /// // recorded before the setting existed: no `shop::rate_percent` input at all
    /// let rec = Recording::builder("checkout")
    ///     .interceptions(vec![playback_store::Interception::output("mail::send", 1, raw(1000.into()), raw(true.into()), false)])
    ///     .build();
    /// let replayer = playback_replay::Replayer::new().override_input("shop::rate_percent", |_key| Some(50u64));
    /// let playback = replayer.replay(&rec, checkout)?;
    /// assert_eq!(playback.recorded().outputs()[0].args, serde_json::json!(1000));
    /// assert_eq!(playback.replayed().outputs()[0].args, serde_json::json!(500));
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn override_input<F, V>(mut self, alias: impl Into<String>, answer: F) -> Self
    where
        F: Fn(&serde_json::Value) -> Option<V> + Send + Sync + 'static,
        V: serde::Serialize,
    {
        let answer = move |key: &serde_json::Value| {
            answer(key).map(|v| serde_json::value::to_raw_value(&v).map_err(|e| e.to_string()))
        };
        Arc::make_mut(&mut self.config)
            .overrides
            .insert(alias.into(), InputOverride(Arc::new(answer)));
        self
    }

    /// Registers how [`Replayer::replay_recording`] calls the operations of `category`:
    /// for methods (they need a `self`) and operations with skipped arguments, which
    /// cannot register themselves. The factory reads the arguments it needs with
    /// `rec.arg("name")` and calls the operation; what it returns is ignored (the
    /// replayed result is what the operation reports).
    ///
    /// ```
    /// # use playback_store::Recording;
    /// #[derive(Debug)]
    /// struct Shop { tax: u64 }
    /// impl Shop {
    ///     fn checkout(&self, total: u64) -> u64 {
    ///         let span = tracing::info_span!("checkout", playback = "operation");
    ///         let _entered = span.enter();
    ///         total + self.tax
    ///     }
    /// }
    /// let replayer = playback_replay::Replayer::new().register("checkout", |rec| {
    ///     Ok(Shop { tax: 2 }.checkout(rec.arg("total")?))
    /// });
    /// let rec = Recording::builder("checkout")
    ///     .arg("total", serde_json::value::to_raw_value(&40).unwrap())
    ///     .build();
    /// let playback = replayer.replay_recording(&rec)?;
    /// assert_eq!(playback.category(), "checkout");
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn register<F, R>(mut self, category: impl Into<String>, factory: F) -> Self
    where
        F: Fn(&Recording) -> Result<R, StoreError> + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.factories).insert(category.into(), Factory::sync(factory));
        self
    }

    /// Like [`Replayer::register`], for an async operation: the factory reads the
    /// arguments and returns the operation's future.
    ///
    /// ```
    /// let replayer = playback_replay::Replayer::new().register_async("refund", |rec| {
    ///     let amount: u64 = rec.arg("amount")?;
    ///     Ok(async move { amount })
    /// });
    /// assert!(format!("{replayer:?}").contains("refund"));
    /// ```
    pub fn register_async<F, Fut>(mut self, category: impl Into<String>, factory: F) -> Self
    where
        F: Fn(&Recording) -> Result<Fut, StoreError> + Send + Sync + 'static,
        Fut: Future + 'static,
    {
        Arc::make_mut(&mut self.factories).insert(category.into(), Factory::asynchronous(factory));
        self
    }

    /// Registers an async factory that claims recordings by what they are rather than by
    /// category: `claim` returns `None` for a recording it does not replay, else the
    /// operation's future (or why its arguments cannot be read). Claims are asked in
    /// registration order, after the factories of [`Replayer::register_async`] and before
    /// the operations registered at compile time. `playback::http` and `playback::grpc`
    /// use it to replay a request by sending it through the service.
    ///
    /// ```
    /// let replayer = playback_replay::Replayer::new().register_claim_async("pings", |rec| {
    ///     (rec.category.starts_with("ping ")).then(|| Ok(async {}))
    /// });
    /// assert!(format!("{replayer:?}").contains("pings"));
    /// ```
    pub fn register_claim_async<F, Fut>(mut self, name: impl Into<String>, claim: F) -> Self
    where
        F: Fn(&Recording) -> Option<Result<Fut, StoreError>> + Send + Sync + 'static,
        Fut: Future + 'static,
    {
        Arc::make_mut(&mut self.claims).push(Claim::new(name.into(), claim));
        self
    }

    /// Provides the value of type `T` that replay passes where an operation takes a `T`
    /// by type: a skipped argument (`skip(db)` with `db: &Db` or `Db`), axum's
    /// `State<T>` and `Extension<T>`, and the `self` of a `#[playback::service]` method.
    /// One registration per type serves every operation. Replay never calls into the
    /// value (its inputs and outputs are replayed), so an empty database, a closed
    /// connection or a placeholder is fine.
    ///
    /// ```
    /// #[derive(Debug)]
    /// struct Db { url: String }
    /// let replayer = playback_replay::Replayer::new()
    ///     .provide(|| Db { url: "unused during replay".into() });
    /// assert!(replayer.providers().has::<Db>());
    /// ```
    pub fn provide<T: 'static>(mut self, make: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Arc::make_mut(&mut self.providers).insert(make);
        self
    }

    /// The values registered with [`Replayer::provide`].
    ///
    /// ```
    /// assert!(!playback_replay::Replayer::new().providers().has::<String>());
    /// ```
    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    pub(crate) fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub(crate) fn factories(&self) -> &HashMap<String, Factory> {
        &self.factories
    }

    pub(crate) fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// Replays `rec` while `f` runs on this thread: `f` calls the operation. See
    /// [`replay`].
    ///
    /// ```
    /// # use playback_store::Recording;
    /// let rec = Recording::builder("checkout").build();
    /// let playback = playback_replay::Replayer::new().replay(&rec, || {
    ///     tracing::info_span!("checkout", playback = "operation").in_scope(|| ());
    /// })?;
    /// assert_eq!(playback.recording_id(), rec.id());
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub fn replay<F, R>(&self, rec: &Recording, f: F) -> Result<Playback, ReplayError>
    where
        F: FnOnce() -> R,
    {
        let session = Session::new(rec, self.config.clone());
        let activity = ReplayActivity::start();
        let outcome = {
            let _installed = provider::install(&session);
            std::panic::catch_unwind(AssertUnwindSafe(f))
        };
        drop(activity);
        conclude(&session, rec, outcome.map(drop))
    }

    /// Replays `rec` while `fut` runs: the provider is attached to the future, so it
    /// replays on any runtime flavour, wherever the runtime polls it. See
    /// [`replay_async`].
    ///
    /// ```
    /// # use playback_store::Recording;
    /// use tracing::Instrument as _;
    /// let rec = Recording::builder("checkout").build();
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let playback = rt.block_on(playback_replay::Replayer::new().replay_async(&rec, async {
    ///     async {}.instrument(tracing::info_span!("checkout", playback = "operation")).await
    /// }))?;
    /// assert_eq!(playback.category(), "checkout");
    /// # Ok::<(), playback_replay::ReplayError>(())
    /// ```
    pub async fn replay_async<F>(&self, rec: &Recording, fut: F) -> Result<Playback, ReplayError>
    where
        F: Future,
    {
        let session = Session::new(rec, self.config.clone());
        let (dispatch, context) = provider::dispatch_for(&session);
        let activity = ReplayActivity::start();
        let outcome = Guarded::new(fut, context.then(|| session.clone()))
            .with_subscriber(dispatch)
            .await;
        drop(activity);
        conclude(&session, rec, outcome.map(drop))
    }

    /// Replays `rec` by calling its operation with the recorded arguments: a factory
    /// registered with [`Replayer::register`], or an operation that registered itself.
    /// An async operation runs on a fresh current-thread tokio runtime (inside a
    /// runtime, use [`Replayer::replay_recording_async`]). See [`replay_recording`].
    ///
    /// ```
    /// # use playback_store::Recording;
    /// let rec = Recording::builder("nobody_registered_this").build();
    /// let err = playback_replay::Replayer::new().replay_recording(&rec).unwrap_err();
    /// assert!(matches!(err, playback_replay::ReplayError::OperationNotFound { .. }));
    /// ```
    pub fn replay_recording(&self, rec: &Recording) -> Result<Playback, ReplayError> {
        match registry::start(&self.factories, &self.claims, &self.providers, rec)? {
            Start::Factory(factory) => self.replay_factory(rec, &*factory),
            Start::Thunk(call) => self.replay(rec, call),
            Start::Future(fut) => {
                if tokio::runtime::Handle::try_current().is_ok() {
                    return Err(ReplayError::InsideRuntime {
                        category: rec.category.clone(),
                    });
                }
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|source| ReplayError::Runtime { source })?;
                rt.block_on(self.replay_async(rec, fut))
            }
        }
    }

    fn replay_factory(
        &self,
        rec: &Recording,
        factory: &registry::SyncFactory,
    ) -> Result<Playback, ReplayError> {
        let mut args = None;
        let playback = self.replay(rec, || {
            if let Err(e) = factory(rec) {
                args = Some(e);
            }
        });
        match (args, playback) {
            (Some(source), _) => Err(ReplayError::Args { source }),
            (
                None,
                Err(ReplayError::NoOperation {
                    recording_id,
                    category,
                    seen,
                    panic,
                    ..
                }),
            ) => Err(ReplayError::NoOperation {
                hint: format!(
                    "\nthe factory registered for `{category}` with `register` ran; if the \
                         operation is an async fn, register it with `register_async` instead (a \
                         sync factory only creates the future, it never runs it)"
                ),
                recording_id,
                category,
                seen,
                panic,
            }),
            (None, other) => other,
        }
    }

    /// [`Replayer::replay_recording`] for async tests: awaits the operation on the
    /// current runtime. See [`replay_recording_async`].
    ///
    /// ```
    /// # use playback_store::Recording;
    /// let rec = Recording::builder("nobody_registered_this").build();
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let result = rt.block_on(playback_replay::Replayer::new().replay_recording_async(&rec));
    /// assert!(result.is_err());
    /// ```
    pub async fn replay_recording_async(&self, rec: &Recording) -> Result<Playback, ReplayError> {
        match registry::start(&self.factories, &self.claims, &self.providers, rec)? {
            Start::Factory(factory) => self.replay_factory(rec, &*factory),
            Start::Thunk(call) => self.replay(rec, call),
            Start::Future(fut) => self.replay_async(rec, fut).await,
        }
    }
}

/// Turns the session's end into the replay's result; a panic of the test's own code
/// (after the operation returned) continues.
pub(crate) fn conclude(
    session: &Session,
    rec: &Recording,
    outcome: Result<(), Box<dyn std::any::Any + Send>>,
) -> Result<Playback, ReplayError> {
    let ended = match outcome {
        Ok(()) => Ended::Returned,
        Err(p) => Ended::Panicked(p),
    };
    match session.conclude(rec, ended) {
        Ok(r) => r,
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// Replays `rec` while `f` runs on this thread, and returns what the recording and the
/// replay did.
///
/// `f` calls the operation. The first operation span of the recording's category that
/// opens is replayed: its inputs return their recorded values instead of running, its
/// outputs capture their arguments and return their recorded values, and its result
/// (value, `Err`, or panic) becomes the replayed result. Only a failure of the replay
/// machinery is an `Err`: a key that is not in the recording, a value that no longer
/// deserializes, a call outside the operation (strict mode), no operation at all.
///
/// The provider is a thread-local default dispatcher that exists for this call only,
/// so replays on other threads never see this one. When the test's own subscriber
/// carries [`replay_layer`](crate::replay_layer), the replay goes through it and the
/// test's other layers see the spans.
///
/// A panic of `f` after the operation returned (a failed assertion in the closure) is
/// not the operation's: it continues unwinding.
///
/// ```
/// use playback_store::{Interception, Recording};
///
/// fn checkout(cart_id: u64) -> u64 {
///     let span = tracing::info_span!("checkout", playback = "operation");
///     let _entered = span.enter();
///     let price: u64 = playback_layer::input("db::price", &cart_id, || unreachable!("not run on replay"));
///     playback_layer::output("mail::send", &price, || true);
///     price
/// }
///
/// let raw = |v: serde_json::Value| serde_json::value::to_raw_value(&v).unwrap();
/// let rec = Recording::builder("checkout")
///     .interceptions(vec![
///         Interception::input("db::price", 1, serde_json::json!(7), raw(42.into()), false),
///         Interception::output("mail::send", 1, raw(42.into()), raw(true.into()), false),
///     ])
///     .build();
/// let playback = playback_replay::replay(&rec, || checkout(7))?;
/// assert_eq!(playback.recorded().outputs(), playback.replayed().outputs());
/// assert!(playback.unused().is_empty());
/// # Ok::<(), playback_replay::ReplayError>(())
/// ```
pub fn replay<F, R>(rec: &Recording, f: F) -> Result<Playback, ReplayError>
where
    F: FnOnce() -> R,
{
    DEFAULT.replay(rec, f)
}

/// [`replay`] for async code: the provider stays attached to `fut`, so a multi-thread
/// runtime that moves the task between worker threads still replays.
///
/// Tasks the operation spawns need its span (`.in_current_span()`); on a multi-thread
/// runtime, spans they create themselves are only seen with `.with_current_subscriber()`
/// or on a [`ReplayRuntime`](crate::ReplayRuntime).
///
/// ```
/// use playback_store::{Interception, Recording};
/// use tracing::Instrument as _;
///
/// async fn checkout(cart_id: u64) -> u64 {
///     async move {
///         tokio::task::yield_now().await;
///         playback_layer::input("db::price", &cart_id, || 0u64)
///     }
///     .instrument(tracing::info_span!("checkout", playback = "operation"))
///     .await
/// }
///
/// let value = serde_json::value::to_raw_value(&42u64).unwrap();
/// let rec = Recording::builder("checkout")
///     .interceptions(vec![Interception::input("db::price", 1, serde_json::json!(7), value, false)])
///     .build();
/// let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// let playback = rt.block_on(async {
///     tokio::spawn(async move { playback_replay::replay_async(&rec, checkout(7)).await })
///         .await
///         .unwrap()
/// })?;
/// assert!(playback.unused().is_empty());
/// # Ok::<(), playback_replay::ReplayError>(())
/// ```
pub async fn replay_async<F>(rec: &Recording, fut: F) -> Result<Playback, ReplayError>
where
    F: Future,
{
    DEFAULT.replay_async(rec, fut).await
}

/// Replays `rec` by calling its operation with the recorded arguments.
///
/// `#[playback::instrument(playback = "operation")]` registers each free function
/// whose arguments are all recorded and `DeserializeOwned`; this finds it by the
/// recording's category. Methods and operations with skipped arguments need a factory:
/// [`Replayer::register`].
///
/// ```
/// let rec = playback_store::Recording::builder("nobody_registered_this").build();
/// let err = playback_replay::replay_recording(&rec).unwrap_err();
/// assert!(err.to_string().contains("nobody_registered_this"));
/// ```
pub fn replay_recording(rec: &Recording) -> Result<Playback, ReplayError> {
    DEFAULT.replay_recording(rec)
}

/// [`replay_recording`] for async tests.
///
/// ```
/// let rec = playback_store::Recording::builder("nobody_registered_this").build();
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// assert!(rt.block_on(playback_replay::replay_recording_async(&rec)).is_err());
/// ```
pub async fn replay_recording_async(rec: &Recording) -> Result<Playback, ReplayError> {
    DEFAULT.replay_recording_async(rec).await
}
