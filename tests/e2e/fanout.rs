//! Operations that fan out: concurrent interceptions inside one operation, through the
//! attribute and the function API, on a multi-thread runtime, recorded and replayed.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use playback::{MemoryStore, PlaybackGuard, PlaybackLayer, Recording};
use serde_json::json;
use tokio::sync::Barrier;
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::prelude::*;

use crate::support::{Live, all, record_with};

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// An async input that waits for all its siblings, so every call overlaps the others.
#[playback::instrument(playback = "input", skip(live, barrier))]
async fn unit_price(live: Live, barrier: Option<Arc<Barrier>>, order: u64, line: u64) -> u64 {
    live.hit();
    if let Some(b) = barrier {
        b.wait().await;
    }
    tokio::task::yield_now().await;
    order * 100 + line
}

/// A nested input, called inside `stock`: never intercepted on its own.
#[playback::instrument(playback = "input", skip(live))]
fn warehouse(live: Live, line: u64) -> u64 {
    live.hit();
    line + 1000
}

#[playback::instrument(playback = "input", skip(live))]
async fn stock(live: Live, line: u64) -> u64 {
    live.hit();
    tokio::task::yield_now().await;
    let w = warehouse(live.clone(), line);
    tokio::task::yield_now().await;
    w * 2
}

/// Fans out to `lines` tasks with `tokio::spawn(fut.in_current_span())`, joined with
/// `join_all`.
#[playback::instrument(playback = "operation", skip(live, barrier))]
async fn price_order(live: Live, barrier: Option<Arc<Barrier>>, order: u64, lines: u64) -> u64 {
    let tasks = (0..lines).map(|line| {
        let (live, barrier) = (live.clone(), barrier.clone());
        tokio::spawn(
            async move {
                let price = unit_price(live.clone(), barrier, order, line).await;
                price + stock(live, line).await
            }
            .in_current_span(),
        )
    });
    join_all(tasks).await.into_iter().map(Result::unwrap).sum()
}

/// The function API from spawned tasks and from `spawn_blocking`.
#[playback::instrument(playback = "operation", skip(live))]
async fn quote_order(live: Live, order: u64, lines: u64) -> u64 {
    let barrier = Arc::new(std::sync::Barrier::new(lines as usize));
    let mut tasks = Vec::new();
    for line in 0..lines {
        let (live, barrier) = (live.clone(), barrier.clone());
        let span = tracing::Span::current();
        tasks.push(tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                playback::input("fx::rate", &(order, line), || {
                    live.hit();
                    barrier.wait();
                    line + 1
                })
            })
        }));
    }
    let rates: Vec<u64> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let sent = join_all((0..lines).map(|line| {
        let live = live.clone();
        let rate = rates[line as usize];
        tokio::spawn(
            async move {
                playback::output("ledger::post", &(order, line, rate), || {
                    live.hit();
                    true
                })
            }
            .in_current_span(),
        )
    }))
    .await;
    rates.iter().sum::<u64>() + sent.into_iter().filter(|s| *s.as_ref().unwrap()).count() as u64
}

/// Records `f` (run on a multi-thread runtime of `workers` threads) into a fresh store.
fn record_mt<F, Fut>(workers: usize, queue: usize, f: F) -> (MemoryStore, PlaybackGuard)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .queue_capacity(queue)
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let rt = runtime(workers);
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(f().with_current_subscriber());
    });
    // every task (and every span it holds) is gone before the flush
    drop(rt);
    assert!(guard.flush(Duration::from_secs(30)));
    (store, guard)
}

fn count(rec: &Recording, alias_end: &str) -> usize {
    rec.interceptions
        .iter()
        .filter(|i| i.alias.ends_with(alias_end))
        .count()
}

