//! `payrules diff`: replays a corpus of claims through a base and a candidate
//! rule set and reports every claim whose outcome changed, then sums the
//! change by payer and by rule, with the dollar impact.
//!
//! It streams: claims are read (JSON Lines a line at a time), replayed and
//! reported one by one, and only the summary is kept, so a corpus of any
//! size runs in constant memory. Output follows input order, so the same
//! corpus and rule sets always give the same report.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use payrules_host::impact::{ClaimImpact, FindingKey, ImpactSummary, compare_reports};
use payrules_model::Money;
use serde_json::json;

use crate::{CacheArgs, EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_FINDINGS, Format, load_rule_set};

/// Arguments of `payrules diff`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The rule set in force now.
    #[arg(long)]
    base: PathBuf,

    /// The rule set to compare with it.
    #[arg(long)]
    candidate: PathBuf,

    /// Claim files (JSON, TOML, JSON Lines or 837P); `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,

    /// Output format: changed claims and a summary, or one JSON object per
    /// claim (changed or not) and a last one with the summary.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    #[command(flatten)]
    cache: CacheArgs,

    #[command(flatten)]
    trust: crate::TrustArgs,

    #[command(flatten)]
    jobs: crate::JobsArgs,
}

fn signed(amount: Money) -> String {
    if amount < Money::ZERO {
        format!("-${}", Money::ZERO.checked_sub(amount).unwrap_or(amount))
    } else {
        format!("+${amount}")
    }
}

fn finding_text(finding: &FindingKey) -> String {
    let line = finding.line.map_or_else(|| "claim".to_owned(), |l| format!("line {l}"));
    let denial = finding.denial.as_deref().map_or_else(String::new, |d| format!(", {d}"));
    format!("{} {line} ({}{denial})", finding.rule_id, finding.severity)
}

fn impact_block(source: &str, impact: &ClaimImpact) -> String {
    let mut text = format!("claim {}  payer {}  from {source}\n", impact.claim_id, impact.payer_id);
    if impact.base_status != impact.candidate_status {
        text.push_str(&format!("  verdict: {} -> {}\n", impact.base_status, impact.candidate_status));
    }
    for finding in &impact.findings_added {
        text.push_str(&format!("  + {}\n", finding_text(finding)));
    }
    for finding in &impact.findings_removed {
        text.push_str(&format!("  - {}\n", finding_text(finding)));
    }
    for change in &impact.lines {
        text.push_str(&format!("  line {} {}: {} -> {}\n", change.line, change.what, change.base, change.candidate));
    }
    text.push_str(&format!(
        "  expected payment: ${} -> ${} ({})\n",
        impact.base_payment,
        impact.candidate_payment,
        signed(impact.payment_change)
    ));
    text
}

fn summary_text(summary: &ImpactSummary, base: &str, candidate: &str) -> String {
    let mut text = format!(
        "{} claim(s) replayed from {base} to {candidate}: {} changed, {} could not be read; expected payment {}\n",
        summary.claims,
        summary.changed,
        summary.unreadable,
        signed(summary.payment_change)
    );
    if !summary.by_payer.is_empty() {
        text.push_str("  by payer:\n");
        for (payer, tally) in &summary.by_payer {
            text.push_str(&format!(
                "    {payer:<16} {:>7} claim(s)  {:>14}\n",
                tally.claims,
                signed(tally.payment_change)
            ));
        }
    }
    if !summary.by_rule.is_empty() {
        text.push_str("  by rule (claims where it newly fires / no longer fires):\n");
        for (rule, tally) in &summary.by_rule {
            text.push_str(&format!(
                "    {rule:<28} +{:<6} -{:<6} {:>14}\n",
                tally.added,
                tally.removed,
                signed(tally.payment_change)
            ));
        }
    }
    text
}

/// One claim replayed through both rule sets: what to print for it, and
/// what it adds to the summary.
struct Replayed {
    text: Option<String>,
    impact: Impact,
}

/// What one claim adds to the summary.
enum Impact {
    /// The claim could not be read.
    Unreadable,
    /// Its outcome under both rule sets, `None` when unchanged.
    Compared(Option<ClaimImpact>),
    /// The change could not be worked out or written.
    Failed(anyhow::Error),
}

