//! Reading packs: finding a recording by id, reading its byte range, reading a pack's
//! index objects for listings, and deleting one recording from a pack.
//!
//! A recording is deleted from its pack by overwriting its bytes with spaces (so the
//! other recordings keep their byte ranges), then rewriting the pack's index object and
//! directory without it; the last recording of a pack takes the pack's objects with it.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_s3::types::StorageClass;
use parking_lot::Mutex;
use playback_store::{MAX_RECORDING_BYTES, Recording, RecordingId, StoreError, Summary};
use time::Date;

use crate::bucket::PutRequest;
use crate::codec;
use crate::core::Inner;
use crate::error::S3Error;
use crate::keys::{Stem, utc_day};
use crate::pack::{DIR_SUFFIX, DirObject, INDEX_SUFFIX, IndexObject, PACK_FORMAT, index_json};

/// The most pack directories kept in memory.
const DIR_CACHE_ENTRIES: usize = 4096;

/// Where one packed recording is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    /// The pack's full key.
    pub(crate) pack: String,
    /// The pack's stem (its nonce orders copies of one id: the newest wins).
    pub(crate) stem: Stem,
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// Pack directories read so far, by key (cleared when full).
#[derive(Debug, Default)]
pub(crate) struct DirCache {
    dirs: Mutex<HashMap<String, Arc<DirObject>>>,
}

impl DirCache {
    fn get(&self, key: &str) -> Option<Arc<DirObject>> {
        self.dirs.lock().get(key).cloned()
    }

    fn put(&self, key: &str, dir: Arc<DirObject>) {
        let mut dirs = self.dirs.lock();
        if dirs.len() >= DIR_CACHE_ENTRIES {
            dirs.clear();
        }
        dirs.insert(key.to_owned(), dir);
    }

    fn forget(&self, key: &str) {
        self.dirs.lock().remove(key);
    }
}

/// The error for a pack, directory or index object that is not what playback wrote.
pub(crate) fn corrupt(op: &'static str, origin: &str, what: &str) -> StoreError {
    StoreError::Backend {
        store: "s3".to_owned(),
        op,
        message: format!(
            "the pack object at `{origin}` is corrupt or truncated ({what}): delete the pack's \
             objects, or restore them from a copy"
        ),
        source: None,
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], origin: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        origin: origin.to_owned(),
        source,
    })
}

fn check_version(version: u32, origin: &str) -> Result<(), StoreError> {
    if version == PACK_FORMAT {
        return Ok(());
    }
    Err(StoreError::UnsupportedVersion {
        origin: origin.to_owned(),
        found: version.to_string(),
        supported: "1",
    })
}

