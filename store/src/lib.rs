//! Recording format and stores for [playback](https://docs.rs/playback).
//!
//! A [`Recording`] is one self-contained, versioned JSON document describing one
//! operation: its arguments, result, metadata and every interception made inside it.
//! A [`Store`] keeps recordings; [`MemoryStore`] is for tests and [`DirStore`] is the
//! embedded default (one file per recording under `<root>/<category>/<YYYY-MM-DD>/<id>.json`).
//!
//! ```
//! use playback_store::{MemoryStore, Query, Recording, Store};
//!
//! let store = MemoryStore::new();
//! let rec = Recording::builder("checkout").build();
//! store.put(&rec)?;
//! let back = store.get(rec.id())?;
//! assert_eq!(back.category(), "checkout");
//! assert_eq!(store.find(&Query::category("checkout"))?.len(), 1);
//! # Ok::<(), playback_store::StoreError>(())
//! ```

mod dir;
mod error;
mod format;
#[doc(hidden)]
pub mod __fuzz {
    //! Not public API: the fuzz targets' checks (see `fuzz/README.md`).
    pub use crate::fuzz::*;
}
mod fuzz;
mod id;
mod limits;
mod memory;
mod query;
mod store;
mod util;

pub use crate::dir::DirStore;
pub use crate::error::StoreError;
pub use crate::format::{
    FORMAT_VERSION, Interception, InterceptionKind, OpResult, Outcome, Recording, RecordingBuilder,
    Summary,
};
pub use crate::id::{RecordingId, validate_category};
pub use crate::limits::{MAX_JSON_DEPTH, MAX_RECORDING_BYTES, nests_deeper_than};
pub use crate::memory::MemoryStore;
pub use crate::query::{Cmp, MetaFilter, Query, days};
pub use crate::store::Store;
pub use crate::util::{
    FNV1A_OFFSET, REDACTED, UNRECORDABLE, fnv1a, fnv1a_extend, panic_message, redacted_fingerprint,
    unrecordable, unrecordable_reason,
};
