//! Packs: many recordings uploaded as one object, so a busy service does not pay one
//! `PutObject` (and one index object) per recording.
//!
//! A pack upload writes, in this order (so a listing never shows a recording whose
//! bytes are missing, and `get` never finds a directory whose pack is missing):
//!
//! 1. the pack: each recording's stored bytes (JSON, or a zstd frame above the
//!    compression threshold) followed by a newline;
//! 2. its directory (`<stem>.dir.json`): each id with its byte range;
//! 3. one index object per category and UTC day among its recordings
//!    (`index/<category>/<YYYY>/<MM>/<DD>/<stem>.pack.json`): the summaries, each with
//!    its byte range and the pack's key.
//!
//! Every write of a pack goes to fresh keys, so retrying a failed pack upload just
//! writes the same objects again.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use aws_sdk_s3::types::StorageClass;
use playback_store::RecordingId;
use serde::{Deserialize, Serialize};

use crate::bucket::PutRequest;
use crate::core::{Inner, Job};
use crate::error::S3Error;
use crate::keys::Stem;

/// The version of the directory and index objects of packs.
pub(crate) const PACK_FORMAT: u32 = 1;
/// The suffix of a pack's directory object.
pub(crate) const DIR_SUFFIX: &str = ".dir.json";
/// The suffix of a pack's index objects.
pub(crate) const INDEX_SUFFIX: &str = ".pack.json";
/// The suffix of a pack.
pub(crate) const PACK_SUFFIX: &str = ".pack";

/// One recording's place in a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DirEntry {
    pub(crate) id: String,
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// A pack's directory object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DirObject {
    pub(crate) version: u32,
    /// The pack's key, relative to the store's prefix.
    pub(crate) pack: String,
    pub(crate) entries: Vec<DirEntry>,
}

/// One summary of a pack's index object.
#[derive(Debug, Deserialize)]
pub(crate) struct IndexEntry {
    pub(crate) offset: u64,
    pub(crate) len: u64,
    pub(crate) summary: Box<serde_json::value::RawValue>,
}

/// A pack's index object (one per category and day among its recordings).
#[derive(Debug, Deserialize)]
pub(crate) struct IndexObject {
    pub(crate) version: u32,
    /// The pack's key, relative to the store's prefix.
    pub(crate) pack: String,
    pub(crate) entries: Vec<IndexEntry>,
}

