#!/usr/bin/env bash
# Runs every test: builds the plugins the end-to-end tests load, then the
# whole workspace's tests (unit, plugin cases, sandbox, CLI).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown >/dev/null
cargo xtask build-plugins
cargo test --locked --workspace
