//! Integration tests of the S3 store against a real S3-compatible server (s3s +
//! s3s-fs, signatures checked) that each test starts on loopback.

mod basics;
mod errors;
mod external;
mod hostile;
mod layer;
mod memory;
mod outage;
mod packs;
mod queries;
mod support;
