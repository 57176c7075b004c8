//! playback-compare (work in progress).
