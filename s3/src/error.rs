//! Typed S3 errors: which request, bucket and key failed, and why.

use std::error::Error as StdError;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use playback_store::StoreError;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Why an S3 request failed, as far as the store can tell.
///
/// ```
/// use playback_s3::S3ErrorKind;
/// assert!(S3ErrorKind::Throttled.is_retryable());
/// assert!(!S3ErrorKind::Credentials.is_retryable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum S3ErrorKind {
    /// The credentials were rejected (bad key or signature, expired token) or none
    /// could be loaded.
    Credentials,
    /// The credentials are valid but lack a permission.
    AccessDenied,
    /// The bucket does not exist.
    NoSuchBucket,
    /// The object does not exist.
    NoSuchKey,
    /// S3 asked the client to slow down (HTTP 503 `SlowDown`, 429).
    Throttled,
    /// S3 failed with a 5xx status.
    Server,
    /// The request or the connection timed out.
    Timeout,
    /// The endpoint could not be reached (connection refused or reset, DNS).
    Network,
    /// S3 refused the request for another reason (an invalid argument, a
    /// precondition, an unsupported storage class).
    Rejected,
    /// The response could not be read or the request could not be built.
    Other,
}

impl S3ErrorKind {
    /// Whether retrying the same request later may succeed: throttling, server
    /// errors, timeouts and network failures.
    ///
    /// ```
    /// assert!(playback_s3::S3ErrorKind::Network.is_retryable());
    /// assert!(!playback_s3::S3ErrorKind::NoSuchBucket.is_retryable());
    /// ```
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            S3ErrorKind::Throttled
                | S3ErrorKind::Server
                | S3ErrorKind::Timeout
                | S3ErrorKind::Network
        )
    }

    fn explain(self) -> &'static str {
        match self {
            S3ErrorKind::Credentials => {
                "the credentials were rejected or could not be loaded; check AWS_ACCESS_KEY_ID / \
                 AWS_SECRET_ACCESS_KEY, the AWS profile or the instance role"
            }
            S3ErrorKind::AccessDenied => {
                "access denied; grant the IAM permissions listed in the playback-s3 README"
            }
            S3ErrorKind::NoSuchBucket => {
                "the bucket does not exist; create it or check the bucket name, region and endpoint"
            }
            S3ErrorKind::NoSuchKey => "no such object",
            S3ErrorKind::Throttled => "S3 throttled the request; retry later or upload less often",
            S3ErrorKind::Server => "S3 had an internal error; retry later",
            S3ErrorKind::Timeout => {
                "the request timed out; check the network path to the endpoint or raise the timeouts"
            }
            S3ErrorKind::Network => {
                "could not reach the endpoint; check the endpoint URL, DNS and network"
            }
            S3ErrorKind::Rejected => "S3 rejected the request",
            S3ErrorKind::Other => "the request failed",
        }
    }
}

/// An S3 failure, naming the request, the bucket, the key and the reason.
///
/// Every method of [`crate::S3Store`] returns [`StoreError`]; S3 failures arrive as
/// [`StoreError::Backend`] with this error as their source. Use
/// [`S3Error::from_store_error`] to get it back.
///
/// ```
/// use playback_s3::{S3Error, S3ErrorKind};
/// use playback_store::StoreError;
/// let err: StoreError = S3Error::Config { reason: "the bucket name is empty".into() }.into();
/// assert_eq!(err.to_string(), "s3 store failed to configure: the bucket name is empty");
/// assert!(matches!(S3Error::from_store_error(&err), Some(S3Error::Config { .. })));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum S3Error {
    /// One S3 request failed.
    #[error("{}", describe_request(request, bucket, key, *kind, code.as_deref(), detail))]
    Request {
        /// What the store was doing: `"put"`, `"get"`, `"list"`, `"delete"`, `"close"`.
        op: &'static str,
        /// The S3 request: `"PutObject"`, `"GetObject"`, `"ListObjectsV2"`, ...
        request: &'static str,
        /// The bucket.
        bucket: String,
        /// The object key, or the listed prefix.
        key: String,
        /// Why it failed.
        kind: S3ErrorKind,
        /// The S3 error code (`"NoSuchBucket"`, `"SignatureDoesNotMatch"`), when S3 sent one.
        code: Option<String>,
        /// The server's message or the transport error.
        detail: String,
        /// The SDK's error.
        #[source]
        source: Option<BoxError>,
    },
    /// An object larger than the store reads, [`playback_store::MAX_RECORDING_BYTES`]:
    /// refused before its body is read into memory.
    #[error(
        "GetObject on bucket `{bucket}` key `{key}`: the object is {size} bytes, over the \
         {limit}-byte limit on what the store reads (MAX_RECORDING_BYTES): it is not a \
         recording playback wrote; delete it or move it out of the store's prefix"
    )]
    TooLarge {
        /// What the store was doing: `"get"`, `"list"`, `"delete"`, `"put"`.
        op: &'static str,
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
        /// The object's size in bytes (at least `limit + 1` when S3 did not send it).
        size: u64,
        /// The limit, [`playback_store::MAX_RECORDING_BYTES`].
        limit: u64,
    },
    /// The store's options do not fit together.
    #[error("{reason}")]
    Config {
        /// What is wrong and what to do.
        reason: String,
    },
}

