//! The client side alone: an operation that calls the catalog (unary, server-streaming
//! and client-streaming) through `ClientLayer`, replayed on a `connect_lazy` channel to
//! the stopped catalog's address.

use playback::{Query, Replayer, Store};
use playback_grpc_testshop::shop::{ListRequest, OrderLine, PriceRequest};
use serde_json::json;
use tokio_stream::StreamExt as _;

use crate::apps::{self, CatalogChannel};
use crate::support::{Server, assert_no_credentials, recorder, runtime};

/// Prices a basket: one unary call per sku, one server-streaming list, one
/// client-streaming order.
#[playback::instrument(playback = "operation", skip(catalog))]
async fn basket(catalog: CatalogChannel, skus: Vec<String>) -> serde_json::Value {
    let mut catalog = catalog;
    let mut quotes = Vec::new();
    for sku in &skus {
        let req = PriceRequest {
            sku: sku.clone(),
            currency: "USD".into(),
        };
        quotes.push(catalog.get_price(req).await.unwrap().into_inner().cents);
    }
    let listed: Vec<i64> = catalog
        .list_prices(ListRequest { skus: skus.clone() })
        .await
        .unwrap()
        .into_inner()
        .map(|p| p.unwrap().cents)
        .collect()
        .await;
    let lines: Vec<OrderLine> = skus
        .iter()
        .map(|s| OrderLine {
            sku: s.clone(),
            qty: 2,
        })
        .collect();
    let total = catalog
        .order(tokio_stream::iter(lines))
        .await
        .unwrap()
        .into_inner();
    let missing = catalog
        .get_price(PriceRequest {
            sku: "durian".into(),
            currency: "EUR".into(),
        })
        .await
        .unwrap_err();
    json!({"quotes": quotes, "listed": listed, "total": total.cents, "missing": missing.message()})
}

#[test]
fn client_calls_replay_with_no_network_on_a_lazy_channel_to_a_dead_address() {
    let dir = tempfile::tempdir().unwrap();
    let (dispatch, guard, store) = recorder(dir.path());
    let catalog = Server::start(tracing::Dispatch::none(), apps::serve_catalog);
    let url = catalog.url();
    let rt = runtime();
    let skus: Vec<String> = vec!["apple".into(), "kiwi".into()];
    let recorded = {
        let _default = tracing::dispatcher::set_default(&dispatch);
        rt.block_on(basket(apps_client(&rt, &url), skus.clone()))
    };
    assert_eq!(
        recorded,
        json!({"quotes": [132, 49], "listed": [120, 45], "total": 330, "missing": "no such sku: durian"})
    );
    catalog.stop(); // nothing listens at `url` any more
    assert!(guard.flush(std::time::Duration::from_secs(10)));
    let rec = store
        .find(&Query::category("basket"))
        .unwrap()
        .remove(0)
        .unwrap();
    assert_eq!(rec.interceptions.len(), 5);

    let playback = rt
        .block_on(Replayer::new().replay_async(&rec, basket(apps_client(&rt, &url), skus)))
        .unwrap();
    assert_eq!(playback.replayed().result(), &recorded);
    assert_eq!(playback.recorded(), playback.replayed());
    assert_no_credentials(dir.path());
}

fn apps_client(rt: &tokio::runtime::Runtime, url: &str) -> CatalogChannel {
    let _entered = rt.enter();
    apps::catalog_client(url)
}
