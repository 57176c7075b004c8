//! The two services: a catalog (the backend) and a shop that calls it through a channel
//! wrapped in `ClientLayer`, with a database read (`playback::input`) of its own.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use playback_grpc::{ClientLayer, ClientService, DescriptorPool, RecordLayer};
use playback_grpc_testshop::shop::catalog_client::CatalogClient;
use playback_grpc_testshop::shop::catalog_server::{Catalog, CatalogServer};
use playback_grpc_testshop::shop::shop_server::{Shop, ShopServer};
use playback_grpc_testshop::shop::{ListRequest, OrderLine, OrderTotal, Price, PriceRequest};
use tokio_stream::{Stream, StreamExt as _};
use tonic::transport::Channel;
use tonic::{Request, Response, Status, Streaming};
use tower_layer::Layer as _;

type PriceStream = Pin<Box<dyn Stream<Item = Result<Price, Status>> + Send>>;

/// Every secret the tests send contains `SECRET`: none may be stored.
pub(crate) const TOKEN: &str = "Bearer SECRET-shop-token";

pub(crate) fn pool() -> DescriptorPool {
    playback_grpc_testshop::descriptor_pool()
}

/// The catalog: a price list, counting how often each sku was priced.
#[derive(Clone, Default)]
pub(crate) struct CatalogImpl {
    served: Arc<Mutex<HashMap<String, u64>>>,
}

fn list_price(sku: &str) -> Option<i64> {
    match sku {
        "apple" => Some(120),
        "pear" => Some(95),
        "plum" => Some(60),
        "kiwi" => Some(45),
        _ => None,
    }
}

impl CatalogImpl {
    fn price(&self, sku: &str, currency: &str) -> Result<Price, Status> {
        let cents =
            list_price(sku).ok_or_else(|| Status::not_found(format!("no such sku: {sku}")))?;
        let cents = if currency == "USD" {
            cents * 11 / 10
        } else {
            cents
        };
        // the counter is the catalog's state, read as an input (as a database would be)
        let served = playback::input("catalog::served", sku, || {
            let mut served = self.served.lock().unwrap();
            let n = served.entry(sku.to_owned()).or_default();
            *n += 1;
            *n
        });
        Ok(Price {
            sku: sku.to_owned(),
            cents,
            currency: currency.to_owned(),
            served,
        })
    }
}

#[tonic::async_trait]
impl Catalog for CatalogImpl {
    async fn get_price(&self, req: Request<PriceRequest>) -> Result<Response<Price>, Status> {
        let req = req.into_inner();
        Ok(Response::new(self.price(&req.sku, &req.currency)?))
    }

    type ListPricesStream = PriceStream;

    async fn list_prices(
        &self,
        req: Request<ListRequest>,
    ) -> Result<Response<PriceStream>, Status> {
        let prices: Vec<Result<Price, Status>> = req
            .into_inner()
            .skus
            .iter()
            .map(|sku| self.price(sku, "EUR"))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(prices))))
    }

    async fn order(
        &self,
        req: Request<Streaming<OrderLine>>,
    ) -> Result<Response<OrderTotal>, Status> {
        let mut lines = req.into_inner();
        let mut total = OrderTotal::default();
        while let Some(line) = lines.next().await {
            let line = line?;
            let cents = list_price(&line.sku)
                .ok_or_else(|| Status::not_found(format!("no such sku: {}", line.sku)))?;
            total.cents += cents * i64::from(line.qty);
            total.lines += 1;
        }
        Ok(Response::new(total))
    }
}

/// The layer both servers record with: readable JSON from the descriptor pool.
pub(crate) fn layer() -> RecordLayer {
    RecordLayer::builder().descriptor_pool(pool()).build()
}

/// The catalog service as `grpc_service` replays it: wrapped in its `RecordLayer`.
pub(crate) fn catalog(
    state: CatalogImpl,
) -> playback_grpc::RecordService<CatalogServer<CatalogImpl>> {
    layer().layer(CatalogServer::new(state))
}

