//! Automatic replay: the registration an operation emits so that
//! `playback::replay_recording` can call it with the recorded arguments.

use proc_macro2::TokenStream;
use quote::{ToTokens as _, quote};
use syn::ext::IdentExt as _;
use syn::visit::Visit;
use syn::{FnArg, Ident, Meta, Pat, ReturnType, Signature, Type};

use crate::attr::{Args, Kind};
use crate::expand::Shape;

/// Finds `impl Trait` or `Self` anywhere in a type: an argument that automatic replay cannot
/// name from outside the function.
struct FindUnnameable(bool);

impl<'ast> Visit<'ast> for FindUnnameable {
    fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
        self.0 = true;
    }

    fn visit_ident(&mut self, ident: &'ast Ident) {
        if ident == "Self" {
            self.0 = true;
        }
    }
}

/// The span name, which is the category unless `category = ".."` says otherwise: tracing's
/// `name = ".."`, or the function's name.
pub(crate) fn category(sig: &Signature, args: &Args) -> TokenStream {
    if let Some(category) = &args.category {
        return category.to_token_stream();
    }
    let name = args.tracing.iter().find_map(|meta| match meta {
        Meta::NameValue(nv) if nv.path.is_ident("name") => Some(nv.value.to_token_stream()),
        _ => None,
    });
    name.unwrap_or_else(|| sig.ident.unraw().to_string().into_token_stream())
}

/// For an operation that `playback::replay_recording` can call by itself (a function without
/// `self`, generics, skipped arguments or argument codecs, whose arguments are plain names), a
/// registration: it reads each argument from the recording and calls the function. An argument
/// whose type is not `DeserializeOwned` makes the registration report that at replay time
/// (autoref specialization), instead of failing the build. `&T` arguments are read as the owned
/// type (`String` for `&str`, `Vec<T>` for `&[T]`, `PathBuf` for `&Path`, else `T`) and lent.
///
/// The registration is an item inside the body, so it names the function as a free function: an
/// operation without `self` that is an associated function of an `impl` block cannot be named
/// there; give it a `self`, or a skipped argument, and register a factory instead.
pub(crate) fn registration(sig: &Signature, args: &Args, shape: Shape) -> TokenStream {
    if args.kind != Kind::Operation
        || !args.register
        || shape == Shape::AsyncTrait
        || args.skip_all
        || !args.skip.is_empty()
        || !args.with_args.is_empty()
        || !sig.generics.params.is_empty()
        || sig.generics.where_clause.is_some()
        || sig.variadic.is_some()
    {
        return TokenStream::new();
    }
    let mut find = FindUnnameable(false);
    if let ReturnType::Type(_, ty) = &sig.output {
        find.visit_type(ty);
    }
    let mut reads = Vec::new();
    let mut passes = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else {
            return TokenStream::new();
        };
        let Pat::Ident(pat) = &*typed.pat else {
            return TokenStream::new();
        };
        if pat.by_ref.is_some() || pat.subpat.is_some() {
            return TokenStream::new();
        }
        find.visit_type(&typed.ty);
        let name = pat.ident.unraw().to_string();
        let local = quote::format_ident!("__playback_arg_{}", pat.ident.unraw());
        let (owned, pass) = match &*typed.ty {
            Type::Reference(reference) => {
                let owned = owned_type(&reference.elem);
                let pass = if reference.mutability.is_some() {
                    quote!(&mut #local)
                } else {
                    quote!(&#local)
                };
                (owned, pass)
            }
            ty => (ty.to_token_stream(), quote!(#local)),
        };
        let mutable = if matches!(&*typed.ty, Type::Reference(r) if r.mutability.is_some()) {
            quote!(mut)
        } else {
            TokenStream::new()
        };
        reads.push(quote! {
            let #mutable #local = (&::playback::__private_replay::ArgOf::<#owned>::new())
                .__playback_arg(__playback_rec, #name)?;
        });
        passes.push(pass);
    }
    if find.0 {
        return TokenStream::new();
    }
    let ident = &sig.ident;
    let category = category(sig, args);
    let alias = match &args.alias {
        Some(alias) => alias.to_token_stream(),
        None => {
            let name = sig.ident.unraw().to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #name))
        }
    };
    let run = match shape {
        Shape::Async => quote! {
            ::playback::__private_replay::Run::Async(|__playback_rec| {
                #[allow(unused_imports)]
                use ::playback::__private_replay::{NotDeserializable as _, ViaDeserialize as _};
                #(#reads)*
                ::core::result::Result::Ok(::playback::__private_replay::boxed(async move {
                    let _ = #ident(#(#passes),*).await;
                }))
            })
        },
        _ => quote! {
            ::playback::__private_replay::Run::Sync(|__playback_rec| {
                #[allow(unused_imports)]
                use ::playback::__private_replay::{NotDeserializable as _, ViaDeserialize as _};
                #(#reads)*
                ::core::result::Result::Ok(::playback::__private_replay::thunk(move || {
                    let _ = #ident(#(#passes),*);
                }))
            })
        },
    };
    quote! {
        ::playback::__private_replay::inventory::submit! {
            ::playback::__private_replay::Registration::new(#category, #alias, #run)
        }
    }
}

/// The owned type a `&T` argument is read as.
fn owned_type(elem: &Type) -> TokenStream {
    match elem {
        Type::Path(path) if path.qself.is_none() && path.path.is_ident("str") => {
            quote!(::std::string::String)
        }
        Type::Path(path)
            if path.qself.is_none()
                && path
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Path" && s.arguments.is_empty()) =>
        {
            quote!(::std::path::PathBuf)
        }
        Type::Slice(slice) => {
            let inner = &slice.elem;
            quote!(::std::vec::Vec<#inner>)
        }
        other => other.to_token_stream(),
    }
}
