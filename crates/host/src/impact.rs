//! What a rule set change does to a claim: the same claim's reports under a
//! base and a candidate rule set, compared by what a payer would do
//! (findings, units, amounts), and summed by payer and by rule.
//!
//! Findings are compared by rule id, line, severity and denial, not by their
//! message text, so rewording a message is not an impact.

use std::collections::{BTreeMap, BTreeSet};

use payrules_model::{Finding, Money, Outcome};
use serde::Serialize;

use crate::report::{ClaimReport, Verdict};

/// A finding as the impact diff compares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingKey {
    /// The rule id.
    pub rule_id: String,
    /// The line, or `None` for the claim.
    pub line: Option<u32>,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// The denial the payer would report, as `CO-97 M80`.
    pub denial: Option<String>,
}

impl FindingKey {
    fn of(finding: &Finding) -> FindingKey {
        FindingKey {
            rule_id: finding.rule_id.clone(),
            line: finding.line,
            severity: finding.severity.to_string(),
            denial: finding.denial.as_ref().map(ToString::to_string),
        }
    }
}

/// One value of one line that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineChange {
    /// The line number.
    pub line: u32,
    /// What changed: `correct units`, `allowed units`, `status`, `allowed` or `payment`.
    pub what: &'static str,
    /// Its value under the base rule set.
    pub base: String,
    /// Its value under the candidate.
    pub candidate: String,
}

/// How one claim's outcome changes from the base to the candidate rule set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimImpact {
    /// The claim id.
    pub claim_id: String,
    /// The payer id it routes by.
    pub payer_id: String,
    /// `evaluated`, `not-routed` or `failed` under the base.
    pub base_status: &'static str,
    /// The same under the candidate.
    pub candidate_status: &'static str,
    /// Findings the candidate adds.
    pub findings_added: Vec<FindingKey>,
    /// Findings the candidate no longer makes.
    pub findings_removed: Vec<FindingKey>,
    /// Line values that differ.
    pub lines: Vec<LineChange>,
    /// Expected payment under the base (zero unless evaluated).
    pub base_payment: Money,
    /// Expected payment under the candidate.
    pub candidate_payment: Money,
    /// Candidate minus base.
    pub payment_change: Money,
}

fn status(report: &ClaimReport) -> &'static str {
    match report.verdict {
        Verdict::Evaluated { .. } => "evaluated",
        Verdict::NotRouted { .. } => "not-routed",
        Verdict::Failed { .. } => "failed",
    }
}

fn payment(report: &ClaimReport) -> Money {
    match &report.verdict {
        Verdict::Evaluated { totals, .. } => totals.expected_payment,
        _ => Money::ZERO,
    }
}

fn findings(report: &ClaimReport) -> BTreeSet<FindingKey> {
    match &report.verdict {
        Verdict::Evaluated { outcome, .. } => outcome.findings.iter().map(FindingKey::of).collect(),
        Verdict::NotRouted { finding } => std::iter::once(FindingKey::of(finding)).collect(),
        Verdict::Failed { failure, .. } => std::iter::once(FindingKey {
            rule_id: format!("PLUGIN-FAILED ({:?})", failure.kind),
            line: None,
            severity: "error".to_owned(),
            denial: None,
        })
        .collect(),
    }
}

fn line_changes(base: &Outcome, candidate: &Outcome) -> Vec<LineChange> {
    let mut changes = Vec::new();
    for line in &base.lines {
        let Some(other) = candidate.line(line.line) else { continue };
        let mut compare = |what: &'static str, a: String, b: String| {
            if a != b {
                changes.push(LineChange { line: line.line, what, base: a, candidate: b });
            }
        };
        compare("correct units", line.correct_units.to_string(), other.correct_units.to_string());
        compare("allowed units", line.allowed_units.to_string(), other.allowed_units.to_string());
        compare("status", line.status.as_str().to_owned(), other.status.as_str().to_owned());
        compare("allowed", line.expected_allowed.to_string(), other.expected_allowed.to_string());
        compare("payment", line.expected_payment.to_string(), other.expected_payment.to_string());
    }
    changes
}

