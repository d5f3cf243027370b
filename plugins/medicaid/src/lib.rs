//! State Medicaid outpatient therapy policy, configured per state: visits
//! before prior authorisation, therapy units per day, NCCI edits (Medicaid
//! programs apply NCCI PTP and MUE edits), total-time units, and the state
//! fee schedule with any per-visit copay.

use std::collections::BTreeMap;

use payrules_pdk::amounts::{self, LineAmounts, Unpriced};
use payrules_pdk::model::{ProcedureCode, code_info};
use payrules_pdk::ncci::NcciRules;
use payrules_pdk::pipeline::{self, Evaluation, Stage, Step};
use payrules_pdk::timed_units::{UnitsMethod, UnitsRules};
use payrules_pdk::work::{LineWork, apply_daily_cap};
use payrules_pdk::{
    Applicability, Claim, ConfigError, Denials, EvaluationError, Finding, Money, Outcome, PayerPolicy, PluginInfo,
    PriceStep, ReferenceData, Rule, ServiceLine, Severity, export_policy,
};
use serde::Deserialize;

// Denials from reference 8 (docs/sources.md): CO-197 for missing prior
// authorisation; NCCI column 2 CO-236; MUE CO-151 N362 (MaineCare used 35
// with N362, so a state may override it under `denials`).
const PRIOR_AUTH: Rule = Rule::new(
    "MCD-PRIOR-AUTH",
    Severity::Error,
    "The visit is past the visits allowed without prior authorisation",
    "state Medicaid plan (KFF 2018 benefits table; Utah DAR 30653)",
)
.denies("CO-197");
const UNITS_PER_DAY: Rule = Rule::new(
    "MCD-UNITS-PER-DAY",
    Severity::Error,
    "More therapy units on a date than the state pays",
    "state Medicaid fee schedule",
);
const UNITS: Rule = Rule::new(
    "MCD-UNITS",
    Severity::Error,
    "Units billed differ from what the minutes support (total time)",
    "CMS 100-04 ch.5 20.2 (Medicaid follows Medicare)",
);
const MINUTES_MISSING: Rule = Rule::new(
    "MCD-MINUTES-MISSING",
    Severity::Warning,
    "A timed code without minutes: the units rule could not run",
    "CMS 100-04 ch.5 20.2",
);
const NCCI_PTP: Rule = Rule::new(
    "MCD-NCCI-PTP",
    Severity::Error,
    "A column 2 code billed with its column 1 code without a bypassing modifier",
    "Medicaid NCCI PTP edits",
)
.denies("CO-236");
const NCCI_SAME_BLOCK: Rule = Rule::new(
    "MCD-NCCI-SAME-BLOCK",
    Severity::Error,
    "59 or an X modifier on a service done in the same time block",
    "CMS modifier 59 article",
);
const ONE_EVALUATION: Rule = Rule::new(
    "MCD-ONE-EVALUATION",
    Severity::Error,
    "More than one evaluation or re-evaluation of one discipline (PT 97161-97164, OT 97165-97168) on a date",
    "NCCI Policy Manual ch. XI",
)
.denies("CO-236");
const MUE: Rule =
    Rule::new("MCD-MUE", Severity::Error, "Units over the code's medically unlikely edit", "Medicaid NCCI MUEs")
        .denies("CO-151 N362");
const NCCI_UNAVAILABLE: Rule = Rule::new(
    "MCD-NCCI-UNAVAILABLE",
    Severity::Info,
    "NCCI tables are not granted or do not cover the date",
    "rule set [data]",
);
const PRICE_MISSING: Rule = Rule::new(
    "MCD-PRICE-MISSING",
    Severity::Info,
    "No state fee schedule amount for the code",
    "rule set fee_schedule",
);

const RULES: &[Rule] = &[
    PRIOR_AUTH,
    UNITS_PER_DAY,
    UNITS,
    MINUTES_MISSING,
    NCCI_PTP,
    NCCI_SAME_BLOCK,
    ONE_EVALUATION,
    MUE,
    NCCI_UNAVAILABLE,
    PRICE_MISSING,
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
    /// A copay per visit, taken once per date of service from that date's
    /// first paid lines.
    #[serde(default)]
    pub copay_per_visit: Money,
    /// Code families of which one is paid per date: each discipline's
    /// evaluations and re-evaluation. PT's and OT's when omitted.
    #[serde(default = "payrules_pdk::ncci::default_evaluation_families")]
    pub evaluation_families: Vec<payrules_pdk::ncci::EvaluationFamily>,
    /// Whether the state pays the lesser of the billed charge and its fee
    /// schedule amount, as Medicaid programs commonly do; on when omitted.
    #[serde(default = "lesser_of_charge_default")]
    pub lesser_of_charge: bool,
    /// How the state reports each rule's denial, e.g. `MCD-PRIOR-AUTH = "CO-197"`.
    #[serde(default)]
    pub denials: BTreeMap<String, String>,
}

