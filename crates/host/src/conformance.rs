//! What the host checks of every outcome before it reports it: the answer
//! must fit the claim it was asked about. A plugin that answers otherwise has
//! failed for that claim, however plausible the rest of its answer looks.

use std::collections::BTreeMap;

use payrules_model::{Claim, ClaimTotals, MAX_LINE_CHARGE, MAX_LINE_UNITS, Money, Outcome};

/// Findings allowed per service line, and per claim besides: far above what
/// any policy reports, low enough that a flood is refused before it is printed.
const FINDINGS_PER_LINE: usize = 64;

/// The outcome's totals, or why the outcome does not fit `claim`.
/// With `never_above_charge`, an allowed amount above the line's charge is refused too.
pub(crate) fn check_outcome(claim: &Claim, outcome: &Outcome, never_above_charge: bool) -> Result<ClaimTotals, String> {
    let lines: BTreeMap<u32, &payrules_model::ServiceLine> = claim.lines.iter().map(|l| (l.number, l)).collect();
    let mut answered: BTreeMap<u32, usize> = BTreeMap::new();
    for result in &outcome.lines {
        let Some(line) = lines.get(&result.line) else {
            return Err(format!("it answered for line {}, which the claim does not have", result.line));
        };
        let count = answered.entry(result.line).or_default();
        *count += 1;
        if *count > 1 {
            return Err(format!("it answered twice for line {}", result.line));
        }
        let at = |what: String| Err(format!("line {}: {what}", result.line));
        if result.allowed_units > line.units {
            return at(format!("it allows {} units of the {} billed", result.allowed_units, line.units));
        }
        if result.correct_units > MAX_LINE_UNITS {
            return at(format!("it says the line should carry {} units", result.correct_units));
        }
        for (name, amount) in [("allowed amount", result.expected_allowed), ("payment", result.expected_payment)] {
            if amount < Money::ZERO {
                return at(format!("its {name} is negative ({amount})"));
            }
            if amount > MAX_LINE_CHARGE {
                return at(format!("its {name} of {amount} is over the largest amount a line can carry"));
            }
        }
        if never_above_charge && result.expected_allowed > line.charge {
            return at(format!(
                "it allows {} on a charge of {}, and this payer never allows more than the charge",
                result.expected_allowed, line.charge
            ));
        }
        if result.expected_payment > result.expected_allowed {
            return at(format!(
                "it pays {} of an allowed amount of {}",
                result.expected_payment, result.expected_allowed
            ));
        }
    }
    if let Some(missing) = lines.keys().find(|number| !answered.contains_key(number)) {
        return Err(format!("it gave no result for line {missing}"));
    }
    let most = FINDINGS_PER_LINE.saturating_mul(claim.lines.len().saturating_add(1));
    if outcome.findings.len() > most {
        return Err(format!("it reported {} findings for {} lines", outcome.findings.len(), claim.lines.len()));
    }
    for finding in &outcome.findings {
        if let Some(line) = finding.line
            && !lines.contains_key(&line)
        {
            return Err(format!("finding {} is on line {line}, which the claim does not have", finding.rule_id));
        }
        if let Some(fix) = finding.fixes.iter().find(|fix| !lines.contains_key(&fix.line)) {
            return Err(format!("finding {} fixes line {}, which the claim does not have", finding.rule_id, fix.line));
        }
    }
    outcome.totals(claim).ok_or_else(|| "its amounts add up to more than an amount can hold".to_owned())
}
