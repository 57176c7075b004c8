//! Layer tests through plain operation spans and the function API. Every test installs
//! its own subscriber with `with_default`/`set_default`.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use playback_store::{
    InterceptionKind, MemoryStore, Outcome, Query, Recording, RecordingId, Store, StoreError,
    Summary,
};
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::prelude::*;

use crate::{PlaybackGuard, PlaybackLayer, PlaybackLayerBuilder, input, output};

fn recordings(store: &MemoryStore) -> Vec<Recording> {
    let mut all: Vec<Recording> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all
}

fn with_layer<R>(builder: PlaybackLayerBuilder, f: impl FnOnce() -> R) -> (R, PlaybackGuard) {
    let (layer, guard) = builder.build().unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let r = tracing::subscriber::with_default(subscriber, f);
    (r, guard)
}

fn flush(guard: &PlaybackGuard) {
    assert!(guard.flush(Duration::from_secs(10)), "flush timed out");
}

#[test]
fn records_a_sync_operation_with_inputs_and_outputs() {
    let store = MemoryStore::new();
    let (_, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        let span = tracing::info_span!("checkout", playback = "operation", tenant = "acme");
        let _e = span.enter();
        let price: u64 = input("db::price", &7u64, || 42);
        let ok: bool = output("mail::send", &("a@b", price), || true);
        assert!(ok);
    });
    flush(&guard);
    let recs = recordings(&store);
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(rec.category, "checkout");
    assert_eq!(rec.outcome, Outcome::Ok);
    assert_eq!(rec.metadata["tenant"], "acme");
    assert_eq!(rec.interceptions.len(), 2);
    let i = &rec.interceptions[0];
    assert_eq!(
        (i.kind, i.alias.as_str(), i.invocation),
        (InterceptionKind::Input, "db::price", 1)
    );
    assert_eq!(i.key, Some(serde_json::json!(7)));
    assert_eq!(i.value_json(), serde_json::json!(42));
    let o = &rec.interceptions[1];
    assert_eq!(o.kind, InterceptionKind::Output);
    assert_eq!(o.args_value(), serde_json::json!(["a@b", 42]));
    assert!(o.site.contains("tests.rs:"), "{}", o.site);
    assert_eq!(guard.stats().snapshot().recorded, 1);
}

#[test]
fn function_api_marks_an_err_result_as_an_error() {
    let store = MemoryStore::new();
    let (_, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        let span = tracing::info_span!("op", playback = "operation");
        let _e = span.enter();
        let _: Result<u8, String> = input("ok", &1, || Ok(1));
        let _: Result<u8, String> = input("bad", &2, || Err("no".to_owned()));
    });
    flush(&guard);
    let rec = &recordings(&store)[0];
    let flags: Vec<_> = rec
        .interceptions
        .iter()
        .map(|i| (i.alias.as_str(), i.error))
        .collect();
    assert_eq!(flags, vec![("ok", false), ("bad", true)]);
}

#[test]
fn nothing_is_recorded_outside_an_operation() {
    let store = MemoryStore::new();
    let (v, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        let span = tracing::info_span!("not_an_operation");
        let _e = span.enter();
        input("db::price", &1, || 5u32)
    });
    assert_eq!(v, 5);
    flush(&guard);
    assert!(store.is_empty());
}

#[test]
fn repeated_identical_inputs_are_kept_in_call_order() {
    let store = MemoryStore::new();
    let (_, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        let span = tracing::info_span!("poll", playback = "operation");
        let _e = span.enter();
        for i in 0..3u32 {
            let _: u32 = input("queue::pop", &"jobs", || i * 10);
        }
    });
    flush(&guard);
    let rec = &recordings(&store)[0];
    let values: Vec<_> = rec
        .interceptions
        .iter()
        .map(|i| (i.invocation, i.value_json()))
        .collect();
    assert_eq!(
        values,
        vec![
            (1, serde_json::json!(0)),
            (2, serde_json::json!(10)),
            (3, serde_json::json!(20))
        ]
    );
}

