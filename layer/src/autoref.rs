//! Traits the generated code uses to tell what a value is at compile time.

/// Everything that can be recorded: every `serde::Serialize` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded by playback: it does not implement `serde::Serialize`",
    label = "`{Self}` is recorded here by `#[playback::instrument]`",
    note = "derive `serde::Serialize` for it; for an argument, add it to `skip(...)` or convert it with `with(arg = path)`; for a return value, convert it with `with = path`",
    note = "`playback::codec` has codecs for common types: `with = playback::codec::IoResult` for `io::Result<T>`, `DynResult` for `Result<T, Box<dyn Error>>`, `Bytes`, `Duration`, `SystemTime`; `ResultOf`/`OptionOf` apply one inside a `Result` or an `Option`"
)]
pub trait Recordable: serde::Serialize {}
impl<T: ?Sized + serde::Serialize> Recordable for T {}

/// Everything an input or output can hand back on replay: every `DeserializeOwned` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be replayed by playback: it does not implement `serde::Deserialize`",
    label = "`{Self}` is replayed here by `#[playback::instrument]`",
    note = "derive `serde::Deserialize` for it, or convert the return value with `with = path`",
    note = "`playback::codec` has codecs for common types: `with = playback::codec::IoResult` for `io::Result<T>`, `DynResult` for `Result<T, Box<dyn Error>>`, `Bytes`, `Duration`, `SystemTime`; `ResultOf`/`OptionOf` apply one inside a `Result` or an `Option`"
)]
pub trait Replayable {}
impl<T: serde::de::DeserializeOwned> Replayable for T {}

/// A compile-time check the macro emits for each part of a return type (`T` and `E` of a
/// `Result<T, E>`, `T` of an `Option<T>`), so an error names the part that is not a serde
/// type. Does nothing at run time.
#[inline(always)]
pub fn recordable<T: ?Sized + Recordable>() {}

/// The same check for the parts an input or output replays.
#[inline(always)]
pub fn replayable<T: ?Sized + Replayable>() {}

/// The error type of a one-argument `Result<T>` alias (`io::Result<T>`), for the checks.
pub trait ResultParts {
    /// `E` in `Result<T, E>`.
    type Err;
}
impl<T, E> ResultParts for Result<T, E> {
    type Err = E;
}

/// `Result` detection by autoref specialization (the `Result` impl).
pub trait IsErrResult {
    /// Whether this is an `Err`.
    fn __playback_is_err(&self) -> bool;
}
impl<T, E> IsErrResult for Result<T, E> {
    #[inline]
    fn __playback_is_err(&self) -> bool {
        self.is_err()
    }
}

/// `Result` detection by autoref specialization (every other type).
pub trait IsErrOther {
    /// Always `false`.
    fn __playback_is_err(&self) -> bool;
}
impl<T: ?Sized> IsErrOther for &T {
    #[inline]
    fn __playback_is_err(&self) -> bool {
        false
    }
}
