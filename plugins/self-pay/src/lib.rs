//! Self-pay (cash) policy: the practice's price list, no bundling edits, a
//! good-faith estimate of the total, and a warning for any service without a
//! price.

use std::collections::BTreeMap;

use payrules_pdk::amounts::{self, LineAmounts};
use payrules_pdk::model::ProcedureCode;
use payrules_pdk::pipeline::{self, Evaluation, Stage, Step};
use payrules_pdk::{
    Claim, ConfigError, EvaluationError, Money, Outcome, PayerPolicy, PluginInfo, PriceStep, ReferenceData, Rule,
    Severity, export_policy,
};
use serde::Deserialize;

/// A warning for each line the estimate leaves out, so the practice prices it.
const PRICE_MISSING: Rule = Rule::new(
    "CASH-PRICE-MISSING",
    Severity::Warning,
    "A service has no cash price on the practice's list",
    "rule set price_list",
);
const ESTIMATE: Rule = Rule::new(
    "CASH-ESTIMATE",
    Severity::Info,
    "Good-faith estimate of what the patient pays",
    "No Surprises Act good-faith estimate (45 CFR 149.610)",
);

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
        payrules_pdk::plugin_info("self-pay", env!("CARGO_PKG_VERSION"), &[PRICE_MISSING, ESTIMATE])
    }

    fn configure(config: SelfPayConfig) -> Result<Self, ConfigError> {
        ConfigError::check_percent("discount_percent", config.discount_percent)?;
        if let Some((code, _)) = config.price_list.iter().find(|(_, price)| **price < Money::ZERO) {
            return Err(ConfigError::new(format!("price_list.{code}"), "a price cannot be negative"));
        }
        Ok(SelfPay { config })
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        pipeline::run(self, STEPS, claim, data)
    }
}

/// The policy's steps: the price list, then the estimate of the total.
const STEPS: &[Step<SelfPay>] = &[
    Step::new(Stage::Pricing, "cash price list", |p, ev| p.price(ev)),
    Step::new(Stage::CostSharing, "good-faith estimate", |_, ev| {
        let mut total = Money::ZERO;
        for amounts in &ev.amounts {
            // An estimate that overflows is no estimate; it is reported, never capped.
            total = total.checked_add(amounts.payment).ok_or_else(|| EvaluationError {
                message: "the estimate's total does not fit in an amount".to_owned(),
            })?;
        }
        let unpriced: Vec<String> = ev
            .claim
            .lines
            .iter()
            .zip(&ev.amounts)
            .filter(|(_, amounts)| amounts.steps.is_empty())
            .map(|(line, _)| line.procedure.to_string())
            .collect();
        let mut estimate = ESTIMATE
            .finding(None, format!("good-faith estimate: the patient pays ${total} for these services"))
            .with_fact("total", format!("${total}"));
        if !unpriced.is_empty() {
            estimate = estimate.with_fact("not included (no price)", unpriced.join(", "));
        }
        ev.findings.push(estimate);
        Ok(())
    }),
];

impl SelfPay {
    /// Each line at its cash price, less the prompt-pay discount; a line
    /// with no price is left out of the estimate, with a warning.
    fn price(&self, ev: &mut Evaluation<'_>) -> Result<(), EvaluationError> {
        for (line, amounts) in ev.claim.lines.iter().zip(&mut ev.amounts) {
            let Some(price) = self.config.price_list.get(&line.procedure) else {
                let message = format!(
                    "{} has no cash price, so the estimate leaves it out; add it to the price list",
                    line.procedure
                );
                ev.findings.push(PRICE_MISSING.finding(Some(line.number), message).with_fact("code", &line.procedure));
                continue;
            };
            let description = format!("{} x ${price} cash price", line.units);
            let gross = amounts::times(line.number, *price, line.units, &description)?;
            *amounts = LineAmounts::new(line.number, gross, vec![PriceStep { description, amount: gross }]);
            let discount = self.config.discount_percent;
            if discount > 0 {
                amounts.rate(100 - discount, format!("less {discount}% prompt-pay discount"))?;
            }
        }
        Ok(())
    }
}

export_policy!(SelfPay);