#[test]
fn nested_interceptions_are_not_recorded_twice() {
    let store = MemoryStore::new();
    let (_, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        let span = tracing::info_span!("op", playback = "operation");
        let _e = span.enter();
        let v: u32 = input("outer", &1, || {
            // a nested intercepted call, both directly and inside a child span
            let a: u32 = input("inner", &2, || 2);
            let child = tracing::info_span!("child");
            let b: u32 = child.in_scope(|| input("inner_in_span", &3, || 3));
            a + b
        });
        assert_eq!(v, 5);
        let _: u32 = input("after", &4, || 4);
    });
    flush(&guard);
    let rec = &recordings(&store)[0];
    let aliases: Vec<_> = rec.interceptions.iter().map(|i| i.alias.as_str()).collect();
    assert_eq!(aliases, vec!["outer", "after"]);
}

#[test]
fn a_nested_operation_is_part_of_the_outer_recording() {
    let store = MemoryStore::new();
    let (_, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        let outer = tracing::info_span!("outer", playback = "operation");
        let _e = outer.enter();
        let _: u8 = input("a", &(), || 1);
        let inner = tracing::info_span!("inner", playback = "operation");
        inner.in_scope(|| {
            let _: u8 = input("b", &(), || 2);
        });
    });
    flush(&guard);
    let recs = recordings(&store);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].category, "outer");
    assert_eq!(recs[0].interceptions.len(), 2);
}

#[test]
fn sampling_keeps_about_the_configured_share() {
    let store = MemoryStore::new();
    let builder = PlaybackLayer::builder()
        .store(store.clone())
        .sample_rate("checkout", 0.1)
        .queue_capacity(20_000);
    let (_, guard) = with_layer(builder, || {
        for i in 0..10_000u32 {
            let span = tracing::info_span!("checkout", playback = "operation");
            let _e = span.enter();
            let _: u32 = input("x", &i, || i);
        }
    });
    flush(&guard);
    let s = guard.stats().snapshot();
    let kept = store.len() as f64;
    assert!((850.0..=1150.0).contains(&kept), "kept {kept} of 10000");
    assert_eq!(s.recorded + s.sampled_out, 10_000);
    assert_eq!(s.dropped, 0);
}

#[test]
fn a_sampled_out_operation_captures_nothing() {
    let store = MemoryStore::new();
    let builder = PlaybackLayer::builder()
        .store(store.clone())
        .sample_rate("c", 0.0);
    let (_, guard) = with_layer(builder, || {
        let span = tracing::info_span!("c", playback = "operation");
        let _e = span.enter();
        // not even entered as a scope: the thread-local fast path says "outside"
        assert!(!crate::context::is_active());
        let _: u8 = input("x", &(), || 1);
    });
    flush(&guard);
    assert!(store.is_empty());
    assert_eq!(guard.stats().snapshot().sampled_out, 1);
}

#[test]
fn keep_errors_keeps_every_failure_and_the_sampled_successes() {
    let store = MemoryStore::new();
    let builder = PlaybackLayer::builder()
        .store(store.clone())
        .sample_rate("pay", 0.0)
        .keep_errors("pay");
    let (_, guard) = with_layer(builder, || {
        for i in 0..100u32 {
            let span = tracing::info_span!("pay", playback = "operation", i);
            let _e = span.enter();
            let r: Result<u32, String> = input("bank::charge", &i, || {
                if i % 10 == 0 {
                    Err("declined".into())
                } else {
                    Ok(i)
                }
            });
            // what the macro does with an operation's result
            if let Some(op) = crate::__private::OpCall::begin(&crate::Site::EXAMPLE) {
                op.finish(&r, r.is_err());
            }
        }
    });
    flush(&guard);
    let recs = recordings(&store);
    assert_eq!(recs.len(), 10);
    assert!(recs.iter().all(|r| r.outcome == Outcome::Error));
    assert_eq!(guard.stats().snapshot().sampled_out, 90);
}

#[test]
fn force_sample_and_discard_override_the_sampling_decision() {
    let store = MemoryStore::new();
    let builder = PlaybackLayer::builder()
        .store(store.clone())
        .sample_rate("a", 0.0)
        .keep_errors("a");
    let (_, guard) = with_layer(builder, || {
        tracing::info_span!("a", playback = "operation", n = 1).in_scope(crate::force_sample);
        tracing::info_span!("a", playback = "operation", n = 2).in_scope(|| {});
        tracing::info_span!("b", playback = "operation", n = 3).in_scope(crate::discard);
    });
    flush(&guard);
    let recs = recordings(&store);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].metadata["n"], 1);
    let s = guard.stats().snapshot();
    assert_eq!((s.sampled_out, s.discarded), (1, 1));
}

