//! Test kits: claims with the outcome a payer policy must give them, written
//! in TOML an analyst can read, run through the built plugin.
//!
//! A kit is a folder (each plugin ships one in `plugins/<name>/kit`):
//!
//! - `kit.toml` names the rule set whose configuration the outcomes are
//!   expected under, the plugin whose declared rules the coverage report
//!   counts, and, under `[elsewhere]`, declared rules that no claim case can
//!   fire with the test that covers each instead;
//! - every other `*.toml` file holds cases: `[defaults]` (payer id and kind,
//!   date of service, modifiers) and `[[case]]` tables with a name, the policy
//!   source, the lines in compact form, and what to expect. Every expectation
//!   given is checked; those left out are not. `reading` records how an
//!   ambiguous source was read. `[defaults]` may also say how much of the
//!   year's deductible every case's patient has met (`deductible_met`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use payrules_model::{Claim, LineResult, Money};
use serde::Deserialize;

use crate::report::{ClaimReport, Verdict};
use crate::runtime::Evaluator;

/// Why a kit could not be run.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// A file could not be read.
    #[error("cannot read {path}: {cause}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why; part of the message, so not a separate error source.
        cause: std::io::Error,
    },
    /// A file is not a valid kit or case file.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// A case does not describe a valid claim.
    #[error("{file}: case `{case}`: {message}")]
    Case {
        /// The case file.
        file: String,
        /// The case name.
        case: String,
        /// What is wrong.
        message: String,
    },
}

/// `kit.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    rules: PathBuf,
    plugin: PathBuf,
    #[serde(default)]
    elsewhere: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    defaults: Defaults,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    payer: String,
    kind: String,
    date: String,
    #[serde(default)]
    modifiers: Vec<String>,
    /// The deductible already met this year, for every case whose episode
    /// does not say; a case sets `deductible_met = "unknown"` to leave it out.
    #[serde(default)]
    deductible_met: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    source: String,
    #[serde(default)]
    reading: Option<String>,
    lines: Vec<CaseLine>,
    /// The rendering clinician's role; `therapist` when omitted.
    #[serde(default)]
    role: Option<String>,
    /// The claim's episode context, as in a claim file (dates as strings).
    #[serde(default)]
    episode: Option<serde_json::Value>,
    /// The deductible met this year, or `unknown`; the defaults' otherwise.
    #[serde(default)]
    deductible_met: Option<String>,
    /// `non-participating` for a provider outside the payer's agreement.
    #[serde(default)]
    participation: Option<String>,
    /// `false` for a provider that does not accept assignment.
    #[serde(default)]
    accepts_assignment: Option<bool>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseLine {
    code: String,
    units: u32,
    #[serde(default)]
    minutes: Option<u32>,
    #[serde(default)]
    assistant_minutes: Option<u32>,
    #[serde(default)]
    modifiers: Option<Vec<String>>,
    #[serde(default)]
    date: Option<String>,
    /// The line charge; $200.00 a unit when omitted.
    #[serde(default)]
    charge: Option<String>,
    /// Time blocks as `HH:MM-HH:MM`.
    #[serde(default)]
    blocks: Vec<String>,
    /// The line's own rendering clinician's role, when not the claim's (a
    /// second clinician, NPI 1245319599).
    #[serde(default)]
    role: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Exactly these rule ids fire (order does not matter).
    #[serde(default)]
    findings: Option<Vec<String>>,
    /// Correct units per line.
    #[serde(default)]
    correct: Option<Vec<u32>>,
    /// Total correct units, where a tie leaves the split free.
    #[serde(default)]
    correct_total: Option<u32>,
    /// Allowed units per line.
    #[serde(default)]
    allowed: Option<Vec<u32>>,
    /// Status per line.
    #[serde(default)]
    status: Option<Vec<String>>,
    /// Severity per rule id.
    #[serde(default)]
    severity: BTreeMap<String, String>,
    /// Denial per rule id, as `CO-151 N362`; `none` for no denial.
    #[serde(default)]
    denial: BTreeMap<String, String>,
    /// Every fix of every finding, as the report prints it.
    #[serde(default)]
    fixes: Option<Vec<String>>,
    /// Expected allowed amount per line.
    #[serde(default)]
    line_allowed: Option<Vec<Money>>,
    /// Expected payment per line.
    #[serde(default)]
    line_payment: Option<Vec<Money>>,
    /// Claim totals.
    #[serde(default)]
    expected_allowed: Option<Money>,
    #[serde(default)]
    expected_payment: Option<Money>,
    /// For claims no policy serves: the routing rule id.
    #[serde(default)]
    not_routed: Option<String>,
}

