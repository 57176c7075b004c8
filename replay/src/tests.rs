//! Replay tests through the layer's runtime, as `#[playback::instrument]` expands (the
//! macro itself is tested end to end in the facade's `tests/e2e/replay.rs`). Every
//! recording is made by the real recording layer into a `MemoryStore`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use playback_layer::__private::{Call, OpCall, Replayed, run_call, run_op};
use playback_layer::{Kind, OnMissing, PlaybackLayer, Site, input, output};
use playback_store::{MemoryStore, Query, Recording, Store};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tracing::Instrument as _;
use tracing_subscriber::prelude::*;

use crate::{ReplayError, ReplayRuntime, Replayer, replay, replay_async, replay_layer};

const fn site(kind: Kind, alias: &'static str, signature: &'static str) -> Site {
    Site {
        kind,
        alias,
        category: "",
        fallback_aliases: &[],
        on_missing: OnMissing::Fail,
        fail_on_missing: true,
        signature,
        file: "replay/src/tests.rs",
        line: 1,
    }
}

/// `Default::default()` for the test's return types (for `Result`, `Ok` of the default,
/// as a call site with `on_missing = "default"` returning `Result<T: Default, E>` would).
trait Fallback {
    fn fallback() -> Self;
}
macro_rules! fallback_default {
    ($($t:ty),*) => { $(impl Fallback for $t { fn fallback() -> Self { <$t>::default() } })* };
}
fallback_default!(u8, u32, u64, i128, bool, String);
impl<T: Default, E> Fallback for Result<T, E> {
    fn fallback() -> Self {
        Ok(T::default())
    }
}

/// What the macro generates for an input or output with one argument `arg`.
fn intercepted<A, T>(site: &'static Site, arg: &A, body: impl FnOnce() -> T) -> T
where
    A: Serialize,
    T: Serialize + DeserializeOwned + Fallback,
{
    let mut call = Call::begin(site);
    if let Some(c) = &mut call {
        c.arg("arg", arg);
        match c.replay::<T>() {
            Replayed::Value(v) => return v,
            Replayed::Default => return T::fallback(),
            Replayed::Live => {}
        }
    }
    let ret = run_call(&mut call, body);
    if let Some(c) = call {
        let is_err = serde_json::to_value(&ret)
            .is_ok_and(|v| v.as_object().is_some_and(|m| m.contains_key("Err")));
        c.finish(&ret, is_err);
    }
    ret
}

/// What the macro generates for an operation `category(arg)`.
fn operation<A: Serialize, T: Serialize>(
    op_site: &'static Site,
    category: &'static str,
    arg: &A,
    body: impl FnOnce() -> T,
) -> T {
    let span = tracing::info_span!("op", playback = "operation", playback.category = category);
    let _entered = span.enter();
    let mut op = OpCall::begin(op_site);
    if let Some(o) = &mut op {
        o.arg("arg", arg);
    }
    match run_op(&op, body) {
        Ok(ret) => {
            if let Some(o) = op {
                let is_err = serde_json::to_value(&ret)
                    .is_ok_and(|v| v.as_object().is_some_and(|m| m.contains_key("Err")));
                o.finish(&ret, is_err);
            }
            ret
        }
        Err(p) => {
            if let Some(o) = op {
                o.panicked(&*p);
            }
            std::panic::resume_unwind(p)
        }
    }
}

static OP: Site = site(
    Kind::Operation,
    "shop::checkout",
    "fn checkout(arg: u64) -> u64",
);
static PRICE: Site = site(
    Kind::Input,
    "shop::price",
    "fn price(arg: u64) -> Result<u64, String>",
);
static SEND: Site = site(
    Kind::Output,
    "shop::send",
    "fn send(arg: (u64, u64)) -> bool",
);

/// The code under test: `live` stands for the database's current content.
fn checkout(cart: u64, live: u64) -> Result<u64, String> {
    operation(&OP, "checkout", &cart, || {
        let a = intercepted(&PRICE, &cart, || Ok::<u64, String>(live))?;
        let b = intercepted(&PRICE, &(cart + 1), || Ok::<u64, String>(live + 1))?;
        let sent: bool = intercepted(&SEND, &(cart, a), || true);
        let sent2: bool = intercepted(&SEND, &(cart, b), || true);
        Ok(a + b + u64::from(sent) + u64::from(sent2))
    })
}

fn record<R>(f: impl FnOnce() -> R) -> Recording {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    });
    assert!(guard.flush(Duration::from_secs(10)));
    let mut all = store.find(&Query::all()).unwrap();
    assert_eq!(all.len(), 1, "expected one recording");
    all.remove(0).unwrap()
}

