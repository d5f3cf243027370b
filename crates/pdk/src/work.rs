//! The running verdict on each line while a policy's rules look at it: a
//! helper for plugin authors.

use crate::{LineStatus, ServiceLine};

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

    /// Units the payer allows as submitted: none when denied, never more than
    /// billed, nor than a benefit limit.
    pub fn allowed(&self) -> u32 {
        if self.denied { 0 } else { self.billed.min(self.correct).min(self.paid_limit.unwrap_or(u32::MAX)) }
    }
}
