//! [`ClientLayer`]: outgoing calls of a tonic client, through a `Channel`, as playback
//! inputs.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::{BodyExt as _, Full};
use playback_http::{HeaderFilter, ReplayedError};
use playback_layer::__private::{Call, Kind, OnMissing, Replayed, Site};
use prost_reflect::DescriptorPool;
use tower_layer::Layer;
use tower_service::Service;

use crate::format::{CLIENT_ALIAS, RecordedReply};
use crate::frames::Splitter;
use crate::messages::{Codec, Side};
use crate::replay_body::ReplayBody;
use crate::server::{BoxError, Config};
use crate::status::{reply_status, selected, trailers_of};
use crate::tap::{Capture, OnEnd, Tap, lock};

static SITE: Site = Site {
    kind: Kind::Input,
    alias: CLIENT_ALIAS,
    category: "",
    fallback_aliases: &[],
    on_missing: OnMissing::Fail,
    fail_on_missing: true,
    signature: "fn call(method: String, messages: Vec<RecordedMessage>) -> Result<RecordedReply, String>",
    file: file!(),
    line: line!(),
};

/// What a recorded call returned: the reply (whatever its status), or the transport
/// error's message.
type Exchange = Result<RecordedReply, String>;

const DEFAULT_MAX_MESSAGES: usize = 1024 * 1024;

/// A `tower::Layer` around a tonic `Channel` that records each call made inside an
/// operation as an input, and replays it with no network, as rpcreplay does for Go.
///
/// - **Key:** the full method name and the request messages (readable JSON with a
///   [`ClientLayerBuilder::descriptor_pool`], else base64). Calls may come in another
///   order; identical requests are handed out in recorded order; an unknown request is a
///   replay error naming the method and the nearest recorded request.
/// - **Value:** the response metadata, the response messages in order, the status and
///   the trailers ([`RecordedReply`]). Replayed, the messages stream back one by one and
///   the status comes back as the client would have seen it.
/// - Unary, server-streaming and client-streaming calls are recorded. The request stream
///   is read to its end before it is sent (the key needs it), so a bidirectional call
///   whose requests wait for responses cannot go through the layer.
/// - Outside an operation, calls just go through.
///
/// ```
/// use playback_grpc_testshop::shop::catalog_client::CatalogClient;
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # let _guard = rt.enter();
/// let channel = tonic::transport::Channel::from_static("http://127.0.0.1:1").connect_lazy();
/// let channel = tower::ServiceBuilder::new()
///     .layer(playback_grpc::ClientLayer::new())
///     .service(channel);
/// let client = CatalogClient::new(channel);
/// # let _ = client;
/// ```
#[derive(Debug, Clone)]
pub struct ClientLayer {
    config: Arc<Config>,
}

impl Default for ClientLayer {
    fn default() -> Self {
        ClientLayer::builder().build()
    }
}

impl ClientLayer {
    /// The default settings: all metadata except credentials, 1 MiB of messages per
    /// direction, messages as base64.
    ///
    /// ```
    /// assert!(format!("{:?}", playback_grpc::ClientLayer::new()).contains("1048576"));
    /// ```
    pub fn new() -> Self {
        ClientLayer::default()
    }

    /// A builder for the settings.
    ///
    /// ```
    /// let layer = playback_grpc::ClientLayer::builder()
    ///     .descriptor_pool(playback_grpc_testshop::descriptor_pool())
    ///     .build();
    /// # let _ = layer;
    /// ```
    pub fn builder() -> ClientLayerBuilder {
        ClientLayerBuilder {
            metadata: HeaderFilter::new(),
            max_message_bytes: DEFAULT_MAX_MESSAGES,
            pool: None,
        }
    }
}

/// Settings of a [`ClientLayer`].
///
/// ```
/// let layer = playback_grpc::ClientLayer::builder()
///     .metadata(playback_grpc::HeaderFilter::new().deny(["x-request-id"]))
///     .max_message_bytes(64 * 1024)
///     .descriptor_pool(playback_grpc_testshop::descriptor_pool())
///     .build();
/// assert!(format!("{layer:?}").contains("65536"));
/// ```
#[must_use]
#[derive(Debug)]
pub struct ClientLayerBuilder {
    metadata: HeaderFilter,
    max_message_bytes: usize,
    pool: Option<DescriptorPool>,
}

impl ClientLayerBuilder {
    /// Which response metadata and trailers are recorded.
    ///
    /// ```
    /// let _ = playback_grpc::ClientLayer::builder().metadata(playback_grpc::HeaderFilter::new());
    /// ```
    pub fn metadata(mut self, filter: HeaderFilter) -> Self {
        self.metadata = filter;
        self
    }

    /// The most message bytes kept per direction of a call.
    ///
    /// ```
    /// let l = playback_grpc::ClientLayer::builder().max_message_bytes(7).build();
    /// assert!(format!("{l:?}").contains("max_message_bytes: 7"));
    /// ```
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Messages whose type this pool knows are keyed and stored as readable JSON.
    ///
    /// ```
    /// let _ = playback_grpc::ClientLayer::builder()
    ///     .descriptor_pool(playback_grpc_testshop::descriptor_pool());
    /// ```
    pub fn descriptor_pool(mut self, pool: DescriptorPool) -> Self {
        self.pool = Some(pool);
        self
    }

