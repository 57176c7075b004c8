//! What a replay through `grpc_service` refuses, with a message that says what to do: a
//! call whose messages were cut at `max_message_bytes`, and a service with no
//! `RecordLayer`.

use playback::Replayer;
use playback_grpc::{RecordLayer, ReplayerExt as _};
use playback_grpc_testshop::shop::PriceRequest;
use playback_grpc_testshop::shop::catalog_client::CatalogClient;
use playback_grpc_testshop::shop::catalog_server::CatalogServer;
use serde_json::Value;

use crate::apps::{self, CatalogImpl};
use crate::support::{Server, recorder, recordings, runtime};

/// Records one `GetPrice` through a catalog whose layer keeps `max` message bytes.
fn record_get_price(max: usize) -> (playback::Recording, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (dispatch, guard, store) = recorder(dir.path());
    let catalog = Server::start(dispatch, move |incoming, shutdown| async move {
        tonic::transport::Server::builder()
            .layer(
                RecordLayer::builder()
                    .descriptor_pool(apps::pool())
                    .max_message_bytes(max)
                    .build(),
            )
            .add_service(CatalogServer::new(CatalogImpl::default()))
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await
    });
    runtime().block_on(async {
        let mut client = CatalogClient::connect(catalog.url()).await.unwrap();
        let req = PriceRequest {
            sku: "apple".into(),
            currency: "EUR".into(),
        };
        // the call itself is never cut
        assert_eq!(client.get_price(req).await.unwrap().into_inner().cents, 120);
    });
    catalog.stop();
    assert!(guard.flush(std::time::Duration::from_secs(10)));
    (recordings(&store, "shop.Catalog.GetPrice").remove(0), dir)
}

#[test]
fn messages_past_max_message_bytes_are_marked_truncated_and_the_replay_says_to_raise_it() {
    let (rec, _dir) = record_get_price(8);
    let request: Value = rec.arg("request").unwrap();
    assert_eq!(request["truncated"], true);
    assert_eq!(request["messages"], serde_json::json!([]));
    let err = Replayer::new()
        .grpc_service(apps::catalog(CatalogImpl::default()))
        .replay_recording(&rec)
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("/shop.Catalog/GetPrice"), "{text}");
    assert!(text.contains("max_message_bytes"), "{text}");
}

#[test]
fn a_service_without_a_record_layer_is_a_replay_error_that_says_to_wrap_it() {
    let (rec, _dir) = record_get_price(1024);
    let err = Replayer::new()
        .grpc_service(CatalogServer::new(CatalogImpl::default()))
        .replay_recording(&rec)
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "no playback_grpc::RecordLayer took the recorded call /shop.Catalog/GetPrice"
        ),
        "{text}"
    );
}
