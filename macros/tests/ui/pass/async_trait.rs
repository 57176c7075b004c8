//! `#[async_trait]` methods and hand-written `Box::pin(async move { .. })` futures: the code is
//! put inside the boxed future, and the recorded type is the future's `Output`.

use std::future::Future;
use std::pin::Pin;

use std::time::Duration;

use async_trait::async_trait;
use playback::{MemoryStore, PlaybackLayer, Query, Store};
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::prelude::*;

#[async_trait]
trait Prices {
    async fn price(&self, item: u32) -> Result<u64, String>;
    async fn checkout(&self, items: Vec<u32>) -> Result<u64, String>;
}

#[derive(Debug)]
struct Shop;

#[async_trait]
impl Prices for Shop {
    #[playback::instrument(playback = "input", skip(self), err)]
    async fn price(&self, item: u32) -> Result<u64, String> {
        tokio::task::yield_now().await;
        if item == 0 {
            return Err("no such item".to_owned());
        }
        Ok(u64::from(item) * 10)
    }

    #[playback::instrument(playback = "operation", skip(self))]
    async fn checkout(&self, items: Vec<u32>) -> Result<u64, String> {
        let mut total = 0;
        for item in items {
            total += self.price(item).await?;
        }
        Ok(total)
    }
}

#[playback::instrument(playback = "input")]
fn boxed(n: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move { n * 3 })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(Shop.checkout(vec![1, 2]).await, Ok(30));
    assert_eq!(Shop.checkout(vec![0]).await, Err("no such item".to_owned()));
    let spawned = tokio::spawn(async { Shop.checkout(vec![3]).await });
    assert_eq!(spawned.await.unwrap(), Ok(30));
    assert_eq!(boxed(2).await, 6);

    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let total = Shop.checkout(vec![1, 2]).with_subscriber(subscriber).await;
    assert_eq!(total, Ok(30));
    assert!(guard.flush(Duration::from_secs(5)));
    let recordings: Vec<_> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recordings.len(), 1);
    let keys: Vec<_> = recordings[0]
        .interceptions
        .iter()
        .map(|i| i.key.clone())
        .collect();
    assert_eq!(
        keys,
        [
            Some(serde_json::json!({"item": 1})),
            Some(serde_json::json!({"item": 2}))
        ]
    );
    assert_eq!(
        recordings[0].interceptions[1].value_json(),
        serde_json::json!({"Ok": 20})
    );
    assert_eq!(
        recordings[0].interceptions[1].signature,
        "fn price(item: u32) -> Result<u64, String>"
    );
}
