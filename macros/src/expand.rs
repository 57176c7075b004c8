//! Code generation for `#[playback::instrument]`.
//!
//! The function keeps its signature and attributes; `#[::tracing::instrument(..)]` is put first
//! with every non-playback argument, and the body is rewritten into the shapes of
//! `docs/macro-expansion.md` (the original body is emitted exactly once, inside a closure or an async
//! block).

use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
use quote::{ToTokens as _, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::visit::Visit;
use syn::{
    Block, Expr, ExprAsync, FnArg, GenericArgument, Ident, ItemFn, Meta, MetaList, Pat,
    PathArguments, ReturnType, Signature, Stmt, Token, Type, TypeParamBound,
};

use crate::attr::{Args, Kind, OnMissing};

/// The attribute's entry point: on error, the compile errors plus the untouched function (so the
/// user sees only our message, not errors caused by a missing function).
pub(crate) fn instrument(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item) {
        Ok(func) => func,
        Err(error) => return error.into_compile_error(),
    };
    match expand(args, func.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#error #func)
        }
    }
}

/// How the body runs: plain, `async fn`, or an `#[async_trait]` method (a sync fn whose last
/// statement is `Box::pin(async move { .. })`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Sync,
    Async,
    AsyncTrait,
}

/// One recorded argument (or one binding of a destructured argument).
struct Key {
    /// The recorded name (the binding, without `r#`).
    name: String,
    /// The binding as written.
    ident: Ident,
    /// The argument is a plain binding of a `&T`/`&mut T`: it is passed on as `&*arg`.
    deref: bool,
    /// `with(arg = Codec)`.
    codec: Option<Type>,
}

fn expand(args: TokenStream, mut func: ItemFn) -> syn::Result<TokenStream> {
    let args = Args::parse(args)?;
    check_signature(&func.sig)?;
    let shape = if func.sig.asyncness.is_some() {
        Shape::Async
    } else if async_trait_block(&mut func.block).is_some() {
        Shape::AsyncTrait
    } else {
        Shape::Sync
    };
    let ret = return_type(&func.sig, shape)?;
    check_return(&ret, &args)?;
    let (keys, signature_args) = keys(&func.sig, &args)?;
    let signature = signature(&func.sig, &signature_args, &ret);
    let site = items(&func.sig, &args, &signature);
    let registration = registration(&func.sig, &args, shape);
    let items = quote!(#site #registration);

    match shape {
        Shape::Sync => {
            let body = Body::Sync(&func.block);
            let block = rewrite(&args, &keys, &ret, &items, &body);
            *func.block = syn::parse2(block)?;
        }
        Shape::Async => {
            let stmts = std::mem::take(&mut func.block.stmts);
            let block = rewrite(&args, &keys, &ret, &items, &Body::Async(&stmts));
            *func.block = syn::parse2(block)?;
        }
        Shape::AsyncTrait => {
            if let Some(inner) = async_trait_block(&mut func.block) {
                let stmts = std::mem::take(&mut inner.block.stmts);
                let block = rewrite(&args, &keys, &ret, &items, &Body::Async(&stmts));
                inner.block = syn::parse2(block)?;
            }
        }
    }

    let tracing = tracing_args(&args);
    func.attrs.insert(
        0,
        syn::parse_quote!(#[::tracing::instrument(#(#tracing),*)]),
    );
    Ok(func.into_token_stream())
}

/// `const fn` and `extern` fns cannot run the recording code.
fn check_signature(sig: &Signature) -> syn::Result<()> {
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new(
            constness.span,
            "#[playback::instrument] cannot be used on a `const fn`: recording runs code at run time; \
             remove `const`, or use `#[tracing::instrument]`",
        ));
    }
    if let Some(abi) = &sig.abi {
        return Err(syn::Error::new(
            abi.extern_token.span,
            "#[playback::instrument] cannot be used on an `extern` fn: wrap it in a Rust fn and instrument that",
        ));
    }
    Ok(())
}