#[test]
fn an_8_way_fan_out_records_every_interception_and_replays_with_no_live_call() {
    let live = Live::default();
    let barrier = Arc::new(Barrier::new(8));
    let (store, _guard) = record_mt(4, 64, {
        let live = live.clone();
        move || async move {
            assert_eq!(
                price_order(live, Some(barrier), 7, 8).await,
                (0..8u64).map(|l| 700 + l + (l + 1000) * 2).sum::<u64>()
            );
        }
    });
    // 8 unit_price + 8 stock + 8 warehouse bodies ran
    assert_eq!(live.count(), 24);
    let recs = all(&store);
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(count(rec, "::unit_price"), 8, "{:#?}", rec.interceptions);
    assert_eq!(count(rec, "::stock"), 8);
    // nested inside `stock`: not intercepted again
    assert_eq!(count(rec, "::warehouse"), 0);
    let mut lines: Vec<u64> = rec
        .interceptions
        .iter()
        .filter(|i| i.alias.ends_with("::unit_price"))
        .map(|i| i.key.as_ref().unwrap()["line"].as_u64().unwrap())
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, (0..8).collect::<Vec<_>>());
    // every `unit_price` overlapped its siblings (they met at the barrier); the `stock`
    // calls after it need not overlap (on a loaded machine the last one may run alone)
    assert!(
        rec.interceptions
            .iter()
            .filter(|i| i.alias.ends_with("::unit_price"))
            .all(|i| i.concurrent)
    );

    // replay on a 4-worker runtime: every call is answered from the recording
    let replay_live = Live::default();
    let rt = runtime(4);
    let playback = rt
        .block_on(playback::replay_async(rec, {
            let live = replay_live.clone();
            async move { price_order(live, None, 7, 8).await }
        }))
        .unwrap();
    assert_eq!(replay_live.count(), 0, "no body runs live on replay");
    assert!(playback.unused().is_empty(), "{:?}", playback.unused());
    assert_eq!(playback.recorded(), playback.replayed());
}

#[test]
fn a_1000_way_fan_out_records_and_replays_every_interception() {
    let live = Live::default();
    let (store, _guard) = record_mt(4, 64, {
        let live = live.clone();
        move || async move {
            price_order(live, None, 3, 1000).await;
        }
    });
    let recs = all(&store);
    assert_eq!(recs.len(), 1);
    assert_eq!(count(&recs[0], "::unit_price"), 1000);
    assert_eq!(count(&recs[0], "::stock"), 1000);
    assert_eq!(count(&recs[0], "::warehouse"), 0);

    let replay_live = Live::default();
    let playback = runtime(4)
        .block_on(playback::replay_async(&recs[0], {
            let live = replay_live.clone();
            async move { price_order(live, None, 3, 1000).await }
        }))
        .unwrap();
    assert_eq!(replay_live.count(), 0);
    assert!(playback.unused().is_empty());
    assert_eq!(playback.recorded(), playback.replayed());
}

#[test]
fn the_function_api_from_spawned_and_blocking_tasks_records_and_replays_every_call() {
    let live = Live::default();
    let (store, _guard) = record_mt(4, 64, {
        let live = live.clone();
        move || async move {
            assert_eq!(quote_order(live, 9, 8).await, (1..=8).sum::<u64>() + 8);
        }
    });
    assert_eq!(live.count(), 16);
    let rec = all(&store).remove(0);
    assert_eq!(count(&rec, "fx::rate"), 8);
    assert_eq!(count(&rec, "ledger::post"), 8);

    let replay_live = Live::default();
    let playback = runtime(4)
        .block_on(playback::replay_async(&rec, {
            let live = replay_live.clone();
            async move { quote_order(live, 9, 8).await }
        }))
        .unwrap();
    assert_eq!(replay_live.count(), 0);
    assert!(playback.unused().is_empty());
    // outputs come back in recorded order, whatever order the tasks posted them in
    assert_eq!(playback.recorded(), playback.replayed());
}

/// Identical keys from concurrent tasks with different values: handed out in recorded
/// order, and the replay says the order is a guess.
#[playback::instrument(playback = "operation", skip(live))]
async fn draw_seeds(live: Live, n: u64) -> u64 {
    let barrier = Arc::new(std::sync::Barrier::new(n as usize));
    let tasks = (0..n).map(|i| {
        let (live, barrier) = (live.clone(), barrier.clone());
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                playback::value("seed", || {
                    live.hit();
                    barrier.wait();
                    i * 10
                })
            })
        })
    });
    join_all(tasks).await.into_iter().map(Result::unwrap).sum()
}

#[test]
fn concurrent_identical_keys_are_handed_out_in_recorded_order_with_a_warning() {
    let (store, _guard) = record_mt(4, 64, || async {
        draw_seeds(Live::default(), 4).await;
    });
    let rec = all(&store).remove(0);
    let recorded: Vec<u64> = rec
        .interceptions
        .iter()
        .map(|i| i.value_json().as_u64().unwrap())
        .collect();
    assert_eq!(recorded.len(), 4);
    assert!(rec.interceptions.iter().all(|i| i.concurrent));

    let playback = runtime(4)
        .block_on(playback::replay_async(&rec, async {
            draw_seeds(Live::default(), 4).await
        }))
        .unwrap();
    assert_eq!(playback.replayed().result(), &json!(60));
    assert!(
        playback
            .warnings()
            .iter()
            .any(|w| w.contains("`seed`") && w.contains("concurrent calls")),
        "{:?}",
        playback.warnings()
    );
}

