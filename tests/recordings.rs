//! The demo shop's recordings as tests: each file under `tests/recordings/` is one test,
//! replayed through the shop's replayer with no database and no network.
//!
//! ```sh
//! cargo test --all-features --test recordings                  # all pass
//! cargo test --all-features --test recordings -- --list        # one test per recording
//! PLAYBACK_DEMO_CANDIDATE=1 cargo test --all-features --test recordings   # the quotes the change affects fail
//! cargo nextest run --all-features --test recordings --partition hash:1/2
//! ```
//!
//! The fixtures were made by the demo, which records real HTTP traffic of the shop:
//!
//! ```sh
//! cargo run --example demo -- --requests 28 --keep --dir /tmp/demo-rec
//! rm -r tests/recordings && mkdir tests/recordings
//! cp -r /tmp/demo-rec/{catalog,checkout,product,quote} tests/recordings/
//! ```
//!
//! (28 requests, the demo's fixed seed: 3 catalog, 8 checkout, 9 product and 8 quote
//! recordings, 6 of the quotes in a currency whose total the candidate changes.)
//!
//! `PLAYBACK_DEMO_CANDIDATE=1` switches on the demo's deliberate change
//! (`CANDIDATE_PRICING`: currency conversion truncates fractional cents instead of
//! rounding them), so exactly those quote tests fail, with the diff at
//! `/result/Ok/total`. `PLAYBACK_UPDATE=new` then writes their pending changes.

#[path = "../examples/demo/shop.rs"]
#[expect(
    dead_code,
    reason = "the shop's serving half (database, HTTP client) is not needed to replay"
)]
mod shop;

use std::sync::atomic::Ordering;

use playback::harness::Harness;

fn main() {
    if std::env::var("PLAYBACK_DEMO_CANDIDATE").is_ok_and(|v| v == "1") {
        shop::CANDIDATE_PRICING.store(true, Ordering::SeqCst);
    }
    playback::harness::run(
        Harness::new()
            .dir("tests/recordings")
            .replayer(shop::replayer()),
    )
}
