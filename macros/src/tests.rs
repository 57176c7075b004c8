//! Unit tests of the expansion.

use proc_macro2::TokenStream;
use quote::{ToTokens as _, quote};
use syn::ItemFn;

use crate::attr::Args;
use crate::body::tracing_args;
use crate::expand::expand;

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
    assert!(text(quote!(playback = "output", fail_on_missing = false)).contains(default_return));
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
        reg.contains("ArgOf :: < u64 > :: new ()) . __playback_arg (__playback_rec , \"cart\")"),
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
fn skipped_state_is_taken_from_the_providers_by_type() {
    let reg = registration_of(
        quote!(playback = "operation", skip(db)),
        quote!(
            fn f(db: &Db, n: u64) -> u64 {
                n
            }
        ),
    )
    .expect("a registration");
    assert!(
        reg.contains("__playback_providers . get :: < Db > (\"db\")"),
        "{reg}"
    );
    assert!(
        reg.contains("__playback_arg (__playback_rec , \"n\")"),
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
        quote!(playback = "operation", with(s = C)),
        quote!(
            fn c(s: &str) {}
        )
    ));
}

#[test]
fn a_codec_argument_is_read_back_through_the_codec() {
    let reg = registration_of(
        quote!(playback = "operation", with(n = C)),
        quote!(
            fn c(n: u64) {}
        ),
    )
    .expect("a registration");
    assert!(
        reg.contains("< C as :: playback :: Codec < u64 >> :: replay"),
        "{reg}"
    );
}
