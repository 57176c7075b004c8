//! Concurrent requests on a multi-thread server: each request is its own recording,
//! holding exactly its own database read and outgoing call, and every one replays Equal.

use playback::{Equalizer, Progress, Query, Recording, Replayer, Status, Store};
use playback_http::ReplayerExt as _;
use serde_json::json;

use crate::apps::{self, Variant};
use crate::support::{Server, recorder};

const REQUESTS: usize = 64;

#[test]
fn sixty_four_concurrent_requests_on_four_workers_each_record_only_their_own_calls() {
    let dir = tempfile::tempdir().unwrap();
    let (dispatch, guard, store) = recorder(dir.path());
    let rates = Server::start(apps::rates(), tracing::Dispatch::none());
    let rates_url = rates.url();
    let shop = Server::start_multi_thread(apps::shop(&rates_url, Variant::default()), dispatch, 4);
    let skus = ["apple", "pear", "plum"];
    let currencies = ["EUR", "USD", "GBP"];
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let tasks = (0..REQUESTS).map(|i| {
            let (client, url) = (client.clone(), format!("{}/quote", shop.url()));
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .json(&json!({
                        "sku": skus[i % 3],
                        "qty": 1 + i,
                        "currency": currencies[(i / 3) % 3],
                    }))
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "{}", res.status());
                res.bytes().await.unwrap();
            })
        });
        for result in futures::future::join_all(tasks).await {
            result.unwrap();
        }
    });
    shop.stop();
    rates.stop();
    assert!(guard.flush(std::time::Duration::from_secs(10)));

    let recordings: Vec<Recording> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recordings.len(), REQUESTS);
    for rec in &recordings {
        let request: serde_json::Value = serde_json::from_str(rec.args["request"].get()).unwrap();
        let body = &request["body"];
        let (sku, currency) = (
            body["sku"].as_str().unwrap(),
            body["currency"].as_str().unwrap(),
        );
        // exactly this request's own database read and rates call, nobody else's
        assert_eq!(rec.interceptions.len(), 2, "{:#?}", rec.interceptions);
        let keys: Vec<String> = rec
            .interceptions
            .iter()
            .map(|i| i.key.as_ref().unwrap().to_string())
            .collect();
        assert!(
            keys.iter().any(|k| k == &json!(sku).to_string()),
            "{keys:?}"
        );
        assert!(
            keys.iter()
                .any(|k| k.contains(&format!("/rates/{currency}"))),
            "{keys:?} for {currency}"
        );
    }

    // replay with nothing listening: every request Equal
    let report = Equalizer::new(recordings)
        .replayer(Replayer::new().http_service(apps::shop(&rates_url, Variant::default())))
        .progress(Progress::Never)
        .run();
    let not_equal: Vec<_> = report
        .comparisons
        .iter()
        .filter(|c| c.status != Status::Equal)
        .map(|c| (c.status, c.message.clone(), c.differences.clone()))
        .collect();
    assert!(not_equal.is_empty(), "{not_equal:#?}");
    assert_eq!(report.counts().equal, REQUESTS);
}