#[test]
fn skip_never_records_a_category() {
    let store = MemoryStore::new();
    let builder = PlaybackLayer::builder().store(store.clone()).skip("health");
    let (_, guard) = with_layer(builder, || {
        tracing::info_span!("health", playback = "operation").in_scope(|| {
            let _: u8 = input("x", &(), || 1);
        });
    });
    flush(&guard);
    assert!(store.is_empty());
}

#[test]
fn metadata_includes_span_fields_recorded_later_and_explicit_metadata() {
    let store = MemoryStore::new();
    let (_, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        let span = tracing::info_span!("op", playback = "operation", user = tracing::field::Empty);
        let _e = span.enter();
        span.record("user", "u-17");
        crate::metadata("plan", serde_json::json!({"tier": "gold"}));
    });
    flush(&guard);
    let rec = &recordings(&store)[0];
    assert_eq!(rec.metadata["user"], "u-17");
    assert_eq!(rec.metadata["plan"]["tier"], "gold");
    assert!(!rec.metadata.contains_key("playback"));
}

#[test]
fn an_oversize_recording_is_dropped_and_counted() {
    let store = MemoryStore::new();
    let builder = PlaybackLayer::builder()
        .store(store.clone())
        .max_recording_size(1000);
    let (_, guard) = with_layer(builder, || {
        let span = tracing::info_span!("big", playback = "operation");
        let _e = span.enter();
        for _ in 0..10 {
            let _: String = input("blob", &(), || "x".repeat(300));
        }
        // after crossing the limit the operation captures nothing more
        assert!(crate::__private::Call::begin(&crate::Site::EXAMPLE).is_none());
    });
    flush(&guard);
    assert!(store.is_empty());
    assert_eq!(guard.stats().snapshot().oversize, 1);
}

struct Unserializable;
impl serde::Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("user Serialize impl panicked")
    }
}

#[test]
fn a_panicking_serialize_impl_never_reaches_the_host() {
    let store = MemoryStore::new();
    let (v, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        let span = tracing::info_span!("op", playback = "operation");
        let _e = span.enter();
        let v: u8 = input("k", &(), || 1);
        output("bad", &Unserializable, || ());
        v
    });
    assert_eq!(v, 1);
    flush(&guard);
    // the recording is kept; the output is marked unrecordable, with a placeholder
    let recs = store.find(&Query::all()).unwrap();
    assert_eq!(recs.len(), 1);
    let rec = recs.into_iter().next().unwrap().unwrap();
    let bad = &rec.interceptions[1];
    assert_eq!(bad.alias, "bad");
    let reason = bad.unrecordable.as_deref().unwrap();
    assert!(reason.contains("user Serialize impl panicked"), "{reason}");
    let placeholder = bad.args_value();
    let shown = playback_store::unrecordable_reason(&placeholder).unwrap();
    assert!(shown.contains("user Serialize impl panicked"), "{shown}");
    let stats = guard.stats().snapshot();
    assert_eq!((stats.failed, stats.unrecordable), (0, 1));
    assert_eq!(stats.unrecordable_aliases, vec![("bad", 1)]);
}

#[test]
fn an_envfilter_denying_everything_on_fmt_does_not_stop_recording() {
    use tracing_subscriber::EnvFilter;
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::sink)
        .with_filter(EnvFilter::new("off"));
    let subscriber = tracing_subscriber::registry().with(fmt).with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("op", playback = "operation");
        let _e = span.enter();
        let _: u8 = input("k", &(), || 1);
    });
    flush(&guard);
    assert_eq!(recordings(&store).len(), 1);
    assert_eq!(recordings(&store)[0].interceptions.len(), 1);
}

#[test]
fn payloads_never_reach_other_layers() {
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<String>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(buf).into_owned());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let out = Captured::default();
    let writer = out.clone();
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(move || writer.clone())
        .with_filter(tracing_subscriber::filter::LevelFilter::TRACE);
    let subscriber = tracing_subscriber::registry().with(fmt).with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("op", playback = "operation");
        let _e = span.enter();
        let _: String = input("secret", &(), || "token-for-7".to_owned());
        tracing::info!("done");
    });
    flush(&guard);
    let logged = out.0.lock().unwrap().join("");
    assert!(logged.contains("done"), "fmt still logs: {logged}");
    assert!(!logged.contains("token-for-7"), "payload leaked: {logged}");
    assert_eq!(
        recordings(&store)[0].interceptions[0].value_json(),
        "token-for-7"
    );
}

