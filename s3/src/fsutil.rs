//! Small file helpers shared by the spool and the cache.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Marks a file that is still being written; such files are never read, and are
/// removed when the store opens.
pub(crate) const TMP_MARKER: &str = ".tmp-";

/// Writes `bytes` to `dir/name` atomically: a temporary file in the same directory,
/// then a rename, so readers see the old file or the whole new one. With `sync`, the
/// file is durable when this returns: its data reaches the disk before the rename, and
/// the directory (which holds the rename) is synced after it (the spool needs that, the
/// cache does not).
pub(crate) fn write_atomic(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    sync: bool,
) -> io::Result<PathBuf> {
    let tmp = dir.join(format!(
        ".{name}{TMP_MARKER}{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        if sync {
            file.sync_all()?;
        }
        drop(file);
        let target = dir.join(name);
        fs::rename(&tmp, &target)?;
        if sync {
            sync_dir(dir)?;
        }
        Ok(target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Syncs a directory, so that the entries renamed into it survive a crash. Where a
/// directory cannot be opened as a file (not on Unix), there is nothing to sync.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// A 64-bit FNV-1a hash: stable across Rust versions and platforms, so folder names
/// derived from it stay the same from one run to the next.
pub(crate) fn stable_hash(parts: &[&str]) -> u64 {
    parts
        .iter()
        .fold(playback_store::FNV1A_OFFSET, |hash, part| {
            playback_store::fnv1a_extend(playback_store::fnv1a_extend(hash, part.as_bytes()), &[0])
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "a.json", b"one", true).unwrap();
        write_atomic(dir.path(), "a.json", b"two", false).unwrap();
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["a.json"]);
    }

    #[test]
    fn write_atomic_into_a_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert!(write_atomic(&missing, "a.json", b"x", false).is_err());
        assert!(!missing.exists());
    }

    #[test]
    fn stable_hash_is_fixed_and_separates_parts() {
        assert_eq!(stable_hash(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(stable_hash(&["b", "p/"]), stable_hash(&["b", "p/"]));
    }
}
