//! Asking the sampler before an operation's span exists: for tower layers (playback's
//! HTTP and gRPC `RecordLayer`s) that would otherwise format a category, build a span
//! and wrap bodies for a request sampling then leaves out.

use crate::context;
use crate::filter;
use crate::sampling::Decision;

/// What sampling says about an operation that is about to start, asked before its span
/// is made ([`sample_operation`]).
///
/// When [`is_captured`](Sampled::is_captured) is false, making the span would capture
/// nothing: skip the span and every piece of recording work. Otherwise make the span
/// inside [`make_span`](Sampled::make_span), so the layer applies this decision to it
/// instead of deciding again (each operation is decided, and counted, once).
///
/// ```
/// use tracing_subscriber::prelude::*;
/// let (layer, guard) = playback_layer::PlaybackLayer::builder()
///     .store(playback_store::MemoryStore::new())
///     .sample_rate("GET health", 0.0)
///     .build()?;
/// tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
///     let sampled = playback_layer::sample_operation("request", || "GET health");
///     assert!(!sampled.is_captured());
///     let sampled = playback_layer::sample_operation("request", || "GET carts");
///     assert!(sampled.is_captured());
///     let span = sampled.make_span(|| {
///         tracing::info_span!("request", playback = "operation", playback.category = "GET carts")
///     });
///     span.in_scope(|| {
///         assert!(playback_layer::current_recording_id().is_some());
///     });
/// });
/// assert_eq!(guard.stats().snapshot().sampled_out, 1);
/// # Ok::<(), playback_layer::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a sampled-in operation's span must be made through `make_span`"]
pub struct Sampled(State);

#[derive(Debug, Clone, Copy)]
enum State {
    /// No playback layer in the current dispatcher: nothing would capture the span.
    NoLayer,
    /// A replaying layer, or an operation is already running on this call chain (the
    /// new span is part of it): the span decides as usual.
    Undecided,
    /// The recording layer's sampling decision, for the span named `name`.
    Decided {
        name: &'static str,
        decision: Decision,
    },
}

/// Asks the current dispatcher's recording layer whether an operation span named
/// `span_name` with the category `category()` would be captured, before the span is made.
///
/// This is the decision the layer itself makes when such a span is created: the
/// category's `sample_rate` (or the default rate), `keep_errors` and `skip`. A
/// sampled-out decision is counted in `stats().sampled_out` here, once. `category` is
/// only called when the layer has per-category rules, so with none the category is
/// never formatted.
///
/// The answer says "captured" without deciding when a replaying layer is installed or
/// when an operation is already running here (the new span is then part of it), and
/// "not captured" when no playback layer is installed.
///
/// ```
/// // no subscriber: nothing would be captured
/// let sampled = playback_layer::sample_operation("request", || "GET carts");
/// assert!(!sampled.is_captured());
/// ```
#[inline]
pub fn sample_operation<C: AsRef<str>>(
    span_name: &'static str,
    category: impl FnOnce() -> C,
) -> Sampled {
    let mut category = Some(category);
    tracing::dispatcher::get_default(|dispatch| {
        let Some(layer) = dispatch.downcast_ref::<crate::PlaybackLayer>() else {
            return Sampled(State::NoLayer);
        };
        let Some(shared) = layer.recorder() else {
            return Sampled(State::Undecided);
        };
        if context::is_active() {
            return Sampled(State::Undecided);
        }
        let decision = match category.take() {
            Some(category) => shared.config.decide_lazy(category),
            None => return Sampled(State::Undecided),
        };
        if decision == Decision::Out {
            shared.stats.sampled_out.inc();
        }
        Sampled(State::Decided {
            name: span_name,
            decision,
        })
    })
}

impl Sampled {
    /// Whether the operation's span would be captured (recorded, or replayed). False
    /// when sampling left it out, its category is skipped, or no playback layer is
    /// installed: then make no span and do no recording work.
    ///
    /// ```
    /// assert!(!playback_layer::sample_operation("request", || "x").is_captured());
    /// ```
    #[inline]
    pub fn is_captured(&self) -> bool {
        match self.0 {
            State::NoLayer => false,
            State::Undecided => true,
            State::Decided { decision, .. } => matches!(decision, Decision::In { .. }),
        }
    }

