//! Replay [playback](https://docs.rs/playback) recordings in tests.
//!
//! (The replay machinery is being built; this crate currently holds the
//! [`Playback`] data shape shared with the comparison engine.)

mod playback;

pub use crate::playback::{Output, Playback, Side, Unused};
