//! Bodies as they are recorded (JSON, UTF-8 text or base64), and the body wrapper that
//! watches chunks stream past without holding them back.

use std::pin::Pin;
use std::task::{Context, Poll};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// How a recorded body is stored.
///
/// ```
/// use playback_http::BodyEncoding;
/// let e: BodyEncoding = serde_json::from_str("\"json\"").unwrap();
/// assert_eq!(e, BodyEncoding::Json);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BodyEncoding {
    /// The body is the JSON value itself (the content type said JSON, and it parsed).
    Json,
    /// The body is a string: valid UTF-8 that is not JSON.
    Text,
    /// The body is a base64 string of its bytes.
    Base64,
}

/// A body as recorded: readable JSON, text, or base64 bytes.
///
/// ```
/// use playback_http::{BodyEncoding, RecordedBody};
/// let body = RecordedBody::encode(b"{\"total\":3}", Some("application/json"), false);
/// assert_eq!(body.encoding, BodyEncoding::Json);
/// assert_eq!(body.body.get(), "{\"total\":3}");
/// assert_eq!(body.decode().unwrap(), b"{\"total\":3}".to_vec());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedBody {
    /// The body: a JSON value, a string, or a base64 string, as `encoding` says.
    pub body: Box<RawValue>,
    /// How `body` is stored.
    #[serde(rename = "body_encoding")]
    pub encoding: BodyEncoding,
    /// The body was longer than the size cap (or its stream ended early): what is
    /// stored is its beginning.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl RecordedBody {
    /// Encodes `bytes`: as JSON when the content type names JSON and the bytes parse,
    /// else as text when they are UTF-8, else as base64. A truncated body is never JSON.
    ///
    /// ```
    /// use playback_http::{BodyEncoding, RecordedBody};
    /// assert_eq!(RecordedBody::encode(b"hi", Some("text/plain"), false).encoding, BodyEncoding::Text);
    /// assert_eq!(RecordedBody::encode(&[0xff, 0x00], None, false).encoding, BodyEncoding::Base64);
    /// ```
    pub fn encode(bytes: &[u8], content_type: Option<&str>, truncated: bool) -> RecordedBody {
        let json_type = content_type.is_some_and(|t| t.contains("json"));
        if json_type
            && !truncated
            && let Ok(raw) = serde_json::from_slice::<&RawValue>(bytes)
        {
            return RecordedBody {
                body: raw.to_owned(),
                encoding: BodyEncoding::Json,
                truncated,
            };
        }
        let (text, encoding) = match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_owned(), BodyEncoding::Text),
            Err(_) => (BASE64.encode(bytes), BodyEncoding::Base64),
        };
        RecordedBody {
            body: serde_json::value::to_raw_value(&text).unwrap_or_else(|_| empty_string()),
            encoding,
            truncated,
        }
    }

    /// The body's bytes, as they were sent.
    ///
    /// ```
    /// let body = playback_http::RecordedBody::encode(&[1, 2, 3], None, false);
    /// assert_eq!(body.decode().unwrap(), vec![1, 2, 3]);
    /// ```
    pub fn decode(&self) -> Result<Vec<u8>, BodyDecodeError> {
        match self.encoding {
            BodyEncoding::Json => Ok(self.body.get().as_bytes().to_vec()),
            BodyEncoding::Text => serde_json::from_str::<String>(self.body.get())
                .map(String::into_bytes)
                .map_err(|e| BodyDecodeError {
                    reason: e.to_string(),
                }),
            BodyEncoding::Base64 => {
                let text: String =
                    serde_json::from_str(self.body.get()).map_err(|e| BodyDecodeError {
                        reason: e.to_string(),
                    })?;
                BASE64.decode(text).map_err(|e| BodyDecodeError {
                    reason: e.to_string(),
                })
            }
        }
    }
}

/// A recorded body could not be turned back into bytes.
///
/// ```
/// let err = playback_http::BodyDecodeError { reason: "bad".into() };
/// assert!(err.to_string().contains("bad"));
/// ```
#[derive(Debug, thiserror::Error)]
#[error(
    "the recorded body does not decode: {reason}; the recording was edited or is corrupt, \
     record the request again"
)]
pub struct BodyDecodeError {
    /// Why.
    pub reason: String,
}

fn empty_string() -> Box<RawValue> {
    RawValue::from_string("\"\"".to_owned()).expect("a JSON string")
}

/// The content type of a header map, when it is text.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// The chunks a [`Tee`] saw, up to its cap.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    chunks: Vec<Bytes>,
    len: usize,
    /// Each data frame's length, in order (also past the cap).
    pub(crate) sizes: Vec<usize>,
    /// The cap cut it.
    pub(crate) truncated: bool,
    /// The body was dropped (or failed) before its end: what was read is all there is.
    pub(crate) unfinished: bool,
}

impl Captured {
    /// An empty, complete body.
    pub(crate) fn empty() -> Captured {
        Captured::default()
    }

    fn push(&mut self, chunk: &Bytes, cap: usize) {
        self.sizes.push(chunk.len());
        let room = cap.saturating_sub(self.len);
        if chunk.len() > room {
            self.truncated = true;
        }
        let kept = chunk.slice(..chunk.len().min(room));
        self.len += kept.len();
        if !kept.is_empty() {
            // `Bytes` is reference-counted: keeping a chunk copies nothing
            self.chunks.push(kept);
        }
    }

