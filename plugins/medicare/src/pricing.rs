//! Expected allowed amount and Medicare payment per line.
//!
//! The base amount comes from relative values when the rule set configures
//! RVU pricing, else from the flat fee schedule. Then, in this order: the
//! multiple-procedure payment reduction (inside the RVU amount), the CQ/CO
//! assistant percentage, the patient's coinsurance, and sequestration of the
//! Medicare-paid part.

use std::collections::{BTreeMap, BTreeSet};

use payrules_pdk::model::decimal::format_ten_thousandths;
use payrules_pdk::{
    Claim, Date, Finding, GeographicIndices, LineResult, LineStatus, Money, PriceStep, ReferenceData, RelativeValues,
    Severity,
};

use crate::assistants::has_assistant_modifier;
use crate::config::{RvuPricing, Settings, on_date};
use crate::rules;
use payrules_pdk::work::LineWork;

/// The MULT PROC indicator that marks the therapy multiple-procedure reduction.
const THERAPY_MPPR: u8 = 5;

/// A line's amount before the assistant percentage and cost sharing.
struct BaseAmount {
    amount: Money,
    steps: Vec<PriceStep>,
}

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
        Some(pricing) => rvu_amounts(pricing, claim, data, work, &mut unpriced),
        None => fee_amounts(settings, claim, work, &mut unpriced),
    };
    findings.extend(unpriced.findings);
    claim
        .lines
        .iter()
        .zip(work)
        .zip(bases)
        .map(|((line, state), base)| {
            let allowed_units = state.allowed();
            let status = if state.denied {
                LineStatus::Denied
            } else if allowed_units < state.billed {
                LineStatus::Adjusted
            } else {
                LineStatus::Payable
            };
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

/// Whether the line is priced at all: paid units, not denied.
fn priced(state: &LineWork) -> bool {
    !state.denied && state.allowed() > 0
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

/// The RVU-priced amounts of every line, a date of service at a time, with
/// the multiple-procedure payment reduction across each day's therapy units.
fn rvu_amounts(
    pricing: &RvuPricing,
    claim: &Claim,
    data: &dyn ReferenceData,
    work: &[LineWork],
    unpriced: &mut Unpriced,
) -> Vec<Option<BaseAmount>> {
    let mut amounts: Vec<Option<BaseAmount>> = claim.lines.iter().map(|_| None).collect();
    let dates: BTreeSet<Date> = claim.lines.iter().map(|l| l.date_of_service).collect();
    for date in dates {
        let indexes: Vec<usize> = claim
            .lines
            .iter()
            .zip(work)
            .enumerate()
            .filter(|(_, (line, state))| line.date_of_service == date && priced(state))
            .map(|(index, _)| index)
            .collect();
        if indexes.is_empty() {
            continue;
        }
        let inputs = day_inputs(pricing, claim, data, &indexes, date);
        let (factor, indices, values) = match inputs {
            Ok(inputs) => inputs,
            Err(reason) => {
                for line in indexes.iter().filter_map(|i| claim.lines.get(*i)) {
                    unpriced.add(line.number, line.procedure.as_str(), reason.clone());
                }
                continue;
            }
        };
        let components = |v: &RelativeValues| -> Components {
            let pe = if pricing.facility { v.practice_expense_facility } else { v.practice_expense_nonfacility };
            Components {
                work: i128::from(v.work) * i128::from(indices.work),
                practice_expense: i128::from(pe) * i128::from(indices.practice_expense),
                malpractice: i128::from(v.malpractice) * i128::from(indices.malpractice),
                practice_expense_rvu: pe,
            }
        };
        // The unit with the highest practice expense is paid in full; every
        // other therapy unit that day gets half its practice expense.
        let top = indexes
            .iter()
            .copied()
            .filter_map(|i| {
                let line = claim.lines.get(i)?;
                let v = values.get(line.procedure.as_str())?;
                (v.multiple_procedure == THERAPY_MPPR).then(|| (i, components(v).practice_expense))
            })
            .fold(None::<(usize, i128)>, |best, (i, pe)| match best {
                Some((_, best_pe)) if best_pe >= pe => best,
                _ => Some((i, pe)),
            })
            .map(|(i, _)| i);
        for index in indexes {
            let (Some(line), Some(state), Some(slot)) =
                (claim.lines.get(index), work.get(index), amounts.get_mut(index))
            else {
                continue;
            };
            let Some(v) = values.get(line.procedure.as_str()) else {
                unpriced.add(line.number, line.procedure.as_str(), format!("no relative values for it on {date}"));
                continue;
            };
            let units = i128::from(state.allowed());
            let reduced_units =
                if v.multiple_procedure == THERAPY_MPPR { units - i128::from(top == Some(index)) } else { 0 };
            let c = components(v);
            *slot = Some(line_amount(&c, units, reduced_units, factor, v, &indices));
        }
    }
    amounts
}

type DayInputs = (i64, GeographicIndices, BTreeMap<String, RelativeValues>);

/// The conversion factor, indices and relative values for one date.
fn day_inputs(
    pricing: &RvuPricing,
    claim: &Claim,
    data: &dyn ReferenceData,
    indexes: &[usize],
    date: Date,
) -> Result<DayInputs, String> {
    let factor = on_date(&pricing.conversion_factors, date)
        .ok_or_else(|| format!("no conversion factor is configured for {date}"))?;
    let indices = data
        .geographic_indices(&pricing.locality, date)
        .map_err(|e| format!("geographic indices: {e}"))?
        .ok_or_else(|| format!("locality `{}` is not in the GPCI file for {date}", pricing.locality))?;
    let codes: Vec<&str> = indexes.iter().filter_map(|i| claim.lines.get(*i)).map(|l| l.procedure.as_str()).collect();
    let values = data.relative_values(&codes, date).map_err(|e| format!("relative values: {e}"))?;
    Ok((factor, indices, values.into_iter().map(|v| (v.code.clone(), v)).collect()))
}

/// Each RVU times its GPCI, in hundred-millionths (ten-thousandths squared).
struct Components {
    work: i128,
    practice_expense: i128,
    malpractice: i128,
    /// The practice expense RVU of the setting priced, for showing the arithmetic.
    practice_expense_rvu: i64,
}

/// `units` of a code, `reduced_units` of them with half their practice
/// expense, at `factor` dollars per RVU; rounded to the cent once, per line.
fn line_amount(
    c: &Components,
    units: i128,
    reduced_units: i128,
    factor: i64,
    v: &RelativeValues,
    g: &GeographicIndices,
) -> BaseAmount {
    // Doubled so that half a practice expense stays an integer.
    let full_unit = 2 * (c.work + c.practice_expense + c.malpractice);
    let reduced_unit = 2 * (c.work + c.malpractice) + c.practice_expense;
    let full_units = units - reduced_units;
    let total = (full_units * full_unit + reduced_units * reduced_unit) * i128::from(factor);
    // total is in 2 x 10^12 per dollar, so 2 x 10^10 per cent.
    let amount = Money::from_cents(round_div(total, 20_000_000_000));
    let one_full = Money::from_cents(round_div(full_unit * i128::from(factor), 20_000_000_000));
    let formula = format!(
        "(work {} x {} + PE {} x {} + MP {} x {}) x CF ${} per unit",
        format_ten_thousandths(v.work),
        format_ten_thousandths(g.work),
        format_ten_thousandths(c.practice_expense_rvu),
        format_ten_thousandths(g.practice_expense),
        format_ten_thousandths(v.malpractice),
        format_ten_thousandths(g.malpractice),
        format_ten_thousandths(factor)
    );
    let mut steps = vec![PriceStep { description: formula, amount: one_full }];
    let description = if reduced_units == 0 {
        format!("{full_units} unit(s) at the full rate")
    } else {
        format!(
            "{full_units} unit(s) at the full rate, {reduced_units} with 50% of practice expense (multiple-procedure reduction)"
        )
    };
    steps.push(PriceStep { description, amount });
    BaseAmount { amount, steps }
}

/// `value / divisor` rounded half away from zero, saturating into cents.
fn round_div(value: i128, divisor: i128) -> i64 {
    let quotient = value / divisor;
    let remainder = value % divisor;
    let rounded = if remainder.abs() * 2 >= divisor.abs() {
        if value < 0 { quotient - 1 } else { quotient + 1 }
    } else {
        quotient
    };
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}
