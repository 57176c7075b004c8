//! `playback::fs`: file reads, metadata and writes as interceptions. An operation recorded
//! against real files replays with the files gone, touching nothing on disk.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::record_one;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Report {
    config: String,
    logo: Vec<u8>,
    config_len: u64,
    config_modified: u64,
    is_dir: bool,
    missing: String,
}

/// Reads a config, a binary file and metadata, notices a missing file, writes a report.
#[playback::instrument(playback = "operation", category = "fs_report")]
fn render(dir: PathBuf) -> Result<Report, String> {
    let config =
        playback::fs::read_to_string(dir.join("config.toml")).map_err(|e| e.to_string())?;
    let logo = playback::fs::read(dir.join("logo.bin")).map_err(|e| e.to_string())?;
    let meta = playback::fs::metadata(dir.join("config.toml")).map_err(|e| e.to_string())?;
    let is_dir = playback::fs::metadata(&dir)
        .map_err(|e| e.to_string())?
        .is_dir();
    let missing = match playback::fs::read(dir.join("missing.txt")) {
        Ok(_) => "found".to_owned(),
        Err(e) => format!("{:?}: {e}", e.kind()),
    };
    let modified = meta.modified().map_err(|e| e.to_string())?;
    let report = format!(
        "{} bytes of config, {} bytes of logo\n",
        meta.len(),
        logo.len()
    );
    playback::fs::write(dir.join("report.txt"), &report).map_err(|e| e.to_string())?;
    playback::fs::write(dir.join("logo.copy"), &logo).map_err(|e| e.to_string())?;
    Ok(Report {
        config,
        logo,
        config_len: meta.len(),
        config_modified: modified.duration_since(UNIX_EPOCH).unwrap().as_secs(),
        is_dir,
        missing,
    })
}

fn seed(dir: &Path) {
    std::fs::write(dir.join("config.toml"), "port = 6379\n").unwrap();
    std::fs::write(dir.join("logo.bin"), [0x89, b'P', b'N', b'G', 0xff]).unwrap();
}

/// The expected report for a seeded `dir`.
fn expected(dir: &Path) -> Report {
    let modified = std::fs::metadata(dir.join("config.toml"))
        .unwrap()
        .modified()
        .unwrap();
    Report {
        config: "port = 6379\n".to_owned(),
        logo: vec![0x89, b'P', b'N', b'G', 0xff],
        config_len: 12,
        config_modified: modified.duration_since(UNIX_EPOCH).unwrap().as_secs(),
        is_dir: true,
        missing: format!(
            "NotFound: {}",
            std::fs::read(dir.join("missing.txt")).unwrap_err()
        ),
    }
}

#[test]
fn file_reads_replay_with_the_files_gone_and_writes_are_captured_not_done() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    std::fs::create_dir(&dir).unwrap();
    seed(&dir);
    let want = expected(&dir);

    let rec = record_one(|| assert_eq!(render(dir.clone()), Ok(want.clone())));
    // the writes really happened while recording
    assert_eq!(
        std::fs::read_to_string(dir.join("report.txt")).unwrap(),
        "12 bytes of config, 5 bytes of logo\n"
    );

    // keyed by path; contents as text when UTF-8, as marked base64 otherwise
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let by_alias = |alias: &str| -> Vec<&playback::Interception> {
        rec.interceptions
            .iter()
            .filter(|i| i.alias == alias)
            .collect()
    };
    let reads = by_alias("playback::fs::read_to_string");
    assert_eq!(reads[0].key, Some(json!({"path": path("config.toml")})));
    assert_eq!(reads[0].value_json(), json!({"Ok": "port = 6379\n"}));
    let reads = by_alias("playback::fs::read");
    assert_eq!(reads[0].value_json(), json!({"Ok": {"base64": "iVBOR/8="}}));
    assert_eq!(reads[1].key, Some(json!({"path": path("missing.txt")})));
    assert_eq!(reads[1].value_json()["Err"]["kind"], "NotFound");
    assert!(reads[1].error);
    let meta = by_alias("playback::fs::metadata")[0].value_json();
    assert_eq!(meta["Ok"]["len"], 12);
    assert_eq!(
        (meta["Ok"]["is_file"].clone(), meta["Ok"]["is_dir"].clone()),
        (json!(true), json!(false))
    );
    let modified = meta["Ok"]["modified"].as_str().unwrap();
    assert!(
        modified.ends_with('Z') && modified.contains('T'),
        "{modified}"
    );
    let writes = by_alias("playback::fs::write");
    assert_eq!(
        writes[0].args_value(),
        json!({"path": path("report.txt"), "contents": "12 bytes of config, 5 bytes of logo\n"})
    );
    assert_eq!(
        writes[1].args_value()["contents"],
        json!({"base64": "iVBOR/8="})
    );

    // the files go away: the replay reads the recording, and writes nothing
    std::fs::remove_dir_all(&dir).unwrap();
    let playback = playback::replay(&rec, || render(dir.clone())).unwrap();
    assert!(!dir.exists(), "the replay touched the disk");
    assert_eq!(
        playback.replayed().result(),
        &json!({"Ok": serde_json::to_value(&want).unwrap()})
    );
    assert_eq!(playback.recorded(), playback.replayed());
    assert!(playback.unused().is_empty());
    let outputs: Vec<(&str, &serde_json::Value)> = playback
        .replayed()
        .outputs()
        .iter()
        .map(|o| (o.alias.as_str(), &o.args["path"]))
        .collect();
    assert_eq!(
        outputs,
        [
            ("playback::fs::write", &json!(path("report.txt"))),
            ("playback::fs::write", &json!(path("logo.copy")))
        ]
    );
}

