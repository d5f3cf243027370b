//! Fixing an 837P: check each claim and write the interchange back with the
//! fixes that need no review applied. Everything else is written as it was;
//! a fix that needs a person is left for review, and a claim that could not
//! be read or checked is written back unchanged.

use payrules_host::{ClaimReport, Evaluator, Verdict};
use payrules_model::{Applicability, Claim, apply_fixes};
use payrules_x12::{ClaimRead, read_claims, read_document, write_corrected};
use serde::Serialize;

/// Why an 837P could not be fixed at all.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    /// The input is not X12.
    #[error(
        "payrules fix writes X12 837P files back, and this input does not start with an ISA segment; for JSON or TOML claims, `payrules check --format json` lists every fix"
    )]
    NotX12,
    /// The interchange could not be read.
    #[error("not a readable X12 file: {0}")]
    Unreadable(#[from] payrules_x12::X12Error),
    /// The corrections could not be written into the interchange.
    #[error("cannot write the corrections: {0}")]
    Write(#[from] payrules_x12::WriteError),
}

/// What happened to one claim of the interchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// At least one fix was applied.
    Corrected,
    /// Written back as it was: nothing to fix, or only fixes left for review.
    Unchanged,
    /// The claim could not be read; written back as it was.
    NotRead,
    /// The claim was read but no policy decided it; written back as it was.
    NotChecked,
}

/// One thing said about a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "kebab-case")]
pub enum FixNote {
    /// A fix applied to the claim.
    Applied(String),
    /// A fix a person must make or confirm.
    LeftForReview(String),
    /// Why the claim was not read.
    NotRead(String),
    /// Why the claim was not checked.
    NotChecked(String),
    /// The claim needed nothing.
    NothingToFix,
}

/// One claim's part of a fix run.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimFix {
    /// The claim id (CLM01), when it could be read.
    pub claim_id: Option<String>,
    /// The position of its CLM segment in the interchange.
    pub segment: usize,
    /// What happened to it.
    pub fate: Fate,
    /// What was applied or left, and why.
    pub notes: Vec<FixNote>,
    /// The claim as read and its payer's answer, when it was read.
    #[serde(skip)]
    pub checked: Option<(Claim, ClaimReport)>,
}

impl ClaimFix {
    /// How the claim is named in a summary: its id and CLM segment.
    pub fn label(&self) -> String {
        format!("{} (segment {})", self.claim_id.as_deref().unwrap_or("claim"), self.segment)
    }

    /// How many fixes were left for a person.
    pub fn left_for_review(&self) -> usize {
        self.notes.iter().filter(|n| matches!(n, FixNote::LeftForReview(_))).count()
    }
}

/// A fixed interchange and what happened to each claim.
#[derive(Clone, Debug, Serialize)]
pub struct FixRun {
    /// The interchange with the corrections written in.
    #[serde(skip)]
    pub output: String,
    /// One entry per CLM, in interchange order.
    pub claims: Vec<ClaimFix>,
}

impl FixRun {
    /// How many claims met `fate`.
    pub fn count(&self, fate: Fate) -> usize {
        self.claims.iter().filter(|c| c.fate == fate).count()
    }

    /// How many fixes, over every claim, were left for a person.
    pub fn left_for_review(&self) -> usize {
        self.claims.iter().map(ClaimFix::left_for_review).sum()
    }

    /// The run as JSON, as `payrules fix --format json` prints it and the
    /// service's `/v1/fix?format=json` answers: the rule set
    /// (`name@version`), the counts, and each claim's fate and notes.
    pub fn json(&self, rule_set: &str) -> serde_json::Value {
        serde_json::json!({
            "schema_version": crate::SCHEMA_VERSION,
            "rule_set": rule_set,
            "summary": {
                "claims": self.claims.len(),
                "corrected": self.count(Fate::Corrected),
                "left_for_review": self.left_for_review(),
                "not_read": self.count(Fate::NotRead),
                "not_checked": self.count(Fate::NotChecked),
            },
            "claims": self.claims,
        })
    }
}

/// Checks every claim of the 837P `text` and writes it back corrected.
pub fn fix_document(evaluator: &mut Evaluator<'_>, text: &str) -> Result<FixRun, FixError> {
    if !payrules_x12::is_x12(text) {
        return Err(FixError::NotX12);
    }
    let document = read_document(text)?;
    let reads = read_claims(&document);
    let mut corrected: Vec<(&ClaimRead, Claim)> = Vec::new();
    let mut claims = Vec::with_capacity(reads.len());
    for read in &reads {
        let (fate, notes, correction, report) = fix_one(evaluator, read);
        if let Some(claim) = correction {
            corrected.push((read, claim));
        }
        let checked = read.claim.as_ref().ok().cloned().zip(report);
        claims.push(ClaimFix { claim_id: read.claim_id.clone(), segment: read.segment, fate, notes, checked });
    }
    let pairs: Vec<(&ClaimRead, &Claim)> = corrected.iter().map(|(read, claim)| (*read, claim)).collect();
    let output = write_corrected(&document, &pairs)?;
    Ok(FixRun { output, claims })
}

/// What fixing one claim gave: its fate, what is said about it, its
/// corrected form if it changed, and its payer's answer if it was read.
type OneFix = (Fate, Vec<FixNote>, Option<Claim>, Option<ClaimReport>);

/// Fixes one claim of the interchange.
fn fix_one(evaluator: &mut Evaluator<'_>, read: &ClaimRead) -> OneFix {
    let claim = match &read.claim {
        Ok(claim) => claim,
        Err(problems) => {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return (Fate::NotRead, vec![FixNote::NotRead(problems.join("; "))], None, None);
        }
    };
    let report = evaluator.evaluate(claim);
    let outcome = match &report.verdict {
        Verdict::Evaluated { outcome, .. } => outcome,
        Verdict::NotRouted { finding } => {
            let note = FixNote::NotChecked(finding.message.clone());
            return (Fate::NotChecked, vec![note], None, Some(report));
        }
        Verdict::Failed { failure, .. } => {
            let note = FixNote::NotChecked(failure.to_string());
            return (Fate::NotChecked, vec![note], None, Some(report));
        }
    };
    let fixes: Vec<_> = outcome.findings.iter().flat_map(|f| f.fixes.iter().cloned()).collect();
    let correction = apply_fixes(claim, &fixes);
    if correction.claim.lines.len() > payrules_x12::MAX_SERVICE_LINES {
        // Written, the claim could not be read back: leave all of it to a person.
        let notes = correction
            .applied
            .iter()
            .chain(correction.unapplied.iter().map(|u| &u.fix))
            .map(|fix| {
                FixNote::LeftForReview(format!(
                    "{fix} (the fixes would make {} service lines; an 837P claim carries at most {})",
                    correction.claim.lines.len(),
                    payrules_x12::MAX_SERVICE_LINES
                ))
            })
            .collect();
        return (Fate::Unchanged, notes, None, Some(report));
    }
    let mut notes: Vec<FixNote> = correction.applied.iter().map(|fix| FixNote::Applied(fix.to_string())).collect();
    for left in &correction.unapplied {
        // A review fix already says "check the record first".
        notes.push(FixNote::LeftForReview(if left.fix.applicability == Applicability::NeedsReview {
            left.fix.to_string()
        } else {
            format!("{} ({})", left.fix, left.reason)
        }));
    }
    if notes.is_empty() {
        notes.push(FixNote::NothingToFix);
    }
    if correction.changed() {
        (Fate::Corrected, notes, Some(correction.claim), Some(report))
    } else {
        (Fate::Unchanged, notes, None, Some(report))
    }
}
