//! Requests per second and p50/p99 latency of an axum service with `RecordLayer` off and
//! on, in one run: a 1 KB JSON request echoed back, sent by a bounded loop of reqwest
//! clients over loopback. `cargo bench -p playback-http --bench load`
//! (`LOAD_REQUESTS`, `LOAD_CONCURRENCY` and `LOAD_ROUNDS` change the load, `LOAD_STORE`
//! and `LOAD_SAMPLE` what is recorded).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use playback::{DirStore, MemoryStore, PlaybackLayer};
use serde_json::Value;
use tracing_subscriber::prelude::*;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn echo(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

fn app(recorded: bool) -> Router {
    let router = Router::new().route("/echo", post(echo));
    if recorded {
        router.layer(playback_http::RecordLayer::new())
    } else {
        router
    }
}

/// Serves `router` on its own thread under `dispatch`; returns its address.
fn serve(router: Router, dispatch: tracing::Dispatch) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        tracing::dispatcher::with_default(&dispatch, || {
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, router).await.unwrap();
            })
        });
    });
    addr
}

/// A 1 KB JSON object.
fn payload() -> Value {
    let items: Vec<Value> = (0..16)
        .map(|i| serde_json::json!({"sku": format!("sku-{i:04}"), "qty": i, "note": "abcdefghijklmnopqrstuvwxyz"}))
        .collect();
    let v = serde_json::json!({"cart": 42, "items": items});
    assert!((900..1200).contains(&serde_json::to_vec(&v).unwrap().len()));
    v
}

struct Run {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

async fn load(addr: SocketAddr, requests: usize, concurrency: usize) -> Run {
    let client = reqwest::Client::new();
    let body = serde_json::to_vec(&payload()).unwrap();
    let url = format!("http://{addr}/echo");
    let started = Instant::now();
    let per_task = requests / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let t = Instant::now();
                    let res = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert!(res.status().is_success());
                    res.bytes().await.unwrap();
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(requests);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    Run {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50: all[all.len() / 2],
        p99: all[all.len() * 99 / 100],
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let requests = env("LOAD_REQUESTS", 20_000);
    let concurrency = env("LOAD_CONCURRENCY", 16);
    let rounds = env("LOAD_ROUNDS", 5);
    let dir = tempfile::tempdir().unwrap();
    // LOAD_STORE=memory keeps recordings in memory (no file per request); LOAD_SAMPLE
    // records that fraction of requests (the rest pay the span and the decision only)
    let builder = match std::env::var("LOAD_STORE").as_deref() {
        Ok("memory") => PlaybackLayer::builder().store(MemoryStore::new()),
        _ => PlaybackLayer::builder().store(DirStore::new(dir.path()).unwrap()),
    };
    let sample: f64 = std::env::var("LOAD_SAMPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let (layer, guard) = builder.sample_rate("POST echo", sample).build().unwrap();
    let recording = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    // no subscriber at all; the recording subscriber without the layer; with it
    let bare = serve(app(false), tracing::Dispatch::none());
    let off = serve(app(false), recording.clone());
    let on = serve(app(true), recording);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // warm up both (connections, allocator, page cache)
    for addr in [bare, off, on] {
        rt.block_on(load(addr, 2_000, concurrency));
    }
    let (mut bare_runs, mut off_runs, mut on_runs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        // alternate, so drift in the machine's load hits every side alike
        bare_runs.push(rt.block_on(load(bare, requests, concurrency)));
        off_runs.push(rt.block_on(load(off, requests, concurrency)));
        on_runs.push(rt.block_on(load(on, requests, concurrency)));
    }
    guard.flush(Duration::from_secs(60));
    let stats = guard.stats().snapshot();
    println!(
        "{requests} requests x {rounds} rounds per side, {concurrency} concurrent, 1 KB JSON \
         echo; medians of the rounds"
    );
    println!(
        "{:<22} {:>10} {:>10} {:>10}",
        "", "req/s", "p50 µs", "p99 µs"
    );
    let row = |name: &str, runs: &[Run]| {
        let rps = median(runs.iter().map(|r| r.rps).collect());
        let p50 = median(runs.iter().map(|r| r.p50.as_secs_f64() * 1e6).collect());
        let p99 = median(runs.iter().map(|r| r.p99.as_secs_f64() * 1e6).collect());
        println!("{name:<34} {rps:>8.0} {p50:>8.0} {p99:>8.0}");
        (rps, p50, p99)
    };
    row("no subscriber", &bare_runs);
    let (rps_off, p50_off, p99_off) = row("subscriber, RecordLayer off", &off_runs);
    let (rps_on, p50_on, p99_on) = row("subscriber, RecordLayer on", &on_runs);
    println!(
        "RecordLayer on against off: req/s {:+.1}%, p50 {:+.1}%, p99 {:+.1}%\n{:?}",
        (rps_on / rps_off - 1.0) * 100.0,
        (p50_on / p50_off - 1.0) * 100.0,
        (p99_on / p99_off - 1.0) * 100.0,
        stats,
    );
}
