//! Parsing of the `#[playback::instrument(...)]` arguments.
//!
//! The attribute is parsed as `Punctuated<Meta, Token![,]>`. Our own keys are taken out; every
//! other item (all of `#[tracing::instrument]`'s arguments) is kept verbatim for tracing. `skip(..)`
//! and `skip_all` are read (and also kept) so that the recorded key leaves out exactly the
//! arguments that tracing leaves out of the span's fields.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitStr, Meta, Token, Type};

/// What `playback = "..."` says the function is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A unit of work that becomes one recording.
    Operation,
    /// A call whose return value is recorded and replayed.
    Input,
    /// A call whose arguments are recorded and checked on replay.
    Output,
}

impl Kind {
    /// The words used in error messages ("an input").
    fn described(self) -> &'static str {
        match self {
            Kind::Operation => "an operation",
            Kind::Input => "an input",
            Kind::Output => "an output",
        }
    }
}

/// What an input does on replay when no recorded value matches (`on_missing = "..."`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnMissing {
    /// Fail the replay (the default).
    Fail,
    /// Run the real body.
    Live,
    /// Return `Default::default()`.
    Default,
}

/// One `with(arg = Codec)` entry.
#[derive(Debug)]
pub(crate) struct WithArg {
    /// The argument (binding) name.
    pub(crate) arg: Ident,
    /// The type implementing `playback::Codec<ArgTy>`.
    pub(crate) codec: Type,
}

/// A playback-only key and the span of the key itself, for errors.
#[derive(Debug)]
struct Keyed<T> {
    value: T,
    key: Span,
}

/// The parsed attribute.
#[derive(Debug)]
pub(crate) struct Args {
    /// `playback = "..."`.
    pub(crate) kind: Kind,
    /// `alias = "..."`.
    pub(crate) alias: Option<LitStr>,
    /// `category = "..."` (operations).
    pub(crate) category: Option<LitStr>,
    /// `on_missing = "..."` (inputs).
    pub(crate) on_missing: OnMissing,
    /// `fallback_aliases = [..]` (inputs).
    pub(crate) fallback_aliases: Vec<LitStr>,
    /// `fail_on_missing = bool` (outputs).
    pub(crate) fail_on_missing: bool,
    /// `register = bool` (operations): register for automatic replay (default true).
    pub(crate) register: bool,
    /// `with = Codec` for the return value.
    pub(crate) with_ret: Option<Type>,
    /// `with(arg = Codec, ..)`.
    pub(crate) with_args: Vec<WithArg>,
    /// The names in `skip(..)`.
    pub(crate) skip: Vec<Ident>,
    /// `skip_all` was given.
    pub(crate) skip_all: bool,
    /// Every item that is not ours, verbatim, for `#[::tracing::instrument(..)]`.
    pub(crate) tracing: Vec<Meta>,
    /// Arguments skipped by type (framework state), added to tracing's `skip(..)`.
    pub(crate) auto_skip: Vec<Ident>,
}

/// Collects several errors so the user sees all of them at once.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Fields filled while reading the attribute, checked once every item is seen.
#[derive(Default)]
struct Draft {
    kind: Option<Keyed<Kind>>,
    /// A `playback` key was seen, even one with a bad value (already reported).
    saw_playback: bool,
    alias: Option<Keyed<LitStr>>,
    category: Option<Keyed<LitStr>>,
    on_missing: Option<Keyed<OnMissing>>,
    fallback_aliases: Option<Keyed<Vec<LitStr>>>,
    fail_on_missing: Option<Keyed<bool>>,
    register: Option<Keyed<bool>>,
    with_ret: Option<Keyed<Type>>,
    with_args: Option<Keyed<Vec<WithArg>>>,
    skip: Vec<Ident>,
    skip_all: bool,
    tracing: Vec<Meta>,
}

impl Args {
    /// Parses the attribute's tokens (what is inside `#[playback::instrument(...)]`).
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
        let mut draft = Draft::default();
        let mut errors = Errors::default();
        for meta in metas {
            if let Err(error) = draft.take(meta) {
                errors.push(error);
            }
        }
        let args = draft.check(&mut errors);
        errors.finish()?;
        args.ok_or_else(|| syn::Error::new(Span::call_site(), "invalid playback arguments"))
    }
}

