//! Real servers on loopback, each on a thread of its own under a given subscriber, and
//! a directory store the recordings go to.

use std::net::SocketAddr;
use std::path::Path;
use std::thread::JoinHandle;

use axum::Router;
use playback::{DirStore, PlaybackGuard, PlaybackLayer};
use tokio::sync::oneshot;
use tracing_subscriber::prelude::*;

/// A running HTTP server; [`Server::stop`] (or dropping it) shuts it down and joins it.
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `router` on 127.0.0.1:0; `dispatch` is the default subscriber of the
    /// server's thread, so every request runs under it.
    pub(crate) fn start(router: Router, dispatch: tracing::Dispatch) -> Server {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Server::serve(router, dispatch, rt)
    }

    /// Serves `router` on a multi-thread runtime of `workers` threads, each of which has
    /// `dispatch` as its default subscriber.
    pub(crate) fn start_multi_thread(
        router: Router,
        dispatch: tracing::Dispatch,
        workers: usize,
    ) -> Server {
        let on_worker = dispatch.clone();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .on_thread_start(move || {
                // the worker's default for its whole life
                std::mem::forget(tracing::dispatcher::set_default(&on_worker));
            })
            .build()
            .unwrap();
        Server::serve(router, dispatch, rt)
    }

    fn serve(router: Router, dispatch: tracing::Dispatch, rt: tokio::runtime::Runtime) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    axum::serve(listener, router)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
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

    /// Stops accepting connections, waits for open requests, and joins the thread.
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

/// Every byte of every file under `dir`.
pub(crate) fn all_bytes(dir: &Path) -> Vec<u8> {
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

/// Asserts that no stored byte holds a credential or a deny-listed header.
pub(crate) fn assert_no_credentials(dir: &Path) {
    let bytes = all_bytes(dir);
    assert!(
        !bytes.is_empty(),
        "nothing was recorded in {}",
        dir.display()
    );
    let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
    for needle in [
        "secret",
        "\"authorization\"",
        "\"cookie\"",
        "\"set-cookie\"",
        "\"proxy-authorization\"",
    ] {
        assert!(!text.contains(needle), "a stored file contains {needle}");
    }
}
