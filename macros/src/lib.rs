//! playback-macros (work in progress).
