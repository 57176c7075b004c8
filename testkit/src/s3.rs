//! An S3-compatible server on loopback for tests and benches: s3s + s3s-fs with
//! SigV4 checked (`SimpleAuth`), `TCP_NODELAY` on accepted sockets, request counters,
//! injected failures, and stop/restart on the same port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use hyper_util::rt::{TokioExecutor, TokioIo};
use parking_lot::Mutex;
use s3s::dto::{
    CreateBucketInput, CreateBucketOutput, DeleteObjectInput, DeleteObjectOutput,
    DeleteObjectsInput, DeleteObjectsOutput, GetObjectInput, GetObjectOutput, HeadBucketInput,
    HeadBucketOutput, HeadObjectInput, HeadObjectOutput, ListObjectsV2Input, ListObjectsV2Output,
    ObjectStorageClass, PutObjectInput, PutObjectOutput, StorageClass,
};
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use tokio::net::TcpSocket;
use tokio::task::AbortHandle;

/// The access key the server accepts.
pub const ACCESS_KEY: &str = "AKIAPLAYBACKTEST0001";
/// The secret key the server accepts.
pub const SECRET_KEY: &str = "playback/test/secret/key/0123456789abcdef";

/// What the server saw.
#[derive(Debug, Default)]
struct Stats {
    requests: Mutex<HashMap<&'static str, u64>>,
    list_prefixes: Mutex<Vec<String>>,
    get_keys: Mutex<Vec<String>>,
    storage_classes: Mutex<HashMap<String, String>>,
    fail_next: AtomicU32,
    /// `PutObject` requests wait while this is set (`hold_puts`).
    hold_puts: AtomicBool,
    puts_released: tokio::sync::Notify,
}

impl Stats {
    fn count(&self, op: &'static str) -> S3Result<()> {
        *self.requests.lock().entry(op).or_default() += 1;
        let failing = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(s3_error!(SlowDown, "injected by the test server"));
        }
        Ok(())
    }
}

/// The S3 operations the store uses, passed to s3s-fs and counted. Storage classes
/// are kept here because s3s-fs accepts only `STANDARD` and `REDUCED_REDUNDANCY`.
#[derive(Debug)]
struct Counted {
    fs: s3s_fs::FileSystem,
    stats: Arc<Stats>,
}

#[async_trait::async_trait]
impl S3 for Counted {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.stats.count("CreateBucket")?;
        self.fs.create_bucket(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.stats.count("HeadBucket")?;
        self.fs.head_bucket(req).await
    }

    async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.stats.count("PutObject")?;
        loop {
            // Registered before the check, so a release in between is not missed.
            let released = self.stats.puts_released.notified();
            if !self.stats.hold_puts.load(Ordering::SeqCst) {
                break;
            }
            released.await;
        }
        let key = req.input.key.clone();
        let class = req.input.storage_class.take();
        let out = self.fs.put_object(req).await?;
        let mut classes = self.stats.storage_classes.lock();
        match class {
            Some(class) => classes.insert(key, class.as_str().to_owned()),
            None => classes.remove(&key),
        };
        Ok(out)
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.stats.count("GetObject")?;
        let key = req.input.key.clone();
        self.stats.get_keys.lock().push(key.clone());
        let mut out = self.fs.get_object(req).await?;
        if let Some(class) = self.stats.storage_classes.lock().get(&key) {
            out.output.storage_class = Some(StorageClass::from(class.clone()));
        }
        Ok(out)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.stats.count("HeadObject")?;
        let key = req.input.key.clone();
        let mut out = self.fs.head_object(req).await?;
        if let Some(class) = self.stats.storage_classes.lock().get(&key) {
            out.output.storage_class = Some(StorageClass::from(class.clone()));
        }
        Ok(out)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.stats.count("DeleteObject")?;
        self.fs.delete_object(req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.stats.count("DeleteObjects")?;
        self.fs.delete_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.stats.count("ListObjectsV2")?;
        self.stats
            .list_prefixes
            .lock()
            .push(req.input.prefix.clone().unwrap_or_default());
        let mut out = self.fs.list_objects_v2(req).await?;
        let classes = self.stats.storage_classes.lock();
        for object in out.output.contents.iter_mut().flatten() {
            if let Some(class) = object.key.as_ref().and_then(|k| classes.get(k)) {
                object.storage_class = Some(ObjectStorageClass::from(class.clone()));
            }
        }
        Ok(out)
    }
}

