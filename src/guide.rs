//! The README and the guide (`docs/src/*.md`, an mdBook) as doctests: every Rust code
//! block in them is compiled and run by `cargo test --doc`, with playback's features and
//! dev-dependencies. Lines starting with `# ` are hidden, by rustdoc and by mdBook alike.
//! Compiled only for doctests (`#[cfg(doctest)] mod guide;` in lib.rs).
//!
//! A chapter whose code needs an optional feature is tested when that feature is on, as
//! CI's `--all-features` does. Every chapter listed in `docs/src/SUMMARY.md` has an item
//! here; `.ci/guide-check.sh` fails when one is missing.

#[cfg(feature = "compare")]
#[doc = include_str!("../README.md")]
struct Readme;

#[doc = include_str!("../docs/src/introduction.md")]
struct Introduction;

#[cfg(feature = "replay")]
#[doc = include_str!("../docs/src/instrumenting.md")]
struct Instrumenting;

#[cfg(all(feature = "replay", feature = "tokio"))]
#[doc = include_str!("../docs/src/codecs-and-files.md")]
struct CodecsAndFiles;

#[doc = include_str!("../docs/src/what-gets-recorded.md")]
struct WhatGetsRecorded;

#[doc = include_str!("../docs/src/layer.md")]
struct Layer;

#[cfg(feature = "replay")]
#[doc = include_str!("../docs/src/redaction.md")]
struct Redaction;

#[doc = include_str!("../docs/src/slim-build.md")]
struct SlimBuild;

#[cfg(all(feature = "http", feature = "grpc", feature = "compare"))]
#[doc = include_str!("../docs/src/http-grpc.md")]
struct HttpGrpc;

#[cfg(feature = "compare")]
#[doc = include_str!("../docs/src/replaying.md")]
struct Replaying;

#[doc = include_str!("../docs/src/recording-a-test-suite.md")]
struct RecordingATestSuite;

#[cfg(feature = "replay")]
#[doc = include_str!("../docs/src/when-replay-fails.md")]
struct WhenReplayFails;

#[cfg(feature = "replay")]
#[doc = include_str!("../docs/src/replay-async.md")]
struct ReplayAsync;

#[cfg(feature = "harness")]
#[doc = include_str!("../docs/src/recordings-as-tests.md")]
struct RecordingsAsTests;

#[cfg(feature = "compare")]
#[doc = include_str!("../docs/src/comparing.md")]
struct Comparing;

#[cfg(feature = "matrix")]
#[doc = include_str!("../docs/src/matrices.md")]
struct Matrices;

#[doc = include_str!("../docs/src/cli.md")]
struct Cli;

#[cfg(feature = "s3")]
#[doc = include_str!("../docs/src/s3.md")]
struct S3;

#[doc = include_str!("../docs/src/reliability.md")]
struct Reliability;

#[doc = include_str!("../docs/src/feature-flags.md")]
struct FeatureFlags;

#[doc = include_str!("../docs/src/performance.md")]
struct Performance;

#[doc = include_str!("../docs/src/playback-studio.md")]
struct PlaybackStudio;

#[doc = include_str!("../docs/src/macro-expansion.md")]
struct MacroExpansion;