fn describe_request(
    request: &str,
    bucket: &str,
    key: &str,
    kind: S3ErrorKind,
    code: Option<&str>,
    detail: &str,
) -> String {
    let mut text = format!(
        "{request} on bucket `{bucket}` key `{key}`: {}",
        kind.explain()
    );
    match (code, detail.is_empty()) {
        (Some(code), false) => text.push_str(&format!(" ({code}: {detail})")),
        (Some(code), true) => text.push_str(&format!(" ({code})")),
        (None, false) => text.push_str(&format!(" ({detail})")),
        (None, true) => {}
    }
    text
}

impl S3Error {
    /// The kind of failure; `None` for a configuration error.
    ///
    /// ```
    /// let err = playback_s3::S3Error::Config { reason: "x".into() };
    /// assert_eq!(err.kind(), None);
    /// ```
    pub fn kind(&self) -> Option<S3ErrorKind> {
        match self {
            S3Error::Request { kind, .. } => Some(*kind),
            S3Error::TooLarge { .. } => Some(S3ErrorKind::Other),
            S3Error::Config { .. } => None,
        }
    }

    /// Finds the S3 error behind a [`StoreError`] returned by the S3 store.
    ///
    /// ```
    /// use playback_store::StoreError;
    /// let err = StoreError::NotFound { id: "x".into() };
    /// assert!(playback_s3::S3Error::from_store_error(&err).is_none());
    /// ```
    pub fn from_store_error(err: &StoreError) -> Option<&S3Error> {
        let mut source: Option<&(dyn StdError + 'static)> = StdError::source(err);
        while let Some(current) = source {
            if let Some(found) = current.downcast_ref::<S3Error>() {
                return Some(found);
            }
            source = current.source();
        }
        None
    }

    /// Builds the error for a failed SDK call.
    pub(crate) fn from_sdk<E>(
        op: &'static str,
        request: &'static str,
        bucket: &str,
        key: &str,
        err: SdkError<E, HttpResponse>,
    ) -> S3Error
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let (kind, code, detail) = classify(&err);
        S3Error::Request {
            op,
            request,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            kind,
            code,
            detail,
            source: Some(Box::new(err)),
        }
    }
}

impl From<S3Error> for StoreError {
    fn from(err: S3Error) -> Self {
        let op = match &err {
            S3Error::Request { op, .. } => *op,
            S3Error::TooLarge {
                bucket,
                key,
                size,
                limit,
                ..
            } => {
                return StoreError::TooLarge {
                    origin: format!("s3://{bucket}/{key}"),
                    size: *size,
                    limit: *limit,
                };
            }
            S3Error::Config { .. } => "configure",
        };
        StoreError::Backend {
            store: "s3".to_owned(),
            op,
            message: err.to_string(),
            source: Some(Box::new(err)),
        }
    }
}

/// The HTTP status of the response, when there was one.
fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    match err {
        SdkError::ServiceError(ctx) => Some(ctx.raw().status().as_u16()),
        SdkError::ResponseError(ctx) => Some(ctx.raw().status().as_u16()),
        _ => None,
    }
}

const CREDENTIAL_CODES: &[&str] = &[
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AuthorizationHeaderMalformed",
    "MissingSecurityHeader",
    "InvalidSecurity",
    "NotSignedUp",
];

const THROTTLING_CODES: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

fn classify<E>(err: &SdkError<E, HttpResponse>) -> (S3ErrorKind, Option<String>, String)
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let code = ctx.err().code().map(str::to_owned);
            let detail = ctx.err().message().unwrap_or_default().to_owned();
            let kind = service_kind(code.as_deref(), status(err));
            (kind, code, detail)
        }
        SdkError::TimeoutError(_) => (S3ErrorKind::Timeout, None, chain_text(err)),
        SdkError::DispatchFailure(ctx) => {
            // Connection refused or reset, a pooled connection the server closed, DNS:
            // all "could not talk to the endpoint", and worth retrying.
            let kind = if mentions_credentials(err) {
                S3ErrorKind::Credentials
            } else if ctx.is_timeout() {
                S3ErrorKind::Timeout
            } else if ctx.is_user() {
                S3ErrorKind::Other
            } else {
                S3ErrorKind::Network
            };
            (kind, None, chain_text(err))
        }
        SdkError::ResponseError(_) => {
            let kind = match status(err) {
                Some(status) if status >= 500 => S3ErrorKind::Server,
                _ => S3ErrorKind::Other,
            };
            (kind, None, chain_text(err))
        }
        _ => {
            let kind = if mentions_credentials(err) {
                S3ErrorKind::Credentials
            } else {
                S3ErrorKind::Other
            };
            (kind, None, chain_text(err))
        }
    }
}

