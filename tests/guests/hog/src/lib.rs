//! Test plugin: allocates without bound on a claim whose id starts with `hog`,
//! and returns an empty outcome otherwise. The host's memory cap must stop it.

use payrules_pdk::{
    Claim, ConfigError, EvaluationError, Outcome, PayerPolicy, PluginInfo, ReferenceData, export_policy,
};

/// Eats memory on a `hog` claim.
pub struct Hog;

impl PayerPolicy for Hog {
    type Config = serde::de::IgnoredAny;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("test-hog", env!("CARGO_PKG_VERSION"), &[])
    }

    fn configure(_config: Self::Config) -> Result<Self, ConfigError> {
        Ok(Hog)
    }

    fn evaluate(&self, claim: &Claim, _data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        while claim.id.starts_with("hog") {
            hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
        }
        drop(hoard);
        // One result per line, as the host requires of every outcome.
        let work = claim.lines.iter().map(payrules_pdk::work::LineWork::new);
        let lines = work.map(|w| w.result(payrules_pdk::Money::ZERO, payrules_pdk::Money::ZERO, Vec::new())).collect();
        Ok(Outcome { lines, findings: Vec::new() })
    }
}

export_policy!(Hog);
