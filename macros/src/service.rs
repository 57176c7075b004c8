//! `#[playback::service]` on an `impl` block: its operation methods and associated functions
//! register for automatic replay through their type, with `self` and the state they take by
//! type filled from the `Replayer`'s provided values.

use proc_macro2::TokenStream;
use quote::{ToTokens as _, quote};
use syn::{Attribute, ImplItem, ItemImpl, Meta};

use crate::attr::{Args, Kind};
use crate::expand::Shape;
use crate::register;
use crate::state::skip_framework_state;

/// The attribute's entry point.
pub(crate) fn service(args: TokenStream, item: TokenStream) -> TokenStream {
    if let Some(first) = args.into_iter().next() {
        return syn::Error::new_spanned(
            first,
            "#[playback::service] takes no arguments: put the operation's arguments on its \
             #[playback::instrument(..)]",
        )
        .into_compile_error();
    }
    let mut imp: ItemImpl = match syn::parse2(item) {
        Ok(imp) => imp,
        Err(error) => return error.into_compile_error(),
    };
    match expand(&mut imp) {
        Ok(registrations) => quote! {
            #imp
            const _: () = { #(#registrations)* };
        },
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#error #imp)
        }
    }
}

/// Whether an attribute is `#[playback::instrument(..)]` (or a path ending in it, when the
/// facade is renamed).
fn is_instrument(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    matches!(segments.as_slice(), [.., p, i] if p == "playback" && i == "instrument")
}

fn expand(imp: &mut ItemImpl) -> syn::Result<Vec<TokenStream>> {
    let generic = !imp.generics.params.is_empty();
    let self_ty = (*imp.self_ty).clone();
    let mut registrations = Vec::new();
    for item in &mut imp.items {
        let ImplItem::Fn(method) = item else {
            continue;
        };
        let Some(attr) = method.attrs.iter_mut().find(|a| is_instrument(a)) else {
            continue;
        };
        let Meta::List(list) = &mut attr.meta else {
            continue;
        };
        let mut args = Args::parse(list.tokens.clone())?;
        if args.kind != Kind::Operation || !args.register {
            continue;
        }
        // The method is registered here, through its type; its own attribute must not try
        // to register it as a free function.
        let tokens = &list.tokens;
        list.tokens = quote!(#tokens, register = false);
        if generic {
            continue;
        }
        let shape = if method.sig.asyncness.is_some() {
            Shape::Async
        } else {
            Shape::Sync
        };
        args.auto_skip = skip_framework_state(&method.sig, &mut args);
        let ident = &method.sig.ident;
        let callee = quote!(<#self_ty>::#ident);
        registrations.push(register::emit(
            &method.sig,
            &args,
            shape,
            Some(&self_ty),
            callee.into_token_stream(),
        ));
    }
    Ok(registrations)
}