impl Draft {
    /// Reads one item of the attribute.
    fn take(&mut self, meta: Meta) -> syn::Result<()> {
        let Some(key) = meta.path().get_ident().map(Ident::to_string) else {
            self.tracing.push(meta);
            return Ok(());
        };
        let span = meta.path().span();
        match key.as_str() {
            "playback" => {
                self.saw_playback = true;
                let lit = lit_str(&meta, "playback", "\"operation\"")?;
                let kind = match lit.value().as_str() {
                    "operation" => Kind::Operation,
                    "input" => Kind::Input,
                    "output" => Kind::Output,
                    other => {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!(
                                "unknown playback value \"{other}\": expected \"operation\", \"input\" or \"output\""
                            ),
                        ));
                    }
                };
                set(&mut self.kind, "playback", span, kind)
            }
            "alias" => {
                let lit = lit_str(&meta, "alias", "\"my_crate::load_cart\"")?;
                if lit.value().is_empty() {
                    return Err(syn::Error::new(
                        lit.span(),
                        "`alias` is empty: give a name, or leave `alias` out to use the function's path",
                    ));
                }
                set(&mut self.alias, "alias", span, lit)
            }
            "category" => {
                let lit = lit_str(&meta, "category", "\"checkout\"")?;
                if lit.value().is_empty() {
                    return Err(syn::Error::new(
                        lit.span(),
                        "`category` is empty: give a name, or leave `category` out",
                    ));
                }
                set(&mut self.category, "category", span, lit)
            }
            "on_missing" => {
                let lit = lit_str(&meta, "on_missing", "\"fail\"")?;
                let on_missing = match lit.value().as_str() {
                    "fail" => OnMissing::Fail,
                    "live" => OnMissing::Live,
                    "default" => OnMissing::Default,
                    other => {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!(
                                "unknown `on_missing` value \"{other}\": expected \"fail\", \"live\" or \"default\""
                            ),
                        ));
                    }
                };
                set(&mut self.on_missing, "on_missing", span, on_missing)
            }
            "fallback_aliases" => {
                let aliases = string_array(&meta)?;
                set(
                    &mut self.fallback_aliases,
                    "fallback_aliases",
                    span,
                    aliases,
                )
            }
            "fail_on_missing" => {
                let value = lit_bool(&meta)?;
                set(&mut self.fail_on_missing, "fail_on_missing", span, value)
            }
            "register" => {
                let value = lit_bool(&meta)?;
                set(&mut self.register, "register", span, value)
            }
            "with" => match &meta {
                Meta::NameValue(nv) => {
                    let codec = codec_path(&nv.value)?;
                    set(&mut self.with_ret, "with = ..", span, codec)
                }
                Meta::List(list) => {
                    let entries = list.parse_args_with(with_entries)?;
                    set(&mut self.with_args, "with(..)", span, entries)
                }
                Meta::Path(_) => Err(syn::Error::new(
                    span,
                    "expected `with = CodecType` (for the return value) or `with(arg = CodecType, ..)` (for arguments)",
                )),
            },
            "skip" => {
                self.skip.extend(skip_names(&meta)?);
                self.tracing.push(meta);
                Ok(())
            }
            "skip_all" => {
                self.skip_all = true;
                self.tracing.push(meta);
                Ok(())
            }
            _ => {
                self.tracing.push(meta);
                Ok(())
            }
        }
    }

    /// Checks what depends on several keys; returns `None` when an error was pushed.
    fn check(self, errors: &mut Errors) -> Option<Args> {
        let Some(kind) = self.kind else {
            if self.saw_playback {
                return None;
            }
            errors.push(syn::Error::new(
                Span::call_site(),
                "missing `playback = \"...\"`: say what this function is with `playback = \"operation\"`, \
                 `playback = \"input\"` or `playback = \"output\"` (for a plain span, use `#[tracing::instrument]`)",
            ));
            return None;
        };
        let kind = kind.value;
        let mut wrong = |key: &str, at: Option<Span>, applies: Kind, hint: &str| {
            if let Some(at) = at
                && kind != applies
            {
                errors.push(syn::Error::new(
                    at,
                    format!(
                        "`{key}` only applies to {} (`playback = \"{}\"`), and this function is {}{hint}",
                        plural(applies),
                        value(applies),
                        kind.described(),
                    ),
                ));
            }
        };
        wrong(
            "category",
            self.category.as_ref().map(|k| k.key),
            Kind::Operation,
            ": remove it",
        );
        let on_missing_hint = if kind == Kind::Output {
            ": for an output, use `fail_on_missing = false`"
        } else {
            ": remove it"
        };
        wrong(
            "on_missing",
            self.on_missing.as_ref().map(|k| k.key),
            Kind::Input,
            on_missing_hint,
        );
        wrong(
            "fallback_aliases",
            self.fallback_aliases.as_ref().map(|k| k.key),
            Kind::Input,
            ": remove it",
        );
        let fail_hint = if kind == Kind::Input {
            ": for an input, use `on_missing = \"default\"` or `on_missing = \"live\"`"
        } else {
            ": remove it"
        };
        wrong(
            "fail_on_missing",
            self.fail_on_missing.as_ref().map(|k| k.key),
            Kind::Output,
            fail_hint,
        );
        wrong(
            "register",
            self.register.as_ref().map(|k| k.key),
            Kind::Operation,
            ": remove it",
        );
        Some(Args {
            kind,
            alias: self.alias.map(|k| k.value),
            category: self.category.map(|k| k.value),
            on_missing: self.on_missing.map_or(OnMissing::Fail, |k| k.value),
            fallback_aliases: self.fallback_aliases.map(|k| k.value).unwrap_or_default(),
            fail_on_missing: self.fail_on_missing.is_none_or(|k| k.value),
            register: self.register.is_none_or(|k| k.value),
            with_ret: self.with_ret.map(|k| k.value),
            with_args: self.with_args.map(|k| k.value).unwrap_or_default(),
            skip: self.skip,
            skip_all: self.skip_all,
            tracing: self.tracing,
            auto_skip: Vec::new(),
        })
    }
}

