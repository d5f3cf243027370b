//! Expected allowed amount and payment: the payer's rate (its own fee
//! schedule, or a percentage of Medicare's), the assistant reduction where
//! configured, then coinsurance.

use std::collections::BTreeSet;

use payrules_pdk::rvu_pricing::{BaseAmount, rvu_amounts};
use payrules_pdk::work::LineWork;
use payrules_pdk::{Claim, Finding, LineResult, Money, PriceStep, ReferenceData, Severity};

use crate::config::Settings;
use crate::rules;

/// Prices each line as submitted.
pub fn price_lines(
    settings: &Settings,
    claim: &Claim,
    data: &dyn ReferenceData,
    work: &[LineWork],
    findings: &mut Vec<Finding>,
) -> Vec<LineResult> {
    let config = &settings.config;
    let mut unpriced: BTreeSet<String> = BTreeSet::new();
    let mut report = |line: u32, code: &str, why: String| {
        if unpriced.insert(code.to_owned()) {
            findings.push(Finding::new(
                rules::PRICE_MISSING,
                Severity::Info,
                Some(line),
                format!("{code} has no rate: {why}"),
                "rule set fee_schedule or percent_of_medicare",
            ));
        }
    };
    let bases: Vec<Option<BaseAmount>> = match &settings.medicare_pricing {
        Some((percent, pricing)) => rvu_amounts(pricing, claim, data, work, &mut report)
            .into_iter()
            .map(|base| {
                base.map(|mut base| {
                    base.amount = base.amount.percent(*percent).unwrap_or(Money::ZERO);
                    base.steps.push(PriceStep { description: format!("{percent}% of Medicare"), amount: base.amount });
                    base
                })
            })
            .collect(),
        None => claim
            .lines
            .iter()
            .zip(work)
            .map(|(line, state)| {
                let units = state.allowed();
                if units == 0 {
                    return None;
                }
                let Some(fee) = config.fee_schedule.get(&line.procedure) else {
                    report(line.number, line.procedure.as_str(), "no contracted rate is configured".to_owned());
                    return None;
                };
                let amount = fee.checked_mul(i64::from(units)).unwrap_or(Money::ZERO);
                let description = format!("{units} x ${fee} contracted rate");
                Some(BaseAmount { amount, steps: vec![PriceStep { description, amount }] })
            })
            .collect(),
    };
    claim
        .lines
        .iter()
        .zip(work)
        .zip(bases)
        .map(|((line, state), base)| {
            let (mut allowed, mut steps) = base.map_or((Money::ZERO, Vec::new()), |b| (b.amount, b.steps));
            let mut payment = Money::ZERO;
            if !steps.is_empty() {
                if let Some(percent) = config.assistant_payment_percent
                    && (line.has_modifier("CQ") || line.has_modifier("CO"))
                {
                    allowed = allowed.percent(percent).unwrap_or(Money::ZERO);
                    steps.push(PriceStep { description: format!("CQ/CO: assistant rate {percent}%"), amount: allowed });
                }
                let share = allowed.percent(config.coinsurance_percent).unwrap_or(Money::ZERO);
                payment = allowed.checked_sub(share).unwrap_or(Money::ZERO);
                steps.push(PriceStep {
                    description: format!("less {}% coinsurance (${share})", config.coinsurance_percent),
                    amount: payment,
                });
            }
            state.result(allowed, payment, steps)
        })
        .collect()
}
