//! The Medicare payer configuration a rule set hands the plugin.

use std::collections::BTreeMap;

use payrules_pdk::model::{ProcedureCode, code_info};
use payrules_pdk::ncci::{EvaluationFamily, default_evaluation_families};
use payrules_pdk::rvu_pricing::{Dated, DatedFactor, RvuPricing, parse_factors};
use payrules_pdk::{ConfigError, Date, Denials, Money};
use serde::Deserialize;

use crate::rules::RULES;

/// The configuration as written in the rule set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicareConfig {
    /// Allowed amount per unit, by code. Codes without a price are reported, not guessed.
    #[serde(default)]
    pub fee_schedule: BTreeMap<ProcedureCode, Money>,
    /// The patient's share of the allowed amount, in percent.
    #[serde(default = "default_coinsurance")]
    pub coinsurance_percent: u32,
    /// Codes never paid separately (fee schedule status B), e.g. 97010.
    #[serde(default)]
    pub bundled_codes: Vec<ProcedureCode>,
    /// Codes Medicare does not recognise, with the code to bill instead, e.g. 97014 -> G0283.
    #[serde(default)]
    pub replaced_codes: BTreeMap<ProcedureCode, ProcedureCode>,
    /// How the payer reports each rule's denial, e.g. `MCR-CODE-INVALID = "CO-181"`,
    /// or `"CO-151 N362"` with remark codes. Adds to and overrides the plugin's defaults.
    #[serde(default)]
    pub denials: BTreeMap<String, String>,
    /// The therapy (KX) threshold by calendar year of service: PT and SLP
    /// combined, OT separately. A year without one is reported, not guessed.
    #[serde(default)]
    pub kx_thresholds: BTreeMap<u16, Money>,
    /// The targeted medical review threshold; crossing it is reported.
    #[serde(default)]
    pub medical_review_threshold: Option<Money>,
    /// KX on a claim that leaves the year's total under this percentage of
    /// the threshold draws a warning: KX with no sign of crossing is abusive.
    #[serde(default = "default_kx_early_percent")]
    pub kx_early_percent: u32,
    /// An assistant's share of a service's minutes, in percent, above which
    /// CQ/CO applies (the de minimis standard).
    #[serde(default = "default_assistant_de_minimis")]
    pub assistant_de_minimis_percent: u32,
    /// What Medicare allows of a CQ/CO service, in percent.
    #[serde(default = "default_assistant_payment")]
    pub assistant_payment_percent: u32,
    /// First date of service the CQ/CO payment applies to; 2022-01-01 when omitted.
    #[serde(default)]
    pub assistant_payment_from: Option<Date>,
    /// Price from relative values, geographic indices and the conversion
    /// factor; without it, lines are priced from `fee_schedule`.
    #[serde(default)]
    pub pricing: Option<RvuPricingConfig>,
    /// The sequestration cut of the Medicare-paid part, by date of service.
    #[serde(default)]
    pub sequestration: Vec<DatedPercent>,
    /// Code families of which one is paid per date: each discipline's
    /// evaluations and re-evaluation. PT's and OT's when omitted.
    #[serde(default = "default_evaluation_families")]
    pub evaluation_families: Vec<EvaluationFamily>,
    /// The Part B annual deductible by calendar year of service, applied
    /// before coinsurance. A year without one is reported, and its payment
    /// assumes the deductible was met.
    #[serde(default)]
    pub deductibles: BTreeMap<u16, Money>,
    /// What a non-participating provider is paid, in percent of the fee
    /// schedule amount.
    #[serde(default = "default_non_participating")]
    pub non_participating_percent: u32,
    /// The limiting charge, in percent of the non-participating amount.
    #[serde(default = "default_limiting_charge")]
    pub limiting_charge_percent: u32,
}

/// 95% of the participating amount: SSA 1848(a)(3); 42 CFR 414.20 ([S] in
/// the reference), so it is configuration with this default.
fn default_non_participating() -> u32 {
    95
}

