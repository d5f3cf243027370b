//! The `payrules` binary: its output and its exit codes.

use std::path::Path;
use std::process::Output;

use crate::support::{self, payrules, text};

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[test]
fn clean_claims_exit_0_and_report_each_line() {
    let output = payrules(&["check", "examples/claims/cms-20-2-examples.json", "examples/claims/hip-replacement.toml"]);
    assert_exit(&output, 0);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("claim CMS-EX1"), "{stdout}");
    assert!(stdout.contains("claim HIP-2025-0412"), "{stdout}");
    assert!(stdout.contains("6 claim(s) checked: 6 clean"), "{stdout}");
    // The seed scenario: 40 minutes of 97110 is 3 units. With the sample RVUs,
    // one unit at the full rate ($26.99380) and two at 50% PE ($21.09380 each)
    // make $69.18; less 20% coinsurance ($13.84) and 2% sequestration ($1.11).
    assert!(stdout.contains("totals: billed $135.00  expected allowed $69.18  expected payment $54.23"), "{stdout}");
    assert!(output.stderr.is_empty(), "quiet by default: {}", text(&output.stderr));
}

#[test]
fn error_findings_exit_1_and_show_the_fix() {
    let output = payrules(&["check", "examples/claims/common-mistakes.json"]);
    assert_exit(&output, 1);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("error   MCR-UNITS-OVER  line 4"), "{stdout}");
    assert!(stdout.contains("fix: remove line 4"), "{stdout}");
    assert!(stdout.contains("payer would report: CO-B15 M15"), "{stdout}");
}

#[test]
fn json_output_is_one_record_per_claim() {
    let output = payrules(&["check", "--format", "json", "examples/claims/cms-20-2-examples.json"]);
    assert_exit(&output, 0);
    let records = support::claim_records(&output.stdout);
    assert_eq!(records.len(), 5);
    let ex3 = &records[2];
    assert_eq!(ex3["claim_id"], "CMS-EX3");
    assert_eq!(ex3["status"], "evaluated");
    assert_eq!(ex3["outcome"]["lines"][1]["correct_units"], 1);
    // 97110 x2 ($48.09 with one unit at 50% PE) + 97140 x1 at 50% PE ($20.00): see pricing.toml.
    assert_eq!(ex3["totals"]["expected_allowed"], "68.09");
    assert_eq!(ex3["receipt"]["plugin"], "medicare@0.1.0");
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

#[test]
fn a_bad_claim_exits_2_names_file_line_and_field_and_the_other_claims_are_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut claims: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(support::root().join("examples/claims/common-mistakes.json")).unwrap(),
    )
    .unwrap();
    claims[1]["lines"][0]["units"] = serde_json::json!("three");
    claims[2]["lines"][0]["modifiers"] = serde_json::json!(["GP", "59", "KX", "XE", "XU"]);
    let file = write(dir.path(), "claims.json", &serde_json::to_string_pretty(&claims).unwrap());

    let output = payrules(&["check", "--format", "json", &file]);
    assert_exit(&output, 2);
    let records = support::claim_records(&output.stdout);
    assert_eq!(records.len(), 4, "one record per input claim");
    assert_eq!(records[0]["status"], "evaluated");
    assert_eq!(records[1]["status"], "invalid-input");
    assert_eq!(records[1]["claim_id"], "MISTAKE-EX4-FOUR-UNITS");
    let error = records[1]["error"].as_str().unwrap();
    assert!(
        error.contains("claims.json:") && error.contains("`lines[0].units`") && error.contains("expected u32"),
        "{error}"
    );
    let line: usize = error.split("claims.json:").nth(1).unwrap().split(':').next().unwrap().parse().unwrap();
    let source = std::fs::read_to_string(dir.path().join("claims.json")).unwrap();
    assert!(source.lines().nth(line - 1).unwrap().contains("\"three\""), "line {line} is where `three` is");
    let modifiers = records[2]["error"].as_str().unwrap();
    assert!(modifiers.contains("`lines[0].modifiers`: at most four modifiers, found 5"), "{modifiers}");
    assert_eq!(records[3]["status"], "evaluated");
}

#[test]
fn a_toml_claim_error_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(support::root().join("examples/claims/hip-replacement.toml")).unwrap();
    let file = write(
        dir.path(),
        "claim.toml",
        &seed.replace("date_of_service = 2025-04-12", "date_of_service = \"2025-02-30\""),
    );
    let output = payrules(&["check", &file]);
    assert_exit(&output, 2);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("`lines[0].date_of_service`") && stdout.contains("2025-02-30 is not a calendar day"),
        "{stdout}"
    );
}

