//! Test plugin: loops forever on a claim whose id starts with `loop`, and
//! returns an empty outcome otherwise. The host must stop it and go on.

use payrules_pdk::{
    Claim, ConfigError, EvaluationError, Outcome, PayerPolicy, PluginInfo, ReferenceData, export_policy,
};

/// Never finishes on a `loop` claim.
pub struct Looper;

impl PayerPolicy for Looper {
    type Config = serde::de::IgnoredAny;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("test-looper", env!("CARGO_PKG_VERSION"), &[])
    }

    fn configure(_config: Self::Config) -> Result<Self, ConfigError> {
        Ok(Looper)
    }

    fn evaluate(&self, claim: &Claim, _data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        let mut spins: u64 = 0;
        while claim.id.starts_with("loop") {
            // black_box keeps the optimiser from proving the loop empty.
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
        // One result per line, as the host requires of every outcome.
        let work = claim.lines.iter().map(payrules_pdk::work::LineWork::new);
        let lines = work.map(|w| w.result(payrules_pdk::Money::ZERO, payrules_pdk::Money::ZERO, Vec::new())).collect();
        Ok(Outcome { lines, findings: Vec::new() })
    }
}

export_policy!(Looper);