#[test]
fn inputs_replay_recorded_values_and_outputs_capture_args_without_running() {
    let rec = record(|| checkout(7, 100));
    let runs = AtomicUsize::new(0);
    let playback = replay(&rec, || {
        // the live source changed: 500 instead of 100
        let r = checkout(7, 500);
        runs.fetch_add(1, Ordering::Relaxed);
        r
    })
    .unwrap();
    assert_eq!(runs.load(Ordering::Relaxed), 1);
    assert_eq!(playback.replayed().result(), &json!({"Ok": 203}));
    assert_eq!(playback.recorded(), playback.replayed());
    let args: Vec<_> = playback
        .replayed()
        .outputs()
        .iter()
        .map(|o| (o.invocation, o.args.value().clone()))
        .collect();
    assert_eq!(
        args,
        vec![(1, json!({"arg": [7, 100]})), (2, json!({"arg": [7, 101]}))]
    );
    assert!(playback.unused().is_empty());
    assert!(playback.warnings().is_empty());
}

#[test]
fn outputs_are_not_executed_on_replay() {
    static EFFECT: Site = site(Kind::Output, "effect", "fn effect(arg: u8) -> u8");
    let rec = record(|| operation(&OP, "checkout", &1, || intercepted(&EFFECT, &1u8, || 9u8)));
    let ran = AtomicUsize::new(0);
    let playback = replay(&rec, || {
        operation(&OP, "checkout", &1, || {
            intercepted(&EFFECT, &1u8, || {
                ran.fetch_add(1, Ordering::Relaxed);
                0u8
            })
        })
    })
    .unwrap();
    assert_eq!(ran.load(Ordering::Relaxed), 0);
    assert_eq!(playback.replayed().result(), &json!(9));
}

#[test]
fn an_operation_error_is_its_result_and_the_replay_succeeds() {
    static FAILING: Site = site(
        Kind::Input,
        "failing",
        "fn failing(arg: u8) -> Result<u8, String>",
    );
    let rec = record(|| {
        operation(&OP, "checkout", &1, || {
            intercepted(&FAILING, &1u8, || Err::<u8, String>("db down".into()))
        })
    });
    let playback = replay(&rec, || {
        operation(&OP, "checkout", &1, || {
            // the recorded Err comes back, although the source now works
            intercepted(&FAILING, &1u8, || Ok::<u8, String>(1))
        })
    })
    .unwrap();
    assert_eq!(playback.replayed().result(), &json!({"Err": "db down"}));
    assert!(playback.replayed().is_error());
    assert_eq!(playback.recorded(), playback.replayed());
}

#[test]
fn a_panic_of_the_operation_is_its_replayed_result() {
    let rec = record(|| checkout(7, 100));
    let playback = replay(&rec, || {
        operation(&OP, "checkout", &7, || -> u64 { panic!("new bug") })
    })
    .unwrap();
    assert_eq!(playback.replayed().result(), &json!({"panic": "new bug"}));
    assert!(playback.replayed().is_error());
    assert_eq!(playback.unused().len(), 4);
}

