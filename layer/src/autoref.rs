//! Traits the generated code uses to tell what a value is at compile time.

/// Everything that can be recorded: every `serde::Serialize` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded by playback: it does not implement `serde::Serialize`",
    label = "this value is recorded by `#[playback::instrument]`",
    note = "derive `serde::Serialize` for it; for an argument, add it to `skip(...)` or convert it with `with(arg = path)`; for a return value, convert it with `with = path`"
)]
pub trait Recordable: serde::Serialize {}
impl<T: ?Sized + serde::Serialize> Recordable for T {}

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
