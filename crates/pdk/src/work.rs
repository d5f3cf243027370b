//! The running verdict on each line while a policy's rules look at it: a
//! helper for plugin authors.

use std::collections::BTreeMap;

use crate::{Claim, Date, FixAction, LineResult, LineStatus, Money, PriceStep, ServiceLine};

/// What the rules have decided about one line so far.
#[derive(Clone, Debug)]
pub struct LineWork {
    /// The line number.
    pub number: u32,
    /// Units billed.
    pub billed: u32,
    /// Units the line should carry.
    pub correct: u32,
    /// Whether a rule denies the line as submitted.
    pub denied: bool,
    /// Whether a rule has already settled the line's units, so the units rules skip it.
    pub settled: bool,
    /// Most units the payer pays on the line, when a benefit limit caps it below the correct units.
    pub paid_limit: Option<u32>,
}

impl LineWork {
    /// A line not yet looked at: its billed units are taken as correct.
    pub fn new(line: &ServiceLine) -> LineWork {
        LineWork {
            number: line.number,
            billed: line.units,
            correct: line.units,
            denied: false,
            settled: false,
            paid_limit: None,
        }
    }

    /// Marks the line denied as submitted.
    pub fn deny(&mut self) {
        self.denied = true;
    }

    /// Fixes the line's correct units, so the units rules leave it alone.
    pub fn settle(&mut self, correct: u32) {
        self.correct = correct;
        self.settled = true;
    }

    /// What the payer does with the line as submitted.
    pub fn status(&self) -> LineStatus {
        if self.denied {
            LineStatus::Denied
        } else if self.allowed() < self.billed {
            LineStatus::Adjusted
        } else {
            LineStatus::Payable
        }
    }

    /// The line's result once priced: the units and status decided here,
    /// with the amounts and the steps that reached them.
    pub fn result(&self, expected_allowed: Money, expected_payment: Money, price_steps: Vec<PriceStep>) -> LineResult {
        LineResult {
            line: self.number,
            correct_units: self.correct,
            allowed_units: self.allowed(),
            status: self.status(),
            expected_allowed,
            expected_payment,
            price_steps,
        }
    }

    /// Units the payer allows as submitted: none when denied, never more than
    /// billed, nor than a benefit limit.
    pub fn allowed(&self) -> u32 {
        if self.denied { 0 } else { self.billed.min(self.correct).min(self.paid_limit.unwrap_or(u32::MAX)) }
    }
}

/// A line a daily unit cap cut back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapCut {
    /// The line number.
    pub line: u32,
    /// Units the line would otherwise be paid.
    pub units: u32,
    /// Units paid under the cap.
    pub paid: u32,
    /// Units counted on the date up to and including this line.
    pub used: u32,
}

impl CapCut {
    /// The fix that bills within the cap.
    pub fn fix(&self) -> FixAction {
        if self.paid == 0 { FixAction::RemoveLine } else { FixAction::SetUnits(self.paid) }
    }
}

/// Pays at most `cap` units per date of service over the lines `counts`
/// selects, in line order: the lines past it are cut back, or denied when
/// nothing is left. Returns each line cut.
pub fn apply_daily_cap(
    claim: &Claim,
    work: &mut [LineWork],
    cap: u32,
    counts: &dyn Fn(&ServiceLine) -> bool,
) -> Vec<CapCut> {
    let mut used: BTreeMap<Date, u32> = BTreeMap::new();
    let mut cuts = Vec::new();
    for (line, state) in claim.lines.iter().zip(work.iter_mut()) {
        if state.denied || !counts(line) {
            continue;
        }
        let so_far = used.entry(line.date_of_service).or_insert(0);
        let units = state.allowed();
        let paid = units.min(cap.saturating_sub(*so_far));
        *so_far = so_far.saturating_add(units);
        if paid == units {
            continue;
        }
        state.paid_limit = Some(paid);
        if paid == 0 {
            state.deny();
        }
        cuts.push(CapCut { line: line.number, units, paid, used: *so_far });
    }
    cuts
}