#[test]
fn changed_input_args_give_a_mismatch_naming_alias_key_nearest_recording_and_site() {
    let rec = record(|| checkout(7, 100));
    let err = replay(&rec, || checkout(20, 100)).unwrap_err();
    let ReplayError::InputMismatch {
        alias,
        tried_key,
        nearest,
        recording_id,
        site,
    } = &err
    else {
        panic!("unexpected {err}")
    };
    assert_eq!(*alias, "shop::price");
    assert_eq!(tried_key, r#"{"arg":20}"#);
    assert!(nearest.contains("  -   \"arg\": 7"), "{nearest}");
    assert!(nearest.contains("  -   \"arg\": 8"), "{nearest}");
    assert!(nearest.contains("  +   \"arg\": 20"), "{nearest}");
    assert_eq!(recording_id, &rec.id.to_string());
    assert_eq!(site, "replay/src/tests.rs:1");
    let message = err.to_string();
    assert!(message.contains("on_missing"), "{message}");
}

#[test]
fn live_default_and_fallback_aliases_rescue_a_missing_input() {
    static LIVE: Site = Site {
        on_missing: OnMissing::Live,
        ..site(
            Kind::Input,
            "shop::price",
            "fn price(arg: u64) -> Result<u64, String>",
        )
    };
    static DEFAULT: Site = Site {
        on_missing: OnMissing::Default,
        ..site(
            Kind::Input,
            "shop::price",
            "fn price(arg: u64) -> Result<u64, String>",
        )
    };
    static RENAMED: Site = Site {
        fallback_aliases: &["shop::price"],
        ..site(
            Kind::Input,
            "shop::unit_price",
            "fn unit_price(arg: u64) -> Result<u64, String>",
        )
    };
    let rec = record(|| {
        operation(&OP, "checkout", &1, || {
            intercepted(&PRICE, &1u64, || Ok::<u64, String>(10))
        })
    });
    let run = |s: &'static Site, key: u64| {
        replay(&rec, || {
            operation(&OP, "checkout", &1, || {
                intercepted(s, &key, || Ok::<u64, String>(99))
            })
        })
        .unwrap()
    };
    assert_eq!(run(&LIVE, 2).replayed().result(), &json!({"Ok": 99}));
    assert_eq!(run(&DEFAULT, 2).replayed().result(), &json!({"Ok": 0}));
    assert_eq!(run(&RENAMED, 1).replayed().result(), &json!({"Ok": 10}));
    // the per-replay override
    let playback = Replayer::new()
        .on_missing(OnMissing::Live)
        .replay(&rec, || {
            operation(&OP, "checkout", &1, || {
                intercepted(&PRICE, &5u64, || Ok::<u64, String>(55))
            })
        })
        .unwrap();
    assert_eq!(playback.replayed().result(), &json!({"Ok": 55}));
    assert_eq!(playback.warnings().len(), 1, "{:?}", playback.warnings());
    // a per-replay fallback, for call sites without the attribute
    let playback = Replayer::new()
        .fallback_alias("shop::unit_price", "shop::price")
        .replay(&rec, || {
            operation(&OP, "checkout", &1, || {
                static NEW: Site = site(
                    Kind::Input,
                    "shop::unit_price",
                    "fn unit_price(arg: u64) -> Result<u64, String>",
                );
                intercepted(&NEW, &1u64, || Ok::<u64, String>(99))
            })
        })
        .unwrap();
    assert_eq!(playback.replayed().result(), &json!({"Ok": 10}));
}

