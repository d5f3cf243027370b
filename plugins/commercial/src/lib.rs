//! Commercial payer outpatient therapy policy, configured per payer: the
//! units method, a per-visit unit cap, the payer's own code pairs, modifier
//! rules, visit limits and prior authorisation, the assistant reduction, and
//! a fee schedule.

mod checks;
mod config;
mod pricing;
mod rules;

use payrules_pdk::pipeline::{self, Stage, Step};
use payrules_pdk::timed_units::UnitsRules;
use payrules_pdk::{
    Claim, ConfigError, EvaluationError, Outcome, PayerPolicy, PluginInfo, ReferenceData, export_policy,
};

pub use config::CommercialConfig;

/// A commercial payer's policy, configured.
#[derive(Debug)]
pub struct Commercial {
    settings: config::Settings,
}

impl PayerPolicy for Commercial {
    type Config = CommercialConfig;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("commercial", env!("CARGO_PKG_VERSION"), rules::RULES)
    }

    fn configure(config: CommercialConfig) -> Result<Self, ConfigError> {
        Ok(Commercial { settings: config::Settings::try_from(config)? })
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        pipeline::run(self, STEPS, claim, data)
    }

    fn reference_locality(&self) -> Option<&str> {
        self.settings.medicare_pricing.as_ref().map(|(_, p)| p.locality.as_str())
    }
}

/// The policy's steps, in the order they run.
const STEPS: &[Step<Commercial>] = &[
    Step::new(Stage::Eligibility, "visit limits and prior authorisation", |p, ev| {
        checks::check_benefit(&p.settings, ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Codes, "therapy modifiers and modifier 52", |p, ev| {
        checks::check_modifiers(&p.settings, ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Bundling, "payer code pairs and overlapping time", |p, ev| {
        checks::check_pairs(&p.settings, ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Units, "units by the payer's method", |p, ev| {
        let settings = &p.settings;
        let units =
            UnitsRules { units: rules::UNITS, minutes_missing: rules::MINUTES_MISSING, denials: &settings.denials };
        let method = settings.config.units_method;
        payrules_pdk::timed_units::check_units(method, &units, ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Caps, "units per visit", |p, ev| {
        checks::check_cap(&p.settings, ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Pricing, "contracted rate or percent of Medicare", |p, ev| pricing::price_lines(&p.settings, ev)),
    Step::new(Stage::CostSharing, "coinsurance", |p, ev| {
        let percent = p.settings.config.coinsurance_percent;
        ev.each_priced(|amounts, _| amounts.coinsurance(percent, ""))
    }),
];

export_policy!(Commercial);
