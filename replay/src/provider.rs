//! The replay provider: the [`ReplayHook`] that hands each replay's scope to the layer,
//! and how a replay becomes current (a fresh thread-local dispatcher, or the test's own
//! subscriber carrying [`replay_layer`]).

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};

use parking_lot::Mutex;
use playback_layer::{
    Answer, FilteredPlaybackLayer, OpInfo, PlaybackLayer, ReplayHook, ReplayScope, Site,
};
use tracing::subscriber::DefaultGuard;
use tracing::{Dispatch, Subscriber};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

use crate::session::Session;

/// Where a hook finds the replay it serves.
#[derive(Debug)]
enum Source {
    /// One replay, for the dispatcher made for it.
    Bound(Arc<Session>),
    /// The replay current on this thread or task ([`replay_layer`]).
    Context,
    /// Whatever replay a [`ReplayRuntime`](crate::ReplayRuntime) runs now.
    Slot(Arc<Mutex<Option<Arc<Session>>>>),
}

#[derive(Debug)]
struct Hook(Source);

impl Hook {
    fn session(&self) -> Option<Arc<Session>> {
        match &self.0 {
            Source::Bound(s) => Some(s.clone()),
            Source::Context => current(),
            Source::Slot(slot) => slot.lock().clone(),
        }
    }
}

impl ReplayHook for Hook {
    fn open(&self, op: &OpInfo<'_>) -> Option<Arc<dyn ReplayScope>> {
        self.session()?.open(op)
    }

    fn outside_operation(&self, site: &Site) -> Answer {
        match self.session() {
            Some(session) => session.outside(site),
            None => Answer::Live,
        }
    }
}

static CONTEXT: LazyLock<Arc<dyn ReplayHook>> = LazyLock::new(|| Arc::new(Hook(Source::Context)));

thread_local! {
    static CURRENT: RefCell<Vec<Arc<Session>>> = const { RefCell::new(Vec::new()) };
}

fn current() -> Option<Arc<Session>> {
    CURRENT
        .try_with(|c| c.try_borrow().ok().and_then(|c| c.last().cloned()))
        .ok()
        .flatten()
}

/// Makes a session the current one on this thread while it lives.
pub(crate) struct CurrentGuard;

impl CurrentGuard {
    fn push(session: Arc<Session>) -> CurrentGuard {
        let _ = CURRENT.try_with(|c| c.borrow_mut().push(session));
        CurrentGuard
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.borrow_mut().pop());
    }
}

/// A replay layer to add to the test's own subscriber, so that its other layers (fmt
/// for logs, say) keep seeing the spans during a replay.
///
/// While a subscriber carrying this layer is the default (thread-local or global),
/// [`replay`](crate::replay) and [`replay_async`](crate::replay_async) replay through
/// it instead of installing a dispatcher of their own. The layer serves whichever replay
/// is current on the thread or task that opens the operation, so parallel tests stay
/// apart. Outside a replay it does nothing. Strict mode sees calls outside the operation
/// on the replaying thread or task only; a task spawned without the operation's span is
/// caught on a [`ReplayRuntime`](crate::ReplayRuntime) instead.
///
/// ```
/// use tracing_subscriber::prelude::*;
/// use playback_store::{Interception, Recording};
///
/// let value = serde_json::value::to_raw_value(&42u64).unwrap();
/// let rec = Recording::builder("checkout")
///     .interceptions(vec![Interception::input("price", 1, serde_json::json!(7), value, false)])
///     .build();
/// let subscriber = tracing_subscriber::registry()
///     .with(tracing_subscriber::fmt::layer().with_test_writer())
///     .with(playback_replay::replay_layer());
/// let playback = tracing::subscriber::with_default(subscriber, || {
///     playback_replay::replay(&rec, || {
///         let span = tracing::info_span!("checkout", playback = "operation");
///         let _entered = span.enter();
///         let price: u64 = playback_layer::input("price", &7, || 0);
///         assert_eq!(price, 42);
///     })
/// })?;
/// assert!(playback.unused().is_empty());
/// # Ok::<(), playback_replay::ReplayError>(())
/// ```
pub fn replay_layer<S>() -> FilteredPlaybackLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    PlaybackLayer::replaying(CONTEXT.clone())
}

/// Whether the current default dispatcher carries [`replay_layer`].
fn context_layer_installed() -> bool {
    let target = Arc::as_ptr(&CONTEXT).cast::<()>();
    tracing::dispatcher::get_default(|d| {
        d.downcast_ref::<PlaybackLayer>()
            .and_then(PlaybackLayer::hook)
            .is_some_and(|h| std::ptr::eq(Arc::as_ptr(h).cast::<()>(), target))
    })
}

