//! The `playback` command line, run as a process against a real directory store
//! built in each test, and against the loopback S3 server of the s3 tests.

mod audit;
mod cargo;
mod completions;
mod diff;
mod errors;
mod list;
mod matrix;
mod prune;
mod pull;
mod report;
mod review;
#[cfg(feature = "s3")]
mod s3;
mod show;
mod stats;
mod support;
