//! Recorded messages sent again: the body of a replayed request or response, and the
//! request extension through which [`ReplayerExt::grpc_service`] hands a recorded call
//! to the [`RecordLayer`] that encodes it.
//!
//! [`ReplayerExt::grpc_service`]: crate::ReplayerExt::grpc_service
//! [`RecordLayer`]: crate::RecordLayer

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame};

use crate::format::RecordedCall;
use crate::frames::{RawMessage, frame};
use crate::messages::{Codec, MessageError, Side};
use crate::tap::lock;

/// Recorded messages, one data frame each in recorded order, then the trailers if any.
#[derive(Debug)]
pub(crate) struct ReplayBody {
    frames: VecDeque<Frame<Bytes>>,
}

impl ReplayBody {
    pub(crate) fn new(messages: &[RawMessage], trailers: Option<HeaderMap>) -> ReplayBody {
        let mut frames: VecDeque<Frame<Bytes>> =
            messages.iter().map(|m| Frame::data(frame(m))).collect();
        if let Some(t) = trailers {
            frames.push_back(Frame::trailers(t));
        }
        ReplayBody { frames }
    }
}

impl Body for ReplayBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.frames.pop_front().map(Ok))
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty()
    }
}

/// What became of a call handed to the service during a replay.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// A `RecordLayer` took the call.
    pub(crate) seen: bool,
    /// Its messages could not be encoded again.
    pub(crate) error: Option<MessageError>,
}

/// A recorded call, carried in a request's extensions to the `RecordLayer`, which
/// encodes its messages with its own descriptor pool.
#[derive(Debug, Clone)]
pub(crate) struct ReplayRequest {
    pub(crate) call: Arc<RecordedCall>,
    pub(crate) outcome: Arc<Mutex<Outcome>>,
}

impl ReplayRequest {
    /// The request body: the recorded messages, framed.
    pub(crate) fn body(self, codec: &Codec) -> tonic::body::Body {
        let mut outcome = lock(&self.outcome);
        outcome.seen = true;
        match codec.restore(&self.call.method, Side::Request, &self.call.messages) {
            Ok(messages) => tonic::body::Body::new(ReplayBody::new(&messages, None)),
            Err(e) => {
                outcome.error = Some(e);
                tonic::body::Body::empty()
            }
        }
    }
}
