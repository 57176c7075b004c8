//! Test helpers shared by playback's crates (dev-only, not published).
//!
//! [`s3::TestServer`] is an S3-compatible server on loopback (s3s + s3s-fs, SigV4
//! checked) that the S3 store's tests and benches and the CLI's tests start per test:
//!
//! ```
//! let server = playback_testkit::s3::TestServer::start("recordings");
//! assert!(server.endpoint().starts_with("http://127.0.0.1:"));
//! assert_eq!(server.total_requests(), 0);
//! ```

pub mod s3;