/// A kit, read and checked, ready to run.
#[derive(Debug)]
pub struct Kit {
    /// The rule set whose configuration the outcomes are expected under.
    pub rules: PathBuf,
    /// The plugin whose declared rules the coverage counts.
    pub plugin: PathBuf,
    /// Declared rules covered by another test, and which.
    pub elsewhere: BTreeMap<String, String>,
    files: Vec<(String, CaseFile)>,
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CaseResult {
    /// The case file's name.
    pub file: String,
    /// The case's name.
    pub name: String,
    /// The policy source it names.
    pub source: String,
    /// How an ambiguous source was read, when the case says.
    pub reading: Option<String>,
    /// Every way the outcome differs from the expectation; empty when it passed.
    pub differences: Vec<String>,
}

impl CaseResult {
    /// Whether the outcome met every expectation.
    pub fn passed(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The results of a kit's cases.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KitReport {
    /// One result per case, in file and case order.
    pub cases: Vec<CaseResult>,
    /// Every rule id that fired in some case.
    pub fired: BTreeSet<String>,
}

impl KitReport {
    /// How many cases failed.
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.passed()).count()
    }
}

fn read_text(path: &Path) -> Result<String, KitError> {
    std::fs::read_to_string(path).map_err(|cause| KitError::Read { path: path.to_owned(), cause })
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, KitError> {
    toml::from_str(text).map_err(|error| KitError::Invalid {
        path: path.to_owned(),
        message: crate::ruleset::describe_toml_error(text, &error),
    })
}

/// Reads the kit in `dir`: its `kit.toml` and every case file beside it.
pub fn read_kit(dir: &Path) -> Result<Kit, KitError> {
    let manifest_path = dir.join("kit.toml");
    let manifest: Manifest = parse(&manifest_path, &read_text(&manifest_path)?)?;
    let entries = std::fs::read_dir(dir).map_err(|cause| KitError::Read { path: dir.to_owned(), cause })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.file_name().is_some_and(|n| n != "kit.toml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let cases: CaseFile = parse(&path, &read_text(&path)?)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        files.push((name, cases));
    }
    if files.iter().all(|(_, f)| f.cases.is_empty()) {
        return Err(KitError::Invalid { path: dir.to_owned(), message: "the kit has no cases".to_owned() });
    }
    Ok(Kit { rules: dir.join(manifest.rules), plugin: dir.join(manifest.plugin), elsewhere: manifest.elsewhere, files })
}

impl Kit {
    /// Runs every case through `evaluator`, which should evaluate under
    /// [`Kit::rules`] (or, to gate a rule set, under the rule set itself).
    pub fn run(&self, evaluator: &mut Evaluator<'_>) -> Result<KitReport, KitError> {
        self.run_matching(evaluator, |_, _| true)
    }

    /// Runs the cases for which `wanted(file, case name)` is true, and no others.
    pub fn run_matching(
        &self,
        evaluator: &mut Evaluator<'_>,
        wanted: impl Fn(&str, &str) -> bool,
    ) -> Result<KitReport, KitError> {
        let mut report = KitReport::default();
        for (file, cases) in &self.files {
            for (index, case) in cases.cases.iter().enumerate() {
                if !wanted(file, &case.name) {
                    continue;
                }
                let claim = build_claim(&cases.defaults, index, case).map_err(|message| KitError::Case {
                    file: file.clone(),
                    case: case.name.clone(),
                    message,
                })?;
                let outcome = evaluator.evaluate(&claim);
                match &outcome.verdict {
                    Verdict::Evaluated { outcome, .. } => {
                        report.fired.extend(outcome.findings.iter().map(|f| f.rule_id.clone()));
                    }
                    Verdict::NotRouted { finding } => {
                        report.fired.insert(finding.rule_id.clone());
                    }
                    Verdict::Failed { .. } => {}
                }
                report.cases.push(CaseResult {
                    file: file.clone(),
                    name: case.name.clone(),
                    source: case.source.clone(),
                    reading: case.reading.clone(),
                    differences: differences(case, &outcome),
                });
            }
        }
        Ok(report)
    }
}

fn build_claim(defaults: &Defaults, index: usize, case: &Case) -> Result<Claim, String> {
    let mut lines = Vec::with_capacity(case.lines.len());
    for (i, line) in case.lines.iter().enumerate() {
        let mut value = serde_json::Map::new();
        value.insert("number".into(), serde_json::json!(i + 1));
        value.insert("date_of_service".into(), serde_json::json!(line.date.as_deref().unwrap_or(&defaults.date)));
        value.insert("procedure".into(), serde_json::json!(line.code));
        value.insert("modifiers".into(), serde_json::json!(line.modifiers.as_ref().unwrap_or(&defaults.modifiers)));
        value.insert("units".into(), serde_json::json!(line.units));
        // Unless a case says, a line is charged $200.00 a unit: over every
        // rate in the bundled rule set, so the lesser-of-charge rule binds
        // only in the cases about it.
        let charge = match &line.charge {
            Some(charge) => charge.clone(),
            None => format!("{}.00", u64::from(line.units) * 200),
        };
        value.insert("charge".into(), serde_json::json!(charge));
        if !line.blocks.is_empty() {
            let mut blocks = Vec::new();
            for block in &line.blocks {
                let (start, end) =
                    block.split_once('-').ok_or_else(|| format!("line {}: `{block}` is not HH:MM-HH:MM", i + 1))?;
                blocks.push(serde_json::json!({ "start": start, "end": end }));
            }
            value.insert("time_blocks".into(), serde_json::Value::Array(blocks));
        }
        if let Some(minutes) = line.minutes {
            value.insert(
                "minutes".into(),
                serde_json::json!({ "total": minutes, "assistant": line.assistant_minutes.unwrap_or(0) }),
            );
        }
        if let Some(role) = &line.role {
            value.insert("rendering_provider".into(), serde_json::json!({ "npi": "1245319599", "role": role }));
        }
        lines.push(serde_json::Value::Object(value));
    }
    let mut episode = case.episode.clone();
    let met = case.deductible_met.as_ref().or(defaults.deductible_met.as_ref()).filter(|m| *m != "unknown");
    if let Some(met) = met {
        let fields = episode.get_or_insert_with(|| serde_json::json!({}));
        if let Some(fields) = fields.as_object_mut() {
            fields.entry("deductible_met").or_insert_with(|| serde_json::json!(met));
        }
    }
    let claim: Claim = serde_json::from_value(serde_json::json!({
        "id": format!("case-{}", index + 1),
        "payer": { "id": defaults.payer, "name": defaults.payer, "kind": defaults.kind },
        "patient": { "id": "P1", "birth_date": "1950-01-01" },
        "billing_provider": { "npi": "1234567893" },
        "rendering_provider": { "npi": "1987654328", "role": case.role.as_deref().unwrap_or("therapist") },
        "lines": lines,
        "episode": episode,
        "participation": case.participation.as_deref().unwrap_or("participating"),
        "accepts_assignment": case.accepts_assignment.unwrap_or(true),
    }))
    .map_err(|e| format!("does not build a claim: {e}"))?;
    claim.validate().map_err(|e| format!("does not build a valid claim: {e}"))?;
    Ok(claim)
}

fn show_money(amounts: &[Money]) -> String {
    amounts.iter().map(|m| format!("${m}")).collect::<Vec<_>>().join(", ")
}

/// Picks one amount of a line result.
type LineAmount = fn(&LineResult) -> Money;

/// Every difference between a report and a case's expectations, in words.
fn differences(case: &Case, report: &ClaimReport) -> Vec<String> {
    let mut out = Vec::new();
    let expect = &case.expect;
    let (outcome, totals) = match (&report.verdict, &expect.not_routed) {
        (Verdict::NotRouted { finding }, Some(rule)) => {
            if &finding.rule_id != rule {
                out.push(format!("routing finding: expected {rule}, got {}", finding.rule_id));
            }
            return out;
        }
        (Verdict::Evaluated { outcome, totals, .. }, None) => (outcome, totals),
        (Verdict::Evaluated { .. }, Some(rule)) => {
            return vec![format!("expected {rule} (not routed), but it was evaluated")];
        }
        (Verdict::NotRouted { finding }, None) => return vec![format!("not routed: {}", finding.message)],
        (Verdict::Failed { failure, .. }, _) => return vec![format!("the plugin failed: {failure}")],
    };
    let mut fired: Vec<String> = outcome.findings.iter().map(|f| f.rule_id.clone()).collect();
    fired.sort();
    if let Some(findings) = &expect.findings {
        let mut wanted = findings.clone();
        wanted.sort();
        if wanted != fired {
            out.push(format!("findings: expected {wanted:?}, got {fired:?}"));
        }
    }
    let per_line = |pick: fn(&LineResult) -> u32| -> Vec<u32> { outcome.lines.iter().map(pick).collect() };
    if let Some(correct) = &expect.correct {
        let got = per_line(|l| l.correct_units);
        if &got != correct {
            out.push(format!("correct units: expected {correct:?}, got {got:?}"));
        }
    }
    if let Some(total) = expect.correct_total {
        let got: u32 = per_line(|l| l.correct_units).iter().sum();
        if got != total {
            out.push(format!("total correct units: expected {total}, got {got}"));
        }
    }
    if let Some(allowed) = &expect.allowed {
        let got = per_line(|l| l.allowed_units);
        if &got != allowed {
            out.push(format!("allowed units: expected {allowed:?}, got {got:?}"));
        }
    }
    if let Some(status) = &expect.status {
        let got: Vec<&str> = outcome.lines.iter().map(|l| l.status.as_str()).collect();
        if &got != status {
            out.push(format!("status: expected {status:?}, got {got:?}"));
        }
    }
    for (rule, severity) in &expect.severity {
        match outcome.findings.iter().find(|f| &f.rule_id == rule) {
            Some(f) if &f.severity.to_string() == severity => {}
            Some(f) => out.push(format!("{rule} severity: expected {severity}, got {}", f.severity)),
            None => out.push(format!("{rule} did not fire, so its severity cannot be {severity}")),
        }
    }
    for (rule, denial) in &expect.denial {
        match outcome.findings.iter().find(|f| &f.rule_id == rule) {
            Some(f) => {
                let got = f.denial.as_ref().map_or_else(|| "none".to_owned(), ToString::to_string);
                if &got != denial {
                    out.push(format!("{rule} denial: expected {denial}, got {got}"));
                }
            }
            None => out.push(format!("{rule} did not fire, so it cannot carry {denial}")),
        }
    }
    if let Some(fixes) = &expect.fixes {
        let mut got: Vec<String> =
            outcome.findings.iter().flat_map(|f| f.fixes.iter().map(ToString::to_string)).collect();
        got.sort();
        let mut wanted = fixes.clone();
        wanted.sort();
        if got != wanted {
            out.push(format!("fixes: expected {wanted:?}, got {got:?}"));
        }
    }
    let line_amounts: [(&str, &Option<Vec<Money>>, LineAmount); 2] = [
        ("line allowed amounts", &expect.line_allowed, |l| l.expected_allowed),
        ("line payments", &expect.line_payment, |l| l.expected_payment),
    ];
    for (label, wanted, pick) in line_amounts {
        if let Some(wanted) = wanted {
            let got: Vec<Money> = outcome.lines.iter().map(pick).collect();
            if &got != wanted {
                out.push(format!("{label}: expected {}, got {}", show_money(wanted), show_money(&got)));
            }
        }
    }
    if let Some(allowed) = expect.expected_allowed
        && totals.expected_allowed != allowed
    {
        out.push(format!("expected allowed: expected ${allowed}, got ${}", totals.expected_allowed));
    }
    if let Some(payment) = expect.expected_payment
        && totals.expected_payment != payment
    {
        out.push(format!("expected payment: expected ${payment}, got ${}", totals.expected_payment));
    }
    out
}
