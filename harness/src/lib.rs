//! Each playback recording as a cargo test, with a review workflow for changed
//! recordings.
//!
//! [`pending`] holds the review workflow's file format and operations (`playback
//! review` calls them).

mod error;
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "the harness writes pending files; it lands next")
)]
pub mod pending;

pub use crate::error::Error;