    /// Makes the operation's span with `make` (on this thread, right away); the layer
    /// takes this decision for it rather than deciding again. A decision no span took
    /// is forgotten when `make` returns.
    ///
    /// ```
    /// let sampled = playback_layer::sample_operation("request", || "GET carts");
    /// let span = sampled.make_span(|| tracing::info_span!("request", playback = "operation"));
    /// assert!(span.is_disabled()); // no subscriber here
    /// ```
    #[inline]
    pub fn make_span<R>(self, make: impl FnOnce() -> R) -> R {
        let State::Decided { name, decision } = self.0 else {
            return make();
        };
        filter::predecide(name, decision);
        let made = make();
        filter::clear_predecided();
        made
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use playback_store::{MemoryStore, Query, Store};
    use tracing_subscriber::prelude::*;

    use super::sample_operation;
    use crate::PlaybackLayer;

    fn span(category: &str) -> tracing::Span {
        tracing::info_span!("request", playback = "operation", playback.category = %category)
    }

    #[test]
    fn the_decision_asked_first_is_the_one_the_span_gets() {
        let store = MemoryStore::new();
        let (layer, guard) = PlaybackLayer::builder()
            .store(store.clone())
            .sample_rate("GET a", 0.5)
            .queue_capacity(4096)
            .build()
            .unwrap();
        let mut captured = 0;
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            for i in 0..1000u32 {
                let sampled = sample_operation("request", || "GET a");
                if !sampled.is_captured() {
                    continue;
                }
                captured += 1;
                // were the span decided again, about half of these would be left out
                sampled.make_span(|| span("GET a")).in_scope(|| {
                    assert!(crate::current_recording_id().is_some(), "request {i}");
                    let _: u32 = crate::input("x", &i, || i);
                });
            }
        });
        assert!(guard.flush(Duration::from_secs(10)));
        let s = guard.stats().snapshot();
        assert_eq!((s.recorded, s.sampled_out), (captured, 1000 - captured));
        assert!((350..=650).contains(&captured), "{captured}");
        assert_eq!(
            store.find(&Query::category("GET a")).unwrap().len() as u64,
            captured
        );
    }

    #[test]
    fn the_category_is_only_made_when_a_rule_needs_it() {
        let (layer, _guard) = PlaybackLayer::builder()
            .store(MemoryStore::new())
            .build()
            .unwrap();
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            let sampled = sample_operation("request", || -> &str { panic!("made") });
            assert!(sampled.is_captured());
        });
    }

    #[test]
    fn inside_an_operation_the_new_span_is_part_of_it_and_nothing_is_counted() {
        let store = MemoryStore::new();
        let (layer, guard) = PlaybackLayer::builder()
            .store(store.clone())
            .sample_rate("GET inner", 0.0)
            .build()
            .unwrap();
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            span("outer").in_scope(|| {
                let sampled = sample_operation("request", || "GET inner");
                assert!(sampled.is_captured());
                sampled.make_span(|| span("GET inner")).in_scope(|| {
                    let _: u8 = crate::input("x", &(), || 1);
                });
            });
        });
        assert!(guard.flush(Duration::from_secs(10)));
        let s = guard.stats().snapshot();
        assert_eq!((s.recorded, s.sampled_out), (1, 0));
        let recs = store.find(&Query::category("outer")).unwrap();
        assert_eq!(recs[0].as_ref().unwrap().interceptions.len(), 1);
    }

    #[test]
    fn a_decision_no_span_took_is_forgotten() {
        let (layer, guard) = PlaybackLayer::builder()
            .store(MemoryStore::new())
            .sample_rate("GET b", 0.0)
            .build()
            .unwrap();
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            // captured, but the span is never made
            sample_operation("request", || "GET a").make_span(|| ());
            // the next span named "request" decides for itself
            span("GET b").in_scope(|| assert!(crate::current_recording_id().is_none()));
        });
        assert_eq!(guard.stats().snapshot().sampled_out, 1);
    }
}
