//! `RecordLayer` asks the sampler before it builds anything: a sampled-out call gets no
//! span (no other layer sees one), is counted once in `sampled_out`, and a sampled-in
//! call is recorded as it always was.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use playback::{MemoryStore, PlaybackLayerBuilder, Query, Recording, StatsSnapshot, Store};
use playback_grpc::RecordLayer;
use playback_grpc_testshop::shop::PriceRequest;
use playback_grpc_testshop::shop::catalog_client::CatalogClient;
use playback_grpc_testshop::shop::catalog_server::CatalogServer;
use serde_json::Value;
use tracing_subscriber::prelude::*;

use crate::apps::{self, CatalogImpl};
use crate::support::{Server, runtime};

/// The category of the calls sent.
const GET_PRICE: &str = "shop.Catalog.GetPrice";

/// A tracing layer that counts the operation spans `RecordLayer` makes.
#[derive(Clone, Default)]
struct CallSpans(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CallSpans {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let meta = attrs.metadata();
        if meta.target() == "playback::grpc" && meta.name() == "call" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

struct Outcome {
    stats: StatsSnapshot,
    recordings: Vec<Recording>,
    spans: usize,
}

/// Serves the catalog on a 2-worker runtime under `builder`'s layer and a span counter,
/// sends `found` prices of known skus and `missing` of an unknown one (a NOT_FOUND
/// status) from 8 concurrent tasks, and returns what was recorded.
fn send(builder: PlaybackLayerBuilder, found: usize, missing: usize) -> Outcome {
    let store = MemoryStore::new();
    let (layer, guard) = builder
        .store(store.clone())
        .queue_capacity(4096)
        .build()
        .unwrap();
    let spans = CallSpans::default();
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry()
            .with(layer)
            .with(spans.clone()),
    );
    let catalog = Server::start_multi_thread(dispatch, 2, |incoming, shutdown| async move {
        tonic::transport::Server::builder()
            .layer(RecordLayer::builder().descriptor_pool(apps::pool()).build())
            .add_service(CatalogServer::new(CatalogImpl::default()))
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await
    });
    let url = catalog.url();
    runtime().block_on(async {
        let client = CatalogClient::connect(url).await.unwrap();
        let mut skus: Vec<String> = (0..found).map(|i| format!("apple#{i}")).collect();
        skus.extend((0..missing).map(|i| format!("durian#{i}")));
        let tasks: Vec<_> = skus
            .chunks(skus.len().div_ceil(8).max(1))
            .map(|chunk| {
                let (mut client, chunk) = (client.clone(), chunk.to_vec());
                tokio::spawn(async move {
                    for tagged in chunk {
                        let sku = tagged.split('#').next().unwrap().to_owned();
                        let req = PriceRequest {
                            sku: sku.clone(),
                            currency: "EUR".into(),
                        };
                        match client.get_price(req).await {
                            Ok(price) => assert_eq!(price.into_inner().cents, 120),
                            Err(status) => {
                                assert_eq!(sku, "durian");
                                assert_eq!(status.code(), tonic::Code::NotFound);
                            }
                        }
                    }
                })
            })
            .collect();
        for t in futures::future::join_all(tasks).await {
            t.unwrap();
        }
    });
    catalog.stop();
    assert!(guard.flush(Duration::from_secs(30)));
    let recordings = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    Outcome {
        stats: guard.stats().snapshot(),
        recordings,
        spans: spans.0.load(Ordering::SeqCst),
    }
}

fn reply(rec: &Recording) -> Value {
    let Some(playback::OpResult::Returned { value, .. }) = &rec.result else {
        panic!("no result in {rec:?}")
    };
    serde_json::from_str(value.get()).unwrap()
}

#[test]
fn a_call_sampled_out_makes_no_span_and_is_counted_once() {
    let out = send(
        playback::PlaybackLayer::builder().sample_rate(GET_PRICE, 0.0),
        40,
        0,
    );
    assert!(out.recordings.is_empty());
    assert_eq!(
        (
            out.stats.recorded,
            out.stats.sampled_out,
            out.stats.filtered_out
        ),
        (0, 40, 0)
    );
    assert_eq!(out.spans, 0, "a sampled-out call made a span");
}

#[test]
fn every_call_sampled_in_is_recorded_in_full() {
    let out = send(
        playback::PlaybackLayer::builder().sample_rate(GET_PRICE, 1.0),
        30,
        0,
    );
    assert_eq!((out.stats.recorded, out.stats.sampled_out), (30, 0));
    assert_eq!(out.spans, 30);
    let mut served: Vec<u64> = out
        .recordings
        .iter()
        .map(|rec| {
            assert_eq!(rec.category, GET_PRICE);
            let request: Value = rec.arg("request").unwrap();
            assert_eq!(request["method"], "/shop.Catalog/GetPrice");
            assert_eq!(request["messages"][0]["json"]["sku"], "apple");
            let reply = reply(rec);
            assert_eq!(reply["status"]["code"], 0);
            assert_eq!(reply["messages"][0]["json"]["cents"], "120"); // proto3 JSON: int64 as a string
            // the handler's own input is part of the call's recording
            assert_eq!(rec.interceptions.len(), 1);
            rec.interceptions[0].value_json().as_u64().unwrap()
        })
        .collect();
    served.sort_unstable();
    assert_eq!(served, (1..=30).collect::<Vec<u64>>());
}

#[test]
fn at_a_mixed_rate_recorded_and_sampled_out_add_up_to_the_calls() {
    let out = send(
        playback::PlaybackLayer::builder().default_sample_rate(0.5),
        200,
        0,
    );
    let s = &out.stats;
    assert_eq!(s.recorded + s.sampled_out, 200, "{s:?}");
    assert_eq!(out.recordings.len() as u64, s.recorded);
    assert!((40..=160).contains(&s.recorded), "{s:?}");
    // only the sampled-in calls made a span
    assert_eq!(out.spans as u64, s.recorded);
}

#[test]
fn keep_errors_still_captures_a_sampled_out_method_and_keeps_its_failures() {
    let out = send(
        playback::PlaybackLayer::builder()
            .sample_rate(GET_PRICE, 0.0)
            .keep_errors(GET_PRICE),
        10,
        6,
    );
    let s = &out.stats;
    assert_eq!((s.recorded, s.sampled_out), (6, 10), "{s:?}");
    assert!(
        out.recordings
            .iter()
            .all(|r| reply(r)["status"]["code"] == 5)
    );
    // captured for keep_errors: every call has its span
    assert_eq!(out.spans, 16);
}
