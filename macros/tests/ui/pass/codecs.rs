//! `with = Codec` for a return value and `with(arg = Codec)` for arguments that are not serde
//! types, by value and by reference.

use std::time::Duration;

use playback::{Codec, MemoryStore, PlaybackLayer, Query, Store};
use tracing_subscriber::prelude::*;

/// Not a serde type.
#[derive(Debug)]
struct Handle(u32);

struct HandleCodec;

impl Codec<Handle> for HandleCodec {
    type Stored = u32;
    fn record(value: &Handle) -> u32 {
        value.0
    }
    fn replay(stored: u32) -> Handle {
        Handle(stored)
    }
}

struct IoResult;

impl Codec<Result<String, std::io::Error>> for IoResult {
    type Stored = Result<String, String>;
    fn record(value: &Result<String, std::io::Error>) -> Self::Stored {
        value.as_ref().map(Clone::clone).map_err(|e| e.to_string())
    }
    fn replay(stored: Self::Stored) -> Result<String, std::io::Error> {
        stored.map_err(std::io::Error::other)
    }
}

#[playback::instrument(playback = "input", with = IoResult, with(handle = HandleCodec, owned = HandleCodec))]
fn read(handle: &Handle, owned: Handle, path: String) -> Result<String, std::io::Error> {
    if path.is_empty() {
        return Err(std::io::Error::other("empty path"));
    }
    Ok(format!("{}:{}:{path}", handle.0, owned.0))
}

#[playback::instrument(playback = "output", with = HandleCodec)]
fn open(n: u32) -> Handle {
    Handle(n)
}

#[playback::instrument(playback = "operation", with = HandleCodec)]
fn run(n: u32) -> Handle {
    let handle = open(n);
    let text = read(&handle, Handle(2), "a".to_owned()).unwrap();
    assert_eq!(text, format!("{n}:2:a"));
    handle
}

fn main() {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    let handle =
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || run(7));
    assert_eq!(handle.0, 7);
    assert!(guard.flush(Duration::from_secs(5)));
    let recordings: Vec<_> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let recording = &recordings[0];
    assert_eq!(
        recording.result.as_ref().unwrap().to_json(),
        serde_json::json!(7)
    );
    let read = &recording.interceptions[1];
    assert_eq!(
        read.key,
        Some(serde_json::json!({"handle": 7, "owned": 2, "path": "a"}))
    );
    assert_eq!(read.value_json(), serde_json::json!({"Ok": "7:2:a"}));
    assert!(read.alias.ends_with("::read"));
    assert!(
        read.signature
            .starts_with("fn read(handle: &Handle, owned: Handle, path: String)"),
        "{}",
        read.signature
    );
}
