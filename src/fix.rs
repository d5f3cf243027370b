//! `payrules fix`: check each claim of an 837P and write the file back with
//! the fixes that need no review applied. Everything else in the file is
//! written as it was; a fix that needs a person stays a finding on the
//! summary, and a claim that could not be read or checked is written back
//! unchanged.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use payrules_host::Verdict;
use payrules_model::{Applicability, Claim, apply_fixes};
use payrules_x12::{ClaimRead, read_claims, read_document, write_corrected};

use crate::{EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_FINDINGS, RuleSetArgs};

/// Arguments of `payrules fix`.
#[derive(clap::Args, Debug)]
pub struct FixArgs {
    /// The 837P file to correct; `-` reads standard input.
    file: PathBuf,

    /// Where to write the corrected 837P; standard output when omitted.
    #[arg(short, long)]
    output: Option<PathBuf>,

    #[command(flatten)]
    rule_set: RuleSetArgs,
}

/// What happened to one claim, for the summary.
enum ClaimFate {
    Corrected,
    Unchanged,
    NotRead,
    NotChecked,
}

/// Runs `payrules fix`; the summary goes to standard error.
pub fn fix(args: &FixArgs) -> Result<u8> {
    let name = args.file.display().to_string();
    let (host, rule_set) = args.rule_set.load()?;
    let (text, encoding) = crate::input::read_text_and_encoding(&args.file, rule_set.file_limits.claims_bytes)
        .map_err(|error| anyhow::anyhow!("{name}: {error}"))?;
    if !payrules_x12::is_x12(&text) {
        bail!(
            "{name}: payrules fix writes X12 837P files back, and this file does not start with an ISA segment; for JSON or TOML claims, `payrules check --format json` lists every fix"
        );
    }
    let document = read_document(&text).with_context(|| format!("{name}: not a readable X12 file"))?;
    let reads = read_claims(&document);
    let mut evaluator = host.evaluator(rule_set);

    let mut summary = Vec::new();
    let mut corrected: Vec<(&ClaimRead, Claim)> = Vec::new();
    let mut fates = Vec::new();
    let mut left_for_review = 0usize;
    for read in &reads {
        let label = format!("{} (segment {})", read.claim_id.as_deref().unwrap_or("claim"), read.segment);
        let claim = match &read.claim {
            Ok(claim) => claim,
            Err(problems) => {
                let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
                summary.push(format!("{label}: not read, written back unchanged: {}", problems.join("; ")));
                fates.push(ClaimFate::NotRead);
                continue;
            }
        };
        let report = evaluator.evaluate(claim);
        let outcome = match &report.verdict {
            Verdict::Evaluated { outcome, .. } => outcome,
            Verdict::NotRouted { finding } => {
                summary.push(format!("{label}: not checked, written back unchanged: {}", finding.message));
                fates.push(ClaimFate::NotChecked);
                continue;
            }
            Verdict::Failed { failure, .. } => {
                summary.push(format!("{label}: not checked, written back unchanged: {failure}"));
                fates.push(ClaimFate::NotChecked);
                continue;
            }
        };
        let fixes: Vec<_> = outcome.findings.iter().flat_map(|f| f.fixes.iter().cloned()).collect();
        let correction = apply_fixes(claim, &fixes);
        if correction.claim.lines.len() > payrules_x12::MAX_SERVICE_LINES {
            // Written, the claim could not be read back: leave all of it to a person.
            for fix in correction.applied.iter().chain(correction.unapplied.iter().map(|u| &u.fix)) {
                summary.push(format!(
                    "{label}: left for review: {fix} (the fixes would make {} service lines; an 837P claim carries at most {})",
                    correction.claim.lines.len(),
                    payrules_x12::MAX_SERVICE_LINES
                ));
            }
            left_for_review += correction.applied.len() + correction.unapplied.len();
            fates.push(ClaimFate::Unchanged);
            continue;
        }
        for fix in &correction.applied {
            summary.push(format!("{label}: applied: {fix}"));
        }
        for left in &correction.unapplied {
            // A review fix already says "check the record first".
            if left.fix.applicability == Applicability::NeedsReview {
                summary.push(format!("{label}: left for review: {}", left.fix));
            } else {
                summary.push(format!("{label}: left for review: {} ({})", left.fix, left.reason));
            }
        }
        left_for_review += correction.unapplied.len();
        if correction.applied.is_empty() && correction.unapplied.is_empty() {
            summary.push(format!("{label}: nothing to fix"));
        }
        if correction.changed() {
            fates.push(ClaimFate::Corrected);
            corrected.push((read, correction.claim));
        } else {
            fates.push(ClaimFate::Unchanged);
        }
    }
    let pairs: Vec<(&ClaimRead, &Claim)> = corrected.iter().map(|(read, claim)| (*read, claim)).collect();
    let output = write_corrected(&document, &pairs).with_context(|| format!("{name}: cannot write the corrections"))?;
    // Written back in the encoding it came in, so untouched segments keep their bytes.
    let bytes = crate::input::encode_text(&output, encoding);
    match &args.output {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }

    let count = |wanted: fn(&ClaimFate) -> bool| fates.iter().filter(|f| wanted(f)).count();
    let (fixed, not_read, not_checked) = (
        count(|f| matches!(f, ClaimFate::Corrected)),
        count(|f| matches!(f, ClaimFate::NotRead)),
        count(|f| matches!(f, ClaimFate::NotChecked)),
    );
    // The summary is for a person; a closed standard error loses it but not the corrected file.
    let mut err = std::io::stderr().lock();
    for line in &summary {
        let _ = writeln!(err, "{}", crate::render::safe(line));
    }
    let _ = writeln!(
        err,
        "{} claim(s): {fixed} corrected, {left_for_review} fix(es) left for review, {not_read} could not be read, {not_checked} could not be checked",
        fates.len()
    );
    Ok(if not_read > 0 {
        EXIT_BAD_INPUT
    } else if left_for_review > 0 || not_checked > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}
