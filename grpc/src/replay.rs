//! [`ReplayerExt::grpc_service`]: replay a gRPC recording by sending its call through the
//! service.

use std::fmt;
use std::sync::{Arc, Mutex};

use http::{Request, Response};
use http_body::Body;
use http_body_util::BodyExt as _;
use playback_replay::Replayer;
use tower_service::Service;

use crate::format::{RecordedCall, SERVER_OPERATION};
use crate::messages::MessageError;
use crate::replay_body::{Outcome, ReplayRequest};
use crate::tap::lock;

/// Why a recorded call could not be sent through the service during a replay.
///
/// ```
/// let e = playback_grpc::GrpcReplayError::Truncated { method: "/shop.Catalog/Order".into() };
/// assert!(e.to_string().contains("/shop.Catalog/Order"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrpcReplayError {
    /// The recorded request messages are not whole, so the call cannot be sent again.
    #[error(
        "the recorded request messages of {method} are not whole (they were longer than \
         `max_message_bytes`, or the handler did not read the stream to its end), so the \
         call cannot be replayed; raise `RecordLayer::builder().max_message_bytes(..)` and \
         record it again"
    )]
    Truncated {
        /// The full method name.
        method: String,
    },
    /// The recorded method or metadata do not make a request.
    #[error("the recorded call {method} is not a valid gRPC request: {reason}")]
    Invalid {
        /// The full method name.
        method: String,
        /// Why.
        reason: String,
    },
    /// No [`RecordLayer`](crate::RecordLayer) in the service took the call.
    #[error(
        "no playback_grpc::RecordLayer took the recorded call {method}: give `grpc_service` \
         the service wrapped in the RecordLayer it records with in production \
         (`RecordLayer::new().layer(svc)`, with the same descriptor pool)"
    )]
    NoRecordLayer {
        /// The full method name.
        method: String,
    },
    /// The recorded messages could not be encoded again.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// The service returned an error instead of a response.
    #[error("the service failed on the recorded call {method}: {reason}")]
    Service {
        /// The full method name.
        method: String,
        /// The service's error.
        reason: String,
    },
}

/// Replays gRPC recordings through the service that made them.
///
/// ```
/// use playback_grpc::{RecordLayer, ReplayerExt as _};
/// use tower_layer::Layer as _;
/// # use playback_grpc_testshop::shop::{catalog_server::{Catalog, CatalogServer}, *};
/// # #[derive(Clone)] struct MyCatalog;
/// # #[tonic::async_trait]
/// # impl Catalog for MyCatalog {
/// #     async fn get_price(&self, _: tonic::Request<PriceRequest>) -> Result<tonic::Response<Price>, tonic::Status> { Err(tonic::Status::unimplemented("")) }
/// #     type ListPricesStream = tokio_stream::Empty<Result<Price, tonic::Status>>;
/// #     async fn list_prices(&self, _: tonic::Request<ListRequest>) -> Result<tonic::Response<Self::ListPricesStream>, tonic::Status> { Err(tonic::Status::unimplemented("")) }
/// #     async fn order(&self, _: tonic::Request<tonic::Streaming<OrderLine>>) -> Result<tonic::Response<OrderTotal>, tonic::Status> { Err(tonic::Status::unimplemented("")) }
/// # }
/// let svc = RecordLayer::new().layer(CatalogServer::new(MyCatalog));
/// let replayer = playback_replay::Replayer::new().grpc_service(svc);
/// assert!(format!("{replayer:?}").contains("grpc_service"));
/// ```
pub trait ReplayerExt {
    /// Replays every recording made by a [`RecordLayer`](crate::RecordLayer) by sending
    /// its recorded call through `service`: the service as production builds it, wrapped
    /// in the same `RecordLayer` (`RecordLayer::new().layer(CatalogServer::new(..))`, or
    /// a tonic `Routes` of several services). The handler runs, its inputs and outputs
    /// replay as usual, and the reply it streams out is the replayed result.
    /// `replay_recording` and the Equalizer's `.replayer(..)` then need no factory per
    /// method.
    ///
    /// The request messages are encoded again by the service's `RecordLayer`, with its
    /// descriptor pool. Metadata that was not recorded (credentials) is not sent.
    ///
    /// ```
    /// use playback_grpc::ReplayerExt as _;
    /// let svc = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    /// });
    /// let _replayer = playback_replay::Replayer::new().grpc_service(svc);
    /// ```
    fn grpc_service<S, B>(self, service: S) -> Replayer
    where
        S: Service<Request<tonic::body::Body>, Response = Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: fmt::Display,
        S::Future: 'static,
        B: Body + 'static,
        B::Error: fmt::Display;
}

impl ReplayerExt for Replayer {
    fn grpc_service<S, B>(self, service: S) -> Replayer
    where
        S: Service<Request<tonic::body::Body>, Response = Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: fmt::Display,
        S::Future: 'static,
        B: Body + 'static,
        B::Error: fmt::Display,
    {
        self.register_claim_async("grpc_service", move |rec| {
            if rec.operation != SERVER_OPERATION {
                return None;
            }
            let call: RecordedCall = match rec.arg("request") {
                Ok(c) => c,
                Err(e) => return Some(Err(e)),
            };
            let mut service = service.clone();
            Some(Ok(async move {
                if let Err(e) = send(&mut service, call).await {
                    // the replay reports the panic of the replayed code with this message
                    panic!("playback::grpc: {e}");
                }
            }))
        })
    }
}

async fn send<S, B>(service: &mut S, call: RecordedCall) -> Result<(), GrpcReplayError>
where
    S: Service<Request<tonic::body::Body>, Response = Response<B>>,
    S::Error: fmt::Display,
    B: Body,
    B::Error: fmt::Display,
{
    let method = call.method.clone();
    if call.truncated {
        return Err(GrpcReplayError::Truncated { method });
    }
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let request = to_request(call, outcome.clone())?;
    let failed = |e: String| GrpcReplayError::Service {
        method: method.clone(),
        reason: e,
    };
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let response = service
        .call(request)
        .await
        .map_err(|e| failed(e.to_string()))?;
    // stream the reply out, as the server would: the operation ends with it
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut outcome = lock(&outcome);
    if let Some(e) = outcome.error.take() {
        return Err(e.into());
    }
    if !outcome.seen {
        return Err(GrpcReplayError::NoRecordLayer { method });
    }
    Ok(())
}

fn to_request(
    call: RecordedCall,
    outcome: Arc<Mutex<Outcome>>,
) -> Result<Request<tonic::body::Body>, GrpcReplayError> {
    let invalid = |reason: String| GrpcReplayError::Invalid {
        method: call.method.clone(),
        reason,
    };
    let mut builder = Request::builder()
        .method(http::Method::POST)
        .uri(call.method.as_str())
        .version(http::Version::HTTP_2);
    for (name, value) in &call.metadata {
        builder = builder.header(name, value);
    }
    if !call.metadata.contains_key("content-type") {
        builder = builder.header("content-type", "application/grpc");
    }
    if !call.metadata.contains_key("te") {
        builder = builder.header("te", "trailers");
    }
    let mut request = builder
        .body(tonic::body::Body::empty())
        .map_err(|e| invalid(e.to_string()))?;
    request.extensions_mut().insert(ReplayRequest {
        call: Arc::new(call),
        outcome,
    });
    Ok(request)
}