impl Inner {
    fn origin(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket.name)
    }

    /// Reads a pack's directory (cached); `None` when it is gone.
    async fn read_dir(
        &self,
        op: &'static str,
        key: &str,
    ) -> Result<Option<Arc<DirObject>>, StoreError> {
        if let Some(dir) = self.dirs.get(key) {
            return Ok(Some(dir));
        }
        let Some(bytes) = self.bucket.get(op, key).await? else {
            return Ok(None);
        };
        let origin = self.origin(key);
        let dir: DirObject = parse_json(&bytes, &origin)?;
        check_version(dir.version, &origin)?;
        let dir = Arc::new(dir);
        self.dirs.put(key, dir.clone());
        Ok(Some(dir))
    }

    /// The packs that hold `id`, newest first (all of them with `all`, else the
    /// newest only). Empty for ids that are not ULIDs.
    pub(crate) async fn locate(
        &self,
        op: &'static str,
        id: &RecordingId,
        all: bool,
    ) -> Result<Vec<(String, Location)>, StoreError> {
        let Some(at) = id.timestamp() else {
            return Ok(Vec::new());
        };
        let folder = self.layout.pack_folder(at);
        let keys = self.bucket.list(op, &folder, false).await?.keys;
        let mut candidates: Vec<(String, Stem)> = keys
            .into_iter()
            .filter_map(|key| Some((Stem::of_key(&key, DIR_SUFFIX)?, key)))
            .filter(|(stem, _)| stem.holds(id.as_str()))
            .map(|(stem, key)| (key, stem))
            .collect();
        candidates.sort_by(|a, b| b.1.nonce.cmp(&a.1.nonce));
        let mut found = Vec::new();
        for (key, stem) in candidates {
            let Some(dir) = self.read_dir(op, &key).await? else {
                continue;
            };
            if let Some(entry) = dir.entries.iter().find(|e| e.id == id.as_str()) {
                found.push((
                    key.clone(),
                    Location {
                        pack: self.layout.full_key(&dir.pack),
                        stem,
                        offset: entry.offset,
                        len: entry.len,
                    },
                ));
                if !all {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Reads one packed recording with a ranged GET and checks its id; returns it and
    /// its JSON (for the cache).
    pub(crate) async fn read_packed(
        &self,
        op: &'static str,
        id: &RecordingId,
        location: &Location,
    ) -> Result<(Recording, Vec<u8>), StoreError> {
        let origin = format!(
            "{} (bytes {}+{})",
            self.origin(&location.pack),
            location.offset,
            location.len
        );
        if location.len > MAX_RECORDING_BYTES {
            return Err(codec::too_large(&origin)(location.len));
        }
        if location.len == 0 {
            return Err(corrupt(op, &origin, "an empty byte range"));
        }
        let bytes = self
            .bucket
            .get_range(op, &location.pack, location.offset, location.len)
            .await?
            .ok_or_else(|| StoreError::NotFound { id: id.to_string() })?;
        if bytes.len() as u64 != location.len {
            return Err(corrupt(
                op,
                &origin,
                &format!(
                    "{} bytes where its index gives {}",
                    bytes.len(),
                    location.len
                ),
            ));
        }
        let json = codec::decode(bytes, &origin)?;
        let recording = Recording::from_json_at(&json, &origin)?;
        if recording.id != *id {
            return Err(StoreError::Misplaced {
                origin,
                found_id: recording.id.to_string(),
                found_category: recording.category,
            });
        }
        Ok((recording, json))
    }

    /// Finds and reads a packed recording; `None` when no pack holds it. A directory
    /// read from the cache that leads nowhere (another process deleted the recording)
    /// is read again once.
    pub(crate) async fn get_packed(
        &self,
        id: &RecordingId,
    ) -> Result<Option<(Recording, Vec<u8>)>, StoreError> {
        for attempt in 0..2 {
            let Some((dir_key, location)) = self.locate("get", id, false).await?.pop() else {
                return Ok(None);
            };
            match self.read_packed("get", id, &location).await {
                Ok(found) => return Ok(Some(found)),
                Err(_) if attempt == 0 => self.dirs.forget(&dir_key),
                Err(err) => return Err(err),
            }
        }
        Ok(None)
    }

    /// Reads one index object of a pack, filed under `category` and `day`: each
    /// summary with its place in the pack, or one error entry per unreadable summary
    /// (or for the whole object when it is not an index object).
    pub(crate) async fn read_pack_index(
        &self,
        key: &str,
        category: &str,
        day: Date,
    ) -> Vec<(Result<Summary, StoreError>, Option<Location>)> {
        let origin = self.origin(key);
        let stem = Stem::of_key(key, INDEX_SUFFIX);
        let bytes = match self.bucket.get("list", key).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Vec::new(),
            Err(err) => return vec![(Err(err.into()), None)],
        };
        let index: IndexObject = match parse_json(&bytes, &origin)
            .and_then(|i: IndexObject| check_version(i.version, &origin).map(|()| i))
        {
            Ok(index) => index,
            Err(err) => return vec![(Err(err), None)],
        };
        let (Some(stem), pack) = (stem, self.layout.full_key(&index.pack)) else {
            return vec![(
                Err(corrupt("list", &origin, "a key that is not a pack's")),
                None,
            )];
        };
        index
            .entries
            .iter()
            .enumerate()
            .map(|(n, entry)| {
                let at = format!("{origin} (entry {n})");
                let summary = Summary::from_json_at(entry.summary.get().as_bytes(), &at).and_then(
                    |summary| {
                        if summary.category != category || utc_day(&summary) != day {
                            return Err(StoreError::Misplaced {
                                origin: at.clone(),
                                found_id: summary.id.to_string(),
                                found_category: summary.category,
                            });
                        }
                        if entry.len > MAX_RECORDING_BYTES {
                            return Err(codec::too_large(&at)(entry.len));
                        }
                        Ok(summary)
                    },
                );
                let location = Location {
                    pack: pack.clone(),
                    stem: stem.clone(),
                    offset: entry.offset,
                    len: entry.len,
                };
                (summary, Some(location))
            })
            .collect()
    }

    /// Deletes one packed recording: its bytes are overwritten with spaces, then it
    /// leaves the pack's index object and directory (all three objects go with the
    /// pack's last recording).
    pub(crate) async fn delete_packed(
        &self,
        op: &'static str,
        id: &RecordingId,
        dir_key: &str,
        location: &Location,
    ) -> Result<(), StoreError> {
        let _serial = self.delete_lock.lock().await;
        self.dirs.forget(dir_key);
        let Some(dir) = self.read_dir(op, dir_key).await? else {
            return Ok(());
        };
        let recording = self.read_packed(op, id, location).await.ok();
        let mut dir = (*dir).clone();
        dir.entries.retain(|e| e.id != id.as_str());
        let stem = location.stem.to_string();
        // Its index object is named by the recording's category and day; when the
        // recording does not read, its index entry stays and listings report it as
        // unreadable (finding it would mean listing every category).
        if let Some((recording, _)) = &recording {
            let key = format!(
                "{}{stem}{INDEX_SUFFIX}",
                self.layout.index_folder_for(recording)
            );
            self.rewrite_index(op, &key, location).await?;
        }
        if dir.entries.is_empty() {
            self.bucket.delete(op, dir_key).await?;
            self.bucket.delete(op, &location.pack).await?;
        } else {
            let limit = MAX_RECORDING_BYTES.saturating_mul(2);
            let pack = self.bucket.get_bounded(op, &location.pack, limit).await?;
            if let Some(Ok(mut pack)) = pack {
                let start = usize::try_from(location.offset).unwrap_or(usize::MAX);
                let end = start.saturating_add(usize::try_from(location.len).unwrap_or(0));
                if end <= pack.len() {
                    pack[start..end].fill(b' ');
                    let class = self.storage_class(end - start);
                    self.put_plain(op, &location.pack, pack, class).await?;
                }
            }
            let body =
                serde_json::to_vec(&dir).map_err(|err| corrupt(op, dir_key, &err.to_string()))?;
            self.put_plain(op, dir_key, body, None).await?;
        }
        self.dirs.forget(dir_key);
        Ok(())
    }

    /// Rewrites a pack's index object without the entry at `location` (deletes it
    /// when that was its last entry).
    async fn rewrite_index(
        &self,
        op: &'static str,
        key: &str,
        location: &Location,
    ) -> Result<(), StoreError> {
        let Some(bytes) = self.bucket.get(op, key).await? else {
            return Ok(());
        };
        let origin = self.origin(key);
        let index: IndexObject = parse_json(&bytes, &origin)?;
        let kept: Vec<_> = index
            .entries
            .iter()
            .filter(|e| e.offset != location.offset)
            .collect();
        if kept.is_empty() {
            return Ok(self.bucket.delete(op, key).await?);
        }
        let body = index_json(
            &index.pack,
            kept.iter()
                .map(|e| (e.offset, e.len, e.summary.get().as_bytes())),
        );
        self.put_plain(op, key, body, None).await
    }

    async fn put_plain(
        &self,
        op: &'static str,
        key: &str,
        body: Vec<u8>,
        storage_class: Option<StorageClass>,
    ) -> Result<(), StoreError> {
        let request = PutRequest {
            key,
            body,
            zstd: false,
            storage_class,
            if_absent: false,
        };
        self.bucket
            .put(op, request)
            .await
            .map(drop)
            .map_err(S3Error::into)
    }
}
