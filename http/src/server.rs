//! [`RecordLayer`]: each request an HTTP service answers is a playback operation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use playback_layer::__private::{Kind, OnMissing, OpCall, Site};
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument as _;
use tracing::instrument::Instrumented;

use crate::body::{Captured, TeeBody, content_type};
#[cfg(feature = "axum")]
use crate::categories::CategoryCache;
use crate::format::{RecordedRequest, RecordedResponse, ServiceFailure};
use crate::headers::HeaderFilter;

/// The call site of every server operation (its alias is the operation's name). Its
/// `category` is the span's name, so a request the layer chose not to capture (sampled
/// out, skipped) is not recorded again without its span.
static SITE: Site = Site {
    kind: Kind::Operation,
    alias: crate::format::SERVER_OPERATION,
    category: "request",
    fallback_aliases: &[],
    on_missing: OnMissing::Fail,
    fail_on_missing: true,
    signature: "",
    file: file!(),
    line: line!(),
};

/// The default cap on each recorded body.
const DEFAULT_MAX_BODY: usize = 256 * 1024;

type CategoryFn = dyn Fn(&http::request::Parts) -> String + Send + Sync;

/// The most category names of matched routes a layer keeps ([`CategoryCache`]).
#[cfg(feature = "axum")]
const ROUTE_NAMES: usize = 1024;

struct Config {
    headers: HeaderFilter,
    max_body_size: usize,
    category: Option<Box<CategoryFn>>,
    /// The default categories of matched routes.
    #[cfg(feature = "axum")]
    routes: CategoryCache,
}

impl Config {
    /// The request's category: the custom function's, or the cached name of its
    /// matched route, or its method and path.
    fn category(&self, parts: &http::request::Parts) -> Arc<str> {
        if let Some(f) = &self.category {
            return Arc::from(f(parts));
        }
        #[cfg(feature = "axum")]
        if let Some(matched) = parts.extensions.get::<axum::extract::MatchedPath>() {
            return self.routes.get(&parts.method, matched.as_str(), || {
                category_name(parts.method.as_str(), matched.as_str())
            });
        }
        Arc::from(category_name(parts.method.as_str(), parts.uri.path()))
    }
}

/// A `tower::Layer` that records each request an HTTP service answers as a playback
/// operation: for axum routers (`Router::layer`) and any hyper or tower HTTP service.
///
/// - **Category:** the method and axum's matched route when the router set one, else
///   the method and the path, with `/` written `.` as stores need
///   ([`category_name`]: `GET /carts/{id}` is `GET carts.{id}`);
///   [`RecordLayerBuilder::category`] changes it.
/// - **Argument `request`:** method, URI, the selected headers and the body.
/// - **Result:** status, the selected headers and the body.
/// - **Bodies** are JSON when the content type says so, UTF-8 text when valid, base64
///   otherwise ([`RecordedBody`](crate::RecordedBody)). They are watched as they stream
///   past (nothing is held back from the client or the handler) and capped at
///   [`RecordLayerBuilder::max_body_size`].
/// - **Headers:** [`HeaderFilter`]; `authorization`, `cookie` and `set-cookie` are never
///   stored.
///
/// The handler's instrumented inputs and outputs (and [`ClientMiddleware`] calls) are
/// part of the request's recording. The operation is recorded through the tracing
/// layer's usual path, so its settings (sampling, size limits, redaction) apply.
///
/// **Sampling comes first.** Before anything else the layer asks the recording layer's
/// sampler ([`playback_layer::sample_operation`]), with the route's category from a
/// [`CategoryCache`](crate::CategoryCache) (made once per route, and only looked up when
/// the layer has per-category rules). A request sampling leaves out, or whose category
/// is `skip`ped, or that no playback layer would see, is passed on untouched: no span,
/// no body tap, no allocation by this layer; it is counted once in
/// `stats().sampled_out`. Its handler's own `#[playback::instrument]` operations are
/// then sampled on their own, as any other operation outside a recorded one. A
/// sampled-in request is recorded exactly as before. BENCHMARKS.md ("HTTP") has the
/// cost of both.
///
/// [`ClientMiddleware`]: crate::ClientMiddleware
///
/// ```
/// use axum::{Router, routing::get};
/// let app: Router = Router::new()
///     .route("/carts/{id}", get(|| async { "cart" }))
///     .layer(playback_http::RecordLayer::new());
/// ```
#[derive(Clone)]
pub struct RecordLayer {
    config: Arc<Config>,
}

impl fmt::Debug for RecordLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordLayer")
            .field("headers", &self.config.headers)
            .field("max_body_size", &self.config.max_body_size)
            .field("custom_category", &self.config.category.is_some())
            .finish()
    }
}

impl Default for RecordLayer {
    fn default() -> Self {
        RecordLayer::builder().build()
    }
}

