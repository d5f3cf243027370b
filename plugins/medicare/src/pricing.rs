//! Expected allowed amount and Medicare payment per line.
//!
//! The base amount comes from relative values when the rule set configures
//! RVU pricing, else from the flat fee schedule. Then, in this order: the
//! multiple-procedure payment reduction (inside the RVU amount), the CQ/CO
//! assistant percentage, the patient's coinsurance, and sequestration of the
//! Medicare-paid part.

use payrules_pdk::amounts::{self, LineAmounts, Unpriced};
use payrules_pdk::pipeline::Evaluation;
use payrules_pdk::rvu_pricing::{BaseAmount, on_date, priced, rvu_amounts};
use payrules_pdk::work::LineWork;
use payrules_pdk::{Claim, EvaluationError, PriceStep};

use crate::assistants::has_assistant_modifier;
use crate::config::Settings;
use crate::rules;

/// Prices each line as submitted: the base amount, then the CQ/CO
/// assistant percentage.
pub fn price_lines(settings: &Settings, ev: &mut Evaluation<'_>) -> Result<(), EvaluationError> {
    let mut unpriced = Unpriced::new(rules::PRICE_MISSING);
    let bases = match &settings.pricing {
        Some(pricing) => rvu_amounts(pricing, ev.claim, ev.data, &ev.work, &mut unpriced)?,
        None => fee_amounts(settings, ev.claim, &ev.work, &mut unpriced)?,
    };
    ev.findings.extend(unpriced.into_findings());
    for ((line, slot), base) in ev.claim.lines.iter().zip(&mut ev.amounts).zip(bases) {
        let Some(BaseAmount { amount, steps }) = base else { continue };
        let mut priced = LineAmounts::new(line.number, amount, steps);
        if has_assistant_modifier(line) && settings.assistant_payment_applies(line.date_of_service) {
            let percent = settings.assistant_payment_percent;
            priced.rate(percent, format!("CQ/CO: furnished in whole or in part by an assistant, {percent}%"))?;
        }
        *slot = priced;
    }
    Ok(())
}

/// The patient's coinsurance, then sequestration of the Medicare-paid part,
/// on each line still paid.
pub fn cost_sharing(settings: &Settings, ev: &mut Evaluation<'_>) -> Result<(), EvaluationError> {
    let claim = ev.claim;
    ev.each_priced(|amounts, index| {
        amounts.coinsurance(settings.coinsurance_percent, ": the Medicare part")?;
        let date = claim.lines.get(index).map(|l| l.date_of_service);
        if let Some(percent) = date.and_then(|date| on_date(&settings.sequestration, date)) {
            amounts.payment_cut(percent, "sequestration of the Medicare part")?;
        }
        Ok(())
    })
}

/// Units times the configured amount per unit.
fn fee_amounts(
    settings: &Settings,
    claim: &Claim,
    work: &[LineWork],
    unpriced: &mut Unpriced,
) -> Result<Vec<Option<BaseAmount>>, EvaluationError> {
    let mut bases = Vec::with_capacity(claim.lines.len());
    for (line, state) in claim.lines.iter().zip(work) {
        if !priced(state) {
            bases.push(None);
            continue;
        }
        let units = state.allowed();
        let Some(fee) = settings.fee_schedule.get(&line.procedure) else {
            unpriced.add(line.number, line.procedure.as_str(), "no fee schedule amount is configured");
            bases.push(None);
            continue;
        };
        let description = format!("{units} x ${fee} fee schedule amount");
        let amount = amounts::times(line.number, *fee, units, &description)?;
        bases.push(Some(BaseAmount { amount, steps: vec![PriceStep { description, amount }] }));
    }
    Ok(bases)
}