/// A fresh dispatcher that replays exactly `session`.
fn fresh_dispatch(session: &Arc<Session>) -> Dispatch {
    let hook: Arc<dyn ReplayHook> = Arc::new(Hook(Source::Bound(session.clone())));
    Dispatch::new(tracing_subscriber::registry().with(PlaybackLayer::replaying(hook)))
}

/// A dispatcher for a [`ReplayRuntime`](crate::ReplayRuntime): it replays whatever
/// session `slot` holds.
pub(crate) fn slot_dispatch(slot: Arc<Mutex<Option<Arc<Session>>>>) -> Dispatch {
    let hook: Arc<dyn ReplayHook> = Arc::new(Hook(Source::Slot(slot)));
    Dispatch::new(tracing_subscriber::registry().with(PlaybackLayer::replaying(hook)))
}

/// A replay dispatcher kept per thread for synchronous replays: building a registry
/// costs more than the rest of a small replay (its span slab alone is a 32 KiB
/// allocation, and a new dispatcher re-registers every callsite).
struct Cached {
    dispatch: Dispatch,
    slot: Arc<Mutex<Option<Arc<Session>>>>,
}

thread_local! {
    static CACHE: Cached = {
        let slot: Arc<Mutex<Option<Arc<Session>>>> = Arc::new(Mutex::new(None));
        Cached { dispatch: slot_dispatch(slot.clone()), slot }
    };
}

/// The thread's cached dispatcher, serving `session` until dropped.
pub(crate) struct CachedGuard {
    default: Option<DefaultGuard>,
    slot: Arc<Mutex<Option<Arc<Session>>>>,
}

impl Drop for CachedGuard {
    fn drop(&mut self) {
        drop(self.default.take());
        *self.slot.lock() = None;
    }
}

fn use_cached(session: &Arc<Session>) -> Option<CachedGuard> {
    CACHE
        .try_with(|c| {
            let mut slot = c.slot.lock();
            if slot.is_some() {
                // a replay inside a replay on this thread
                return None;
            }
            *slot = Some(session.clone());
            drop(slot);
            Some(CachedGuard {
                default: Some(tracing::dispatcher::set_default(&c.dispatch)),
                slot: c.slot.clone(),
            })
        })
        .ok()
        .flatten()
}

/// Installs the provider for a synchronous replay on this thread, for as long as it lives.
pub(crate) enum Installed {
    /// The test's subscriber carries [`replay_layer`]: the session is current on this
    /// thread.
    Context {
        /// Popped on drop.
        _guard: CurrentGuard,
    },
    /// A fresh dispatcher is the thread's default.
    /// The thread's cached dispatcher is the default.
    Cached {
        /// Restores the previous default and frees the dispatcher on drop.
        _guard: CachedGuard,
    },
    /// A fresh dispatcher is the thread's default.
    Fresh {
        /// Restores the previous default on drop.
        _guard: DefaultGuard,
    },
}

pub(crate) fn install(session: &Arc<Session>) -> Installed {
    if context_layer_installed() {
        Installed::Context {
            _guard: CurrentGuard::push(session.clone()),
        }
    } else if let Some(guard) = use_cached(session) {
        Installed::Cached { _guard: guard }
    } else {
        Installed::Fresh {
            _guard: tracing::dispatcher::set_default(&fresh_dispatch(session)),
        }
    }
}

/// The dispatcher an async replay attaches to its future, and whether the session must
/// also be made current around each poll (the [`replay_layer`] case).
pub(crate) fn dispatch_for(session: &Arc<Session>) -> (Dispatch, bool) {
    if context_layer_installed() {
        (tracing::dispatcher::get_default(Dispatch::clone), true)
    } else {
        (fresh_dispatch(session), false)
    }
}

/// Drives a future with a panic caught and, optionally, a session current around each
/// poll.
pub(crate) struct Guarded<F> {
    inner: Pin<Box<F>>,
    session: Option<Arc<Session>>,
}

impl<F: Future> Guarded<F> {
    pub(crate) fn new(inner: F, session: Option<Arc<Session>>) -> Self {
        Guarded {
            inner: Box::pin(inner),
            session,
        }
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _current = self.session.clone().map(CurrentGuard::push);
        let inner = self.inner.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(p) => Poll::Ready(Err(p)),
        }
    }
}
