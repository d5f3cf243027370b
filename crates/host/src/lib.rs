//! The payrules runtime: rule sets, routing by payer and date, the wasmtime
//! sandbox, and receipts.
//!
//! ```no_run
//! use payrules_host::{Host, HostOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let host = Host::new(HostOptions::default())?;
//! let rules = host.load_rule_set("examples/rulesets/default.toml".as_ref())?;
//! let mut evaluator = host.evaluator(rules);
//! # let claim: payrules_model::Claim = todo!();
//! let report = evaluator.evaluate(&claim);
//! # Ok(()) }
//! ```

pub mod cache;
mod conformance;
mod contract;
pub mod data;
mod error;
mod failure;
pub mod files;
pub mod impact;
pub mod kit;
pub mod locate;
mod plugin;
mod report;
pub mod routing;
mod ruleset;
mod runtime;
pub mod sandbox;
pub mod signing;

pub use cache::{CacheError, CacheKey, CompileCache};
pub use contract::SUPPORTED_VERSIONS;
pub use error::{ConfigRefusal, HostError, LoadError};
pub use failure::{EvaluationFailure, FailureKind};
pub use plugin::{Plugin, sha256_hex};
pub use report::{ClaimReport, Receipt, Verdict};
pub use ruleset::describe_toml_error;
pub use runtime::{Evaluator, Host, HostOptions, PayerPolicyEntry, RuleSet};
pub use sandbox::SandboxLimits;