fn plural(kind: Kind) -> &'static str {
    match kind {
        Kind::Operation => "operations",
        Kind::Input => "inputs",
        Kind::Output => "outputs",
    }
}

fn value(kind: Kind) -> &'static str {
    match kind {
        Kind::Operation => "operation",
        Kind::Input => "input",
        Kind::Output => "output",
    }
}

/// Stores a key's value, or reports a duplicate at the second key.
fn set<T>(slot: &mut Option<Keyed<T>>, name: &str, key: Span, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key,
            format!("duplicate `{name}` argument: give it once"),
        ));
    }
    *slot = Some(Keyed { value, key });
    Ok(())
}

/// `key = "string"`.
fn lit_str(meta: &Meta, key: &str, example: &str) -> syn::Result<LitStr> {
    if let Meta::NameValue(nv) = meta {
        if let Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) = &nv.value
        {
            return Ok(lit.clone());
        }
        return Err(syn::Error::new(
            nv.value.span(),
            format!("expected a string literal, as in `{key} = {example}`"),
        ));
    }
    Err(syn::Error::new(
        meta.span(),
        format!("expected `{key} = {example}`"),
    ))
}

/// `fail_on_missing = true|false`, `register = true|false`.
fn lit_bool(meta: &Meta) -> syn::Result<bool> {
    if let Meta::NameValue(nv) = meta {
        if let Expr::Lit(ExprLit {
            lit: Lit::Bool(LitBool { value, .. }),
            ..
        }) = &nv.value
        {
            return Ok(*value);
        }
        return Err(syn::Error::new(
            nv.value.span(),
            "expected `true` or `false`, as in `fail_on_missing = false`",
        ));
    }
    let key = meta
        .path()
        .get_ident()
        .map_or_else(|| "fail_on_missing".to_owned(), ToString::to_string);
    Err(syn::Error::new(
        meta.span(),
        format!("expected `{key} = true` or `{key} = false`"),
    ))
}

/// `fallback_aliases = ["a", "b"]`.
fn string_array(meta: &Meta) -> syn::Result<Vec<LitStr>> {
    const EXPECTED: &str = "expected a list of strings, as in `fallback_aliases = [\"old::name\"]`";
    let Meta::NameValue(nv) = meta else {
        return Err(syn::Error::new(meta.span(), EXPECTED));
    };
    let Expr::Array(array) = &nv.value else {
        return Err(syn::Error::new(nv.value.span(), EXPECTED));
    };
    array
        .elems
        .iter()
        .map(|elem| match elem {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) if !lit.value().is_empty() => Ok(lit.clone()),
            other => Err(syn::Error::new(
                other.span(),
                "expected a non-empty string literal (an alias this input was recorded under)",
            )),
        })
        .collect()
}

