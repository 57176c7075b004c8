//! `#[playback::instrument]` as users meet it: programs that must compile and run
//! (`tests/ui/pass`), and mistakes that must fail with a clear message (`tests/ui/fail`, with
//! the expected compiler output in the `.stderr` files). Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p playback-macros --test ui` and review the diff.

#[test]
fn macro_errors_are_clear() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
