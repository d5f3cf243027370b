//! The money steps every policy takes, checked: a rate times units, a
//! percentage, a share taken off, and the report of lines that have no
//! price. An amount that overflows, or a share larger than what it is taken
//! from, is an evaluation error naming the line and the step, never $0.

use std::collections::BTreeSet;

use crate::rule::Rule;
use crate::{EvaluationError, Finding, Money, PriceStep};

/// The error for an amount that cannot be computed on `line` at `step`.
pub fn impossible(line: u32, step: &str, why: &str) -> EvaluationError {
    EvaluationError { message: format!("line {line}: {step}: {why}") }
}

/// `rate` times `units`, for `line`.
pub fn times(line: u32, rate: Money, units: u32, step: &str) -> Result<Money, EvaluationError> {
    rate.checked_mul(i64::from(units)).ok_or_else(|| impossible(line, step, "the amount overflows"))
}

/// `percent`% of `amount`, for `line`.
pub fn percent(line: u32, amount: Money, percent: u32, step: &str) -> Result<Money, EvaluationError> {
    amount.percent(percent).ok_or_else(|| impossible(line, step, "the amount overflows"))
}

/// `amount` less `share`, for `line`; a share larger than the amount is impossible.
pub fn less(line: u32, amount: Money, share: Money, step: &str) -> Result<Money, EvaluationError> {
    match amount.checked_sub(share) {
        Some(rest) if rest >= Money::ZERO || amount < Money::ZERO => Ok(rest),
        Some(_) => Err(impossible(line, step, &format!("a share of ${share} is more than ${amount}"))),
        None => Err(impossible(line, step, "the amount overflows")),
    }
}

/// The part of `line`'s charge for `units` of its billed units, at the
/// line's charge per unit: what the lesser-of rule compares when fewer units
/// are allowed than billed. Rounded half up to the cent.
pub fn charge_for_units(line: &crate::ServiceLine, units: u32) -> Result<Money, EvaluationError> {
    if units >= line.units || line.units == 0 {
        return Ok(line.charge);
    }
    let scaled = i128::from(line.charge.cents()) * i128::from(units);
    let billed = i128::from(line.units);
    let cents = (scaled * 2 + billed) / (billed * 2);
    i64::try_from(cents)
        .map(Money::from_cents)
        .map_err(|_| impossible(line.number, "the charge for the units allowed", "the amount overflows"))
}

/// One line's amounts as they are worked out: the allowed amount, the
/// payment, and the steps that reached them, for `--explain`.
#[derive(Clone, Debug)]
pub struct LineAmounts {
    /// The line number.
    pub line: u32,
    /// The payer's allowed amount so far.
    pub allowed: Money,
    /// What the payer pays so far (after cost sharing taken so far).
    pub payment: Money,
    /// The part of the allowed amount the patient pays as deductible;
    /// coinsurance is a share of the rest.
    pub deductible: Money,
    /// The steps taken.
    pub steps: Vec<PriceStep>,
}

impl LineAmounts {
    /// A line priced at `allowed` by `steps`, before any cost sharing.
    pub fn new(line: u32, allowed: Money, steps: Vec<PriceStep>) -> LineAmounts {
        LineAmounts { line, allowed, payment: allowed, deductible: Money::ZERO, steps }
    }

    /// Pays `percent`% of the allowed amount (an assistant's rate, a
    /// percentage of another schedule): both the allowed amount and the
    /// payment become that share.
    pub fn rate(&mut self, percent: u32, description: String) -> Result<(), EvaluationError> {
        self.allowed = crate::amounts::percent(self.line, self.allowed, percent, &description)?;
        self.payment = self.allowed;
        self.steps.push(PriceStep { description, amount: self.allowed });
        Ok(())
    }

    /// The payer allows the lesser of the line's actual charge and the amount
    /// worked out so far (Medicare: SSA 1848(a)(1), 42 CFR 414.21; most
    /// contracts say the same of their rates). `charge` is the charge for
    /// the units priced ([`charge_for_units`]). Returns whether the charge
    /// was the lesser, which adds a step saying so.
    pub fn lesser_of_charge(&mut self, charge: Money, schedule: &str) -> Result<bool, EvaluationError> {
        if charge >= self.allowed {
            return Ok(false);
        }
        let description = format!("lesser of the charge (${charge}) and the {schedule} (${})", self.allowed);
        self.allowed = charge;
        self.payment = charge;
        self.steps.push(PriceStep { description, amount: charge });
        Ok(true)
    }

