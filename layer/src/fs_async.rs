//! The async forms of the file interceptions, over `tokio::fs` (feature `tokio`):
//! `playback::fs::tokio::read(path).await`.
//!
//! They record under the same aliases and in the same form as the sync functions in
//! [`playback::fs`](super), so a recording made with either form replays with the other.
//! The interception starts when the future is first polled.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("config.toml");
//! playback_layer::fs::tokio::write(&path, "port = 6379").await?;
//! assert_eq!(playback_layer::fs::tokio::read_to_string(&path).await?, "port = 6379");
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap();
//! ```

use std::future::Future;
use std::io;
use std::panic::Location;
use std::path::Path;

use serde::Serialize;

use super::{METADATA, Metadata, PathKey, READ, READ_TO_STRING, WRITE, WriteArgs};
use crate::call::{Call, Replayed, poll_call};
use crate::codec::Codec;
use crate::codecs::{Bytes, IoResult, Serde};
use crate::functions::dynamic_site;
use crate::site::{Kind, Site};

/// Runs a file future as an interception whose result goes through codec `C`.
async fn intercept<C, T, K, F>(site: Site, key: &K, fut: F) -> io::Result<T>
where
    C: Codec<io::Result<T>>,
    K: Serialize,
    F: Future<Output = io::Result<T>>,
{
    let mut call = Call::begin(&site);
    if let Some(c) = &mut call {
        c.whole(key);
        if let Replayed::Value(v) = c.replay::<C::Stored>() {
            return C::replay(v);
        }
    }
    let mut fut = std::pin::pin!(fut);
    let ret = std::future::poll_fn(|cx| poll_call(&mut call, fut.as_mut(), cx)).await;
    if let Some(c) = call {
        c.finish_with(|| C::record(&ret), ret.is_err());
    }
    ret
}

/// `tokio::fs::read` as an input keyed by `path` (see [`super::read`]).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let file = tempfile::NamedTempFile::new()?;
/// std::fs::write(file.path(), [1, 2])?;
/// assert_eq!(playback_layer::fs::tokio::read(file.path()).await?, [1, 2]);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn read(path: impl AsRef<Path>) -> impl Future<Output = io::Result<Vec<u8>>> + Send {
    let site = dynamic_site(Kind::Input, READ, Location::caller());
    let path = path.as_ref().to_owned();
    async move {
        let key = PathKey::new(&path);
        intercept::<IoResult<Bytes>, _, _, _>(site, &key, ::tokio::fs::read(&path)).await
    }
}

/// `tokio::fs::read_to_string` as an input keyed by `path` (see
/// [`super::read_to_string`]).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let missing = playback_layer::fs::tokio::read_to_string("/no/such/file").await.unwrap_err();
/// assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
/// # });
/// ```
#[track_caller]
pub fn read_to_string(path: impl AsRef<Path>) -> impl Future<Output = io::Result<String>> + Send {
    let site = dynamic_site(Kind::Input, READ_TO_STRING, Location::caller());
    let path = path.as_ref().to_owned();
    async move {
        let key = PathKey::new(&path);
        intercept::<IoResult<Serde>, _, _, _>(site, &key, ::tokio::fs::read_to_string(&path)).await
    }
}

/// `tokio::fs::metadata` as an input keyed by `path`, returning the recordable
/// [`Metadata`] subset (see [`super::metadata`]).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let meta = playback_layer::fs::tokio::metadata(std::env::temp_dir()).await?;
/// assert!(meta.is_dir());
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn metadata(path: impl AsRef<Path>) -> impl Future<Output = io::Result<Metadata>> + Send {
    let site = dynamic_site(Kind::Input, METADATA, Location::caller());
    let path = path.as_ref().to_owned();
    async move {
        let key = PathKey::new(&path);
        let live = async { ::tokio::fs::metadata(&path).await.map(Metadata::from) };
        intercept::<IoResult<Serde>, _, _, _>(site, &key, live).await
    }
}

/// `tokio::fs::write` as an output: the path and contents are recorded (and compared on
/// replay), and a replay returns the recorded result without writing (see
/// [`super::write`]).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = tempfile::tempdir()?;
/// playback_layer::fs::tokio::write(dir.path().join("out.bin"), vec![0xff]).await?;
/// assert_eq!(std::fs::read(dir.path().join("out.bin"))?, [0xff]);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[track_caller]
pub fn write<C>(path: impl AsRef<Path>, contents: C) -> impl Future<Output = io::Result<()>> + Send
where
    C: AsRef<[u8]> + Send,
{
    let site = dynamic_site(Kind::Output, WRITE, Location::caller());
    let path = path.as_ref().to_owned();
    async move {
        let bytes = contents.as_ref();
        let args = WriteArgs::new(&path, bytes);
        intercept::<IoResult<Serde>, _, _, _>(site, &args, ::tokio::fs::write(&path, bytes)).await
    }
}
