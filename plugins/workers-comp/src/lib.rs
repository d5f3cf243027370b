//! Workers' compensation outpatient therapy policy, configured per state;
//! California first: a cap on physical therapy visits per industrial injury
//! (Labor Code 4604.5), the official medical fee schedule priced from
//! relative values with the Medicare multiple-procedure reduction extended to
//! chiropractic and acupuncture codes (8 CCR 9789.15.4), and the injury date
//! and claim number every bill needs.

use std::collections::BTreeMap;

use payrules_pdk::rvu_pricing::{DatedFactor, RvuPricing, parse_factors, rvu_amounts};
use payrules_pdk::work::LineWork;
use payrules_pdk::{
    Claim, ConfigError, Date, Denial, EvaluationError, Finding, Money, Outcome, PayerPolicy, PluginInfo, ReferenceData,
    Severity, export_policy,
};
use serde::Deserialize;

const CLAIM_INFO: &str = "WC-CLAIM-INFO";
const VISIT_CAP: &str = "WC-VISIT-CAP";
const PRICE_MISSING: &str = "WC-PRICE-MISSING";

const RULES: &[(&str, &str, &str)] = &[
    (CLAIM_INFO, "The bill lacks the injury date or the claim number", "state workers' comp billing rules"),
    (VISIT_CAP, "Past the physical therapy visits allowed per industrial injury", "California Labor Code 4604.5(c)(1)"),
    (PRICE_MISSING, "No fee schedule amount for the code", "rule set pricing"),
];

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
    denials: BTreeMap<String, Denial>,
}

impl PayerPolicy for WorkersComp {
    type Config = WorkersCompConfig;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("workers-comp", env!("CARGO_PKG_VERSION"), RULES)
    }

    fn configure(config: WorkersCompConfig) -> Result<Self, ConfigError> {
        let conversion_factors = parse_factors("conversion_factors", &config.conversion_factors)?;
        // Reference 8: missing information is CO-16; a benefit visit limit
        // CO-119 (workers' comp may use state codes instead: configuration).
        let denials = BTreeMap::from([
            (CLAIM_INFO.to_owned(), Denial::new(payrules_pdk::AdjustmentGroup::Co, "16", &[])),
            (VISIT_CAP.to_owned(), Denial::new(payrules_pdk::AdjustmentGroup::Co, "119", &[])),
        ]);
        let denials = payrules_pdk::merge_denials(denials, &config.denials, RULES)?;
        let pricing = RvuPricing {
            locality: config.locality.clone(),
            facility: false,
            conversion_factors,
            extra_reduced_codes: config.extra_reduced_codes.clone(),
        };
        Ok(WorkersComp { config, pricing, denials })
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        let mut work: Vec<LineWork> = claim.lines.iter().map(LineWork::new).collect();
        let mut findings = Vec::new();
        self.check_claim_info(claim, &mut work, &mut findings);
        self.check_visit_cap(claim, &mut work, &mut findings);
        let mut unpriced: Vec<(u32, String, String)> = Vec::new();
        let amounts = rvu_amounts(&self.pricing, claim, data, &work, &mut |line, code, why| {
            if !unpriced.iter().any(|(_, c, w)| c == code && *w == why) {
                unpriced.push((line, code.to_owned(), why));
            }
        });
        for (line, code, why) in unpriced {
            findings.push(Finding::new(
                PRICE_MISSING,
                Severity::Info,
                Some(line),
                format!("{code} has no fee schedule amount: {why}"),
                "rule set pricing",
            ));
        }
        let lines = work
            .iter()
            .zip(amounts)
            .map(|(state, amount)| {
                let (allowed, steps) = amount.map_or((Money::ZERO, Vec::new()), |a| (a.amount, a.steps));
                // The employer's insurer pays the whole allowed amount: no cost sharing.
                state.result(allowed, allowed, steps)
            })
            .collect();
        Ok(Outcome { lines, findings })
    }
}

impl WorkersComp {
    fn denial(&self, rule: &str) -> Option<Denial> {
        self.denials.get(rule).cloned()
    }

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
            Finding::new(
                CLAIM_INFO,
                Severity::Error,
                None,
                format!("a {} workers' comp bill needs {}", self.config.state, missing.join(" and ")),
                "state workers' comp billing rules",
            )
            .with_denial(self.denial(CLAIM_INFO)),
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
            Finding::new(
                VISIT_CAP,
                Severity::Error,
                None,
                format!(
                    "visit {visit} is past the {cap} physical therapy visits per industrial injury; more need the employer's written authorisation or the post-surgical schedule"
                ),
                "California Labor Code 4604.5(c)(1)",
            )
            .with_fact("injury date", injury)
            .with_fact("visit number", visit)
            .with_denial(self.denial(VISIT_CAP)),
        );
    }
}

export_policy!(WorkersComp);
