#!/usr/bin/env bash
# Renders a real comparison report (compare/examples/html_report.rs) in headless
# Chromium and checks that the page renders and shows the differing path, then takes
# a screenshot. Needs the Debian package `chromium` (installed by .ci/run).
#
#   bash .ci/html-check.sh [output-dir]     (default: target/playback-html-check)
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-${CARGO_TARGET_DIR:-target}/playback-html-check}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
page="$out/report.html"

browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
    echo "html-check: FAILED: chromium is not installed (apt-get install -y chromium)" >&2
    exit 1
fi

cargo run --quiet -p playback-compare --example html_report -- "$page" > "$out/summary.txt"

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       "--user-data-dir=$profile")

if ! timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$page" > "$out/dom.html" 2> "$out/chromium.log"; then
    echo "html-check: FAILED: chromium could not render $page; see $out/chromium.log" >&2
    tail -20 "$out/chromium.log" >&2
    exit 1
fi

check() {
    if ! grep -qF -- "$1" "$out/dom.html"; then
        echo "html-check: FAILED: the rendered page does not contain $2 ($1)" >&2
        exit 1
    fi
}
check '<h1>playback report</h1>' "the page title"
check '/result/Ok/lines/1/price' "the differing path"
check 'class="mark-diff" title="/result/Ok/lines/1/price"' "the highlighted differing value"
check 'Paths learned as noise' "the learned noise"
check 'replay failed: input `shop::load_price`' "the failed replay's message"

timeout 120 "$browser" "${flags[@]}" --window-size=1280,1400 --hide-scrollbars \
    "--screenshot=$out/report.png" "file://$page" 2>> "$out/chromium.log"
size="$(stat -c %s "$out/report.png" 2>/dev/null || echo 0)"
if [ "$(head -c 8 "$out/report.png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ] || [ "$size" -lt 20000 ]; then
    echo "html-check: FAILED: the screenshot $out/report.png is missing or empty ($size bytes)" >&2
    exit 1
fi

echo "html-check: ok: the report renders in $("$browser" --version 2>/dev/null | head -1) and shows the differing path; screenshot $out/report.png"
