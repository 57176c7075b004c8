//! [`ClientMiddleware`]: outgoing reqwest calls as playback inputs.

use std::sync::{Arc, Mutex};

use http::Extensions;
use playback_layer::__private::{Call, Kind, OnMissing, Replayed, Site};
use reqwest::{Request, Response, ResponseBuilderExt as _};
use reqwest_middleware::{Middleware, Next};

use crate::body::{ChunksBody, TeeBody, content_type};
use crate::client_key::ClientConfig;
use crate::format::{CLIENT_ALIAS, RecordedRequest, RecordedResponse};
use crate::headers::HeaderFilter;

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

const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// What a recorded call returned: the response, or the transport error's message.
type Exchange = Result<RecordedResponse, String>;

/// A `reqwest-middleware` middleware that records each outgoing request, inside a
/// recorded operation, as an input, and replays it with no network.
///
/// - **Key:** method, URL, the selected headers and the body, as a
///   [`RecordedRequest`]. [`ClientMiddlewareBuilder::ignore_query_param`] and
///   [`ClientMiddlewareBuilder::key_headers`] leave volatile parts out of the key.
///   Identical keys are handed out in recorded order; an unknown key is a replay error
///   naming the method, the URL and the nearest recorded request.
/// - **Value:** status, the selected headers and the body (JSON, text or base64), and
///   how the body was chunked. The live response streams to the caller as it arrives;
///   the replayed one is handed out in the recorded chunks.
/// - Outside an operation the request just runs.
///
/// ```
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(playback_http::ClientMiddleware::new())
///     .build();
/// # let _ = client;
/// ```
#[derive(Debug, Clone)]
pub struct ClientMiddleware {
    config: Arc<ClientConfig>,
}

impl Default for ClientMiddleware {
    fn default() -> Self {
        ClientMiddleware::builder().build()
    }
}

impl ClientMiddleware {
    /// The default settings: every header except credentials is recorded, and the key
    /// holds the recorded headers; responses up to 1 MiB.
    ///
    /// ```
    /// let m = playback_http::ClientMiddleware::new();
    /// assert!(format!("{m:?}").contains("1048576"));
    /// ```
    pub fn new() -> Self {
        ClientMiddleware::default()
    }

    /// A builder for the settings.
    ///
    /// ```
    /// let m = playback_http::ClientMiddleware::builder().ignore_query_param("ts").build();
    /// assert!(format!("{m:?}").contains("\"ts\""));
    /// ```
    pub fn builder() -> ClientMiddlewareBuilder {
        ClientMiddlewareBuilder {
            config: ClientConfig {
                headers: HeaderFilter::new(),
                key_headers: None,
                ignored_params: Vec::new(),
                max_body_size: DEFAULT_MAX_BODY,
            },
        }
    }
}

/// Settings of a [`ClientMiddleware`].
///
/// ```
/// use playback_http::{ClientMiddleware, HeaderFilter};
/// let m = ClientMiddleware::builder()
///     .headers(HeaderFilter::new().deny(["x-request-id"]))
///     .key_headers(["content-type"])
///     .ignore_query_param("timestamp")
///     .max_body_size(64 * 1024)
///     .build();
/// assert!(format!("{m:?}").contains("timestamp"));
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientMiddlewareBuilder {
    config: ClientConfig,
}

impl ClientMiddlewareBuilder {
    /// Which request and response headers are recorded.
    ///
    /// ```
    /// let _ = playback_http::ClientMiddleware::builder().headers(playback_http::HeaderFilter::new());
    /// ```
    pub fn headers(mut self, filter: HeaderFilter) -> Self {
        self.config.headers = filter;
        self
    }

    /// Only these recorded request headers are part of the key (by default, all of them).
    ///
    /// ```
    /// let m = playback_http::ClientMiddleware::builder().key_headers(["Accept"]).build();
    /// assert!(format!("{m:?}").contains("\"accept\""));
    /// ```
    pub fn key_headers<I, N>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: AsRef<str>,
    {
        self.config.key_headers = Some(
            names
                .into_iter()
                .map(|n| n.as_ref().to_ascii_lowercase())
                .collect(),
        );
        self
    }

    /// Leaves a query parameter out of the key (a timestamp, a nonce), so a request that
    /// differs only there still finds its recording.
    ///
    /// ```
    /// let m = playback_http::ClientMiddleware::builder().ignore_query_param("nonce").build();
    /// assert!(format!("{m:?}").contains("nonce"));
    /// ```
    pub fn ignore_query_param(mut self, name: impl Into<String>) -> Self {
        self.config.ignored_params.push(name.into());
        self
    }

