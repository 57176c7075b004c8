//! [`ClientLayer`]: outgoing requests of a tower HTTP client (a hyper-util `Client`) as
//! playback inputs.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt as _, Full};
use playback_layer::__private::{Call, Kind, OnMissing, Replayed, Site};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{Captured, ChunksBody, TeeBody, content_type};
use crate::client_key::ClientConfig;
use crate::format::{CLIENT_ALIAS, RecordedResponse};
use crate::headers::HeaderFilter;

/// A boxed error, as tower services return them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

static SITE: Site = Site {
    kind: Kind::Input,
    alias: CLIENT_ALIAS,
    category: "",
    fallback_aliases: &[],
    on_missing: OnMissing::Fail,
    fail_on_missing: true,
    signature: "fn send(request: RecordedRequest) -> Result<RecordedResponse, String>",
    file: file!(),
    line: line!(),
};

type Exchange = Result<RecordedResponse, String>;

/// A `tower::Layer` for an HTTP client service (a hyper-util `Client<_, Full<Bytes>>`)
/// that records each request sent inside an operation as an input, as
/// [`ClientMiddleware`](crate::ClientMiddleware) does for reqwest: keyed by method, URL,
/// the selected headers and the body; replayed with no network, the body in its recorded
/// chunks. The request body is read before it is sent (the key needs it).
///
/// ```
/// use tower_layer::Layer as _;
/// let svc = tower::service_fn(|_req: http::Request<http_body_util::Full<bytes::Bytes>>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(bytes::Bytes::new())))
/// });
/// let client = playback_http::ClientLayer::new().layer(svc);
/// assert!(format!("{client:?}").contains("ClientService"));
/// ```
#[derive(Debug, Clone)]
pub struct ClientLayer {
    config: Arc<ClientConfig>,
}

impl Default for ClientLayer {
    fn default() -> Self {
        ClientLayer::new()
    }
}

impl ClientLayer {
    /// The default settings: every header except credentials recorded and in the key,
    /// bodies up to 1 MiB.
    ///
    /// ```
    /// assert!(format!("{:?}", playback_http::ClientLayer::new()).contains("1048576"));
    /// ```
    pub fn new() -> Self {
        ClientLayer::with(HeaderFilter::new(), Vec::new())
    }

    /// Custom settings: which headers are recorded, and the query parameters left out of
    /// the key.
    ///
    /// ```
    /// let l = playback_http::ClientLayer::with(playback_http::HeaderFilter::new(), vec!["ts".into()]);
    /// assert!(format!("{l:?}").contains("\"ts\""));
    /// ```
    pub fn with(headers: HeaderFilter, ignored_query_params: Vec<String>) -> Self {
        ClientLayer {
            config: Arc::new(ClientConfig {
                headers,
                key_headers: None,
                ignored_params: ignored_query_params,
                max_body_size: 1024 * 1024,
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

/// The client service [`ClientLayer`] wraps around another.
///
/// ```
/// use tower_layer::Layer as _;
/// let svc = playback_http::ClientLayer::new().layer(());
/// assert!(format!("{svc:?}").starts_with("ClientService"));
/// ```
#[derive(Clone)]
pub struct ClientService<S> {
    inner: S,
    config: Arc<ClientConfig>,
}

impl<S> fmt::Debug for ClientService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientService").finish_non_exhaustive()
    }
}

impl<S, B, RB> Service<Request<B>> for ClientService<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    RB: Body<Data = Bytes> + Unpin + Send + 'static,
    RB::Error: Into<BoxError>,
{
    type Response = Response<ClientBody<RB>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // the service that was polled ready sends this request; a clone takes its place
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let bytes = body.collect().await.map_err(Into::into)?.to_bytes();
            let req = Request::from_parts(parts, Full::new(bytes.clone()));
            let Some(mut call) = Call::begin(&SITE) else {
                let res = inner.call(req).await.map_err(Into::into)?;
                return Ok(res.map(ClientBody::live));
            };
            let key = config.key_of(
                req.method(),
                &req.uri().to_string(),
                req.headers(),
                Some(&bytes),
            );
            call.arg("method", &key.method);
            call.arg("url", &key.uri);
            call.arg("headers", &key.headers);
            call.arg("body", &key.body);
            match call.replay::<Exchange>() {
                Replayed::Value(Ok(recorded)) => return replayed(recorded),
                Replayed::Value(Err(message)) => {
                    return Err(crate::client_key::ReplayedError { message }.into());
                }
                Replayed::Default | Replayed::Live => {}
            }
            let res = match inner.call(req).await {
                Ok(res) => res,
                Err(e) => {
                    let e: BoxError = e.into();
                    call.finish(&Exchange::Err(e.to_string()), true);
                    return Err(e);
                }
            };
            Ok(watch(res, call, &config))
        })
    }
}

fn watch<RB>(res: Response<RB>, call: Call, config: &ClientConfig) -> Response<ClientBody<RB>>
where
    RB: Body<Data = Bytes> + Unpin,
{
    let (parts, body) = res.into_parts();
    let status = parts.status.as_u16();
    let headers = config.headers.select(&parts.headers);
    let content_type = content_type(&parts.headers).map(str::to_owned);
    let call = Mutex::new(Some(call));
    let on_end = move |captured: Captured| {
        let body = captured.encode(content_type.as_deref(), false);
        let recorded = RecordedResponse::new(status, headers, body, captured.sizes);
        if let Some(call) = call.lock().ok().and_then(|mut c| c.take()) {
            call.finish(&Exchange::Ok(recorded), false);
        }
    };
    let body = if body.is_end_stream() {
        on_end(Captured::empty());
        TeeBody::passthrough(body)
    } else {
        TeeBody::capturing(body, config.max_body_size, Box::new(on_end))
    };
    Response::from_parts(parts, ClientBody(Inner::Live(body)))
}

fn replayed<RB>(recorded: RecordedResponse) -> Result<Response<ClientBody<RB>>, BoxError> {
    let bytes = recorded.body_bytes()?;
    let mut builder = Response::builder().status(recorded.status);
    for (name, value) in &recorded.headers {
        builder = builder.header(name, value);
    }
    let body = ClientBody(Inner::Replayed(ChunksBody::split(bytes, &recorded.chunks)));
    Ok(builder.body(body)?)
}

/// The body of a [`ClientService`] response: the live one, watched as it streams, or the
/// recorded one, in its recorded chunks.
///
/// ```
/// # use http_body_util::BodyExt;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let body = playback_http::ClientBody::live(http_body_util::Full::new(bytes::Bytes::from("ok")));
/// assert_eq!(&body.collect().await.unwrap().to_bytes()[..], b"ok");
/// # });
/// ```
#[derive(Debug)]
pub struct ClientBody<B>(Inner<B>);

#[derive(Debug)]
enum Inner<B> {
    Live(TeeBody<B>),
    Replayed(ChunksBody),
}

impl<B> ClientBody<B> {
    /// A live body that records nothing.
    ///
    /// ```
    /// let _ = playback_http::ClientBody::live(String::new());
    /// ```
    pub fn live(body: B) -> Self {
        ClientBody(Inner::Live(TeeBody::passthrough(body)))
    }
}

impl<B> Body for ClientBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().0 {
            Inner::Live(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(Into::into))),
            Inner::Replayed(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(|never| match never {}))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Inner::Live(body) => body.is_end_stream(),
            Inner::Replayed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Inner::Live(body) => body.size_hint(),
            Inner::Replayed(_) => SizeHint::default(),
        }
    }
}