/// The accept loop and the open connections of a running server.
#[derive(Debug)]
struct Running {
    accept: AbortHandle,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

/// A running (or stopped) S3-compatible server on `127.0.0.1`.
#[derive(Debug)]
pub struct TestServer {
    runtime: tokio::runtime::Runtime,
    service: s3s::service::S3Service,
    addr: SocketAddr,
    stats: Arc<Stats>,
    running: Mutex<Option<Running>>,
    _root: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on a free port with one bucket, `bucket`.
    pub fn start(bucket: &str) -> TestServer {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(root.path().join(bucket)).expect("bucket folder");
        let stats = Arc::new(Stats::default());
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let mut builder = s3s::service::S3ServiceBuilder::new(Counted {
            fs,
            stats: stats.clone(),
        });
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("s3-test-server")
            .enable_all()
            .build()
            .expect("server runtime");
        let mut server = TestServer {
            runtime,
            service,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stats,
            running: Mutex::new(None),
            _root: root,
        };
        server.addr = server.listen(server.addr);
        server
    }

    /// The directory that holds the buckets: each object is a file under
    /// `<root>/<bucket>/<key>`, with the bytes the client uploaded.
    pub fn root(&self) -> &std::path::Path {
        self._root.path()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and closes every connection; the port is kept for `restart`.
    pub fn stop(&self) {
        if let Some(running) = self.running.lock().take() {
            running.accept.abort();
            for conn in running.connections.lock().drain(..) {
                conn.abort();
            }
        }
    }

    /// Listens again on the same port.
    pub fn restart(&self) {
        self.stop();
        self.listen(self.addr);
    }

    fn listen(&self, addr: SocketAddr) -> SocketAddr {
        let listener = self.runtime.block_on(async {
            let socket = TcpSocket::new_v4().expect("socket");
            socket.set_reuseaddr(true).expect("SO_REUSEADDR");
            socket.bind(addr).expect("bind the test server port");
            socket.listen(1024).expect("listen")
        });
        let bound = listener.local_addr().expect("local addr");
        let connections = Arc::new(Mutex::new(Vec::<AbortHandle>::new()));
        let service = self.service.clone();
        let conns = connections.clone();
        let handle = self.runtime.handle().clone();
        let accept = self.runtime.spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    continue;
                };
                // Without this, Nagle's algorithm adds ~40 ms to small responses.
                let _ = socket.set_nodelay(true);
                let service = service.clone();
                let conn = handle.spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
                let mut open = conns.lock();
                open.retain(|c| !c.is_finished());
                open.push(conn.abort_handle());
            }
        });
        *self.running.lock() = Some(Running {
            accept: accept.abort_handle(),
            connections,
        });
        bound
    }

    /// How many requests of `op` (`"ListObjectsV2"`, `"GetObject"`, ...) arrived.
    pub fn requests(&self, op: &str) -> u64 {
        self.stats.requests.lock().get(op).copied().unwrap_or(0)
    }

    /// All requests so far, of any operation.
    pub fn total_requests(&self) -> u64 {
        self.stats.requests.lock().values().sum()
    }

    /// The prefixes of the `ListObjectsV2` requests so far, and forgets them.
    pub fn take_list_prefixes(&self) -> Vec<String> {
        std::mem::take(&mut *self.stats.list_prefixes.lock())
    }

    /// The keys of the `GetObject` requests so far, and forgets them.
    pub fn take_get_keys(&self) -> Vec<String> {
        std::mem::take(&mut *self.stats.get_keys.lock())
    }

    /// The storage class the object was written with (`None` for the default).
    pub fn storage_class(&self, key: &str) -> Option<String> {
        self.stats.storage_classes.lock().get(key).cloned()
    }

    /// Makes every `PutObject` request wait (connected, unanswered) until
    /// [`release_puts`](Self::release_puts): an S3 that is up but does not move.
    pub fn hold_puts(&self) {
        self.stats.hold_puts.store(true, Ordering::SeqCst);
    }

    /// Lets the held `PutObject` requests, and every later one, go through.
    pub fn release_puts(&self) {
        self.stats.hold_puts.store(false, Ordering::SeqCst);
        self.stats.puts_released.notify_waiters();
    }

    /// Answers the next `n` requests with `503 SlowDown`.
    pub fn throttle_next(&self, n: u32) {
        self.stats.fail_next.store(n, Ordering::SeqCst);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}
