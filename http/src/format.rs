//! What an HTTP exchange looks like in a recording.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use serde_json::value::RawValue;

use crate::body::{BodyDecodeError, BodyEncoding, RecordedBody};

/// The operation name of a request recorded by [`RecordLayer`](crate::RecordLayer):
/// replay finds HTTP recordings by it.
///
/// ```
/// assert_eq!(playback_http::SERVER_OPERATION, "playback::http::request");
/// ```
pub const SERVER_OPERATION: &str = "playback::http::request";

/// The input alias under which [`ClientMiddleware`](crate::ClientMiddleware) records
/// outgoing requests.
///
/// ```
/// assert_eq!(playback_http::CLIENT_ALIAS, "playback::http::client");
/// ```
pub const CLIENT_ALIAS: &str = "playback::http::client";

/// A request as recorded: the argument `request` of a server operation, and the key of
/// a client input (with the URL in `uri`).
///
/// ```
/// let req: playback_http::RecordedRequest = serde_json::from_str(
///     r#"{"method":"GET","uri":"/carts/7","headers":{},"body":"","body_encoding":"text"}"#,
/// ).unwrap();
/// assert_eq!(req.method, "GET");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Server side: path and query as received. Client side: the full URL, without the
    /// query parameters the middleware ignores.
    pub uri: String,
    /// The selected headers.
    pub headers: BTreeMap<String, String>,
    /// The body: a JSON value, a string or a base64 string, as `body_encoding` says.
    pub body: Box<RawValue>,
    /// How `body` is stored.
    pub body_encoding: BodyEncoding,
    /// The body was cut at the size cap, or its stream ended early.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// A response as recorded: the result of a server operation, and the value of a client
/// input.
///
/// ```
/// let res: playback_http::RecordedResponse = serde_json::from_str(
///     r#"{"status":200,"headers":{},"body":{"total":3},"body_encoding":"json"}"#,
/// ).unwrap();
/// assert_eq!(res.status, 200);
/// assert_eq!(res.body.get(), r#"{"total":3}"#);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// The status code.
    pub status: u16,
    /// The selected headers.
    pub headers: BTreeMap<String, String>,
    /// The body: a JSON value, a string or a base64 string, as `body_encoding` says.
    pub body: Box<RawValue>,
    /// How `body` is stored.
    pub body_encoding: BodyEncoding,
    /// The body was cut at the size cap, or its stream ended early.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// The length of each data frame as it streamed, when there was more than one:
    /// replay hands the body out in the same pieces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<usize>,
}

/// A request the service failed to answer (its error, not an HTTP status).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ServiceFailure {
    pub(crate) error: String,
}

macro_rules! body_access {
    ($t:ty) => {
        impl $t {
            /// The body's bytes, as they were sent.
            ///
            /// ```
            #[doc = concat!("let x: playback_http::", stringify!($t), " = serde_json::from_str(")]
            ///     r#"{"method":"GET","uri":"/","status":200,"headers":{},"body":"hi","body_encoding":"text"}"#,
            /// ).unwrap();
            /// assert_eq!(x.body_bytes().unwrap(), b"hi".to_vec());
            /// ```
            pub fn body_bytes(&self) -> Result<Vec<u8>, BodyDecodeError> {
                RecordedBody {
                    body: self.body.clone(),
                    encoding: self.body_encoding,
                    truncated: self.truncated,
                }
                .decode()
            }
        }
    };
}
body_access!(RecordedRequest);
body_access!(RecordedResponse);

impl RecordedRequest {
    pub(crate) fn new(
        method: String,
        uri: String,
        headers: BTreeMap<String, String>,
        body: RecordedBody,
    ) -> Self {
        RecordedRequest {
            method,
            uri,
            headers,
            body: body.body,
            body_encoding: body.encoding,
            truncated: body.truncated,
        }
    }
}

impl RecordedResponse {
    pub(crate) fn new(
        status: u16,
        headers: BTreeMap<String, String>,
        body: RecordedBody,
        chunks: Vec<usize>,
    ) -> Self {
        RecordedResponse {
            status,
            headers,
            body: body.body,
            body_encoding: body.encoding,
            truncated: body.truncated,
            chunks: if chunks.len() > 1 { chunks } else { Vec::new() },
        }
    }
}
