//! State Medicaid outpatient therapy policy, configured per state: visits
//! before prior authorisation, therapy units per day, NCCI edits (Medicaid
//! programs apply NCCI PTP and MUE edits), total-time units, and the state
//! fee schedule with any per-visit copay.

use std::collections::BTreeMap;

use payrules_pdk::model::{ProcedureCode, code_info};
use payrules_pdk::ncci::NcciRules;
use payrules_pdk::timed_units::{UnitsMethod, UnitsRules};
use payrules_pdk::work::{LineWork, apply_daily_cap};
use payrules_pdk::{
    Applicability, Claim, ConfigError, Denial, EvaluationError, Finding, LineResult, Money, Outcome, PayerPolicy,
    PluginInfo, PriceStep, ReferenceData, ServiceLine, Severity, export_policy,
};
use serde::Deserialize;

const PRIOR_AUTH: &str = "MCD-PRIOR-AUTH";
const UNITS_PER_DAY: &str = "MCD-UNITS-PER-DAY";
const UNITS: &str = "MCD-UNITS";
const MINUTES_MISSING: &str = "MCD-MINUTES-MISSING";
const NCCI_PTP: &str = "MCD-NCCI-PTP";
const NCCI_SAME_BLOCK: &str = "MCD-NCCI-SAME-BLOCK";
const ONE_EVALUATION: &str = "MCD-ONE-EVALUATION";
const MUE: &str = "MCD-MUE";
const NCCI_UNAVAILABLE: &str = "MCD-NCCI-UNAVAILABLE";
const PRICE_MISSING: &str = "MCD-PRICE-MISSING";

const RULES: &[(&str, &str, &str)] = &[
    (
        PRIOR_AUTH,
        "The visit is past the visits allowed without prior authorisation",
        "state Medicaid plan (KFF 2018 benefits table)",
    ),
    (UNITS_PER_DAY, "More therapy units on a date than the state pays", "state Medicaid fee schedule"),
    (
        UNITS,
        "Units billed differ from what the minutes support (total time)",
        "CMS 100-04 ch.5 20.2 (Medicaid follows Medicare)",
    ),
    (MINUTES_MISSING, "A timed code without minutes: the units rule could not run", "CMS 100-04 ch.5 20.2"),
    (NCCI_PTP, "A column 2 code billed with its column 1 code without a bypassing modifier", "Medicaid NCCI PTP edits"),
    (NCCI_SAME_BLOCK, "59 or an X modifier on a service done in the same time block", "CMS modifier 59 article"),
    (ONE_EVALUATION, "More than one PT evaluation or re-evaluation on a date", "NCCI Policy Manual ch. XI"),
    (MUE, "Units over the code's medically unlikely edit", "Medicaid NCCI MUEs"),
    (NCCI_UNAVAILABLE, "NCCI tables are not granted or do not cover the date", "rule set [data]"),
    (PRICE_MISSING, "No state fee schedule amount for the code", "rule set fee_schedule"),
];

/// A state's Medicaid therapy policy as the rule set writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicaidConfig {
    /// The state, for messages, e.g. `UT`.
    pub state: String,
    /// Visits a year paid without prior authorisation.
    #[serde(default)]
    pub visits_before_prior_auth: Option<u32>,
    /// Therapy units paid per date of service.
    #[serde(default)]
    pub units_per_day: Option<u32>,
    /// The state fee schedule: allowed amount per unit, by code.
    #[serde(default)]
    pub fee_schedule: BTreeMap<ProcedureCode, Money>,
    /// A copay per visit, taken from the first paid line.
    #[serde(default)]
    pub copay_per_visit: Money,
    /// How the state reports each rule's denial, e.g. `MCD-PRIOR-AUTH = "CO-197"`.
    #[serde(default)]
    pub denials: BTreeMap<String, String>,
}

/// The Medicaid policy, configured.
#[derive(Debug)]
pub struct Medicaid {
    config: MedicaidConfig,
    denials: BTreeMap<String, Denial>,
}

impl Medicaid {
    fn denial(&self, rule: &str) -> Option<Denial> {
        self.denials.get(rule).cloned()
    }
}

