//! Code generation for `#[playback::instrument]`.
//!
//! The function keeps its signature and attributes; `#[::tracing::instrument(..)]` is put first
//! with every non-playback argument, and the body is rewritten into the shapes of
//! `docs/src/macro-expansion.md` (the original body is emitted exactly once, inside a closure
//! or an async block).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens as _, quote};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::visit::Visit;
use syn::{
    Block, Expr, ExprAsync, GenericArgument, Ident, ItemFn, PathArguments, ReturnType, Signature,
    Stmt, Token, Type, TypeParamBound,
};

use crate::attr::{Args, Kind};
use crate::body::{Body, items, rewrite, tracing_args};
use crate::register::registration;
use crate::signature::{keys, signature};

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
pub(crate) enum Shape {
    Sync,
    Async,
    AsyncTrait,
}

/// One recorded argument (or one binding of a destructured argument).
pub(crate) struct Key {
    /// The recorded name (the binding, without `r#`).
    pub(crate) name: String,
    /// The binding as written.
    pub(crate) ident: Ident,
    /// The argument is a plain binding of a `&T`/`&mut T`: it is passed on as `&*arg`.
    pub(crate) deref: bool,
    /// `with(arg = Codec)`.
    pub(crate) codec: Option<Type>,
}

pub(crate) fn expand(args: TokenStream, mut func: ItemFn) -> syn::Result<TokenStream> {
    let mut args = Args::parse(args)?;
    args.auto_skip = crate::state::skip_framework_state(&func.sig, &mut args);
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
pub(crate) fn check_signature(sig: &Signature) -> syn::Result<()> {
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