    /// The captured bytes, in one piece.
    pub(crate) fn bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            many => Bytes::from(many.concat()),
        }
    }

    /// Encodes what was captured; `unfinished_is_whole` says whether a body dropped
    /// before its end counts as whole (a request body is recorded as far as the
    /// handler read it, which is what a replay needs to send).
    pub(crate) fn encode(
        &self,
        content_type: Option<&str>,
        unfinished_is_whole: bool,
    ) -> RecordedBody {
        let truncated = self.truncated || (self.unfinished && !unfinished_is_whole);
        RecordedBody::encode(&self.bytes(), content_type, truncated)
    }
}

/// Called once with what a [`Tee`] captured: at the end of the stream, or when the body
/// is dropped before it (then the capture is marked truncated).
pub(crate) type OnEnd = Box<dyn FnOnce(Captured) + Send + Sync>;

/// A body that hands every frame on as soon as it arrives and keeps a reference to the
/// data frames (up to `cap` bytes), calling `on_end` when the stream ends.
///
/// ```
/// # use http_body_util::BodyExt;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let body = playback_http::TeeBody::passthrough(http_body_util::Full::new(bytes::Bytes::from("hi")));
/// let bytes = body.collect().await.unwrap().to_bytes();
/// assert_eq!(&bytes[..], b"hi");
/// # });
/// ```
pub struct TeeBody<B> {
    inner: B,
    cap: usize,
    captured: Captured,
    on_end: Option<OnEnd>,
    /// The inner body's size hint when it was wrapped (`Drop` cannot ask `B`).
    size_hint: SizeHint,
}

impl<B> std::fmt::Debug for TeeBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeeBody")
            .field("capturing", &self.on_end.is_some())
            .field("captured", &self.captured.len)
            .finish()
    }
}

impl<B> TeeBody<B> {
    /// A body that captures nothing (no operation is being recorded or replayed).
    ///
    /// ```
    /// let body = playback_http::TeeBody::passthrough(String::from("x"));
    /// assert!(format!("{body:?}").contains("capturing: false"));
    /// ```
    pub fn passthrough(inner: B) -> TeeBody<B> {
        TeeBody {
            inner,
            cap: 0,
            captured: Captured::default(),
            on_end: None,
            size_hint: SizeHint::default(),
        }
    }

    pub(crate) fn capturing(inner: B, cap: usize, on_end: OnEnd) -> TeeBody<B>
    where
        B: Body,
    {
        let size_hint = inner.size_hint();
        TeeBody {
            inner,
            cap,
            captured: Captured::default(),
            on_end: Some(on_end),
            size_hint,
        }
    }

    fn end(&mut self, unfinished: bool) {
        if let Some(on_end) = self.on_end.take() {
            let mut captured = std::mem::take(&mut self.captured);
            captured.unfinished = unfinished;
            on_end(captured);
        }
    }
}

impl<B> Body for TeeBody<B>
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
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if this.on_end.is_some()
                    && let Some(data) = frame.data_ref()
                {
                    this.captured.push(data, this.cap);
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

impl<B> Drop for TeeBody<B> {
    fn drop(&mut self) {
        if self.on_end.is_none() {
            return;
        }
        // dropped before its end: the client went away, or the handler did not read it
        // (an empty body the handler ignored is whole)
        let empty = self.captured.len == 0 && self.size_hint.exact() == Some(0);
        self.end(!empty);
    }
}

/// A body of recorded chunks, handed out one frame each, as the original stream was.
#[derive(Debug)]
pub(crate) struct ChunksBody {
    chunks: std::collections::VecDeque<Bytes>,
}

impl ChunksBody {
    /// Splits `bytes` at the recorded chunk sizes (the rest, if any, is one more chunk).
    pub(crate) fn split(bytes: Vec<u8>, sizes: &[usize]) -> ChunksBody {
        let mut bytes = Bytes::from(bytes);
        let mut chunks = std::collections::VecDeque::new();
        for &size in sizes {
            if bytes.is_empty() {
                break;
            }
            chunks.push_back(bytes.split_to(size.min(bytes.len())));
        }
        if !bytes.is_empty() {
            chunks.push_back(bytes);
        }
        ChunksBody { chunks }
    }
}

impl Body for ChunksBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.chunks.pop_front().map(|c| Ok(Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_kept_readable_text_as_a_string_and_bytes_as_base64() {
        let json = RecordedBody::encode(br#"{"a":1}"#, Some("application/json"), false);
        assert_eq!(
            serde_json::to_string(&json).unwrap(),
            r#"{"body":{"a":1},"body_encoding":"json"}"#
        );
        let text = RecordedBody::encode(br#"{"a":1}"#, Some("text/plain"), false);
        assert_eq!(text.body.get(), r#""{\"a\":1}""#);
        let bin = RecordedBody::encode(&[0, 159, 146, 150], Some("application/json"), false);
        assert_eq!(bin.encoding, BodyEncoding::Base64);
        assert_eq!(bin.decode().unwrap(), vec![0, 159, 146, 150]);
    }

    #[test]
    fn the_cap_keeps_the_beginning_and_marks_it_truncated() {
        let mut c = Captured::default();
        c.push(&Bytes::from_static(b"hello "), 8);
        c.push(&Bytes::from_static(b"world"), 8);
        assert_eq!(&c.bytes()[..], b"hello wo");
        assert!(c.truncated);
        assert_eq!(c.sizes, vec![6, 5]);
        let body = c.encode(Some("application/json"), false);
        assert_eq!(body.encoding, BodyEncoding::Text);
        assert!(body.truncated);
    }

    #[test]
    fn recorded_chunks_are_split_as_they_streamed() {
        let body = ChunksBody::split(b"abcdef".to_vec(), &[2, 3, 1]);
        let sizes: Vec<usize> = body.chunks.iter().map(Bytes::len).collect();
        assert_eq!(sizes, vec![2, 3, 1]);
    }
}
