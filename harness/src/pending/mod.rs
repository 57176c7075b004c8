//! Pending changes: what `PLAYBACK_UPDATE=new` writes for a recording whose replay
//! differs, and what `playback review` shows, accepts and rejects.
//!
//! A recording file `<id>.json` gets its pending change in `<id>.json.pending`, next to
//! it (`DirStore` lists only `<id>.json` files, so it never sees one). The file is one
//! JSON document, versioned ([`PENDING_FORMAT_VERSION`]):
//!
//! ```json
//! {
//!   "format_version": "1.0",
//!   "recording_id": "01KE4F9ZQE0000000000000000",
//!   "category": "quote",
//!   "test_name": "quote::0000000000",
//!   "recording_fingerprint": "fnv1a64:…",
//!   "message": "…",                                  // optional: the comparator's message
//!   "differences": [{"path": "/result/Ok/total", "recorded": 1234, "replayed": 1233}],
//!   "recording": { … }                               // the recording once accepted
//! }
//! ```
//!
//! `recording_fingerprint` identifies the recording file the change was computed
//! against: accepting a change to a file that changed since fails with
//! [`Error::StalePending`] instead of losing that edit.
//!
//! What accepting means for a recording is written down at [`updated_recording`]: the
//! expected outputs (the operation's result, the output calls' arguments) become the
//! replayed ones, and the inputs, arguments, id, category and metadata stay as they
//! were, so the recording still replays and now passes.
//!
//! ```
//! use playback_harness::pending;
//! let dir = tempfile::tempdir()?;
//! let changes = pending::find(dir.path())?;
//! for change in &changes {
//!     print!("{}", change.render(false));
//!     change.accept()?; // or change.reject()?
//! }
//! assert!(changes.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod file;
mod ordered;
mod update;

pub use self::file::{PENDING_FORMAT_VERSION, PENDING_SUFFIX, Pending, find};
pub(crate) use self::file::{pending_path_of, remove, write_atomic};
pub use self::update::updated_recording;
pub use crate::error::Error;

#[cfg(test)]
mod tests;
