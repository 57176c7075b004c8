//! Metadata and status as recorded: the selected metadata without the status fields, and
//! the status from the trailers or a trailers-only response; and back, for a replay.

use std::collections::BTreeMap;

use http::HeaderMap;
use playback_http::HeaderFilter;

use crate::format::RecordedStatus;

/// The status fields, recorded as the status and not as metadata.
const STATUS_FIELDS: &[&str] = &["grpc-status", "grpc-message", "grpc-status-details-bin"];

/// The recorded metadata: what the filter keeps, less the status fields.
pub(crate) fn selected(filter: &HeaderFilter, headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out = filter.select(headers);
    out.retain(|name, _| !STATUS_FIELDS.contains(&name.as_str()));
    out
}

/// The status of a response: from its trailers, else from its headers (a trailers-only
/// response), else `UNKNOWN` (the stream ended with no status).
pub(crate) fn reply_status(trailers: Option<&HeaderMap>, headers: &HeaderMap) -> RecordedStatus {
    let status = trailers
        .and_then(tonic::Status::from_header_map)
        .or_else(|| tonic::Status::from_header_map(headers));
    match status {
        Some(s) => RecordedStatus {
            code: s.code() as i32,
            message: s.message().to_owned(),
        },
        None => RecordedStatus {
            code: tonic::Code::Unknown as i32,
            message: "the response ended with no grpc-status".to_owned(),
        },
    }
}

/// The trailers of a replayed response: the recorded ones and the status.
pub(crate) fn trailers_of(
    status: &RecordedStatus,
    recorded: &BTreeMap<String, String>,
) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in recorded {
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            map.insert(n, v);
        }
    }
    let status = tonic::Status::new(tonic::Code::from(status.code), status.message.clone());
    if status.add_header(&mut map).is_err() {
        // a message that is not a valid header value: the code alone
        map.insert("grpc-status", http::HeaderValue::from(status.code() as i32));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_comes_from_the_trailers_else_from_the_headers() {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", "5".parse().unwrap());
        trailers.insert("grpc-message", "no%20such%20sku".parse().unwrap());
        let s = reply_status(Some(&trailers), &HeaderMap::new());
        assert_eq!((s.code, s.message.as_str()), (5, "no such sku"));
        let s = reply_status(None, &trailers);
        assert_eq!(s.code, 5);
        assert_eq!(reply_status(None, &HeaderMap::new()).code, 2);
        let back = trailers_of(&s, &BTreeMap::new());
        assert_eq!(back["grpc-status"], "5");
        assert_eq!(back["grpc-message"], "no%20such%20sku");
    }

    #[test]
    fn status_fields_and_credentials_are_not_metadata() {
        let mut h = HeaderMap::new();
        h.insert("grpc-status", "0".parse().unwrap());
        h.insert("authorization", "Bearer x".parse().unwrap());
        h.insert("x-tenant", "acme".parse().unwrap());
        let kept = selected(&HeaderFilter::new(), &h);
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["x-tenant"]);
    }
}
