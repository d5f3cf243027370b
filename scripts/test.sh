#!/usr/bin/env bash
# Runs every test: builds the plugins the end-to-end tests load, then the
# whole workspace's tests (unit, plugin cases, sandbox, CLI), and ends with
# one line that totals every test binary's results.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown >/dev/null
cargo xtask build-plugins

# pyx12 validates what `payrules fix` writes (tests/all/x12.rs).
if [ ! -x target/pyx12-venv/bin/x12valid ]; then
    python3 -m venv target/pyx12-venv
    target/pyx12-venv/bin/pip install --quiet pyx12==4.0.0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --workspace 2>&1 | tee "$log" || status=$?
total() { grep -E '^test result:' "$log" | grep -oE "[0-9]+ $1" | awk '{s += $1} END {print s + 0}'; }
echo "tests: $(total passed) passed, $(total failed) failed"
exit "$status"
