//! The layer's own per-layer filter, which also makes the sampling decision, and the
//! note it leaves for the operation call that follows on the same thread.

use std::cell::Cell;
use std::sync::Arc;

use tracing_core::subscriber::Interest;
use tracing_core::{Metadata, field::FieldSet};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Filter};

use crate::context;
use crate::sampling::Decision;
use crate::writer::Shared;

/// The field that marks an operation span: `playback = "operation"`.
pub(crate) const MARKER: &str = "playback";
/// The field that names an operation's category at run time.
pub(crate) const CATEGORY: &str = "playback.category";

/// The layer's own filter: it enables operation spans, and the spans created inside an
/// operation, and nothing else, so other layers' filters never hide operations from
/// it and it never sees events (payloads never travel as events).
///
/// It also makes the sampling decision: a sampled-out operation is never enabled for
/// the layer, so it costs no more than its plain tracing span.
///
/// ```
/// use tracing_subscriber::prelude::*;
/// let (layer, _guard) = playback_layer::PlaybackLayer::builder()
///     .store(playback_store::MemoryStore::new())
///     .build::<tracing_subscriber::Registry>()?;
/// let _filter: &playback_layer::PlaybackFilter = layer.filter();
/// # Ok::<(), playback_layer::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PlaybackFilter {
    /// Recording layers sample; replaying layers take every operation.
    pub(crate) sampler: Option<Arc<Shared>>,
}

/// What this thread last learnt about an operation span, for the operation call that
/// runs right after its span is made (the body of an `#[playback::instrument]` fn runs
/// on the thread that made its span, in the same poll for an `async fn`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Mark {
    /// The filter was not asked (a filter before it hid the span), or nothing is known.
    #[default]
    Unknown,
    /// The filter decided; the layer has not seen the span yet. `meta` is 0 when the
    /// decision was made before the span existed ([`crate::sample_operation`]): it is
    /// for the next operation span named `name` made on this thread.
    Decided {
        meta: usize,
        name: &'static str,
        decision: Decision,
    },
    /// The layer saw the span (and captured it, or decided not to).
    Seen { name: &'static str },
}

thread_local! {
    static MARK: Cell<Mark> = const { Cell::new(Mark::Unknown) };
}

fn meta_key(meta: &Metadata<'_>) -> usize {
    std::ptr::from_ref(meta) as usize
}

fn set_mark(mark: Mark) {
    let _ = MARK.try_with(|m| m.set(mark));
}

/// A decision made before its span exists, for the next operation span named `name`
/// made on this thread ([`crate::sample_operation`]).
pub(crate) fn predecide(name: &'static str, decision: Decision) {
    set_mark(Mark::Decided {
        meta: 0,
        name,
        decision,
    });
}

/// Forgets a decision made before its span if no span took it (the span was not made,
/// or a filter hid it from the layer and nothing asked).
pub(crate) fn clear_predecided() {
    let _ = MARK.try_with(|m| {
        if let Mark::Decided { meta: 0, .. } = m.get() {
            m.set(Mark::Unknown);
        }
    });
}

/// Whether this thread holds a decision made before its span for a span named `name`.
fn is_predecided(name: &str) -> bool {
    matches!(
        MARK.try_with(Cell::get),
        Ok(Mark::Decided { meta: 0, name: n, .. }) if n == name
    )
}

/// The layer sees a marked span: the decision the filter made for it, if any.
pub(crate) fn seen(meta: &Metadata<'_>) -> Option<Decision> {
    let seen = Mark::Seen { name: meta.name() };
    let mark = MARK.try_with(|m| m.replace(seen)).ok()?;
    match mark {
        Mark::Decided {
            meta: key,
            decision,
            ..
        } if key == meta_key(meta) => Some(decision),
        Mark::Decided {
            meta: 0,
            name,
            decision,
        } if name == meta.name() => Some(decision),
        _ => None,
    }
}

/// For an operation call that found no scope: what the filter and the layer learnt of
/// its span (`name` is the span name the call expects). Resets the note.
pub(crate) fn take_mark(name: &str) -> Mark {
    let mark = MARK.try_with(Cell::take).unwrap_or_default();
    match mark {
        Mark::Decided { name: n, .. } | Mark::Seen { name: n } if n != name => Mark::Unknown,
        other => other,
    }
}

/// Whether the span's callsite carries the operation marker field.
pub(crate) fn is_marked(meta: &Metadata<'_>) -> bool {
    has_field(meta.fields(), MARKER)
}

fn has_field(fields: &FieldSet, name: &str) -> bool {
    fields.field(name).is_some()
}

impl<S> Filter<S> for PlaybackFilter {
    #[inline]
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        if !meta.is_span() {
            return false;
        }
        if context::is_active() {
            // inside a captured operation: everything belongs to it
            return true;
        }
        if !is_marked(meta) {
            return false;
        }
        let Some(shared) = &self.sampler else {
            return true;
        };
        if has_field(meta.fields(), CATEGORY) {
            // the category is a field value, which only `on_new_span` can read, unless
            // the code making the span asked first (`sample_operation`)
            if !is_predecided(meta.name()) {
                set_mark(Mark::Unknown);
            }
            return true;
        }
        let decision = shared.config.decide(meta.name());
        set_mark(Mark::Decided {
            meta: meta_key(meta),
            name: meta.name(),
            decision,
        });
        match decision {
            Decision::In { .. } => true,
            Decision::Out => {
                shared.stats.sampled_out.inc();
                false
            }
            Decision::Skip => false,
        }
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if !meta.is_span() {
            Interest::never()
        } else if is_marked(meta) && self.sampler.is_none() {
            Interest::always()
        } else {
            Interest::sometimes()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }
}
