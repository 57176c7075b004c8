//! Store selection: `--dir PATH`, `--s3 s3://bucket/prefix`, or `PLAYBACK_STORE`.

use std::path::{Path, PathBuf};

use playback_store::{DirStore, Recording, Store, Summary};

use crate::args::Global;
use crate::error::CliError;

/// What a command does with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reads only: S3 stores open read-only.
    Read,
    /// Deletes or updates recordings (`prune`).
    Write,
}

/// Where the recordings are, before it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A directory store's root.
    Dir(PathBuf),
    /// An S3 bucket and key prefix.
    S3 { bucket: String, prefix: String },
}

/// An open store.
#[derive(Debug)]
pub(crate) enum Opened {
    /// A directory store.
    Dir(DirStore),
    /// An S3 store.
    #[cfg(feature = "s3")]
    S3(playback_s3::S3Store),
}

impl Opened {
    /// The store behind it.
    pub(crate) fn store(&self) -> &dyn Store {
        match self {
            Opened::Dir(store) => store,
            #[cfg(feature = "s3")]
            Opened::S3(store) => store,
        }
    }

    /// The size on disk of the listed recordings, where the store can tell cheaply
    /// (a directory store); `None` for S3, whose index does not carry sizes.
    pub(crate) fn size_of(&self, summaries: &[Summary]) -> Option<u64> {
        match self {
            Opened::Dir(store) => Some(
                summaries
                    .iter()
                    .filter_map(|s| {
                        let stub = Recording::builder(s.category.clone())
                            .recorded_at(s.recorded_at)
                            .id(s.id.clone())
                            .build();
                        let path = store.path_for(&stub).ok()?;
                        std::fs::metadata(path).ok().map(|m| m.len())
                    })
                    .sum(),
            ),
            #[cfg(feature = "s3")]
            Opened::S3(_) => None,
        }
    }
}

impl Location {
    /// The location the flags or `PLAYBACK_STORE` name: `--dir`, then `--s3`, then
    /// `--store` / `PLAYBACK_STORE` (a path, or an `s3://` URL).
    pub(crate) fn from_flags(global: &Global) -> Result<Location, CliError> {
        if let Some(dir) = &global.dir {
            return Ok(Location::Dir(dir.clone()));
        }
        if let Some(url) = &global.s3 {
            return parse_s3_url(url);
        }
        match global.store.as_deref() {
            Some(text) if text.starts_with("s3://") => parse_s3_url(text),
            Some(text) if !text.is_empty() => Ok(Location::Dir(PathBuf::from(text))),
            _ => Err(CliError::NoStore),
        }
    }

    /// Opens it; a directory must exist already.
    pub(crate) fn open(&self, access: Access) -> Result<Opened, CliError> {
        match self {
            Location::Dir(path) => open_dir(path).map(Opened::Dir),
            Location::S3 { bucket, prefix } => open_s3(bucket, prefix, access),
        }
    }
}

/// Opens the store the flags name.
pub(crate) fn open(global: &Global, access: Access) -> Result<Opened, CliError> {
    Location::from_flags(global)?.open(access)
}

/// Opens an existing directory store (never creates one by accident).
pub(crate) fn open_dir(path: &Path) -> Result<DirStore, CliError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(DirStore::new(path)?),
        Ok(_) => Err(CliError::NotADir {
            path: path.to_owned(),
        }),
        Err(_) => Err(CliError::NoDir {
            path: path.to_owned(),
        }),
    }
}

pub(crate) fn parse_s3_url(url: &str) -> Result<Location, CliError> {
    let invalid = |reason| CliError::S3Url {
        url: url.to_owned(),
        reason,
    };
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| invalid("it does not start with `s3://`"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(invalid("the bucket name is empty"));
    }
    Ok(Location::S3 {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
    })
}

#[cfg(not(feature = "s3"))]
fn open_s3(bucket: &str, prefix: &str, _access: Access) -> Result<Opened, CliError> {
    Err(CliError::NoS3 {
        url: format!("s3://{bucket}/{prefix}"),
    })
}

/// Opens an S3 store: credentials and region from the standard AWS chain, the
/// endpoint from `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (path-style URLs with a
/// custom endpoint unless `PLAYBACK_S3_PATH_STYLE=false`), read-only unless the
/// command deletes, and never a spool (the CLI does not upload).
#[cfg(feature = "s3")]
fn open_s3(bucket: &str, prefix: &str, access: Access) -> Result<Opened, CliError> {
    Ok(Opened::S3(s3_store(bucket, prefix, access)?))
}

/// The S3 store `open_s3` opens, for commands that read other objects than recordings.
#[cfg(feature = "s3")]
pub(crate) fn s3_store(
    bucket: &str,
    prefix: &str,
    access: Access,
) -> Result<playback_s3::S3Store, CliError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut builder = playback_s3::S3Store::builder()
        .bucket(bucket)
        .prefix(prefix)
        .read_only(access == Access::Read)
        .spool_max_bytes(0);
    if let Some(url) = env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL")) {
        let path_style = env("PLAYBACK_S3_PATH_STYLE")
            .is_none_or(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no"));
        builder = builder.endpoint_url(url).force_path_style(path_style);
    } else if let Some(v) = env("PLAYBACK_S3_PATH_STYLE") {
        builder = builder.force_path_style(matches!(v.as_str(), "1" | "true" | "yes"));
    }
    Ok(builder.build_blocking()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_name_a_bucket_and_an_optional_prefix() {
        assert_eq!(
            parse_s3_url("s3://b/svc/checkout").unwrap(),
            Location::S3 {
                bucket: "b".into(),
                prefix: "svc/checkout".into()
            }
        );
        assert_eq!(
            parse_s3_url("s3://b").unwrap(),
            Location::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }
        );
        assert!(matches!(
            parse_s3_url("s3:///x"),
            Err(CliError::S3Url { .. })
        ));
    }
}