#[test]
fn a_new_output_returns_default_when_fail_on_missing_is_false() {
    static NOTIFY: Site = Site {
        fail_on_missing: false,
        ..site(Kind::Output, "shop::notify", "fn notify(arg: u64) -> u32")
    };
    static STRICT_NOTIFY: Site = site(Kind::Output, "shop::notify", "fn notify(arg: u64) -> u32");
    let rec = record(|| checkout(7, 100));
    let playback = replay(&rec, || {
        let r = checkout(7, 100);
        r.map(|v| v + u64::from(intercepted(&NOTIFY, &v, || 77u32)))
    });
    // the notify call is outside the operation here: strict mode catches it
    assert!(matches!(
        playback,
        Err(ReplayError::OutsideOperation { .. })
    ));
    let playback = replay(&rec, || {
        operation(&OP, "checkout", &7, || {
            let n: u32 = intercepted(&NOTIFY, &1u64, || 77);
            n
        })
    })
    .unwrap();
    assert_eq!(playback.replayed().result(), &json!(0));
    assert_eq!(playback.replayed().outputs()[0].alias, "shop::notify");
    let err = replay(&rec, || {
        operation(&OP, "checkout", &7, || {
            intercepted(&STRICT_NOTIFY, &1u64, || 77u32)
        })
    })
    .unwrap_err();
    assert!(
        matches!(
            &err,
            ReplayError::MissingOutput {
                invocation: 1,
                recorded: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn nested_interceptions_behave_as_in_recording() {
    static OUTER: Site = site(Kind::Input, "outer", "fn outer(arg: u8) -> u32");
    static INNER: Site = site(Kind::Input, "inner", "fn inner(arg: u8) -> u32");
    let body = |inner_runs: &AtomicUsize| {
        operation(&OP, "checkout", &1, || {
            intercepted(&OUTER, &1u8, || {
                inner_runs.fetch_add(1, Ordering::Relaxed);
                intercepted(&INNER, &2u8, || 5u32) + 1
            })
        })
    };
    let recorded_runs = AtomicUsize::new(0);
    let rec = record(|| body(&recorded_runs));
    let aliases: Vec<_> = rec.interceptions.iter().map(|i| i.alias.as_str()).collect();
    assert_eq!(aliases, vec!["outer"]);
    let replayed_runs = AtomicUsize::new(0);
    let playback = replay(&rec, || body(&replayed_runs)).unwrap();
    assert_eq!(replayed_runs.load(Ordering::Relaxed), 0);
    assert_eq!(playback.replayed().result(), &json!(6));
    assert!(playback.unused().is_empty());
}

#[test]
fn identical_keys_replay_in_recorded_order_and_time_and_values_are_deterministic() {
    let op = |base: u64| {
        let span = tracing::info_span!("poll", playback = "operation");
        let _e = span.enter();
        let t = playback_layer::now();
        let seed: u64 = playback_layer::value("seed", || base);
        let a: u64 = input("queue::pop", &"jobs", || base + 1);
        let b: u64 = input("queue::pop", &"jobs", || base + 2);
        output("log", &(t, seed, a, b), || ());
    };
    let rec = record(|| op(10));
    for _ in 0..3 {
        let playback = replay(&rec, || op(1000)).unwrap();
        assert_eq!(playback.recorded().outputs(), playback.replayed().outputs());
        let args = &playback.replayed().outputs()[0].args;
        assert_eq!(args[1], 10);
        assert_eq!(args[2], 11);
        assert_eq!(args[3], 12);
    }
}

#[test]
fn a_value_that_no_longer_deserializes_names_alias_type_and_serde_message() {
    let rec = record(|| {
        let span = tracing::info_span!("op", playback = "operation");
        let _e = span.enter();
        let _: String = input("name", &1, || "ann".to_owned());
    });
    let err = replay(&rec, || {
        let span = tracing::info_span!("op", playback = "operation");
        let _e = span.enter();
        let _: u64 = input("name", &1, || 0);
    })
    .unwrap_err();
    let ReplayError::TypeMismatch {
        alias,
        type_name,
        message,
        ..
    } = &err
    else {
        panic!("unexpected {err}")
    };
    assert_eq!(*alias, "name");
    assert_eq!(*type_name, "u64");
    assert!(
        message.contains("invalid type: string \"ann\""),
        "{message}"
    );
}

#[test]
fn a_changed_signature_is_a_warning_while_the_value_fits_and_an_error_when_it_does_not() {
    static OLD: Site = site(Kind::Input, "load", "fn load(arg: u64) -> u64");
    static WIDER: Site = site(Kind::Input, "load", "fn load(arg: u64) -> i128");
    static CHANGED: Site = site(Kind::Input, "load", "fn load(arg: u64) -> String");
    let rec = record(|| operation(&OP, "checkout", &1, || intercepted(&OLD, &1u64, || 5u64)));
    let playback = replay(&rec, || {
        operation(&OP, "checkout", &1, || intercepted(&WIDER, &1u64, || 0i128))
    })
    .unwrap();
    assert_eq!(playback.replayed().result(), &json!(5));
    let warning = &playback.warnings()[0];
    assert!(warning.contains("fn load(arg: u64) -> u64"), "{warning}");
    assert!(warning.contains("fn load(arg: u64) -> i128"), "{warning}");
    let err = replay(&rec, || {
        operation(&OP, "checkout", &1, || {
            intercepted(&CHANGED, &1u64, String::new)
        })
    })
    .unwrap_err();
    let ReplayError::StaleSignature {
        recorded,
        current,
        detail,
        ..
    } = &err
    else {
        panic!("unexpected {err}")
    };
    assert_eq!(recorded, "fn load(arg: u64) -> u64");
    assert_eq!(*current, "fn load(arg: u64) -> String");
    assert!(detail.contains("does not deserialize"), "{detail}");
    let err = Replayer::new()
        .fail_on_stale_signature(true)
        .replay(&rec, || {
            operation(&OP, "checkout", &1, || intercepted(&WIDER, &1u64, || 0i128))
        })
        .unwrap_err();
    assert!(matches!(err, ReplayError::StaleSignature { .. }), "{err}");
}

#[test]
fn a_call_outside_the_operation_is_an_error_in_strict_mode_and_a_warning_otherwise() {
    let rec = record(|| checkout(7, 100));
    let err = replay(&rec, || {
        let _: u64 = input("config::load", &(), || 1);
        checkout(7, 100)
    })
    .unwrap_err();
    let ReplayError::OutsideOperation { alias, site, fix } = &err else {
        panic!("unexpected {err}")
    };
    assert_eq!(*alias, "config::load");
    assert!(site.contains("tests.rs:"), "{site}");
    assert!(
        fix.contains("per-layer") || fix.contains("with_filter"),
        "{fix}"
    );
    let playback = Replayer::new()
        .strict(false)
        .replay(&rec, || {
            let v: u64 = input("config::load", &(), || 1);
            assert_eq!(v, 1);
            checkout(7, 100)
        })
        .unwrap();
    assert!(playback.warnings()[0].contains("config::load"));
}

#[test]
fn a_replay_that_never_opens_the_operation_fails() {
    let rec = record(|| checkout(7, 100));
    let err = replay(&rec, || {
        tracing::info_span!("other", playback = "operation").in_scope(|| ());
    })
    .unwrap_err();
    let ReplayError::NoOperation { category, seen, .. } = &err else {
        panic!("unexpected {err}")
    };
    assert_eq!(category, "checkout");
    assert!(seen.contains("`other`"), "{seen}");
}

#[test]
fn a_panic_of_the_test_after_the_operation_returned_continues() {
    let rec = record(|| checkout(7, 100));
    let caught = std::panic::catch_unwind(|| {
        let _ = replay(&rec, || {
            let _ = checkout(7, 100);
            panic!("assertion in the test");
        });
    })
    .unwrap_err();
    assert_eq!(
        playback_store::panic_message(caught.as_ref()),
        "assertion in the test"
    );
}

#[test]
fn parallel_replays_of_100_recordings_never_see_each_other() {
    let recs: Vec<Recording> = (0..100u64)
        .map(|n| record(|| checkout(n, n * 10)))
        .collect();
    std::thread::scope(|s| {
        for chunk in recs.chunks(25) {
            s.spawn(move || {
                for rec in chunk {
                    let n: u64 = rec.arg("arg").unwrap();
                    let playback = replay(rec, || checkout(n, 0)).unwrap();
                    assert_eq!(
                        playback.replayed().result(),
                        &json!({"Ok": n * 10 + n * 10 + 1 + 2})
                    );
                    assert_eq!(playback.recorded(), playback.replayed());
                }
            });
        }
    });
}

#[test]
fn one_recording_replayed_100_times_gives_identical_playbacks() {
    let rec = record(|| checkout(3, 30));
    let first = replay(&rec, || checkout(3, 0)).unwrap();
    for _ in 0..100 {
        assert_eq!(replay(&rec, || checkout(3, 0)).unwrap(), first);
    }
}

async fn checkout_async(cart: u64, live: u64) -> u64 {
    async move {
        let a: u64 = input("price", &cart, || live);
        tokio::task::yield_now().await;
        // a spawned task that keeps the operation's span
        let b: u64 = tokio::spawn(
            async move {
                tokio::task::yield_now().await;
                input("price", &(cart + 1), || live + 1)
            }
            .in_current_span(),
        )
        .await
        .unwrap();
        tokio::task::yield_now().await;
        output("save", &(a, b), || ());
        a + b
    }
    .instrument(tracing::info_span!("checkout", playback = "operation"))
    .await
}

#[test]
fn replay_async_replays_on_a_multi_thread_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rec = {
        let store = MemoryStore::new();
        let (layer, guard) = PlaybackLayer::builder()
            .store(store.clone())
            .build()
            .unwrap();
        let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
        rt.block_on(async {
            use tracing::instrument::WithSubscriber as _;
            tokio::spawn(checkout_async(5, 50).with_subscriber(dispatch))
                .await
                .unwrap()
        });
        assert!(guard.flush(Duration::from_secs(10)));
        store.find(&Query::all()).unwrap().remove(0).unwrap()
    };
    assert_eq!(rec.interceptions.len(), 3);
    let playbacks = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let rec = rec.clone();
            tasks.push(tokio::spawn(async move {
                replay_async(&rec, checkout_async(5, 0)).await
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap().unwrap());
        }
        out
    });
    for p in playbacks {
        assert_eq!(p.recorded(), p.replayed());
        assert!(p.unused().is_empty());
        assert_eq!(p.replayed().outputs()[0].args, json!([50, 51]));
    }
}

#[test]
fn the_replay_runtime_catches_a_task_that_lost_its_operation() {
    let rec = record(|| checkout(7, 100));
    let rt = ReplayRuntime::builder().worker_threads(2).build().unwrap();
    let err = rt
        .replay(&rec, async {
            let span =
                tracing::info_span!("op", playback = "operation", playback.category = "checkout");
            async {
                // a bare spawn: no span, no subscriber
                tokio::spawn(async { input("shop::price", &7u64, || 1u64) })
                    .await
                    .map_err(|e| e.to_string())
            }
            .instrument(span)
            .await
        })
        .unwrap_err();
    let ReplayError::OutsideOperation { alias, fix, .. } = &err else {
        panic!("unexpected {err}")
    };
    assert_eq!(*alias, "shop::price");
    assert!(fix.contains(".in_current_span()"), "{fix}");
    // the same runtime replays the next recording normally
    let rec2 = record(|| checkout(8, 100));
    let playback = rt.replay(&rec2, async { checkout(8, 0) }).unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
}

#[test]
fn replay_layer_keeps_the_tests_own_layers() {
    #[derive(Clone, Default)]
    struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Log {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let rec = record(|| checkout(7, 100));
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false),
        )
        .with(replay_layer());
    let playback = tracing::subscriber::with_default(subscriber, || {
        replay(&rec, || {
            let r = checkout(7, 0);
            tracing::info!("checkout replayed");
            r
        })
    })
    .unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("checkout replayed"), "{text}");
}

