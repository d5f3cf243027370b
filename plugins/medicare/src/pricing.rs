//! Expected allowed amount and Medicare payment per line.

use std::collections::BTreeSet;

use payrules_pdk::{Claim, Finding, LineResult, LineStatus, Money, PriceStep, Severity};

use crate::assistants::has_assistant_modifier;
use crate::config::Settings;
use crate::rules;
use crate::work::LineWork;

/// Prices each line as submitted: allowed units times the fee schedule amount,
/// less the patient's coinsurance.
pub fn price_lines(
    settings: &Settings,
    claim: &Claim,
    work: &[LineWork],
    findings: &mut Vec<Finding>,
) -> Vec<LineResult> {
    let mut unpriced = BTreeSet::new();
    claim
        .lines
        .iter()
        .zip(work)
        .map(|(line, state)| {
            let allowed_units = state.allowed();
            let status = if state.denied {
                LineStatus::Denied
            } else if allowed_units < state.billed {
                LineStatus::Adjusted
            } else {
                LineStatus::Payable
            };
            let mut steps = Vec::new();
            let (allowed, payment) = if state.denied || allowed_units == 0 {
                (Money::ZERO, Money::ZERO)
            } else if let Some(fee) = settings.fee_schedule.get(&line.procedure) {
                let mut allowed = fee.checked_mul(i64::from(allowed_units)).unwrap_or(Money::ZERO);
                steps.push(PriceStep {
                    description: format!("{allowed_units} x ${fee} fee schedule amount"),
                    amount: allowed,
                });
                if has_assistant_modifier(line) && settings.assistant_payment_applies(line.date_of_service) {
                    let percent = settings.assistant_payment_percent;
                    allowed = allowed.percent(percent).unwrap_or(Money::ZERO);
                    steps.push(PriceStep {
                        description: format!("CQ/CO: furnished in whole or in part by an assistant, {percent}%"),
                        amount: allowed,
                    });
                }
                let coinsurance = allowed.percent(settings.coinsurance_percent).unwrap_or(Money::ZERO);
                let payment = allowed.checked_sub(coinsurance).unwrap_or(Money::ZERO);
                steps.push(PriceStep {
                    description: format!("less {}% patient coinsurance (${coinsurance})", settings.coinsurance_percent),
                    amount: payment,
                });
                (allowed, payment)
            } else {
                if unpriced.insert(line.procedure.clone()) {
                    findings.push(
                        Finding::new(
                            rules::PRICE_MISSING,
                            Severity::Info,
                            Some(line.number),
                            format!(
                                "no fee schedule amount is configured for {}, so its expected payment is not known",
                                line.procedure
                            ),
                            "rule set fee_schedule",
                        )
                        .with_fact("code", &line.procedure),
                    );
                }
                (Money::ZERO, Money::ZERO)
            };
            LineResult {
                line: line.number,
                correct_units: state.correct,
                allowed_units,
                status,
                expected_allowed: allowed,
                expected_payment: payment,
                price_steps: steps,
            }
        })
        .collect()
}
