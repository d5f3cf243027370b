//! The human-readable report: one block per claim.

use std::fmt::Write as _;

use payrules_host::{ClaimReport, Receipt, Verdict};
use payrules_model::{Claim, Finding, LineResult, Outcome};

/// `text` with every control character (C0, DEL and C1, newlines included)
/// shown as an escape, so a value from a claim, a plugin, an X12 file or a
/// rule set can neither move the cursor nor recolour a terminal, nor forge
/// a line of the report.
pub fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    std::borrow::Cow::Owned(shown)
}

/// Every control character of a rendered block but its newlines, escaped:
/// the last guard for values that reach a table without [`safe`].
fn guarded(block: String) -> String {
    if !block.chars().any(|c| c.is_control() && c != '\n') {
        return block;
    }
    block.split('\n').map(|line| safe(line).into_owned()).collect::<Vec<_>>().join("\n")
}

/// Renders one claim's report as text; with `explain`, each line's pricing
/// arithmetic too.
pub fn claim_block(source: &str, claim: &Claim, report: &ClaimReport, explain: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "claim {}  payer {} ({})  from {}",
        safe(&claim.id),
        safe(&claim.payer.id),
        safe(&claim.payer.name),
        safe(source)
    );
    match &report.verdict {
        Verdict::Evaluated { outcome, totals, receipt } => {
            let _ = writeln!(out, "  {}", receipt_line(receipt));
            lines_table(&mut out, claim, outcome);
            if explain {
                price_steps(&mut out, outcome);
            }
            findings(&mut out, &outcome.findings);
            let _ = writeln!(
                out,
                "  totals: billed ${}  expected allowed ${}  expected payment ${}",
                totals.billed, totals.expected_allowed, totals.expected_payment
            );
        }
        Verdict::NotRouted { finding } => {
            let _ = writeln!(out, "  not evaluated: no payer policy applies");
            findings(&mut out, std::slice::from_ref(finding));
        }
        Verdict::Failed { failure, receipt } => {
            let _ = writeln!(out, "  {}", receipt_line(receipt));
            let _ = writeln!(out, "  FAILED: {}", safe(&failure.to_string()));
        }
    }
    guarded(out)
}

/// Renders a claim that could not be read.
pub fn input_error_block(source: &str, claim_id: Option<&str>, error: &str) -> String {
    let id = claim_id.map_or_else(String::new, |id| format!("{}  ", safe(id)));
    format!("claim {id}from {}\n  INVALID INPUT: {}\n", safe(source), safe(error))
}

fn receipt_line(receipt: &Receipt) -> String {
    let short = receipt.plugin_sha256.get(..12).unwrap_or(&receipt.plugin_sha256);
    let fuel = receipt.fuel_used.map_or_else(String::new, |f| format!("  fuel {f}"));
    format!(
        "rule set {}  policy {}  plugin {} (sha256 {short}...){fuel}",
        receipt.rule_set, receipt.entry, receipt.plugin
    )
}

fn lines_table(out: &mut String, claim: &Claim, outcome: &Outcome) {
    let _ = writeln!(
        out,
        "  {:>4}  {:<10}  {:<5}  {:<11}  {:>3}  {:>6}  {:>7}  {:>7}  {:<8}  {:>9}  {:>9}",
        "line", "date", "code", "modifiers", "min", "billed", "correct", "allowed", "status", "allowed $", "payment $"
    );
    for line in &claim.lines {
        let result: Option<&LineResult> = outcome.line(line.number);
        let modifiers = line.modifiers.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" ");
        let minutes = line.minutes.map_or_else(|| "-".to_owned(), |m| m.total.to_string());
        let (correct, allowed, status, allowed_amount, payment) = match result {
            Some(r) => (
                r.correct_units.to_string(),
                r.allowed_units.to_string(),
                r.status.as_str(),
                r.expected_allowed.to_string(),
                r.expected_payment.to_string(),
            ),
            None => ("?".to_owned(), "?".to_owned(), "no result", String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "  {:>4}  {:<10}  {:<5}  {:<11}  {:>3}  {:>6}  {:>7}  {:>7}  {:<8}  {:>9}  {:>9}",
            line.number,
            line.date_of_service.to_string(),
            line.procedure.as_str(),
            modifiers,
            minutes,
            line.units,
            correct,
            allowed,
            status,
            allowed_amount,
            payment
        );
    }
}