#[test]
fn replay_recording_calls_a_registered_factory_with_the_recorded_args() {
    let rec = record(|| checkout(4, 40));
    let replayer = Replayer::new().register("checkout", |rec| {
        let cart: u64 = rec.arg("arg")?;
        Ok(checkout(cart, 0))
    });
    let playback = replayer.replay_recording(&rec).unwrap();
    assert_eq!(playback.replayed().result(), &json!({"Ok": 83}));
    assert_eq!(playback.recorded(), playback.replayed());
    let missing = Replayer::new().register("checkout", |rec| {
        let cart: u64 = rec.arg("no_such_arg")?;
        Ok(checkout(cart, 0))
    });
    let err = missing.replay_recording(&rec).unwrap_err();
    assert!(matches!(err, ReplayError::Args { .. }), "{err}");
}

mod registered {
    //! A hand-written registration, as the macro emits it for
    //! `#[playback::instrument(playback = "operation", category = "registered_double")]`.

    use super::*;
    use crate::__private::{
        ArgOf, NotDeserializable as _, Registration, Run, ViaDeserialize as _, boxed, thunk,
    };

    static DOUBLE: Site = site(
        Kind::Operation,
        "tests::double",
        "fn double(arg: u64) -> u64",
    );

    pub(super) fn double(arg: u64) -> u64 {
        operation(&DOUBLE, "registered_double", &arg, || {
            intercepted(&PRICE, &arg, || Ok::<u64, String>(arg)).unwrap_or(0) * 2
        })
    }

