//! playback-s3 (work in progress).
