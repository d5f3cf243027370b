//! Self-pay (cash) policy: the practice's price list, no bundling edits, a
//! good-faith estimate of the total, and a warning for any service without a
//! price.

use std::collections::BTreeMap;

use payrules_pdk::model::ProcedureCode;
use payrules_pdk::{
    Claim, ConfigError, EvaluationError, Finding, LineResult, LineStatus, Money, Outcome, PayerPolicy, PluginInfo,
    PriceStep, ReferenceData, Severity, export_policy,
};
use serde::Deserialize;

const PRICE_MISSING: &str = "CASH-PRICE-MISSING";
const ESTIMATE: &str = "CASH-ESTIMATE";

/// The practice's cash prices.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfPayConfig {
    /// Price per unit, by code.
    pub price_list: BTreeMap<ProcedureCode, Money>,
    /// A prompt-pay discount, in percent.
    #[serde(default)]
    pub discount_percent: u32,
}

/// The self-pay policy, configured.
#[derive(Debug)]
pub struct SelfPay {
    config: SelfPayConfig,
}

impl PayerPolicy for SelfPay {
    type Config = SelfPayConfig;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info(
            "self-pay",
            env!("CARGO_PKG_VERSION"),
            &[
                (PRICE_MISSING, "A service has no cash price on the practice's list", "rule set price_list"),
                (
                    ESTIMATE,
                    "Good-faith estimate of what the patient pays",
                    "No Surprises Act good-faith estimate (45 CFR 149.610)",
                ),
            ],
        )
    }

    fn configure(config: SelfPayConfig) -> Result<Self, ConfigError> {
        ConfigError::check_percent("discount_percent", config.discount_percent)?;
        if let Some((code, _)) = config.price_list.iter().find(|(_, price)| **price < Money::ZERO) {
            return Err(ConfigError::new(format!("price_list.{code}"), "a price cannot be negative"));
        }
        Ok(SelfPay { config })
    }

    fn evaluate(&self, claim: &Claim, _data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        let mut findings = Vec::new();
        let mut total = Some(Money::ZERO);
        let mut unpriced = Vec::new();
        let lines = claim
            .lines
            .iter()
            .map(|line| {
                let mut steps = Vec::new();
                let amount = match self.config.price_list.get(&line.procedure) {
                    Some(price) => {
                        let gross = price.checked_mul(i64::from(line.units)).unwrap_or(Money::ZERO);
                        steps.push(PriceStep {
                            description: format!("{} x ${price} cash price", line.units),
                            amount: gross,
                        });
                        let discount = self.config.discount_percent;
                        if discount > 0 {
                            let net = gross.percent(100 - discount).unwrap_or(gross);
                            steps.push(PriceStep {
                                description: format!("less {discount}% prompt-pay discount"),
                                amount: net,
                            });
                            net
                        } else {
                            gross
                        }
                    }
                    None => {
                        unpriced.push(line.procedure.to_string());
                        findings.push(
                            Finding::new(
                                PRICE_MISSING,
                                Severity::Warning,
                                Some(line.number),
                                format!(
                                    "{} has no cash price, so the estimate leaves it out; add it to the price list",
                                    line.procedure
                                ),
                                "rule set price_list",
                            )
                            .with_fact("code", &line.procedure),
                        );
                        Money::ZERO
                    }
                };
                // An estimate that overflows is no estimate; it is reported, never capped.
                total = total.and_then(|sum: Money| sum.checked_add(amount));
                LineResult {
                    line: line.number,
                    correct_units: line.units,
                    allowed_units: line.units,
                    status: LineStatus::Payable,
                    expected_allowed: amount,
                    expected_payment: amount,
                    price_steps: steps,
                }
            })
            .collect();
        let total = total
            .ok_or_else(|| EvaluationError { message: "the estimate's total does not fit in an amount".to_owned() })?;
        let mut estimate = Finding::new(
            ESTIMATE,
            Severity::Info,
            None,
            format!("good-faith estimate: the patient pays ${total} for these services"),
            "No Surprises Act good-faith estimate (45 CFR 149.610)",
        )
        .with_fact("total", format!("${total}"));
        if !unpriced.is_empty() {
            estimate = estimate.with_fact("not included (no price)", unpriced.join(", "));
        }
        findings.push(estimate);
        Ok(Outcome { lines, findings })
    }
}

export_policy!(SelfPay);
