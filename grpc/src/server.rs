//! [`RecordLayer`]: each RPC a tonic server answers is a playback operation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::Body;
use playback_http::{CategoryCache, HeaderFilter};
use playback_layer::__private::{Kind, OnMissing, OpCall, Site};
use prost_reflect::DescriptorPool;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument as _;
use tracing::instrument::Instrumented;

use crate::format::{RecordedCall, RecordedReply, ServiceFailure, category_name};
use crate::messages::{Codec, Side};
use crate::replay_body::ReplayRequest;
use crate::status::{reply_status, selected};
use crate::tap::{Capture, OnEnd, Tap, lock};

/// A boxed error, as tower services return them.
///
/// ```
/// let e: playback_grpc::BoxError = "the channel closed".into();
/// assert_eq!(e.to_string(), "the channel closed");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The call site of every server operation (its alias is the operation's name).
static SITE: Site = Site {
    kind: Kind::Operation,
    alias: crate::format::SERVER_OPERATION,
    category: "call",
    fallback_aliases: &[],
    on_missing: OnMissing::Fail,
    fail_on_missing: true,
    signature: "",
    file: file!(),
    line: line!(),
};

/// The default cap on the recorded messages of each direction of a call.
pub(crate) const DEFAULT_MAX_MESSAGES: usize = 256 * 1024;

/// The most category names of methods a layer keeps ([`CategoryCache`]).
const METHOD_NAMES: usize = 1024;

#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) metadata: HeaderFilter,
    pub(crate) max_message_bytes: usize,
    pub(crate) codec: Codec,
}

/// The category of the method at `path` (`/shop.Catalog/GetPrice`), made once.
fn category(methods: &CategoryCache, method: &http::Method, path: &str) -> Arc<str> {
    methods.get(method, path, || category_name(path))
}

/// A `tower::Layer` for tonic servers (`Server::builder().layer(..)`) that records each
/// RPC as a playback operation.
///
/// - **Category:** the full method name with `/` written `.` as stores need
///   (`/shop.Catalog/GetPrice` is `shop.Catalog.GetPrice`); the full name is in the
///   recorded call.
/// - **Argument `request`:** the method, the selected request metadata and the request
///   messages in order ([`RecordedCall`]).
/// - **Result:** the selected response metadata, the response messages in order, the
///   status code and message (from the trailers, or from the headers of a trailers-only
///   response) and the other selected trailers ([`RecordedReply`]).
/// - **Messages** are stored as base64 of their protobuf bytes, and as readable JSON
///   when [`RecordLayerBuilder::descriptor_pool`] knows their type (then diffs are made
///   on the JSON). They are watched as they stream past; nothing is held back from the
///   client or the handler. Each direction keeps at most
///   [`RecordLayerBuilder::max_message_bytes`].
/// - **Metadata** is filtered like HTTP headers ([`HeaderFilter`]): `authorization`,
///   `cookie` and `set-cookie` are never stored.
///
/// The handler's instrumented inputs and outputs (and [`ClientLayer`](crate::ClientLayer)
/// calls) are part of the call's recording; the operation goes through the tracing
/// layer's usual path, so sampling, `max_recording_size` and redaction apply.
///
/// **Sampling comes first.** Before anything else the layer asks the recording layer's
/// sampler ([`playback_layer::sample_operation`]), with the method's category cached
/// per method path (and only looked up when the layer has per-category rules). A call
/// sampling leaves out, or whose category is `skip`ped, or that no playback layer would
/// see, is passed on with no span, no message tap and no category string; it is counted
/// once in `stats().sampled_out`. A sampled-in call is recorded exactly as before.
/// BENCHMARKS.md ("gRPC") has the cost of both.
///
/// ```
/// use playback_grpc_testshop::shop::catalog_server::CatalogServer;
/// # use playback_grpc_testshop::shop::{catalog_server::Catalog, *};
/// # struct MyCatalog;
/// # #[tonic::async_trait]
/// # impl Catalog for MyCatalog {
/// #     async fn get_price(&self, _: tonic::Request<PriceRequest>) -> Result<tonic::Response<Price>, tonic::Status> { Err(tonic::Status::unimplemented("")) }
/// #     type ListPricesStream = tokio_stream::Empty<Result<Price, tonic::Status>>;
/// #     async fn list_prices(&self, _: tonic::Request<ListRequest>) -> Result<tonic::Response<Self::ListPricesStream>, tonic::Status> { Err(tonic::Status::unimplemented("")) }
/// #     async fn order(&self, _: tonic::Request<tonic::Streaming<OrderLine>>) -> Result<tonic::Response<OrderTotal>, tonic::Status> { Err(tonic::Status::unimplemented("")) }
/// # }
/// let router = tonic::transport::Server::builder()
///     .layer(playback_grpc::RecordLayer::new())
///     .add_service(CatalogServer::new(MyCatalog));
/// # let _ = router;
/// ```
#[derive(Clone)]
pub struct RecordLayer {
    config: Arc<Config>,
    /// The categories of the methods called so far.
    methods: Arc<CategoryCache>,
}

