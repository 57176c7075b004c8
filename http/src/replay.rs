//! [`ReplayerExt::http_service`]: replay an HTTP recording by sending its request
//! through the service.

use std::fmt;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::{BodyExt as _, Full};
use playback_replay::Replayer;
use tower_service::Service;

use crate::format::{RecordedRequest, SERVER_OPERATION};

/// Why a recorded request could not be sent through the service during a replay.
///
/// ```
/// let e = playback_http::HttpReplayError::Truncated { uri: "/upload".into() };
/// assert!(e.to_string().contains("/upload"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpReplayError {
    /// The recorded request body is not whole, so it cannot be sent again.
    #[error(
        "the recorded body of request {uri} is not whole (it was longer than \
         `max_body_size`, or the handler did not read it to its end), so the request cannot \
         be replayed; raise `RecordLayer::builder().max_body_size(..)` and record it again"
    )]
    Truncated {
        /// The request's URI.
        uri: String,
    },
    /// The recorded method, URI, headers or body do not make a request.
    #[error("the recorded request {uri} is not a valid HTTP request: {reason}")]
    Invalid {
        /// The request's URI.
        uri: String,
        /// Why.
        reason: String,
    },
    /// The service returned an error instead of a response.
    #[error("the service failed on the recorded request {uri}: {reason}")]
    Service {
        /// The request's URI.
        uri: String,
        /// The service's error.
        reason: String,
    },
}

/// Replays HTTP recordings through the service that made them.
///
/// ```
/// use axum::{Router, routing::get};
/// use playback_http::{RecordLayer, ReplayerExt as _};
/// let app: Router = Router::new().route("/", get(|| async { "hi" })).layer(RecordLayer::new());
/// let replayer = playback_replay::Replayer::new().http_service(app.clone());
/// assert!(format!("{replayer:?}").contains("http_service"));
/// ```
pub trait ReplayerExt {
    /// Replays every recording made by a [`RecordLayer`](crate::RecordLayer) by sending
    /// its recorded request through `service` (the same router, with its `RecordLayer`,
    /// as in production): the handler runs, its inputs and outputs replay as usual, and
    /// the response it streams out is the replayed result. `replay_recording` and the
    /// Equalizer's `.replayer(..)` then need no factory per route.
    ///
    /// Headers that were not recorded (credentials) are not sent.
    ///
    /// ```
    /// use playback_http::ReplayerExt as _;
    /// let svc = tower::service_fn(|_req: http::Request<http_body_util::Full<bytes::Bytes>>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(bytes::Bytes::new())))
    /// });
    /// let _replayer = playback_replay::Replayer::new().http_service(svc);
    /// ```
    fn http_service<S, B>(self, service: S) -> Replayer
    where
        S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Error: fmt::Display,
        S::Future: 'static,
        B: Body + 'static,
        B::Error: fmt::Display;
}

impl ReplayerExt for Replayer {
    fn http_service<S, B>(self, service: S) -> Replayer
    where
        S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Error: fmt::Display,
        S::Future: 'static,
        B: Body + 'static,
        B::Error: fmt::Display,
    {
        self.register_claim_async("http_service", move |rec| {
            if rec.operation != SERVER_OPERATION {
                return None;
            }
            let recorded: RecordedRequest = match rec.arg("request") {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            let mut service = service.clone();
            Some(Ok(async move {
                if let Err(e) = send(&mut service, recorded).await {
                    // the replay reports the panic of the replayed code with this message
                    panic!("playback::http: {e}");
                }
            }))
        })
    }
}

async fn send<S, B>(service: &mut S, recorded: RecordedRequest) -> Result<(), HttpReplayError>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: fmt::Display,
    B: Body,
    B::Error: fmt::Display,
{
    let uri = recorded.uri.clone();
    let request = to_request(recorded)?;
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(|e| HttpReplayError::Service {
            uri: uri.clone(),
            reason: e.to_string(),
        })?;
    let response = service
        .call(request)
        .await
        .map_err(|e| HttpReplayError::Service {
            uri: uri.clone(),
            reason: e.to_string(),
        })?;
    // stream the body out, as the server would: the operation ends with it
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| HttpReplayError::Service {
            uri,
            reason: e.to_string(),
        })?;
    Ok(())
}

fn to_request(recorded: RecordedRequest) -> Result<Request<Full<Bytes>>, HttpReplayError> {
    if recorded.truncated {
        return Err(HttpReplayError::Truncated { uri: recorded.uri });
    }
    let invalid = |reason: String| HttpReplayError::Invalid {
        uri: recorded.uri.clone(),
        reason,
    };
    let body = recorded.body_bytes().map_err(|e| invalid(e.to_string()))?;
    let mut builder = Request::builder()
        .method(recorded.method.as_str())
        .uri(recorded.uri.as_str());
    for (name, value) in &recorded.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| invalid(e.to_string()))
}
