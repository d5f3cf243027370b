//! One record per input claim: what `check --format json` prints and what
//! the service answers, built in one place so the two never differ.

use payrules_host::{ClaimReport, Evaluator, RuleSet, Verdict};
use payrules_model::{Claim, FindingCounts, Severity};
use serde::Serialize;

use crate::read::ClaimInput;

/// The version of the JSON records' shape, carried by every record so a
/// script can tell which shape it reads. It changes only when a field is
/// renamed, removed or changes meaning; new fields do not change it.
pub const SCHEMA_VERSION: u32 = 1;

/// What one checked claim comes to for a biller, and for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClaimStatus {
    /// Evaluated with no warning or error finding.
    Clean,
    /// Evaluated with warnings but no error: it may be paid, but a biller
    /// should look at it first.
    CleanWithWarnings,
    /// An error finding, no payer policy for it, or its plugin failed.
    NeedsAttention,
    /// The claim could not be read.
    InvalidInput,
}

impl ClaimStatus {
    /// The status as the records and summaries write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Clean => "clean",
            ClaimStatus::CleanWithWarnings => "clean-with-warnings",
            ClaimStatus::NeedsAttention => "needs-attention",
            ClaimStatus::InvalidInput => "invalid-input",
        }
    }

    /// The status as a person reads it in a table.
    pub fn describe(self) -> &'static str {
        match self {
            ClaimStatus::Clean => "clean",
            ClaimStatus::CleanWithWarnings => "clean, with warnings",
            ClaimStatus::NeedsAttention => "needs attention",
            ClaimStatus::InvalidInput => "could not be read",
        }
    }

    /// The status of one payer's report.
    pub fn of_report(report: &ClaimReport) -> ClaimStatus {
        match &report.verdict {
            Verdict::Evaluated { outcome, .. } => match outcome.worst_severity() {
                Some(Severity::Error) => ClaimStatus::NeedsAttention,
                Some(Severity::Warning) => ClaimStatus::CleanWithWarnings,
                Some(Severity::Info) | None => ClaimStatus::Clean,
            },
            Verdict::NotRouted { .. } | Verdict::Failed { .. } => ClaimStatus::NeedsAttention,
        }
    }
}

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
    /// What the claim comes to: for a comparison, the worst of its payers.
    pub fn status(&self) -> ClaimStatus {
        match self {
            Checked::Invalid { .. } => ClaimStatus::InvalidInput,
            Checked::Report { report, .. } => ClaimStatus::of_report(report),
            Checked::Comparison { reports, .. } => {
                reports.iter().map(|(_, report)| ClaimStatus::of_report(report)).max().unwrap_or(ClaimStatus::Clean)
            }
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
                schema_version: SCHEMA_VERSION,
                claim_id: claim_id.as_deref(),
                error,
                source,
                status: "invalid-input",
                result: ClaimStatus::InvalidInput.as_str(),
            }),
            Checked::Report { source, report } => serde_json::to_string(&ReportRecord {
                schema_version: Some(SCHEMA_VERSION),
                report: shown(report, explain),
                result: ClaimStatus::of_report(report).as_str(),
                source,
            }),
            Checked::Comparison { source, claim_id, reports } => {
                // Each report's own payer_id is the payer it was evaluated as.
                let payers: Vec<ReportRecord<'_>> = reports
                    .iter()
                    .map(|(_, report)| ReportRecord {
                        schema_version: None,
                        report: shown(report, explain),
                        result: ClaimStatus::of_report(report).as_str(),
                        source: "",
                    })
                    .collect();
                serde_json::to_string(&ComparisonRecord {
                    schema_version: SCHEMA_VERSION,
                    claim_id,
                    payers,
                    result: self.status().as_str(),
                    source,
                })
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
    schema_version: u32,
    claim_id: Option<&'a str>,
    error: &'a str,
    source: &'a str,
    status: &'static str,
    result: &'static str,
}

#[derive(Serialize)]
struct ReportRecord<'a> {
    /// Only on a record of its own, not on each payer of a comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_version: Option<u32>,
    #[serde(flatten)]
    report: std::borrow::Cow<'a, ClaimReport>,
    result: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    source: &'a str,
}

#[derive(Serialize)]
struct ComparisonRecord<'a> {
    schema_version: u32,
    claim_id: &'a str,
    payers: Vec<ReportRecord<'a>>,
    result: &'static str,
    source: &'a str,
}

/// What a run of `check` came to, counted claim by claim: the last record
/// of `check --format json`, and the table's closing line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckSummary {
    /// Claims read, whether or not they could be checked.
    pub claims: u64,
    /// Claims by [`ClaimStatus`].
    pub by_status: StatusCounts,
    /// Findings over every report, by severity.
    pub findings: FindingCounts,
}

/// Claims counted by [`ClaimStatus`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct StatusCounts {
    /// Evaluated with no warning or error.
    pub clean: u64,
    /// Evaluated with warnings only.
    pub clean_with_warnings: u64,
    /// An error, no policy, or a failed plugin.
    pub needs_attention: u64,
    /// Could not be read.
    pub invalid_input: u64,
}

impl CheckSummary {
    /// Counts one checked claim; returns its status.
    pub fn add(&mut self, checked: &Checked) -> ClaimStatus {
        let status = checked.status();
        self.claims = self.claims.saturating_add(1);
        let slot = match status {
            ClaimStatus::Clean => &mut self.by_status.clean,
            ClaimStatus::CleanWithWarnings => &mut self.by_status.clean_with_warnings,
            ClaimStatus::NeedsAttention => &mut self.by_status.needs_attention,
            ClaimStatus::InvalidInput => &mut self.by_status.invalid_input,
        };
        *slot = slot.saturating_add(1);
        for report in checked.reports() {
            match &report.verdict {
                Verdict::Evaluated { totals, .. } => self.findings.add(totals.findings),
                Verdict::NotRouted { finding } => self.findings.count(finding.severity),
                Verdict::Failed { .. } => {}
            }
        }
        status
    }

    /// The summary as the last JSON record of a run under `rule_set`
    /// (`name@version`, from `origin`: given, config or bundled) that took
    /// `elapsed`.
    pub fn record(&self, rule_set: &str, origin: &str, elapsed: std::time::Duration) -> String {
        #[derive(Serialize)]
        struct SummaryRecord<'a> {
            schema_version: u32,
            summary: &'a CheckSummary,
            rule_set: &'a str,
            rule_set_origin: &'a str,
            elapsed_ms: u128,
        }
        let record = SummaryRecord {
            schema_version: SCHEMA_VERSION,
            summary: self,
            rule_set,
            rule_set_origin: origin,
            elapsed_ms: elapsed.as_millis(),
        };
        serde_json::to_string(&record).unwrap_or_else(|error| {
            serde_json::json!({ "status": "failed", "error": format!("the summary could not be written: {error}") })
                .to_string()
        })
    }

    /// The table's closing line.
    pub fn line(&self) -> String {
        let s = &self.by_status;
        format!(
            "{} claim(s) checked: {} clean, {} clean with warnings, {} need attention, {} could not be read",
            self.claims, s.clean, s.clean_with_warnings, s.needs_attention, s.invalid_input
        )
    }
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