    #[expect(
        clippy::needless_borrow,
        reason = "autoref specialization, as generated code does it"
    )]
    fn double_arg(rec: &Recording) -> Result<u64, crate::__private::ArgError> {
        (&ArgOf::<u64>::new()).__playback_arg(rec, "arg")
    }

    inventory::submit! {
        Registration::new("registered_double", "tests::double", Run::Sync(|rec, _| {
            let arg = double_arg(rec)?;
            Ok(thunk(move || {
                let _ = double(arg);
            }))
        }))
    }

    pub(super) struct Opaque;

    pub(super) fn opaque(_o: Opaque) {}

    inventory::submit! {
        Registration::new("registered_opaque", "tests::opaque", Run::Async(|rec, _| {
            let o = (&ArgOf::<Opaque>::new()).__playback_arg(rec, "o")?;
            Ok(boxed(async move { opaque(o) }))
        }))
    }
}

#[test]
fn replay_recording_finds_an_operation_registered_at_compile_time() {
    let rec = record(|| registered::double(21));
    let playback = crate::replay_recording(&rec).unwrap();
    assert_eq!(playback.replayed().result(), &json!(42));
    assert_eq!(playback.recorded(), playback.replayed());
    let opaque = Recording::builder("registered_opaque").build();
    let err = crate::replay_recording(&opaque).unwrap_err();
    let ReplayError::NotReplayable { arg, type_name, .. } = &err else {
        panic!("unexpected {err}")
    };
    assert_eq!(arg, "o");
    assert!(type_name.ends_with("Opaque"), "{type_name}");
    registered::opaque(registered::Opaque);
}

