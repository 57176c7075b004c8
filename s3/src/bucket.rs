//! The S3 requests the store makes, each turned into an [`S3Error`] that names the
//! bucket, the key and the request on failure.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier, StorageClass};
use playback_store::MAX_RECORDING_BYTES;

use crate::counters::Counters;
use crate::error::{S3Error, S3ErrorKind};

/// Most keys one `DeleteObjects` request takes.
const DELETE_BATCH: usize = 1000;

/// One object to write.
#[derive(Debug)]
pub(crate) struct PutRequest<'a> {
    pub(crate) key: &'a str,
    pub(crate) body: Vec<u8>,
    pub(crate) zstd: bool,
    pub(crate) storage_class: Option<StorageClass>,
    /// Write only when no object has this key (`If-None-Match: *`).
    pub(crate) if_absent: bool,
}

/// What a put with `if_absent` found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PutOutcome {
    Written,
    /// An object with this key already exists; nothing was written.
    Exists,
}

/// A listing: object keys and common prefixes, in key order.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub(crate) keys: Vec<String>,
    pub(crate) prefixes: Vec<String>,
}

/// A bucket and the clients that talk to it.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    /// For reads, with the SDK's standard retries.
    pub(crate) client: Client,
    /// For uploads: no SDK retries, the store retries itself and counts them.
    pub(crate) upload_client: Client,
    pub(crate) name: String,
    pub(crate) counters: Arc<Counters>,
}

impl Bucket {
    fn fail(
        &self,
        op: &'static str,
        request: &'static str,
        key: &str,
        kind: S3ErrorKind,
        detail: String,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> S3Error {
        S3Error::Request {
            op,
            request,
            bucket: self.name.clone(),
            key: key.to_owned(),
            kind,
            code: None,
            detail,
            source,
        }
    }

    /// Writes one object (with the upload client: one attempt).
    pub(crate) async fn put(
        &self,
        op: &'static str,
        req: PutRequest<'_>,
    ) -> Result<PutOutcome, S3Error> {
        self.counters.put_requests.fetch_add(1, Relaxed);
        let mut call = self
            .upload_client
            .put_object()
            .bucket(&self.name)
            .key(req.key)
            .content_type("application/json")
            .body(ByteStream::from(req.body));
        if req.zstd {
            call = call.content_encoding("zstd");
        }
        if let Some(class) = req.storage_class {
            call = call.storage_class(class);
        }
        if req.if_absent {
            call = call.if_none_match("*");
        }
        match call.send().await {
            Ok(_) => Ok(PutOutcome::Written),
            Err(err) => {
                let err = S3Error::from_sdk(op, "PutObject", &self.name, req.key, err);
                if req.if_absent && is_precondition_failed(&err) {
                    Ok(PutOutcome::Exists)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Reads one object; `None` when there is no such key. Objects over
    /// [`MAX_RECORDING_BYTES`] are refused with [`S3Error::TooLarge`] before they are
    /// read into memory: every object the store reads this way is a recording body or
    /// an index object.
    pub(crate) async fn get(
        &self,
        op: &'static str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, S3Error> {
        match self.get_bounded(op, key, MAX_RECORDING_BYTES).await? {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(bytes)),
            Some(Err(size)) => Err(S3Error::TooLarge {
                op,
                bucket: self.name.clone(),
                key: key.to_owned(),
                size,
                limit: MAX_RECORDING_BYTES,
            }),
        }
    }

    /// Reads one object of at most `limit` bytes: `None` when there is no such key,
    /// `Some(Err(size))` when it is larger. A larger object is refused from its
    /// `Content-Length` before its body is read, or cut at the limit while it is read
    /// when the length is not known, so a huge object never sits in memory.
    pub(crate) async fn get_bounded(
        &self,
        op: &'static str,
        key: &str,
        limit: u64,
    ) -> Result<Option<Result<Vec<u8>, u64>>, S3Error> {
        self.counters.get_requests.fetch_add(1, Relaxed);
        let output = match self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => {
                let err = S3Error::from_sdk(op, "GetObject", &self.name, key, err);
                return match err.kind() {
                    Some(S3ErrorKind::NoSuchKey) => Ok(None),
                    _ => Err(err),
                };
            }
        };
        if let Some(len) = output.content_length().and_then(|l| u64::try_from(l).ok())
            && len > limit
        {
            return Ok(Some(Err(len)));
        }
        let mut body = output.body;
        let mut bytes = Vec::new();
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    bytes.extend_from_slice(&chunk);
                    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                    if read > limit {
                        return Ok(Some(Err(read)));
                    }
                }
                Ok(None) => return Ok(Some(Ok(bytes))),
                Err(err) => {
                    return Err(self.fail(
                        op,
                        "GetObject",
                        key,
                        S3ErrorKind::Network,
                        format!("reading the body failed: {err}"),
                        Some(Box::new(err)),
                    ));
                }
            }
        }
    }

