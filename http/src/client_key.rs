//! The settings of the client side, and the key of an outgoing request.

use http::{HeaderMap, Method};

use crate::body::{RecordedBody, content_type};
use crate::format::RecordedRequest;
use crate::headers::HeaderFilter;

#[derive(Debug)]
pub(crate) struct ClientConfig {
    pub(crate) headers: HeaderFilter,
    pub(crate) key_headers: Option<Vec<String>>,
    pub(crate) ignored_params: Vec<String>,
    pub(crate) max_body_size: usize,
}

impl ClientConfig {
    /// The key of a request: method, URL without the ignored query parameters, the
    /// selected headers, and the body (`None` for a body streamed while it is sent).
    pub(crate) fn key_of(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
        body: Option<&[u8]>,
    ) -> RecordedRequest {
        let mut selected = self.headers.select(headers);
        if let Some(keep) = &self.key_headers {
            selected.retain(|name, _| keep.contains(name));
        }
        let body = match body {
            Some(bytes) => {
                let cut = bytes.len().min(self.max_body_size);
                RecordedBody::encode(&bytes[..cut], content_type(headers), cut < bytes.len())
            }
            // a streaming body: its bytes are not known before it is sent
            None => RecordedBody::encode(b"", None, true),
        };
        RecordedRequest::new(
            method.to_string(),
            self.without_ignored(url),
            selected,
            body,
        )
    }

    /// `url` without the query parameters the key ignores (the others keep their order
    /// and spelling).
    fn without_ignored(&self, url: &str) -> String {
        let Some((base, query)) = url.split_once('?') else {
            return url.to_owned();
        };
        if self.ignored_params.is_empty() {
            return url.to_owned();
        }
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let name = pair.split_once('=').map_or(*pair, |(n, _)| n);
                !self.ignored_params.iter().any(|p| p == name)
            })
            .collect();
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    }
}

/// A recorded call failed with a transport error; replay returns it again.
///
/// ```
/// let e = playback_http::ReplayedError { message: "connection refused".into() };
/// assert!(e.to_string().contains("connection refused"));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("the recorded request failed: {message} (replayed from the recording)")]
pub struct ReplayedError {
    /// The recorded error's message.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_query_parameters_leave_the_key() {
        let config = ClientConfig {
            headers: HeaderFilter::new(),
            key_headers: None,
            ignored_params: vec!["ts".into()],
            max_body_size: 10,
        };
        assert_eq!(
            config.without_ignored("http://h/a?ts=1&b=2"),
            "http://h/a?b=2"
        );
        assert_eq!(config.without_ignored("http://h/a?ts=1"), "http://h/a");
        assert_eq!(config.without_ignored("http://h/a"), "http://h/a");
    }
}