impl fmt::Debug for RecordLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordLayer")
            .field("metadata", &self.config.metadata)
            .field("max_message_bytes", &self.config.max_message_bytes)
            .field("descriptor_pool", &self.config.codec.pool.is_some())
            .finish()
    }
}

impl Default for RecordLayer {
    fn default() -> Self {
        RecordLayer::builder().build()
    }
}

impl RecordLayer {
    /// The default settings: all metadata except credentials, 256 KiB of messages per
    /// direction, messages as base64.
    ///
    /// ```
    /// let layer = playback_grpc::RecordLayer::new();
    /// assert!(format!("{layer:?}").contains("max_message_bytes: 262144"));
    /// ```
    pub fn new() -> Self {
        RecordLayer::default()
    }

    /// A builder for the settings.
    ///
    /// ```
    /// let layer = playback_grpc::RecordLayer::builder()
    ///     .descriptor_pool(playback_grpc_testshop::descriptor_pool())
    ///     .build();
    /// assert!(format!("{layer:?}").contains("descriptor_pool: true"));
    /// ```
    pub fn builder() -> RecordLayerBuilder {
        RecordLayerBuilder {
            metadata: HeaderFilter::new(),
            max_message_bytes: DEFAULT_MAX_MESSAGES,
            pool: None,
        }
    }
}

/// Settings of a [`RecordLayer`].
///
/// ```
/// use playback_grpc::{HeaderFilter, RecordLayer};
/// let layer = RecordLayer::builder()
///     .metadata(HeaderFilter::new().deny(["x-request-id"]))
///     .max_message_bytes(64 * 1024)
///     .descriptor_pool(playback_grpc_testshop::descriptor_pool())
///     .build();
/// assert!(format!("{layer:?}").contains("x-request-id"));
/// ```
#[must_use]
#[derive(Debug)]
pub struct RecordLayerBuilder {
    metadata: HeaderFilter,
    max_message_bytes: usize,
    pool: Option<DescriptorPool>,
}

impl RecordLayerBuilder {
    /// Which request and response metadata (and trailers) are recorded.
    ///
    /// ```
    /// let b = playback_grpc::RecordLayer::builder()
    ///     .metadata(playback_grpc::HeaderFilter::new().allow(["x-tenant"]));
    /// assert!(format!("{b:?}").contains("x-tenant"));
    /// ```
    pub fn metadata(mut self, filter: HeaderFilter) -> Self {
        self.metadata = filter;
        self
    }

