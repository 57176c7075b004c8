//! The rewritten body of an instrumented function (see `docs/macro-expansion.md`): the
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
        None => (ret.to_token_stream(), quote!(__playback_v)),
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
    for meta in &args.tracing {
        match (&mut marker, meta) {
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
    out
}
