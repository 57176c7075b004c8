//! Concurrent calls: 32 quotes sent at once (spawned tasks, joined) to a shop served by
//! 4 worker threads, each calling the catalog through the shared `ClientLayer` channel.
//! Every recording holds exactly its own catalog call and database read, and all replay
//! Equal with the catalog stopped.

use playback::{Equalizer, Progress, Replayer, Status};
use playback_grpc::ReplayerExt as _;
use playback_grpc_testshop::shop::PriceRequest;
use playback_grpc_testshop::shop::shop_client::ShopClient;
use serde_json::Value;

use crate::apps::{self, Variant};
use crate::support::{Server, recorder, recordings, runtime};

const SKUS: [&str; 4] = ["apple", "pear", "plum", "kiwi"];

#[test]
fn thirty_two_concurrent_calls_each_record_exactly_their_own_catalog_call() {
    let dir = tempfile::tempdir().unwrap();
    let (dispatch, guard, store) = recorder(dir.path());
    let catalog = Server::start(tracing::Dispatch::none(), apps::serve_catalog);
    let catalog_url = catalog.url();
    let shop = Server::start_multi_thread(dispatch, 4, apps::serve_shop(catalog_url.clone()));
    let rt = runtime();
    rt.block_on(async {
        let client = ShopClient::connect(shop.url()).await.unwrap();
        let calls = (0..32).map(|i| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let currency = if i % 2 == 0 { "EUR" } else { "USD" };
                let req = PriceRequest {
                    sku: SKUS[i % 4].into(),
                    currency: currency.into(),
                };
                client.quote(req).await.unwrap().into_inner()
            })
        });
        let prices = futures::future::join_all(calls).await;
        for (i, price) in prices.into_iter().enumerate() {
            assert_eq!(price.unwrap().sku, SKUS[i % 4]);
        }
    });
    shop.stop();
    catalog.stop();
    assert!(guard.flush(std::time::Duration::from_secs(10)));
    let recs = recordings(&store, "shop.Shop.Quote");
    assert_eq!(recs.len(), 32);
    for rec in &recs {
        let request: Value = rec.arg("request").unwrap();
        let sku = request["messages"][0]["json"]["sku"].as_str().unwrap();
        let currency = request["messages"][0]["json"]["currency"].as_str().unwrap();
        let aliases: Vec<&str> = rec.interceptions.iter().map(|i| i.alias.as_str()).collect();
        assert_eq!(aliases.len(), 2, "{aliases:?}");
        let call = rec
            .interceptions
            .iter()
            .find(|i| i.alias == "playback::grpc::client")
            .unwrap();
        let key = call.key.as_ref().unwrap();
        assert_eq!(key["messages"][0]["json"]["sku"], sku);
        assert_eq!(key["messages"][0]["json"]["currency"], currency);
    }
    let replayer = {
        let _entered = rt.enter();
        Replayer::new().grpc_service(apps::shop(&catalog_url, Variant::default()))
    };
    let report = Equalizer::new(recs)
        .replayer(replayer)
        .progress(Progress::Never)
        .run();
    let not_equal: Vec<_> = report
        .comparisons
        .iter()
        .filter(|c| c.status != Status::Equal)
        .collect();
    assert!(not_equal.is_empty(), "{not_equal:#?}");
    assert_eq!(report.counts().equal, 32);
}
