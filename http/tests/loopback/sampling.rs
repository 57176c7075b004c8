//! `RecordLayer` asks the sampler before it builds anything: a sampled-out request gets
//! no span (no other layer sees one), is counted once in `sampled_out`, and a sampled-in
//! request is recorded as it always was.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use playback::{MemoryStore, PlaybackLayerBuilder, Query, Recording, StatsSnapshot, Store};
use playback_http::{RecordLayer, RecordedRequest, RecordedResponse};
use serde_json::{Value, json};
use tracing_subscriber::prelude::*;

use crate::support::Server;

/// A tracing layer that counts the operation spans `RecordLayer` makes.
#[derive(Clone, Default)]
struct RequestSpans(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RequestSpans {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let meta = attrs.metadata();
        if meta.target() == "playback::http" && meta.name() == "request" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn app() -> Router {
    Router::new()
        .route("/echo", post(|Json(v): Json<Value>| async move { Json(v) }))
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "down") }),
        )
        .layer(RecordLayer::new())
}

struct Outcome {
    stats: StatsSnapshot,
    recordings: Vec<Recording>,
    spans: usize,
}

/// Serves the app on a 2-worker runtime under `builder`'s layer and a span counter,
/// sends `echo` POST /echo and `fail` GET /fail requests from 8 concurrent tasks, and
/// returns what was recorded.
fn send(builder: PlaybackLayerBuilder, echo: usize, fail: usize) -> Outcome {
    let store = MemoryStore::new();
    let (layer, guard) = builder
        .store(store.clone())
        .queue_capacity(4096)
        .build()
        .unwrap();
    let spans = RequestSpans::default();
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry()
            .with(layer)
            .with(spans.clone()),
    );
    let server = Server::start_multi_thread(app(), dispatch, 2);
    let url = server.url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let mut jobs: Vec<(bool, usize)> = (0..echo).map(|i| (true, i)).collect();
        jobs.extend((0..fail).map(|i| (false, i)));
        let tasks: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(8).max(1))
            .map(|chunk| {
                let (client, url, chunk) = (client.clone(), url.clone(), chunk.to_vec());
                tokio::spawn(async move {
                    for (is_echo, i) in chunk {
                        if is_echo {
                            let res = client
                                .post(format!("{url}/echo"))
                                .json(&json!({"n": i}))
                                .send()
                                .await
                                .unwrap();
                            assert_eq!(res.status(), 200);
                            assert_eq!(res.json::<Value>().await.unwrap(), json!({"n": i}));
                        } else {
                            let res = client.get(format!("{url}/fail")).send().await.unwrap();
                            assert_eq!(res.status(), 500);
                            assert_eq!(res.text().await.unwrap(), "down");
                        }
                    }
                })
            })
            .collect();
        for t in futures::future::join_all(tasks).await {
            t.unwrap();
        }
    });
    server.stop();
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

#[test]
fn a_request_sampled_out_makes_no_span_and_is_counted_once() {
    let out = send(
        playback::PlaybackLayer::builder().sample_rate("POST echo", 0.0),
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
    assert_eq!(out.spans, 0, "a sampled-out request made a span");
}

#[test]
fn a_skipped_route_makes_no_span_and_counts_nothing() {
    let out = send(playback::PlaybackLayer::builder().skip("POST echo"), 10, 0);
    assert!(out.recordings.is_empty());
    assert_eq!((out.stats.recorded, out.stats.sampled_out), (0, 0));
    assert_eq!(out.spans, 0);
}

#[test]
fn every_request_sampled_in_is_recorded_in_full() {
    let out = send(
        playback::PlaybackLayer::builder().sample_rate("POST echo", 1.0),
        30,
        0,
    );
    assert_eq!((out.stats.recorded, out.stats.sampled_out), (30, 0));
    assert_eq!(out.spans, 30);
    let mut seen: Vec<u64> = out
        .recordings
        .iter()
        .map(|rec| {
            assert_eq!(rec.category, "POST echo");
            let request: RecordedRequest = rec.arg("request").unwrap();
            assert_eq!(request.method, "POST");
            assert!(request.uri.ends_with("/echo"), "{}", request.uri);
            let sent: Value = serde_json::from_str(request.body.get()).unwrap();
            let Some(playback::OpResult::Returned { value, error }) = &rec.result else {
                panic!("no result in {rec:?}")
            };
            assert!(!error);
            let response: RecordedResponse = serde_json::from_str(value.get()).unwrap();
            assert_eq!(response.status, 200);
            assert_eq!(
                serde_json::from_str::<Value>(response.body.get()).unwrap(),
                sent
            );
            sent["n"].as_u64().unwrap()
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..30).collect::<Vec<u64>>());
}

#[test]
fn at_a_mixed_rate_recorded_and_sampled_out_add_up_to_the_requests() {
    let out = send(
        playback::PlaybackLayer::builder().default_sample_rate(0.5),
        200,
        0,
    );
    let s = &out.stats;
    assert_eq!(s.recorded + s.sampled_out, 200, "{s:?}");
    assert_eq!(out.recordings.len() as u64, s.recorded);
    // a 0.5 rate over 200 requests: both sides are far from empty
    assert!((40..=160).contains(&s.recorded), "{s:?}");
    // only the sampled-in requests made a span
    assert_eq!(out.spans as u64, s.recorded);
}

#[test]
fn keep_errors_still_captures_a_sampled_out_route_and_keeps_its_failures() {
    let out = send(
        playback::PlaybackLayer::builder()
            .default_sample_rate(0.0)
            .keep_errors("GET fail"),
        10,
        6,
    );
    let s = &out.stats;
    assert_eq!((s.recorded, s.sampled_out), (6, 10), "{s:?}");
    assert!(out.recordings.iter().all(|r| r.category == "GET fail"));
    // the failing route is captured (it has spans); the sampled-out echo is not
    assert_eq!(out.spans, 6);
}

/// Sends one request straight through a `RecordService` (no network) under a layer
/// with `rate` for its route; returns how the handler saw the request body and how the
/// client got the response body (`capturing: true` when the layer taps it).
fn bodies_at(rate: f64) -> (String, String) {
    use tower::ServiceExt as _;
    use tower_layer::Layer as _;
    let (layer, _guard) = playback::PlaybackLayer::builder()
        .store(MemoryStore::new())
        .sample_rate("POST echo", rate)
        .build()
        .unwrap();
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let in_handler = seen.clone();
    let inner = tower::service_fn(move |req: http::Request<playback_http::TeeBody<String>>| {
        *in_handler.lock().unwrap() = format!("{:?}", req.body());
        async { Ok::<_, std::convert::Infallible>(http::Response::new(String::from("{}"))) }
    });
    let svc = RecordLayer::new().layer(inner);
    let req = http::Request::post("/echo")
        .header("content-type", "application/json")
        .header("content-length", "7")
        .body(String::from("{\"n\":1}"))
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let response = tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(svc.oneshot(req)).unwrap()
    });
    let handler_saw = seen.lock().unwrap().clone();
    (handler_saw, format!("{:?}", response.body()))
}

#[test]
fn a_sampled_out_request_passes_both_bodies_through_untapped() {
    // no `MatchedPath` here: the category is the method and the path, `POST echo`
    let (request, response) = bodies_at(0.0);
    assert!(request.contains("capturing: false"), "{request}");
    assert!(response.contains("capturing: false"), "{response}");
    // the same request sampled in is tapped on both sides
    let (request, response) = bodies_at(1.0);
    assert!(request.contains("capturing: true"), "{request}");
    assert!(response.contains("capturing: true"), "{response}");
}
