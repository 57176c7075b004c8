//! [`Update`]: what the harness does with a recording whose replay differs.

use crate::error::Error;

/// The environment variable that sets the [`Update`] mode: `no` (or unset), `new` or
/// `always`.
///
/// ```
/// assert_eq!(playback_harness::UPDATE_ENV, "PLAYBACK_UPDATE");
/// ```
pub const UPDATE_ENV: &str = "PLAYBACK_UPDATE";

/// What the harness does with a recording whose replay differs (`Different`), as
/// insta does with a changed snapshot. Only recordings from a directory
/// ([`crate::Harness::dir`]) are updated; a failed replay (`Failed`, `Error`) never is.
///
/// ```
/// use playback_harness::Update;
/// assert_eq!(Update::parse("new")?, Update::New);
/// assert_eq!(Update::parse("")?, Update::No);
/// assert!(Update::parse("sometimes").is_err());
/// # Ok::<(), playback_harness::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Update {
    /// Write nothing; the test fails with the differences (`PLAYBACK_UPDATE=no`, or
    /// unset).
    #[default]
    No,
    /// Write the change as a pending file next to the recording, to review with
    /// `playback review`; the test still fails (`PLAYBACK_UPDATE=new`). A recording
    /// that passes again loses its stale pending file.
    New,
    /// Accept the change at once: the recording is updated and the test passes
    /// (`PLAYBACK_UPDATE=always`).
    Always,
}

impl Update {
    /// Reads [`UPDATE_ENV`]: unset is [`Update::No`].
    ///
    /// ```
    /// // in a test binary run as `PLAYBACK_UPDATE=new cargo test`, this is Update::New
    /// let mode = playback_harness::Update::from_env()?;
    /// # let _ = mode;
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn from_env() -> Result<Update, Error> {
        match std::env::var(UPDATE_ENV) {
            Ok(value) => Update::parse(&value),
            Err(std::env::VarError::NotPresent) => Ok(Update::No),
            Err(std::env::VarError::NotUnicode(value)) => Err(Error::UpdateMode {
                value: value.to_string_lossy().into_owned(),
            }),
        }
    }

    /// Parses a mode: `no` (or empty, `0`, `false`), `new`, `always`.
    ///
    /// ```
    /// assert_eq!(playback_harness::Update::parse("always")?, playback_harness::Update::Always);
    /// # Ok::<(), playback_harness::Error>(())
    /// ```
    pub fn parse(value: &str) -> Result<Update, Error> {
        match value.trim() {
            "" | "no" | "0" | "false" => Ok(Update::No),
            "new" => Ok(Update::New),
            "always" => Ok(Update::Always),
            other => Err(Error::UpdateMode {
                value: other.to_owned(),
            }),
        }
    }
}
