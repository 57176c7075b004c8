//! The S3 store for [playback](https://docs.rs/playback): recordings from every
//! instance of a service go to one S3 bucket (or any S3-compatible service), where
//! developers and CI search and fetch them.
//!
//! [`S3Store`] implements [`playback_store::Store`], so the layer, replay, the
//! Equalizer and the test harness use it exactly like a `DirStore`:
//!
//! - **Never slows the service.** [`Store::put`](playback_store::Store::put) queues
//!   the recording and returns; the store's own tasks upload it with bounded
//!   concurrency and retry throttling, 5xx errors and timeouts with backoff.
//! - **Never loses recordings during an outage.** After repeated failures, recordings
//!   go to a local spool with a size cap and are uploaded when S3 is back, also by the
//!   next process if this one stops first. Counters (`s3_uploaded`, `s3_retried`,
//!   `s3_spooled`, `s3_dropped_over_cap`, ...) join the layer's stats.
//! - **Packs.** Queued recordings are uploaded many to an object (a pack), with one
//!   directory object and one index object per category and UTC day: 20,000
//!   recordings per second sustained into a loopback server on a 2-core machine,
//!   where one object per recording sustained under 1,500 (BENCHMARKS.md). A
//!   recording is durable in S3 once its pack's upload succeeded; `flush` waits for
//!   that (or for the spool while S3 is down).
//! - **Cheap searches.** Index objects, filed by category and UTC day, let a query
//!   list only the days in range and filter on metadata and outcome without
//!   downloading recordings; `get` finds a recording by its id's ULID time.
//! - **Options** from playback-studio: `read_only`, `transient`, a storage-class
//!   threshold (`STANDARD_IA`), a sampling calculator, zstd compression, and a
//!   read-through cache directory for replays.
//! - **Typed errors** that name the request, bucket and key, and say why
//!   ([`S3ErrorKind`]: credentials, no such bucket, network, ...).
//!
//! ```
//! use playback_s3::{S3Error, S3ErrorKind, S3Store};
//! use playback_store::Recording;
//!
//! // Nothing listens on port 1: the upload fails fast with a typed network error.
//! let store = S3Store::builder()
//!     .bucket("recordings")
//!     .endpoint_url("http://127.0.0.1:1")
//!     .force_path_style(true)
//!     .credentials("AKIDEXAMPLE", "secret")
//!     .max_attempts(1)
//!     .spool_max_bytes(0)
//!     .build_blocking()?;
//! let err = store.put_now(&Recording::builder("checkout").build()).unwrap_err();
//! let s3 = S3Error::from_store_error(&err).unwrap();
//! assert_eq!(s3.kind(), Some(S3ErrorKind::Network));
//! assert!(err.to_string().contains("PutObject on bucket `recordings`"), "{err}");
//! # Ok::<(), playback_store::StoreError>(())
//! ```
//!
//! # Feature flags
//!
//! This crate is the `s3` feature of the `playback` crate (off by default). It uses
//! `aws-sdk-s3` without default features: the tokio runtime and the default HTTPS
//! client (rustls) only.

mod bucket;
mod builder;
mod cache;
mod codec;
mod core;
mod counters;
mod error;
mod fsutil;
mod fuzz;
#[doc(hidden)]
pub mod __fuzz {
    //! Not public API: the fuzz targets' checks (see `fuzz/README.md`).
    pub use crate::fuzz::*;
}
mod keys;
mod listing;
mod objects;
mod pack;
mod packopts;
mod packread;
mod pipeline;
mod runtime;
mod spool;
mod store;

pub use crate::builder::{S3StoreBuilder, Sampler};
pub use crate::error::{S3Error, S3ErrorKind};
pub use crate::store::S3Store;
