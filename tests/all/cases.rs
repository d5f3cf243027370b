//! Data-driven claim cases, read from `tests/cases/<plugin>/*.toml` and run
//! through the bundled rule set and the built plugins.
//!
//! Each file starts with `[defaults]` (payer id, date of service, modifiers)
//! and holds `[[case]]` tables: a name, the policy source, the lines in
//! compact form, and what to expect. Every expectation given is checked;
//! those left out are not. `reading` records how an ambiguous source was read.

use std::collections::BTreeMap;
use std::path::Path;

use payrules_host::{ClaimReport, Verdict};
use payrules_model::{Claim, LineStatus, Money};
use serde::Deserialize;

use crate::support;

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
    #[serde(default)]
    charge: Option<String>,
    /// Time blocks as `HH:MM-HH:MM`.
    #[serde(default)]
    blocks: Vec<String>,
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
    line_allowed: Option<Vec<String>>,
    /// Expected payment per line.
    #[serde(default)]
    line_payment: Option<Vec<String>>,
    /// Claim totals.
    #[serde(default)]
    expected_allowed: Option<String>,
    #[serde(default)]
    expected_payment: Option<String>,
    /// For claims no policy serves: the routing rule id.
    #[serde(default)]
    not_routed: Option<String>,
}

fn build_claim(defaults: &Defaults, index: usize, case: &Case) -> Claim {
    let lines: Vec<serde_json::Value> = case
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut value = serde_json::json!({
                "number": i + 1,
                "date_of_service": line.date.as_deref().unwrap_or(&defaults.date),
                "procedure": line.code,
                "modifiers": line.modifiers.as_ref().unwrap_or(&defaults.modifiers),
                "units": line.units,
                "charge": line.charge.as_deref().unwrap_or("50.00"),
            });
            if !line.blocks.is_empty() {
                let blocks: Vec<serde_json::Value> = line
                    .blocks
                    .iter()
                    .map(|b| {
                        let (start, end) = b.split_once('-').unwrap_or_else(|| panic!("`{b}` is not HH:MM-HH:MM"));
                        serde_json::json!({ "start": start, "end": end })
                    })
                    .collect();
                value["time_blocks"] = serde_json::Value::Array(blocks);
            }
            if let Some(minutes) = line.minutes {
                value["minutes"] =
                    serde_json::json!({ "total": minutes, "assistant": line.assistant_minutes.unwrap_or(0) });
            }
            value
        })
        .collect();
    let claim: Claim = serde_json::from_value(serde_json::json!({
        "id": format!("case-{}", index + 1),
        "payer": { "id": defaults.payer, "name": defaults.payer, "kind": defaults.kind },
        "patient": { "id": "P1", "birth_date": "1950-01-01" },
        "billing_provider": { "npi": "1234567893" },
        "rendering_provider": { "npi": "1987654328", "role": case.role.as_deref().unwrap_or("therapist") },
        "lines": lines,
        "episode": case.episode,
    }))
    .unwrap_or_else(|e| panic!("case `{}` builds a claim: {e}", case.name));
    claim.validate().unwrap_or_else(|e| panic!("case `{}` builds a valid claim: {e}", case.name));
    claim
}

fn status_name(status: LineStatus) -> &'static str {
    match status {
        LineStatus::Payable => "payable",
        LineStatus::Adjusted => "adjusted",
        LineStatus::Denied => "denied",
    }
}

