//! The local spool: recordings that could not be uploaded wait here, on disk, until S3
//! is reachable again. A process that restarts picks them up.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use playback_store::RecordingId;

use crate::fsutil::{TMP_MARKER, write_atomic};

/// Why a recording could not be spooled.
#[derive(Debug)]
pub(crate) enum SpoolError {
    /// Writing it would take the spool over its size cap.
    OverCap { size: u64, used: u64, cap: u64 },
    /// The file system refused.
    Io(io::Error),
}

impl std::fmt::Display for SpoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpoolError::OverCap { size, used, cap } => write!(
                f,
                "the spool is full ({used} of {cap} bytes used, this recording needs {size})"
            ),
            SpoolError::Io(err) => write!(f, "{err}"),
        }
    }
}

#[derive(Debug, Default)]
struct Usage {
    bytes: u64,
    files: u64,
}

/// A directory of `<id>.json` files (the stored body bytes) with a size cap.
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    cap: u64,
    /// Whether each file and the directory are synced before a write returns.
    durable: bool,
    usage: Mutex<Usage>,
}

impl Spool {
    /// Opens (creating) the spool directory, removes half-written files and counts the
    /// spooled recordings. With `durable`, a write returns once the file and the
    /// directory entry are on disk.
    pub(crate) fn open(dir: PathBuf, cap: u64, durable: bool) -> io::Result<Spool> {
        fs::create_dir_all(&dir)?;
        let mut usage = Usage::default();
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.contains(TMP_MARKER) {
                let _ = fs::remove_file(entry.path());
                continue;
            }
            if spooled_id(name).is_some() && entry.file_type()?.is_file() {
                usage.bytes += entry.metadata()?.len();
                usage.files += 1;
            }
        }
        Ok(Spool {
            dir,
            cap,
            durable,
            usage: Mutex::new(usage),
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many recordings wait in the spool.
    pub(crate) fn files(&self) -> u64 {
        self.usage.lock().files
    }

    /// Spools one recording's stored bytes, unless that would pass the cap.
    pub(crate) fn write(&self, id: &RecordingId, bytes: &[u8]) -> Result<(), SpoolError> {
        let name = file_name(id);
        let size = bytes.len() as u64;
        let mut usage = self.usage.lock();
        let replaced = fs::metadata(self.dir.join(&name)).map(|m| m.len()).ok();
        let used = usage.bytes - replaced.unwrap_or(0);
        if used + size > self.cap {
            return Err(SpoolError::OverCap {
                size,
                used: usage.bytes,
                cap: self.cap,
            });
        }
        write_atomic(&self.dir, &name, bytes, self.durable).map_err(SpoolError::Io)?;
        usage.bytes = used + size;
        if replaced.is_none() {
            usage.files += 1;
        }
        Ok(())
    }

    /// The spooled files, oldest first (ULID ids sort by time).
    pub(crate) fn list(&self) -> io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.dir)?
            .filter_map(Result::ok)
            .filter(|entry| {
                entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| spooled_id(n).is_some())
                    && entry.file_type().is_ok_and(|t| t.is_file())
            })
            .map(|entry| entry.path())
            .collect();
        files.sort();
        Ok(files)
    }

    /// Reads one spooled file; `None` when it is gone (another drain took it).
    pub(crate) fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        match fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Removes a spooled file once its recording is safe (uploaded, or set aside).
    pub(crate) fn remove(&self, path: &Path) {
        let mut usage = self.usage.lock();
        let size = match fs::metadata(path) {
            Ok(meta) => meta.len(),
            Err(_) => return,
        };
        if fs::remove_file(path).is_ok() {
            usage.bytes = usage.bytes.saturating_sub(size);
            usage.files = usage.files.saturating_sub(1);
        }
    }

    /// Moves a spooled file that cannot be read as a recording out of the way
    /// (`<id>.json.bad`), so it is kept for inspection but never retried.
    pub(crate) fn quarantine(&self, path: &Path) {
        let mut bad = path.as_os_str().to_owned();
        bad.push(".bad");
        let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let mut usage = self.usage.lock();
        if fs::rename(path, &bad).is_ok() || fs::remove_file(path).is_ok() {
            usage.bytes = usage.bytes.saturating_sub(size);
            usage.files = usage.files.saturating_sub(1);
        }
    }
}

fn file_name(id: &RecordingId) -> String {
    format!("{id}.json")
}

/// The id of a spool file name (`<id>.json`).
pub(crate) fn spooled_id(name: &str) -> Option<RecordingId> {
    RecordingId::parse(name.strip_suffix(".json")?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_counts_files_and_bytes_and_refuses_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path().join("spool"), 10, true).unwrap();
        let a = RecordingId::parse("a").unwrap();
        let b = RecordingId::parse("b").unwrap();
        spool.write(&a, b"123456").unwrap();
        assert_eq!(spool.files(), 1);
        assert!(matches!(
            spool.write(&b, b"123456"),
            Err(SpoolError::OverCap {
                size: 6,
                used: 6,
                cap: 10
            })
        ));
        spool.write(&a, b"1234567890").unwrap();
        assert_eq!(spool.files(), 1, "rewriting an id replaces its file");
        let files = spool.list().unwrap();
        assert_eq!(files.len(), 1);
        spool.remove(&files[0]);
        assert_eq!(spool.files(), 0);
        spool.write(&b, b"123456").unwrap();
    }

    #[test]
    fn reopening_picks_up_files_and_removes_half_written_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spool");
        {
            let spool = Spool::open(path.clone(), 1000, true).unwrap();
            spool
                .write(&RecordingId::parse("b").unwrap(), b"x")
                .unwrap();
            spool
                .write(&RecordingId::parse("a").unwrap(), b"yy")
                .unwrap();
        }
        fs::write(path.join(".c.json.tmp-1-2"), b"half").unwrap();
        fs::write(path.join("notes.txt"), b"ignored").unwrap();
        let spool = Spool::open(path.clone(), 1000, true).unwrap();
        assert_eq!(spool.files(), 2);
        let names: Vec<_> = spool
            .list()
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.json", "b.json"]);
        assert!(!path.join(".c.json.tmp-1-2").exists());
        spool.quarantine(&path.join("a.json"));
        assert_eq!(spool.files(), 1);
        assert!(path.join("a.json.bad").exists());
    }
}
