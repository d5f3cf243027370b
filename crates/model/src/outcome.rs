//! What a payer would do with each line, and with the claim as a whole.

use serde::{Deserialize, Serialize};

use crate::claim::Claim;
use crate::finding::{Finding, Severity};
use crate::money::Money;

/// What the payer would do with a line as submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineStatus {
    /// Paid as billed.
    Payable,
    /// Paid, but for fewer units or a lower amount than billed.
    Adjusted,
    /// Not paid.
    Denied,
}

impl LineStatus {
    /// The status as reports write it: `payable`, `adjusted` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Payable => "payable",
            LineStatus::Adjusted => "adjusted",
            LineStatus::Denied => "denied",
        }
    }
}

/// One step of the pricing arithmetic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceStep {
    /// What the step does, e.g. `2 units x $28.79`.
    pub description: String,
    /// The running amount after the step.
    pub amount: Money,
}

/// The payer's expected treatment of one service line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineResult {
    /// The service line number.
    pub line: u32,
    /// Units the line should carry under this policy, given its minutes.
    pub correct_units: u32,
    /// Units the payer would allow on the line as submitted.
    pub allowed_units: u32,
    /// Whether the payer would pay the line as submitted.
    pub status: LineStatus,
    /// The payer's allowed amount for the line as submitted.
    pub expected_allowed: Money,
    /// What the payer itself would pay, after patient cost sharing.
    pub expected_payment: Money,
    /// How the amounts were reached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub price_steps: Vec<PriceStep>,
}

/// Everything a payer policy says about one claim.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// One result per service line, in line order.
    pub lines: Vec<LineResult>,
    /// The findings, claim-level and line-level.
    pub findings: Vec<Finding>,
}

/// Claim-level sums of an outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimTotals {
    /// Sum of the line charges.
    pub billed: Money,
    /// Sum of the expected allowed amounts.
    pub expected_allowed: Money,
    /// Sum of the expected payer payments. The rest of the allowed amount is
    /// cost sharing and payer reductions; each line's price steps say which.
    pub expected_payment: Money,
    /// How many findings the outcome has of each severity.
    pub findings: FindingCounts,
}

/// Findings counted by severity, named so a reader of the JSON need not
/// know an order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingCounts {
    /// Findings that stop the line or claim being paid as billed.
    pub error: u32,
    /// Findings a biller should look at; the claim may still be paid.
    pub warning: u32,
    /// Notes on how the payment was worked out.
    pub info: u32,
}

impl FindingCounts {
    /// Counts one more finding of `severity`.
    pub fn count(&mut self, severity: Severity) {
        let slot = match severity {
            Severity::Info => &mut self.info,
            Severity::Warning => &mut self.warning,
            Severity::Error => &mut self.error,
        };
        *slot = slot.saturating_add(1);
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: FindingCounts) {
        self.error = self.error.saturating_add(other.error);
        self.warning = self.warning.saturating_add(other.warning);
        self.info = self.info.saturating_add(other.info);
    }
}

impl Outcome {
    /// The most serious finding's severity, if any.
    pub fn worst_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The result for line `number`.
    pub fn line(&self, number: u32) -> Option<&LineResult> {
        self.lines.iter().find(|l| l.line == number)
    }

    /// Sums the outcome against the claim it is for; `None` when a sum
    /// overflows, which is never rounded to a number.
    pub fn totals(&self, claim: &Claim) -> Option<ClaimTotals> {
        let billed = claim.total_charge()?;
        let expected_allowed = self.lines.iter().try_fold(Money::ZERO, |sum, l| sum.checked_add(l.expected_allowed))?;
        let expected_payment = self.lines.iter().try_fold(Money::ZERO, |sum, l| sum.checked_add(l.expected_payment))?;
        let mut findings = FindingCounts::default();
        for finding in &self.findings {
            findings.count(finding.severity);
        }
        Some(ClaimTotals { billed, expected_allowed, expected_payment, findings })
    }
}
