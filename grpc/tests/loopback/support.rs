//! Real tonic servers on loopback, each on a thread of its own under a given subscriber,
//! and a directory store the recordings go to.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::thread::JoinHandle;

use playback::{DirStore, PlaybackGuard, PlaybackLayer, Query, Recording, Store};
use tokio::sync::oneshot;
use tokio_stream::wrappers::TcpListenerStream;
use tracing_subscriber::prelude::*;

/// The shutdown signal a server is served with.
pub(crate) type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A running tonic server; [`Server::stop`] (or dropping it) shuts it down and joins it.
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves on 127.0.0.1:0 what `serve` builds, on a thread whose default subscriber
    /// is `dispatch`, so every call runs under it.
    pub(crate) fn start<F, Fut>(dispatch: tracing::Dispatch, serve: F) -> Server
    where
        F: FnOnce(TcpListenerStream, Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), tonic::transport::Error>>,
    {
        Server::start_on(dispatch, serve, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        })
    }

    /// Like [`Server::start`], on a multi-thread runtime of `workers` threads, each of
    /// which has `dispatch` as its default subscriber.
    pub(crate) fn start_multi_thread<F, Fut>(
        dispatch: tracing::Dispatch,
        workers: usize,
        serve: F,
    ) -> Server
    where
        F: FnOnce(TcpListenerStream, Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), tonic::transport::Error>>,
    {
        let on_worker = dispatch.clone();
        Server::start_on(dispatch, serve, move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .on_thread_start(move || {
                    // the worker's default for its whole life
                    std::mem::forget(tracing::dispatcher::set_default(&on_worker));
                })
                .build()
                .unwrap()
        })
    }

    fn start_on<F, Fut>(
        dispatch: tracing::Dispatch,
        serve: F,
        runtime: impl FnOnce() -> tokio::runtime::Runtime + Send + 'static,
    ) -> Server
    where
        F: FnOnce(TcpListenerStream, Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), tonic::transport::Error>>,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = runtime();
            tracing::dispatcher::with_default(&dispatch, || {
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let shutdown: Shutdown = Box::pin(async {
                        let _ = stopped.await;
                    });
                    serve(TcpListenerStream::new(listener), shutdown)
                        .await
                        .unwrap();
                })
            });
        });
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting calls, waits for open ones, and joins the thread.
    pub(crate) fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server thread panicked");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A recording subscriber writing to `dir`, and the guard that flushes it.
pub(crate) fn recorder(dir: &Path) -> (tracing::Dispatch, PlaybackGuard, DirStore) {
    let store = DirStore::new(dir).unwrap();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    (dispatch, guard, store)
}

/// Every recording in `store` of `category`, oldest first.
pub(crate) fn recordings(store: &DirStore, category: &str) -> Vec<Recording> {
    let mut recs: Vec<Recording> = store
        .find(&Query::category(category))
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    recs.sort_by_key(|r| r.recorded_at);
    recs
}

/// Every byte of every file under `dir`.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.extend(std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Asserts that no stored byte holds a deny-listed metadata value (every secret the
/// tests send contains `SECRET`) or name.
pub(crate) fn assert_no_credentials(dir: &Path) {
    let bytes = all_bytes(dir);
    assert!(
        !bytes.is_empty(),
        "nothing was recorded in {}",
        dir.display()
    );
    let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
    for needle in ["secret", "\"authorization\"", "\"cookie\""] {
        assert!(!text.contains(needle), "a stored file contains {needle}");
    }
}

/// A multi-thread runtime of two workers, as a service runs.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
