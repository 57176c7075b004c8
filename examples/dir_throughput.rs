//! Sustained write throughput into `DirStore` (issue 16): small operations (one input,
//! one output, ~100 B values) recorded through `#[playback::instrument]` at a paced
//! target rate for a number of seconds, into a `DirStore` in a fresh directory. It prints
//! the recordings made, stored and dropped, the stored rate, the process CPU and the
//! writer thread's CPU per recording, then counts the files on disk and reads every
//! recording back with a listing; it fails (exit code 1) unless every recording made is
//! on disk, readable, and nothing was dropped or failed.
//!
//! ```sh
//! cargo run --release --example dir_throughput -- --rate 20000 --secs 10 --in target
//! cargo run --release --example dir_throughput -- --per-file --rate 2000 --in target
//! ```
//!
//! Flags: `--rate N` operations per second in all (default 20000), `--secs N` (default
//! 10), `--threads N` calling threads (default 2), `--in DIR` where the store's temporary
//! directory is made (default: the system's temporary directory), `--per-file` (the store
//! without `put_batch`: one `put`, so one fsync of the file and one of its folder, per
//! recording, as the writer stored before group commit), `--keep` (leave the files: on
//! ext4 without a journal, creating files where many were deleted in the last minutes
//! costs far more, so deleting 200,000 files slows the next run near them).
//!
//! Before the run it times creating 200 small files (no sync) next to the store, as the
//! floor this filesystem and folder set: file creation on ext4 costs more where inodes
//! were deleted recently (`recently_deleted`), so the same run differs between folders.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use playback::{
    DirStore, PlaybackLayer, Query, Recording, RecordingId, Store, StoreError, Summary,
};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

/// About 100 bytes of JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Quote {
    order: u64,
    sku: String,
    cents: u64,
    currency: String,
}

#[playback::instrument(playback = "input")]
fn load_quote(order: u64) -> Quote {
    Quote {
        order,
        sku: format!("SKU-{:08}-blue-medium", order % 1000),
        cents: order * 7 % 10_000,
        currency: "EUR".to_owned(),
    }
}

#[playback::instrument(playback = "output", skip(quote))]
fn save_quote(quote: &Quote) -> u64 {
    quote.cents
}

#[playback::instrument(playback = "operation", name = "quote")]
fn handle(order: u64) -> u64 {
    let quote = load_quote(order);
    save_quote(&quote)
}

/// `DirStore` without its `put_batch`: the trait's default, one `put` per recording.
#[derive(Debug)]
struct PerFile(DirStore);

impl Store for PerFile {
    fn put(&self, rec: &Recording) -> Result<(), StoreError> {
        self.0.put(rec)
    }
    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        self.0.get(id)
    }
    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        self.0.delete(id)
    }
    fn list(&self, q: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        self.0.list(q)
    }
}

struct Args {
    rate: u64,
    secs: u64,
    threads: u64,
    dir: PathBuf,
    per_file: bool,
    keep: bool,
}

fn args() -> Args {
    let mut args = Args {
        rate: 20_000,
        secs: 10,
        threads: 2,
        dir: std::env::temp_dir(),
        per_file: false,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        match flag.as_str() {
            "--rate" => args.rate = value().max(1),
            "--secs" => args.secs = value().max(1),
            "--threads" => args.threads = value().max(1),
            "--per-file" => args.per_file = true,
            "--keep" => args.keep = true,
            "--in" => args.dir = it.next().map(PathBuf::from).unwrap_or(args.dir),
            other => eprintln!("ignoring unknown flag {other}"),
        }
    }
    args
}

/// User + system CPU time from a `/proc/.../stat` file (Linux; zero elsewhere).
fn cpu_of(stat: &str) -> Duration {
    let stat = std::fs::read_to_string(stat).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 (1-based), 12 and 13 after the ')'.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// The `/proc` stat file of the layer's writer thread.
fn writer_stat() -> Option<PathBuf> {
    std::fs::read_dir("/proc/self/task").ok()?.find_map(|task| {
        let task = task.ok()?.path();
        let comm = std::fs::read_to_string(task.join("comm")).ok()?;
        (comm.trim() == "playback-writer").then(|| task.join("stat"))
    })
}

/// The type of the filesystem holding `path`, from `/proc/mounts` (Linux).
fn fs_type(path: &Path) -> String {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((*f.get(1)?, *f.get(2)?, *f.first()?))
        })
        .filter(|(mount, ..)| path.starts_with(mount))
        .max_by_key(|(mount, ..)| mount.len())
        .map_or("unknown".into(), |(m, t, d)| format!("{t} ({d} on {m})"))
}