/// 115% of the non-participating amount: SSA 1848(g)(2)(C); 42 CFR 414.48.
fn default_limiting_charge() -> u32 {
    115
}

/// Physician fee schedule pricing as configured.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RvuPricingConfig {
    /// The GPCI locality, `MAC-locality`, e.g. `15202-00`.
    pub locality: String,
    /// Whether services are priced at the facility rate.
    #[serde(default)]
    pub facility: bool,
    /// The conversion factor by date of service.
    pub conversion_factors: Vec<DatedFactor>,
}

/// A percentage and the dates of service it applies to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedPercent {
    /// First date of service.
    pub from: Date,
    /// Last date of service, inclusive; open-ended when omitted.
    #[serde(default)]
    pub to: Option<Date>,
    /// The percentage.
    pub percent: u32,
}

fn default_coinsurance() -> u32 {
    20
}

fn default_kx_early_percent() -> u32 {
    80
}

/// CY2020 and CY2022 physician fee schedule rules, as summarised by WebPT and
/// others ([S] in the reference): more than 10% of the minutes.
fn default_assistant_de_minimis() -> u32 {
    10
}

/// 85% of the otherwise applicable amount: SSA 1834(v), BBA 2018 53107; CMS
/// CQ/CO billing examples ([C]).
fn default_assistant_payment() -> u32 {
    85
}

/// A configuration that has been checked and made ready to use.
#[derive(Debug)]
pub struct Settings {
    /// Price per unit, by code.
    pub fee_schedule: BTreeMap<ProcedureCode, Money>,
    /// Patient coinsurance, percent.
    pub coinsurance_percent: u32,
    /// Codes never paid separately.
    pub bundled_codes: Vec<ProcedureCode>,
    /// Codes to bill differently.
    pub replaced_codes: BTreeMap<ProcedureCode, ProcedureCode>,
    /// Denial per rule id.
    pub denials: Denials,
    /// KX threshold by year.
    pub kx_thresholds: BTreeMap<u16, Money>,
    /// Targeted medical review threshold.
    pub medical_review_threshold: Option<Money>,
    /// Early-KX warning line, percent of the threshold.
    pub kx_early_percent: u32,
    /// De minimis assistant share, percent.
    pub assistant_de_minimis_percent: u32,
    /// CQ/CO allowed share, percent.
    pub assistant_payment_percent: u32,
    /// First date of service of the CQ/CO payment, if configured.
    pub assistant_payment_from: Option<Date>,
    /// RVU pricing, when configured.
    pub pricing: Option<RvuPricing>,
    /// Sequestration percentages by date.
    pub sequestration: Vec<Dated<u32>>,
    /// Evaluation code families, one paid per date.
    pub evaluation_families: Vec<EvaluationFamily>,
    /// Part B deductible by year.
    pub deductibles: BTreeMap<u16, Money>,
    /// Non-participating payment, percent of the fee schedule amount.
    pub non_participating_percent: u32,
    /// Limiting charge, percent of the non-participating amount.
    pub limiting_charge_percent: u32,
}

impl Settings {
    /// Whether the CQ/CO payment percentage applies on `date`: from
    /// 2022-01-01 unless configured otherwise (CMS CQ/CO billing examples).
    pub fn assistant_payment_applies(&self, date: Date) -> bool {
        match self.assistant_payment_from {
            Some(from) => date >= from,
            None => date.year() >= 2022,
        }
    }
}

impl TryFrom<MedicareConfig> for Settings {
    type Error = ConfigError;

