//! rpcreplay's documented behaviours, one test each, on the HTTP client side: matching
//! by method and contents, identical requests in recorded order, streams in recorded
//! order, a clear error for an unmatched request; and its initial state, as a value.

use playback::{Query, Recording, ReplayError, Replayer, Store};
use playback_http::ReplayerExt as _;
use serde_json::{Value, json};

use crate::apps::{self, Variant};
use crate::support::{Server, assert_no_credentials, recorder};

/// Records the shop answering `requests` (method, path, JSON body) and returns the
/// recordings, the rates service's URL (stopped by then) and the store's directory.
fn record(requests: &[(&str, &str, Value)]) -> (Vec<Recording>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (dispatch, guard, store) = recorder(dir.path());
    let rates = Server::start(apps::rates(), tracing::Dispatch::none());
    let rates_url = rates.url();
    let shop = Server::start(apps::shop(&rates_url, Variant::default()), dispatch);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let responses: Vec<Value> = rt.block_on(async {
        let mut out = Vec::new();
        for (method, path, body) in requests {
            let url = format!("{}{path}", shop.url());
            let req = match *method {
                "GET" => client.get(url),
                _ => client.post(url).json(body),
            };
            out.push(req.send().await.unwrap().json().await.unwrap());
        }
        out
    });
    assert_eq!(responses.len(), requests.len());
    shop.stop();
    rates.stop();
    assert!(guard.flush(std::time::Duration::from_secs(10)));
    let mut recs: Vec<Recording> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    recs.sort_by_key(|r| r.recorded_at);
    (recs, rates_url, dir)
}

fn replay_with(rec: &Recording, rates_url: &str, variant: Variant) -> playback::Playback {
    Replayer::new()
        .http_service(apps::shop(rates_url, variant))
        .replay_recording(rec)
        .unwrap()
}

fn body(side: &playback::Side) -> Value {
    side.result()["body"].clone()
}

#[test]
fn requests_match_by_method_and_contents_when_the_call_order_changes() {
    let (recs, rates_url, dir) = record(&[("GET", "/pair", Value::Null)]);
    let reversed = Variant {
        reverse: true,
        ..Variant::default()
    };
    let playback = replay_with(&recs[0], &rates_url, reversed);
    assert_eq!(playback.recorded(), playback.replayed());
    assert_eq!(
        body(playback.replayed()),
        json!({"EUR": 1.0, "USD": 1.0873})
    );
    assert_no_credentials(dir.path());
}

#[test]
fn identical_requests_with_different_responses_are_handed_out_in_recorded_order() {
    let (recs, rates_url, dir) = record(&[("GET", "/counter", Value::Null)]);
    let playback = replay_with(&recs[0], &rates_url, Variant::default());
    assert_eq!(body(playback.replayed()), json!([{"n": 1}, {"n": 2}]));
    assert_eq!(playback.recorded(), playback.replayed());
    assert_no_credentials(dir.path());
}

#[test]
fn a_streamed_response_replays_its_chunks_in_recorded_order() {
    let (recs, rates_url, dir) = record(&[("GET", "/relay", Value::Null)]);
    let playback = replay_with(&recs[0], &rates_url, Variant::default());
    let recorded = body(playback.recorded());
    let replayed = body(playback.replayed());
    assert_eq!(replayed, recorded);
    let joined: String = replayed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(joined, "one two three");
    assert_no_credentials(dir.path());
}

#[test]
fn an_unmatched_request_names_the_method_and_the_nearest_recorded_request() {
    let quote = json!({"sku": "apple", "qty": 2, "currency": "USD"});
    let (recs, rates_url, _dir) = record(&[("POST", "/quote", quote)]);
    // a volatile query parameter the middleware ignores still matches
    let timestamped = Variant {
        timestamped: true,
        ..Variant::default()
    };
    let playback = replay_with(&recs[0], &rates_url, timestamped);
    assert_eq!(playback.recorded(), playback.replayed());
    // a parameter it does not ignore is a different request
    let precise = Variant {
        precise: true,
        ..Variant::default()
    };
    let err = Replayer::new()
        .http_service(apps::shop(&rates_url, precise))
        .replay_recording(&recs[0])
        .unwrap_err();
    assert!(matches!(err, ReplayError::InputMismatch { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("input `playback::http::client`"), "{text}");
    assert!(text.contains("\"method\":\"GET\""), "{text}");
    assert!(
        text.contains(&format!("-   \"url\": \"{rates_url}/rates/USD\"")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "+   \"url\": \"{rates_url}/rates/USD?precision=4\""
        )),
        "{text}"
    );
}

#[test]
fn the_initial_state_is_a_recorded_value_a_time_based_name_replays_unchanged() {
    let (recs, rates_url, _dir) = record(&[("POST", "/jobs", Value::Null)]);
    let playback = replay_with(&recs[0], &rates_url, Variant::default());
    let recorded = body(playback.recorded());
    assert!(recorded["name"].as_str().unwrap().starts_with("job-"));
    // the clock moved on; the replay still gets the recorded name
    assert_eq!(body(playback.replayed()), recorded);
    assert_eq!(playback.recorded(), playback.replayed());
}

#[test]
fn a_hyper_client_behind_client_layer_replays_with_no_network() {
    let (recs, rates_url, dir) = record(&[("GET", "/hyper-rate", Value::Null)]);
    let playback = replay_with(&recs[0], &rates_url, Variant::default());
    assert_eq!(
        body(playback.replayed()),
        json!({"status": 200, "rate": 0.8542})
    );
    assert_eq!(playback.recorded(), playback.replayed());
    let rec = &recs[0];
    assert_eq!(rec.interceptions.len(), 1);
    assert_eq!(rec.interceptions[0].alias, "playback::http::client");
    assert_no_credentials(dir.path());
}
