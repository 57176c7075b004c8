//! Records a tonic service and the tonic calls it makes, each with one `.layer(..)`
//! line, then stops the service it calls and replays every recording with no network.
//!
//! ```sh
//! cargo run --example grpc --features grpc
//! ```
//!
//! The shop (tonic) quotes prices: it reads its markup from a database (an input) and
//! asks a catalog service for the list price (`ClientLayer` around the channel). Each
//! call to the shop is an operation (`RecordLayer`, with a descriptor pool so messages
//! are readable JSON). The replay sends each recorded call through the same service
//! (`Replayer::grpc_service`) with the catalog stopped: all Equal; then through a
//! candidate with a discount, which the report shows at `/result/messages/0/json/cents`.
//! The services come from `grpc/proto/shop.proto` (crate `playback-grpc-testshop`).

use std::pin::Pin;

use playback::grpc::{ClientLayer, ClientService, RecordLayer, ReplayerExt as _};
use playback::{DirStore, Equalizer, PlaybackLayer, Progress, Query, Replayer, Status, Store};
use playback_grpc_testshop::shop::catalog_client::CatalogClient;
use playback_grpc_testshop::shop::catalog_server::{Catalog, CatalogServer};
use playback_grpc_testshop::shop::shop_client::ShopClient;
use playback_grpc_testshop::shop::shop_server::{Shop, ShopServer};
use playback_grpc_testshop::shop::{ListRequest, OrderLine, OrderTotal, Price, PriceRequest};
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status as GrpcStatus, Streaming};
use tower::Layer as _;
use tracing_subscriber::prelude::*;

type Prices = Pin<Box<dyn futures::Stream<Item = Result<Price, GrpcStatus>> + Send>>;

/// The catalog: list prices (only `GetPrice` is used here).
struct ListPrices;

#[tonic::async_trait]
impl Catalog for ListPrices {
    async fn get_price(&self, req: Request<PriceRequest>) -> Result<Response<Price>, GrpcStatus> {
        let req = req.into_inner();
        let cents = match req.sku.as_str() {
            "apple" => 120,
            "pear" => 95,
            _ => return Err(GrpcStatus::not_found(format!("no such sku: {}", req.sku))),
        };
        Ok(Response::new(Price {
            sku: req.sku,
            cents,
            currency: req.currency,
            served: 1,
        }))
    }
    type ListPricesStream = Prices;
    async fn list_prices(&self, _: Request<ListRequest>) -> Result<Response<Prices>, GrpcStatus> {
        Err(GrpcStatus::unimplemented("not in this example"))
    }
    async fn order(
        &self,
        _: Request<Streaming<OrderLine>>,
    ) -> Result<Response<OrderTotal>, GrpcStatus> {
        Err(GrpcStatus::unimplemented("not in this example"))
    }
}

/// The shop: the catalog's price with its markup, and a discount in the candidate.
#[derive(Clone)]
struct Quotes {
    catalog: CatalogClient<ClientService<Channel>>,
    discount: bool,
}

#[tonic::async_trait]
impl Shop for Quotes {
    async fn quote(&self, req: Request<PriceRequest>) -> Result<Response<Price>, GrpcStatus> {
        let mut price = self
            .catalog
            .clone()
            .get_price(req.into_inner())
            .await?
            .into_inner();
        let markup: i64 = playback::input("db::markup", &price.sku, || 110);
        price.cents = price.cents * markup / 100 - if self.discount { 10 } else { 0 };
        Ok(Response::new(price))
    }
    type BrowseStream = Prices;
    async fn browse(&self, _: Request<ListRequest>) -> Result<Response<Prices>, GrpcStatus> {
        Err(GrpcStatus::unimplemented("not in this example"))
    }
    async fn checkout(
        &self,
        _: Request<Streaming<OrderLine>>,
    ) -> Result<Response<OrderTotal>, GrpcStatus> {
        Err(GrpcStatus::unimplemented("not in this example"))
    }
}

fn record_layer() -> RecordLayer {
    RecordLayer::builder()
        .descriptor_pool(playback_grpc_testshop::descriptor_pool())
        .build()
}

/// The shop, calling the catalog at `url` through `ClientLayer` (a lazy channel: in a
/// replay nothing needs to listen there). Needs a runtime context.
fn shop(url: &str, discount: bool) -> ShopServer<Quotes> {
    let channel = Channel::from_shared(url.to_owned())
        .expect("a URL")
        .connect_lazy();
    let layer = ClientLayer::builder()
        .descriptor_pool(playback_grpc_testshop::descriptor_pool())
        .build();
    let catalog = CatalogClient::new(tower::ServiceBuilder::new().layer(layer).service(channel));
    ShopServer::new(Quotes { catalog, discount })
}

/// A listener on loopback, as the stream of connections tonic serves, and its URL.
async fn listen() -> std::io::Result<(tokio_stream::wrappers::TcpListenerStream, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    Ok((
        tokio_stream::wrappers::TcpListenerStream::new(listener),
        url,
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = DirStore::new(dir.path())?;
    let (layer, guard) = PlaybackLayer::builder().store(store.clone()).build()?;
    let _default = tracing_subscriber::registry().with(layer).set_default();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let catalog_url = rt.block_on(async {
        let (incoming, catalog_url) = listen().await?;
        let catalog = tokio::spawn(
            Server::builder()
                .add_service(CatalogServer::new(ListPrices))
                .serve_with_incoming(incoming),
        );
        let (incoming, shop_url) = listen().await?;
        let shop = Server::builder()
            .layer(record_layer()) // the shop is recorded: one line
            .add_service(shop(&catalog_url, false));
        tokio::spawn(shop.serve_with_incoming(incoming));
        let mut client = ShopClient::connect(shop_url).await?;
        for (sku, currency) in [("apple", "EUR"), ("pear", "EUR"), ("apple", "USD")] {
            let price = client
                .quote(PriceRequest {
                    sku: sku.into(),
                    currency: currency.into(),
                })
                .await?;
            println!("quoted {sku}: {} cents", price.into_inner().cents);
        }
        catalog.abort(); // from here on, nothing answers at catalog_url
        Ok::<_, Box<dyn std::error::Error>>(catalog_url)
    })?;
    guard.flush(std::time::Duration::from_secs(5));
    let recordings = store.find(&Query::category("shop.Shop.Quote"))?;
    println!("recorded {} calls", recordings.len());

    // replay through the same service, wrapped in the layer it records with
    let (same, candidate) = {
        let _entered = rt.enter();
        (shop(&catalog_url, false), shop(&catalog_url, true))
    };
    let report = Equalizer::new(store.find(&Query::category("shop.Shop.Quote"))?)
        .replayer(Replayer::new().grpc_service(record_layer().layer(same)))
        .progress(Progress::Never)
        .run();
    println!(
        "same code: {} of {} Equal",
        report.counts().equal,
        report.comparisons.len()
    );
    assert_eq!(report.counts().equal, 3);

    let report = Equalizer::new(recordings)
        .replayer(Replayer::new().grpc_service(record_layer().layer(candidate)))
        .progress(Progress::Never)
        .run();
    for c in report
        .comparisons
        .iter()
        .filter(|c| c.status == Status::Different)
    {
        for d in &c.differences {
            println!(
                "candidate: {} differs at {}: {:?} -> {:?}",
                c.category, d.path, d.recorded, d.replayed
            );
        }
    }
    assert_eq!(report.counts().different, 3);
    Ok(())
}
