#!/usr/bin/env bash
# Sets up a fresh machine and runs payrules on the bundled examples:
# installs the wasm32 target, builds the plugins to components, builds the
# CLI, then checks every example claim against the bundled rule set, and
# writes an example 837P back with its fixes applied.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown >/dev/null
cargo xtask build-plugins
cargo build --locked --bin payrules
# Exit code 1 only means some example claims have error findings, as they should.
status=0
./target/debug/payrules check examples/claims/*.json examples/claims/*.toml examples/x12/therapy-fixes.837 || status=$?
if [ "$status" -gt 1 ]; then exit "$status"; fi
# The same 837P written back with its fixes applied, then checked again: clean.
./target/debug/payrules fix examples/x12/therapy-fixes.837 -o target/therapy-fixes.fixed.837
./target/debug/payrules check target/therapy-fixes.fixed.837
