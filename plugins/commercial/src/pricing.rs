//! Expected allowed amount and payment: units times the payer's fee, the
//! assistant reduction where configured, then coinsurance.

use std::collections::BTreeSet;

use payrules_pdk::work::LineWork;
use payrules_pdk::{Claim, Finding, LineResult, Money, PriceStep, Severity};

use crate::config::Settings;
use crate::rules;

/// Prices each line as submitted.
pub fn price_lines(
    settings: &Settings,
    claim: &Claim,
    work: &[LineWork],
    findings: &mut Vec<Finding>,
) -> Vec<LineResult> {
    let config = &settings.config;
    let mut unpriced = BTreeSet::new();
    claim
        .lines
        .iter()
        .zip(work)
        .map(|(line, state)| {
            let units = state.allowed();
            let status = state.status();
            let mut steps = Vec::new();
            let mut allowed = Money::ZERO;
            let mut payment = Money::ZERO;
            if units > 0 {
                match config.fee_schedule.get(&line.procedure) {
                    None => {
                        if unpriced.insert(line.procedure.clone()) {
                            findings.push(Finding::new(
                                rules::PRICE_MISSING,
                                Severity::Info,
                                Some(line.number),
                                format!("no fee schedule amount is configured for {}", line.procedure),
                                "rule set fee_schedule",
                            ));
                        }
                    }
                    Some(fee) => {
                        allowed = fee.checked_mul(i64::from(units)).unwrap_or(Money::ZERO);
                        steps.push(PriceStep {
                            description: format!("{units} x ${fee} contracted rate"),
                            amount: allowed,
                        });
                        if let Some(percent) = config.assistant_payment_percent
                            && (line.has_modifier("CQ") || line.has_modifier("CO"))
                        {
                            allowed = allowed.percent(percent).unwrap_or(Money::ZERO);
                            steps.push(PriceStep {
                                description: format!("CQ/CO: assistant rate {percent}%"),
                                amount: allowed,
                            });
                        }
                        let share = allowed.percent(config.coinsurance_percent).unwrap_or(Money::ZERO);
                        payment = allowed.checked_sub(share).unwrap_or(Money::ZERO);
                        steps.push(PriceStep {
                            description: format!("less {}% coinsurance (${share})", config.coinsurance_percent),
                            amount: payment,
                        });
                    }
                }
            }
            LineResult {
                line: line.number,
                correct_units: state.correct,
                allowed_units: units,
                status,
                expected_allowed: allowed,
                expected_payment: payment,
                price_steps: steps,
            }
        })
        .collect()
}
