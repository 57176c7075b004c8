//! Errors stored as their `Display` text: `io::Error`, boxed errors, `anyhow::Error`.

use std::error::Error;
use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};

use super::{ResultOf, Serde};
use crate::codec::Codec;

/// What the error codecs store: the error's `Display` text, the `Display` texts of its
/// `source()` chain, and for an `io::Error` its [`ErrorKind`](io::ErrorKind) (as its
/// `Debug` name, `"NotFound"`).
///
/// ```
/// use playback_layer::codecs::StoredError;
/// let stored = StoredError::of(&std::io::Error::other("disk full"));
/// assert_eq!(stored.message, "disk full");
/// assert!(stored.sources.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredError {
    /// The `io::ErrorKind`, for `io::Error`s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `error.to_string()`.
    pub message: String,
    /// `to_string()` of each error in the `source()` chain, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

impl StoredError {
    /// The message and source chain of any error (no kind).
    ///
    /// ```
    /// let e: Box<dyn std::error::Error> = "boom".into();
    /// assert_eq!(playback_layer::codecs::StoredError::of(e.as_ref()).message, "boom");
    /// ```
    pub fn of(error: &(dyn Error + '_)) -> StoredError {
        let mut sources = Vec::new();
        let mut next = error.source();
        while let Some(source) = next {
            sources.push(source.to_string());
            next = source.source();
        }
        StoredError {
            kind: None,
            message: error.to_string(),
            sources,
        }
    }

    /// The error a replay hands back: same `Display`, same source texts.
    fn rebuild(self) -> Replayed {
        let source = self
            .sources
            .into_iter()
            .rev()
            .fold(None, |source, message| {
                Some(Box::new(Replayed { message, source }))
            });
        Replayed {
            message: self.message,
            source,
        }
    }
}

/// A replayed error: the recorded text, and the recorded source chain.
#[derive(Debug)]
struct Replayed {
    message: String,
    source: Option<Box<Replayed>>,
}

impl fmt::Display for Replayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Replayed {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn Error + 'static))
    }
}

/// The `ErrorKind`s a replay can rebuild by name; any other comes back as `Other`.
const KINDS: &[io::ErrorKind] = {
    use io::ErrorKind::*;
    &[
        NotFound,
        PermissionDenied,
        ConnectionRefused,
        ConnectionReset,
        HostUnreachable,
        NetworkUnreachable,
        ConnectionAborted,
        NotConnected,
        AddrInUse,
        AddrNotAvailable,
        NetworkDown,
        BrokenPipe,
        AlreadyExists,
        WouldBlock,
        NotADirectory,
        IsADirectory,
        DirectoryNotEmpty,
        ReadOnlyFilesystem,
        StaleNetworkFileHandle,
        InvalidInput,
        InvalidData,
        TimedOut,
        WriteZero,
        StorageFull,
        NotSeekable,
        QuotaExceeded,
        FileTooLarge,
        ResourceBusy,
        ExecutableFileBusy,
        Deadlock,
        CrossesDevices,
        TooManyLinks,
        InvalidFilename,
        ArgumentListTooLong,
        Interrupted,
        Unsupported,
        UnexpectedEof,
        OutOfMemory,
        Other,
    ]
};

fn kind_named(name: &str) -> io::ErrorKind {
    KINDS
        .iter()
        .copied()
        .find(|kind| format!("{kind:?}") == name)
        .unwrap_or(io::ErrorKind::Other)
}

/// A codec for `std::io::Error`: stored as its kind and `Display` text, replayed as an
/// `io::Error` of the same [`ErrorKind`](io::ErrorKind) whose `Display` is the same text.
///
/// An OS error replays as a custom error: `raw_os_error()` is `None`, and a kind that
/// std has not stabilized (`Uncategorized`, say) comes back as `Other`.
///
/// ```
/// use std::io::{Error, ErrorKind};
/// use playback_layer::Codec;
/// use playback_layer::codecs::IoError;
///
/// let stored = IoError::record(&Error::new(ErrorKind::NotFound, "no such cart"));
/// assert_eq!(serde_json::to_value(&stored)?, serde_json::json!({"kind": "NotFound", "message": "no such cart"}));
/// let replayed: Error = IoError::replay(stored);
/// assert_eq!(replayed.kind(), ErrorKind::NotFound);
/// assert_eq!(replayed.to_string(), "no such cart");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct IoError;