    /// The most bytes of each request and response body that are recorded.
    ///
    /// ```
    /// let m = playback_http::ClientMiddleware::builder().max_body_size(7).build();
    /// assert!(format!("{m:?}").contains("max_body_size: 7"));
    /// ```
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// The middleware.
    ///
    /// ```
    /// let _m = playback_http::ClientMiddleware::builder().build();
    /// ```
    pub fn build(self) -> ClientMiddleware {
        ClientMiddleware {
            config: Arc::new(self.config),
        }
    }
}

impl ClientConfig {
    fn key(&self, req: &Request) -> RecordedRequest {
        let body = match req.body().map(|b| b.as_bytes()) {
            None => Some(&b""[..]),
            Some(bytes) => bytes,
        };
        self.key_of(req.method(), req.url().as_str(), req.headers(), body)
    }
}

#[async_trait::async_trait]
impl Middleware for ClientMiddleware {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let Some(mut call) = Call::begin(&SITE) else {
            return next.run(req, extensions).await;
        };
        let key = self.config.key(&req);
        call.arg("method", &key.method);
        call.arg("url", &key.uri);
        call.arg("headers", &key.headers);
        call.arg("body", &key.body);
        match call.replay::<Exchange>() {
            Replayed::Value(Ok(recorded)) => return replayed(recorded, req.url().clone()),
            Replayed::Value(Err(message)) => {
                return Err(reqwest_middleware::Error::middleware(
                    crate::client_key::ReplayedError { message },
                ));
            }
            Replayed::Default | Replayed::Live => {}
        }
        let response = match next.run(req, extensions).await {
            Ok(r) => r,
            Err(e) => {
                call.finish(&Exchange::Err(e.to_string()), true);
                return Err(e);
            }
        };
        Ok(self.watch(response, call))
    }
}

impl ClientMiddleware {
    /// Hands the live response on at once; the call is recorded when its body ends.
    fn watch(&self, response: Response, call: Call) -> Response {
        let url = response.url().clone();
        let response: http::Response<reqwest::Body> = response.into();
        let (parts, body) = response.into_parts();
        let status = parts.status.as_u16();
        let headers = self.config.headers.select(&parts.headers);
        let content_type = content_type(&parts.headers).map(str::to_owned);
        let call = Mutex::new(Some(call));
        let on_end = move |captured: crate::body::Captured| {
            let body = captured.encode(content_type.as_deref(), false);
            let recorded = RecordedResponse::new(status, headers, body, captured.sizes);
            if let Some(call) = call.lock().ok().and_then(|mut c| c.take()) {
                call.finish(&Exchange::Ok(recorded), false);
            }
        };
        let body = if http_body::Body::is_end_stream(&body) {
            on_end(crate::body::Captured::empty());
            TeeBody::passthrough(body)
        } else {
            TeeBody::capturing(body, self.config.max_body_size, Box::new(on_end))
        };
        with_url(parts, reqwest::Body::wrap(body), url)
    }
}

/// The recorded response, with no network: same status, headers and body chunks.
fn replayed(recorded: RecordedResponse, url: reqwest::Url) -> reqwest_middleware::Result<Response> {
    let bytes = recorded
        .body_bytes()
        .map_err(reqwest_middleware::Error::middleware)?;
    let mut builder = http::Response::builder().status(recorded.status);
    for (name, value) in &recorded.headers {
        builder = builder.header(name, value);
    }
    let body = reqwest::Body::wrap(ChunksBody::split(bytes, &recorded.chunks));
    let response = builder
        .url(url)
        .body(body)
        .map_err(reqwest_middleware::Error::middleware)?;
    Ok(Response::from(response))
}

fn with_url(parts: http::response::Parts, body: reqwest::Body, url: reqwest::Url) -> Response {
    let mut builder = http::Response::builder()
        .status(parts.status)
        .version(parts.version)
        .url(url);
    if let Some(h) = builder.headers_mut() {
        *h = parts.headers;
    }
    // status, version and headers come from a valid response, so this cannot fail
    let response = builder
        .body(body)
        .unwrap_or_else(|_| http::Response::new(reqwest::Body::from(Vec::new())));
    Response::from(response)
}
