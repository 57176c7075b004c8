//! Generic functions, lifetimes, `impl Trait` arguments and `where` clauses.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

#[playback::instrument(playback = "input")]
fn repeat<T: Serialize + DeserializeOwned + Debug + Clone>(item: T, times: usize) -> Vec<T> {
    vec![item; times]
}

#[playback::instrument(playback = "output")]
fn longest<'a>(a: &'a str, b: &'a str) -> usize
where
    'a: 'a,
{
    a.len().max(b.len())
}

#[playback::instrument(playback = "input", skip(make))]
fn build(make: impl Fn(u32) -> u32, seed: u32) -> u32 {
    make(seed)
}

#[playback::instrument(playback = "operation")]
fn total<I>(items: I) -> u64
where
    I: IntoIterator<Item = u64> + Serialize + Debug,
{
    items.into_iter().sum()
}

#[playback::instrument(playback = "input")]
async fn first<T>(items: Vec<T>) -> Option<T>
where
    T: Serialize + DeserializeOwned + Debug + Send,
{
    items.into_iter().next()
}

fn main() {
    assert_eq!(repeat("a".to_owned(), 2), ["a", "a"]);
    assert_eq!(repeat(7u8, 1), [7]);
    assert_eq!(longest("abc", "de"), 3);
    assert_eq!(build(|x| x * 2, 21), 42);
    assert_eq!(total(vec![1, 2, 3]), 6);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(first(vec![4, 5])), Some(4));
}
