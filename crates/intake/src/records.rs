//! One record per input claim: what `check --format json` prints and what
//! the service answers, built in one place so the two never differ.

use payrules_host::{ClaimReport, Evaluator, RuleSet, Verdict};
use payrules_model::Claim;
use serde::Serialize;

use crate::read::ClaimInput;

/// What checking one input claim gave.
#[derive(Debug)]
pub enum Checked {
    /// The claim could not be read; the message says where and why.
    Invalid {
        /// Where the claim came from.
        source: String,
        /// Its id, when it could be read.
        claim_id: Option<String>,
        /// What is wrong with it.
        error: String,
    },
    /// The claim's own payer's answer.
    Report {
        /// Where the claim came from.
        source: String,
        /// The answer.
        report: Box<ClaimReport>,
    },
    /// The answer of every payer in force, for a side-by-side comparison.
    Comparison {
        /// Where the claim came from.
        source: String,
        /// The claim id.
        claim_id: String,
        /// Each payer id with its answer, in rule set order.
        reports: Vec<(String, ClaimReport)>,
    },
}

/// Checks one input claim: as its own payer would, or with `all_payers`
/// as every payer in force on its first date of service would.
pub fn check_input(evaluator: &mut Evaluator<'_>, input: &ClaimInput, all_payers: bool) -> Checked {
    let source = input.source.clone();
    match &input.claim {
        Err(error) => Checked::Invalid { source, claim_id: input.claim_id.clone(), error: error.clone() },
        Ok(claim) if all_payers => {
            let reports = comparison_payers(evaluator.rule_set(), claim)
                .into_iter()
                .map(|payer_id| {
                    let mut as_payer = claim.clone();
                    as_payer.payer.id.clone_from(&payer_id);
                    let report = evaluator.evaluate(&as_payer);
                    (payer_id, report)
                })
                .collect();
            Checked::Comparison { source, claim_id: claim.id.clone(), reports }
        }
        Ok(claim) => Checked::Report { source, report: Box::new(evaluator.evaluate(claim)) },
    }
}

impl Checked {
    /// Whether the claim could not be read.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Checked::Invalid { .. })
    }

    /// Whether the claim has an error finding or could not be decided, for
    /// any payer compared. An unreadable claim is counted apart.
    pub fn needs_attention(&self) -> bool {
        match self {
            Checked::Invalid { .. } => false,
            Checked::Report { report, .. } => report.needs_attention(),
            Checked::Comparison { reports, .. } => reports.iter().any(|(_, report)| report.needs_attention()),
        }
    }

    /// The reports the check produced: one, or one per payer compared.
    pub fn reports(&self) -> Vec<&ClaimReport> {
        match self {
            Checked::Invalid { .. } => Vec::new(),
            Checked::Report { report, .. } => vec![report],
            Checked::Comparison { reports, .. } => reports.iter().map(|(_, report)| report).collect(),
        }
    }

    /// Forgets how each amount was reached, for a caller that will not show
    /// it: [`Checked::record`] then writes the report without copying it.
    pub fn forget_price_steps(&mut self) {
        match self {
            Checked::Invalid { .. } => {}
            Checked::Report { report, .. } => clear_price_steps(report),
            Checked::Comparison { reports, .. } => reports.iter_mut().for_each(|(_, report)| clear_price_steps(report)),
        }
    }

    /// The JSON record, as one line of text: the report with its `source`,
    /// a comparison with one entry per payer, or an `invalid-input` record.
    /// Price steps are left out unless `explain` asks how each amount was
    /// reached. It is written straight from the report, without building a
    /// JSON tree first, since a service writes one per claim.
    pub fn record(&self, explain: bool) -> String {
        let written = match self {
            Checked::Invalid { source, claim_id, error } => serde_json::to_string(&InvalidRecord {
                claim_id: claim_id.as_deref(),
                error,
                source,
                status: "invalid-input",
            }),
            Checked::Report { source, report } => {
                serde_json::to_string(&ReportRecord { report: shown(report, explain), source })
            }
            Checked::Comparison { source, claim_id, reports } => {
                // Each report's own payer_id is the payer it was evaluated as.
                let payers: Vec<ReportRecord<'_>> = reports
                    .iter()
                    .map(|(_, report)| ReportRecord { report: shown(report, explain), source: "" })
                    .collect();
                serde_json::to_string(&ComparisonRecord { claim_id, payers, source })
            }
        };
        // The records are plain data; failing to write one would be a bug, and is said, not hidden.
        written.unwrap_or_else(|error| {
            serde_json::json!({ "status": "failed", "error": format!("the record could not be written: {error}") })
                .to_string()
        })
    }
}

#[derive(Serialize)]
struct InvalidRecord<'a> {
    claim_id: Option<&'a str>,
    error: &'a str,
    source: &'a str,
    status: &'static str,
}

#[derive(Serialize)]
struct ReportRecord<'a> {
    #[serde(flatten)]
    report: std::borrow::Cow<'a, ClaimReport>,
    #[serde(skip_serializing_if = "str::is_empty")]
    source: &'a str,
}

#[derive(Serialize)]
struct ComparisonRecord<'a> {
    claim_id: &'a str,
    payers: Vec<ReportRecord<'a>>,
    source: &'a str,
}

/// `report` as its record shows it: without price steps unless `explain`.
/// Only a report that has steps to leave out is copied.
fn shown(report: &ClaimReport, explain: bool) -> std::borrow::Cow<'_, ClaimReport> {
    let has_steps = match &report.verdict {
        Verdict::Evaluated { outcome, .. } => outcome.lines.iter().any(|line| !line.price_steps.is_empty()),
        Verdict::NotRouted { .. } | Verdict::Failed { .. } => false,
    };
    if explain || !has_steps {
        return std::borrow::Cow::Borrowed(report);
    }
    let mut report = report.clone();
    clear_price_steps(&mut report);
    std::borrow::Cow::Owned(report)
}

fn clear_price_steps(report: &mut ClaimReport) {
    if let Verdict::Evaluated { outcome, .. } = &mut report.verdict {
        for line in &mut outcome.lines {
            line.price_steps.clear();
        }
    }
}

/// One payer id per payer policy in force on the claim's first date of
/// service, in rule set order.
pub fn comparison_payers(rule_set: &RuleSet, claim: &Claim) -> Vec<String> {
    let Some(date) = claim.first_date_of_service() else {
        return Vec::new();
    };
    let mut payers: Vec<String> = Vec::new();
    for entry in rule_set.entries.iter().filter(|e| e.covers(date)) {
        if let Some(id) = entry.payer_ids.first()
            && !payers.contains(id)
        {
            payers.push(id.clone());
        }
    }
    payers
}
