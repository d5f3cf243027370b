//! Expected allowed amount and Medicare payment per line.
//!
//! The base amount comes from relative values when the rule set configures
//! RVU pricing, else from the flat fee schedule. Then, in this order: the
//! multiple-procedure payment reduction (inside the RVU amount), the CQ/CO
//! assistant percentage, the patient's coinsurance, and sequestration of the
//! Medicare-paid part.

use std::collections::BTreeSet;

use payrules_pdk::{Claim, Finding, LineResult, Money, PriceStep, ReferenceData, Severity};

use crate::assistants::has_assistant_modifier;
use crate::config::Settings;
use crate::rules;
use payrules_pdk::rvu_pricing::{BaseAmount, on_date, priced, rvu_amounts};
use payrules_pdk::work::LineWork;

/// Prices each line as submitted.
pub fn price_lines(
    settings: &Settings,
    claim: &Claim,
    data: &dyn ReferenceData,
    work: &[LineWork],
    findings: &mut Vec<Finding>,
) -> Vec<LineResult> {
    let mut unpriced = Unpriced::default();
    let bases = match &settings.pricing {
        Some(pricing) => {
            rvu_amounts(pricing, claim, data, work, &mut |line, code, reason| unpriced.add(line, code, reason))
        }
        None => fee_amounts(settings, claim, work, &mut unpriced),
    };
    findings.extend(unpriced.findings);
    claim
        .lines
        .iter()
        .zip(work)
        .zip(bases)
        .map(|((line, state), base)| {
            let (allowed, payment, steps) = match base {
                None => (Money::ZERO, Money::ZERO, Vec::new()),
                Some(BaseAmount { amount, mut steps }) => {
                    let mut allowed = amount;
                    if has_assistant_modifier(line) && settings.assistant_payment_applies(line.date_of_service) {
                        let percent = settings.assistant_payment_percent;
                        allowed = allowed.percent(percent).unwrap_or(Money::ZERO);
                        steps.push(PriceStep {
                            description: format!("CQ/CO: furnished in whole or in part by an assistant, {percent}%"),
                            amount: allowed,
                        });
                    }
                    let coinsurance = allowed.percent(settings.coinsurance_percent).unwrap_or(Money::ZERO);
                    let mut payment = allowed.checked_sub(coinsurance).unwrap_or(Money::ZERO);
                    steps.push(PriceStep {
                        description: format!(
                            "less {}% patient coinsurance (${coinsurance}): the Medicare part",
                            settings.coinsurance_percent
                        ),
                        amount: payment,
                    });
                    if let Some(percent) = on_date(&settings.sequestration, line.date_of_service) {
                        let cut = payment.percent(percent).unwrap_or(Money::ZERO);
                        payment = payment.checked_sub(cut).unwrap_or(Money::ZERO);
                        steps.push(PriceStep {
                            description: format!("less {percent}% sequestration of the Medicare part (${cut})"),
                            amount: payment,
                        });
                    }
                    (allowed, payment, steps)
                }
            };
            state.result(allowed, payment, steps)
        })
        .collect()
}

/// Findings for lines without a price, one per code and reason.
#[derive(Default)]
struct Unpriced {
    seen: BTreeSet<String>,
    findings: Vec<Finding>,
}

impl Unpriced {
    fn add(&mut self, line: u32, code: &str, reason: String) {
        if self.seen.insert(format!("{code} {reason}")) {
            self.findings.push(
                Finding::new(
                    rules::PRICE_MISSING,
                    Severity::Info,
                    Some(line),
                    format!("{code} has no expected payment: {reason}"),
                    "rule set pricing and fee_schedule",
                )
                .with_fact("code", code),
            );
        }
    }
}

/// Units times the configured amount per unit.
fn fee_amounts(
    settings: &Settings,
    claim: &Claim,
    work: &[LineWork],
    unpriced: &mut Unpriced,
) -> Vec<Option<BaseAmount>> {
    claim
        .lines
        .iter()
        .zip(work)
        .map(|(line, state)| {
            if !priced(state) {
                return None;
            }
            let units = state.allowed();
            let Some(fee) = settings.fee_schedule.get(&line.procedure) else {
                unpriced.add(line.number, line.procedure.as_str(), "no fee schedule amount is configured".to_owned());
                return None;
            };
            let amount = fee.checked_mul(i64::from(units)).unwrap_or(Money::ZERO);
            let description = format!("{units} x ${fee} fee schedule amount");
            Some(BaseAmount { amount, steps: vec![PriceStep { description, amount }] })
        })
        .collect()
}
