//! Automatic replay: the registration an operation emits so that
//! `playback::replay_recording` can call it with the recorded arguments, and with the
//! values a `Replayer` provides for the arguments taken by type.

use proc_macro2::TokenStream;
use quote::{ToTokens as _, quote};
use syn::ext::IdentExt as _;
use syn::visit::Visit;
use syn::{FnArg, Ident, Meta, Pat, ReturnType, Signature, Type};

use crate::attr::{Args, Kind};
use crate::expand::Shape;
use crate::state::{framework_state, inner_of_wrapper, wrapper_path};

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

fn unnameable(ty: &Type) -> bool {
    let mut find = FindUnnameable(false);
    find.visit_type(ty);
    find.0
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

/// The alias: `alias = ".."`, else the module path and the function's name.
pub(crate) fn alias(sig: &Signature, args: &Args) -> TokenStream {
    match &args.alias {
        Some(alias) => alias.to_token_stream(),
        None => {
            let name = sig.ident.unraw().to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #name))
        }
    }
}

/// The statements that prepare each argument, and the expressions passed to the call.
struct Prepared {
    reads: Vec<TokenStream>,
    passes: Vec<TokenStream>,
}

/// How each argument is obtained on replay:
/// - a recorded argument is read from the recording (`&T` as the owned type, then lent); an
///   argument whose type is not `DeserializeOwned` makes the registration report that at replay
///   time (autoref specialization) instead of failing the build; a `with(arg = Codec)` argument
///   is read as the codec's stored form and converted back by `Codec::replay`;
/// - `Path(id): Path<T>`-like destructured arguments are read by their inner value and wrapped;
/// - an argument taken by type (skipped, axum's `State<T>`/`Extension<T>`, or the receiver of a
///   service method) comes from the `Replayer`'s providers.
///
/// `None` when the operation cannot be called this way.
fn prepare(sig: &Signature, args: &Args, self_ty: Option<&Type>) -> Option<Prepared> {
    let mut reads = Vec::new();
    let mut passes = Vec::new();
    for input in &sig.inputs {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                let self_ty = self_ty?;
                if receiver.colon_token.is_some() {
                    return None; // `self: Arc<Self>` and the like
                }
                let provided = quote!(__playback_providers.get::<#self_ty>("self")?);
                match (&receiver.reference, &receiver.mutability) {
                    (Some(_), Some(_)) => {
                        reads.push(quote!(let mut __playback_self: #self_ty = #provided;));
                        passes.push(quote!(&mut __playback_self));
                    }
                    (Some(_), None) => {
                        reads.push(quote!(let __playback_self: #self_ty = #provided;));
                        passes.push(quote!(&__playback_self));
                    }
                    (None, _) => {
                        reads.push(quote!(let __playback_self: #self_ty = #provided;));
                        passes.push(quote!(__playback_self));
                    }
                }
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        if unnameable(&typed.ty) {
            return None;
        }
        let (binding, wrapper) = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                (pat.ident.clone(), None)
            }
            Pat::TupleStruct(ts) if ts.elems.len() == 1 && ts.qself.is_none() => {
                let Some(Pat::Ident(pat)) = ts.elems.first() else {
                    return None;
                };
                (pat.ident.clone(), Some(ts.path.clone()))
            }
            _ => return None,
        };
        let name = binding.unraw().to_string();
        let local = quote::format_ident!("__playback_arg_{}", binding.unraw());
        let codec = args
            .with_args
            .iter()
            .find(|w| w.arg == binding)
            .map(|w| &w.codec);
        let skipped = args.skip_all || args.skip.iter().any(|s| s == &binding);
        let state = framework_state(&typed.ty);
        if let Some(inner) = state {
            // `State<T>` / `Extension<T>`: the provided `T`, wrapped
            let path = wrapper_path(&typed.ty)?;
            reads.push(quote! {
                let #local = #path(__playback_providers.get::<#inner>(#name)?);
            });
            passes.push(quote!(#local));
            continue;
        }
        if let Some(path) = wrapper {
            // `Path(id): Path<T>`: the recorded inner value, wrapped
            if skipped {
                return None;
            }
            let inner = inner_of_wrapper(&typed.ty)?;
            reads.push(quote! {
                let #local = #path((&::playback::__private_replay::ArgOf::<#inner>::new())
                    .__playback_arg(__playback_rec, #name)?);
            });
            passes.push(quote!(#local));
            continue;
        }
        let (owned, mutable, pass) = match &*typed.ty {
            Type::Reference(reference) => {
                let owned = if skipped {
                    reference.elem.to_token_stream()
                } else {
                    owned_type(&reference.elem)
                };
                if reference.mutability.is_some() {
                    (owned, quote!(mut), quote!(&mut #local))
                } else {
                    (owned, TokenStream::new(), quote!(&#local))
                }
            }
            ty => (ty.to_token_stream(), TokenStream::new(), quote!(#local)),
        };
        if skipped {
            reads.push(quote! {
                let #mutable #local: #owned = __playback_providers.get::<#owned>(#name)?;
            });
        } else if let Some(codec) = codec {
            // `with(arg = Codec)`: the stored form, converted back by the codec
            // a borrowed argument's codec may convert an unsized type: not read back
            if matches!(&*typed.ty, Type::Reference(_)) {
                return None;
            }
            let target = typed.ty.to_token_stream();
            reads.push(quote! {
                let #mutable #local: #target = <#codec as ::playback::Codec<#target>>::replay(
                    (&::playback::__private_replay::ArgOf::<
                        <#codec as ::playback::Codec<#target>>::Stored,
                    >::new())
                    .__playback_arg(__playback_rec, #name)?,
                );
            });
        } else {
            reads.push(quote! {
                let #mutable #local = (&::playback::__private_replay::ArgOf::<#owned>::new())
                    .__playback_arg(__playback_rec, #name)?;
            });
        }
        passes.push(pass);
    }
    Some(Prepared { reads, passes })
}

/// For an operation that `playback::replay_recording` can call by itself, a registration
/// through `::playback::__private::register!` (an `inventory` submission with playback's
/// `replay` feature, nothing without it).
///
/// A free function is registered from inside its own body, naming it as a free function. Methods
/// and associated functions are registered by `#[playback::service]` on their `impl` block
/// ([`crate::service`]), which names them through their type; without it they are not
/// registered (a factory does it).
pub(crate) fn registration(sig: &Signature, args: &Args, shape: Shape) -> TokenStream {
    if sig.receiver().is_some() {
        return TokenStream::new();
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && unnameable(ty)
    {
        return TokenStream::new();
    }
    let ident = &sig.ident;
    emit(sig, args, shape, None, quote!(#ident))
}

/// The registration of `callee` (a path to the function), or nothing when it cannot be called
/// from a recording.
pub(crate) fn emit(
    sig: &Signature,
    args: &Args,
    shape: Shape,
    self_ty: Option<&Type>,
    callee: TokenStream,
) -> TokenStream {
    if args.kind != Kind::Operation
        || !args.register
        || shape == Shape::AsyncTrait
        || !sig.generics.params.is_empty()
        || sig.generics.where_clause.is_some()
        || sig.variadic.is_some()
    {
        return TokenStream::new();
    }
    let Some(Prepared { reads, passes }) = prepare(sig, args, self_ty) else {
        return TokenStream::new();
    };
    let category = category(sig, args);
    let alias = alias(sig, args);
    let prelude = quote! {
        #[allow(unused_imports)]
        use ::playback::__private_replay::{NotDeserializable as _, ViaDeserialize as _};
        let _ = (&__playback_rec, &__playback_providers);
        #(#reads)*
    };
    let run = match shape {
        Shape::Async => quote! {
            ::playback::__private_replay::Run::Async(|__playback_rec, __playback_providers| {
                #prelude
                ::core::result::Result::Ok(::playback::__private_replay::boxed(async move {
                    let _ = #callee(#(#passes),*).await;
                }))
            })
        },
        _ => quote! {
            ::playback::__private_replay::Run::Sync(|__playback_rec, __playback_providers| {
                #prelude
                ::core::result::Result::Ok(::playback::__private_replay::thunk(move || {
                    let _ = #callee(#(#passes),*);
                }))
            })
        },
    };
    // Through the facade's `register!`, which submits it only when playback's `replay`
    // feature is on: without it, these tokens are dropped unresolved, so a recording-only
    // build needs nothing from `__private_replay`.
    quote! {
        ::playback::__private::register! {
            ::playback::__private_replay::Registration::new(#category, #alias, #run)
        }
    }
}

/// The owned type a recorded `&T` argument is read as.
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
