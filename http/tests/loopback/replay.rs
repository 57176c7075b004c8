//! Fifty requests recorded, replayed through the router with no network: all Equal; a
//! handler change shows at `/result/body/...`; no credential is stored.

use playback::{Equalizer, Progress, Query, Recording, Replayer, Status, Store};
use playback_http::ReplayerExt as _;
use serde_json::json;

use crate::apps::{self, Variant};
use crate::support::{Server, assert_no_credentials, recorder};

/// Sends `n` requests of every kind the shop serves, as a browser with a session would.
async fn traffic(shop_url: &str, n: usize) {
    let client = reqwest::Client::new();
    let skus = ["apple", "pear", "plum", "kiwi"];
    let currencies = ["EUR", "USD", "GBP"];
    for i in 0..n {
        let req = match i % 10 {
            0 => client.get(format!("{shop_url}/pair")),
            1 => client.get(format!("{shop_url}/counter")),
            2 => client.get(format!("{shop_url}/relay")),
            3 => client.post(format!("{shop_url}/jobs")),
            _ => client.post(format!("{shop_url}/quote")).json(&json!({
                "sku": skus[i % skus.len()],
                "qty": 1 + i % 3,
                "currency": currencies[i % currencies.len()],
            })),
        };
        let res = req
            .header("authorization", "Bearer SECRET-client-token")
            .header("cookie", "session=SECRET-session")
            .header("x-tenant", "acme")
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status() == 404,
            "{}",
            res.status()
        );
        res.bytes().await.unwrap();
    }
}

#[test]
fn fifty_requests_replay_equal_with_the_rates_service_stopped_and_a_change_shows_in_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let (dispatch, guard, store) = recorder(dir.path());
    let rates = Server::start(apps::rates(), tracing::Dispatch::none());
    let rates_url = rates.url();
    let shop = Server::start(apps::shop(&rates_url, Variant::default()), dispatch);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(traffic(&shop.url(), 50));
    shop.stop();
    rates.stop(); // from here on, nothing listens: replay uses no network
    assert!(guard.flush(std::time::Duration::from_secs(10)));
    let recordings: Vec<Recording> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recordings.len(), 50);

    // the same code, with `/pair` fetching its rates in the other order
    let same = Replayer::new().http_service(apps::shop(
        &rates_url,
        Variant {
            reverse: true,
            ..Variant::default()
        },
    ));
    let report = Equalizer::new(recordings.clone())
        .replayer(same)
        .progress(Progress::Never)
        .run();
    let not_equal: Vec<String> = report
        .comparisons
        .iter()
        .filter(|c| c.status != Status::Equal)
        .map(|c| {
            format!(
                "{} {}: {:?} {:?}",
                c.category,
                c.status.as_str(),
                c.message,
                c.differences
            )
        })
        .collect();
    assert!(not_equal.is_empty(), "{not_equal:#?}");
    assert_eq!(report.counts().equal, 50);

    // a handler change: quotes differ in their body's total, nothing else changes
    let candidate = Replayer::new().http_service(apps::shop(
        &rates_url,
        Variant {
            discount: true,
            ..Variant::default()
        },
    ));
    let report = Equalizer::new(recordings)
        .replayer(candidate)
        .progress(Progress::Never)
        .run();
    let different: Vec<_> = report
        .comparisons
        .iter()
        .filter(|c| c.status == Status::Different)
        .collect();
    // the quotes of known products (a 404 for the unknown one does not change)
    let priced = (0..50).filter(|i| i % 10 >= 4 && i % 4 != 3).count();
    assert_eq!(different.len(), priced, "{:?}", report.counts());
    for c in &different {
        assert_eq!(c.category, "POST quote");
        let paths: Vec<&str> = c.differences.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["/result/body/total"], "{paths:?}");
    }
    assert_eq!(report.counts().equal, 50 - different.len());
    assert_no_credentials(dir.path());
}

#[test]
fn a_sampled_out_request_is_not_recorded_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = playback::DirStore::new(dir.path()).unwrap();
    let (layer, guard) = playback::PlaybackLayer::builder()
        .store(store.clone())
        .sample_rate("GET counter", 0.0)
        .build()
        .unwrap();
    use tracing_subscriber::prelude::*;
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let rates = Server::start(apps::rates(), tracing::Dispatch::none());
    let shop = Server::start(apps::shop(&rates.url(), Variant::default()), dispatch);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        for path in ["/counter", "/counter", "/counter"] {
            client
                .get(format!("{}{path}", shop.url()))
                .send()
                .await
                .unwrap();
        }
        let res = client
            .post(format!("{}/jobs", shop.url()))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    });
    shop.stop();
    rates.stop();
    assert!(guard.flush(std::time::Duration::from_secs(10)));
    let stats = guard.stats().snapshot();
    assert_eq!(
        (stats.recorded, stats.sampled_out, stats.filtered_out),
        (1, 3, 0)
    );
    let found = store.find(&Query::all()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].as_ref().unwrap().category, "POST jobs");
}
