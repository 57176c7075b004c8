//! Methods on `&self`, `&mut self` and `self`, sync and async; `self` is never recorded, with or
//! without `skip(self)` (`Service` is not `Serialize`), and `fields(..)` can still read `self`.

use std::time::Duration;

use playback::{MemoryStore, PlaybackLayer, Query, Store};
use tracing_subscriber::prelude::*;

#[derive(Debug)]
struct Service {
    base: u64,
    calls: u64,
}

impl Service {
    #[playback::instrument(playback = "operation", skip(self), fields(base = %self.base))]
    fn quote(&self, qty: u64) -> u64 {
        self.unit_price(qty) * qty
    }

    #[playback::instrument(playback = "input", skip(self))]
    fn unit_price(&self, qty: u64) -> u64 {
        self.base + qty
    }

    #[playback::instrument(playback = "output", skip(self))]
    fn count(&mut self, by: u64) -> u64 {
        self.calls += by;
        self.calls
    }

    #[playback::instrument(playback = "input", skip(self))]
    async fn price_async(&self, qty: u64) -> u64 {
        tokio::task::yield_now().await;
        self.base * qty
    }

    #[playback::instrument(playback = "operation", skip(self))]
    fn into_total(self, extra: u64) -> u64 {
        self.base + self.calls + extra
    }

    /// Without `skip(self)`: tracing records `self` with `Debug`, playback still leaves it out.
    #[playback::instrument(playback = "input")]
    fn peek(&self, qty: u64) -> u64 {
        self.base - qty
    }
}

impl Clone for Service {
    fn clone(&self) -> Self {
        Service {
            base: self.base,
            calls: self.calls,
        }
    }
}

fn main() {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let mut service = Service { base: 5, calls: 0 };
    let quoted = tracing::subscriber::with_default(subscriber, || service.quote(3));
    assert_eq!(quoted, 24);
    assert!(guard.flush(Duration::from_secs(5)));

    let recordings: Vec<_> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recordings.len(), 1);
    let recording = &recordings[0];
    assert_eq!(recording.arg::<u64>("qty").unwrap(), 3);
    assert_eq!(
        recording.args.len(),
        1,
        "self is not an argument of the recording"
    );
    assert_eq!(recording.interceptions.len(), 1);
    assert_eq!(
        recording.interceptions[0].key,
        Some(serde_json::json!({"qty": 3}))
    );

    assert_eq!(service.count(2), 2);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(service.price_async(4)), 20);
    assert_eq!(service.peek(1), 4);
    assert_eq!(service.clone().into_total(1), 8);
}
