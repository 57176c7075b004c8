//! Record and replay gRPC services with [playback](https://docs.rs/playback), with one
//! `.layer(..)` line on each side, as rpcreplay does for Go clients and more:
//!
//! - **Server:** [`RecordLayer`], a `tower::Layer` for tonic servers
//!   (`Server::builder().layer(..)`). Each RPC is an operation, named by its full
//!   method: the request messages, metadata, response messages, status and trailers are
//!   recorded, streams in order.
//! - **Client:** [`ClientLayer`], a `tower::Layer` around a tonic `Channel`. Each call
//!   inside an operation is an input keyed by method and request messages; its reply is
//!   replayed with no network (a `connect_lazy` channel to an address where nothing
//!   listens will do).
//! - **Replay:** [`ReplayerExt::grpc_service`] replays a server recording by sending the
//!   recorded call through the service itself, so no factory per method is needed.
//!
//! Messages are stored as base64 of their protobuf bytes, and as readable JSON when the
//! layer has a `prost_reflect::DescriptorPool` (then diffs are made on the JSON).
//! Metadata is filtered like HTTP headers ([`HeaderFilter`], shared with
//! `playback::http`): `authorization`, `cookie` and `set-cookie` are never stored.
//!
//! ```
//! use playback_grpc::RecordLayer;
//! use playback_grpc_testshop::shop::{catalog_server::{Catalog, CatalogServer}, *};
//! use playback_store::{MemoryStore, Query, Store};
//! use tower::ServiceExt as _;
//! use tower_layer::Layer as _;
//! use tracing_subscriber::prelude::*;
//!
//! struct Prices;
//! #[tonic::async_trait]
//! impl Catalog for Prices {
//!     async fn get_price(&self, req: tonic::Request<PriceRequest>) -> Result<tonic::Response<Price>, tonic::Status> {
//!         let req = req.into_inner();
//!         Ok(tonic::Response::new(Price { sku: req.sku, cents: 120, currency: req.currency, served: 1 }))
//!     }
//!     type ListPricesStream = tokio_stream::Empty<Result<Price, tonic::Status>>;
//!     async fn list_prices(&self, _: tonic::Request<ListRequest>) -> Result<tonic::Response<Self::ListPricesStream>, tonic::Status> {
//!         Ok(tonic::Response::new(tokio_stream::empty()))
//!     }
//!     async fn order(&self, _: tonic::Request<tonic::Streaming<OrderLine>>) -> Result<tonic::Response<OrderTotal>, tonic::Status> {
//!         Err(tonic::Status::unimplemented("orders"))
//!     }
//! }
//!
//! let layer = RecordLayer::builder().descriptor_pool(playback_grpc_testshop::descriptor_pool()).build();
//! let svc = layer.layer(CatalogServer::new(Prices));
//!
//! let store = MemoryStore::new();
//! let (recorder, guard) = playback_layer::PlaybackLayer::builder().store(store.clone()).build()?;
//! let _default = tracing_subscriber::registry().with(recorder).set_default();
//! // one unary call, framed as a client sends it: 0 (not compressed), the length, the message
//! let message = prost::Message::encode_to_vec(&PriceRequest { sku: "apple".into(), currency: "EUR".into() });
//! let mut body = vec![0];
//! body.extend_from_slice(&(message.len() as u32).to_be_bytes());
//! body.extend_from_slice(&message);
//! let req = http::Request::post("/shop.Catalog/GetPrice")
//!     .header("content-type", "application/grpc")
//!     .body(tonic::body::Body::new(http_body_util::Full::new(bytes::Bytes::from(body))))?;
//! let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! rt.block_on(async {
//!     let res = svc.oneshot(req).await.unwrap();
//!     http_body_util::BodyExt::collect(res.into_body()).await.unwrap();
//! });
//! guard.flush(std::time::Duration::from_secs(5));
//! let rec = store.find(&Query::category("shop.Catalog.GetPrice"))?.remove(0)?;
//! let Some(playback_store::OpResult::Returned { value, .. }) = &rec.result else { panic!() };
//! let reply: playback_grpc::RecordedReply = serde_json::from_str(value.get())?;
//! assert_eq!(reply.status.code, 0);
//! assert_eq!(reply.messages[0].json, Some(serde_json::json!({"sku": "apple", "cents": "120", "currency": "EUR", "served": "1"})));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Feature flags
//! - `replay` (default): [`ReplayerExt`].

mod client;
mod format;
mod frames;
mod messages;
#[cfg(feature = "replay")]
mod replay;
mod replay_body;
mod server;
mod status;
mod tap;

pub use crate::client::{ClientLayer, ClientLayerBuilder, ClientService};
pub use crate::format::{
    CLIENT_ALIAS, RecordedCall, RecordedMessage, RecordedReply, RecordedStatus, SERVER_OPERATION,
    category_name,
};
pub use crate::messages::MessageError;
#[cfg(feature = "replay")]
pub use crate::replay::{GrpcReplayError, ReplayerExt};
pub use crate::server::{BoxError, RecordLayer, RecordLayerBuilder, RecordService, ResponseFuture};
/// Which metadata is recorded: the header filter of `playback::http`, whose deny list
/// always holds the credentials.
///
/// ```
/// let f = playback_grpc::HeaderFilter::new().deny(["x-request-id"]);
/// assert!(!f.keeps("authorization") && !f.keeps("x-request-id") && f.keeps("x-tenant"));
/// ```
pub use playback_http::HeaderFilter;
/// The descriptor pool type the layers take for readable JSON (`prost-reflect`).
///
/// ```
/// let pool = playback_grpc::DescriptorPool::new();
/// assert!(pool.get_service_by_name("shop.Catalog").is_none());
/// ```
pub use prost_reflect::DescriptorPool;