    /// The patient pays what is left of the year's deductible, up to this
    /// line's allowed amount, before any coinsurance; returns what is left of
    /// the deductible for later lines.
    pub fn deductible(&mut self, deductible_left: Money, what: &str) -> Result<Money, EvaluationError> {
        let taken = deductible_left.min(self.payment).max(Money::ZERO);
        self.payment = less(self.line, self.payment, taken, what)?;
        self.deductible =
            self.deductible.checked_add(taken).ok_or_else(|| impossible(self.line, what, "the amount overflows"))?;
        if taken > Money::ZERO {
            self.steps.push(PriceStep { description: format!("less ${taken} {what}"), amount: self.payment });
        }
        less(self.line, deductible_left, taken, what)
    }

    /// The patient pays `percent`% of the allowed amount, less any deductible
    /// already taken from it; the payer the rest. `of_what` ends the step's
    /// description (e.g. `: the Medicare part`).
    pub fn coinsurance(&mut self, percent: u32, of_what: &str) -> Result<(), EvaluationError> {
        let step = "patient coinsurance";
        let base = less(self.line, self.allowed, self.deductible, step)?;
        let share = crate::amounts::percent(self.line, base, percent, step)?;
        self.payment = less(self.line, self.payment, share, step)?;
        self.steps.push(PriceStep {
            description: format!("less {percent}% patient coinsurance (${share}){of_what}"),
            amount: self.payment,
        });
        Ok(())
    }

    /// The payer's own payment is cut by `percent`% (Medicare sequestration).
    pub fn payment_cut(&mut self, percent: u32, description: &str) -> Result<(), EvaluationError> {
        let cut = crate::amounts::percent(self.line, self.payment, percent, description)?;
        self.payment = less(self.line, self.payment, cut, description)?;
        self.steps
            .push(PriceStep { description: format!("less {percent}% {description} (${cut})"), amount: self.payment });
        Ok(())
    }

    /// The patient pays a fixed `copay` out of what is left of it, at most
    /// this line's payment; returns what is left of the copay for later lines.
    pub fn copay(&mut self, copay_left: Money, what: &str) -> Result<Money, EvaluationError> {
        let copay = copay_left.min(self.payment).max(Money::ZERO);
        self.payment = less(self.line, self.payment, copay, what)?;
        if copay > Money::ZERO {
            self.steps.push(PriceStep { description: format!("less ${copay} {what}"), amount: self.payment });
        }
        less(self.line, copay_left, copay, what)
    }
}

/// Lines without a price, reported once per code and reason under the
/// plugin's missing-price rule.
#[derive(Debug)]
pub struct Unpriced {
    rule: Rule,
    seen: BTreeSet<(String, String)>,
    findings: Vec<Finding>,
}

impl Unpriced {
    /// Reports under `rule`.
    pub fn new(rule: Rule) -> Unpriced {
        Unpriced { rule, seen: BTreeSet::new(), findings: Vec::new() }
    }

    /// `code` on `line` has no price, for `reason`; the first line of each
    /// code and reason gets the finding.
    pub fn add(&mut self, line: u32, code: &str, reason: &str) {
        if self.seen.insert((code.to_owned(), reason.to_owned())) {
            self.findings
                .push(self.rule.finding(Some(line), format!("{code} has no price: {reason}")).with_fact("code", code));
        }
    }

    /// The findings, in the order the lines came.
    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    #[test]
    fn shares_are_taken_in_order_and_each_step_is_shown() {
        let mut line = LineAmounts::new(1, Money::from_cents(10_000), Vec::new());
        line.rate(85, "CQ/CO: assistant, 85%".to_owned()).unwrap();
        line.coinsurance(20, ": the Medicare part").unwrap();
        line.payment_cut(2, "sequestration of the Medicare part").unwrap();
        assert_eq!(line.allowed, Money::from_cents(8_500));
        assert_eq!(line.payment, Money::from_cents(6_664));
        assert_eq!(line.steps.len(), 3);
        assert_eq!(line.steps[1].description, "less 20% patient coinsurance ($17.00): the Medicare part");
        let left = line.copay(Money::from_cents(10_000), "visit copay").unwrap();
        assert_eq!((line.payment, left), (Money::ZERO, Money::from_cents(3_336)));
    }

