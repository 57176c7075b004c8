//! The shop and the catalog recorded together (both servers by `RecordLayer`, the shop's
//! catalog calls by `ClientLayer`), then replayed through `grpc_service` with the catalog
//! stopped: all Equal; a handler change shows at a JSON path; no credential is stored.

use playback::{Equalizer, Progress, Recording, Replayer, Status};
use playback_grpc::ReplayerExt as _;
use playback_grpc_testshop::shop::shop_client::ShopClient;
use playback_grpc_testshop::shop::{ListRequest, OrderLine, PriceRequest};
use tokio_stream::StreamExt as _;
use tonic::Request;

use crate::apps::{self, CatalogImpl, TOKEN, Variant};
use crate::support::{Server, assert_no_credentials, recorder, recordings, runtime};

fn authorized<T>(message: T) -> Request<T> {
    let mut req = Request::new(message);
    req.metadata_mut()
        .insert("authorization", TOKEN.parse().unwrap());
    req.metadata_mut()
        .insert("cookie", "session=SECRET-session".parse().unwrap());
    req.metadata_mut()
        .insert("x-tenant", "acme".parse().unwrap());
    req
}

/// Quotes, browses and checkouts, as a client of the shop; returns how many calls.
async fn traffic(shop_url: String) -> usize {
    let mut shop = ShopClient::connect(shop_url).await.unwrap();
    let mut calls = 0;
    for (sku, currency) in [
        ("apple", "EUR"),
        ("pear", "USD"),
        ("kiwi", "EUR"),
        ("plum", "USD"),
    ] {
        let req = PriceRequest {
            sku: sku.into(),
            currency: currency.into(),
        };
        let price = shop.quote(authorized(req)).await.unwrap().into_inner();
        assert_eq!(price.sku, sku);
        calls += 1;
    }
    // an error status is recorded as it is
    let missing = PriceRequest {
        sku: "durian".into(),
        currency: "EUR".into(),
    };
    let status = shop.quote(authorized(missing)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    calls += 1;
    for skus in [vec!["plum", "apple", "kiwi"], vec!["pear"]] {
        let req = ListRequest {
            skus: skus.iter().map(|s| s.to_string()).collect(),
        };
        let prices: Vec<_> = shop
            .browse(authorized(req))
            .await
            .unwrap()
            .into_inner()
            .collect()
            .await;
        assert_eq!(prices.len(), skus.len());
        calls += 1;
    }
    for lines in [vec![("apple", 2), ("pear", 1)], vec![("kiwi", 3)]] {
        let lines: Vec<OrderLine> = lines
            .into_iter()
            .map(|(sku, qty)| OrderLine {
                sku: sku.into(),
                qty,
            })
            .collect();
        let n = lines.len();
        let total = shop
            .checkout(authorized(tokio_stream::iter(lines)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(total.lines as usize, n);
        calls += 1;
    }
    calls
}

fn not_equal(report: &playback::Report) -> Vec<String> {
    report
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
        .collect()
}

#[test]
fn the_shop_and_the_catalog_replay_equal_with_the_catalog_stopped_and_a_change_shows_at_a_json_path()
 {
    let catalog_dir = tempfile::tempdir().unwrap();
    let shop_dir = tempfile::tempdir().unwrap();
    let (catalog_dispatch, catalog_guard, catalog_store) = recorder(catalog_dir.path());
    let (shop_dispatch, shop_guard, shop_store) = recorder(shop_dir.path());
    let catalog = Server::start(catalog_dispatch, apps::serve_catalog);
    let catalog_url = catalog.url();
    let shop = Server::start(shop_dispatch, apps::serve_shop(catalog_url.clone()));
    let rt = runtime();
    let calls = rt.block_on(traffic(shop.url()));
    shop.stop();
    catalog.stop(); // from here on nothing listens at catalog_url
    assert!(shop_guard.flush(std::time::Duration::from_secs(10)));
    assert!(catalog_guard.flush(std::time::Duration::from_secs(10)));

    let shop_recs: Vec<Recording> = ["shop.Shop.Quote", "shop.Shop.Browse", "shop.Shop.Checkout"]
        .iter()
        .flat_map(|c| recordings(&shop_store, c))
        .collect();
    assert_eq!(shop_recs.len(), calls);
    let catalog_recs: Vec<Recording> = [
        "shop.Catalog.GetPrice",
        "shop.Catalog.ListPrices",
        "shop.Catalog.Order",
    ]
    .iter()
    .flat_map(|c| recordings(&catalog_store, c))
    .collect();
    // 5 quotes, 2 lists, 3 line prices and 2 orders
    assert_eq!(catalog_recs.len(), 12);
    // the shop's calls to the catalog are inputs of its recordings
    let checkout = &recordings(&shop_store, "shop.Shop.Checkout")[0];
    let aliases: Vec<&str> = checkout
        .interceptions
        .iter()
        .map(|i| i.alias.as_str())
        .collect();
    assert_eq!(
        aliases
            .iter()
            .filter(|a| **a == "playback::grpc::client")
            .count(),
        3,
        "{aliases:?}"
    );

    // metadata is recorded (the credentials are not), and so is an error status
    let get_price = recordings(&catalog_store, "shop.Catalog.GetPrice");
    let request: serde_json::Value = get_price[0].arg("request").unwrap();
    assert_eq!(request["metadata"]["x-tenant"], "acme");
    assert_eq!(request["method"], "/shop.Catalog/GetPrice");
    let statuses: Vec<serde_json::Value> = recordings(&shop_store, "shop.Shop.Quote")
        .iter()
        .map(|r| match &r.result {
            Some(playback::OpResult::Returned { value, .. }) => {
                serde_json::from_str::<serde_json::Value>(value.get()).unwrap()["status"].clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        statuses.contains(&serde_json::json!({"code": 5, "message": "no such sku: durian"})),
        "{statuses:?}"
    );
    // a trailers-only reply is whole, not cut
    let missing = recordings(&catalog_store, "shop.Catalog.GetPrice")
        .into_iter()
        .find(|r| {
            r.arg::<serde_json::Value>("request").unwrap()["messages"][0]["json"]["sku"] == "durian"
        })
        .unwrap();
    let Some(playback::OpResult::Returned { value, .. }) = &missing.result else {
        panic!()
    };
    let reply: serde_json::Value = serde_json::from_str(value.get()).unwrap();
    assert_eq!(reply["status"]["code"], 5);
    assert!(reply.get("truncated").is_none(), "{reply}");

    // the lazy channels of the replayed shop need a runtime to be made in
    let _entered = rt.enter();
    let replayer = Replayer::new().grpc_service(apps::shop(&catalog_url, Variant::default()));
    let report = Equalizer::new(shop_recs.clone())
        .replayer(replayer)
        .progress(Progress::Never)
        .run();
    assert!(not_equal(&report).is_empty(), "{:#?}", not_equal(&report));
    assert_eq!(report.counts().equal, calls);

    let replayer = Replayer::new().grpc_service(apps::catalog(CatalogImpl::default()));
    let report = Equalizer::new(catalog_recs)
        .replayer(replayer)
        .progress(Progress::Never)
        .run();
    assert!(not_equal(&report).is_empty(), "{:#?}", not_equal(&report));
    assert_eq!(report.counts().equal, 12);

    // a handler change: quotes take 10 cents off; the diff is on the message's JSON
    let changed = Replayer::new().grpc_service(apps::shop(
        &catalog_url,
        Variant {
            discount: true,
            ..Variant::default()
        },
    ));
    let report = Equalizer::new(shop_recs)
        .replayer(changed)
        .progress(Progress::Never)
        .run();
    let different: Vec<_> = report
        .comparisons
        .iter()
        .filter(|c| c.status == Status::Different)
        .collect();
    assert_eq!(different.len(), 4, "{:#?}", not_equal(&report));
    for c in &different {
        assert_eq!(c.category, "shop.Shop.Quote");
        let paths: Vec<&str> = c.differences.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["/result/messages/0/json/cents"], "{paths:?}");
    }
    assert_eq!(report.counts().equal, calls - 4);
    assert_no_credentials(shop_dir.path());
    assert_no_credentials(catalog_dir.path());
}