/// Finds `impl Trait` anywhere in a type.
struct FindImplTrait(Option<Span>);

impl<'ast> Visit<'ast> for FindImplTrait {
    fn visit_type_impl_trait(&mut self, node: &'ast syn::TypeImplTrait) {
        self.0.get_or_insert(node.impl_token.span);
    }
}

/// Rejects return types that cannot be recorded and replayed.
fn check_return(ret: &Type, args: &Args) -> syn::Result<()> {
    let mut find = FindImplTrait(None);
    find.visit_type(ret);
    if let Some(span) = find.0 {
        return Err(syn::Error::new(
            span,
            "#[playback::instrument] cannot record an `impl Trait` return type: return a concrete type \
             (one that implements `serde::Serialize` and `serde::de::DeserializeOwned`)",
        ));
    }
    if matches!(ret, Type::Never(_)) {
        return Err(syn::Error::new(
            ret.span(),
            "#[playback::instrument] cannot be used on a function that never returns (`-> !`)",
        ));
    }
    if args.kind != Kind::Operation
        && args.with_ret.is_none()
        && let Type::Reference(reference) = ret
    {
        return Err(syn::Error::new(
            reference.and_token.span,
            "#[playback::instrument] cannot replay a borrowed return value: return an owned type, \
             or convert it with `with = CodecType`",
        ));
    }
    Ok(())
}

/// The `async move { .. }` inside a last statement `Box::pin(async move { .. })` (the way
/// `#[async_trait]` and hand-written boxed futures look).
fn async_trait_block(block: &mut Block) -> Option<&mut ExprAsync> {
    let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last_mut() else {
        return None;
    };
    let Expr::Path(path) = &*call.func else {
        return None;
    };
    let mut segments = path.path.segments.iter().rev();
    let is_box_pin = segments.next().is_some_and(|s| s.ident == "pin")
        && segments.next().is_some_and(|s| s.ident == "Box");
    if !is_box_pin || call.args.len() != 1 {
        return None;
    }
    match call.args.first_mut() {
        Some(Expr::Async(inner)) => Some(inner),
        _ => None,
    }
}

/// The type the body produces: the declared return type, `()` when none, or the `Output` of the
/// boxed future of an `#[async_trait]` method.
fn return_type(sig: &Signature, shape: Shape) -> syn::Result<Type> {
    match (&sig.output, shape) {
        (ReturnType::Default, Shape::AsyncTrait) => Err(syn::Error::new(
            sig.ident.span(),
            "#[playback::instrument] found `Box::pin(async move { .. })` but no future return type",
        )),
        (ReturnType::Default, _) => Ok(syn::parse_quote!(())),
        (ReturnType::Type(_, ty), Shape::AsyncTrait) => future_output(ty).cloned().ok_or_else(|| {
            syn::Error::new(
                ty.span(),
                "#[playback::instrument] cannot find the `Future<Output = ..>` type of this boxed future",
            )
        }),
        (ReturnType::Type(_, ty), _) => Ok((**ty).clone()),
    }
}

/// `T` in `Pin<Box<dyn Future<Output = T> + Send + 'a>>`.
fn future_output(ty: &Type) -> Option<&Type> {
    fn bounds_output(bounds: &Punctuated<TypeParamBound, Token![+]>) -> Option<&Type> {
        bounds.iter().find_map(|bound| {
            let TypeParamBound::Trait(bound) = bound else {
                return None;
            };
            let last = bound.path.segments.last()?;
            if last.ident != "Future" {
                return None;
            }
            let PathArguments::AngleBracketed(generics) = &last.arguments else {
                return None;
            };
            generics.args.iter().find_map(|arg| match arg {
                GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
                _ => None,
            })
        })
    }
    match ty {
        Type::TraitObject(object) => bounds_output(&object.bounds),
        Type::Paren(inner) => future_output(&inner.elem),
        Type::Group(inner) => future_output(&inner.elem),
        Type::Path(path) => {
            let PathArguments::AngleBracketed(generics) = &path.path.segments.last()?.arguments
            else {
                return None;
            };
            generics.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(inner) => future_output(inner),
                _ => None,
            })
        }
        _ => None,
    }
}

