//! A policy as a list of named steps, each in one stage of a fixed order:
//! eligibility, code and modifier edits, bundling, units, caps, pricing,
//! benefit limits, cost sharing, documentation.
//!
//! Each step reads and changes one [`Evaluation`]: the lines' running
//! verdicts, the findings, and once priced the lines' amounts. A plugin lists
//! its steps once, so the order its rules run in is visible in one place,
//! and [`run`] refuses a list whose stages go backwards. The PDK supplies the
//! steps every payer shares (NCCI edits, units by a payer's method, RVU
//! pricing, coinsurance, copays); a plugin keeps only its payer's own.

use crate::amounts::LineAmounts;
use crate::work::LineWork;
use crate::{Claim, EvaluationError, Finding, Money, Outcome, PriceStep, ReferenceData};

/// Where a step belongs in the order every policy follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Whether the visit is covered at all: visit limits, authorisation, claim data.
    Eligibility,
    /// Codes and modifiers: unknown or replaced codes, therapy modifiers.
    Codes,
    /// Code pairs and edits: NCCI PTP, MUEs, one evaluation a day, payer pairs.
    Bundling,
    /// Minutes into units, and who furnished them (assistants).
    Units,
    /// Units per visit or per day.
    Caps,
    /// Allowed amounts: fee schedules, relative values, reductions.
    Pricing,
    /// Limits on allowed amounts over time: the therapy threshold.
    Limits,
    /// What the patient pays: deductible, coinsurance, copays; the payer's own cuts.
    CostSharing,
    /// Documentation the claim's episode should show.
    Documentation,
}

/// One named step of a policy.
pub struct Step<P> {
    /// Its stage.
    pub stage: Stage,
    /// What it checks, for messages.
    pub name: &'static str,
    /// The step itself.
    pub run: fn(&P, &mut Evaluation<'_>) -> Result<(), EvaluationError>,
}

impl<P> Step<P> {
    /// A step named `name` in `stage`.
    pub const fn new(
        stage: Stage,
        name: &'static str,
        run: fn(&P, &mut Evaluation<'_>) -> Result<(), EvaluationError>,
    ) -> Step<P> {
        Step { stage, name, run }
    }
}

/// Whether `steps` keep the stage order; the first step that goes back, if any.
pub fn check_order<P>(steps: &[Step<P>]) -> Result<(), String> {
    for pair in steps.windows(2) {
        if let [before, after] = pair
            && after.stage < before.stage
        {
            return Err(format!(
                "step `{}` ({:?}) comes after `{}` ({:?}), a later stage",
                after.name, after.stage, before.name, before.stage
            ));
        }
    }
    Ok(())
}

/// Runs `steps` over `claim` in order and returns the outcome.
pub fn run<P>(
    policy: &P,
    steps: &[Step<P>],
    claim: &Claim,
    data: &dyn ReferenceData,
) -> Result<Outcome, EvaluationError> {
    check_order(steps)
        .map_err(|why| EvaluationError { message: format!("the plugin's steps are out of order: {why}") })?;
    let mut evaluation = Evaluation::new(claim, data);
    for step in steps {
        (step.run)(policy, &mut evaluation)?;
    }
    Ok(evaluation.finish())
}

/// One claim on its way through a policy's steps.
pub struct Evaluation<'a> {
    /// The claim.
    pub claim: &'a Claim,
    /// The reference tables the rule set grants the payer.
    pub data: &'a dyn ReferenceData,
    /// Each line's running verdict, in line order.
    pub work: Vec<LineWork>,
    /// The findings so far.
    pub findings: Vec<Finding>,
    /// Each line's amounts, in line order: zero with no steps until a pricing step prices it.
    pub amounts: Vec<LineAmounts>,
}

impl<'a> Evaluation<'a> {
    /// A claim no step has looked at.
    pub fn new(claim: &'a Claim, data: &'a dyn ReferenceData) -> Evaluation<'a> {
        Evaluation {
            claim,
            data,
            work: claim.lines.iter().map(LineWork::new).collect(),
            findings: Vec::new(),
            amounts: claim.lines.iter().map(|l| LineAmounts::new(l.number, Money::ZERO, Vec::new())).collect(),
        }
    }

    /// Whether line `index` has a price: a pricing step priced it and no later step denied it.
    pub fn is_priced(&self, index: usize) -> bool {
        self.work.get(index).is_some_and(|w| !w.denied) && self.amounts.get(index).is_some_and(|a| !a.steps.is_empty())
    }

    /// Denies line `index` after it was priced, saying why in its steps.
    pub fn deny_priced(&mut self, index: usize, why: &str) {
        if let Some(work) = self.work.get_mut(index) {
            work.deny();
        }
        if let Some(amounts) = self.amounts.get_mut(index) {
            amounts.allowed = Money::ZERO;
            amounts.payment = Money::ZERO;
            amounts.steps.push(PriceStep { description: why.to_owned(), amount: Money::ZERO });
        }
    }

    /// Applies `share` to every priced line: a cost-sharing step.
    pub fn each_priced(
        &mut self,
        mut share: impl FnMut(&mut LineAmounts, usize) -> Result<(), EvaluationError>,
    ) -> Result<(), EvaluationError> {
        for index in 0..self.amounts.len() {
            if self.is_priced(index)
                && let Some(amounts) = self.amounts.get_mut(index)
            {
                share(amounts, index)?;
            }
        }
        Ok(())
    }

    /// The outcome: each line's units and status from its verdict, its amounts from pricing.
    pub fn finish(self) -> Outcome {
        let lines = self
            .work
            .iter()
            .zip(self.amounts)
            .map(|(work, amounts)| work.result(amounts.allowed, amounts.payment, amounts.steps))
            .collect();
        Outcome { lines, findings: self.findings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;

    fn noop(_: &Nothing, _: &mut Evaluation<'_>) -> Result<(), EvaluationError> {
        Ok(())
    }

    #[test]
    fn a_step_list_that_goes_back_a_stage_is_refused() {
        let good = [Step::new(Stage::Codes, "codes", noop), Step::new(Stage::Pricing, "price", noop)];
        assert_eq!(check_order(&good), Ok(()));
        let bad = [Step::new(Stage::Pricing, "price", noop), Step::new(Stage::Units, "units", noop)];
        assert_eq!(
            check_order(&bad),
            Err("step `units` (Units) comes after `price` (Pricing), a later stage".to_owned())
        );
    }
}