/// The impact of the candidate on one claim, or `None` when a payer would
/// do the same under both rule sets.
pub fn compare_reports(base: &ClaimReport, candidate: &ClaimReport) -> Result<Option<ClaimImpact>, ImpactError> {
    let (before, after) = (findings(base), findings(candidate));
    let lines = match (&base.verdict, &candidate.verdict) {
        (Verdict::Evaluated { outcome: a, .. }, Verdict::Evaluated { outcome: b, .. }) => line_changes(a, b),
        _ => Vec::new(),
    };
    let (base_payment, candidate_payment) = (payment(base), payment(candidate));
    let impact = ClaimImpact {
        claim_id: base.claim_id.clone(),
        payer_id: base.payer_id.clone(),
        base_status: status(base),
        candidate_status: status(candidate),
        findings_added: after.difference(&before).cloned().collect(),
        findings_removed: before.difference(&after).cloned().collect(),
        lines,
        base_payment,
        candidate_payment,
        payment_change: candidate_payment.checked_sub(base_payment).ok_or(ImpactError::Overflow)?,
    };
    let same = impact.base_status == impact.candidate_status
        && impact.findings_added.is_empty()
        && impact.findings_removed.is_empty()
        && impact.lines.is_empty()
        && impact.payment_change == Money::ZERO;
    Ok((!same).then_some(impact))
}

/// Why an impact could not be summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImpactError {
    /// A payment change or a sum of them does not fit an amount; it is an
    /// error, never rounded to a number.
    #[error("a payment change does not fit in an amount")]
    Overflow,
}

/// Changed claims and dollars, for one payer or one rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImpactTally {
    /// Claims that changed.
    pub claims: u64,
    /// Claims where the rule newly fires (by rule only).
    pub added: u64,
    /// Claims where the rule no longer fires (by rule only).
    pub removed: u64,
    /// The sum of those claims' payment changes.
    pub payment_change: Money,
}

/// The whole replay, summed. Its size depends on the payers and rules seen,
/// not on the number of claims, so a corpus of any size fits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImpactSummary {
    /// Claims replayed, readable or not.
    pub claims: u64,
    /// Claims whose outcome changed.
    pub changed: u64,
    /// Claims that could not be read.
    pub unreadable: u64,
    /// Sum of every payment change.
    pub payment_change: Money,
    /// By payer id.
    pub by_payer: BTreeMap<String, ImpactTally>,
    /// By rule id, counting each claim once per rule.
    pub by_rule: BTreeMap<String, ImpactTally>,
}

impl ImpactSummary {
    /// Counts one claim that was replayed; `impact` is `None` when it did not change.
    pub fn record(&mut self, impact: Option<&ClaimImpact>) -> Result<(), ImpactError> {
        self.claims += 1;
        let Some(impact) = impact else { return Ok(()) };
        let add = |sum: Money| sum.checked_add(impact.payment_change).ok_or(ImpactError::Overflow);
        self.changed += 1;
        self.payment_change = add(self.payment_change)?;
        let payer = self.by_payer.entry(impact.payer_id.clone()).or_default();
        payer.claims += 1;
        payer.payment_change = add(payer.payment_change)?;
        let added: BTreeSet<&str> = impact.findings_added.iter().map(|f| f.rule_id.as_str()).collect();
        let removed: BTreeSet<&str> = impact.findings_removed.iter().map(|f| f.rule_id.as_str()).collect();
        for rule in added.union(&removed) {
            let tally = self.by_rule.entry((*rule).to_owned()).or_default();
            tally.claims += 1;
            tally.added += u64::from(added.contains(rule));
            tally.removed += u64::from(removed.contains(rule));
            tally.payment_change = add(tally.payment_change)?;
        }
        Ok(())
    }

    /// Counts one claim that could not be read.
    pub fn record_unreadable(&mut self) {
        self.claims += 1;
        self.unreadable += 1;
    }
}
