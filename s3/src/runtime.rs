//! The store's own tokio runtime, and waiting for its tasks from synchronous code.

use std::future::Future;

use parking_lot::Mutex;
use playback_store::StoreError;
use tokio::runtime::{Handle, Runtime};

/// A small multi-thread runtime that only runs the store's S3 work. Dropping it never
/// blocks and never panics, even inside another runtime.
#[derive(Debug)]
pub(crate) struct OwnedRuntime {
    runtime: Mutex<Option<Runtime>>,
    handle: Handle,
}

impl OwnedRuntime {
    pub(crate) fn new() -> Result<OwnedRuntime, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("playback-s3")
            .enable_all()
            .build()
            .map_err(|source| StoreError::Backend {
                store: "s3".to_owned(),
                op: "open",
                message: "could not start the store's runtime threads".to_owned(),
                source: Some(Box::new(source)),
            })?;
        let handle = runtime.handle().clone();
        Ok(OwnedRuntime {
            runtime: Mutex::new(Some(runtime)),
            handle,
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `fut` on the store's runtime and waits for it on this thread, without
    /// entering any runtime (so it works from plain threads and from inside another
    /// runtime alike).
    pub(crate) fn wait<T, F>(&self, op: &'static str, fut: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or_else(|_| Err(closed_error(op)))
    }

    /// Runs `fut` on the store's runtime and awaits it from any executor.
    pub(crate) async fn run<T, F>(&self, op: &'static str, fut: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        self.handle
            .spawn(fut)
            .await
            .unwrap_or_else(|_| Err(closed_error(op)))
    }

    /// Stops the runtime without waiting for its tasks.
    pub(crate) fn shutdown(&self) {
        if let Some(runtime) = self.runtime.lock().take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The error for a call on a closed store.
pub(crate) fn closed_error(op: &'static str) -> StoreError {
    StoreError::Backend {
        store: "s3".to_owned(),
        op,
        message: "the store is closed: open a new one with `S3Store::builder()`".to_owned(),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_works_inside_another_runtime_and_drop_does_not_panic() {
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        outer.block_on(async {
            let rt = OwnedRuntime::new().unwrap();
            let value = rt.wait("get", async { Ok(7) }).unwrap();
            assert_eq!(value, 7);
            assert_eq!(rt.run("get", async { Ok(8) }).await.unwrap(), 8);
            drop(rt);
        });
    }

    #[test]
    fn calls_after_shutdown_fail_with_a_closed_error() {
        let rt = OwnedRuntime::new().unwrap();
        rt.shutdown();
        let err = rt.wait("get", async { Ok(1) }).unwrap_err();
        assert!(err.to_string().contains("the store is closed"), "{err}");
    }
}