    fn try_from(config: MedicareConfig) -> Result<Settings, ConfigError> {
        for (field, value) in [
            ("coinsurance_percent", config.coinsurance_percent),
            ("kx_early_percent", config.kx_early_percent),
            ("assistant_de_minimis_percent", config.assistant_de_minimis_percent),
            ("assistant_payment_percent", config.assistant_payment_percent),
            ("non_participating_percent", config.non_participating_percent),
        ] {
            ConfigError::check_percent(field, value)?;
        }
        let pricing = match config.pricing {
            None => None,
            Some(p) => {
                let conversion_factors = parse_factors("pricing.conversion_factors", &p.conversion_factors)?;
                Some(RvuPricing {
                    locality: p.locality,
                    facility: p.facility,
                    conversion_factors,
                    extra_reduced_codes: Vec::new(),
                })
            }
        };
        let mut sequestration = Vec::with_capacity(config.sequestration.len());
        for (index, period) in config.sequestration.iter().enumerate() {
            ConfigError::check_percent(&format!("sequestration[{index}].percent"), period.percent)?;
            sequestration.push(Dated { from: period.from, to: period.to, value: period.percent });
        }
        check_ranges("sequestration", &sequestration)?;
        if config.limiting_charge_percent < 100 {
            return Err(ConfigError::new(
                "limiting_charge_percent",
                "a limiting charge is at least the amount it limits (100% or more)",
            ));
        }
        for (year, deductible) in &config.deductibles {
            if *deductible < Money::ZERO {
                return Err(ConfigError::new(format!("deductibles.{year}"), "a deductible cannot be negative"));
            }
        }
        for (year, threshold) in &config.kx_thresholds {
            if *threshold <= Money::ZERO {
                return Err(ConfigError::new(format!("kx_thresholds.{year}"), "a threshold must be positive"));
            }
        }
        for (code, price) in &config.fee_schedule {
            if *price < Money::ZERO {
                return Err(ConfigError::new(format!("fee_schedule.{code}"), "a price cannot be negative"));
            }
        }
        for (from, to) in &config.replaced_codes {
            if code_info(to).is_none() {
                return Err(ConfigError::new(
                    format!("replaced_codes.{from}"),
                    format!("`{to}` is not a therapy code this plugin knows"),
                ));
            }
        }
        let denials = Denials::configure(RULES, &config.denials)?;
        Ok(Settings {
            fee_schedule: config.fee_schedule,
            coinsurance_percent: config.coinsurance_percent,
            bundled_codes: config.bundled_codes,
            replaced_codes: config.replaced_codes,
            denials,
            kx_thresholds: config.kx_thresholds,
            medical_review_threshold: config.medical_review_threshold,
            kx_early_percent: config.kx_early_percent,
            assistant_de_minimis_percent: config.assistant_de_minimis_percent,
            assistant_payment_percent: config.assistant_payment_percent,
            assistant_payment_from: config.assistant_payment_from,
            pricing,
            sequestration,
            evaluation_families: config.evaluation_families,
            deductibles: config.deductibles,
            non_participating_percent: config.non_participating_percent,
            limiting_charge_percent: config.limiting_charge_percent,
        })
    }
}

/// Refuses date ranges that end before they start or overlap one another.
fn check_ranges<T>(field: &str, values: &[Dated<T>]) -> Result<(), ConfigError> {
    for (index, value) in values.iter().enumerate() {
        if value.to.is_some_and(|to| to < value.from) {
            return Err(ConfigError::new(format!("{field}[{index}]"), "`to` is before `from`"));
        }
        let overlaps = |other: &Dated<T>| {
            !(other.to.is_some_and(|to| to < value.from) || value.to.is_some_and(|to| to < other.from))
        };
        if values.iter().take(index).any(overlaps) {
            return Err(ConfigError::new(format!("{field}[{index}]"), "its dates overlap an earlier entry's"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use payrules_pdk::Denial;

    #[test]
    fn reads_denials_with_remarks() {
        let denial = Denial::parse("CO-151 N362").unwrap();
        assert_eq!(denial.to_string(), "CO-151 N362");
        assert!(Denial::parse("XX-151").is_none());
        assert!(Denial::parse("CO151").is_none());
    }
}