/// The recorded arguments, in declaration order, and the `name: Type` text of each argument that
/// has at least one recorded binding (for the signature). `self` is never recorded; `skip(..)`
/// and `skip_all` leave arguments out exactly as tracing does.
fn keys(sig: &Signature, args: &Args) -> syn::Result<(Vec<Key>, Vec<String>)> {
    let mut keys = Vec::new();
    let mut signature_args = Vec::new();
    let mut all_names: Vec<Ident> = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        let mut bindings = Vec::new();
        collect_bindings(&typed.pat, &mut bindings)?;
        all_names.extend(bindings.iter().cloned());
        let plain = matches!(&*typed.pat, Pat::Ident(_));
        let mut recorded = false;
        for ident in bindings {
            if args.skip_all || args.skip.iter().any(|skipped| skipped == &ident) {
                continue;
            }
            recorded = true;
            let codec = args
                .with_args
                .iter()
                .find(|with| with.arg == ident)
                .map(|with| with.codec.clone());
            keys.push(Key {
                name: ident.unraw().to_string(),
                deref: plain && matches!(&*typed.ty, Type::Reference(_)),
                ident,
                codec,
            });
        }
        if recorded {
            let name = match &*typed.pat {
                Pat::Ident(pat) => pat.ident.unraw().to_string(),
                other => tokens_to_string(other.to_token_stream()),
            };
            signature_args.push(format!(
                "{name}: {}",
                tokens_to_string(typed.ty.to_token_stream())
            ));
        }
    }
    for with in &args.with_args {
        if keys.iter().any(|key| key.ident == with.arg) {
            continue;
        }
        let message = if with.arg == "self" {
            "`self` is never recorded, so `with(self = ..)` has no effect: remove it".to_owned()
        } else if !all_names.iter().any(|name| name == &with.arg) {
            format!(
                "`with({} = ..)` names no argument of this function",
                with.arg
            )
        } else if args.skip_all {
            format!(
                "`skip_all` leaves `{}` out of the recording, so `with({} = ..)` has no effect: remove it",
                with.arg, with.arg
            )
        } else {
            format!(
                "`{}` is in `skip(..)`, so `with({} = ..)` has no effect: remove one of them",
                with.arg, with.arg
            )
        };
        return Err(syn::Error::new(with.arg.span(), message));
    }
    Ok((keys, signature_args))
}

/// The names an argument pattern binds, as tracing names them (`(a, b): (u32, u32)` records `a`
/// and `b`). `_` binds nothing, so there is nothing to record.
fn collect_bindings(pat: &Pat, out: &mut Vec<Ident>) -> syn::Result<()> {
    match pat {
        Pat::Ident(pat) => out.push(pat.ident.clone()),
        Pat::Reference(pat) => collect_bindings(&pat.pat, out)?,
        Pat::Paren(pat) => collect_bindings(&pat.pat, out)?,
        Pat::Type(pat) => collect_bindings(&pat.pat, out)?,
        Pat::Tuple(pat) => {
            for elem in &pat.elems {
                collect_bindings(elem, out)?;
            }
        }
        Pat::TupleStruct(pat) => {
            for elem in &pat.elems {
                collect_bindings(elem, out)?;
            }
        }
        Pat::Slice(pat) => {
            for elem in &pat.elems {
                collect_bindings(elem, out)?;
            }
        }
        Pat::Struct(pat) => {
            for field in &pat.fields {
                collect_bindings(&field.pat, out)?;
            }
        }
        Pat::Wild(_) | Pat::Rest(_) | Pat::Path(_) | Pat::Lit(_) | Pat::Range(_) => {}
        other => {
            return Err(syn::Error::new(
                other.span(),
                "#[playback::instrument] cannot name the bindings of this argument pattern: \
                 bind the argument to a name (`arg: Type`), or leave it out with `skip(..)`/`skip_all`",
            ));
        }
    }
    Ok(())
}

