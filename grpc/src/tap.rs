//! A body that hands every frame on as it arrives and splits the gRPC messages out of
//! the data it saw (up to a cap), with the trailers.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};

use crate::frames::Splitter;

/// What a [`Tap`] saw: the messages (up to the cap) and the trailers.
#[derive(Debug)]
pub(crate) struct Capture {
    pub(crate) splitter: Splitter,
    pub(crate) trailers: Option<HeaderMap>,
    /// The body was dropped (or failed) before its end.
    pub(crate) unfinished: bool,
}

impl Capture {
    pub(crate) fn new(cap: usize) -> Arc<Mutex<Capture>> {
        Arc::new(Mutex::new(Capture {
            splitter: Splitter::new(cap),
            trailers: None,
            unfinished: false,
        }))
    }

    /// Whether what is kept is not the whole stream; `unfinished_is_whole` says whether
    /// a body dropped before its end counts as whole (a request is recorded as far as
    /// the handler read it, which is what a replay sends again).
    pub(crate) fn truncated(&self, unfinished_is_whole: bool) -> bool {
        self.splitter.truncated
            || self.splitter.has_partial()
            || (self.unfinished && !unfinished_is_whole)
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Called once when the watched body ends, fails, or is dropped.
pub(crate) type OnEnd = Box<dyn FnOnce() + Send + Sync>;

/// A body watched as it streams: nothing is held back.
pub(crate) struct Tap<B> {
    inner: B,
    capture: Arc<Mutex<Capture>>,
    on_end: Option<OnEnd>,
    /// Entered while the body is polled, so a stream that produces its messages on
    /// demand (a server-streaming handler) runs inside the operation.
    span: Option<tracing::Span>,
}

impl<B> std::fmt::Debug for Tap<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap")
            .field("open", &self.on_end.is_some())
            .finish_non_exhaustive()
    }
}

impl<B> Tap<B> {
    pub(crate) fn new(
        inner: B,
        capture: Arc<Mutex<Capture>>,
        on_end: Option<OnEnd>,
        span: Option<tracing::Span>,
    ) -> Tap<B> {
        Tap {
            inner,
            capture,
            on_end,
            span,
        }
    }

    fn end(&mut self, unfinished: bool) {
        if unfinished {
            lock(&self.capture).unfinished = true;
        }
        if let Some(on_end) = self.on_end.take() {
            on_end();
        }
        // the operation's span closes once its last handle is gone
        self.span = None;
    }
}

impl<B> Body for Tap<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let polled = {
            let _entered = this.span.as_ref().map(tracing::Span::enter);
            Pin::new(&mut this.inner).poll_frame(cx)
        };
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                {
                    let mut capture = lock(&this.capture);
                    if let Some(data) = frame.data_ref() {
                        capture.splitter.push(data);
                    } else if let Some(trailers) = frame.trailers_ref() {
                        capture.trailers = Some(trailers.clone());
                    }
                }
                // hyper stops polling once the body says it ended
                if this.inner.is_end_stream() {
                    this.end(false);
                }
            }
            Poll::Ready(None) => this.end(false),
            Poll::Ready(Some(Err(_))) => this.end(true),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for Tap<B> {
    fn drop(&mut self) {
        if self.on_end.is_some() {
            self.end(true);
        }
    }
}