/// `with = path::To::Codec` (an expression path, so generic codecs need `Codec::<T>`).
fn codec_path(value: &Expr) -> syn::Result<Type> {
    match value {
        Expr::Path(path) if path.attrs.is_empty() => Ok(Type::Path(syn::TypePath {
            qself: path.qself.clone(),
            path: path.path.clone(),
        })),
        other => Err(syn::Error::new(
            other.span(),
            "expected the path of a type implementing `playback::Codec<ReturnType>`, as in `with = my_codecs::AsString` \
             (write generic codecs as `Codec::<T>`)",
        )),
    }
}

/// The inside of `with(arg = Codec, ..)`: duplicate argument names are reported.
fn with_entries(input: ParseStream<'_>) -> syn::Result<Vec<WithArg>> {
    let mut entries: Vec<WithArg> = Vec::new();
    while !input.is_empty() {
        let arg = Ident::parse_any(input)?;
        input.parse::<Token![=]>()?;
        let codec: Type = input.parse()?;
        if entries.iter().any(|entry| entry.arg == arg) {
            return Err(syn::Error::new(
                arg.span(),
                format!("duplicate `with({arg} = ..)`: give one codec per argument"),
            ));
        }
        entries.push(WithArg { arg, codec });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(entries)
}

/// The names in `skip(a, b, self)`; `self` is a keyword, hence `parse_any`.
fn skip_names(meta: &Meta) -> syn::Result<Vec<Ident>> {
    let Meta::List(list) = meta else {
        // tracing reports its own error for a malformed `skip`.
        return Ok(Vec::new());
    };
    let names = list.parse_args_with(|input: ParseStream<'_>| {
        Punctuated::<Ident, Token![,]>::parse_terminated_with(input, Ident::parse_any)
    })?;
    Ok(names.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> syn::Result<Args> {
        Args::parse(tokens)
    }

    fn error(tokens: TokenStream) -> String {
        match parse(tokens) {
            Ok(args) => panic!("expected an error, parsed {args:?}"),
            Err(error) => error
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    #[test]
    fn parses_every_playback_key_of_an_input() {
        let args = parse(quote! {
            playback = "input", alias = "shop::load", on_missing = "live",
            fallback_aliases = ["old::load", "older::load"], with = codecs::AsText,
            with(db = codecs::DbId, self = codecs::Me)
        })
        .unwrap();
        assert_eq!(args.kind, Kind::Input);
        assert_eq!(args.alias.unwrap().value(), "shop::load");
        assert_eq!(args.on_missing, OnMissing::Live);
        let fallbacks: Vec<String> = args.fallback_aliases.iter().map(LitStr::value).collect();
        assert_eq!(fallbacks, ["old::load", "older::load"]);
        let with_ret = args.with_ret.unwrap();
        assert_eq!(quote!(#with_ret).to_string(), "codecs :: AsText");
        let with_args: Vec<String> = args.with_args.iter().map(|w| w.arg.to_string()).collect();
        assert_eq!(with_args, ["db", "self"]);
        assert!(args.tracing.is_empty());
        assert!(args.fail_on_missing);
    }

    #[test]
    fn defaults_apply_when_keys_are_left_out() {
        let args = parse(quote!(playback = "output")).unwrap();
        assert_eq!(args.kind, Kind::Output);
        assert!(args.alias.is_none());
        assert_eq!(args.on_missing, OnMissing::Fail);
        assert!(args.fail_on_missing);
        assert!(args.fallback_aliases.is_empty());
        assert!(args.with_ret.is_none() && args.with_args.is_empty());
        let args = parse(quote!(playback = "output", fail_on_missing = false)).unwrap();
        assert!(!args.fail_on_missing);
    }

    #[test]
    fn tracing_arguments_pass_through_verbatim_in_order() {
        let args = parse(quote! {
            name = "load", target = "shop", level = "debug", skip(db), fields(table = "carts", otel.kind = ?k),
            playback = "input", err(Display), ret(level = "debug"), parent = None, follows_from = [a, b]
        })
        .unwrap();
        let passed: Vec<String> = args
            .tracing
            .iter()
            .map(|m| quote!(#m).to_string())
            .collect();
        assert_eq!(
            passed,
            [
                "name = \"load\"",
                "target = \"shop\"",
                "level = \"debug\"",
                "skip (db)",
                "fields (table = \"carts\" , otel . kind = ? k)",
                "err (Display)",
                "ret (level = \"debug\")",
                "parent = None",
                "follows_from = [a , b]",
            ]
        );
    }

    #[test]
    fn skip_self_is_parsed_as_a_name() {
        let args = parse(quote!(playback = "input", skip(self, db), skip_all)).unwrap();
        let skipped: Vec<String> = args.skip.iter().map(Ident::to_string).collect();
        assert_eq!(skipped, ["self", "db"]);
        assert!(args.skip_all);
        assert_eq!(
            args.tracing.len(),
            2,
            "skip and skip_all are still passed to tracing"
        );
    }

    #[test]
    fn missing_playback_key_lists_the_allowed_values() {
        let message = error(quote!(name = "load"));
        assert!(
            message.starts_with("missing `playback = \"...\"`"),
            "{message}"
        );
        assert!(
            message.contains("\"operation\"")
                && message.contains("\"input\"")
                && message.contains("\"output\""),
            "{message}"
        );
    }

    #[test]
    fn unknown_playback_value_is_reported() {
        let message = error(quote!(playback = "inptu"));
        assert_eq!(
            message,
            "unknown playback value \"inptu\": expected \"operation\", \"input\" or \"output\""
        );
        let message = error(quote!(playback = input));
        assert_eq!(
            message,
            "expected a string literal, as in `playback = \"operation\"`"
        );
    }

    #[test]
    fn duplicate_keys_are_reported_once_per_repeat() {
        let message = error(quote!(
            playback = "input",
            alias = "a",
            alias = "b",
            playback = "output"
        ));
        assert_eq!(
            message,
            "duplicate `alias` argument: give it once\nduplicate `playback` argument: give it once"
        );
        let message = error(quote!(playback = "input", with(a = A, a = B)));
        assert_eq!(
            message,
            "duplicate `with(a = ..)`: give one codec per argument"
        );
        let message = error(quote!(playback = "input", with(a = A), with(b = B)));
        assert_eq!(message, "duplicate `with(..)` argument: give it once");
    }

    #[test]
    fn keys_of_another_kind_are_rejected() {
        let message = error(quote!(playback = "input", category = "checkout"));
        assert_eq!(
            message,
            "`category` only applies to operations (`playback = \"operation\"`), and this function is an input: remove it"
        );
        let message = error(quote!(playback = "output", on_missing = "live"));
        assert_eq!(
            message,
            "`on_missing` only applies to inputs (`playback = \"input\"`), and this function is an output: \
             for an output, use `fail_on_missing = false`"
        );
        let message = error(quote!(playback = "input", fail_on_missing = false));
        assert!(
            message.contains("use `on_missing = \"default\"`"),
            "{message}"
        );
        let message = error(quote!(playback = "operation", fallback_aliases = ["x"]));
        assert!(
            message.starts_with("`fallback_aliases` only applies to inputs"),
            "{message}"
        );
    }

    #[test]
    fn malformed_values_are_reported() {
        assert_eq!(
            error(quote!(playback = "input", on_missing = "skip")),
            "unknown `on_missing` value \"skip\": expected \"fail\", \"live\" or \"default\""
        );
        assert_eq!(
            error(quote!(playback = "output", fail_on_missing = "no")),
            "expected `true` or `false`, as in `fail_on_missing = false`"
        );
        assert!(
            error(quote!(playback = "input", fallback_aliases = "x"))
                .starts_with("expected a list of strings")
        );
        assert!(error(quote!(playback = "input", alias = "")).starts_with("`alias` is empty"));
        assert!(
            error(quote!(playback = "input", with = "Codec"))
                .starts_with("expected the path of a type")
        );
        assert!(error(quote!(playback = "input", with)).starts_with("expected `with = CodecType`"));
    }
}
