//! Automatic replay: operations registered at compile time by `#[playback::instrument]`
//! (through `inventory`), and factories registered by hand on a
//! [`Replayer`](crate::Replayer).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use playback_store::{Recording, StoreError};
use serde::de::DeserializeOwned;

use crate::error::ReplayError;
use crate::providers::Providers;

/// A boxed operation future, as generated code returns it (not `Send`: the replay
/// drives it on the calling task).
pub type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// A prepared call of a sync operation: its arguments are already deserialized.
pub type Thunk = Box<dyn FnOnce()>;

/// Why an operation's recorded arguments could not be prepared.
#[derive(Debug)]
#[non_exhaustive]
pub enum ArgError {
    /// The recording lacks the argument, or it does not deserialize.
    Store(StoreError),
    /// The argument's type does not implement `DeserializeOwned`.
    NotDeserializable {
        /// The argument's name.
        arg: &'static str,
        /// Its type.
        type_name: &'static str,
    },
    /// The argument is taken by type (skipped state, `State<T>`, a service's `self`) and
    /// no value of its type is provided.
    MissingProvider {
        /// The argument's name (`self` for a service method).
        arg: &'static str,
        /// The type to provide.
        type_name: &'static str,
    },
}

impl From<StoreError> for ArgError {
    fn from(e: StoreError) -> Self {
        ArgError::Store(e)
    }
}

impl ArgError {
    fn into_replay_error(self, category: &str, run: Run) -> ReplayError {
        match self {
            ArgError::Store(source) => ReplayError::Args { source },
            ArgError::NotDeserializable { arg, type_name } => ReplayError::NotReplayable {
                category: category.to_owned(),
                arg: arg.to_owned(),
                type_name: type_name.to_owned(),
                register: run.register_method(),
            },
            ArgError::MissingProvider { arg, type_name } => ReplayError::MissingProvider {
                category: category.to_owned(),
                arg,
                type_name,
            },
        }
    }
}

/// How a registered operation is called: its recorded arguments are read from the
/// recording, the ones taken by type from the [`Providers`].
#[derive(Debug, Clone, Copy)]
pub enum Run {
    /// A sync fn: prepare the arguments, then call it.
    Sync(fn(&Recording, &Providers) -> Result<Thunk, ArgError>),
    /// An async fn: prepare the arguments, then await it.
    Async(fn(&Recording, &Providers) -> Result<LocalFuture, ArgError>),
}

impl Run {
    /// The `Replayer` method that registers a factory of this shape.
    fn register_method(self) -> &'static str {
        match self {
            Run::Sync(_) => "register",
            Run::Async(_) => "register_async",
        }
    }
}

/// An operation that `#[playback::instrument(playback = "operation")]` registered for
/// [`replay_recording`](crate::replay_recording).
#[derive(Debug)]
pub struct Registration {
    category: &'static str,
    alias: &'static str,
    run: Run,
}

impl Registration {
    /// A registration; `alias` is the operation's alias (`module_path!()::fn_name`).
    pub const fn new(category: &'static str, alias: &'static str, run: Run) -> Self {
        Registration {
            category,
            alias,
            run,
        }
    }
}

inventory::collect!(Registration);

/// Wraps a prepared sync call.
pub fn thunk(f: impl FnOnce() + 'static) -> Thunk {
    Box::new(f)
}

/// Boxes an operation future.
pub fn boxed(f: impl Future<Output = ()> + 'static) -> LocalFuture {
    Box::pin(f)
}

/// Names the type of one argument, for [`ViaDeserialize`] / [`NotDeserializable`]
/// (autoref specialization: `(&ArgOf::<T>::new()).__playback_arg(rec, "name")` picks
/// the first when `T: DeserializeOwned`).
#[derive(Debug)]
pub struct ArgOf<T>(PhantomData<fn() -> T>);

impl<T> ArgOf<T> {
    /// The marker.
    pub const fn new() -> Self {
        ArgOf(PhantomData)
    }
}

