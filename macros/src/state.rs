//! Framework state that is taken by type, never recorded: axum's `State<T>` and
//! `Extension<T>`. Such arguments are left out of keys, records and tracing's fields, and
//! replay fills them from the values a `Replayer` provides.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, GenericArgument, Ident, Pat, PathArguments, Signature, Type};

use crate::attr::Args;

/// The last path segment names of the wrappers that carry framework state.
const STATE_WRAPPERS: &[&str] = &["State", "Extension"];

/// `T` in `X<T>` (the single generic type argument of the last path segment).
pub(crate) fn inner_of_wrapper(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let PathArguments::AngleBracketed(generics) = &path.path.segments.last()?.arguments else {
        return None;
    };
    let mut types = generics.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let inner = types.next()?;
    types.next().is_none().then_some(inner)
}

/// The path of `X<T>` without its generic arguments, to construct `X(value)`.
pub(crate) fn wrapper_path(ty: &Type) -> Option<TokenStream> {
    let Type::Path(path) = ty else {
        return None;
    };
    let mut path = path.path.clone();
    path.segments.last_mut()?.arguments = PathArguments::None;
    Some(quote!(#path))
}

/// `Some(T)` when `ty` is `State<T>` or `Extension<T>`.
pub(crate) fn framework_state(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if !STATE_WRAPPERS.iter().any(|w| last.ident == w) {
        return None;
    }
    inner_of_wrapper(ty)
}

/// Adds the bindings of framework-state arguments to `args.skip` (so they are neither keyed
/// nor recorded) and returns them, for tracing's `skip(..)` (their types need not be `Debug`).
pub(crate) fn skip_framework_state(sig: &Signature, args: &mut Args) -> Vec<Ident> {
    let mut added = Vec::new();
    if args.skip_all {
        return added;
    }
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        if framework_state(&typed.ty).is_none() {
            continue;
        }
        let binding = match &*typed.pat {
            Pat::Ident(pat) => Some(pat.ident.clone()),
            Pat::TupleStruct(ts) if ts.elems.len() == 1 => match ts.elems.first() {
                Some(Pat::Ident(pat)) => Some(pat.ident.clone()),
                _ => None,
            },
            _ => None,
        };
        if let Some(binding) = binding
            && !args.skip.contains(&binding)
        {
            args.skip.push(binding.clone());
            added.push(binding);
        }
    }
    added
}