impl RecordLayer {
    /// The default settings: every header except credentials, bodies up to 256 KiB,
    /// categories from the route.
    ///
    /// ```
    /// let layer = playback_http::RecordLayer::new();
    /// assert!(format!("{layer:?}").contains("max_body_size: 262144"));
    /// ```
    pub fn new() -> Self {
        RecordLayer::default()
    }

    /// A builder for the settings.
    ///
    /// ```
    /// let layer = playback_http::RecordLayer::builder().max_body_size(1024).build();
    /// assert!(format!("{layer:?}").contains("1024"));
    /// ```
    pub fn builder() -> RecordLayerBuilder {
        RecordLayerBuilder {
            headers: HeaderFilter::new(),
            max_body_size: DEFAULT_MAX_BODY,
            category: None,
        }
    }
}

/// Settings of a [`RecordLayer`].
///
/// ```
/// use playback_http::{HeaderFilter, RecordLayer};
/// let layer = RecordLayer::builder()
///     .headers(HeaderFilter::new().allow(["content-type", "x-tenant"]))
///     .max_body_size(64 * 1024)
///     .category(|parts| format!("api {}", parts.uri.path()))
///     .build();
/// assert!(format!("{layer:?}").contains("custom_category: true"));
/// ```
#[must_use]
pub struct RecordLayerBuilder {
    headers: HeaderFilter,
    max_body_size: usize,
    category: Option<Box<CategoryFn>>,
}

impl fmt::Debug for RecordLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordLayerBuilder")
            .field("headers", &self.headers)
            .field("max_body_size", &self.max_body_size)
            .finish_non_exhaustive()
    }
}

impl RecordLayerBuilder {
    /// Which request and response headers are recorded.
    ///
    /// ```
    /// let b = playback_http::RecordLayer::builder()
    ///     .headers(playback_http::HeaderFilter::new().deny(["x-request-id"]));
    /// assert!(format!("{b:?}").contains("x-request-id"));
    /// ```
    pub fn headers(mut self, filter: HeaderFilter) -> Self {
        self.headers = filter;
        self
    }

    /// The most bytes of each body that are recorded; a longer body is recorded up to
    /// this size and marked `truncated` (the request and response are never cut).
    ///
    /// ```
    /// let b = playback_http::RecordLayer::builder().max_body_size(10);
    /// assert!(format!("{b:?}").contains("max_body_size: 10"));
    /// ```
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Names each request's category from its method, URI, headers and extensions.
    ///
    /// ```
    /// let b = playback_http::RecordLayer::builder().category(|p| p.method.to_string());
    /// let _ = b.build();
    /// ```
    pub fn category(
        mut self,
        f: impl Fn(&http::request::Parts) -> String + Send + Sync + 'static,
    ) -> Self {
        self.category = Some(Box::new(f));
        self
    }

    /// The layer.
    ///
    /// ```
    /// let _layer = playback_http::RecordLayer::builder().build();
    /// ```
    pub fn build(self) -> RecordLayer {
        RecordLayer {
            config: Arc::new(Config {
                headers: self.headers,
                max_body_size: self.max_body_size,
                category: self.category,
                #[cfg(feature = "axum")]
                routes: CategoryCache::new(ROUTE_NAMES),
            }),
        }
    }
}

impl<S> Layer<S> for RecordLayer {
    type Service = RecordService<S>;

    fn layer(&self, inner: S) -> RecordService<S> {
        RecordService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service [`RecordLayer`] wraps around another.
///
/// ```
/// use tower_layer::Layer as _;
/// let svc = playback_http::RecordLayer::new().layer(tower_service_fn());
/// # fn tower_service_fn() -> () {}
/// assert!(format!("{svc:?}").contains("RecordService"));
/// ```
#[derive(Clone)]
pub struct RecordService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> fmt::Debug for RecordService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordService").finish_non_exhaustive()
    }
}