#[test]
fn a_missing_file_replays_as_the_same_error_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    std::fs::create_dir(&dir).unwrap();
    let rec = record_one(|| {
        let err = render(dir.clone()).unwrap_err();
        assert_eq!(
            err,
            std::fs::read(dir.join("config.toml"))
                .unwrap_err()
                .to_string()
        );
    });
    std::fs::remove_dir_all(&dir).unwrap();
    // the replay does not look at the disk: a file created now is not seen
    std::fs::create_dir(&dir).unwrap();
    seed(&dir);
    let playback = playback::replay(&rec, || render(dir.clone())).unwrap();
    assert!(playback.replayed().is_error());
    assert_eq!(playback.recorded(), playback.replayed());
    assert!(!dir.join("report.txt").exists());
}

#[test]
fn metadata_is_a_playback_type_with_the_std_methods() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "abc").unwrap();
    let meta: playback::fs::Metadata = playback::fs::metadata(file.path()).unwrap();
    let std_meta = std::fs::metadata(file.path()).unwrap();
    assert_eq!(meta.len(), 3);
    assert!(meta.is_file() && !meta.is_dir() && !meta.is_empty());
    assert_eq!(meta.modified().unwrap(), std_meta.modified().unwrap());
    assert_eq!(meta.readonly(), std_meta.permissions().readonly());
    assert!(meta.modified().unwrap() <= SystemTime::now());
}

#[cfg(feature = "tokio")]
mod async_forms {
    use super::*;

    /// The same operation over `playback::fs::tokio`, under the same category, so a
    /// recording of either replays with the other (`register = false`: `render` already
    /// registers the category for automatic replay).
    #[playback::instrument(playback = "operation", category = "fs_report", register = false)]
    async fn render_async(dir: PathBuf) -> Result<Report, String> {
        use playback::fs::tokio as fs;
        let config = fs::read_to_string(dir.join("config.toml"))
            .await
            .map_err(|e| e.to_string())?;
        let logo = fs::read(dir.join("logo.bin"))
            .await
            .map_err(|e| e.to_string())?;
        let meta = fs::metadata(dir.join("config.toml"))
            .await
            .map_err(|e| e.to_string())?;
        let is_dir = fs::metadata(&dir)
            .await
            .map_err(|e| e.to_string())?
            .is_dir();
        let missing = match fs::read(dir.join("missing.txt")).await {
            Ok(_) => "found".to_owned(),
            Err(e) => format!("{:?}: {e}", e.kind()),
        };
        let modified = meta.modified().map_err(|e| e.to_string())?;
        let report = format!(
            "{} bytes of config, {} bytes of logo\n",
            meta.len(),
            logo.len()
        );
        fs::write(dir.join("report.txt"), report)
            .await
            .map_err(|e| e.to_string())?;
        fs::write(dir.join("logo.copy"), logo.clone())
            .await
            .map_err(|e| e.to_string())?;
        Ok(Report {
            config,
            logo,
            config_len: meta.len(),
            config_modified: modified.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            is_dir,
            missing,
        })
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn async_file_calls_record_and_replay_with_the_files_gone() {
        use tracing::instrument::WithSubscriber as _;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site");
        std::fs::create_dir(&dir).unwrap();
        seed(&dir);
        let want = expected(&dir);
        let rt = runtime();

        let rec = record_one(|| {
            let got = rt.block_on(render_async(dir.clone()).with_current_subscriber());
            assert_eq!(got, Ok(want.clone()));
        });
        assert_eq!(rec.interceptions.len(), 7);
        std::fs::remove_dir_all(&dir).unwrap();

        let playback = rt
            .block_on(playback::replay_async(&rec, render_async(dir.clone())))
            .unwrap();
        assert!(!dir.exists(), "the replay touched the disk");
        assert_eq!(
            playback.replayed().result(),
            &json!({"Ok": serde_json::to_value(&want).unwrap()})
        );
        assert_eq!(playback.recorded(), playback.replayed());

        // the sync and async forms record the same interceptions: either replays the other
        let playback = playback::replay(&rec, || render(dir.clone())).unwrap();
        assert_eq!(playback.recorded(), playback.replayed());
        assert!(playback.unused().is_empty());
        assert!(!dir.exists());
    }
}
