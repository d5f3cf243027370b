//! Commercial payer outpatient therapy policy, configured per payer: the
//! units method, a per-visit unit cap, the payer's own code pairs, modifier
//! rules, visit limits and prior authorisation, the assistant reduction, and
//! a fee schedule.

mod checks;
mod config;
mod pricing;
mod rules;

use payrules_pdk::timed_units::UnitsRules;
use payrules_pdk::work::LineWork;
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
        let settings = &self.settings;
        let mut work: Vec<LineWork> = claim.lines.iter().map(LineWork::new).collect();
        let mut findings = Vec::new();
        checks::check_benefit(settings, claim, &mut work, &mut findings);
        checks::check_modifiers(settings, claim, &mut work, &mut findings);
        let denial = |rule: &str| settings.denial(rule);
        let units = UnitsRules { units: rules::UNITS, minutes_missing: rules::MINUTES_MISSING, denial: &denial };
        payrules_pdk::timed_units::check_units(settings.config.units_method, &units, claim, &mut work, &mut findings);
        checks::check_pairs(settings, claim, &mut work, &mut findings);
        checks::check_cap(settings, claim, &mut work, &mut findings);
        let lines = pricing::price_lines(settings, claim, data, &work, &mut findings);
        Ok(Outcome { lines, findings })
    }
}

export_policy!(Commercial);