/// A store whose `put` waits until the test lets it go (one `send` per `put`).
#[derive(Debug)]
pub(crate) struct BlockingStore {
    pub(crate) inner: MemoryStore,
    pub(crate) gate: Mutex<mpsc::Receiver<()>>,
}
impl Store for BlockingStore {
    fn put(&self, rec: &Recording) -> Result<(), StoreError> {
        let _ = self.gate.lock().unwrap().recv();
        self.inner.put(rec)
    }
    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        self.inner.get(id)
    }
    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        self.inner.delete(id)
    }
    fn list(&self, q: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        self.inner.list(q)
    }
}

#[test]
fn a_full_queue_drops_and_counts_without_blocking_the_caller() {
    let (open_gate, gate) = mpsc::channel();
    let inner = MemoryStore::new();
    let store = BlockingStore {
        inner: inner.clone(),
        gate: Mutex::new(gate),
    };
    let builder = PlaybackLayer::builder().store(store).queue_capacity(2);
    let (_, guard) = with_layer(builder, || {
        for i in 0..10u32 {
            let span = tracing::info_span!("op", playback = "operation");
            let _e = span.enter();
            let _: u32 = input("x", &i, || i);
        }
    });
    // All ten operations returned while the store was blocked: the caller never waited.
    let s = guard.stats().snapshot();
    // The writer's batch holds what it drained before the store blocked (usually one or
    // two; a few more if it was preempted mid-drain while the caller went on), the queue
    // two; the rest were dropped and counted.
    assert!(s.dropped >= 3, "dropped {}", s.dropped);
    for _ in 0..10 {
        let _ = open_gate.send(());
    }
    flush(&guard);
    let s = guard.stats().snapshot();
    assert_eq!(s.recorded + s.dropped, 10);
    assert_eq!(inner.len() as u64, s.recorded);
}

#[test]
fn a_plain_span_operation_that_is_cancelled_is_still_ok_but_a_macro_one_is_incomplete() {
    let store = MemoryStore::new();
    let (_, guard) = with_layer(PlaybackLayer::builder().store(store.clone()), || {
        tracing::info_span!("plain", playback = "operation").in_scope(|| {});
        tracing::info_span!("fn_op", playback = "operation").in_scope(|| {
            // what the macro does at the start of an operation function
            let _op = crate::__private::OpCall::begin(&crate::Site::EXAMPLE);
            // ...and the function never finishes (its future was dropped)
        });
    });
    flush(&guard);
    let recs = recordings(&store);
    let outcome = |c: &str| recs.iter().find(|r| r.category == c).unwrap().outcome;
    assert_eq!(outcome("plain"), Outcome::Ok);
    assert_eq!(outcome("fn_op"), Outcome::Incomplete);
}

#[test]
fn concurrent_async_operations_each_get_exactly_their_own_interceptions() {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .queue_capacity(4096)
        .build()
        .unwrap();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for n in 0..1000u64 {
            let fut = async move {
                let span = tracing::info_span!("req", playback = "operation", n);
                async move {
                    let a: u64 = input("load", &n, || n * 2);
                    tokio::task::yield_now().await;
                    // work propagated to a child task keeps the operation
                    let b = tokio::spawn(
                        async move {
                            tokio::task::yield_now().await;
                            input("child", &n, || n + 1)
                        }
                        .in_current_span()
                        .with_current_subscriber(),
                    )
                    .await
                    .unwrap();
                    tokio::task::yield_now().await;
                    output("save", &(n, a, b), || ());
                }
                .instrument(span)
                .await
            };
            tasks.push(tokio::spawn(fut.with_subscriber(dispatch.clone())));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    flush(&guard);
    let recs = recordings(&store);
    assert_eq!(recs.len(), 1000);
    for rec in &recs {
        let n = rec.metadata["n"].as_u64().unwrap();
        let got: Vec<_> = rec
            .interceptions
            .iter()
            .map(|i| (i.alias.clone(), i.key.clone().unwrap_or(i.args_value())))
            .collect();
        assert_eq!(
            got,
            vec![
                ("load".to_owned(), serde_json::json!(n)),
                ("child".to_owned(), serde_json::json!(n)),
                ("save".to_owned(), serde_json::json!([n, n * 2, n + 1])),
            ],
            "recording of operation {n}"
        );
    }
}
