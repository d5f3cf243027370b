//! Physician fee schedule pricing from relative values: RVUs times GPCIs
//! times the conversion factor, with the therapy multiple-procedure payment
//! reduction. Shared by the policies that price this way (Medicare, and
//! California workers' comp, whose fee schedule applies the same reduction).

use std::collections::{BTreeMap, BTreeSet};

use payrules_model::decimal::format_ten_thousandths;

use crate::amounts::Unpriced;
use crate::work::LineWork;
use crate::{Claim, Date, EvaluationError, GeographicIndices, Money, PriceStep, ReferenceData, RelativeValues};

/// A value that applies over a range of dates of service.
#[derive(Clone, Copy, Debug)]
pub struct Dated<T> {
    /// First date.
    pub from: Date,
    /// Last date, inclusive.
    pub to: Option<Date>,
    /// The value.
    pub value: T,
}

/// The value in force on `date`.
pub fn on_date<T: Copy>(values: &[Dated<T>], date: Date) -> Option<T> {
    values.iter().find(|d| date >= d.from && d.to.is_none_or(|to| date <= to)).map(|d| d.value)
}

/// A conversion factor as a rule set writes it.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedFactor {
    /// First date of service.
    pub from: Date,
    /// Last date of service, inclusive; open-ended when omitted.
    #[serde(default)]
    pub to: Option<Date>,
    /// Dollars per RVU with up to four decimals, e.g. `"32.3465"`.
    pub amount: String,
}

/// Checks conversion factors: amounts with up to four decimals, above zero,
/// and date ranges that neither run backwards nor overlap. `field` names the
/// configuration key in errors.
pub fn parse_factors(field: &str, factors: &[DatedFactor]) -> Result<Vec<Dated<i64>>, crate::ConfigError> {
    let mut parsed: Vec<Dated<i64>> = Vec::with_capacity(factors.len());
    for (index, factor) in factors.iter().enumerate() {
        let at = format!("{field}[{index}]");
        let value = payrules_model::decimal::ten_thousandths(&factor.amount).filter(|v| *v > 0).ok_or_else(|| {
            crate::ConfigError::new(
                format!("{at}.amount"),
                format!("`{}` is not a dollar amount like `32.3465`", factor.amount),
            )
        })?;
        if factor.to.is_some_and(|to| to < factor.from) {
            return Err(crate::ConfigError::new(at, "`to` is before `from`"));
        }
        let overlaps = |other: &Dated<i64>| {
            !(other.to.is_some_and(|to| to < factor.from) || factor.to.is_some_and(|to| to < other.from))
        };
        if parsed.iter().any(overlaps) {
            return Err(crate::ConfigError::new(at, "its dates overlap an earlier entry's"));
        }
        parsed.push(Dated { from: factor.from, to: factor.to, value });
    }
    Ok(parsed)
}

/// RVU pricing, checked.
#[derive(Debug)]
pub struct RvuPricing {
    /// GPCI locality key.
    pub locality: String,
    /// Facility rate or not.
    pub facility: bool,
    /// Conversion factors in ten-thousandths of a dollar.
    pub conversion_factors: Vec<Dated<i64>>,
    /// Codes the reduction also covers beyond those with MULT PROC 5, e.g.
    /// chiropractic manipulation under California's fee schedule.
    pub extra_reduced_codes: Vec<String>,
}

/// The MULT PROC indicator that marks the therapy multiple-procedure reduction.
const THERAPY_MPPR: u8 = 5;

/// A line's amount before the assistant percentage and cost sharing.
pub struct BaseAmount {
    /// The amount.
    pub amount: Money,
    /// How it was reached.
    pub steps: Vec<PriceStep>,
}

/// Whether the line is priced at all: paid units, not denied.
pub fn priced(state: &LineWork) -> bool {
    !state.denied && state.allowed() > 0
}

/// The RVU-priced amounts of every line, a date of service at a time, with
/// the multiple-procedure payment reduction across each day's therapy units.
///
/// Each line that cannot be priced goes to `unpriced` with its reason. An
/// amount too large to carry is an evaluation error naming the line.
pub fn rvu_amounts(
    pricing: &RvuPricing,
    claim: &Claim,
    data: &dyn ReferenceData,
    work: &[LineWork],
    unpriced: &mut Unpriced,
) -> Result<Vec<Option<BaseAmount>>, EvaluationError> {
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
                    unpriced.add(line.number, line.procedure.as_str(), &reason);
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
                reduced(pricing, v).then(|| (i, components(v).practice_expense))
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
                unpriced.add(line.number, line.procedure.as_str(), &format!("no relative values for it on {date}"));
                continue;
            };
            let units = i128::from(state.allowed());
            let reduced_units = if reduced(pricing, v) { units - i128::from(top == Some(index)) } else { 0 };
            let c = components(v);
            let amount = line_amount(&c, units, reduced_units, factor, v, &indices)
                .ok_or_else(|| crate::amounts::impossible(line.number, "RVU pricing", "the amount overflows"))?;
            *slot = Some(amount);
        }
    }
    Ok(amounts)
}

/// Whether the multiple-procedure reduction covers the code.
fn reduced(pricing: &RvuPricing, values: &RelativeValues) -> bool {
    values.multiple_procedure == THERAPY_MPPR || pricing.extra_reduced_codes.contains(&values.code)
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
) -> Option<BaseAmount> {
    // Doubled so that half a practice expense stays an integer.
    let full_unit = c.work.checked_add(c.practice_expense)?.checked_add(c.malpractice)?.checked_mul(2)?;
    let reduced_unit = c.work.checked_add(c.malpractice)?.checked_mul(2)?.checked_add(c.practice_expense)?;
    let full_units = units.checked_sub(reduced_units)?;
    let total = full_units
        .checked_mul(full_unit)?
        .checked_add(reduced_units.checked_mul(reduced_unit)?)?
        .checked_mul(i128::from(factor))?;
    // total is in 2 x 10^12 per dollar, so 2 x 10^10 per cent.
    let amount = Money::from_cents(round_div(total, 20_000_000_000)?);
    let one_full = Money::from_cents(round_div(full_unit.checked_mul(i128::from(factor))?, 20_000_000_000)?);
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
    Some(BaseAmount { amount, steps })
}

/// `value / divisor` rounded half away from zero, or `None` when it does not fit in cents.
fn round_div(value: i128, divisor: i128) -> Option<i64> {
    let quotient = value.checked_div(divisor)?;
    let remainder = value.checked_rem(divisor)?;
    let rounded = if remainder.checked_abs()?.checked_mul(2)? >= divisor.checked_abs()? {
        if value < 0 { quotient.checked_sub(1)? } else { quotient.checked_add(1)? }
    } else {
        quotient
    };
    i64::try_from(rounded).ok()
}
