//! Keeps the replay machinery's own panics off stderr: they unwind a call site to stop
//! the operation, and the failure they carry is returned as the replay's `Err`, so the
//! default panic message would only repeat it as noise.

use std::panic::PanicHookInfo;
use std::sync::Once;

/// The prefix of every panic message the machinery raises through `Answer::Fail`.
pub(crate) const PREFIX: &str = "playback replay: ";

fn is_ours(info: &PanicHookInfo<'_>) -> bool {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    message.is_some_and(|m| m.starts_with(PREFIX)) && playback_layer::ReplayActivity::any()
}

/// Wraps the current panic hook once per process: the machinery's panics are not
/// printed while a replay runs; every other panic goes to the previous hook.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_ours(info) {
                previous(info);
            }
        }));
    });
}