/// Writes an index object from summaries that are JSON already, without parsing them.
pub(crate) fn index_json<'a>(
    pack: &str,
    entries: impl Iterator<Item = (u64, u64, &'a [u8])>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(format!("{{\"version\":{PACK_FORMAT},\"pack\":").as_bytes());
    out.extend_from_slice(&serde_json::to_vec(pack).unwrap_or_else(|_| b"\"\"".to_vec()));
    out.extend_from_slice(b",\"entries\":[");
    let mut head = String::new();
    for (n, (offset, len, summary)) in entries.enumerate() {
        head.clear();
        let comma = if n == 0 { "" } else { "," };
        let _ = write!(
            head,
            "{comma}{{\"offset\":{offset},\"len\":{len},\"summary\":"
        );
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(summary);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    out
}

/// Whether a group of jobs is written as a pack.
fn packs(inner: &Inner, jobs: &[Job]) -> bool {
    inner.options.packed && jobs.first().is_some_and(|job| job.at.is_some())
}

impl Inner {
    /// Splits a batch into upload groups: with packs on, one pack per UTC minute of
    /// the ids and storage class; a recording whose id is not a ULID goes alone (one
    /// object, the older layout), as does every recording with packs off.
    pub(crate) fn groups(&self, jobs: Vec<Job>) -> Vec<Vec<Job>> {
        let plan = self.group_indices(&jobs);
        let mut slots: Vec<Option<Job>> = jobs.into_iter().map(Some).collect();
        plan.into_iter()
            .map(|members| members.iter().filter_map(|&n| slots[n].take()).collect())
            .collect()
    }

    /// [`Inner::groups`] as positions in `jobs`.
    pub(crate) fn group_indices(&self, jobs: &[Job]) -> Vec<Vec<usize>> {
        let mut groups: BTreeMap<(String, bool), Vec<usize>> = BTreeMap::new();
        let mut alone = Vec::new();
        for (n, job) in jobs.iter().enumerate() {
            match job.at {
                Some(at) if self.options.packed => {
                    let ia = self.storage_class(job.body.len()).is_some();
                    groups
                        .entry((self.layout.pack_folder(at), ia))
                        .or_default()
                        .push(n);
                }
                _ => alone.push(vec![n]),
            }
        }
        groups.into_values().chain(alone).collect()
    }

    /// Writes one upload group: a pack, or one recording in the one-object layout.
    pub(crate) async fn write_group(&self, jobs: &[Job]) -> Result<Option<Stem>, S3Error> {
        if !packs(self, jobs) {
            for job in jobs {
                self.write_job(job).await?;
            }
            return Ok(None);
        }
        self.write_pack(jobs).await.map(Some)
    }

    /// Writes one pack of jobs whose ids share a UTC minute: the pack, its directory,
    /// then its index objects.
    async fn write_pack(&self, jobs: &[Job]) -> Result<Stem, S3Error> {
        let (Some(first), Some(at)) = (jobs.first(), jobs.first().and_then(|j| j.at)) else {
            return Err(S3Error::Config {
                reason: "an empty pack cannot be written (a bug in playback-s3)".to_owned(),
            });
        };
        let lowest = jobs.iter().map(|j| &j.id).min().unwrap_or(&first.id);
        let highest = jobs.iter().map(|j| &j.id).max().unwrap_or(&first.id);
        let stem = Stem {
            lowest: lowest.to_string(),
            highest: highest.to_string(),
            nonce: RecordingId::generate().to_string(),
        };
        let folder = self.layout.pack_folder(at);
        let pack_key = format!("{folder}{stem}{PACK_SUFFIX}");
        let relative = self.layout.relative(&pack_key).to_owned();

        let total: usize = jobs.iter().map(|j| j.body.len() + 1).sum();
        let mut body = Vec::with_capacity(total);
        let mut ranges = Vec::with_capacity(jobs.len());
        for job in jobs {
            ranges.push((body.len() as u64, job.body.len() as u64));
            body.extend_from_slice(&job.body);
            body.push(b'\n');
        }
        // `groups` put recordings above the threshold in packs of their own.
        let class = self.storage_class(first.body.len());
        let dir = DirObject {
            version: PACK_FORMAT,
            pack: relative.clone(),
            entries: jobs
                .iter()
                .zip(&ranges)
                .map(|(job, &(offset, len))| DirEntry {
                    id: job.id.to_string(),
                    offset,
                    len,
                })
                .collect(),
        };
        let dir = serde_json::to_vec(&dir).map_err(|err| S3Error::Config {
            reason: format!("a pack directory did not serialize (a bug in playback-s3): {err}"),
        })?;
        let mut by_folder: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (n, job) in jobs.iter().enumerate() {
            by_folder.entry(&job.index_folder).or_default().push(n);
        }

        let put = |key: &str, body: Vec<u8>, storage_class: Option<StorageClass>| {
            let key = key.to_owned();
            async move {
                let request = PutRequest {
                    key: &key,
                    body,
                    zstd: false,
                    storage_class,
                    if_absent: false,
                };
                self.bucket.put("put", request).await.map(drop)
            }
        };
        put(&pack_key, body, class).await?;
        put(&format!("{folder}{stem}{DIR_SUFFIX}"), dir, None).await?;
        for (index_folder, members) in by_folder {
            let index = index_json(
                &relative,
                members.iter().map(|&n| {
                    let (offset, len) = ranges[n];
                    (offset, len, jobs[n].index.as_slice())
                }),
            );
            put(&format!("{index_folder}{stem}{INDEX_SUFFIX}"), index, None).await?;
        }
        Ok(stem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_json_is_the_index_object_and_keeps_summaries_as_written() {
        let json = index_json(
            "packs/a.pack",
            [(0, 5, &b"{\"a\":1}"[..]), (6, 2, &b"{}"[..])].into_iter(),
        );
        let parsed: IndexObject = serde_json::from_slice(&json).unwrap();
        assert_eq!(parsed.version, PACK_FORMAT);
        assert_eq!(parsed.pack, "packs/a.pack");
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!((parsed.entries[1].offset, parsed.entries[1].len), (6, 2));
        assert_eq!(parsed.entries[0].summary.get(), "{\"a\":1}");
        let empty: IndexObject =
            serde_json::from_slice(&index_json("p", std::iter::empty())).unwrap();
        assert!(empty.entries.is_empty());
    }
}
