//! A small stateful async service, as a team would adopt playback in it: `&self`
//! handlers on a `#[playback::service]`, `skip(disk)` state, `io::Result` and bytes
//! through `playback::codec`. Its own test scenarios are recorded through
//! `playback::test::record_into`, then replayed by the Equalizer with one provided value
//! per type: all Equal, and a deliberate change is Different at a readable path.

use std::collections::BTreeMap;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use playback::codec::{Bytes, IoResult};
use playback::{DirStore, Equalizer, Progress, Query, Replayer, Status, Store};

/// The service's storage: real state, never recorded.
#[derive(Debug, Default)]
struct Disk {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

#[derive(Debug, Default)]
struct Kv {
    disk: Disk,
}

/// The deliberate change: `get` upper-cases what it returns.
static SHOUT: AtomicBool = AtomicBool::new(false);

#[playback::service]
impl Kv {
    /// A handler: the value as text, or why not.
    #[playback::instrument(playback = "operation", skip(self), category = "kv_get")]
    async fn get(&self, key: String) -> Result<String, String> {
        let bytes = self.read(&key).await.map_err(|e| format!("{key}: {e}"))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(if SHOUT.load(Ordering::SeqCst) {
            text.to_uppercase()
        } else {
            text
        })
    }

    /// A handler that writes: bytes in, the byte count out.
    #[playback::instrument(
        playback = "operation",
        skip(self),
        category = "kv_put",
        with(value = Bytes),
        with = IoResult
    )]
    async fn put(&self, key: String, value: Vec<u8>) -> io::Result<usize> {
        self.write(&key, &value).await?;
        Ok(value.len())
    }

    #[playback::instrument(playback = "input", skip(self), with = IoResult::<Bytes>)]
    async fn read(&self, key: &str) -> io::Result<Vec<u8>> {
        tokio::task::yield_now().await;
        let files = self.disk.files.lock().unwrap();
        files
            .get(key)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such key"))
    }

    #[playback::instrument(playback = "output", skip(self), with = IoResult)]
    async fn write(&self, key: &str, value: &[u8]) -> io::Result<()> {
        tokio::task::yield_now().await;
        self.disk
            .files
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }
}

/// A free handler over skipped state.
#[playback::instrument(playback = "operation", skip(disk), category = "kv_count")]
async fn count(disk: &Disk, prefix: String) -> usize {
    keys(disk)
        .await
        .iter()
        .filter(|k| k.starts_with(&prefix))
        .count()
}

#[playback::instrument(playback = "input", skip(disk))]
async fn keys(disk: &Disk) -> Vec<String> {
    disk.files.lock().unwrap().keys().cloned().collect()
}

/// One of the service's test scenarios.
type Scenario = fn(&Kv, &tokio::runtime::Runtime);

/// The service's own test scenarios (what its integration tests do).
fn scenarios() -> Vec<(&'static str, Scenario)> {
    vec![
        ("put_then_get", |kv, rt| {
            rt.block_on(async {
                assert_eq!(
                    kv.put("greeting".into(), b"hello".to_vec()).await.unwrap(),
                    5
                );
                assert_eq!(kv.get("greeting".into()).await.unwrap(), "hello");
            });
        }),
        ("binary_values", |kv, rt| {
            rt.block_on(async {
                assert_eq!(
                    kv.put("blob".into(), vec![0, 159, 146, 150]).await.unwrap(),
                    4
                );
            });
        }),
        ("missing_key", |kv, rt| {
            rt.block_on(async {
                let err = kv.get("nope".into()).await.unwrap_err();
                assert_eq!(err, "nope: no such key");
            });
        }),
        ("count_by_prefix", |kv, rt| {
            rt.block_on(async {
                kv.put("user:1".into(), b"ann".to_vec()).await.unwrap();
                kv.put("user:2".into(), b"bob".to_vec()).await.unwrap();
                assert_eq!(count(&kv.disk, "user:".into()).await, 2);
            });
        }),
    ]
}

#[test]
fn a_stateful_service_records_its_tests_and_replays_them_all_equal() {
    let dir = tempfile::tempdir().unwrap();
    // each scenario runs on its own thread, as libtest runs tests, each recording
    // through the supported test-recording path
    std::thread::scope(|s| {
        for (name, scenario) in scenarios() {
            let path = dir.path().to_owned();
            s.spawn(move || {
                let recorder = playback::test::record_into(&path).unwrap();
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                scenario(&Kv::default(), &rt);
                let stats = recorder.stats().snapshot();
                assert_eq!((stats.dropped, stats.failed), (0, 0), "{name}: {stats:?}");
            });
        }
    });
    let store = DirStore::new(dir.path()).unwrap();
    let recordings: Vec<_> = store.find(&Query::all()).unwrap();
    // put_then_get: put + get; binary_values: put; missing_key: get;
    // count_by_prefix: 2 puts + count
    assert_eq!(recordings.len(), 7, "no recording lost");

    // one provided value per type; the default player otherwise
    let replayer = || Replayer::new().provide(Kv::default).provide(Disk::default);
    let report = Equalizer::new(store.find(&Query::all()).unwrap())
        .replayer(replayer())
        .progress(Progress::Never)
        .run();
    assert_eq!(report.counts().equal, 7, "{:#?}", report.comparisons);
    assert_eq!(report.exit_code(), 0);
    // bytes are stored as text when they are UTF-8, base64 otherwise
    let puts = store.find(&Query::category("kv_put")).unwrap();
    let values: Vec<String> = puts
        .into_iter()
        .map(|r| r.unwrap().args["value"].get().to_owned())
        .collect();
    assert!(values.contains(&"\"hello\"".to_owned()), "{values:?}");
    assert!(values.iter().any(|v| v.contains("base64")), "{values:?}");

    // the deliberate change: only the gets that returned a value differ, at a text path
    SHOUT.store(true, Ordering::SeqCst);
    let report = Equalizer::new(store.find(&Query::all()).unwrap())
        .replayer(replayer())
        .progress(Progress::Never)
        .run();
    SHOUT.store(false, Ordering::SeqCst);
    let different: Vec<_> = report
        .comparisons
        .iter()
        .filter(|c| c.status == Status::Different)
        .collect();
    assert_eq!(different.len(), 1, "{:#?}", report.comparisons);
    let diff = &different[0].differences[0];
    assert_eq!(different[0].category, "kv_get");
    assert_eq!(diff.path, "/result/Ok");
    assert_eq!(diff.recorded, Some(serde_json::json!("hello")));
    assert_eq!(diff.replayed, Some(serde_json::json!("HELLO")));
    assert_eq!(report.exit_code(), 1);
}
