//! Workers' compensation outpatient therapy policy, configured per state;
//! California first: a cap on physical therapy visits per industrial injury
//! (Labor Code 4604.5), the official medical fee schedule priced from
//! relative values with the Medicare multiple-procedure reduction extended to
//! chiropractic and acupuncture codes (8 CCR 9789.15.4), and the injury date
//! and claim number every bill needs.

use std::collections::BTreeMap;

use payrules_pdk::amounts::{LineAmounts, Unpriced};
use payrules_pdk::pipeline::{self, Stage, Step};
use payrules_pdk::rvu_pricing::{DatedFactor, RvuPricing, parse_factors, rvu_amounts};
use payrules_pdk::work::LineWork;
use payrules_pdk::{
    Claim, ConfigError, Date, Denials, EvaluationError, Finding, Outcome, PayerPolicy, PluginInfo, ReferenceData, Rule,
    Severity, export_policy,
};
use serde::Deserialize;

// Denials from reference 8 (docs/sources.md): missing information is CO-16;
// a benefit visit limit CO-119. A state may use its own codes: `denials`.
const CLAIM_INFO: Rule = Rule::new(
    "WC-CLAIM-INFO",
    Severity::Error,
    "The bill lacks the injury date or the claim number",
    "state workers' comp billing rules",
)
.denies("CO-16");
const VISIT_CAP: Rule = Rule::new(
    "WC-VISIT-CAP",
    Severity::Error,
    "Past the physical therapy visits allowed per industrial injury",
    "California Labor Code 4604.5(c)(1)",
)
.denies("CO-119");
const PRICE_MISSING: Rule =
    Rule::new("WC-PRICE-MISSING", Severity::Info, "No fee schedule amount for the code", "rule set pricing");

const RULES: &[Rule] = &[CLAIM_INFO, VISIT_CAP, PRICE_MISSING];

/// A state's workers' comp therapy policy as the rule set writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkersCompConfig {
    /// The state, for messages.
    pub state: String,
    /// Physical therapy visits per industrial injury, if capped.
    #[serde(default)]
    pub visits_per_injury: Option<u32>,
    /// The cap applies to injuries on or after this date.
    #[serde(default)]
    pub visit_cap_from_injury: Option<Date>,
    /// The GPCI locality the fee schedule uses, `MAC-locality`.
    pub locality: String,
    /// The fee schedule's conversion factors by date of service.
    pub conversion_factors: Vec<DatedFactor>,
    /// Codes the multiple-procedure reduction covers besides the therapy codes.
    #[serde(default)]
    pub extra_reduced_codes: Vec<String>,
    /// How the payer reports each rule's denial.
    #[serde(default)]
    pub denials: BTreeMap<String, String>,
}

/// The workers' comp policy, configured.
#[derive(Debug)]
pub struct WorkersComp {
    config: WorkersCompConfig,
    pricing: RvuPricing,
    denials: Denials,
}

impl PayerPolicy for WorkersComp {
    type Config = WorkersCompConfig;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("workers-comp", env!("CARGO_PKG_VERSION"), RULES)
    }

    fn configure(config: WorkersCompConfig) -> Result<Self, ConfigError> {
        let conversion_factors = parse_factors("conversion_factors", &config.conversion_factors)?;
        let denials = Denials::configure(RULES, &config.denials)?;
        let pricing = RvuPricing {
            locality: config.locality.clone(),
            facility: false,
            conversion_factors,
            extra_reduced_codes: config.extra_reduced_codes.clone(),
        };
        Ok(WorkersComp { config, pricing, denials })
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        pipeline::run(self, STEPS, claim, data)
    }

    fn reference_locality(&self) -> Option<&str> {
        Some(self.pricing.locality.as_str())
    }
}

/// The policy's steps, in the order they run. The employer's insurer pays
/// the whole allowed amount, so there is no cost-sharing step.
const STEPS: &[Step<WorkersComp>] = &[
    Step::new(Stage::Eligibility, "injury date and claim number", |p, ev| {
        p.check_claim_info(ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Eligibility, "visits per industrial injury", |p, ev| {
        p.check_visit_cap(ev.claim, &mut ev.work, &mut ev.findings);
        Ok(())
    }),
    Step::new(Stage::Pricing, "official medical fee schedule", |p, ev| {
        let mut unpriced = Unpriced::new(PRICE_MISSING);
        let bases = rvu_amounts(&p.pricing, ev.claim, ev.data, &ev.work, &mut unpriced)?;
        for ((line, amounts), base) in ev.claim.lines.iter().zip(&mut ev.amounts).zip(bases) {
            if let Some(base) = base {
                *amounts = LineAmounts::new(line.number, base.amount, base.steps);
            }
        }
        ev.findings.extend(unpriced.into_findings());
        Ok(())
    }),
];

impl WorkersComp {
    fn check_claim_info(&self, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
        let episode = claim.episode.as_ref();
        let mut missing = Vec::new();
        if episode.and_then(|e| e.injury_date).is_none() {
            missing.push("the injury date");
        }
        if episode.and_then(|e| e.injury_claim_number.as_ref()).is_none() {
            missing.push("the claim number");
        }
        if missing.is_empty() {
            return;
        }
        work.iter_mut().for_each(LineWork::deny);
        findings.push(
            CLAIM_INFO
                .finding(None, format!("a {} workers' comp bill needs {}", self.config.state, missing.join(" and ")))
                .with_denial(self.denials.of(&CLAIM_INFO)),
        );
    }

    fn check_visit_cap(&self, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
        let (Some(cap), Some(episode)) = (self.config.visits_per_injury, claim.episode.as_ref()) else {
            return;
        };
        let (Some(visit), Some(injury)) = (episode.visit_number, episode.injury_date) else {
            return;
        };
        let capped_injury = self.config.visit_cap_from_injury.is_none_or(|from| injury >= from);
        let written = episode.authorization.as_ref().is_some_and(|a| a.written);
        if visit <= cap || !capped_injury || written || episode.post_surgical {
            return;
        }
        work.iter_mut().for_each(LineWork::deny);
        findings.push(
            VISIT_CAP
                .finding(
                    None,
                    format!(
                        "visit {visit} is past the {cap} physical therapy visits per industrial injury; more need the employer's written authorisation or the post-surgical schedule"
                    ),
                )
                .with_fact("injury date", injury)
                .with_fact("visit number", visit)
                .with_denial(self.denials.of(&VISIT_CAP)),
        );
    }
}

export_policy!(WorkersComp);
