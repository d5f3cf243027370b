//! Expected allowed amount and Medicare payment per line.
//!
//! The base amount comes from relative values when the rule set configures
//! RVU pricing, else from the flat fee schedule. Then, in this order: the
//! multiple-procedure payment reduction (inside the RVU amount), the
//! non-participating provider's 95%, the CQ/CO assistant percentage, the
//! lesser of that and the actual charge, the Part B deductible, the
//! patient's coinsurance of the rest, and sequestration of the Medicare-paid
//! part.

use payrules_pdk::amounts::{self, LineAmounts, Unpriced};
use payrules_pdk::pipeline::Evaluation;
use payrules_pdk::rvu_pricing::{BaseAmount, on_date, priced, rvu_amounts};
use payrules_pdk::work::LineWork;
use std::collections::BTreeMap;

use payrules_pdk::model::Participation;
use payrules_pdk::{Claim, EvaluationError, Finding, Money, PriceStep, ServiceLine};

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
    for (((line, state), slot), base) in ev.claim.lines.iter().zip(&ev.work).zip(&mut ev.amounts).zip(bases) {
        let Some(BaseAmount { amount, steps }) = base else { continue };
        let mut priced = LineAmounts::new(line.number, amount, steps);
        if ev.claim.participation == Participation::NonParticipating {
            let percent = settings.non_participating_percent;
            priced.rate(percent, format!("non-participating provider: {percent}% of the fee schedule amount"))?;
        }
        if has_assistant_modifier(line) && settings.assistant_payment_applies(line.date_of_service) {
            let percent = settings.assistant_payment_percent;
            priced.rate(percent, format!("CQ/CO: furnished in whole or in part by an assistant, {percent}%"))?;
        }
        if ev.claim.participation == Participation::NonParticipating && !ev.claim.accepts_assignment {
            check_limiting_charge(settings, line, &priced, &mut ev.findings)?;
        }
        // Medicare allows the lesser of the actual charge and the fee
        // schedule amount, after every reduction above (SSA 1848(a)(1);
        // 42 CFR 414.21).
        priced.lesser_of_charge(amounts::charge_for_units(line, state.allowed())?, "fee schedule amount")?;
        *slot = priced;
    }
    Ok(())
}

/// An unassigned claim from a non-participating provider may not charge
/// more than the limiting charge: 115% of the amount Medicare allows it.
fn check_limiting_charge(
    settings: &Settings,
    line: &ServiceLine,
    priced: &LineAmounts,
    findings: &mut Vec<Finding>,
) -> Result<(), EvaluationError> {
    let percent = settings.limiting_charge_percent;
    let limit = amounts::percent(line.number, priced.allowed, percent, "limiting charge")?;
    if line.charge > limit {
        findings.push(
            rules::LIMITING_CHARGE
                .finding(
                    Some(line.number),
                    format!(
                        "{} is charged ${}, over its ${limit} limiting charge ({percent}% of the ${} non-participating amount); the patient may not be billed the excess",
                        line.procedure, line.charge, priced.allowed
                    ),
                )
                .with_fact("charge", format!("${}", line.charge))
                .with_fact("limiting charge", format!("${limit}")),
        );
    }
    Ok(())
}

/// The Part B deductible, the patient's coinsurance of the rest, then
/// sequestration of the Medicare-paid part, on each line still paid.
///
/// The deductible met before this claim applies to the benefit year of the
/// claim's first date of service; lines in another year, or a year with no
/// configured deductible, are paid as though it was met, and say so.
pub fn cost_sharing(settings: &Settings, ev: &mut Evaluation<'_>) -> Result<(), EvaluationError> {
    let claim = ev.claim;
    let first_year = claim.first_date_of_service().map(|d| d.year());
    let met = claim.episode.as_ref().and_then(|e| e.deductible_met);
    let mut left: BTreeMap<u16, Money> = BTreeMap::new();
    let mut assumed: BTreeMap<u16, (u32, &'static str)> = BTreeMap::new();
    ev.each_priced(|amounts, index| {
        let Some(line) = claim.lines.get(index) else { return Ok(()) };
        let year = line.date_of_service.year();
        match (settings.deductibles.get(&year), met) {
            (Some(deductible), Some(met)) if Some(year) == first_year => {
                // What is left of the year's deductible: none once the amount met reaches it.
                let remaining = match left.get(&year) {
                    Some(remaining) => *remaining,
                    None if met >= *deductible => Money::ZERO,
                    None => amounts::less(line.number, *deductible, met, "Part B deductible")?,
                };
                let rest = amounts.deductible(remaining, &format!("Part B deductible ({year}, ${deductible})"))?;
                left.insert(year, rest);
            }
            (None, _) => {
                assumed.entry(year).or_insert((line.number, "no Part B deductible is configured for the year"));
            }
            (Some(_), _) => {
                assumed
                    .entry(year)
                    .or_insert((line.number, "the claim does not say how much of the year's deductible was met"));
            }
        }
        amounts.coinsurance(settings.coinsurance_percent, ": the Medicare part")?;
        if let Some(percent) = on_date(&settings.sequestration, line.date_of_service) {
            amounts.payment_cut(percent, "sequestration of the Medicare part")?;
        }
        Ok(())
    })?;
    for (year, (line, why)) in assumed {
        ev.findings.push(
            rules::DEDUCTIBLE_ASSUMED
                .finding(
                    Some(line),
                    format!("the expected payment assumes the {year} Part B deductible was met: {why}"),
                )
                .with_fact("benefit year", year),
        );
    }
    Ok(())
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