/// Maps an S3 error code and HTTP status to a kind.
fn service_kind(code: Option<&str>, status: Option<u16>) -> S3ErrorKind {
    match code {
        Some(c) if CREDENTIAL_CODES.contains(&c) => return S3ErrorKind::Credentials,
        Some(c) if THROTTLING_CODES.contains(&c) => return S3ErrorKind::Throttled,
        Some("NoSuchBucket") => return S3ErrorKind::NoSuchBucket,
        Some("NoSuchKey" | "NotFound") => return S3ErrorKind::NoSuchKey,
        Some("AccessDenied" | "AllAccessDisabled") => return S3ErrorKind::AccessDenied,
        Some("RequestTimeout" | "RequestTimeTooSkewed") => return S3ErrorKind::Timeout,
        // Two conditional writes of the same key raced; trying again settles it.
        Some("ConditionalRequestConflict") => return S3ErrorKind::Server,
        _ => {}
    }
    match status {
        Some(429 | 503) => S3ErrorKind::Throttled,
        Some(s) if s >= 500 => S3ErrorKind::Server,
        Some(403) => S3ErrorKind::AccessDenied,
        Some(404) => S3ErrorKind::NoSuchKey,
        _ => S3ErrorKind::Rejected,
    }
}

/// Whether a credentials provider failure is somewhere in the error's chain.
fn mentions_credentials(err: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if e.is::<aws_credential_types::provider::error::CredentialsError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// The error and its sources, joined with `": "`.
fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_codes_map_to_kinds() {
        assert_eq!(
            service_kind(Some("SignatureDoesNotMatch"), Some(403)),
            S3ErrorKind::Credentials
        );
        assert_eq!(
            service_kind(Some("InvalidAccessKeyId"), Some(403)),
            S3ErrorKind::Credentials
        );
        assert_eq!(
            service_kind(Some("AccessDenied"), Some(403)),
            S3ErrorKind::AccessDenied
        );
        assert_eq!(
            service_kind(Some("NoSuchBucket"), Some(404)),
            S3ErrorKind::NoSuchBucket
        );
        assert_eq!(service_kind(None, Some(404)), S3ErrorKind::NoSuchKey);
        assert_eq!(
            service_kind(Some("SlowDown"), Some(503)),
            S3ErrorKind::Throttled
        );
        assert_eq!(service_kind(None, Some(429)), S3ErrorKind::Throttled);
        assert_eq!(
            service_kind(Some("InternalError"), Some(500)),
            S3ErrorKind::Server
        );
        assert_eq!(
            service_kind(Some("InvalidStorageClass"), Some(400)),
            S3ErrorKind::Rejected
        );
    }

    #[test]
    fn request_error_message_names_request_bucket_key_and_reason() {
        let err = S3Error::Request {
            op: "get",
            request: "GetObject",
            bucket: "prod".into(),
            key: "svc/recordings/X.json".into(),
            kind: S3ErrorKind::NoSuchBucket,
            code: Some("NoSuchBucket".into()),
            detail: "The specified bucket does not exist".into(),
            source: None,
        };
        assert_eq!(
            err.to_string(),
            "GetObject on bucket `prod` key `svc/recordings/X.json`: the bucket does not exist; \
             create it or check the bucket name, region and endpoint (NoSuchBucket: The \
             specified bucket does not exist)"
        );
        let store: StoreError = err.into();
        assert!(
            store
                .to_string()
                .starts_with("s3 store failed to get: GetObject on bucket")
        );
        let back = S3Error::from_store_error(&store).unwrap();
        assert_eq!(back.kind(), Some(S3ErrorKind::NoSuchBucket));
    }

    #[test]
    fn only_transient_kinds_are_retryable() {
        let retryable: Vec<_> = [
            S3ErrorKind::Credentials,
            S3ErrorKind::AccessDenied,
            S3ErrorKind::NoSuchBucket,
            S3ErrorKind::NoSuchKey,
            S3ErrorKind::Throttled,
            S3ErrorKind::Server,
            S3ErrorKind::Timeout,
            S3ErrorKind::Network,
            S3ErrorKind::Rejected,
            S3ErrorKind::Other,
        ]
        .into_iter()
        .filter(|k| k.is_retryable())
        .collect();
        assert_eq!(
            retryable,
            [
                S3ErrorKind::Throttled,
                S3ErrorKind::Server,
                S3ErrorKind::Timeout,
                S3ErrorKind::Network
            ]
        );
    }
}
