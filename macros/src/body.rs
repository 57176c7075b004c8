//! The rewritten body of an instrumented function (see `docs/src/macro-expansion.md`): the
//! call site's `static`, the interception or operation call around the user's body, and
//! the arguments passed on to `#[::tracing::instrument]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens as _, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{Block, Ident, Meta, MetaList, Signature, Stmt, Type};

use crate::attr::{Args, Kind, OnMissing};
use crate::expand::Key;

/// Items put at the top of the new body: the call site's `static`.
///
/// This is where automatic replay registration goes when it is added: it needs the same site.
pub(crate) fn items(sig: &Signature, args: &Args, signature: &str) -> TokenStream {
    let kind = match args.kind {
        Kind::Operation => quote!(Operation),
        Kind::Input => quote!(Input),
        Kind::Output => quote!(Output),
    };
    let alias = match &args.alias {
        Some(alias) => alias.to_token_stream(),
        None => {
            let name = sig.ident.unraw().to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #name))
        }
    };
    let fallbacks = &args.fallback_aliases;
    let on_missing = match args.on_missing {
        OnMissing::Fail => quote!(Fail),
        OnMissing::Live => quote!(Live),
        OnMissing::Default => quote!(Default),
    };
    let fail_on_missing = args.fail_on_missing;
    let category = if args.kind == Kind::Operation {
        crate::register::category(sig, args)
    } else {
        quote!("")
    };
    let location = quote_spanned! {sig.ident.span()=>
        file: ::core::file!(),
        line: ::core::line!(),
    };
    quote! {
        static __PLAYBACK_SITE: ::playback::__private::Site = ::playback::__private::Site {
            kind: ::playback::__private::Kind::#kind,
            alias: #alias,
            category: #category,
            fallback_aliases: &[#(#fallbacks),*],
            on_missing: ::playback::__private::OnMissing::#on_missing,
            fail_on_missing: #fail_on_missing,
            signature: #signature,
            #location
        };
    }
}

/// The user's body, as it will be run.
pub(crate) enum Body<'a> {
    /// A sync body: run in `(move || -> Ret { .. })()`.
    Sync(&'a Block),
    /// The statements of an async body: run in `async move { .. }.await`.
    Async(&'a [Stmt]),
}

impl Body<'_> {
    /// For inputs and outputs: an expression producing the return value. The body runs
    /// with the call chain marked as intercepting (every poll, for an async body), and a
    /// panic in it is recorded as the call's outcome.
    fn run(&self, ret: &Type) -> TokenStream {
        match self {
            Body::Sync(block) => quote! {
                ::playback::__private::run_call(&mut __playback_call, move || -> #ret #block)
            },
            Body::Async(stmts) => {
                let hint = async_hint(ret);
                quote! {{
                    let mut __playback_body = ::core::pin::pin!(async move { #hint #(#stmts)* });
                    ::core::future::poll_fn(|__playback_cx| {
                        ::playback::__private::poll_call(
                            &mut __playback_call,
                            __playback_body.as_mut(),
                            __playback_cx,
                        )
                    })
                    .await
                }}
            }
        }
    }

    /// For operations: an expression producing `Result<Ret, Box<dyn Any + Send>>`.
    fn catch(&self, ret: &Type) -> TokenStream {
        match self {
            Body::Sync(block) => {
                quote!(::playback::__private::run_op(&__playback_op, move || -> #ret #block))
            }
            Body::Async(stmts) => {
                let hint = async_hint(ret);
                quote! {{
                    let mut __playback_body = ::core::pin::pin!(async move { #hint #(#stmts)* });
                    ::core::future::poll_fn(|__playback_cx| {
                        ::playback::__private::poll_op(
                            &__playback_op,
                            __playback_body.as_mut(),
                            __playback_cx,
                        )
                    })
                    .await
                }}
            }
        }
    }
}

/// Fixes the return type of an async block, so `?` and `return` in it infer (tracing's trick).
fn async_hint(ret: &Type) -> TokenStream {
    quote! {
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let __playback_fake: #ret = loop {};
            return __playback_fake;
        }
    }
}

/// How one argument is recorded: `.arg("name", &arg)` (`&*arg` for a `&T` argument, so errors
/// name `T`), or `.arg_with("name", || Codec::record(&arg))`, which catches a panicking codec;
/// spanned on the argument so a type that cannot be recorded is reported there.
fn record_arg(target: &Ident, key: &Key) -> TokenStream {
    let ident = &key.ident;
    let name = &key.name;
    let span = Span::call_site().located_at(ident.span());
    let value = if key.deref {
        quote_spanned!(span=> &*#ident)
    } else {
        quote_spanned!(span=> &#ident)
    };
    match &key.codec {
        None => quote_spanned!(span=> #target.arg(#name, #value);),
        Some(codec) => quote_spanned! {span=>
            #target.arg_with(#name, || <#codec as ::playback::Codec<_>>::record(#value));
        },
    }
}

/// The parts of a return type that must each be a serde type: `T` and `E` of a `Result<T, E>`,
/// `T` of an `Option<T>` or `Vec<T>`, the elements of a tuple, recursively, and the error type of
/// a one-argument `Result<T>` alias (`io::Result<T>`), and what a `Box` holds (for replay, only a
/// `dyn Trait`: `Box<str>` deserializes while `str` does not). Anything else is one part.
fn parts(ty: &Type, replay: bool, out: &mut Vec<TokenStream>) {
    match ty {
        Type::Paren(inner) => parts(&inner.elem, replay, out),
        Type::Group(inner) => parts(&inner.elem, replay, out),
        Type::Tuple(tuple) if !tuple.elems.is_empty() => {
            for elem in &tuple.elems {
                parts(elem, replay, out);
            }
        }
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return out.push(ty.to_token_stream());
            };
            let generics: Vec<&Type> = match &last.arguments {
                syn::PathArguments::AngleBracketed(args) => args
                    .args
                    .iter()
                    .filter_map(|arg| match arg {
                        syn::GenericArgument::Type(ty) => Some(ty),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            match (last.ident.to_string().as_str(), generics.as_slice()) {
                ("Result", [ok, err]) => {
                    parts(ok, replay, out);
                    parts(err, replay, out);
                }
                ("Result", [ok]) => {
                    parts(ok, replay, out);
                    out.push(quote!(<#ty as ::playback::__private::ResultParts>::Err));
                }
                ("Option" | "Vec", [inner]) => parts(inner, replay, out),
                // `Box<str>`, `Box<[T]>`, `Box<Path>` deserialize while what they box does not
                ("Box", [inner]) if !replay || matches!(inner, Type::TraitObject(_)) => {
                    parts(inner, replay, out);
                }
                _ => out.push(ty.to_token_stream()),
            }
        }
        _ => out.push(ty.to_token_stream()),
    }
}

/// Compile-time checks that each part of the return type is a serde type. An error then names
/// the part (`std::io::Error` in `io::Result<u64>`) with playback's message and the codecs that
/// fix it. Every token is spanned on the return type, as the generated `finish`/`replay` calls
/// are: rustc reports one unmet bound once per span, so the same failure inside those calls
/// (whose messages would name playback's internals) is not reported again.
fn part_checks(ret: &Type, replays: bool, span: Span) -> TokenStream {
    let mut record = Vec::new();
    parts(ret, false, &mut record);
    let mut checks: Vec<TokenStream> = record
        .iter()
        .map(|part| respan(quote!(::playback::__private::recordable::<#part>();), span))
        .collect();
    if replays {
        let mut replay = Vec::new();
        parts(ret, true, &mut replay);
        checks.extend(
            replay
                .iter()
                .map(|part| respan(quote!(::playback::__private::replayable::<#part>();), span)),
        );
    }
    quote!(#(#checks)*)
}

/// `tokens` with every token (inside groups too) spanned at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = proc_macro2::TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// The new body.
pub(crate) fn rewrite(
    args: &Args,
    keys: &[Key],
    ret: &Type,
    items: &TokenStream,
    body: &Body<'_>,
) -> TokenStream {
    // Our hygiene, the return type's location: errors about the return value point at it.
    let ret_span = Span::call_site().located_at(ret.span());
    let is_err = quote! {
        {
            use ::playback::__private::{IsErrOther as _, IsErrResult as _};
            (&__playback_ret).__playback_is_err()
        }
    };
    // `finish(c, &ret, err)`, or `finish_with(c, || Codec::record(&ret), err)`, which catches a
    // panicking codec.
    let (finish_fn, recorded_ret) = match &args.with_ret {
        None => (quote!(finish), quote_spanned!(ret_span=> &__playback_ret)),
        Some(codec) => (
            quote!(finish_with),
            quote_spanned!(ret_span=> || <#codec as ::playback::Codec<#ret>>::record(&__playback_ret)),
        ),
    };
    let checks = match &args.with_ret {
        None => part_checks(ret, args.kind != Kind::Operation, ret_span),
        Some(_) => TokenStream::new(),
    };
    let op_target = Ident::new("__playback_o", Span::call_site());
    let call_target = Ident::new("__playback_c", Span::call_site());

    if args.kind == Kind::Operation {
        let caught = body.catch(ret);
        let finish = quote_spanned!(ret_span=> ::playback::__private::OpCall::#finish_fn);
        let (mutable, record_args) = if keys.is_empty() {
            (TokenStream::new(), TokenStream::new())
        } else {
            let records = keys.iter().map(|key| record_arg(&op_target, key));
            let record_args = quote! {
                if let ::core::option::Option::Some(__playback_o) = &mut __playback_op {
                    #(#records)*
                }
            };
            (quote!(mut), record_args)
        };
        return quote! {
            {
                #items
                #checks
                let #mutable __playback_op = ::playback::__private::OpCall::begin(&__PLAYBACK_SITE);
                #record_args
                match #caught {
                    ::core::result::Result::Ok(__playback_ret) => {
                        if let ::core::option::Option::Some(__playback_o) = __playback_op {
                            let __playback_err = #is_err;
                            #finish(__playback_o, #recorded_ret, __playback_err);
                        }
                        __playback_ret
                    }
                    ::core::result::Result::Err(__playback_panic) => {
                        if let ::core::option::Option::Some(__playback_o) = __playback_op {
                            __playback_o.panicked(&*__playback_panic);
                        }
                        ::std::panic::resume_unwind(__playback_panic)
                    }
                }
            }
        };
    }

    let (stored, replayed) = match &args.with_ret {
        // spanned as the part checks are, so a failure here is reported by them
        None => (
            respan(ret.to_token_stream(), ret_span),
            quote!(__playback_v),
        ),
        Some(codec) => (
            quote!(<#codec as ::playback::Codec<#ret>>::Stored),
            quote!(<#codec as ::playback::Codec<#ret>>::replay(__playback_v)),
        ),
    };
    let replay = quote_spanned!(ret_span=> ::playback::__private::Call::replay::<#stored>);
    let finish = quote_spanned!(ret_span=> ::playback::__private::Call::#finish_fn);
    let records = keys.iter().map(|key| record_arg(&call_target, key));
    let defaults = match args.kind {
        Kind::Input => args.on_missing == OnMissing::Default,
        Kind::Output => !args.fail_on_missing,
        Kind::Operation => false,
    };
    let other_arms = if defaults {
        let default = quote_spanned!(ret_span=> ::core::default::Default::default());
        quote! {
            ::playback::__private::Replayed::Default => return #default,
            ::playback::__private::Replayed::Live => {}
        }
    } else {
        quote! {
            ::playback::__private::Replayed::Live | ::playback::__private::Replayed::Default => {}
        }
    };
    let run = body.run(ret);
    quote! {
        {
            #items
            #checks
            let mut __playback_call = ::playback::__private::Call::begin(&__PLAYBACK_SITE);
            if let ::core::option::Option::Some(__playback_c) = &mut __playback_call {
                #(#records)*
                match #replay(__playback_c) {
                    ::playback::__private::Replayed::Value(__playback_v) => return #replayed,
                    #other_arms
                }
            }
            #[allow(clippy::redundant_closure_call, clippy::let_unit_value, clippy::unused_unit)]
            let __playback_ret: #ret = #run;
            if let ::core::option::Option::Some(__playback_c) = __playback_call {
                let __playback_err = #is_err;
                #finish(__playback_c, #recorded_ret, __playback_err);
            }
            __playback_ret
        }
    }
}

/// The arguments for `#[::tracing::instrument(..)]`: the user's, verbatim, with the operation
/// marker merged into the first `fields(..)` (tracing rejects a second one) or added.
pub(crate) fn tracing_args(args: &Args) -> Vec<TokenStream> {
    let mut out: Vec<TokenStream> = Vec::with_capacity(args.tracing.len() + 1);
    let mut marker = (args.kind == Kind::Operation).then(|| match &args.category {
        Some(category) => quote!(playback = "operation", playback.category = #category),
        None => quote!(playback = "operation"),
    });
    let mut auto_skip = (!args.auto_skip.is_empty()).then_some(&args.auto_skip);
    for meta in &args.tracing {
        match (&mut marker, meta) {
            (_, Meta::List(list)) if list.path.is_ident("skip") && auto_skip.is_some() => {
                let names = auto_skip.take().unwrap_or(&args.auto_skip);
                let user = &list.tokens;
                out.push(quote!(skip(#user, #(#names),*)));
            }
            (Some(_), Meta::List(list)) if list.path.is_ident("fields") => {
                let marker = marker.take().unwrap_or_default();
                let user = &list.tokens;
                let tokens = if user.is_empty() {
                    marker
                } else {
                    quote!(#marker, #user)
                };
                let merged = MetaList {
                    path: list.path.clone(),
                    delimiter: list.delimiter.clone(),
                    tokens,
                };
                out.push(merged.into_token_stream());
            }
            _ => out.push(meta.into_token_stream()),
        }
    }
    if let Some(marker) = marker {
        out.push(quote!(fields(#marker)));
    }
    if let Some(names) = auto_skip {
        out.push(quote!(skip(#(#names),*)));
    }
    out
}