/// Microseconds to create, write (1 KB) and close one file in a new folder under `dir`.
fn create_floor(dir: &Path) -> f64 {
    let probe = dir.join("create-floor");
    std::fs::create_dir_all(&probe).expect("probe folder");
    let began = Instant::now();
    for i in 0..200 {
        std::fs::write(probe.join(format!("{i}.json")), [b'x'; 1024]).expect("probe file");
    }
    began.elapsed().as_secs_f64() * 1e6 / 200.0
}

/// Counts the `<id>.json` files (not the hidden temporary ones) under `root/category`.
fn files_on_disk(category: &Path) -> u64 {
    let days = std::fs::read_dir(category).into_iter().flatten().flatten();
    days.flat_map(|day| {
        std::fs::read_dir(day.path())
            .into_iter()
            .flatten()
            .flatten()
    })
    .filter(|f| {
        let name = f.file_name();
        let name = name.to_string_lossy();
        !name.starts_with('.') && name.ends_with(".json")
    })
    .count() as u64
}

fn main() -> ExitCode {
    let args = args();
    let dir = tempfile::Builder::new()
        .prefix("dir_throughput")
        .tempdir_in(&args.dir)
        .expect("temp dir");
    let floor = create_floor(dir.path());
    let root = dir.path().join("store");
    let dir_store = DirStore::new(&root).expect("store");
    let store: Arc<dyn Store> = if args.per_file {
        Arc::new(PerFile(dir_store.clone()))
    } else {
        Arc::new(dir_store.clone())
    };
    let (layer, guard) = PlaybackLayer::builder()
        .shared_store(store)
        .queue_capacity(1 << 16)
        .build()
        .expect("layer");
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));

    let per_thread = args.rate * args.secs / args.threads;
    let interval = Duration::from_secs_f64(args.threads as f64 / args.rate as f64);
    let cpu_before = cpu_of("/proc/self/stat");
    let began = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..args.threads {
            let dispatch = dispatch.clone();
            scope.spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    let start = Instant::now();
                    for i in 0..per_thread {
                        // Paced: operation i is due at start + i * interval.
                        let due = start + interval.mul_f64(i as f64);
                        let now = Instant::now();
                        if due > now {
                            std::thread::sleep(due - now);
                        }
                        std::hint::black_box(handle(t * per_thread + i));
                    }
                });
            });
        }
    });
    let made_in = began.elapsed();
    let flushed = guard.flush(Duration::from_secs(600));
    let stored_in = began.elapsed();
    let cpu = cpu_of("/proc/self/stat").saturating_sub(cpu_before);
    // The writer's whole life: it idles (a poll every 10 ms) before the run.
    let writer_cpu = writer_stat().map(|w| cpu_of(&w.to_string_lossy()));
    let made = per_thread * args.threads;
    let stats = guard.stats().snapshot();
    let on_disk = files_on_disk(&root.join("quote"));
    let listed = dir_store
        .list(&Query::category("quote"))
        .expect("list the store");
    let readable = listed.iter().filter(|e| e.is_ok()).count() as u64;

    println!(
        "store: {} in {} ({}); target {} ops/s for {} s on {} threads",
        if args.per_file {
            "per-file put"
        } else {
            "put_batch (group commit)"
        },
        root.display(),
        fs_type(&root),
        args.rate,
        args.secs,
        args.threads
    );
    println!(
        "floor: {floor:.0} us to create, write and close one 1 KB file in this folder (no sync)"
    );
    println!(
        "made {made} in {:.2} s ({:.0}/s); all stored after {:.2} s: {:.0} recordings/s",
        made_in.as_secs_f64(),
        made as f64 / made_in.as_secs_f64(),
        stored_in.as_secs_f64(),
        stats.recorded as f64 / stored_in.as_secs_f64()
    );
    let per_rec = |d: Duration| d.as_secs_f64() * 1e6 / made.max(1) as f64;
    println!(
        "CPU: process {:.2} s ({:.1} us per recording); writer thread {}",
        cpu.as_secs_f64(),
        per_rec(cpu),
        writer_cpu.map_or("unknown".into(), |w| format!(
            "{:.2} s ({:.1} us per recording)",
            w.as_secs_f64(),
            per_rec(w)
        ))
    );
    println!(
        "layer: recorded {}, dropped {}, over_queued_bytes {}, failed {}; files on disk {on_disk}, \
         readable {readable} of {made}",
        stats.recorded, stats.dropped, stats.over_queued_bytes, stats.failed
    );
    if args.keep {
        println!("kept: {}", dir.keep().display());
    }
    let clean = flushed
        && on_disk == made
        && readable == made
        && stats.recorded == made
        && stats.dropped == 0
        && stats.over_queued_bytes == 0
        && stats.failed == 0;
    if clean {
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: not every recording made was stored and readable without drops");
        ExitCode::FAILURE
    }
}
