//! Call sites: what `#[playback::instrument]` knows about an instrumented function at
//! compile time, emitted as one `static` per function.

/// What an instrumented function is.
///
/// ```
/// assert_ne!(playback_layer::Kind::Input, playback_layer::Kind::Output);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The function's span is a recording scope.
    Operation,
    /// Its return value is recorded, and replayed instead of running.
    Input,
    /// Its arguments are recorded for comparison; its return value is replayed.
    Output,
}

/// What replay does when an input's key is not in the recording.
///
/// ```
/// assert_eq!(playback_layer::OnMissing::default(), playback_layer::OnMissing::Fail);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnMissing {
    /// A typed mismatch error (the default).
    #[default]
    Fail,
    /// Run the real function.
    Live,
    /// Return `Default::default()`.
    Default,
}

/// One instrumented call site. `#[playback::instrument]` emits one as a `static`.
///
/// ```
/// let site = playback_layer::Site::EXAMPLE;
/// assert_eq!(site.kind, playback_layer::Kind::Input);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Site {
    /// Operation, input or output.
    pub kind: Kind,
    /// The stable name of the call site.
    pub alias: &'static str,
    /// Operations: the category when it is known at compile time (the `category`
    /// argument, else the span name); empty otherwise. Used when the operation's span is
    /// hidden by a filter and the operation is recorded without it.
    pub category: &'static str,
    /// Older aliases tried on replay when `alias` has no recording.
    pub fallback_aliases: &'static [&'static str],
    /// Inputs: what replay does on a missing key.
    pub on_missing: OnMissing,
    /// Outputs: whether a missing recorded return value is an error.
    pub fail_on_missing: bool,
    /// The signature text (recorded arguments and return type), stored with every
    /// interception so replay can tell a stale recording from a changed value.
    pub signature: &'static str,
    /// Source file.
    pub file: &'static str,
    /// Source line.
    pub line: u32,
}

impl Site {
    /// A site for examples and tests.
    pub const EXAMPLE: Site = Site {
        kind: Kind::Input,
        alias: "example::load",
        category: "",
        fallback_aliases: &[],
        on_missing: OnMissing::Fail,
        fail_on_missing: true,
        signature: "fn load(id: u64) -> u64",
        file: "example.rs",
        line: 1,
    };

    /// `file:line`.
    ///
    /// ```
    /// assert_eq!(playback_layer::Site::EXAMPLE.location(), "example.rs:1");
    /// ```
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}