impl<T> Default for ArgOf<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads an argument that implements `DeserializeOwned`.
pub trait ViaDeserialize {
    /// The argument's type.
    type Arg;
    /// Deserializes the recorded argument `name`.
    fn __playback_arg(&self, rec: &Recording, name: &'static str) -> Result<Self::Arg, ArgError>;
}

impl<T: DeserializeOwned> ViaDeserialize for ArgOf<T> {
    type Arg = T;
    fn __playback_arg(&self, rec: &Recording, name: &'static str) -> Result<T, ArgError> {
        Ok(rec.arg::<T>(name)?)
    }
}

/// The fallback for an argument that does not implement `DeserializeOwned`.
pub trait NotDeserializable {
    /// The argument's type.
    type Arg;
    /// Always fails with [`ArgError::NotDeserializable`].
    fn __playback_arg(&self, rec: &Recording, name: &'static str) -> Result<Self::Arg, ArgError>;
}

impl<T> NotDeserializable for &ArgOf<T> {
    type Arg = T;
    fn __playback_arg(&self, _rec: &Recording, name: &'static str) -> Result<T, ArgError> {
        Err(ArgError::NotDeserializable {
            arg: name,
            type_name: std::any::type_name::<T>(),
        })
    }
}

pub(crate) type SyncFactory = dyn Fn(&Recording) -> Result<(), StoreError> + Send + Sync;
type AsyncFactory = dyn Fn(&Recording) -> Result<LocalFuture, StoreError> + Send + Sync;
type ClaimFn = dyn Fn(&Recording) -> Option<Result<LocalFuture, StoreError>> + Send + Sync;

/// A factory registered with
/// [`Replayer::register_claim_async`](crate::Replayer::register_claim_async): it claims
/// the recordings it can replay, whatever their category (an HTTP or gRPC service that
/// replays a recording by sending its request through itself).
#[derive(Clone)]
pub(crate) struct Claim {
    pub(crate) name: String,
    pub(crate) run: Arc<ClaimFn>,
}

impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Claim {
    pub(crate) fn new<F, Fut>(name: String, f: F) -> Self
    where
        F: Fn(&Recording) -> Option<Result<Fut, StoreError>> + Send + Sync + 'static,
        Fut: Future + 'static,
    {
        Claim {
            name,
            run: Arc::new(move |rec| {
                let fut = match f(rec)? {
                    Ok(fut) => fut,
                    Err(e) => return Some(Err(e)),
                };
                Some(Ok(Box::pin(async move {
                    let _ = fut.await;
                }) as LocalFuture))
            }),
        }
    }
}

/// A factory registered by hand with [`Replayer::register`](crate::Replayer::register).
#[derive(Clone)]
pub(crate) enum Factory {
    Sync(Arc<SyncFactory>),
    Async(Arc<AsyncFactory>),
}

impl std::fmt::Debug for Factory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Factory::Sync(_) => "Factory::Sync",
            Factory::Async(_) => "Factory::Async",
        })
    }
}

impl Factory {
    pub(crate) fn sync<F, R>(f: F) -> Self
    where
        F: Fn(&Recording) -> Result<R, StoreError> + Send + Sync + 'static,
    {
        Factory::Sync(Arc::new(move |rec| f(rec).map(drop)))
    }

    pub(crate) fn asynchronous<F, Fut>(f: F) -> Self
    where
        F: Fn(&Recording) -> Result<Fut, StoreError> + Send + Sync + 'static,
        Fut: Future + 'static,
    {
        Factory::Async(Arc::new(move |rec| {
            let fut = f(rec)?;
            Ok(Box::pin(async move {
                let _ = fut.await;
            }) as LocalFuture)
        }))
    }
}

/// How `replay_recording` starts the operation.
pub(crate) enum Start {
    /// Call this inside the replay (a factory: it reads the arguments itself).
    Factory(Arc<SyncFactory>),
    /// Call this prepared sync call inside the replay.
    Thunk(Thunk),
    /// Await this inside the replay.
    Future(LocalFuture),
}

/// Finds how to start the recording's operation: a factory registered on the replayer
/// for its category first, then a claim that takes it, then the operations registered
/// at compile time (the one whose alias is the recording's operation first, then any of
/// the same category).
pub(crate) fn start(
    factories: &std::collections::HashMap<String, Factory>,
    claims: &[Claim],
    providers: &Providers,
    rec: &Recording,
) -> Result<Start, ReplayError> {
    if let Some(factory) = factories.get(&rec.category) {
        return match factory {
            Factory::Sync(f) => Ok(Start::Factory(f.clone())),
            Factory::Async(f) => f(rec).map(Start::Future).map_err(ReplayError::from),
        };
    }
    if let Some(claimed) = claims.iter().find_map(|c| (c.run)(rec)) {
        return claimed.map(Start::Future).map_err(ReplayError::from);
    }
    let mut found: Option<&Registration> = None;
    for r in inventory::iter::<Registration> {
        if r.category != rec.category {
            continue;
        }
        if r.alias == rec.operation {
            found = Some(r);
            break;
        }
        found = found.or(Some(r));
    }
    let Some(reg) = found else {
        let mut registered: Vec<&str> = inventory::iter::<Registration>
            .into_iter()
            .map(|r| r.category)
            .chain(factories.keys().map(String::as_str))
            .chain(claims.iter().map(|c| c.name.as_str()))
            .collect();
        registered.sort_unstable();
        registered.dedup();
        return Err(ReplayError::OperationNotFound {
            category: rec.category.clone(),
            registered: if registered.is_empty() {
                "none".to_owned()
            } else {
                registered.join(", ")
            },
        });
    };
    let error = |e: ArgError| e.into_replay_error(&rec.category, reg.run);
    match reg.run {
        Run::Sync(f) => f(rec, providers).map(Start::Thunk).map_err(error),
        Run::Async(f) => f(rec, providers).map(Start::Future).map_err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Opaque;

    #[test]
    #[expect(
        clippy::needless_borrow,
        reason = "autoref specialization, as generated code does it"
    )]
    fn deserializable_arguments_are_read_and_others_are_named() {
        let rec = Recording::builder("c")
            .arg("n", serde_json::value::to_raw_value(&5u32).unwrap())
            .build();
        // both traits are in scope, as in generated code
        let n: u32 = (&ArgOf::<u32>::new()).__playback_arg(&rec, "n").unwrap();
        assert_eq!(n, 5);
        let err = (&ArgOf::<Opaque>::new())
            .__playback_arg(&rec, "o")
            .err()
            .unwrap();
        match err {
            ArgError::NotDeserializable { arg, type_name } => {
                assert_eq!(arg, "o");
                assert!(type_name.ends_with("Opaque"), "{type_name}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
