//! Serving a router on 127.0.0.1:0 on a thread of its own, under a given subscriber.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use anyhow::Context as _;
use axum::Router;
use tokio::sync::oneshot;

/// A running HTTP server. [`Server::stop`] (or dropping it) shuts it down gracefully
/// and joins its thread.
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    /// Binds 127.0.0.1:0 and serves `router` on a new thread running a current-thread
    /// tokio runtime. `dispatch` is the default subscriber of that thread, so every
    /// request, and every task the server spawns, runs under it: this is how a
    /// service installs its subscriber, scoped to the server instead of the process.
    pub(crate) fn start(
        name: &str,
        router: Router,
        dispatch: tracing::Dispatch,
    ) -> anyhow::Result<Server> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .with_context(|| format!("failed to bind a port for the {name}"))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || -> anyhow::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                tracing::dispatcher::with_default(&dispatch, || {
                    runtime.block_on(async move {
                        let listener = tokio::net::TcpListener::from_std(listener)?;
                        axum::serve(listener, router)
                            .with_graceful_shutdown(async {
                                // A dropped sender stops the server too.
                                let _ = stopped.await;
                            })
                            .await?;
                        Ok(())
                    })
                })
            })
            .with_context(|| format!("failed to start the {name}'s thread"))?;
        Ok(Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, waits for open requests, and joins the thread.
    pub(crate) fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => match thread.join() {
                Ok(result) => result,
                Err(_) => anyhow::bail!("the server thread panicked"),
            },
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
