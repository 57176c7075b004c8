//! Each playback recording as a cargo test.
