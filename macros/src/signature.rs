//! The recorded arguments of an instrumented function, and its signature text (stored
//! with every interception, so replay can tell a stale recording from a changed value).

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens as _;
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{FnArg, Ident, Pat, Signature, Type};

use crate::attr::Args;
use crate::expand::Key;

/// The recorded arguments, in declaration order, and the `name: Type` text of each argument that
/// has at least one recorded binding (for the signature). `self` is never recorded; `skip(..)`
/// and `skip_all` leave arguments out exactly as tracing does.
pub(crate) fn keys(sig: &Signature, args: &Args) -> syn::Result<(Vec<Key>, Vec<String>)> {
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
pub(crate) fn signature(sig: &Signature, args: &[String], ret: &Type) -> String {
    let mut text = format!("fn {}({})", sig.ident.unraw(), args.join(", "));
    let unit = matches!(ret, Type::Tuple(tuple) if tuple.elems.is_empty());
    if !unit {
        text.push_str(" -> ");
        text.push_str(&tokens_to_string(ret.to_token_stream()));
    }
    text
}

/// Renders tokens the way rustfmt would for types and simple patterns (`Result<Vec<u8>, E>`,
/// `&'a mut T`, `dyn Fn(u32) -> u32 + Send`), so the text does not depend on source layout.
pub(crate) fn tokens_to_string(tokens: TokenStream) -> String {
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
