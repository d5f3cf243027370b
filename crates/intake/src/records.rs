//! One record per input claim: what `check --format json` prints and what
//! the service answers, built in one place so the two never differ.

use payrules_host::{ClaimReport, Evaluator, RuleSet};
use payrules_model::Claim;
use serde_json::{Value, json};

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

    /// The JSON record: the report with its `source`, a comparison with one
    /// entry per payer, or an `invalid-input` record. Price steps are left
    /// out unless `explain` asks how each amount was reached.
    pub fn record(&self, explain: bool) -> Value {
        match self {
            Checked::Invalid { source, claim_id, error } => {
                json!({ "source": source, "claim_id": claim_id, "status": "invalid-input", "error": error })
            }
            Checked::Report { source, report } => {
                let mut value = report_value(report, explain);
                if let Some(object) = value.as_object_mut() {
                    object.insert("source".to_owned(), json!(source));
                }
                value
            }
            Checked::Comparison { source, claim_id, reports } => {
                let payers: Vec<Value> = reports
                    .iter()
                    .map(|(payer, report)| {
                        let mut value = report_value(report, explain);
                        if let Some(object) = value.as_object_mut() {
                            object.insert("payer_id".to_owned(), json!(payer));
                        }
                        value
                    })
                    .collect();
                json!({ "source": source, "claim_id": claim_id, "payers": payers })
            }
        }
    }
}

/// A report as JSON, without price steps unless `explain`.
fn report_value(report: &ClaimReport, explain: bool) -> Value {
    let mut value = match serde_json::to_value(report) {
        Ok(value) => value,
        // A report is plain data; this would be a bug, and is said, not hidden.
        Err(error) => json!({ "claim_id": report.claim_id, "status": "failed", "error": error.to_string() }),
    };
    if !explain && let Some(lines) = value.pointer_mut("/outcome/lines").and_then(Value::as_array_mut) {
        for line in lines {
            if let Some(line) = line.as_object_mut() {
                line.remove("price_steps");
            }
        }
    }
    value
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
