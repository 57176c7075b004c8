//! rpcreplay's documented behaviours, one test each, on the gRPC client side (the shop's
//! calls to the catalog, replayed through `grpc_service` with the catalog stopped):
//! matching by method and contents, identical requests in recorded order, streams in
//! recorded order, a clear error for an unmatched request.

use std::future::Future;

use playback::{Recording, ReplayError, Replayer};
use playback_grpc::ReplayerExt as _;
use playback_grpc_testshop::shop::shop_client::ShopClient;
use playback_grpc_testshop::shop::{ListRequest, OrderLine, PriceRequest};
use serde_json::{Value, json};
use tokio_stream::StreamExt as _;
use tonic::transport::Channel;

use crate::apps::{self, Variant};
use crate::support::{Server, assert_no_credentials, recorder, recordings, runtime};

/// Records the shop answering what `calls` sends; returns the recordings of `category`,
/// the stopped catalog's URL, the runtime and the store's directory.
fn record<F, Fut>(
    category: &str,
    calls: F,
) -> (
    Vec<Recording>,
    String,
    tokio::runtime::Runtime,
    tempfile::TempDir,
)
where
    F: FnOnce(ShopClient<Channel>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let (dispatch, guard, store) = recorder(dir.path());
    let catalog = Server::start(tracing::Dispatch::none(), apps::serve_catalog);
    let catalog_url = catalog.url();
    let shop = Server::start(dispatch, apps::serve_shop(catalog_url.clone()));
    let rt = runtime();
    rt.block_on(async {
        let client = ShopClient::connect(shop.url()).await.unwrap();
        calls(client).await;
    });
    shop.stop();
    catalog.stop();
    assert!(guard.flush(std::time::Duration::from_secs(10)));
    let recs = recordings(&store, category);
    assert_eq!(recs.len(), 1);
    (recs, catalog_url, rt, dir)
}

fn replay(
    rec: &Recording,
    catalog_url: &str,
    rt: &tokio::runtime::Runtime,
    variant: Variant,
) -> Result<playback::Playback, ReplayError> {
    // the lazy channel is made in a runtime; the replay runs outside of it
    let shop = {
        let _entered = rt.enter();
        apps::shop(catalog_url, variant)
    };
    Replayer::new().grpc_service(shop).replay_recording(rec)
}

fn lines(skus: &[&str]) -> Vec<OrderLine> {
    skus.iter()
        .map(|s| OrderLine {
            sku: s.to_string(),
            qty: 1,
        })
        .collect()
}

fn first_message(side: &playback::Side) -> Value {
    side.result()["messages"][0]["json"].clone()
}

#[test]
fn calls_match_by_method_and_contents_when_the_call_order_changes() {
    let (recs, url, rt, dir) = record("shop.Shop.Checkout", |mut shop| async move {
        shop.checkout(tokio_stream::iter(lines(&["apple", "pear", "kiwi"])))
            .await
            .unwrap();
    });
    let reversed = Variant {
        reverse: true,
        ..Variant::default()
    };
    let playback = replay(&recs[0], &url, &rt, reversed).unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
    assert_eq!(
        first_message(playback.replayed()),
        json!({"cents": "260", "lines": 3, "served": ["1", "1", "1"]})
    );
    assert_no_credentials(dir.path());
}

#[test]
fn identical_requests_with_different_responses_are_handed_out_in_recorded_order() {
    let (recs, url, rt, dir) = record("shop.Shop.Checkout", |mut shop| async move {
        shop.checkout(tokio_stream::iter(lines(&["plum", "plum", "plum"])))
            .await
            .unwrap();
    });
    let playback = replay(&recs[0], &url, &rt, Variant::default()).unwrap();
    assert_eq!(
        first_message(playback.replayed()),
        json!({"cents": "180", "lines": 3, "served": ["1", "2", "3"]})
    );
    assert_eq!(playback.recorded(), playback.replayed());
    assert_no_credentials(dir.path());
}

#[test]
fn streamed_messages_replay_in_recorded_order() {
    let (recs, url, rt, dir) = record("shop.Shop.Browse", |mut shop| async move {
        let skus = ["kiwi", "apple", "plum", "pear"].map(String::from).to_vec();
        let got: Vec<String> = shop
            .browse(ListRequest { skus })
            .await
            .unwrap()
            .into_inner()
            .map(|p| p.unwrap().sku)
            .collect()
            .await;
        assert_eq!(got, ["kiwi", "apple", "plum", "pear"]);
    });
    let playback = replay(&recs[0], &url, &rt, Variant::default()).unwrap();
    let skus: Vec<&str> = playback.replayed().result()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["json"]["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["kiwi", "apple", "plum", "pear"]);
    assert_eq!(playback.recorded(), playback.replayed());
    // the shop's input is the catalog's stream, in its recorded order
    let input = &recs[0]
        .interceptions
        .iter()
        .find(|i| i.alias == "playback::grpc::client")
        .unwrap();
    let value: Value = serde_json::from_str(input.value.as_ref().unwrap().get()).unwrap();
    let streamed: Vec<&str> = value["Ok"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["json"]["sku"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, ["kiwi", "apple", "plum", "pear"]);
    assert_no_credentials(dir.path());
}

#[test]
fn an_unmatched_request_names_the_method_and_the_nearest_recorded_request() {
    let (recs, url, rt, _dir) = record("shop.Shop.Quote", |mut shop| async move {
        let req = PriceRequest {
            sku: "pear".into(),
            currency: "USD".into(),
        };
        shop.quote(req).await.unwrap();
    });
    let lowercase = Variant {
        lowercase: true,
        ..Variant::default()
    };
    let err = replay(&recs[0], &url, &rt, lowercase).unwrap_err();
    assert!(matches!(err, ReplayError::InputMismatch { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("input `playback::grpc::client`"), "{text}");
    assert!(
        text.contains("\"method\":\"/shop.Catalog/GetPrice\""),
        "{text}"
    );
    assert!(text.contains("nearest recorded key"), "{text}");
    assert!(text.contains("-         \"currency\": \"USD\","), "{text}");
    assert!(text.contains("+         \"currency\": \"usd\","), "{text}");
}
