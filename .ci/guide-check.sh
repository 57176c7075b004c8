#!/usr/bin/env bash
# Builds the guide (docs/, an mdBook) and checks its links. The guide's Rust code blocks
# are not run here: they are doctests of the `playback` crate (src/guide.rs), run by
# `cargo test`.
#
#   bash .ci/guide-check.sh        (output: docs/book/, which git ignores)
#
# Installs mdBook with cargo when the pinned version is missing, once; later runs find it
# in ~/.cargo/bin. Without default features (no `serve`, `watch` or `search`: none is
# needed to build the book, and they bring tokio, axum and notify) the install takes
# 150-220 s of CPU: 2 min 17 s on a 2-core machine, up to 6 min 47 s while other builds
# shared it (load average 5).
# Fails on any mdBook error or warning, on a chapter missing from SUMMARY.md or from
# src/guide.rs (whose doctests run the chapters' code), and on a broken relative link or
# anchor in docs/src/*.md and README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# 0.5.4 needs rustc 1.88 or newer; the workspace's toolchain is 1.95.
MDBOOK_VERSION=0.5.4

if [ "$(mdbook --version 2>/dev/null || true)" != "mdbook v$MDBOOK_VERSION" ]; then
    echo "guide-check: installing mdbook $MDBOOK_VERSION"
    start=$(date +%s)
    cargo install mdbook --locked --version "$MDBOOK_VERSION" --no-default-features --quiet
    echo "guide-check: mdbook installed in $(( $(date +%s) - start )) s"
fi
mdbook --version

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! mdbook build docs >"$log" 2>&1; then
    cat "$log"
    echo "guide-check: FAILED: mdbook build docs" >&2
    exit 1
fi
if grep -E '(^| )(WARN|ERROR)( |$)' "$log"; then
    echo "guide-check: FAILED: mdbook build docs printed warnings or errors (above)" >&2
    exit 1
fi

# Links: mdBook does not check them. Relative links are checked from the file that holds
# them (they also work when browsing the repository); anchors into Markdown files are
# checked against the target's headings, with GitHub's slugs (mdBook's are the same for
# these headings).
python3 - <<'PY'
import os, re, sys

def slug(heading):
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")

def outside_code(lines):
    """(line number, line) for the lines outside fenced code blocks."""
    out, fence = [], None
    for no, line in enumerate(lines, 1):
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1).startswith(fence):
                fence = None
            continue
        if fence is None:
            out.append((no, line))
    return out

anchors_cache = {}
def anchors(path):
    if path not in anchors_cache:
        seen, found = {}, set()
        with open(path, encoding="utf-8") as f:
            for _, line in outside_code(f.read().split("\n")):
                m = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
                if m:
                    s = slug(m.group(1).replace("`", ""))
                    n = seen.get(s, 0)
                    seen[s] = n + 1
                    found.add(s if n == 0 else f"{s}-{n}")
        anchors_cache[path] = found
    return anchors_cache[path]

files = ["README.md"] + sorted(
    os.path.join("docs/src", f) for f in os.listdir("docs/src") if f.endswith(".md"))
errors = []
link = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
for path in files:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for no, line in outside_code(lines):
        for target in link.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(dest):
                errors.append(f"{path}:{no}: broken link {target} ({dest} does not exist)")
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                errors.append(f"{path}:{no}: broken anchor {target} (no heading #{anchor} in {dest})")

summary = open("docs/src/SUMMARY.md", encoding="utf-8").read()
listed = set(re.findall(r"\]\(([^)#]+)", summary))
for f in sorted(os.listdir("docs/src")):
    if f.endswith(".md") and f != "SUMMARY.md" and f not in listed:
        errors.append(f"docs/src/{f}: not listed in docs/src/SUMMARY.md, so not in the book")

guide_rs = open("src/guide.rs", encoding="utf-8").read()
for f in sorted(os.listdir("docs/src")):
    if f.endswith(".md") and f != "SUMMARY.md" and f'include_str!("../docs/src/{f}")' not in guide_rs:
        errors.append(f"docs/src/{f}: not included in src/guide.rs, so its Rust code blocks are not tested")

for e in errors:
    print(e)
if errors:
    sys.exit(f"guide-check: FAILED: {len(errors)} link problem(s)")
print(f"guide-check: links ok in {len(files)} files")
PY

echo "guide-check: ok (docs/book/index.html)"