impl PayerPolicy for Medicaid {
    type Config = MedicaidConfig;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("medicaid", env!("CARGO_PKG_VERSION"), RULES)
    }

    fn configure(config: MedicaidConfig) -> Result<Self, ConfigError> {
        if config.units_per_day == Some(0) {
            return Err(ConfigError::new("units_per_day", "a limit of 0 units pays nothing; omit it for no limit"));
        }
        if config.copay_per_visit < Money::ZERO {
            return Err(ConfigError::new("copay_per_visit", "a copay cannot be negative"));
        }
        // Reference 8: CO-197 for missing prior authorisation; NCCI column 2
        // CO-236; MUE CO-151 N362 (MaineCare used 35 with N362, so a state
        // may override it).
        let denials = BTreeMap::from([
            (PRIOR_AUTH.to_owned(), Denial::new(payrules_pdk::AdjustmentGroup::Co, "197", &[])),
            (NCCI_PTP.to_owned(), Denial::new(payrules_pdk::AdjustmentGroup::Co, "236", &[])),
            (ONE_EVALUATION.to_owned(), Denial::new(payrules_pdk::AdjustmentGroup::Co, "236", &[])),
            (MUE.to_owned(), Denial::new(payrules_pdk::AdjustmentGroup::Co, "151", &["N362"])),
        ]);
        let denials = payrules_pdk::merge_denials(denials, &config.denials, RULES)?;
        Ok(Medicaid { config, denials })
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        let mut work: Vec<LineWork> = claim.lines.iter().map(LineWork::new).collect();
        let mut findings = Vec::new();
        self.check_prior_auth(claim, &mut work, &mut findings);
        let denial = |rule: &str| self.denial(rule);
        let ncci = NcciRules {
            ptp: NCCI_PTP,
            same_block: NCCI_SAME_BLOCK,
            one_evaluation: ONE_EVALUATION,
            mue: MUE,
            unavailable: NCCI_UNAVAILABLE,
            denial: &denial,
        };
        payrules_pdk::ncci::check_edits(&ncci, claim, data, &mut work, &mut findings);
        let units = UnitsRules { units: UNITS, minutes_missing: MINUTES_MISSING, denial: &denial };
        payrules_pdk::timed_units::check_units(UnitsMethod::TotalTime, &units, claim, &mut work, &mut findings);
        self.check_units_per_day(claim, &mut work, &mut findings);
        let lines = self.price(claim, &work, &mut findings);
        Ok(Outcome { lines, findings })
    }
}

impl Medicaid {
    fn check_prior_auth(&self, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
        let (Some(limit), Some(episode)) = (self.config.visits_before_prior_auth, claim.episode.as_ref()) else {
            return;
        };
        let Some(visit) = episode.visit_number else {
            return;
        };
        if visit <= limit || episode.authorization.is_some() {
            return;
        }
        work.iter_mut().for_each(LineWork::deny);
        findings.push(
            Finding::new(
                PRIOR_AUTH,
                Severity::Error,
                None,
                format!(
                    "visit {visit} is past the {limit} visits {} Medicaid pays a year without prior authorisation",
                    self.config.state
                ),
                "state Medicaid plan (KFF 2018 benefits table; Utah DAR 30653)",
            )
            .with_fact("visit number", visit)
            .with_denial(self.denial(PRIOR_AUTH)),
        );
    }

    fn check_units_per_day(&self, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
        let Some(limit) = self.config.units_per_day else {
            return;
        };
        let therapy = |line: &ServiceLine| code_info(&line.procedure).is_some_and(|i| i.always_therapy);
        for cut in apply_daily_cap(claim, work, limit, &therapy) {
            findings.push(
                Finding::new(
                    UNITS_PER_DAY,
                    Severity::Error,
                    Some(cut.line),
                    format!(
                        "{} Medicaid pays at most {limit} therapy units a day; {} of this line's are past it",
                        self.config.state,
                        cut.units - cut.paid
                    ),
                    "state Medicaid fee schedule",
                )
                .with_denial(self.denial(UNITS_PER_DAY))
                .with_fix(cut.line, cut.fix(), Applicability::NeedsReview),
            );
        }
    }

    fn price(&self, claim: &Claim, work: &[LineWork], findings: &mut Vec<Finding>) -> Vec<LineResult> {
        let mut copay_left = self.config.copay_per_visit;
        claim
            .lines
            .iter()
            .zip(work)
            .map(|(line, state)| {
                let units = state.allowed();
                let mut steps = Vec::new();
                let (mut allowed, mut payment) = (Money::ZERO, Money::ZERO);
                if units > 0 {
                    if let Some(fee) = self.config.fee_schedule.get(&line.procedure) {
                        allowed = fee.checked_mul(i64::from(units)).unwrap_or(Money::ZERO);
                        steps.push(PriceStep {
                            description: format!("{units} x ${fee} state fee schedule"),
                            amount: allowed,
                        });
                        let copay = copay_left.min(allowed);
                        copay_left = copay_left.checked_sub(copay).unwrap_or(Money::ZERO);
                        payment = allowed.checked_sub(copay).unwrap_or(Money::ZERO);
                        if copay > Money::ZERO {
                            steps
                                .push(PriceStep { description: format!("less ${copay} visit copay"), amount: payment });
                        }
                    } else {
                        findings.push(Finding::new(
                            PRICE_MISSING,
                            Severity::Info,
                            Some(line.number),
                            format!(
                                "no {} Medicaid fee schedule amount is configured for {}",
                                self.config.state, line.procedure
                            ),
                            "rule set fee_schedule",
                        ));
                    }
                }
                state.result(allowed, payment, steps)
            })
            .collect()
    }
}

export_policy!(Medicaid);
