//! Requests per second and p50/p99 latency of a tonic service with `RecordLayer` off and
//! on, in one run: a unary `shop.Catalog/GetPrice` call carrying a 1 KB message, echoed
//! back, sent by a bounded loop of tonic clients over loopback.
//! `cargo bench -p playback-grpc --bench load` (`LOAD_REQUESTS`, `LOAD_CONCURRENCY` and
//! `LOAD_ROUNDS` change the load, `LOAD_STORE` and `LOAD_SAMPLE` what is recorded), as
//! playback-http's `load` bench does for axum.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use playback::{DirStore, MemoryStore, PlaybackLayer};
use playback_grpc_testshop::shop::catalog_client::CatalogClient;
use playback_grpc_testshop::shop::catalog_server::{Catalog, CatalogServer};
use playback_grpc_testshop::shop::{ListRequest, OrderLine, OrderTotal, Price, PriceRequest};
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status, Streaming};
use tracing_subscriber::prelude::*;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Prices every sku alike and sends the request's fields back.
struct Echo;

#[tonic::async_trait]
impl Catalog for Echo {
    async fn get_price(&self, req: Request<PriceRequest>) -> Result<Response<Price>, Status> {
        let req = req.into_inner();
        Ok(Response::new(Price {
            sku: req.sku,
            cents: 120,
            currency: req.currency,
            served: 1,
        }))
    }

    type ListPricesStream = tokio_stream::Empty<Result<Price, Status>>;

    async fn list_prices(
        &self,
        _: Request<ListRequest>,
    ) -> Result<Response<Self::ListPricesStream>, Status> {
        Err(Status::unimplemented("not benched"))
    }

    async fn order(
        &self,
        _: Request<Streaming<OrderLine>>,
    ) -> Result<Response<OrderTotal>, Status> {
        Err(Status::unimplemented("not benched"))
    }
}

/// Serves the catalog (with `RecordLayer` when `recorded`) on its own thread under
/// `dispatch`; returns its address.
fn serve(recorded: bool, dispatch: tracing::Dispatch) -> SocketAddr {
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
                // no Nagle delay on the accepted connections (tonic's own default
                // does not apply to an incoming stream it is handed)
                let incoming =
                    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
                let svc = CatalogServer::new(Echo);
                if recorded {
                    Server::builder()
                        .layer(playback_grpc::RecordLayer::new())
                        .add_service(svc)
                        .serve_with_incoming(incoming)
                        .await
                } else {
                    Server::builder()
                        .add_service(svc)
                        .serve_with_incoming(incoming)
                        .await
                }
                .unwrap();
            })
        });
    });
    addr
}

/// A request of about 1 KB.
fn payload() -> PriceRequest {
    let req = PriceRequest {
        sku: "sku-0042-abcdefghijklmnopqrstuvwxyz-".repeat(28),
        currency: "EUR".to_owned(),
    };
    assert!((900..1200).contains(&prost::Message::encoded_len(&req)));
    req
}

struct Run {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

async fn load(addr: SocketAddr, requests: usize, concurrency: usize) -> Run {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let client = CatalogClient::new(channel);
    let req = payload();
    let started = Instant::now();
    let per_task = requests / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (mut client, req) = (client.clone(), req.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let t = Instant::now();
                    let price = client.get_price(req.clone()).await.unwrap().into_inner();
                    assert_eq!(price.sku.len(), req.sku.len());
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
    // LOAD_STORE=memory keeps recordings in memory (no file per call); LOAD_SAMPLE
    // records that fraction of calls (the rest pay the sampling decision only)
    let builder = match std::env::var("LOAD_STORE").as_deref() {
        Ok("memory") => PlaybackLayer::builder().store(MemoryStore::new()),
        _ => PlaybackLayer::builder().store(DirStore::new(dir.path()).unwrap()),
    };
    let sample: f64 = std::env::var("LOAD_SAMPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let (layer, guard) = builder
        .sample_rate("shop.Catalog.GetPrice", sample)
        .build()
        .unwrap();
    let recording = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    // no subscriber at all; the recording subscriber without the layer; with it
    let bare = serve(false, tracing::Dispatch::none());
    let off = serve(false, recording.clone());
    let on = serve(true, recording);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // warm up all three (connections, allocator, page cache)
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
        "{requests} calls x {rounds} rounds per side, {concurrency} concurrent, 1 KB unary \
         GetPrice; medians of the rounds"
    );
    println!("{:<34} {:>8} {:>8} {:>8}", "", "req/s", "p50 µs", "p99 µs");
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