/// Serves the catalog (recorded by `RecordLayer`) until `shutdown`.
pub(crate) async fn serve_catalog(
    incoming: tokio_stream::wrappers::TcpListenerStream,
    shutdown: crate::support::Shutdown,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .layer(layer())
        .add_service(CatalogServer::new(CatalogImpl::default()))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// How the shop's code differs from the recorded one.
#[derive(Clone, Copy, Default)]
pub(crate) struct Variant {
    /// `Checkout` prices its lines last to first (same requests, another order).
    pub(crate) reverse: bool,
    /// A handler change: `Quote` takes 10 cents off.
    pub(crate) discount: bool,
    /// `Quote` asks the catalog in lowercase currency (a request never recorded).
    pub(crate) lowercase: bool,
}

pub(crate) type CatalogChannel = CatalogClient<ClientService<Channel>>;

/// A catalog client through `ClientLayer`: `Channel::from_shared(url).connect_lazy()`
/// (needs a runtime context), so nothing connects until a call is sent live.
pub(crate) fn catalog_client(url: &str) -> CatalogChannel {
    let channel = Channel::from_shared(url.to_owned()).unwrap().connect_lazy();
    let layer = ClientLayer::builder().descriptor_pool(pool()).build();
    CatalogClient::new(tower::ServiceBuilder::new().layer(layer).service(channel))
}

#[derive(Clone)]
pub(crate) struct ShopImpl {
    pub(crate) catalog: CatalogChannel,
    pub(crate) variant: Variant,
}

/// The shop's markup in percent, read from its database (an input).
fn markup(sku: &str) -> i64 {
    playback::input("db::markup", sku, || if sku == "kiwi" { 150 } else { 110 })
}

fn with_token<T>(message: T) -> Request<T> {
    let mut req = Request::new(message);
    req.metadata_mut()
        .insert("authorization", TOKEN.parse().unwrap());
    req.metadata_mut()
        .insert("x-tenant", "acme".parse().unwrap());
    req
}

#[tonic::async_trait]
impl Shop for ShopImpl {
    async fn quote(&self, req: Request<PriceRequest>) -> Result<Response<Price>, Status> {
        let mut req = req.into_inner();
        if self.variant.lowercase {
            req.currency = req.currency.to_lowercase();
        }
        let mut price = self
            .catalog
            .clone()
            .get_price(with_token(req))
            .await?
            .into_inner();
        price.cents = price.cents * markup(&price.sku) / 100;
        if self.variant.discount {
            price.cents -= 10;
        }
        Ok(Response::new(price))
    }

    type BrowseStream = PriceStream;

    async fn browse(&self, req: Request<ListRequest>) -> Result<Response<PriceStream>, Status> {
        let mut stream = self
            .catalog
            .clone()
            .list_prices(with_token(req.into_inner()))
            .await?
            .into_inner();
        let mut prices = Vec::new();
        while let Some(price) = stream.next().await {
            let mut price = price?;
            price.cents = price.cents * markup(&price.sku) / 100;
            prices.push(Ok(price));
        }
        Ok(Response::new(Box::pin(tokio_stream::iter(prices))))
    }

    async fn checkout(
        &self,
        req: Request<Streaming<OrderLine>>,
    ) -> Result<Response<OrderTotal>, Status> {
        let mut stream = req.into_inner();
        let mut lines = Vec::new();
        while let Some(line) = stream.next().await {
            lines.push(line?);
        }
        // price each line (same requests, in either order)
        let mut order: Vec<usize> = (0..lines.len()).collect();
        if self.variant.reverse {
            order.reverse();
        }
        let mut served = vec![0; lines.len()];
        let mut catalog = self.catalog.clone();
        for i in order {
            let req = PriceRequest {
                sku: lines[i].sku.clone(),
                currency: "EUR".into(),
            };
            served[i] = catalog
                .get_price(with_token(req))
                .await?
                .into_inner()
                .served;
        }
        let sent = tokio_stream::iter(lines.clone());
        let mut total = catalog.order(with_token(sent)).await?.into_inner();
        total.served = served;
        Ok(Response::new(total))
    }
}

/// The shop service as `grpc_service` replays it (wrapped in its `RecordLayer`), calling
/// the catalog at `catalog_url`; needs a runtime context.
pub(crate) fn shop(
    catalog_url: &str,
    variant: Variant,
) -> playback_grpc::RecordService<ShopServer<ShopImpl>> {
    layer().layer(ShopServer::new(ShopImpl {
        catalog: catalog_client(catalog_url),
        variant,
    }))
}

/// Serves the shop (recorded by `RecordLayer`), calling the catalog at `catalog_url`.
pub(crate) fn serve_shop(
    catalog_url: String,
) -> impl FnOnce(
    tokio_stream::wrappers::TcpListenerStream,
    crate::support::Shutdown,
) -> Pin<Box<dyn std::future::Future<Output = Result<(), tonic::transport::Error>>>>
+ Send
+ 'static {
    move |incoming, shutdown| {
        // in the server's runtime: the lazy channel's worker runs there
        let shop = ShopServer::new(ShopImpl {
            catalog: catalog_client(&catalog_url),
            variant: Variant::default(),
        });
        Box::pin(async move {
            tonic::transport::Server::builder()
                .layer(layer())
                .add_service(shop)
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        })
    }
}