/// Every difference between a report and a case's expectations.
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
        (other, _) => return vec![format!("unexpected verdict: {other:?}")],
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
    let per_line =
        |pick: fn(&payrules_model::LineResult) -> u32| -> Vec<u32> { outcome.lines.iter().map(pick).collect() };
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
        let got: Vec<&str> = outcome.lines.iter().map(|l| status_name(l.status)).collect();
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
    let money = |text: &str| text.parse::<Money>().unwrap_or_else(|e| panic!("case `{}`: {e}", case.name));
    for (label, wanted, pick) in [
        (
            "line allowed amounts",
            &expect.line_allowed,
            (|l: &payrules_model::LineResult| l.expected_allowed) as fn(&payrules_model::LineResult) -> Money,
        ),
        ("line payments", &expect.line_payment, |l: &payrules_model::LineResult| l.expected_payment),
    ] {
        if let Some(wanted) = wanted {
            let wanted: Vec<Money> = wanted.iter().map(|m| money(m)).collect();
            let got: Vec<Money> = outcome.lines.iter().map(pick).collect();
            if got != wanted {
                let show = |v: &[Money]| v.iter().map(|m| format!("${m}")).collect::<Vec<_>>().join(", ");
                out.push(format!("{label}: expected {}, got {}", show(&wanted), show(&got)));
            }
        }
    }
    if let Some(allowed) = &expect.expected_allowed
        && totals.expected_allowed != money(allowed)
    {
        out.push(format!("expected allowed: expected ${allowed}, got ${}", totals.expected_allowed));
    }
    if let Some(payment) = &expect.expected_payment
        && totals.expected_payment != money(payment)
    {
        out.push(format!("expected payment: expected ${payment}, got ${}", totals.expected_payment));
    }
    out
}

/// Runs every case file in `tests/cases/<folder>` and checks that every rule
/// the plugin declares fires in some case, or is listed in the folder's
/// `coverage.toml` with the test that covers it instead.
fn run_case_files(folder: &str) {
    let fired = run_cases(folder);
    let plugin = support::host().inspect_plugin(&support::built(&format!("plugins/{folder}"))).expect("plugin loads");
    let dir = support::root().join("tests/cases").join(folder);
    let elsewhere: BTreeMap<String, String> = std::fs::read_to_string(dir.join("coverage.toml"))
        .ok()
        .map(|text| {
            #[derive(Deserialize)]
            struct Coverage {
                elsewhere: BTreeMap<String, String>,
            }
            toml::from_str::<Coverage>(&text).expect("coverage.toml").elsewhere
        })
        .unwrap_or_default();
    let never: Vec<&str> = plugin
        .info
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !fired.contains(*id) && !elsewhere.contains_key(*id))
        .collect();
    assert!(never.is_empty(), "rules of `{folder}` that no case fires: {never:?}");
}

fn run_cases(folder: &str) -> std::collections::BTreeSet<String> {
    let host = support::host();
    let rules = support::load(&host, &support::default_rules());
    let mut evaluator = host.evaluator(rules);
    let dir = support::root().join("tests/cases").join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("case folder").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let (mut ran, mut failures) = (0, Vec::new());
    let mut fired = std::collections::BTreeSet::new();
    let is_case_file = |p: &&std::path::PathBuf| {
        p.extension().is_some_and(|e| e == "toml") && p.file_name().is_some_and(|n| n != "coverage.toml")
    };
    for file in files.iter().filter(is_case_file) {
        let text = std::fs::read_to_string(file).expect("read case file");
        let cases: CaseFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (index, case) in cases.cases.iter().enumerate() {
            let claim = build_claim(&cases.defaults, index, case);
            let report = evaluator.evaluate(&claim);
            ran += 1;
            match &report.verdict {
                Verdict::Evaluated { outcome, .. } => fired.extend(outcome.findings.iter().map(|f| f.rule_id.clone())),
                Verdict::NotRouted { finding } => {
                    fired.insert(finding.rule_id.clone());
                }
                Verdict::Failed { .. } => {}
            }
            let diffs = differences(case, &report);
            if !diffs.is_empty() {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let reading = case.reading.as_deref().map_or_else(String::new, |r| format!("\n    reading: {r}"));
                failures.push(format!(
                    "{name}: {} [{}]{reading}\n    {}",
                    case.name,
                    case.source,
                    diffs.join("\n    ")
                ));
            }
        }
    }
    assert!(ran > 0, "no cases found in {}", dir.display());
    assert!(failures.is_empty(), "{} of {ran} cases failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{ran} cases passed in {}", Path::new(folder).display());
    fired
}

#[test]
fn medicare_cases() {
    run_case_files("medicare");
}

#[test]
fn commercial_cases() {
    run_case_files("commercial");
}

#[test]
fn self_pay_cases() {
    run_case_files("self-pay");
}

#[test]
fn medicaid_cases() {
    run_case_files("medicaid");
}

#[test]
fn workers_comp_cases() {
    run_case_files("workers-comp");
}
