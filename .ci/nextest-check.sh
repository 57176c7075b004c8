#!/usr/bin/env bash
# The recordings as tests under nextest: `tests/recordings.rs` (one test per recording
# of tests/recordings/) run in two hash partitions with the `ci` profile of
# .config/nextest.toml, then the two JUnit reports are checked: every recording ran
# exactly once across the partitions, and every one passed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi
cargo nextest --version | head -1

out=target/nextest-check
rm -rf "$out"
mkdir -p "$out"

# What the test binary lists: one test per recording.
cargo nextest list --all-features --test recordings --message-format json >"$out/list.json"

status=0
for k in 1 2; do
  echo "== partition hash:$k/2"
  cargo nextest run --profile ci --all-features --test recordings \
    --partition "hash:$k/2" --no-tests=warn || status=$?
  cp target/nextest/ci/junit.xml "$out/junit-$k.xml"
done

python3 - "$out" <<'PY'
import json, pathlib, sys, xml.etree.ElementTree as ET

out = pathlib.Path(sys.argv[1])
listed = set()
for suite in json.loads((out / "list.json").read_text())["rust-suites"].values():
    listed.update(suite["testcases"].keys())
files = [p for p in pathlib.Path("tests/recordings").rglob("*.json") if not p.name.startswith(".")]
problems = []
if len(listed) != len(files):
    problems.append(f"{len(files)} recording files but {len(listed)} tests listed")

ran = {}
for k in (1, 2):
    for case in ET.parse(out / f"junit-{k}.xml").iter("testcase"):
        name = case.get("name")
        failed = any(case.find(tag) is not None for tag in ("failure", "error", "flakyFailure", "rerunFailure"))
        skipped = case.find("skipped") is not None
        ran.setdefault(name, []).append((k, failed, skipped))

for name in sorted(listed):
    runs = ran.get(name, [])
    if len(runs) != 1:
        problems.append(f"{name} ran {len(runs)} times {[k for k, _, _ in runs]}")
    elif runs[0][1]:
        problems.append(f"{name} failed (partition {runs[0][0]})")
    elif runs[0][2]:
        problems.append(f"{name} was skipped (partition {runs[0][0]})")
for name in sorted(set(ran) - listed):
    problems.append(f"{name} ran but is not listed")

per_partition = {k: sum(1 for runs in ran.values() for r in runs if r[0] == k) for k in (1, 2)}
if problems:
    print("nextest check FAILED:")
    for p in problems:
        print("  " + p)
    sys.exit(1)
print(f"nextest check: {len(listed)} recordings, each ran once and passed "
      f"(partition 1: {per_partition[1]}, partition 2: {per_partition[2]})")
PY
exit "$status"