#[test]
fn unreadable_input_and_usage_errors_exit_2() {
    let missing = payrules(&["check", "no-such-file.json"]);
    assert_exit(&missing, 2);
    assert!(text(&missing.stdout).contains("cannot read the file"), "{}", text(&missing.stdout));

    let usage = payrules(&["check", "--format", "xml", "examples/claims/hip-replacement.toml"]);
    assert_exit(&usage, 2);
    assert!(text(&usage.stderr).contains("invalid value 'xml'"), "{}", text(&usage.stderr));

    let no_rules = payrules(&["check", "--rules", "no-such-rules.toml", "examples/claims/hip-replacement.toml"]);
    assert_exit(&no_rules, 2);
    let stderr = text(&no_rules.stderr);
    assert!(stderr.contains("cannot read rule set `no-such-rules.toml`"), "{stderr}");
    assert_eq!(stderr.matches("(os error 2)").count(), 1, "the reason is said once: {stderr}");
}

#[test]
fn a_rule_set_with_a_wrong_pin_exits_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/medicare");
    let rules = support::one_entry_rule_set(dir.path(), &plugin, &"0".repeat(64), "");
    let rules = rules.display().to_string();
    // A command that loads every plugin stops at once.
    let output = payrules(&["diff", "--base", &rules, "--candidate", &rules, "examples/claims/hip-replacement.toml"]);
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("payer `only`: plugin") && stderr.contains("but the rule set pins 0000"), "{stderr}");
    assert!(stderr.contains("re-pin the rule set with `payrules plugin pin RULESET`"), "names the command: {stderr}");
    // `check` loads a plugin at its payer's first claim: each claim routed
    // there gets a failed record with the reason, and the exit status says so.
    let output = payrules(&["check", "--format", "json", "--rules", &rules, "examples/claims/hip-replacement.toml"]);
    assert_exit(&output, 1);
    let record = support::claim_record(&output.stdout);
    assert_eq!(record["status"], "failed", "{record}");
    assert_eq!(record["failure"]["kind"], "plugin-unavailable", "{record}");
    let message = record["failure"]["message"].as_str().unwrap();
    assert!(message.contains("payer `only`: plugin") && message.contains("but the rule set pins 0000"), "{message}");
    assert_eq!(record["receipt"]["plugin_sha256"], "0".repeat(64), "{record}");
}

#[test]
fn verbose_mode_logs_to_stderr() {
    let output = payrules(&["check", "-v", "examples/claims/hip-replacement.toml"]);
    assert_exit(&output, 0);
    assert!(text(&output.stderr).contains("payer policy loaded"), "{}", text(&output.stderr));
}

#[test]
fn json_lines_input_is_streamed_one_record_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let claims: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(support::root().join("examples/claims/cms-20-2-examples.json")).unwrap(),
    )
    .unwrap();
    let mut lines: Vec<String> = claims["claims"].as_array().unwrap().iter().take(2).map(|c| c.to_string()).collect();
    lines.insert(1, "{\"id\": \"BROKEN\"}".to_owned());
    lines.insert(2, String::new());
    let file = write(dir.path(), "batch.jsonl", &lines.join("\n"));
    let output = payrules(&["check", "--format", "json", &file]);
    assert_exit(&output, 2);
    let records = support::claim_records(&output.stdout);
    assert_eq!(records.len(), 3, "blank lines are skipped, every claim line gets a record");
    assert_eq!(records[0]["claim_id"], "CMS-EX1");
    assert_eq!(records[1]["claim_id"], "BROKEN");
    assert!(records[1]["source"].as_str().unwrap().ends_with("batch.jsonl:2"), "{}", records[1]);
    assert!(records[1]["error"].as_str().unwrap().contains("missing field `payer`"), "{}", records[1]);
    assert_eq!(records[2]["claim_id"], "CMS-EX2");
    assert!(records[2]["source"].as_str().unwrap().ends_with("batch.jsonl:4"), "{}", records[2]);
}

#[test]
fn explain_shows_the_pricing_arithmetic() {
    let output = payrules(&["check", "--explain", "examples/claims/hip-replacement.toml"]);
    assert_exit(&output, 0);
    let stdout = text(&output.stdout);
    for step in [
        "(work 0.45 x 1.00 + PE 0.40 x 0.912 + MP 0.02 x 0.986) x CF $32.3465 per unit",
        "1 unit(s) at the full rate, 2 with 50% of practice expense (multiple-procedure reduction)",
        "less 20% patient coinsurance ($13.84): the Medicare part",
        "less 2% sequestration of the Medicare part ($1.11)",
    ] {
        assert!(stdout.contains(step), "missing `{step}` in:\n{stdout}");
    }
}