/// Sequential identical keys keep their recorded order, without a warning.
#[playback::instrument(playback = "operation")]
fn draw_sequential(n: u64) -> Vec<u64> {
    (0..n).map(|i| playback::value("seed", || i * 3)).collect()
}

#[test]
fn sequential_identical_keys_replay_in_order_without_a_warning() {
    let (mut recs, _guard, _) = record_with(PlaybackLayer::builder(), || draw_sequential(4));
    let rec = recs.remove(0);
    assert!(rec.interceptions.iter().all(|i| !i.concurrent));
    let playback = playback::replay(&rec, || draw_sequential(4)).unwrap();
    assert_eq!(playback.replayed().result(), &json!([0, 3, 6, 9]));
    assert!(playback.warnings().is_empty(), "{:?}", playback.warnings());
}

#[playback::instrument(playback = "input")]
async fn line_item(order: u64, line: u64) -> (u64, u64) {
    tokio::task::yield_now().await;
    (order, line)
}

#[playback::instrument(playback = "operation")]
async fn stress_order(order: u64) -> u64 {
    let tasks = (0..4).map(|line| tokio::spawn(line_item(order, line).in_current_span()));
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap().1)
        .sum()
}

#[test]
fn stress_10_000_interleaved_operations_fanning_out_lose_and_misattribute_nothing() {
    const OPS: u64 = 10_000;
    let (store, guard) = record_mt(4, OPS as usize + 16, || async {
        let ops = (0..OPS).map(|order| tokio::spawn(stress_order(order).with_current_subscriber()));
        for r in join_all(ops).await {
            assert_eq!(r.unwrap(), 6);
        }
    });
    let stats = guard.stats().snapshot();
    assert_eq!((stats.dropped, stats.failed), (0, 0), "{stats:?}");
    let recs = all(&store);
    assert_eq!(recs.len(), OPS as usize);
    let (mut lost, mut cross) = (0usize, 0usize);
    let mut seen = vec![false; OPS as usize];
    for rec in &recs {
        let order: u64 = rec.arg("order").unwrap();
        seen[order as usize] = true;
        let mut lines = Vec::new();
        for i in &rec.interceptions {
            let key = i.key.as_ref().unwrap();
            if key["order"] != order {
                cross += 1;
            }
            lines.push(key["line"].as_u64().unwrap());
        }
        lines.sort_unstable();
        lines.dedup();
        lost += 4 - lines.len().min(4);
        cross += rec.interceptions.len().saturating_sub(4);
    }
    assert_eq!(cross, 0, "cross-attributed interceptions");
    assert_eq!(lost, 0, "lost interceptions");
    assert!(seen.iter().all(|s| *s), "every operation has its recording");
}

/// An input whose body hands work to a task in a span it creates: the task's calls are
/// nested in the interception, wherever the task runs.
#[playback::instrument(playback = "input", skip(live))]
async fn bundle(live: Live, sku: u64) -> u64 {
    live.hit();
    let span = tracing::info_span!("bundle_worker");
    let inner = live.clone();
    tokio::spawn(async move { warehouse(inner, sku) }.instrument(span))
        .await
        .unwrap()
}

#[playback::instrument(playback = "operation", skip(live))]
async fn ship(live: Live, sku: u64) -> u64 {
    bundle(live, sku).await
}

#[test]
fn a_task_spawned_in_a_span_made_inside_an_interception_is_nested_in_it() {
    // Every worker has the recording subscriber as its default, as a global subscriber
    // gives in production: tracing-subscriber closes a parent span through the default
    // subscriber of the thread that closes its child.
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .on_thread_start({
            let dispatch = dispatch.clone();
            move || std::mem::forget(tracing::dispatcher::set_default(&dispatch))
        })
        .build()
        .unwrap();
    let live = Live::default();
    let shipped = rt
        .block_on(async { tokio::spawn(ship(live.clone(), 5)).await })
        .unwrap();
    assert_eq!(shipped, 1005);
    drop(rt);
    assert!(guard.flush(Duration::from_secs(10)));
    assert_eq!(live.count(), 2, "both bodies ran");
    let rec = all(&store).remove(0);
    assert_eq!(count(&rec, "::bundle"), 1);
    assert_eq!(count(&rec, "::warehouse"), 0, "{:#?}", rec.interceptions);
}
