//! A commercial payer's policy, as the rule set configures it.

use std::collections::BTreeMap;

use payrules_pdk::model::ProcedureCode;
use payrules_pdk::rvu_pricing::{DatedFactor, RvuPricing, parse_factors};
pub use payrules_pdk::timed_units::UnitsMethod;
use payrules_pdk::{ConfigError, Denials, Money};
use serde::Deserialize;

use crate::rules::RULES;

/// Which units count toward the per-visit cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapCounts {
    /// 15-minute timed codes only.
    Timed,
    /// Every therapy code, timed or service-based (modalities included).
    AllTherapy,
}

/// A payer's own code pair.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundlingPair {
    /// The code that is paid.
    pub column_one: ProcedureCode,
    /// The code denied with it.
    pub column_two: ProcedureCode,
    /// Whether 59 or XE/XS/XP/XU on the column 2 line bypasses the pair.
    pub modifier_bypass: bool,
    /// What the record must show for the bypass, e.g. `separate time blocks`.
    #[serde(default)]
    pub justification: Option<String>,
    /// Why the payer pairs them, e.g. `unbundling`, `duplicate billing`.
    pub reason: String,
    /// Where the payer says so.
    pub source: String,
}

/// The configuration as written in the rule set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommercialConfig {
    /// Minutes to units.
    pub units_method: UnitsMethod,
    /// Most therapy units paid per date of service, if capped.
    #[serde(default)]
    pub units_per_visit: Option<u32>,
    /// Which units count toward the cap.
    #[serde(default = "default_cap_counts")]
    pub cap_counts: CapCounts,
    /// The payer's own code pairs.
    #[serde(default)]
    pub bundling: Vec<BundlingPair>,
    /// Whether GP/GO/GN are required on therapy codes.
    #[serde(default = "yes")]
    pub require_therapy_modifier: bool,
    /// Whether modifier 52 on a timed code is denied.
    #[serde(default)]
    pub deny_modifier_52: bool,
    /// Visits paid per benefit year.
    #[serde(default)]
    pub visits_per_year: Option<u32>,
    /// Visits after which prior authorisation is needed.
    #[serde(default)]
    pub prior_auth_after_visits: Option<u32>,
    /// What the payer allows of a CQ/CO service, in percent; no reduction when omitted.
    #[serde(default)]
    pub assistant_payment_percent: Option<u32>,
    /// Whether the payer allows the lesser of the billed charge and its
    /// rate, as most contracts say; on when omitted.
    #[serde(default = "lesser_of_charge_default")]
    pub lesser_of_charge: bool,
    /// The patient's share of the allowed amount, in percent.
    #[serde(default)]
    pub coinsurance_percent: u32,
    /// Allowed amount per unit, by code.
    #[serde(default)]
    pub fee_schedule: BTreeMap<ProcedureCode, Money>,
    /// Price at a percentage of Medicare's fee schedule amount instead of
    /// `fee_schedule` (needs the `rvu` and `gpci` tables).
    #[serde(default)]
    pub percent_of_medicare: Option<PercentOfMedicare>,
    /// How the payer reports each rule's denial, e.g. `COM-UNITS-CAP = "CO-119"`.
    #[serde(default)]
    pub denials: BTreeMap<String, String>,
}

/// Pricing as a percentage of Medicare's physician fee schedule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PercentOfMedicare {
    /// The percentage, e.g. 130.
    pub percent: u32,
    /// The GPCI locality, `MAC-locality`.
    pub locality: String,
    /// Medicare's conversion factors by date of service.
    pub conversion_factors: Vec<DatedFactor>,
}

fn default_cap_counts() -> CapCounts {
    CapCounts::Timed
}

fn yes() -> bool {
    true
}

fn lesser_of_charge_default() -> bool {
    true
}

/// A checked configuration.
#[derive(Debug)]
pub struct Settings {
    /// The configuration.
    pub config: CommercialConfig,
    /// The denial each rule reports.
    pub denials: Denials,
    /// Medicare pricing and the percentage of it paid, when configured.
    pub medicare_pricing: Option<(u32, RvuPricing)>,
}

impl TryFrom<CommercialConfig> for Settings {
    type Error = ConfigError;

    fn try_from(config: CommercialConfig) -> Result<Settings, ConfigError> {
        ConfigError::check_percent("coinsurance_percent", config.coinsurance_percent)?;
        if let Some(percent) = config.assistant_payment_percent {
            ConfigError::check_percent("assistant_payment_percent", percent)?;
        }
        if config.units_per_visit == Some(0) {
            return Err(ConfigError::new("units_per_visit", "a cap of 0 units pays nothing; omit it for no cap"));
        }
        for (code, price) in &config.fee_schedule {
            if *price < Money::ZERO {
                return Err(ConfigError::new(format!("fee_schedule.{code}"), "a price cannot be negative"));
            }
        }
        for (index, pair) in config.bundling.iter().enumerate() {
            if pair.column_one == pair.column_two {
                return Err(ConfigError::new(format!("bundling[{index}]"), "a pair needs two different codes"));
            }
        }
        let denials = Denials::configure(RULES, &config.denials)?;
        let medicare_pricing = match &config.percent_of_medicare {
            None => None,
            Some(p) => {
                let conversion_factors =
                    parse_factors("percent_of_medicare.conversion_factors", &p.conversion_factors)?;
                let pricing = RvuPricing {
                    locality: p.locality.clone(),
                    facility: false,
                    conversion_factors,
                    extra_reduced_codes: Vec::new(),
                };
                Some((p.percent, pricing))
            }
        };
        Ok(Settings { config, denials, medicare_pricing })
    }
}