#[test]
fn explain_shows_the_lesser_of_the_charge_and_the_fee_schedule_when_it_binds() {
    // SSA 1848(a)(1); 42 CFR 414.21: Medicare allows the lesser of the actual
    // charge and the fee schedule amount. The seed claim's 97110 x3 is charged
    // $135.00 against a $69.18 fee schedule amount; charged $50.00, it is allowed $50.00.
    let dir = tempfile::tempdir().unwrap();
    let claim = std::fs::read_to_string(support::root().join("examples/claims/hip-replacement.toml"))
        .unwrap()
        .replace("charge = \"135.00\"", "charge = \"50.00\"");
    let file = write(dir.path(), "low-charge.toml", &claim);
    let output = payrules(&["check", "--explain", &file]);
    assert_exit(&output, 0);
    let stdout = text(&output.stdout);
    for step in [
        "1 unit(s) at the full rate, 2 with 50% of practice expense (multiple-procedure reduction)        $69.18",
        "lesser of the charge ($50.00) and the fee schedule amount ($69.18)",
        "less 20% patient coinsurance ($10.00): the Medicare part",
    ] {
        assert!(stdout.contains(step), "missing `{step}` in:\n{stdout}");
    }
    // With the seed's own $135.00 charge the fee schedule is the lesser: no such step.
    let seed = payrules(&["check", "--explain", "examples/claims/hip-replacement.toml"]);
    assert!(!text(&seed.stdout).contains("lesser of the charge"), "{}", text(&seed.stdout));
}

#[test]
fn all_payers_shows_every_payer_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    // Reference TC35's encounter: 97110 x3 + 97140 x2 on one date.
    let claim = std::fs::read_to_string(support::root().join("examples/claims/hip-replacement.toml"))
        .unwrap()
        .replace(
            "minutes = { total = 40 }",
            "minutes = { total = 45 }\n\n[[lines]]\nnumber = 2\ndate_of_service = 2025-04-12\nprocedure = \"97140\"\nmodifiers = [\"GP\"]\nunits = 2\ncharge = \"90.00\"\nminutes = { total = 30 }",
        );
    let file = write(dir.path(), "encounter.toml", &claim);

    let output = payrules(&["check", "--all-payers", "--format", "json", &file]);
    assert_exit(&output, 1);
    let record = support::claim_record(&output.stdout);
    let payers: Vec<&str> =
        record["payers"].as_array().unwrap().iter().map(|p| p["payer_id"].as_str().unwrap()).collect();
    assert_eq!(payers, vec!["MEDICARE", "ACME-PPO", "PRAIRIE-BLUE", "SUMMIT-HMO", "SELF-PAY", "MEDICAID-UT", "WC-CA"]);
    let acme = &record["payers"][1];
    assert_eq!(acme["outcome"]["lines"][1]["allowed_units"], 1, "the 4-unit cap leaves one 97140 unit");
    let summit = &record["payers"][3];
    let summit_rules: Vec<&str> =
        summit["outcome"]["findings"].as_array().unwrap().iter().map(|f| f["rule_id"].as_str().unwrap()).collect();
    assert!(summit_rules.contains(&"COM-BUNDLED-PAIR"), "{summit_rules:?}");

    let table = payrules(&["check", "--all-payers", &file]);
    let stdout = text(&table.stdout);
    assert!(
        stdout.contains("as every payer would treat it") && stdout.contains("ACME-PPO: error COM-UNITS-CAP"),
        "{stdout}"
    );
}

#[test]
fn a_new_payer_is_added_by_editing_toml_only() {
    // The same built plugin file, unchanged, serves a payer the bundled rule
    // set does not have, with its own configuration: no plugin or host rebuild.
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/commercial");
    let before = payrules_host::sha256_hex(&std::fs::read(&plugin).unwrap());
    let rules = format!(
        "name = \"clinic\"\nversion = \"1\"\nplugin_dirs = [\"{}\"]\n\n[[payer]]\nname = \"riverbend-health\"\npayer_ids = [\"RIVERBEND\"]\nplugin = \"{}\"\nsha256 = \"{before}\"\neffective_from = 2025-01-01\n\n[payer.config]\nunits_method = \"midpoint\"\nunits_per_visit = 2\ncoinsurance_percent = 10\ndenials = {{ COM-UNITS-CAP = \"CO-119\" }}\nfee_schedule = {{ \"97110\" = \"39.00\" }}\n",
        plugin.parent().unwrap().display(),
        plugin.display()
    );
    let rules_file = write(dir.path(), "clinic.toml", &rules);
    let claim = std::fs::read_to_string(support::root().join("examples/claims/hip-replacement.toml"))
        .unwrap()
        .replace("id = \"MEDICARE\"", "id = \"RIVERBEND\"")
        .replace("kind = \"medicare\"", "kind = \"commercial\"");
    let claim_file = write(dir.path(), "claim.toml", &claim);

    let output = payrules(&["check", "--rules", &rules_file, "--format", "json", &claim_file]);
    assert_exit(&output, 1);
    let record = support::claim_record(&output.stdout);
    assert_eq!(record["receipt"]["entry"], "riverbend-health");
    assert_eq!(record["outcome"]["lines"][0]["allowed_units"], 2, "the new payer's 2-unit cap applies");
    assert_eq!(record["outcome"]["lines"][0]["expected_allowed"], "78.00", "2 x $39.00");
    assert_eq!(payrules_host::sha256_hex(&std::fs::read(&plugin).unwrap()), before, "the plugin was not rebuilt");
}