impl Codec<io::Error> for IoError {
    type Stored = StoredError;

    fn record(value: &io::Error) -> StoredError {
        StoredError {
            kind: Some(format!("{:?}", value.kind())),
            ..StoredError::of(value)
        }
    }

    fn replay(stored: StoredError) -> io::Error {
        let kind = stored
            .kind
            .as_deref()
            .map_or(io::ErrorKind::Other, kind_named);
        io::Error::new(kind, stored.rebuild())
    }
}

/// A codec for `std::io::Result<T>`, with `C` for the `Ok` value ([`Serde`] by default):
/// `with = playback::codec::IoResult`, or `IoResult::<playback::codec::Bytes>` for
/// `io::Result<Vec<u8>>`.
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::IoResult;
///
/// let missing: std::io::Result<u64> = Err(std::io::ErrorKind::NotFound.into());
/// let stored = <IoResult as Codec<_>>::record(&missing);
/// assert_eq!(serde_json::to_value(&stored)?["Err"]["kind"], "NotFound");
/// let replayed: std::io::Result<u64> = <IoResult as Codec<_>>::replay(stored);
/// assert_eq!(replayed.unwrap_err().kind(), std::io::ErrorKind::NotFound);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub type IoResult<C = Serde> = ResultOf<C, IoError>;

/// A codec for boxed errors (`Box<dyn Error + Send + Sync>` and `Box<dyn Error>`): stored
/// as `Display` text and source chain, replayed as a boxed error with the same texts.
///
/// The replayed error is not the original type: `downcast_ref::<MyError>()` is `None`.
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::DynError;
///
/// type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// let stored = DynError::record(&BoxError::from("timed out"));
/// assert_eq!(serde_json::to_string(&stored)?, r#"{"message":"timed out"}"#);
/// let replayed: BoxError = DynError::replay(stored);
/// assert_eq!(replayed.to_string(), "timed out");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DynError;

impl Codec<Box<dyn Error + Send + Sync>> for DynError {
    type Stored = StoredError;

    fn record(value: &Box<dyn Error + Send + Sync>) -> StoredError {
        StoredError::of(value.as_ref())
    }

    fn replay(stored: StoredError) -> Box<dyn Error + Send + Sync> {
        Box::new(stored.rebuild())
    }
}

impl Codec<Box<dyn Error>> for DynError {
    type Stored = StoredError;

    fn record(value: &Box<dyn Error>) -> StoredError {
        StoredError::of(value.as_ref())
    }

    fn replay(stored: StoredError) -> Box<dyn Error> {
        Box::new(stored.rebuild())
    }
}

/// A codec for `Result<T, Box<dyn Error + Send + Sync>>` (or `Box<dyn Error>`), with `C`
/// for the `Ok` value ([`Serde`] by default).
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::DynResult;
///
/// let ok: Result<String, Box<dyn std::error::Error + Send + Sync>> = Ok("pong".into());
/// let stored = <DynResult as Codec<_>>::record(&ok);
/// assert_eq!(serde_json::to_string(&stored)?, r#"{"Ok":"pong"}"#);
/// let replayed: Result<String, Box<dyn std::error::Error + Send + Sync>> =
///     <DynResult as Codec<_>>::replay(stored);
/// assert_eq!(replayed.unwrap(), "pong");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub type DynResult<C = Serde> = ResultOf<C, DynError>;

/// A codec for `anyhow::Error` (feature `anyhow`): stored as its `Display` text and the
/// texts of its context chain, replayed as an `anyhow::Error` whose `{}`, `{:#}` and
/// `chain()` read the same.
///
/// The replayed error is not the original type: `downcast_ref` finds nothing, and the
/// backtrace is gone.
///
/// ```
/// use anyhow::Context as _;
/// use playback_layer::Codec;
/// use playback_layer::codecs::AnyhowError;
///
/// let err = Err::<(), _>(std::io::Error::other("refused")).context("loading cart 7").unwrap_err();
/// let stored = AnyhowError::record(&err);
/// assert_eq!(serde_json::to_string(&stored)?, r#"{"message":"loading cart 7","sources":["refused"]}"#);
/// let replayed: anyhow::Error = AnyhowError::replay(stored);
/// assert_eq!(format!("{replayed:#}"), "loading cart 7: refused");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[cfg(feature = "anyhow")]
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyhowError;