    /// The layer.
    ///
    /// ```
    /// let _ = playback_grpc::ClientLayer::builder().build();
    /// ```
    pub fn build(self) -> ClientLayer {
        ClientLayer {
            config: Arc::new(Config {
                metadata: self.metadata,
                max_message_bytes: self.max_message_bytes,
                codec: Codec { pool: self.pool },
            }),
        }
    }
}

impl<S> Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> ClientService<S> {
        ClientService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The client service [`ClientLayer`] wraps around a `Channel`.
///
/// ```
/// use tower_layer::Layer as _;
/// let svc = playback_grpc::ClientLayer::new().layer(());
/// assert!(format!("{svc:?}").starts_with("ClientService"));
/// ```
#[derive(Clone)]
pub struct ClientService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> fmt::Debug for ClientService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientService").finish_non_exhaustive()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

impl<S, B, RB> Service<Request<B>> for ClientService<S>
where
    S: Service<Request<tonic::body::Body>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    RB: Body<Data = Bytes> + Send + Unpin + 'static,
    RB::Error: Into<BoxError>,
{
    type Response = Response<tonic::body::Body>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    /// Always ready: a replayed call needs no connection, and a live one waits for the
    /// channel inside its future.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        let config = self.config.clone();
        Box::pin(async move {
            let Some(mut call) = Call::begin(&SITE) else {
                let req = req.map(tonic::body::Body::new);
                let res = send(inner, req).await?;
                return Ok(res.map(tonic::body::Body::new));
            };
            let (parts, body) = req.into_parts();
            let method = parts.uri.path().to_owned();
            let bytes = body.collect().await.map_err(Into::into)?.to_bytes();
            let mut splitter = Splitter::new(config.max_message_bytes);
            splitter.push(&bytes);
            call.arg("method", &method);
            call.arg(
                "messages",
                &config
                    .codec
                    .record(&method, Side::Request, &splitter.messages),
            );
            match call.replay::<Exchange>() {
                Replayed::Value(Ok(reply)) => return replayed(&config, &method, reply),
                Replayed::Value(Err(message)) => return Err(ReplayedError { message }.into()),
                Replayed::Default | Replayed::Live => {}
            }
            let req = Request::from_parts(parts, tonic::body::Body::new(Full::new(bytes)));
            match send(inner, req).await {
                Ok(res) => Ok(watch(res, call, config, method)),
                Err(e) => {
                    call.finish(&Exchange::Err(e.to_string()), true);
                    Err(e)
                }
            }
        })
    }
}

/// Waits for the channel, then sends.
async fn send<S, RB>(
    mut inner: S,
    req: Request<tonic::body::Body>,
) -> Result<Response<RB>, BoxError>
where
    S: Service<Request<tonic::body::Body>, Response = Response<RB>>,
    S::Error: Into<BoxError>,
{
    std::future::poll_fn(|cx| inner.poll_ready(cx))
        .await
        .map_err(Into::into)?;
    inner.call(req).await.map_err(Into::into)
}

/// Hands the live response on at once; the call is recorded when its body ends.
fn watch<RB>(
    res: Response<RB>,
    call: Call,
    config: Arc<Config>,
    method: String,
) -> Response<tonic::body::Body>
where
    RB: Body<Data = Bytes> + Send + Unpin + 'static,
    RB::Error: Into<BoxError>,
{
    let (parts, body) = res.into_parts();
    let headers = parts.headers.clone();
    let capture = Capture::new(config.max_message_bytes);
    let seen = capture.clone();
    let call = Mutex::new(Some(call));
    let on_end: OnEnd = Box::new(move || {
        let mut seen = lock(&seen);
        let reply = RecordedReply {
            metadata: selected(&config.metadata, &headers),
            messages: config
                .codec
                .record(&method, Side::Response, &seen.splitter.messages),
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
        if let Some(call) = lock(&call).take() {
            call.finish(&Exchange::Ok(reply), false);
        }
    });
    if body.is_end_stream() {
        // a trailers-only response (an error status): nothing will stream
        on_end();
        return Response::from_parts(parts, tonic::body::Body::new(body));
    }
    let tap = Tap::new(body, capture, Some(on_end), None);
    Response::from_parts(parts, tonic::body::Body::new(tap))
}

/// The recorded response, with no network: its metadata, its messages one frame each,
/// and its status in the trailers.
fn replayed(
    config: &Config,
    method: &str,
    reply: RecordedReply,
) -> Result<Response<tonic::body::Body>, BoxError> {
    let messages = config
        .codec
        .restore(method, Side::Response, &reply.messages)?;
    let mut builder = Response::builder().status(200);
    for (name, value) in &reply.metadata {
        builder = builder.header(name, value);
    }
    if !reply.metadata.contains_key("content-type") {
        builder = builder.header("content-type", "application/grpc");
    }
    let trailers = trailers_of(&reply.status, &reply.trailers);
    let body = ReplayBody::new(&messages, Some(trailers));
    Ok(builder.body(tonic::body::Body::new(body))?)
}