    /// The most message bytes kept per direction of a call; past it the messages are
    /// not kept and the call is marked `truncated` (the call itself is never cut).
    ///
    /// ```
    /// let b = playback_grpc::RecordLayer::builder().max_message_bytes(10);
    /// assert!(format!("{b:?}").contains("max_message_bytes: 10"));
    /// ```
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Messages whose type this pool knows are also stored as readable JSON, and diffs
    /// are made on it. Replay needs the same pool to send them again.
    ///
    /// ```
    /// let b = playback_grpc::RecordLayer::builder()
    ///     .descriptor_pool(playback_grpc_testshop::descriptor_pool());
    /// let _ = b.build();
    /// ```
    pub fn descriptor_pool(mut self, pool: DescriptorPool) -> Self {
        self.pool = Some(pool);
        self
    }

    /// The layer.
    ///
    /// ```
    /// let _layer = playback_grpc::RecordLayer::builder().build();
    /// ```
    pub fn build(self) -> RecordLayer {
        RecordLayer {
            config: Arc::new(Config {
                metadata: self.metadata,
                max_message_bytes: self.max_message_bytes,
                codec: Codec { pool: self.pool },
            }),
            methods: Arc::new(CategoryCache::new(METHOD_NAMES)),
        }
    }
}

impl<S> Layer<S> for RecordLayer {
    type Service = RecordService<S>;

    fn layer(&self, inner: S) -> RecordService<S> {
        RecordService {
            inner,
            config: self.config.clone(),
            methods: self.methods.clone(),
        }
    }
}

/// The service [`RecordLayer`] wraps around another (a tonic `Routes`, or a generated
/// server such as `CatalogServer`).
///
/// ```
/// use tower_layer::Layer as _;
/// let svc = playback_grpc::RecordLayer::new().layer(());
/// assert!(format!("{svc:?}").starts_with("RecordService"));
/// ```
#[derive(Clone)]
pub struct RecordService<S> {
    inner: S,
    config: Arc<Config>,
    methods: Arc<CategoryCache>,
}

impl<S> fmt::Debug for RecordService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordService").finish_non_exhaustive()
    }
}

/// The request side of an operation, kept until its response ends.
struct Pending {
    op: OpCall,
    span: tracing::Span,
    config: Arc<Config>,
    method: String,
    metadata: std::collections::BTreeMap<String, String>,
    request: Arc<Mutex<Capture>>,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for RecordService<S>
where
    S: Service<Request<tonic::body::Body>, Response = Response<ResB>>,
    S::Error: fmt::Display,
    ReqB: Body<Data = Bytes> + Send + Unpin + 'static,
    ReqB::Error: Into<BoxError>,
    ResB: Body<Data = Bytes> + Send + Unpin + 'static,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let (mut parts, body) = req.into_parts();
        let body = match parts.extensions.remove::<ReplayRequest>() {
            // a replay: the recorded messages, encoded with this layer's descriptor pool
            Some(replay) => replay.body(&self.config.codec),
            None => tonic::body::Body::new(body),
        };
        // Ask the sampler first: a call it leaves out gets no category, no span and no
        // message tap. The category is only looked up here when a per-category rule
        // needs it.
        let mut made = None;
        let sampled = playback_layer::sample_operation(SITE.category, || {
            made.insert(category(&self.methods, &parts.method, parts.uri.path()))
                .clone()
        });
        if !sampled.is_captured() {
            let req = Request::from_parts(parts, body);
            return ResponseFuture {
                inner: self.inner.call(req).instrument(tracing::Span::none()),
                pending: None,
            };
        }
        let method = parts.uri.path().to_owned();
        let category =
            made.unwrap_or_else(|| category(&self.methods, &parts.method, parts.uri.path()));
        let span = sampled.make_span(|| {
            tracing::info_span!(
                target: "playback::grpc",
                "call",
                playback = "operation",
                playback.category = %category,
            )
        });
        let op = if span.is_disabled() {
            None
        } else {
            span.in_scope(|| OpCall::begin(&SITE))
        };
        let Some(op) = op else {
            let req = Request::from_parts(parts, body);
            let fut = span.in_scope(|| self.inner.call(req));
            return ResponseFuture {
                inner: fut.instrument(span),
                pending: None,
            };
        };
        let request = Capture::new(self.config.max_message_bytes);
        let body = tonic::body::Body::new(Tap::new(body, request.clone(), None, None));
        let pending = Pending {
            op,
            span: span.clone(),
            config: self.config.clone(),
            metadata: selected(&self.config.metadata, &parts.headers),
            method,
            request,
        };
        let req = Request::from_parts(parts, body);
        let fut = span.in_scope(|| self.inner.call(req));
        ResponseFuture {
            inner: fut.instrument(span),
            pending: Some(pending),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`RecordService`] call: the inner service's response, with its
    /// body watched until it ends.
    ///
    /// ```
    /// use tower_layer::Layer as _;
    /// use tower_service::Service as _;
    /// let inner = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    /// });
    /// let mut svc = playback_grpc::RecordLayer::new().layer(inner);
    /// let req = http::Request::post("/shop.Catalog/GetPrice").body(tonic::body::Body::empty()).unwrap();
    /// let future: playback_grpc::ResponseFuture<_> = svc.call(req);
    /// # let _ = future;
    /// ```
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Instrumented<F>,
        pending: Option<Pending>,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("recording", &self.pending.is_some())
            .finish()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
    E: fmt::Display,
{
    type Output = Result<Response<tonic::body::Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(res) => res,
        };
        let pending = this.pending.take();
        Poll::Ready(match res {
            Ok(response) => Ok(watch(response, pending)),
            Err(e) => {
                if let Some(p) = pending {
                    let failure = ServiceFailure {
                        error: e.to_string(),
                    };
                    p.finish(&failure, true);
                }
                Err(e)
            }
        })
    }
}