/// `fn name(a: A, b: B) -> R`: recorded arguments only, `self` left out, tokens normalised so
/// that formatting changes do not change the hash.
fn signature(sig: &Signature, args: &[String], ret: &Type) -> String {
    let mut text = format!("fn {}({})", sig.ident.unraw(), args.join(", "));
    let unit = matches!(ret, Type::Tuple(tuple) if tuple.elems.is_empty());
    if !unit {
        text.push_str(" -> ");
        text.push_str(&tokens_to_string(ret.to_token_stream()));
    }
    text
}

/// Items put at the top of the new body: the call site's `static`.
///
/// This is where automatic replay registration goes when it is added: it needs the same site.
fn items(sig: &Signature, args: &Args, signature: &str) -> TokenStream {
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
    let location = quote_spanned! {sig.ident.span()=>
        file: ::core::file!(),
        line: ::core::line!(),
    };
    quote! {
        static __PLAYBACK_SITE: ::playback::__private::Site = ::playback::__private::Site {
            kind: ::playback::__private::Kind::#kind,
            alias: #alias,
            fallback_aliases: &[#(#fallbacks),*],
            on_missing: ::playback::__private::OnMissing::#on_missing,
            fail_on_missing: #fail_on_missing,
            signature: #signature,
            signature_hash: ::playback::__private::fnv1a(#signature),
            #location
        };
    }
}

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
fn category(sig: &Signature, args: &Args) -> TokenStream {
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
fn registration(sig: &Signature, args: &Args, shape: Shape) -> TokenStream {
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

/// The user's body, as it will be run.
enum Body<'a> {
    /// A sync body: run in `(move || -> Ret { .. })()`.
    Sync(&'a Block),
    /// The statements of an async body: run in `async move { .. }.await`.
    Async(&'a [Stmt]),
}

impl Body<'_> {
    /// For inputs and outputs: an expression producing the return value.
    fn run(&self, ret: &Type) -> TokenStream {
        match self {
            Body::Sync(block) => quote!((move || -> #ret #block)()),
            Body::Async(stmts) => {
                let hint = async_hint(ret);
                quote!(async move { #hint #(#stmts)* }.await)
            }
        }
    }

    /// For operations: an expression producing `Result<Ret, Box<dyn Any + Send>>`.
    fn catch(&self, ret: &Type) -> TokenStream {
        match self {
            Body::Sync(block) => {
                quote!(::playback::__private::catch_unwind(move || -> #ret #block))
            }
            Body::Async(stmts) => {
                let hint = async_hint(ret);
                quote!(::playback::__private::catch_unwind_async(async move { #hint #(#stmts)* }).await)
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

/// `&arg` (`&*arg` for a `&T` argument, so errors name `T`), or
/// `&<Codec as ::playback::Codec<_>>::record(..)`, spanned on the argument so a type that
/// cannot be recorded is reported there.
fn key_value(key: &Key) -> TokenStream {
    let ident = &key.ident;
    let span = Span::call_site().located_at(ident.span());
    let value = if key.deref {
        quote_spanned!(span=> &*#ident)
    } else {
        quote_spanned!(span=> &#ident)
    };
    match &key.codec {
        None => value,
        Some(codec) => quote_spanned!(span=> &<#codec as ::playback::Codec<_>>::record(#value)),
    }
}

/// The new body.
fn rewrite(
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
    let recorded_ret = match &args.with_ret {
        None => quote_spanned!(ret_span=> &__playback_ret),
        Some(codec) => {
            quote_spanned!(ret_span=> &<#codec as ::playback::Codec<#ret>>::record(&__playback_ret))
        }
    };
    let names = keys.iter().map(|key| &key.name);
    let values: Vec<TokenStream> = keys.iter().map(key_value).collect();

    if args.kind == Kind::Operation {
        let caught = body.catch(ret);
        let finish = quote_spanned!(ret_span=> ::playback::__private::OpCall::finish);
        let (mutable, record_args) = if keys.is_empty() {
            (TokenStream::new(), TokenStream::new())
        } else {
            let record_args = quote! {
                if let ::core::option::Option::Some(__playback_o) = &mut __playback_op {
                    #(__playback_o.arg(#names, #values);)*
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
    let finish = quote_spanned!(ret_span=> ::playback::__private::Call::finish);
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
                #(__playback_c.arg(#names, #values);)*
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
fn tracing_args(args: &Args) -> Vec<TokenStream> {
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

/// Renders tokens the way rustfmt would for types and simple patterns (`Result<Vec<u8>, E>`,
/// `&'a mut T`, `dyn Fn(u32) -> u32 + Send`), so the text does not depend on source layout.
fn tokens_to_string(tokens: TokenStream) -> String {
    enum Piece {
        Word(String),
        Op(String),
        Group(String),
    }
    fn pieces(tokens: TokenStream, out: &mut Vec<Piece>) {
        let mut pending = String::new();
        let mut lifetime = false;
        for tree in tokens {
            match tree {
                TokenTree::Punct(punct) if punct.as_char() == '\'' => {
                    lifetime = true;
                }
                TokenTree::Punct(punct) => {
                    pending.push(punct.as_char());
                    if punct.spacing() == Spacing::Alone {
                        out.push(Piece::Op(std::mem::take(&mut pending)));
                    }
                }
                TokenTree::Ident(ident) => {
                    flush(&mut pending, out);
                    let prefix = if std::mem::take(&mut lifetime) {
                        "'"
                    } else {
                        ""
                    };
                    out.push(Piece::Word(format!("{prefix}{ident}")));
                }
                TokenTree::Literal(literal) => {
                    flush(&mut pending, out);
                    out.push(Piece::Word(literal.to_string()));
                }
                TokenTree::Group(group) => {
                    flush(&mut pending, out);
                    let inner = tokens_to_string(group.stream());
                    let text = match group.delimiter() {
                        Delimiter::Parenthesis => format!("({inner})"),
                        Delimiter::Bracket => format!("[{inner}]"),
                        Delimiter::Brace => format!("{{{inner}}}"),
                        Delimiter::None => inner,
                    };
                    out.push(Piece::Group(text));
                }
            }
        }
        flush(&mut pending, out);
    }
    fn flush(pending: &mut String, out: &mut Vec<Piece>) {
        if !pending.is_empty() {
            out.push(Piece::Op(std::mem::take(pending)));
        }
    }

    let mut list = Vec::new();
    pieces(tokens, &mut list);
    let mut text = String::new();
    let mut previous: Option<&Piece> = None;
    for piece in &list {
        let space = match (previous, piece) {
            (None, _) => false,
            (Some(Piece::Word(_)), Piece::Word(_)) => true,
            (_, Piece::Op(op)) if matches!(op.as_str(), "+" | "=" | "->" | "=>") => true,
            (Some(Piece::Op(op)), _) => {
                matches!(op.as_str(), "," | ";" | ":" | "+" | "=" | "->" | "=>")
            }
            _ => false,
        };
        if space {
            text.push(' ');
        }
        match piece {
            Piece::Word(s) | Piece::Op(s) | Piece::Group(s) => text.push_str(s),
        }
        previous = Some(piece);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracing_of(args: TokenStream) -> Vec<String> {
        let args = Args::parse(args).unwrap();
        tracing_args(&args)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn expand_error(args: TokenStream, item: TokenStream) -> String {
        let func: ItemFn = syn::parse2(item).unwrap();
        match expand(args, func) {
            Ok(tokens) => panic!("expected an error, got {tokens}"),
            Err(error) => error.to_string(),
        }
    }

    fn expanded(args: TokenStream, item: TokenStream) -> ItemFn {
        let func: ItemFn = syn::parse2(item).unwrap();
        syn::parse2(expand(args, func).unwrap()).unwrap()
    }

    /// The `arg("name", ..)` calls of an expansion, in order.
    fn recorded_names(func: &ItemFn) -> Vec<String> {
        let text = func.block.to_token_stream().to_string();
        text.split(". arg (\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
            .collect()
    }

    fn signature_of(func: &ItemFn) -> String {
        let text = func.block.to_token_stream().to_string();
        let start = text.find("signature : \"").unwrap() + "signature : \"".len();
        text[start..].split('"').next().unwrap().to_owned()
    }

    #[test]
    fn operation_marker_is_added_as_fields_when_the_user_has_none() {
        assert_eq!(
            tracing_of(quote!(playback = "operation", name = "checkout")),
            ["name = \"checkout\"", "fields (playback = \"operation\")"]
        );
    }

    #[test]
    fn operation_marker_is_merged_into_the_users_fields() {
        assert_eq!(
            tracing_of(
                quote!(fields(user = %u, n = 1), playback = "operation", category = "shop", skip(db))
            ),
            [
                "fields (playback = \"operation\" , playback . category = \"shop\" , user = % u , n = 1)",
                "skip (db)"
            ]
        );
        assert_eq!(
            tracing_of(quote!(playback = "operation", fields())),
            ["fields (playback = \"operation\")"]
        );
    }

    #[test]
    fn inputs_and_outputs_pass_fields_unchanged() {
        assert_eq!(
            tracing_of(quote!(playback = "input", fields(a = 1), ret)),
            ["fields (a = 1)", "ret"]
        );
    }

    #[test]
    fn tracing_attribute_comes_first_and_keeps_other_attributes() {
        let func = expanded(
            quote!(playback = "input", level = "debug"),
            quote! {
                /// Docs.
                #[inline]
                pub fn load(id: u64) -> u64 { id }
            },
        );
        let attrs: Vec<String> = func
            .attrs
            .iter()
            .map(|a| a.to_token_stream().to_string())
            .collect();
        assert_eq!(attrs[0], "# [:: tracing :: instrument (level = \"debug\")]");
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[2], "# [inline]");
    }

    #[test]
    fn keys_leave_out_self_and_skipped_arguments() {
        let func = expanded(
            quote!(playback = "input", skip(db)),
            quote!(
                fn load(&self, db: &Db, id: u64, r#type: String) -> u64 {
                    id
                }
            ),
        );
        assert_eq!(recorded_names(&func), ["id", "type"]);
        assert_eq!(signature_of(&func), "fn load(id: u64, type: String) -> u64");
        let func = expanded(
            quote!(playback = "output", skip_all),
            quote!(
                fn send(to: String) -> bool {
                    true
                }
            ),
        );
        assert!(recorded_names(&func).is_empty());
        assert_eq!(signature_of(&func), "fn send() -> bool");
    }

    #[test]
    fn destructured_arguments_record_each_binding() {
        let func = expanded(
            quote!(playback = "input", skip(b)),
            quote!(
                fn f(
                    (a, b): (u32, u32),
                    Point { x, y: ref why }: Point,
                    _: u8,
                    [first, ..]: [u8; 4],
                ) -> u32 {
                    a
                }
            ),
        );
        assert_eq!(recorded_names(&func), ["a", "x", "why", "first"]);
    }

    #[test]
    fn unnameable_patterns_are_an_error_suggesting_skip() {
        let message = expand_error(
            quote!(playback = "input"),
            quote!(
                fn f(m!(): u32) -> u32 {
                    1
                }
            ),
        );
        assert!(message.contains("bind the argument to a name"), "{message}");
    }

    #[test]
    fn signature_text_ignores_layout() {
        let func = expanded(
            quote!(playback = "input"),
            quote!(
                fn load(
                    ids: &'a mut Vec<Option<u64>>,
                    f: Box<dyn Fn(u32) -> u32 + Send>,
                    a: [u8; 4],
                ) -> Result<Vec<Cart>, ShopError> {
                    todo()
                }
            ),
        );
        assert_eq!(
            signature_of(&func),
            "fn load(ids: &'a mut Vec<Option<u64>>, f: Box<dyn Fn(u32) -> u32 + Send>, a: [u8; 4]) -> Result<Vec<Cart>, ShopError>"
        );
    }

    #[test]
    fn unsupported_functions_are_rejected() {
        let message = expand_error(
            quote!(playback = "input"),
            quote!(
                const fn f() -> u32 {
                    1
                }
            ),
        );
        assert!(message.contains("`const fn`"), "{message}");
        let message = expand_error(
            quote!(playback = "input"),
            quote!(
                extern "C" fn f() -> u32 {
                    1
                }
            ),
        );
        assert!(message.contains("`extern` fn"), "{message}");
        let message = expand_error(
            quote!(playback = "operation"),
            quote!(
                fn f() -> Result<impl Iterator<Item = u8>, E> {
                    todo()
                }
            ),
        );
        assert!(message.contains("`impl Trait` return type"), "{message}");
        let message = expand_error(
            quote!(playback = "input"),
            quote!(
                async fn f() -> impl Sized {
                    1
                }
            ),
        );
        assert!(message.contains("`impl Trait` return type"), "{message}");
        let message = expand_error(
            quote!(playback = "input"),
            quote!(
                fn f(s: &S) -> &str {
                    s.0
                }
            ),
        );
        assert!(message.contains("borrowed return value"), "{message}");
    }

    #[test]
    fn with_must_name_a_recorded_argument() {
        let message = expand_error(
            quote!(playback = "input", with(nope = C)),
            quote!(
                fn f(id: u64) -> u64 {
                    id
                }
            ),
        );
        assert_eq!(
            message,
            "`with(nope = ..)` names no argument of this function"
        );
        let message = expand_error(
            quote!(playback = "input", skip(id), with(id = C)),
            quote!(
                fn f(id: u64) -> u64 {
                    id
                }
            ),
        );
        assert_eq!(
            message,
            "`id` is in `skip(..)`, so `with(id = ..)` has no effect: remove one of them"
        );
        let message = expand_error(
            quote!(playback = "input", skip_all, with(id = C)),
            quote!(
                fn f(id: u64) -> u64 {
                    id
                }
            ),
        );
        assert!(
            message.starts_with("`skip_all` leaves `id` out"),
            "{message}"
        );
        let message = expand_error(
            quote!(playback = "input", with(self = C)),
            quote!(
                fn f(&self, id: u64) -> u64 {
                    id
                }
            ),
        );
        assert!(message.starts_with("`self` is never recorded"), "{message}");
    }

    #[test]
    fn async_trait_methods_are_rewritten_inside_the_boxed_future() {
        let func = expanded(
            quote!(playback = "input"),
            quote! {
                fn get<'life0, 'async_trait>(&'life0 self, id: u64)
                    -> ::core::pin::Pin<Box<dyn ::core::future::Future<Output = Result<String, E>> + ::core::marker::Send + 'async_trait>>
                {
                    Box::pin(async move { let __self = self; let id = id; let __ret: Result<String, E> = { todo() }; __ret })
                }
            },
        );
        assert_eq!(
            func.block.stmts.len(),
            1,
            "still a single Box::pin statement"
        );
        assert_eq!(signature_of(&func), "fn get(id: u64) -> Result<String, E>");
        assert_eq!(recorded_names(&func), ["id"]);
        let text = func.block.to_token_stream().to_string();
        assert!(
            text.starts_with("{ Box :: pin (async move { static __PLAYBACK_SITE"),
            "{text}"
        );
    }

    #[test]
    fn default_arm_is_emitted_only_when_asked_for() {
        let text = |args| {
            expanded(
                args,
                quote!(
                    fn f() -> u32 {
                        1
                    }
                ),
            )
            .block
            .to_token_stream()
            .to_string()
        };
        let default_return = "Default => return :: core :: default :: Default :: default ()";
        assert!(text(quote!(playback = "input", on_missing = "default")).contains(default_return));
        assert!(
            text(quote!(playback = "output", fail_on_missing = false)).contains(default_return)
        );
        assert!(!text(quote!(playback = "input", on_missing = "live")).contains(default_return));
        assert!(!text(quote!(playback = "output")).contains(default_return));
    }

    /// The registration of an expansion (`Registration :: new (..)`), or `None`.
    fn registration_of(args: TokenStream, item: TokenStream) -> Option<String> {
        let text = expanded(args, item).block.to_token_stream().to_string();
        let start = text.find("Registration :: new (")?;
        Some(text[start..].to_owned())
    }

    #[test]
    fn register_false_emits_no_registration() {
        let reg = registration_of(
            quote!(playback = "operation", register = false),
            quote!(
                fn handle(n: u64) -> u64 {
                    n
                }
            ),
        );
        assert_eq!(reg, None);
    }

    #[test]
    fn a_free_operation_registers_itself_with_its_category_and_arguments() {
        let reg = registration_of(
            quote!(playback = "operation", category = "shop"),
            quote!(
                fn checkout(cart: u64, note: &str, lines: &[u8]) -> u64 {
                    cart
                }
            ),
        )
        .unwrap();
        assert!(reg.starts_with("Registration :: new (\"shop\" ,"), "{reg}");
        assert!(reg.contains("Run :: Sync"), "{reg}");
        assert!(
            reg.contains(
                "ArgOf :: < u64 > :: new ()) . __playback_arg (__playback_rec , \"cart\")"
            ),
            "{reg}"
        );
        assert!(
            reg.contains("ArgOf :: < :: std :: string :: String >"),
            "{reg}"
        );
        assert!(
            reg.contains("ArgOf :: < :: std :: vec :: Vec < u8 > >"),
            "{reg}"
        );
        assert!(
            reg.contains(
                "checkout (__playback_arg_cart , & __playback_arg_note , & __playback_arg_lines)"
            ),
            "{reg}"
        );
    }

    #[test]
    fn the_registered_category_is_the_span_name_by_default() {
        let op = quote!(
            async fn quote(n: u64) -> u64 {
                n
            }
        );
        let reg = registration_of(quote!(playback = "operation"), op.clone()).unwrap();
        assert!(reg.starts_with("Registration :: new (\"quote\" ,"), "{reg}");
        assert!(reg.contains("Run :: Async"), "{reg}");
        let reg = registration_of(quote!(playback = "operation", name = "pricing"), op).unwrap();
        assert!(
            reg.starts_with("Registration :: new (\"pricing\" ,"),
            "{reg}"
        );
    }

    #[test]
    fn operations_that_cannot_be_called_from_a_recording_do_not_register() {
        let none = |args: TokenStream, item: TokenStream| registration_of(args, item).is_none();
        let op = quote!(playback = "operation");
        assert!(none(
            op.clone(),
            quote!(
                fn m(&self, n: u64) -> u64 {
                    n
                }
            )
        ));
        assert!(none(
            quote!(playback = "operation", skip(db)),
            quote!(
                fn f(db: &Db, n: u64) -> u64 {
                    n
                }
            )
        ));
        assert!(none(
            quote!(playback = "operation", skip_all),
            quote!(
                fn f(n: u64) {}
            )
        ));
        assert!(none(
            op.clone(),
            quote!(
                fn g<T: Default>(n: T) {}
            )
        ));
        assert!(none(
            op.clone(),
            quote!(
                fn h(n: impl Into<u64>) {}
            )
        ));
        assert!(none(
            op.clone(),
            quote!(
                fn new(n: u64) -> Self {
                    todo!()
                }
            )
        ));
        assert!(none(
            op.clone(),
            quote!(
                fn p((a, b): (u8, u8)) {}
            )
        ));
        assert!(none(
            quote!(playback = "input"),
            quote!(
                fn i(n: u64) -> u64 {
                    n
                }
            )
        ));
        assert!(none(
            quote!(playback = "operation", with(n = C)),
            quote!(
                fn c(n: u64) {}
            )
        ));
    }
}