    /// Reads `len` bytes of an object from `offset` (a ranged GET); `None` when there
    /// is no such key. A range past the object's end gives the bytes there are (none
    /// when it starts past the end), for the caller to report as truncated.
    pub(crate) async fn get_range(
        &self,
        op: &'static str,
        key: &str,
        offset: u64,
        len: u64,
    ) -> Result<Option<Vec<u8>>, S3Error> {
        self.counters.get_requests.fetch_add(1, Relaxed);
        let last = offset.saturating_add(len).saturating_sub(1);
        let output = match self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .range(format!("bytes={offset}-{last}"))
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => {
                let err = S3Error::from_sdk(op, "GetObject", &self.name, key, err);
                return match (&err, err.kind()) {
                    (_, Some(S3ErrorKind::NoSuchKey)) => Ok(None),
                    (S3Error::Request { code, .. }, _)
                        if code.as_deref() == Some("InvalidRange") =>
                    {
                        Ok(Some(Vec::new()))
                    }
                    _ => Err(err),
                };
            }
        };
        let mut body = output.body;
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 20));
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() as u64 > len {
                        // A server that ignored the range: stop reading; the caller
                        // reports the length that does not match.
                        return Ok(Some(bytes));
                    }
                }
                Ok(None) => return Ok(Some(bytes)),
                Err(err) => {
                    return Err(self.fail(
                        op,
                        "GetObject",
                        key,
                        S3ErrorKind::Network,
                        format!("reading the body failed: {err}"),
                        Some(Box::new(err)),
                    ));
                }
            }
        }
    }

    /// Deletes one object (S3 reports success for a missing key too).
    pub(crate) async fn delete(&self, op: &'static str, key: &str) -> Result<(), S3Error> {
        self.client
            .delete_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| S3Error::from_sdk(op, "DeleteObject", &self.name, key, err))
    }

    /// Lists everything under `prefix`, following continuation tokens. With
    /// `delimiter`, deeper keys are rolled up into common prefixes.
    pub(crate) async fn list(
        &self,
        op: &'static str,
        prefix: &str,
        delimiter: bool,
    ) -> Result<Listing, S3Error> {
        let mut listing = Listing::default();
        let mut token: Option<String> = None;
        loop {
            self.counters.list_requests.fetch_add(1, Relaxed);
            let mut call = self
                .client
                .list_objects_v2()
                .bucket(&self.name)
                .prefix(prefix)
                .set_continuation_token(token.take());
            if delimiter {
                call = call.delimiter("/");
            }
            let page = call
                .send()
                .await
                .map_err(|err| S3Error::from_sdk(op, "ListObjectsV2", &self.name, prefix, err))?;
            listing.keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
            listing.prefixes.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(listing)
    }

    /// Deletes every object under `prefix`; returns how many.
    pub(crate) async fn delete_prefix(
        &self,
        op: &'static str,
        prefix: &str,
    ) -> Result<usize, S3Error> {
        let keys = self.list(op, prefix, false).await?.keys;
        for batch in keys.chunks(DELETE_BATCH) {
            let objects = batch
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| {
                    let detail = err.to_string();
                    self.fail(
                        op,
                        "DeleteObjects",
                        prefix,
                        S3ErrorKind::Other,
                        detail,
                        Some(Box::new(err)),
                    )
                })?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|err| {
                    let detail = err.to_string();
                    self.fail(
                        op,
                        "DeleteObjects",
                        prefix,
                        S3ErrorKind::Other,
                        detail,
                        Some(Box::new(err)),
                    )
                })?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.name)
                .delete(delete)
                .send()
                .await
                .map_err(|err| S3Error::from_sdk(op, "DeleteObjects", &self.name, prefix, err))?;
            if let Some(failed) = output.errors().first() {
                let key = failed.key().unwrap_or(prefix).to_owned();
                return Err(S3Error::Request {
                    op,
                    request: "DeleteObjects",
                    bucket: self.name.clone(),
                    key,
                    kind: S3ErrorKind::Rejected,
                    code: failed.code().map(str::to_owned),
                    detail: failed.message().unwrap_or_default().to_owned(),
                    source: None,
                });
            }
        }
        Ok(keys.len())
    }

    /// Checks that the bucket exists and that the credentials may list it, with one
    /// `ListObjectsV2` of at most one key (unlike `HeadBucket`, its error responses
    /// have a body, so a bad signature and a missing permission can be told apart).
    pub(crate) async fn list_one(&self, op: &'static str, prefix: &str) -> Result<(), S3Error> {
        self.counters.list_requests.fetch_add(1, Relaxed);
        self.client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .max_keys(1)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| S3Error::from_sdk(op, "ListObjectsV2", &self.name, prefix, err))
    }

    /// Checks that the bucket is reachable (the spool task's probe when it has no
    /// recording to try).
    pub(crate) async fn head_bucket(&self, op: &'static str) -> Result<(), S3Error> {
        self.upload_client
            .head_bucket()
            .bucket(&self.name)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                let mut err = S3Error::from_sdk(op, "HeadBucket", &self.name, "", err);
                // HEAD responses have no body, so a missing bucket is a bare 404.
                if let S3Error::Request { kind, .. } = &mut err
                    && *kind == S3ErrorKind::NoSuchKey
                {
                    *kind = S3ErrorKind::NoSuchBucket;
                }
                err
            })
    }
}

fn is_precondition_failed(err: &S3Error) -> bool {
    match err {
        S3Error::Request { code, .. } => code.as_deref() == Some("PreconditionFailed"),
        S3Error::TooLarge { .. } | S3Error::Config { .. } => false,
    }
}
