//! The Medicare payer configuration a rule set hands the plugin.

use std::collections::BTreeMap;

use payrules_pdk::model::{ProcedureCode, code_info};
use payrules_pdk::{AdjustmentGroup, ConfigError, Denial, Money};
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
}

fn default_coinsurance() -> u32 {
    20
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
    pub denials: BTreeMap<String, Denial>,
}

impl Settings {
    /// The denial the payer reports for `rule_id`, if the reference or the configuration gives one.
    pub fn denial(&self, rule_id: &str) -> Option<Denial> {
        self.denials.get(rule_id).cloned()
    }
}

fn error(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError { field: field.into(), message: message.into() }
}

/// Reads `CO-151 N362`: a group, a reason code, then any remark codes.
pub fn parse_denial(text: &str) -> Option<Denial> {
    let mut words = text.split_whitespace();
    let (group, carc) = words.next()?.split_once('-')?;
    let group = AdjustmentGroup::parse(group)?;
    let well_formed =
        |code: &str| !code.is_empty() && code.len() <= 5 && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed(carc) {
        return None;
    }
    let rarc: Vec<String> = words.map(str::to_owned).collect();
    if !rarc.iter().all(|r| well_formed(r)) {
        return None;
    }
    Some(Denial { group, carc: carc.to_owned(), rarc })
}

/// Denials the reference confirms, before configuration is applied.
///
/// Sources (../shared/reference/therapy-billing.md 8): a missing therapy
/// modifier is CO-4 (appealwin, codingahead); a status-B bundled code is
/// reported with B15 and remark M15 (Palmetto).
fn default_denials() -> BTreeMap<String, Denial> {
    BTreeMap::from([
        ("MCR-THERAPY-MODIFIER".to_owned(), Denial::new(AdjustmentGroup::Co, "4", &[])),
        ("MCR-BUNDLED".to_owned(), Denial::new(AdjustmentGroup::Co, "B15", &["M15"])),
    ])
}

impl TryFrom<MedicareConfig> for Settings {
    type Error = ConfigError;

    fn try_from(config: MedicareConfig) -> Result<Settings, ConfigError> {
        if config.coinsurance_percent > 100 {
            return Err(error("coinsurance_percent", format!("{} is not a percentage", config.coinsurance_percent)));
        }
        for (code, price) in &config.fee_schedule {
            if *price < Money::ZERO {
                return Err(error(format!("fee_schedule.{code}"), "a price cannot be negative"));
            }
        }
        for (from, to) in &config.replaced_codes {
            if code_info(to).is_none() {
                return Err(error(
                    format!("replaced_codes.{from}"),
                    format!("`{to}` is not a therapy code this plugin knows"),
                ));
            }
        }
        let mut denials = default_denials();
        for (rule_id, text) in &config.denials {
            if !RULES.iter().any(|(id, _, _)| id == rule_id) {
                return Err(error(format!("denials.{rule_id}"), "no rule of this plugin has that id"));
            }
            let denial = parse_denial(text).ok_or_else(|| {
                error(format!("denials.{rule_id}"), format!("`{text}` is not a denial like `CO-151 N362`"))
            })?;
            denials.insert(rule_id.clone(), denial);
        }
        Ok(Settings {
            fee_schedule: config.fee_schedule,
            coinsurance_percent: config.coinsurance_percent,
            bundled_codes: config.bundled_codes,
            replaced_codes: config.replaced_codes,
            denials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_denials_with_remarks() {
        let denial = parse_denial("CO-151 N362").unwrap();
        assert_eq!(denial.to_string(), "CO-151 N362");
        assert!(parse_denial("XX-151").is_none());
        assert!(parse_denial("CO151").is_none());
    }
}