/// Replays one claim; runs on a worker thread.
fn replay(
    base: &mut payrules_host::Evaluator<'_>,
    candidate: &mut payrules_host::Evaluator<'_>,
    claim_input: &payrules_intake::ClaimInput,
    format: Format,
) -> Replayed {
    let claim = match &claim_input.claim {
        Err(error) => {
            let text = match format {
                Format::Table => {
                    crate::render::input_error_block(&claim_input.source, claim_input.claim_id.as_deref(), error)
                }
                Format::Json => payrules_intake::Checked::Invalid {
                    source: claim_input.source.clone(),
                    claim_id: claim_input.claim_id.clone(),
                    error: error.clone(),
                }
                .record(false),
            };
            return Replayed { text: Some(text), impact: Impact::Unreadable };
        }
        Ok(claim) => claim,
    };
    let impact = match compare_reports(&base.evaluate(claim), &candidate.evaluate(claim)) {
        Ok(impact) => impact,
        Err(error) => return Replayed { text: None, impact: Impact::Failed(error.into()) },
    };
    let text = match (format, &impact) {
        (Format::Table, Some(impact)) => Some(impact_block(&claim_input.source, impact)),
        (Format::Table, None) => None,
        (Format::Json, Some(impact)) => {
            let mut value = match serde_json::to_value(impact) {
                Ok(value) => value,
                Err(error) => return Replayed { text: None, impact: Impact::Failed(error.into()) },
            };
            if let Some(object) = value.as_object_mut() {
                object.insert("schema_version".to_owned(), json!(payrules_intake::SCHEMA_VERSION));
                object.insert("source".to_owned(), json!(claim_input.source));
                object.insert("status".to_owned(), json!("changed"));
            }
            Some(value.to_string())
        }
        (Format::Json, None) => {
            let record = json!({
                "schema_version": payrules_intake::SCHEMA_VERSION,
                "source": claim_input.source,
                "claim_id": claim.id,
                "status": "unchanged",
            });
            Some(record.to_string())
        }
    };
    Replayed { text, impact: Impact::Compared(impact) }
}

/// Runs `payrules diff`.
pub fn diff(args: &DiffArgs) -> Result<u8> {
    let host = args.cache.host_trusting(&args.trust)?;
    let base_rules = load_rule_set(&host, &args.base, false)?;
    let candidate_rules = load_rule_set(&host, &args.candidate, false)?;
    let names = (
        format!("{}@{}", base_rules.name, base_rules.version),
        format!("{}@{}", candidate_rules.name, candidate_rules.version),
    );
    let claims_bytes = base_rules.file_limits.claims_bytes;
    let inputs = args.files.iter().flat_map(|file| payrules_intake::read_claims(file, claims_bytes));

    let progress = crate::progress::Progress::claims(&args.files, "replayed");
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut summary = ImpactSummary::default();
    payrules_intake::batch::map_in_order(
        inputs,
        args.jobs.count(),
        || {
            (
                host.evaluator(std::sync::Arc::clone(&base_rules)),
                host.evaluator(std::sync::Arc::clone(&candidate_rules)),
            )
        },
        |(base, candidate), claim_input| replay(base, candidate, &claim_input, args.format),
        |replayed| -> Result<()> {
            match replayed.impact {
                Impact::Unreadable => summary.record_unreadable(),
                Impact::Compared(impact) => summary.record(impact.as_ref())?,
                Impact::Failed(error) => return Err(error),
            }
            if let Some(text) = replayed.text {
                writeln!(out, "{text}")?;
            }
            progress.advance(|| format!(", {} changed", summary.changed));
            Ok(())
        },
    )?;
    progress.finish();
    match args.format {
        Format::Table => write!(out, "{}", summary_text(&summary, &names.0, &names.1))?,
        Format::Json => {
            let record = json!({
                "schema_version": payrules_intake::SCHEMA_VERSION,
                "summary": summary,
                "base": names.0,
                "candidate": names.1,
            });
            writeln!(out, "{record}")?;
        }
    }
    out.flush()?;
    Ok(if summary.unreadable > 0 {
        EXIT_BAD_INPUT
    } else if summary.changed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}
