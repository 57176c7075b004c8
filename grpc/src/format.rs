//! What a gRPC call looks like in a recording.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The operation name of a call recorded by [`RecordLayer`](crate::RecordLayer): replay
/// finds gRPC recordings by it.
///
/// ```
/// assert_eq!(playback_grpc::SERVER_OPERATION, "playback::grpc::call");
/// ```
pub const SERVER_OPERATION: &str = "playback::grpc::call";

/// The input alias under which [`ClientLayer`](crate::ClientLayer) records outgoing
/// calls.
///
/// ```
/// assert_eq!(playback_grpc::CLIENT_ALIAS, "playback::grpc::client");
/// ```
pub const CLIENT_ALIAS: &str = "playback::grpc::client";

/// One protobuf message as recorded.
///
/// - `json`: the message as protobuf's canonical JSON, when the layer has a descriptor
///   pool that knows the message type;
/// - `base64`: its protobuf bytes, whenever there is no `json` or the `json` would not
///   give the same bytes back (unknown fields, a compressed message).
///
/// Diffs are made on the `json` when it is there.
///
/// ```
/// let m: playback_grpc::RecordedMessage = serde_json::from_str(r#"{"base64":"CgVhcHBsZQ=="}"#).unwrap();
/// assert_eq!(m.base64.as_deref(), Some("CgVhcHBsZQ=="));
/// assert!(m.json.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedMessage {
    /// The message as canonical protobuf JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// The message's protobuf bytes, base64 (standard alphabet, padded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    /// The message was sent compressed (its bytes are the compressed ones).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub compressed: bool,
}

/// The request side of a call: the argument `request` of a server operation.
///
/// ```
/// let call: playback_grpc::RecordedCall = serde_json::from_str(
///     r#"{"method":"/shop.Catalog/GetPrice","metadata":{},"messages":[{"base64":""}]}"#,
/// ).unwrap();
/// assert_eq!(call.method, "/shop.Catalog/GetPrice");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedCall {
    /// The full method name, `/package.Service/Method`.
    pub method: String,
    /// The selected request metadata (credentials are never stored).
    pub metadata: BTreeMap<String, String>,
    /// The request messages, in the order they were sent (one for a unary call).
    pub messages: Vec<RecordedMessage>,
    /// The messages were cut at the size cap, or the stream ended early.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// A call's gRPC status.
///
/// ```
/// let s: playback_grpc::RecordedStatus = serde_json::from_str(r#"{"code":5,"message":"no such sku"}"#).unwrap();
/// assert_eq!(s.code, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedStatus {
    /// The status code (`0` is OK, `5` NOT_FOUND, ...).
    pub code: i32,
    /// The status message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// The response side of a call: the result of a server operation, and the value of a
/// client input.
///
/// ```
/// let r: playback_grpc::RecordedReply = serde_json::from_str(
///     r#"{"metadata":{},"messages":[],"status":{"code":0},"trailers":{}}"#,
/// ).unwrap();
/// assert_eq!(r.status.code, 0);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedReply {
    /// The selected response metadata (headers).
    pub metadata: BTreeMap<String, String>,
    /// The response messages, in the order they streamed.
    pub messages: Vec<RecordedMessage>,
    /// The status, from the trailers, or from the headers of a trailers-only response.
    pub status: RecordedStatus,
    /// The selected trailers other than `grpc-status` and `grpc-message`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trailers: BTreeMap<String, String>,
    /// The messages were cut at the size cap, or the stream ended early.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// A call the service failed to answer (its error, not a gRPC status).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ServiceFailure {
    pub(crate) error: String,
}

/// `/shop.Catalog/GetPrice` as a category a store accepts: `shop.Catalog.GetPrice`
/// (`/` is not allowed in a category).
///
/// ```
/// assert_eq!(playback_grpc::category_name("/shop.Catalog/GetPrice"), "shop.Catalog.GetPrice");
/// assert_eq!(playback_grpc::category_name("/"), "grpc root");
/// ```
pub fn category_name(path: &str) -> String {
    let mut name: String = path
        .split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(".")
        .chars()
        .filter(|c| !c.is_control() && *c != '\\')
        .collect();
    while name.contains("..") {
        name = name.replace("..", ".");
    }
    let mut name = name.trim_start_matches('.').to_owned();
    if name.is_empty() {
        name = "grpc root".to_owned();
    }
    if name.len() > 120 {
        let mut cut = 120;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    name
}
