//! End-to-end tests of the `playback` facade, as a user sees it. One binary, one module
//! per area.

mod async_calls;
mod codecs;
mod demo;
mod dir_store;
mod fanout;
mod fidelity;
mod fs;
#[cfg(feature = "harness")]
mod harness;
mod kv;
mod operations;
mod record;
mod redaction;
mod redaction_compare;
#[cfg(feature = "s3")]
mod redaction_s3;
mod replay;
#[cfg(feature = "s3")]
mod s3_packs;
mod service;
mod support;
