//! How an operation is named and what it records: a category computed from the call's
//! arguments, and a request carried in `self`.

use std::time::Duration;

use playback::{MemoryStore, PlaybackLayer, Query, Recording, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing_subscriber::prelude::*;

fn record(f: impl FnOnce()) -> (MemoryStore, Vec<Recording>) {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .skip("ping")
        .build()
        .unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
    assert!(guard.flush(Duration::from_secs(10)));
    let all: Vec<Recording> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    (store, all)
}

// ---- categories from an expression -------------------------------------------------------

fn command_name(frame: &[String]) -> &'static str {
    match frame.first().map(String::as_str) {
        Some("GET") => "get",
        Some("SET") => "set",
        Some("PING") => "ping",
        _ => "unknown",
    }
}

#[playback::instrument(playback = "input")]
fn lookup(key: String) -> Option<String> {
    (key == "k").then(|| "v".to_owned())
}

/// One operation function, one category per command.
#[playback::instrument(
    playback = "operation",
    fields(playback.category = command_name(&frame))
)]
fn execute(frame: Vec<String>) -> String {
    match command_name(&frame) {
        "get" => lookup(frame[1].clone()).unwrap_or_else(|| "(nil)".to_owned()),
        "set" => "OK".to_owned(),
        "ping" => "PONG".to_owned(),
        _ => "ERR unknown command".to_owned(),
    }
}

/// A category built as a `String`, recorded through its `Display` (`%`, as in tracing).
#[playback::instrument(
    playback = "operation",
    fields(playback.category = %format!("admin_{}", command.to_lowercase()))
)]
fn admin(command: String) -> usize {
    command.len()
}

fn frame(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

#[test]
fn a_category_computed_from_the_arguments_names_each_recording_and_its_settings() {
    let (store, recs) = record(|| {
        assert_eq!(execute(frame(&["GET", "k"])), "v");
        assert_eq!(execute(frame(&["SET", "k", "w"])), "OK");
        assert_eq!(execute(frame(&["PING"])), "PONG"); // category "ping" is skipped
        assert_eq!(execute(frame(&["FLY"])), "ERR unknown command");
        assert_eq!(admin("FLUSH".to_owned()), 5);
    });
    let mut categories: Vec<&str> = recs.iter().map(|r| r.category.as_str()).collect();
    categories.sort_unstable();
    assert_eq!(categories, ["admin_flush", "get", "set", "unknown"]);
    assert!(
        recs.iter()
            .all(|r| r.operation.ends_with("execute") || r.category == "admin_flush")
    );
    assert_eq!(store.find(&Query::category("get")).unwrap().len(), 1);

    // replayed by calling the operation with its recorded arguments
    let get = recs.iter().find(|r| r.category == "get").unwrap();
    let args: Vec<String> = get.arg("frame").unwrap();
    let playback = playback::replay(get, || execute(args.clone())).unwrap();
    assert_eq!(playback.replayed().result(), &json!("v"));
    assert_eq!(playback.recorded(), playback.replayed());
}

// ---- a request carried in `self` ----------------------------------------------------------

/// A command object: the request is `self`, which playback never records on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Transfer {
    from: String,
    to: String,
    amount: u64,
}

#[playback::instrument(playback = "input")]
fn balance(account: String) -> u64 {
    if account == "alice" { 100 } else { 0 }
}

impl Transfer {
    #[playback::instrument(playback = "operation", category = "transfer")]
    fn apply(&self) -> Result<u64, String> {
        // record the request with the operation: searchable, and enough to rebuild `self`
        playback::metadata("request", self);
        let available = balance(self.from.clone());
        if available < self.amount {
            return Err(format!("{} has {available}", self.from));
        }
        Ok(available - self.amount)
    }
}

#[test]
fn a_request_carried_in_self_is_recorded_as_metadata_and_rebuilds_self_for_replay() {
    let transfer = Transfer {
        from: "alice".into(),
        to: "bob".into(),
        amount: 30,
    };
    let (store, recs) = record(|| assert_eq!(transfer.apply(), Ok(70)));
    let rec = &recs[0];
    assert_eq!(
        rec.metadata["request"],
        json!({"from": "alice", "to": "bob", "amount": 30})
    );
    assert!(rec.args.is_empty(), "self is not an argument");

    // found by what the request said
    let to_bob = store
        .find(&Query::category("transfer"))
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .filter(|s| s.metadata["request"]["to"] == "bob")
        .count();
    assert_eq!(to_bob, 1);

    // the replay rebuilds `self` from the recording
    let request: Transfer = serde_json::from_value(rec.metadata["request"].clone()).unwrap();
    assert_eq!(request, transfer);
    let playback = playback::replay(rec, || request.apply()).unwrap();
    assert_eq!(playback.replayed().result(), &json!({"Ok": 70}));
    assert_eq!(playback.recorded(), playback.replayed());
}