fn price_steps(out: &mut String, outcome: &Outcome) {
    let priced: Vec<&LineResult> = outcome.lines.iter().filter(|l| !l.price_steps.is_empty()).collect();
    if priced.is_empty() {
        return;
    }
    let _ = writeln!(out, "  how each amount was reached:");
    for line in priced {
        let _ = writeln!(out, "    line {}:", line.line);
        for step in &line.price_steps {
            let _ = writeln!(out, "      {:<96} ${}", step.description, step.amount);
        }
    }
}

fn findings(out: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        let _ = writeln!(out, "  no findings");
        return;
    }
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.line.cmp(&b.line)));
    let _ = writeln!(out, "  findings:");
    for finding in sorted {
        let line = finding.line.map_or_else(|| "claim".to_owned(), |l| format!("line {l}"));
        let _ = writeln!(
            out,
            "  - {:<7} {}  {line}: {}",
            finding.severity.to_string(),
            safe(&finding.rule_id),
            safe(&finding.message)
        );
        if !finding.evidence.is_empty() {
            let facts: Vec<String> =
                finding.evidence.iter().map(|f| format!("{} = {}", safe(&f.label), safe(&f.value))).collect();
            let _ = writeln!(out, "      evidence: {}", facts.join("; "));
        }
        if let Some(denial) = &finding.denial {
            let _ = writeln!(out, "      payer would report: {}", safe(&denial.to_string()));
        }
        for fix in &finding.fixes {
            let _ = writeln!(out, "      fix: {}", safe(&fix.to_string()));
        }
        let _ = writeln!(out, "      source: {}", safe(&finding.citation));
    }
}

/// Renders how every payer would treat one encounter, side by side.
pub fn comparison_block(source: &str, claim: &Claim, reports: &[(String, ClaimReport)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "claim {} as every payer would treat it  from {}", safe(&claim.id), safe(source));
    let codes: Vec<String> = claim.lines.iter().map(|l| format!("{} x{}", l.procedure, l.units)).collect();
    let _ = writeln!(out, "  billed: {}", codes.join(", "));
    let _ = writeln!(
        out,
        "  {:<14} {:<20} {:<18} {:>6} {:>8} {:>5}  {:>10}  {:>10}",
        "payer", "policy", "allowed units", "errors", "warnings", "info", "allowed $", "payment $"
    );
    let mut notes = Vec::new();
    for (payer, report) in reports {
        match &report.verdict {
            Verdict::Evaluated { outcome, totals, receipt } => {
                let units: Vec<String> = outcome.lines.iter().map(|l| l.allowed_units.to_string()).collect();
                let payrules_model::FindingCounts { error: errors, warning: warnings, info } = totals.findings;
                let _ = writeln!(
                    out,
                    "  {:<14} {:<20} {:<18} {:>6} {:>8} {:>5}  {:>10}  {:>10}",
                    payer,
                    receipt.entry,
                    units.join(" "),
                    errors,
                    warnings,
                    info,
                    totals.expected_allowed.to_string(),
                    totals.expected_payment.to_string()
                );
                let mut sorted: Vec<&Finding> =
                    outcome.findings.iter().filter(|f| f.severity != payrules_model::Severity::Info).collect();
                sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
                for finding in sorted {
                    let line = finding.line.map_or_else(|| "claim".to_owned(), |l| format!("line {l}"));
                    notes.push(format!(
                        "    {payer}: {} {} ({line}): {}",
                        finding.severity,
                        safe(&finding.rule_id),
                        safe(&finding.message)
                    ));
                }
            }
            Verdict::NotRouted { finding } => {
                let _ = writeln!(out, "  {payer:<14} not evaluated: {}", safe(&finding.message));
            }
            Verdict::Failed { failure, .. } => {
                let _ = writeln!(out, "  {payer:<14} FAILED: {}", safe(&failure.to_string()));
            }
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "  what each payer would flag:");
        for note in notes {
            let _ = writeln!(out, "{note}");
        }
    }
    guarded(out)
}