    #[test]
    fn the_lesser_of_the_charge_and_the_schedule_is_allowed() {
        // A $10.00 charge against a $26.99 fee schedule amount: $10.00 is allowed.
        let mut line = LineAmounts::new(1, Money::from_cents(2_699), Vec::new());
        assert!(line.lesser_of_charge(Money::from_cents(1_000), "fee schedule amount").unwrap());
        assert_eq!((line.allowed, line.payment), (Money::from_cents(1_000), Money::from_cents(1_000)));
        assert_eq!(line.steps[0].description, "lesser of the charge ($10.00) and the fee schedule amount ($26.99)");
        // A higher charge changes nothing and adds no step.
        let mut high = LineAmounts::new(1, Money::from_cents(2_699), Vec::new());
        assert!(!high.lesser_of_charge(Money::from_cents(9_000), "fee schedule amount").unwrap());
        assert!(high.steps.is_empty());
    }

    #[test]
    fn the_charge_for_fewer_units_is_the_line_rate_per_unit() {
        let line = crate::ServiceLine {
            number: 1,
            date_of_service: crate::Date::new(2025, 3, 10).unwrap(),
            procedure: crate::model::ProcedureCode::parse("97110").unwrap(),
            modifiers: Vec::new(),
            units: 3,
            diagnosis_pointers: Vec::new(),
            charge: Money::from_cents(10_000),
            minutes: None,
            time_blocks: Vec::new(),
            rendering_provider: None,
            place_of_service: None,
        };
        assert_eq!(charge_for_units(&line, 3).unwrap(), Money::from_cents(10_000));
        assert_eq!(charge_for_units(&line, 2).unwrap(), Money::from_cents(6_667));
        assert_eq!(charge_for_units(&line, 1).unwrap(), Money::from_cents(3_333));
    }

    #[test]
    fn the_deductible_comes_before_coinsurance_which_is_a_share_of_the_rest() {
        // $100.00 allowed with $30.00 of the deductible left: the patient pays
        // $30.00, then 20% of the other $70.00; the payer $56.00.
        let mut line = LineAmounts::new(1, Money::from_cents(10_000), Vec::new());
        let left = line.deductible(Money::from_cents(3_000), "Part B deductible").unwrap();
        line.coinsurance(20, ": the Medicare part").unwrap();
        assert_eq!((left, line.payment), (Money::ZERO, Money::from_cents(5_600)));
        assert_eq!(line.steps[0].description, "less $30.00 Part B deductible");
        assert_eq!(line.steps[1].description, "less 20% patient coinsurance ($14.00): the Medicare part");
        // A deductible larger than the line takes all of it and carries the rest.
        let mut small = LineAmounts::new(2, Money::from_cents(2_000), Vec::new());
        let left = small.deductible(Money::from_cents(3_000), "Part B deductible").unwrap();
        small.coinsurance(20, "").unwrap();
        assert_eq!((left, small.payment), (Money::from_cents(1_000), Money::ZERO));
    }

    #[test]
    fn an_overflow_is_an_error_naming_the_line_and_step_never_zero() {
        let error = times(3, Money::from_cents(i64::MAX / 2), 4, "4 x fee schedule").unwrap_err();
        assert_eq!(error.message, "line 3: 4 x fee schedule: the amount overflows");
        let error = less(2, Money::from_cents(100), Money::from_cents(101), "copay").unwrap_err();
        assert_eq!(error.message, "line 2: copay: a share of $1.01 is more than $1.00");
    }

    #[test]
    fn a_missing_price_is_reported_once_per_code_and_reason() {
        let rule = Rule::new("T-PRICE", Severity::Info, "No price", "rule set fee_schedule");
        let mut unpriced = Unpriced::new(rule);
        unpriced.add(1, "97110", "no fee");
        unpriced.add(2, "97110", "no fee");
        unpriced.add(3, "97140", "no fee");
        let findings = unpriced.into_findings();
        assert_eq!(findings.iter().map(|f| f.line).collect::<Vec<_>>(), vec![Some(1), Some(3)]);
        assert_eq!(findings[0].message, "97110 has no price: no fee");
    }
}
