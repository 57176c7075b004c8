//! Messages to and from their recorded form: protobuf bytes as base64, and readable JSON
//! when a descriptor pool knows the message type.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use crate::format::RecordedMessage;
use crate::frames::RawMessage;

/// Which side of a call a message is on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side {
    Request,
    Response,
}

/// Turns messages into their recorded form and back, with an optional descriptor pool.
#[derive(Debug, Clone, Default)]
pub(crate) struct Codec {
    pub(crate) pool: Option<DescriptorPool>,
}

/// A recorded message cannot be turned back into protobuf bytes.
///
/// ```
/// let e = playback_grpc::MessageError::NoDescriptor {
///     method: "/shop.Catalog/GetPrice".into(),
///     index: 0,
/// };
/// assert!(e.to_string().contains("/shop.Catalog/GetPrice"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The message was stored as JSON only, and this layer's descriptor pool does not
    /// know its type.
    #[error(
        "message {index} of {method} was recorded as JSON only, and the layer has no \
         descriptor pool that knows its type; give the layer the descriptor pool it \
         recorded with (`.descriptor_pool(..)`)"
    )]
    NoDescriptor {
        /// The full method name.
        method: String,
        /// The message's position in its stream.
        index: usize,
    },
    /// The stored JSON or base64 does not decode.
    #[error(
        "message {index} of {method} does not decode: {reason}; the recording was edited \
         or is corrupt, record the call again"
    )]
    Corrupt {
        /// The full method name.
        method: String,
        /// The message's position in its stream.
        index: usize,
        /// Why.
        reason: String,
    },
}

impl Codec {
    fn descriptor(&self, method: &str, side: Side) -> Option<MessageDescriptor> {
        let pool = self.pool.as_ref()?;
        let (service, name) = method.trim_start_matches('/').rsplit_once('/')?;
        let method = pool
            .get_service_by_name(service)?
            .methods()
            .find(|m| m.name() == name)?;
        Some(match side {
            Side::Request => method.input(),
            Side::Response => method.output(),
        })
    }

    /// The recorded form of each message.
    pub(crate) fn record(
        &self,
        method: &str,
        side: Side,
        messages: &[RawMessage],
    ) -> Vec<RecordedMessage> {
        let descriptor = self.descriptor(method, side);
        messages
            .iter()
            .map(|m| record_one(descriptor.as_ref(), m))
            .collect()
    }

    /// The messages' bytes again, as they were sent.
    pub(crate) fn restore(
        &self,
        method: &str,
        side: Side,
        messages: &[RecordedMessage],
    ) -> Result<Vec<RawMessage>, MessageError> {
        let descriptor = self.descriptor(method, side);
        messages
            .iter()
            .enumerate()
            .map(|(index, m)| restore_one(descriptor.as_ref(), m, method, index))
            .collect()
    }
}

fn record_one(descriptor: Option<&MessageDescriptor>, m: &RawMessage) -> RecordedMessage {
    let base64 = || Some(BASE64.encode(&m.bytes));
    let json = match descriptor {
        Some(d) if !m.compressed => to_json(d, &m.bytes),
        _ => None,
    };
    match json {
        // the JSON gives the same bytes back: it is the whole message
        Some(value) if from_json(descriptor, &value).as_deref() == Some(&m.bytes[..]) => {
            RecordedMessage {
                json: Some(value),
                base64: None,
                compressed: false,
            }
        }
        json => RecordedMessage {
            json,
            base64: base64(),
            compressed: m.compressed,
        },
    }
}

fn to_json(descriptor: &MessageDescriptor, bytes: &[u8]) -> Option<serde_json::Value> {
    let message = DynamicMessage::decode(descriptor.clone(), bytes).ok()?;
    serde_json::to_value(&message).ok()
}

fn from_json(descriptor: Option<&MessageDescriptor>, json: &serde_json::Value) -> Option<Vec<u8>> {
    let message = DynamicMessage::deserialize(descriptor?.clone(), json).ok()?;
    Some(message.encode_to_vec())
}

fn restore_one(
    descriptor: Option<&MessageDescriptor>,
    m: &RecordedMessage,
    method: &str,
    index: usize,
) -> Result<RawMessage, MessageError> {
    let corrupt = |reason: String| MessageError::Corrupt {
        method: method.to_owned(),
        index,
        reason,
    };
    let bytes = match (&m.base64, &m.json) {
        (Some(b64), _) => BASE64.decode(b64).map_err(|e| corrupt(e.to_string()))?,
        (None, Some(json)) => {
            let Some(descriptor) = descriptor else {
                return Err(MessageError::NoDescriptor {
                    method: method.to_owned(),
                    index,
                });
            };
            DynamicMessage::deserialize(descriptor.clone(), json)
                .map_err(|e| corrupt(e.to_string()))?
                .encode_to_vec()
        }
        (None, None) => return Err(corrupt("it has neither `json` nor `base64`".to_owned())),
    };
    Ok(RawMessage {
        compressed: m.compressed,
        bytes: Bytes::from(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> Codec {
        Codec {
            pool: Some(playback_grpc_testshop::descriptor_pool()),
        }
    }

    fn raw(bytes: Vec<u8>) -> RawMessage {
        RawMessage {
            compressed: false,
            bytes: Bytes::from(bytes),
        }
    }

    #[test]
    fn a_known_message_is_json_only_and_gives_its_bytes_back() {
        let price = playback_grpc_testshop::shop::Price {
            sku: "apple".into(),
            cents: 120,
            currency: "EUR".into(),
            served: 2,
        };
        let bytes = price.encode_to_vec();
        let method = "/shop.Catalog/GetPrice";
        let recorded = codec().record(method, Side::Response, &[raw(bytes.clone())]);
        assert_eq!(
            recorded[0].json,
            Some(
                serde_json::json!({"sku": "apple", "cents": "120", "currency": "EUR", "served": "2"})
            )
        );
        assert_eq!(recorded[0].base64, None);
        let back = codec().restore(method, Side::Response, &recorded).unwrap();
        assert_eq!(back[0].bytes, bytes);
        // without the pool, JSON alone cannot be sent again
        let err = Codec::default()
            .restore(method, Side::Response, &recorded)
            .unwrap_err();
        assert!(
            matches!(err, MessageError::NoDescriptor { index: 0, .. }),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_compressed_messages_and_no_pool_keep_the_bytes() {
        let method = "/shop.Catalog/GetPrice";
        // field 9 (unknown to shop.PriceRequest), varint 1, after sku = "pear"
        let mut bytes = playback_grpc_testshop::shop::PriceRequest {
            sku: "pear".into(),
            currency: String::new(),
        }
        .encode_to_vec();
        bytes.extend_from_slice(&[9 << 3, 1]);
        let recorded = codec().record(method, Side::Request, &[raw(bytes.clone())]);
        assert_eq!(recorded[0].json, Some(serde_json::json!({"sku": "pear"})));
        assert_eq!(
            recorded[0].base64.as_deref(),
            Some(BASE64.encode(&bytes).as_str())
        );
        let compressed = RawMessage {
            compressed: true,
            bytes: Bytes::from(bytes.clone()),
        };
        let recorded = codec().record(method, Side::Request, &[compressed]);
        assert!(recorded[0].json.is_none() && recorded[0].compressed);
        let plain = Codec::default().record(method, Side::Request, &[raw(bytes.clone())]);
        assert!(plain[0].json.is_none());
        for r in [recorded, plain] {
            let back = codec().restore(method, Side::Request, &r).unwrap();
            assert_eq!(back[0].bytes, bytes);
        }
    }
}
