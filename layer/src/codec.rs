//! User-supplied conversions for values that are not serde types (playback-studio's
//! data handlers).

/// Converts a value to what is stored, and back on replay.
///
/// Use it with `#[playback::instrument(playback = "input", with = MyCodec)]` for a return
/// type that is not `Serialize + DeserializeOwned` (for example `Result<T, io::Error>`),
/// or `with(arg = MyCodec)` for one argument.
///
/// ```
/// use playback_layer::Codec;
///
/// struct IoResult;
/// impl Codec<Result<String, std::io::Error>> for IoResult {
///     type Stored = Result<String, String>;
///     fn record(value: &Result<String, std::io::Error>) -> Self::Stored {
///         value.as_ref().map(Clone::clone).map_err(|e| e.to_string())
///     }
///     fn replay(stored: Self::Stored) -> Result<String, std::io::Error> {
///         stored.map_err(std::io::Error::other)
///     }
/// }
/// let stored = IoResult::record(&Err(std::io::Error::other("disk full")));
/// assert_eq!(stored, Err("disk full".to_owned()));
/// assert!(IoResult::replay(stored).is_err());
/// ```
pub trait Codec<T> {
    /// The stored form.
    type Stored: serde::Serialize + serde::de::DeserializeOwned;
    /// Converts a live value for recording.
    fn record(value: &T) -> Self::Stored;
    /// Converts a recorded value back on replay.
    fn replay(stored: Self::Stored) -> T;
}