/// Wraps the response body so the operation finishes when it has streamed out.
fn watch<B>(response: Response<B>, pending: Option<Pending>) -> Response<tonic::body::Body>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    let (parts, body) = response.into_parts();
    let Some(pending) = pending else {
        return Response::from_parts(parts, tonic::body::Body::new(body));
    };
    let headers: HeaderMap = parts.headers.clone();
    let capture = Capture::new(pending.config.max_message_bytes);
    let span = pending.span.clone();
    let seen = capture.clone();
    let on_end: OnEnd = Box::new(move || {
        let mut seen = lock(&seen);
        let config = &pending.config;
        let reply = RecordedReply {
            metadata: selected(&config.metadata, &headers),
            messages: config
                .codec
                .record(&pending.method, Side::Response, &seen.splitter.messages),
            status: reply_status(seen.trailers.as_ref(), &headers),
            trailers: seen
                .trailers
                .as_ref()
                .map(|t| selected(&config.metadata, t))
                .unwrap_or_default(),
            truncated: seen.truncated(false),
        };
        seen.splitter.messages.clear();
        drop(seen);
        let is_err = reply.status.code != 0;
        pending.finish(&reply, is_err);
    });
    if body.is_end_stream() {
        // a trailers-only response (an error status): nothing will stream
        on_end();
        return Response::from_parts(parts, tonic::body::Body::new(body));
    }
    let tap = Tap::new(body, capture, Some(on_end), Some(span));
    Response::from_parts(parts, tonic::body::Body::new(tap))
}

impl Pending {
    /// Records the call (its messages as far as the handler read them) and the result,
    /// then closes the operation's span.
    fn finish<T: serde::Serialize>(self, result: &T, is_err: bool) {
        let call = {
            let mut request = lock(&self.request);
            let messages = std::mem::take(&mut request.splitter.messages);
            RecordedCall {
                messages: self
                    .config
                    .codec
                    .record(&self.method, Side::Request, &messages),
                truncated: request.truncated(true),
                method: self.method,
                metadata: self.metadata,
            }
        };
        let mut op = self.op;
        op.arg("request", &call);
        op.finish(result, is_err);
        drop(self.span);
    }
}
