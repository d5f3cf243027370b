//! Medicare Part B outpatient therapy policy.
//!
//! - Timed-code units by the 8-minute total-time rule, with allocation
//!   (CMS 100-04 ch.5 20.2).
//! - Service-based codes at one unit a day.
//! - NCCI procedure-to-procedure edits and medically unlikely edits, looked
//!   up in the host's reference tables.
//! - GP/GO/GN on always-therapy codes (CMS 100-04 ch.5 20.1).
//! - Bundled codes such as 97010 never paid separately; codes Medicare does
//!   not recognise, such as 97014, billed as their replacement.
//! - CQ/CO for services an assistant furnished beyond the de minimis share,
//!   paid at the configured percentage.
//! - Liability modifiers: GY and GZ lines denied (patient and provider
//!   liable), GA moving a medical-necessity denial to the patient.
//! - The therapy (KX) threshold and the targeted medical review threshold.
//! - Non-participating providers at 95%, and the limiting charge.
//! - The Part B deductible before coinsurance, and sequestration.
//! - Plan-of-care documentation: progress reports, certification, goals.
//! - Expected allowed amount and payment from the configured fee schedule.

mod assistants;
mod config;
mod documentation;
mod liability;
mod lines;
mod pricing;
mod rules;
mod threshold;
mod timed;

use payrules_pdk::{
    Claim, ConfigError, EvaluationError, Outcome, PayerPolicy, PluginInfo, ReferenceData, export_policy,
};

pub use config::MedicareConfig;
use config::Settings;
use payrules_pdk::ncci::NcciRules;
use payrules_pdk::pipeline::{self, Stage, Step};

/// The Medicare policy, configured.
#[derive(Debug)]
pub struct Medicare {
    settings: Settings,
}

impl PayerPolicy for Medicare {
    type Config = MedicareConfig;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("medicare", env!("CARGO_PKG_VERSION"), rules::RULES)
    }

    fn configure(config: MedicareConfig) -> Result<Self, ConfigError> {
        Ok(Medicare { settings: Settings::try_from(config)? })
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        pipeline::run(self, STEPS, claim, data)
    }

    fn reference_locality(&self) -> Option<&str> {
        self.settings.pricing.as_ref().map(|p| p.locality.as_str())
    }
}

/// The policy's steps, in the order they run.
const STEPS: &[Step<Medicare>] = &[
    Step::new(Stage::Codes, "codes, bundled codes and therapy modifiers", |p, ev| {
        lines::check_codes(&p.settings, ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Codes, "liability modifiers: GA, GY, GZ", |p, ev| {
        liability::check_liability(&p.settings, ev);
        Ok(())
    }),
    Step::new(Stage::Bundling, "NCCI edits", |p, ev| {
        let ncci = NcciRules {
            ptp: rules::NCCI_PTP,
            same_block: rules::NCCI_SAME_BLOCK,
            one_evaluation: rules::ONE_EVALUATION,
            evaluation_families: &p.settings.evaluation_families,
            mue: rules::MUE,
            unavailable: rules::NCCI_UNAVAILABLE,
            denials: &p.settings.denials,
        };
        payrules_pdk::ncci::check_edits(&ncci, ev.claim, ev.data, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Units, "8-minute rule", |p, ev| {
        timed::check_units(&p.settings, ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Units, "assistants and CQ/CO", |p, ev| {
        assistants::check_assistants(&p.settings, ev.claim, &ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Pricing, "fee schedule and CQ/CO percentage", |p, ev| pricing::price_lines(&p.settings, ev)),
    Step::new(Stage::Limits, "therapy threshold (KX) and medical review", |p, ev| {
        threshold::check_threshold(&p.settings, ev)
    }),
    Step::new(Stage::CostSharing, "coinsurance and sequestration", |p, ev| pricing::cost_sharing(&p.settings, ev)),
    Step::new(Stage::Documentation, "plan of care and progress reports", |_, ev| {
        documentation::check_documentation(ev.claim, &mut ev.findings);
        Ok(())
    }),
];

export_policy!(Medicare);
#[cfg(test)]
mod probe_tests {
    use super::*;
    #[test]
    fn probe() {
        let info = Medicare::describe();
        assert!(info.rules.len() > 10);
        let m: Medicare = payrules_pdk::configure_from_json(r#"{"coinsurance_percent": 20}"#).unwrap();
        let _ = m;
    }
}
