//! `playback::input_async` / `output_async`: async call sites that cannot carry the
//! attribute (an async `read_frame`/`write_frame` on a connection), recorded and replayed
//! on a multi-thread runtime.

use std::time::Duration;

use futures::future::join_all;
use playback::{MemoryStore, PlaybackLayer, Query, Recording, Store};
use serde_json::json;
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::prelude::*;

use crate::support::Live;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An instrumented input, called only from inside `read_frame`'s future: nested, so it
/// is never intercepted on its own.
#[playback::instrument(playback = "input", skip(live))]
async fn parse(live: Live, raw: String) -> String {
    live.hit();
    tokio::task::yield_now().await;
    raw.trim_end().to_uppercase()
}

/// One connection: reads a command frame, answers it. The reads and writes go through the
/// function API, as a connection type's methods would.
async fn serve_one(live: Live, conn: u32) -> usize {
    let command: String = playback::input_async("conn::read_frame", &conn, {
        let live = live.clone();
        async move {
            live.hit();
            tokio::task::yield_now().await;
            parse(live, format!("get key{conn}\r\n")).await
        }
    })
    .await;
    let reply = format!("+{command}\r\n");
    playback::output_async("conn::write_frame", &(conn, &reply), {
        let live = live.clone();
        let len = reply.len();
        async move {
            live.hit();
            tokio::task::yield_now().await;
            len
        }
    })
    .await
}

/// Serves several connections at once, each in its own task.
#[playback::instrument(playback = "operation", skip(live))]
async fn serve(live: Live, conns: u32) -> usize {
    let tasks =
        (1..=conns).map(|conn| tokio::spawn(serve_one(live.clone(), conn).in_current_span()));
    join_all(tasks).await.into_iter().map(Result::unwrap).sum()
}

fn record(live: Live, conns: u32) -> Recording {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let rt = runtime();
    let served = tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async move { serve(live, conns).await }.with_current_subscriber())
    });
    assert_eq!(served, 4 * 11);
    assert!(guard.flush(Duration::from_secs(10)));
    let mut all: Vec<Recording> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[test]
fn async_function_api_calls_are_recorded_and_replayed_with_no_live_call() {
    let live = Live::default();
    let rec = record(live.clone(), 4);
    // read_frame, parse (nested, so not intercepted) and write_frame ran for each connection
    assert_eq!(live.count(), 4 * 3);

    let mut reads: Vec<(serde_json::Value, serde_json::Value)> = rec
        .interceptions
        .iter()
        .filter(|i| i.alias == "conn::read_frame")
        .map(|i| (i.key.clone().unwrap(), i.value_json()))
        .collect();
    reads.sort_by_key(|(key, _)| key.as_u64());
    assert_eq!(
        reads,
        (1..=4)
            .map(|conn| (json!(conn), json!(format!("GET KEY{conn}"))))
            .collect::<Vec<_>>()
    );
    let mut writes: Vec<serde_json::Value> = rec
        .interceptions
        .iter()
        .filter(|i| i.alias == "conn::write_frame")
        .map(|i| i.args_value())
        .collect();
    writes.sort_by_key(|args| args[0].as_u64());
    assert_eq!(writes[0], json!([1, "+GET KEY1\r\n"]));
    assert_eq!(writes.len(), 4);
    assert_eq!(
        rec.interceptions.len(),
        8,
        "the nested `parse` was intercepted"
    );
    assert!(
        rec.interceptions
            .iter()
            .all(|i| i.site.contains("async_calls.rs")),
        "the call site is the caller's"
    );

    let replay_live = Live::default();
    let playback = runtime()
        .block_on(playback::replay_async(&rec, {
            let live = replay_live.clone();
            async move { serve(live, 4).await }
        }))
        .unwrap();
    assert_eq!(replay_live.count(), 0, "a body ran live during the replay");
    assert_eq!(playback.replayed().result(), &json!(44));
    assert!(playback.unused().is_empty());
    assert_eq!(playback.recorded(), playback.replayed());
}

#[test]
fn outside_an_operation_the_async_function_api_just_awaits() {
    let live = Live::default();
    let written = runtime().block_on(serve_one(live.clone(), 7));
    assert_eq!(written, "+GET KEY7\r\n".len());
    assert_eq!(live.count(), 3);
}

#[test]
fn the_interception_starts_when_the_future_is_first_polled() {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        // made outside any operation, awaited inside one: recorded in that operation
        let read = playback::input_async("conn::read_frame", &9u32, async { "PING".to_owned() });
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let got = rt.block_on(read.instrument(tracing::info_span!("late", playback = "operation")));
        assert_eq!(got, "PING");
    });
    assert!(guard.flush(Duration::from_secs(10)));
    let rec = store
        .find(&Query::category("late"))
        .unwrap()
        .remove(0)
        .unwrap();
    let rec = store.get(&rec.id).unwrap();
    assert_eq!(rec.interceptions.len(), 1);
    assert_eq!(rec.interceptions[0].key, Some(json!(9)));
    assert_eq!(rec.interceptions[0].value_json(), json!("PING"));
}