#[cfg(feature = "anyhow")]
impl Codec<anyhow::Error> for AnyhowError {
    type Stored = StoredError;

    fn record(value: &anyhow::Error) -> StoredError {
        StoredError {
            kind: None,
            message: value.to_string(),
            sources: value.chain().skip(1).map(ToString::to_string).collect(),
        }
    }

    fn replay(stored: StoredError) -> anyhow::Error {
        anyhow::Error::new(stored.rebuild())
    }
}

/// A codec for `anyhow::Result<T>` (feature `anyhow`), with `C` for the `Ok` value
/// ([`Serde`] by default).
///
/// ```
/// use playback_layer::Codec;
/// use playback_layer::codecs::AnyhowResult;
///
/// let failed: anyhow::Result<u32> = Err(anyhow::anyhow!("no stock"));
/// let stored = <AnyhowResult as Codec<_>>::record(&failed);
/// let replayed: anyhow::Result<u32> = <AnyhowResult as Codec<_>>::replay(stored);
/// assert_eq!(replayed.unwrap_err().to_string(), "no stock");
/// ```
#[cfg(feature = "anyhow")]
pub type AnyhowResult<C = Serde> = ResultOf<C, AnyhowError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("saving order")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn every_listed_kind_comes_back_by_name() {
        for kind in KINDS {
            let stored = IoError::record(&io::Error::new(*kind, "x"));
            assert_eq!(IoError::replay(stored).kind(), *kind);
        }
    }

    #[test]
    fn an_os_error_keeps_its_kind_and_text() {
        let os = io::Error::from_raw_os_error(2);
        let text = os.to_string();
        let replayed = IoError::replay(IoError::record(&os));
        assert_eq!(replayed.kind(), io::ErrorKind::NotFound);
        assert_eq!(replayed.to_string(), text);
        assert_eq!(replayed.raw_os_error(), None);
    }

    #[test]
    fn an_unknown_kind_name_is_other() {
        let stored = StoredError {
            kind: Some("SomethingNew".into()),
            message: "m".into(),
            sources: vec![],
        };
        assert_eq!(IoError::replay(stored).kind(), io::ErrorKind::Other);
    }

    #[test]
    fn source_chains_are_kept_as_text() {
        let err: Box<dyn Error + Send + Sync> = Box::new(Outer(io::Error::other("disk full")));
        let stored = DynError::record(&err);
        assert_eq!(stored.sources, ["disk full"]);
        let replayed: Box<dyn Error + Send + Sync> = DynError::replay(stored);
        assert_eq!(replayed.to_string(), "saving order");
        assert_eq!(replayed.source().unwrap().to_string(), "disk full");
        assert!(replayed.source().unwrap().source().is_none());
        // not the original type
        assert!(replayed.downcast_ref::<Outer>().is_none());

        let io = io::Error::new(io::ErrorKind::StorageFull, Outer(io::Error::other("disk")));
        let replayed = IoError::replay(IoError::record(&io));
        assert_eq!(replayed.to_string(), "saving order");
        assert_eq!(replayed.source().unwrap().to_string(), "disk");
    }

    #[test]
    fn a_stored_error_without_optional_fields_reads_back() {
        let stored: StoredError = serde_json::from_str(r#"{"message":"m"}"#).unwrap();
        assert_eq!(stored.kind, None);
        let unsendable: Box<dyn Error> = DynError::replay(stored);
        assert_eq!(unsendable.to_string(), "m");
    }

    #[cfg(feature = "anyhow")]
    #[test]
    fn anyhow_chains_read_the_same() {
        use anyhow::Context as _;
        let err = Err::<(), _>(Outer(io::Error::other("disk")))
            .context("checkout")
            .unwrap_err();
        let replayed = AnyhowError::replay(AnyhowError::record(&err));
        assert_eq!(format!("{replayed:#}"), format!("{err:#}"));
        assert_eq!(replayed.to_string(), "checkout");
        let chain: Vec<String> = replayed.chain().map(ToString::to_string).collect();
        assert_eq!(chain, ["checkout", "saving order", "disk"]);
    }
}
