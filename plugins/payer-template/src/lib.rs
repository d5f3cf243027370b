//! The payer-template payer policy: timed units by the payer's method (the
//! AMA midpoint rule or Medicare's total-time rule), prices from the payer's
//! fee schedule, and the patient's coinsurance.
//!
//! Change it to the payer's policy, and its test kit (`kit/`) with it.

use std::collections::BTreeMap;

use payrules_pdk::amounts::{self, LineAmounts, Unpriced};
use payrules_pdk::model::ProcedureCode;
use payrules_pdk::pipeline::{self, Stage, Step};
use payrules_pdk::timed_units::{UnitsMethod, UnitsRules, check_units};
use payrules_pdk::{
    Claim, ConfigError, Denials, EvaluationError, Money, Outcome, PayerPolicy, PluginInfo, PriceStep, ReferenceData,
    Rule, Severity, export_policy,
};
use serde::Deserialize;

/// Units billed against the minutes; units over what the minutes support are
/// denied as over the payer's limit.
const UNITS: Rule = Rule::new(
    "TEMPLATE-UNITS",
    Severity::Error,
    "Timed units billed differ from what the minutes support",
    "payer policy (rule set units_method)",
)
.denies("CO-151 N362");
/// A timed line without minutes.
const MINUTES_MISSING: Rule = Rule::new(
    "TEMPLATE-MINUTES-MISSING",
    Severity::Warning,
    "A timed service has no treatment minutes",
    "payer policy",
);
/// A code the schedule does not price.
const PRICE_MISSING: Rule = Rule::new(
    "TEMPLATE-PRICE-MISSING",
    Severity::Warning,
    "A service has no fee on the payer's schedule",
    "rule set fee_schedule",
);

/// Every rule the policy can fire.
const RULES: &[Rule] = &[UNITS, MINUTES_MISSING, PRICE_MISSING];

/// The payer's configuration, from its rule set entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How minutes become units.
    pub units_method: UnitsMethod,
    /// The allowed amount per unit, by code.
    pub fee_schedule: BTreeMap<ProcedureCode, Money>,
    /// The patient's share of the allowed amount, in percent.
    #[serde(default)]
    pub coinsurance_percent: u32,
    /// How the payer reports each rule's denial, e.g. `TEMPLATE-UNITS = "CO-151 N362"`.
    #[serde(default)]
    pub denials: BTreeMap<String, String>,
}

/// The policy, configured.
#[derive(Debug)]
pub struct Policy {
    config: Config,
    denials: Denials,
}

impl PayerPolicy for Policy {
    type Config = Config;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("payer-template", env!("CARGO_PKG_VERSION"), RULES)
    }

    fn configure(config: Config) -> Result<Self, ConfigError> {
        ConfigError::check_percent("coinsurance_percent", config.coinsurance_percent)?;
        let denials = Denials::configure(RULES, &config.denials)?;
        Ok(Policy { config, denials })
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        pipeline::run(self, STEPS, claim, data)
    }
}

/// The policy's steps, in the order they run. Add the payer's own checks
/// as steps in their stage; `pipeline::Stage` gives the order.
const STEPS: &[Step<Policy>] = &[
    Step::new(Stage::Units, "units by the payer's method", |p, ev| {
        let rules = UnitsRules { units: UNITS, minutes_missing: MINUTES_MISSING, denials: &p.denials };
        check_units(p.config.units_method, &rules, ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Pricing, "fee schedule", |p, ev| {
        let mut unpriced = Unpriced::new(PRICE_MISSING);
        for ((line, work), amounts) in ev.claim.lines.iter().zip(&ev.work).zip(&mut ev.amounts) {
            let units = work.allowed();
            let Some(fee) = p.config.fee_schedule.get(&line.procedure) else {
                unpriced.add(line.number, line.procedure.as_str(), "it is not on the payer's fee schedule");
                continue;
            };
            let description = format!("{units} x ${fee} fee schedule");
            let allowed = amounts::times(line.number, *fee, units, &description)?;
            *amounts = LineAmounts::new(line.number, allowed, vec![PriceStep { description, amount: allowed }]);
        }
        ev.findings.extend(unpriced.into_findings());
        Ok(())
    }),
    Step::new(Stage::CostSharing, "coinsurance", |p, ev| {
        let percent = p.config.coinsurance_percent;
        ev.each_priced(|amounts, _| amounts.coinsurance(percent, ""))
    }),
];

export_policy!(Policy);