#[test]
fn a_recording_with_many_interceptions_is_matched_through_its_index() {
    let op = |live: u64| {
        let span = tracing::info_span!("batch", playback = "operation");
        let _e = span.enter();
        let mut sum = 0;
        for i in 0..40u64 {
            // identical keys: their values come back in recorded order
            let v: u64 = input("queue::pop", &"jobs", || live + i);
            let w: u64 = input("item::load", &i, || live * i);
            sum += v + w;
            if i % 2 == 0 {
                output("item::save", &(i, v, w), || ());
            }
        }
        sum
    };
    let rec = record(|| op(3));
    assert_eq!(rec.interceptions.len(), 100);
    let playback = replay(&rec, || op(1000)).unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
    assert_eq!(playback.replayed().outputs().len(), 20);
    assert_eq!(playback.replayed().outputs()[19].args, json!([38, 41, 114]));
    assert!(playback.unused().is_empty());
}

#[test]
fn a_replay_inside_a_replay_keeps_both_apart() {
    let outer = record(|| checkout(1, 10));
    let inner = record(|| checkout(2, 20));
    let mut inner_playback = None;
    let playback = replay(&outer, || {
        inner_playback = Some(replay(&inner, || checkout(2, 0)).unwrap());
        checkout(1, 0)
    })
    .unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
    let inner_playback = inner_playback.unwrap();
    assert_eq!(inner_playback.recorded(), inner_playback.replayed());
    assert_eq!(inner_playback.replayed().result()["Ok"], 20 + 21 + 2);
}

#[test]
fn the_replay_runtime_replays_registered_operations_and_factories() {
    let rt = ReplayRuntime::builder()
        .worker_threads(1)
        .replayer(Replayer::new().register("checkout", |rec| {
            let cart: u64 = rec.arg("arg")?;
            Ok(checkout(cart, 0))
        }))
        .build()
        .unwrap();
    let rec = record(|| checkout(5, 50));
    let playback = rt.replay_recording(&rec).unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
    let rec = record(|| registered::double(4));
    let playback = rt.replay_recording(&rec).unwrap();
    assert_eq!(playback.replayed().result(), &json!(8));
}
