//! End-to-end tests: the built `.wasm` plugins through the host, and the CLI binary.
//!
//! The plugins must be built first: `scripts/test.sh` does it, or run
//! `cargo xtask build-plugins`.

mod cases;
mod cli;
mod sandbox;
mod support;
