//! The replay path of the generated code: a recorded value is returned without running the
//! body (sync, async, through a codec), `Default` is returned only where the site allows it,
//! and the operation body itself runs.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use playback::Codec;
use playback_layer::{Answer, OpInfo, PlaybackLayer, ReplayHook, ReplayScope, Site};
use playback_store::OpResult;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::prelude::*;

static BODIES_RUN: AtomicUsize = AtomicUsize::new(0);

fn ran() {
    BODIES_RUN.fetch_add(1, Ordering::SeqCst);
}

#[playback::instrument(playback = "input")]
fn price(item: u32) -> Result<u64, String> {
    ran();
    Ok(u64::from(item))
}

#[playback::instrument(playback = "input")]
async fn rate(currency: &str) -> f64 {
    ran();
    let _ = currency;
    1.0
}

#[playback::instrument(playback = "input", on_missing = "default")]
fn bonus(customer: String) -> u64 {
    ran();
    customer.len() as u64
}

#[playback::instrument(playback = "input")]
fn tax(percent: u8) -> u64 {
    ran();
    u64::from(percent)
}

#[playback::instrument(playback = "output", fail_on_missing = false)]
fn notify(to: String) -> bool {
    ran();
    !to.is_empty()
}

struct Text;

impl Codec<Box<dyn std::error::Error + Send + Sync>> for Text {
    type Stored = String;
    fn record(value: &Box<dyn std::error::Error + Send + Sync>) -> String {
        value.to_string()
    }
    fn replay(stored: String) -> Box<dyn std::error::Error + Send + Sync> {
        stored.into()
    }
}

#[playback::instrument(playback = "input", with = Text)]
fn last_error(code: u16) -> Box<dyn std::error::Error + Send + Sync> {
    ran();
    format!("live error {code}").into()
}

#[playback::instrument(playback = "operation")]
async fn checkout(items: Vec<u32>) -> (u64, u64, bool, String) {
    let mut total = 0;
    for item in items {
        total += price(item).unwrap();
    }
    let converted = (total as f64 * rate("EUR").await) as u64;
    let extra = bonus("ann".to_owned()) + tax(20);
    (
        converted,
        extra,
        notify("ann".to_owned()),
        last_error(500).to_string(),
    )
}

/// Answers by the alias's last segment: a value, `Default`, or (when absent) `Live`.
#[derive(Debug)]
struct Answers(HashMap<&'static str, Option<&'static str>>);

impl Answers {
    fn answer(&self, site: &Site) -> Answer {
        let name = site.alias.rsplit("::").next().unwrap_or_default();
        match self.0.get(name) {
            Some(Some(json)) => Answer::Value(RawValue::from_string((*json).to_owned()).unwrap()),
            Some(None) => Answer::Default,
            None => Answer::Live,
        }
    }
}

impl ReplayScope for Answers {
    fn input(&self, site: &Site, key: &Value) -> Answer {
        assert!(key.is_object(), "{key}");
        self.answer(site)
    }
    fn output(&self, site: &Site, args: &RawValue) -> Answer {
        assert_eq!(args.get(), r#"{"to":"ann"}"#);
        self.answer(site)
    }
    fn type_mismatch(
        &self,
        site: &Site,
        type_name: &'static str,
        error: &serde_json::Error,
    ) -> String {
        format!("{} is not a {type_name}: {error}", site.alias)
    }
    fn finish(&self, _result: OpResult) {}
    fn close(&self) {}
}

#[derive(Debug)]
struct Hook(Arc<Answers>);

impl ReplayHook for Hook {
    fn open(&self, _op: &OpInfo<'_>) -> Option<Arc<dyn ReplayScope>> {
        Some(self.0.clone())
    }
    fn outside_operation(&self, _site: &Site) -> Answer {
        Answer::Live
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let answers = Answers(HashMap::from([
        ("price", Some(r#"{"Ok": 100}"#)),
        ("rate", Some("2.0")),
        // `bonus` allows a default; `tax` does not, so it runs for real.
        ("bonus", None),
        ("tax", None),
        // `notify` allows a default (`fail_on_missing = false`).
        ("notify", None),
        ("last_error", Some(r#""recorded error""#)),
    ]));
    let subscriber = tracing_subscriber::registry()
        .with(PlaybackLayer::replaying(Arc::new(Hook(Arc::new(answers)))));
    let result = checkout(vec![1, 2]).with_subscriber(subscriber).await;
    assert_eq!(result, (400, 20, false, "recorded error".to_owned()));
    assert_eq!(BODIES_RUN.load(Ordering::SeqCst), 1, "only `tax` ran");
}