/// `GET /carts/{id}` as a category a store accepts (no `/`, no `..`): `GET carts.{id}`;
/// the root path is `GET root`.
///
/// ```
/// assert_eq!(playback_http::category_name("GET", "/carts/{id}/items"), "GET carts.{id}.items");
/// assert_eq!(playback_http::category_name("POST", "/"), "POST root");
/// ```
pub fn category_name(method: &str, path: &str) -> String {
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(|s| {
            s.chars()
                .filter(|c| !c.is_control() && *c != '\\')
                .collect::<String>()
                .replace("..", "_")
        })
        .collect();
    segments.retain(|s| !s.is_empty());
    let mut name = if segments.is_empty() {
        format!("{method} root")
    } else {
        format!("{method} {}", segments.join("."))
    };
    // a store keeps categories short
    if name.len() > 120 {
        let mut cut = 120;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    name
}

/// The request side of an operation, kept until its response body ends.
struct Pending {
    op: OpCall,
    span: tracing::Span,
    config: Arc<Config>,
    method: String,
    uri: String,
    headers: std::collections::BTreeMap<String, String>,
    content_type: Option<String>,
    body: Arc<Mutex<Option<Captured>>>,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for RecordService<S>
where
    S: Service<Request<TeeBody<ReqB>>, Response = Response<ResB>>,
    S::Error: fmt::Display,
    ReqB: Body<Data = Bytes> + Unpin,
    ResB: Body<Data = Bytes> + Unpin,
{
    type Response = Response<TeeBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let (parts, body) = req.into_parts();
        // Ask the sampler first: a request it leaves out gets no category, no span and
        // no body tap. The category is only made here when a per-category rule needs it.
        let mut made = None;
        let sampled = playback_layer::sample_operation(SITE.category, || {
            made.insert(self.config.category(&parts)).clone()
        });
        if !sampled.is_captured() {
            let req = Request::from_parts(parts, TeeBody::passthrough(body));
            return ResponseFuture {
                inner: self.inner.call(req).instrument(tracing::Span::none()),
                pending: None,
            };
        }
        let category = made.unwrap_or_else(|| self.config.category(&parts));
        let span = sampled.make_span(|| {
            tracing::info_span!(
                target: "playback::http",
                "request",
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
            let req = Request::from_parts(parts, TeeBody::passthrough(body));
            let fut = span.in_scope(|| self.inner.call(req));
            return ResponseFuture {
                inner: fut.instrument(span),
                pending: None,
            };
        };
        let captured = Arc::new(Mutex::new(None));
        let body = if body.is_end_stream() || declares_empty(&parts.headers) {
            *lock(&captured) = Some(Captured::empty());
            TeeBody::passthrough(body)
        } else {
            let slot = captured.clone();
            TeeBody::capturing(
                body,
                self.config.max_body_size,
                Box::new(move |c| *lock(&slot) = Some(c)),
            )
        };
        let pending = Pending {
            op,
            span: span.clone(),
            config: self.config.clone(),
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: self.config.headers.select(&parts.headers),
            content_type: content_type(&parts.headers).map(str::to_owned),
            body: captured,
        };
        let req = Request::from_parts(parts, body);
        let fut = span.in_scope(|| self.inner.call(req));
        ResponseFuture {
            inner: fut.instrument(span),
            pending: Some(pending),
        }
    }
}

/// A request whose headers say it has no body (`content-length: 0`, or neither a length
/// nor a transfer encoding).
fn declares_empty(headers: &http::HeaderMap) -> bool {
    match headers.get(http::header::CONTENT_LENGTH) {
        Some(len) => len.as_bytes() == b"0",
        None => !headers.contains_key(http::header::TRANSFER_ENCODING),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pin_project_lite::pin_project! {
    /// The future of a [`RecordService`] call: the inner service's response, with its
    /// body watched until it ends.
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
    B: Body<Data = Bytes> + Unpin,
    E: fmt::Display,
{
    type Output = Result<Response<TeeBody<B>>, E>;

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

/// Wraps the response body so the operation finishes when the body has streamed out.
fn watch<B>(response: Response<B>, pending: Option<Pending>) -> Response<TeeBody<B>>
where
    B: Body<Data = Bytes> + Unpin,
{
    let (parts, body) = response.into_parts();
    let Some(pending) = pending else {
        return Response::from_parts(parts, TeeBody::passthrough(body));
    };
    let status = parts.status.as_u16();
    let headers = pending.config.headers.select(&parts.headers);
    let content_type = content_type(&parts.headers).map(str::to_owned);
    let cap = pending.config.max_body_size;
    let on_end = move |captured: Captured| {
        let body = captured.encode(content_type.as_deref(), false);
        let response = RecordedResponse::new(status, headers, body, captured.sizes);
        pending.finish(&response, status >= 500);
    };
    if body.is_end_stream() {
        on_end(Captured::empty());
        return Response::from_parts(parts, TeeBody::passthrough(body));
    }
    Response::from_parts(parts, TeeBody::capturing(body, cap, Box::new(on_end)))
}

impl Pending {
    /// Records the request (its body as far as the handler read it) and the result, then
    /// closes the operation's span.
    fn finish<T: serde::Serialize>(self, result: &T, is_err: bool) {
        // the body as far as the handler read it (what a replay must send again)
        let captured = lock(&self.body).take().unwrap_or_else(Captured::empty);
        let body = captured.encode(self.content_type.as_deref(), true);
        let request = RecordedRequest::new(self.method, self.uri, self.headers, body);
        let mut op = self.op;
        op.arg("request", &request);
        op.finish(result, is_err);
        drop(self.span);
    }
}
