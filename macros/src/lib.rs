//! The `#[playback::instrument]` attribute of [playback](https://docs.rs/playback).
//!
//! Use it through the facade, as `#[playback::instrument(...)]`; this crate holds only the
//! macro. See [`macro@instrument`] for the arguments and what the generated code does.

mod attr;
mod body;
mod expand;
mod register;
mod service;
mod signature;
mod state;
#[cfg(test)]
mod tests;

/// Instruments a function like `#[tracing::instrument]`, and records it for playback.
///
/// Every argument of `#[tracing::instrument]` is accepted and passed to it unchanged (`name`,
/// `target`, `level`, `parent`, `follows_from`, `skip(..)`, `skip_all`, `fields(..)`, `err`,
/// `ret`, ...), so the function gets the same span it would get from tracing. The crate using
/// the attribute must depend on `tracing` and `playback` under those names.
///
/// # Arguments
///
/// | argument | applies to | meaning |
/// | --- | --- | --- |
/// | `playback = "operation"` | | a unit of work: each call, inside a recorded scope, becomes one recording |
/// | `playback = "input"` | | a call whose return value is recorded, and given back on replay without running the body |
/// | `playback = "output"` | | a call with side effects: its arguments and return value are recorded, and on replay the body does not run and the arguments are compared |
/// | `alias = "name"` | all | the stable name recordings use; default `module_path!()::fn_name` (give one to same-named methods of one module) |
/// | `category = "name"` | operations | the recording's category (the span field `playback.category`; default: the span's name) |
/// | `on_missing = "fail"\|"live"\|"default"` | inputs | on replay, when nothing was recorded for this call: fail (default), run the real body, or return `Default::default()` |
/// | `fallback_aliases = ["old::name"]` | inputs | older aliases to look under, after a rename |
/// | `fail_on_missing = true\|false` | outputs | `false`: on replay, return `Default::default()` for an unrecorded call instead of failing |
/// | `register = false` | operations | do not register for automatic replay (`playback::replay_recording`); required on an associated function without `self`, which a compile-time registration cannot name (see below) |
/// | `with = path::Codec` | all | record the return value through a `playback::Codec<ReturnType>` (write a generic codec as `Codec::<T>`) |
/// | `with(arg = path::Codec, ..)` | all | record an argument through a `playback::Codec<ArgType>` (for `&T` arguments, `Codec<T>`) |
///
/// `playback = "..."` is required. Each key may be given once.
///
/// Recorded arguments are every argument except `self` and those in `skip(..)` (none with
/// `skip_all`), exactly the ones tracing records as span fields; a destructured argument
/// records each binding by name. Each must implement `serde::Serialize` (or use `with(..)`).
/// The return value must implement `serde::Serialize`, and for inputs and outputs
/// `serde::de::DeserializeOwned`; `Result<T, E>` return values are recorded as errors when
/// `Err`.
///
/// Works on sync fns, `async fn`, methods, generic fns, and `#[async_trait]` methods. Not
/// supported: `const fn`, `extern` fns, `-> impl Trait`, and (for inputs and outputs) borrowed
/// return values.
///
/// # Automatic replay
///
/// An operation that is a free function without generics, skipped arguments or codecs
/// registers itself, so `playback::replay_recording(&rec)` can call it with the recorded
/// arguments. The registration names the function from inside its own body, which a
/// macro cannot do for an associated function without `self` (it cannot see the `impl`):
/// there the build fails with "cannot find function `...` in this scope". Add
/// `register = false` to such an operation and register a factory with
/// `playback::Replayer::register` instead.
///
/// # Example
///
/// ```
/// # #[derive(Debug)] struct Db;
/// #[playback::instrument(playback = "input", skip(db), level = "debug")]
/// fn load_price(db: &Db, item: u32) -> Result<u64, String> {
///     if item == 0 { return Err("no such item".to_owned()) }
///     Ok(u64::from(item) * 100)
/// }
///
/// #[playback::instrument(playback = "operation", category = "shop", skip(db), fields(count = items.len()))]
/// fn checkout(db: &Db, customer: String, items: Vec<u32>) -> Result<u64, String> {
///     items.iter().map(|&item| load_price(db, item)).sum()
/// }
///
/// // Outside a recorded scope, the functions just run.
/// assert_eq!(checkout(&Db, "ann".to_owned(), vec![1, 2]), Ok(300));
/// assert_eq!(checkout(&Db, "bob".to_owned(), vec![0]), Err("no such item".to_owned()));
/// ```
#[proc_macro_attribute]
pub fn instrument(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    expand::instrument(args.into(), item.into()).into()
}

/// Registers the operation methods of an `impl` block for automatic replay, through their
/// type.
///
/// Put it on the `impl` block; mark the methods with
/// `#[playback::instrument(playback = "operation")]` as usual. Each operation method (with
/// `&self`, `&mut self` or `self`) and each operation associated function registers with its
/// category, so `playback::replay_recording` and the Equalizer replay it with no factory:
/// `self`, skipped arguments (`skip(db)`) and axum's `State<T>` / `Extension<T>` come from the
/// values a `Replayer` provides by type (`Replayer::new().provide(|| Shop::for_replay())`), and
/// the recorded arguments from the recording. A generic `impl` block is not registered.
///
/// ```
/// #[derive(Clone)]
/// struct Shop { tax: u64 }
///
/// #[playback::service]
/// impl Shop {
///     #[playback::instrument(playback = "operation", skip(self))]
///     fn quote(&self, total: u64) -> u64 {
///         total + self.tax
///     }
/// }
///
/// assert_eq!(Shop { tax: 2 }.quote(40), 42);
/// ```
#[proc_macro_attribute]
pub fn service(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    service::service(args.into(), item.into()).into()
}
