//! `payrules replay`: evaluate every decision of a decision log again and
//! report each one that now comes out differently: after a rule set change,
//! the claims it touches; on an unchanged rule set, none.

use std::collections::HashMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use payrules_host::{Host, RuleSet};
use serde::Serialize;

use crate::decisions::{Decision, unmask};

/// What replaying one logged decision found.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Replayed {
    /// Evaluated again with the same answer.
    Same {
        /// Log line.
        line: usize,
        /// Claim id.
        claim_id: String,
    },
    /// Evaluated again with another answer.
    Drift {
        /// Log line.
        line: usize,
        /// Claim id.
        claim_id: String,
        /// The rule set of the logged decision.
        logged_rule_set: String,
        /// The rule set it was replayed under.
        replayed_rule_set: String,
        /// What differs, one item per difference.
        differences: Vec<String>,
    },
    /// Could not be evaluated again: no claim was logged, or it or its rule
    /// set could not be read.
    NotReplayed {
        /// Log line.
        line: usize,
        /// Claim id, when known.
        claim_id: Option<String>,
        /// Why.
        reason: String,
    },
}

/// Totals of a replay.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReplaySummary {
    /// Decisions read.
    pub decisions: usize,
    /// Decisions that came out the same.
    pub same: usize,
    /// Decisions that came out differently.
    pub drift: usize,
    /// Decisions that could not be replayed.
    pub not_replayed: usize,
}

/// Replays every decision of the log at `log`, each under `rules` if given,
/// else under the rule set file it names. `each` is called per decision, in log order.
pub fn replay(
    host: &Host,
    log: &Path,
    rules: Option<&Path>,
    mut each: impl FnMut(&Replayed) -> std::io::Result<()>,
) -> std::io::Result<ReplaySummary> {
    let file = payrules_host::files::open_regular(log)?;
    let mut rule_sets: HashMap<PathBuf, Result<Arc<RuleSet>, String>> = HashMap::new();
    let mut summary = ReplaySummary::default();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let replayed = replay_line(host, index + 1, &line, rules, &mut rule_sets);
        summary.decisions += 1;
        match &replayed {
            Replayed::Same { .. } => summary.same += 1,
            Replayed::Drift { .. } => summary.drift += 1,
            Replayed::NotReplayed { .. } => summary.not_replayed += 1,
        }
        each(&replayed)?;
    }
    Ok(summary)
}

fn replay_line(
    host: &Host,
    line: usize,
    text: &str,
    rules: Option<&Path>,
    rule_sets: &mut HashMap<PathBuf, Result<Arc<RuleSet>, String>>,
) -> Replayed {
    let decision: Decision = match serde_json::from_str(text) {
        Ok(decision) => decision,
        Err(error) => {
            return Replayed::NotReplayed { line, claim_id: None, reason: format!("not a decision record: {error}") };
        }
    };
    let not_replayed =
        |reason: String| Replayed::NotReplayed { line, claim_id: Some(decision.claim_id.clone()), reason };
    let Some(masked) = decision.claim.clone() else {
        return not_replayed("the log holds no claim for it (start the service with --decision-log-claims)".to_owned());
    };
    let claim = match unmask(masked) {
        Ok(claim) => claim,
        Err(reason) => return not_replayed(reason),
    };
    let path = rules.map_or_else(|| decision.rule_set_path.clone(), Path::to_path_buf);
    let rule_set = match rule_sets
        .entry(path.clone())
        .or_insert_with(|| host.load_rule_set(&path).map_err(|e| crate::rules::error_chain(&e)))
    {
        Ok(rule_set) => Arc::clone(rule_set),
        Err(reason) => return not_replayed(format!("cannot load the rule set {}: {reason}", path.display())),
    };
    let report = host.evaluator(Arc::clone(&rule_set)).evaluate(&claim);
    let label = crate::rules::label(&rule_set);
    let context = crate::decisions::DecisionContext {
        time: "",
        request_id: "",
        rule_set: &label,
        rule_set_sha256: &rule_set.sha256,
        rule_set_path: &path,
    };
    let now = Decision::of(&report, &context);
    let differences = differences(&decision, &now);
    if differences.is_empty() {
        Replayed::Same { line, claim_id: decision.claim_id }
    } else {
        Replayed::Drift {
            line,
            claim_id: decision.claim_id,
            logged_rule_set: decision.rule_set,
            replayed_rule_set: label,
            differences,
        }
    }
}

/// Totals as logged, with a log written before the finding counts were
/// named (`[info, warning, error]`) read in today's shape, so replaying an
/// older log does not report every claim's totals as changed.
fn named_counts(totals: Option<serde_json::Value>) -> Option<serde_json::Value> {
    let mut totals = totals?;
    if let Some(findings) = totals.get_mut("findings")
        && let Some([info, warning, error]) = findings.as_array().map(Vec::as_slice)
    {
        *findings = serde_json::json!({ "error": error, "warning": warning, "info": info });
    }
    Some(totals)
}

/// What differs between a logged decision and the same claim's decision now.
/// A new rule set version alone is not a difference; what it decides is.
fn differences(logged: &Decision, now: &Decision) -> Vec<String> {
    let mut out = Vec::new();
    if logged.status != now.status {
        out.push(format!("status was {}, now {}", logged.status, now.status));
    }
    if logged.rules != now.rules {
        out.push(format!("rules fired were [{}], now [{}]", logged.rules.join(", "), now.rules.join(", ")));
    }
    if named_counts(logged.totals.clone()) != now.totals {
        let show = |t: &Option<serde_json::Value>| t.as_ref().map_or_else(|| "none".to_owned(), ToString::to_string);
        out.push(format!("totals were {}, now {}", show(&logged.totals), show(&now.totals)));
    }
    if logged.failure != now.failure {
        out.push(format!("failure was {:?}, now {:?}", logged.failure, now.failure));
    }
    if out.is_empty() && logged.outcome_sha256 != now.outcome_sha256 {
        out.push("the line results differ (units, statuses, amounts or findings' details)".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests stop at the first surprise")]

    use super::named_counts;

    #[test]
    fn a_log_with_unnamed_finding_counts_reads_as_named() {
        let old = serde_json::json!({ "billed": "90.00", "findings": [3, 2, 1] });
        let named = named_counts(Some(old)).unwrap();
        assert_eq!(named["findings"], serde_json::json!({ "error": 1, "warning": 2, "info": 3 }));
        assert_eq!(named["billed"], "90.00");
        let today = serde_json::json!({ "findings": { "error": 0, "warning": 0, "info": 1 } });
        assert_eq!(named_counts(Some(today.clone())), Some(today));
        assert_eq!(named_counts(None), None);
    }
}