fn lesser_of_charge_default() -> bool {
    true
}

/// The Medicaid policy, configured.
#[derive(Debug)]
pub struct Medicaid {
    config: MedicaidConfig,
    denials: Denials,
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
        let denials = Denials::configure(RULES, &config.denials)?;
        Ok(Medicaid { config, denials })
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        pipeline::run(self, STEPS, claim, data)
    }
}

/// The policy's steps, in the order they run.
const STEPS: &[Step<Medicaid>] = &[
    Step::new(Stage::Eligibility, "visits before prior authorisation", |p, ev| {
        p.check_prior_auth(ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Bundling, "NCCI edits", |p, ev| {
        let ncci = NcciRules {
            ptp: NCCI_PTP,
            same_block: NCCI_SAME_BLOCK,
            one_evaluation: ONE_EVALUATION,
            evaluation_families: &p.config.evaluation_families,
            mue: MUE,
            unavailable: NCCI_UNAVAILABLE,
            denials: &p.denials,
        };
        payrules_pdk::ncci::check_edits(&ncci, ev.claim, ev.data, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Units, "total-time units", |p, ev| {
        let units = UnitsRules { units: UNITS, minutes_missing: MINUTES_MISSING, denials: &p.denials };
        payrules_pdk::timed_units::check_units(
            UnitsMethod::TotalTime,
            &units,
            ev.claim,
            &mut ev.work,
            &mut ev.findings,
        );
        Ok(())
    }),
    Step::new(Stage::Caps, "therapy units per day", |p, ev| {
        p.check_units_per_day(ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Pricing, "state fee schedule", |p, ev| p.price(ev)),
    // A visit is a date of service: a claim of several visits pays the copay
    // once for each date, out of that date's lines.
    Step::new(Stage::CostSharing, "visit copay, once per date of service", |p, ev| {
        let claim = ev.claim;
        let mut copay_left: BTreeMap<payrules_pdk::Date, Money> = BTreeMap::new();
        ev.each_priced(|amounts, index| {
            let Some(date) = claim.lines.get(index).map(|l| l.date_of_service) else {
                return Ok(());
            };
            let left = copay_left.entry(date).or_insert(p.config.copay_per_visit);
            *left = amounts.copay(*left, &format!("visit copay for {date}"))?;
            Ok(())
        })
    }),
];

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
            PRIOR_AUTH
                .finding(
                    None,
                    format!(
                        "visit {visit} is past the {limit} visits {} Medicaid pays a year without prior authorisation",
                        self.config.state
                    ),
                )
                .with_fact("visit number", visit)
                .with_denial(self.denials.of(&PRIOR_AUTH)),
        );
    }

    fn check_units_per_day(&self, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
        let Some(limit) = self.config.units_per_day else {
            return;
        };
        let therapy = |line: &ServiceLine| code_info(&line.procedure).is_some_and(|i| i.always_therapy);
        for cut in apply_daily_cap(claim, work, limit, &therapy) {
            findings.push(
                UNITS_PER_DAY
                    .finding(
                        Some(cut.line),
                        format!(
                            "{} Medicaid pays at most {limit} therapy units a day; {} of this line's are past it",
                            self.config.state,
                            cut.units - cut.paid
                        ),
                    )
                    .with_denial(self.denials.of(&UNITS_PER_DAY))
                    .with_fix(cut.line, cut.fix(), Applicability::NeedsReview),
            );
        }
    }

    /// The state fee schedule: units times the state's amount per unit.
    fn price(&self, ev: &mut Evaluation<'_>) -> Result<(), EvaluationError> {
        let mut unpriced = Unpriced::new(PRICE_MISSING);
        for ((line, state), amounts) in ev.claim.lines.iter().zip(&ev.work).zip(&mut ev.amounts) {
            let units = state.allowed();
            if units == 0 {
                continue;
            }
            let Some(fee) = self.config.fee_schedule.get(&line.procedure) else {
                let why = format!("no {} Medicaid fee schedule amount is configured", self.config.state);
                unpriced.add(line.number, line.procedure.as_str(), &why);
                continue;
            };
            let description = format!("{units} x ${fee} state fee schedule");
            let allowed = amounts::times(line.number, *fee, units, &description)?;
            let mut priced = LineAmounts::new(line.number, allowed, vec![PriceStep { description, amount: allowed }]);
            if self.config.lesser_of_charge {
                priced.lesser_of_charge(amounts::charge_for_units(line, units)?, "state fee schedule amount")?;
            }
            *amounts = priced;
        }
        ev.findings.extend(unpriced.into_findings());
        Ok(())
    }
}

export_policy!(Medicaid);
