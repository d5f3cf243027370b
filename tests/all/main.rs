//! End-to-end tests: the built `.wasm` plugins through the host, and the CLI binary.
//!
//! The plugins must be built first: `scripts/test.sh` does it, or run
//! `cargo xtask build-plugins`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test that cannot go on should stop with a message"
)]

mod cli;
mod contract;
mod conventions;
mod data;
mod fuzz;
mod golden;
mod hardening;
mod kits;
mod lifecycle;
mod ptp_gen;
mod readme;
mod sandbox;
mod scale;
mod serve;
mod support;
mod x12;
