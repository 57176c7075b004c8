//! Record and replay HTTP services with [playback](https://docs.rs/playback), with one
//! `.layer(..)` line on each side:
//!
//! - **Server:** [`RecordLayer`], a `tower::Layer` for axum routers and any hyper or
//!   tower HTTP service. Each request is an operation: its argument is the request
//!   (method, URI, selected headers, body), its result the response (status, selected
//!   headers, body), its category the matched route.
//! - **Client:** [`ClientMiddleware`], a `reqwest-middleware` middleware. Each outgoing
//!   request inside an operation is an input keyed by method, URL, selected headers and
//!   body; its response is the recorded value, replayed with no network.
//! - **Client, tower:** [`ClientLayer`] does the same for a tower HTTP client service,
//!   such as hyper-util's `Client`.
//! - **Replay:** [`ReplayerExt::http_service`] replays a recording by sending the recorded
//!   request through the service itself, so no factory per route is needed.
//!
//! Bodies are stored as JSON when the content type says so, as text when they are UTF-8,
//! as base64 otherwise ([`RecordedBody`]). `authorization`, `cookie` and `set-cookie` are
//! never stored ([`HeaderFilter`]).
//!
//! ```
//! use axum::{Router, routing::get};
//! use playback_store::{MemoryStore, Query, Store};
//! use tower::ServiceExt as _;
//! use tracing_subscriber::prelude::*;
//!
//! let app: Router = Router::new()
//!     .route("/hello/{name}", get(|axum::extract::Path(name): axum::extract::Path<String>| async move {
//!         format!("hello {name}")
//!     }))
//!     .layer(playback_http::RecordLayer::new());
//!
//! let store = MemoryStore::new();
//! let (layer, guard) = playback_layer::PlaybackLayer::builder().store(store.clone()).build()?;
//! let _default = tracing_subscriber::registry().with(layer).set_default();
//! let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! let body = rt.block_on(async {
//!     let req = http::Request::get("/hello/ann").body(axum::body::Body::empty()).unwrap();
//!     let res = app.oneshot(req).await.unwrap();
//!     axum::body::to_bytes(res.into_body(), 1024).await.unwrap()
//! });
//! assert_eq!(&body[..], b"hello ann");
//! guard.flush(std::time::Duration::from_secs(5));
//! let rec = store.find(&Query::category("GET hello.{name}"))?.remove(0)?;
//! let Some(playback_store::OpResult::Returned { value, .. }) = &rec.result else { panic!() };
//! let response: playback_http::RecordedResponse = serde_json::from_str(value.get())?;
//! assert_eq!(response.body.get(), "\"hello ann\"");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Feature flags
//! - `axum` (default): categories from axum's `MatchedPath`.
//! - `reqwest` (default): [`ClientMiddleware`].
//! - `replay` (default): [`ReplayerExt`].

mod body;
mod categories;
#[cfg(feature = "reqwest")]
mod client;
mod client_key;
mod client_tower;
mod format;
mod headers;
#[cfg(feature = "replay")]
mod replay;
mod server;

pub use crate::body::{BodyDecodeError, BodyEncoding, RecordedBody, TeeBody};
pub use crate::categories::CategoryCache;
#[cfg(feature = "reqwest")]
pub use crate::client::{ClientMiddleware, ClientMiddlewareBuilder};
pub use crate::client_key::ReplayedError;
pub use crate::client_tower::{BoxError, ClientBody, ClientLayer, ClientService};
pub use crate::format::{CLIENT_ALIAS, RecordedRequest, RecordedResponse, SERVER_OPERATION};
pub use crate::headers::{ALWAYS_DENIED, HeaderFilter};
#[cfg(feature = "replay")]
pub use crate::replay::{HttpReplayError, ReplayerExt};
pub use crate::server::{
    RecordLayer, RecordLayerBuilder, RecordService, ResponseFuture, category_name,
};
/// The `reqwest-middleware` crate [`ClientMiddleware`] plugs into, so its version always
/// matches: `playback::http::reqwest_middleware::ClientBuilder`.
#[cfg(feature = "reqwest")]
pub use reqwest_middleware;
