//! The guide (`docs/src/*.md`) and the README, as doctests: every Rust code block in them
//! is compiled and run by `cargo test --doc`. Compiled only for doctests.

/// README.md
#[doc = include_str!("../README.md")]
struct Readme;

/// docs/src/instrumenting.md
#[doc = include_str!("../docs/src/instrumenting.md")]
struct Instrumenting;

/// docs/src/codecs-and-files.md
#[doc = include_str!("../docs/src/codecs-and-files.md")]
struct CodecsAndFiles;

/// docs/src/layer.md
#[doc = include_str!("../docs/src/layer.md")]
struct Layer;

/// docs/src/replaying.md
#[doc = include_str!("../docs/src/replaying.md")]
struct Replaying;

/// docs/src/recording-a-test-suite.md
#[doc = include_str!("../docs/src/recording-a-test-suite.md")]
struct RecordingATestSuite;

/// docs/src/replay-async.md
#[doc = include_str!("../docs/src/replay-async.md")]
struct ReplayAsync;

/// docs/src/comparing.md
#[doc = include_str!("../docs/src/comparing.md")]
struct Comparing;

/// docs/src/s3.md
#[doc = include_str!("../docs/src/s3.md")]
struct S3;

/// docs/src/macro-expansion.md
#[doc = include_str!("../docs/src/macro-expansion.md")]
struct MacroExpansion;
