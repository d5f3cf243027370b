//! The command line behaves as the tools people know: a summary record a
//! script can rely on, warnings that can fail the run, `--quiet`, `--version`,
//! completions and a manual page, quiet logs, and machine-readable `test`
//! and `fix`.

use std::path::Path;

use serde_json::Value;

use crate::support::{self, payrules, text};

/// Every line of `stdout` as JSON.
#[track_caller]
fn json_lines(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// The first claim of common-mistakes.json (MISTAKE-EX3-ALLOCATION: one
/// allocation warning and the deductible note, no error), in a file of its own.
fn warnings_only_claim(dir: &Path) -> std::path::PathBuf {
    let all: Value = serde_json::from_str(
        &std::fs::read_to_string(support::root().join("examples/claims/common-mistakes.json")).unwrap(),
    )
    .unwrap();
    let claim = &all[0];
    assert_eq!(claim["id"], "MISTAKE-EX3-ALLOCATION");
    let path = dir.join("warned.json");
    std::fs::write(&path, claim.to_string()).unwrap();
    path
}

#[test]
fn check_json_ends_with_a_summary_record_that_adds_up() {
    let output = payrules(&[
        "check",
        "--format",
        "json",
        "examples/claims/common-mistakes.json",
        "examples/claims/cms-20-2-examples.json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let records = json_lines(&output.stdout);
    let (summary, claims) = records.split_last().unwrap();
    assert!(records.iter().all(|r| r["schema_version"] == 1), "every record names its schema");
    assert!(claims.iter().all(|r| r.get("summary").is_none()));
    let summary_body = &summary["summary"];
    assert_eq!(summary_body["claims"], claims.len());
    assert_eq!(summary["rule_set"], "default@2026.1");
    assert!(summary["elapsed_ms"].is_u64(), "{summary}");

    // Counts by status are the records' own results, counted.
    for status in ["clean", "clean-with-warnings", "needs-attention", "invalid-input"] {
        let counted = claims.iter().filter(|r| r["result"] == status).count();
        assert_eq!(summary_body["by_status"][status], counted, "{status}: {summary}");
    }
    assert_eq!(summary_body["by_status"]["clean-with-warnings"], 1, "MISTAKE-EX3-ALLOCATION has warnings only");
    // Findings by severity are the records' named counts, added up.
    for severity in ["error", "warning", "info"] {
        let sum: u64 = claims.iter().map(|r| r["totals"]["findings"][severity].as_u64().unwrap()).sum();
        assert_eq!(summary_body["findings"][severity], sum, "{severity}: {summary}");
    }
}

#[test]
fn a_claim_with_warnings_only_is_clean_with_warnings_and_deny_warnings_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let claim = warnings_only_claim(dir.path());
    let claim = claim.to_str().unwrap();

    let output = payrules(&["check", claim]);
    assert_eq!(output.status.code(), Some(0), "warnings alone do not fail a check: {}", text(&output.stdout));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("  result: clean, with warnings\n"), "{stdout}");
    assert!(stdout.contains("1 claim(s) checked: 0 clean, 1 clean with warnings, 0 need attention"), "{stdout}");

    let output = payrules(&["check", "--format", "json", claim]);
    assert_eq!(json_lines(&output.stdout)[0]["result"], "clean-with-warnings");

    let output = payrules(&["check", "--deny-warnings", claim]);
    assert_eq!(output.status.code(), Some(1), "--deny-warnings fails on a warning: {}", text(&output.stdout));
    // A clean claim still passes with --deny-warnings.
    let output = payrules(&["check", "--deny-warnings", "examples/claims/hip-replacement.toml"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
}

#[test]
fn version_names_the_commit_and_the_contract_versions() {
    let output = payrules(&["--version"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with(&format!("payrules {} (commit ", env!("CARGO_PKG_VERSION"))), "{stdout}");
    let contracts = payrules_host::SUPPORTED_VERSIONS.join(", ");
    assert!(stdout.contains(&format!("plugin contracts: payrules:policy {contracts}")), "{stdout}");
    let commit = stdout.split("(commit ").nth(1).and_then(|rest| rest.split(')').next()).unwrap();
    assert!(commit == "unknown" || commit.chars().all(|c| c.is_ascii_hexdigit()), "{commit}");
}

#[test]
fn completions_and_the_manual_page_cover_every_command() {
    let output = payrules(&["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let script = text(&output.stdout);
    assert!(script.contains("_payrules()"), "a bash completion function");
    for command in ["check", "fix", "diff", "serve", "completions"] {
        assert!(script.contains(command), "completes {command}");
    }
    let output = payrules(&["completions", "zsh"]);
    assert!(text(&output.stdout).starts_with("#compdef payrules"), "{}", text(&output.stdout));

    let output = payrules(&["man"]);
    assert_eq!(output.status.code(), Some(0));
    let page = text(&output.stdout);
    assert!(page.contains(".TH payrules 1"), "{page}");
    assert!(page.contains("\\-\\-quiet"), "global options are in the page");

    let dir = tempfile::tempdir().unwrap();
    let output = payrules(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for page in ["payrules.1", "payrules-check.1", "payrules-test.1", "payrules-plugin-inspect.1"] {
        assert!(dir.path().join(page).is_file(), "{page} written");
    }
}

#[test]
fn logs_leave_out_the_sandbox_runtime_below_vvv() {
    let claim = "examples/claims/hip-replacement.toml";
    let targets = |verbosity: &str| -> Vec<String> {
        let output = payrules(&[verbosity, "--log-format", "json", "check", claim]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        json_lines(&output.stderr).iter().map(|event| event["target"].as_str().unwrap().to_owned()).collect()
    };
    let debug = targets("-vv");
    assert!(debug.iter().any(|t| t.starts_with("payrules")), "payrules' own debug messages: {debug:?}");
    assert!(!debug.iter().any(|t| t.starts_with("wasmtime") || t.starts_with("cranelift")), "{debug:?}");
    let trace = targets("-vvv");
    assert!(trace.iter().any(|t| t.starts_with("wasmtime")), "-vvv shows the runtime's messages too");

    // Patient data stays out of the logs, even at the most verbose level.
    let output = payrules(&["-vvv", "check", claim]);
    let logs = text(&output.stderr);
    assert!(std::fs::read_to_string(support::root().join(claim)).unwrap().contains("id = \"PT-88213\""));
    for patient_data in ["PT-88213", "1951-06-02"] {
        assert!(!logs.contains(patient_data), "{patient_data} is not logged");
    }
}

#[test]
fn quiet_silences_everything_but_the_answer() {
    let output = payrules(&["--quiet", "check", "examples/claims/hip-replacement.toml"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("result: clean"));
    assert!(output.stderr.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("fixed.837");
    let output = payrules(&["fix", "-q", "examples/x12/therapy-fixes.837", "-o", fixed.to_str().unwrap()]);
    assert!(output.status.code().is_some_and(|c| c <= 1), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty(), "no notes: {}", text(&output.stderr));
    assert!(fixed.is_file());
    let output = payrules(&["fix", "examples/x12/therapy-fixes.837", "-o", fixed.to_str().unwrap()]);
    assert!(text(&output.stderr).contains("claim(s):"), "without --quiet the notes are there");

    let output = payrules(&["-q", "-v", "check", "examples/claims/hip-replacement.toml"]);
    assert_eq!(output.status.code(), Some(2), "--quiet and --verbose contradict each other");
}

#[test]
fn test_runs_only_the_cases_run_matches_and_reports_json() {
    let output = payrules(&["test", "--format", "json", "--run", "8-minute|units", "plugins/medicare/kit"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["schema_version"], 1);
    let kit = &document["kits"][0];
    let cases = kit["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    let pattern = regex::Regex::new("8-minute|units").unwrap();
    for case in cases {
        let (file, name) = (case["file"].as_str().unwrap(), case["name"].as_str().unwrap());
        assert!(pattern.is_match(file) || pattern.is_match(name), "{file}: {name} does not match");
        assert_eq!(case["differences"], serde_json::json!([]));
    }
    assert_eq!(kit["coverage"]["filtered"], true);
    assert_eq!(document["summary"]["cases"], cases.len());
    assert_eq!(document["summary"]["failed"], 0);

    let everything: Value =
        serde_json::from_slice(&payrules(&["test", "--format", "json", "plugins/medicare/kit"]).stdout).unwrap();
    let all = everything["summary"]["cases"].as_u64().unwrap();
    assert!(all > cases.len() as u64, "the pattern left cases out: {all} in all");
    assert_eq!(everything["kits"][0]["coverage"]["filtered"], false);

    let output = payrules(&["test", "--run", "(unclosed", "plugins/medicare/kit"]);
    assert_eq!(output.status.code(), Some(2), "a bad pattern is a usage error");
}

#[test]
fn fix_json_reports_each_claim_and_needs_a_file_for_the_corrections() {
    let output = payrules(&["fix", "--format", "json", "examples/x12/therapy-fixes.837"]);
    assert_eq!(output.status.code(), Some(2), "the corrected file needs --output when stdout is JSON");
    assert!(text(&output.stderr).contains("--output"), "{}", text(&output.stderr));

    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("fixed.837");
    let output =
        payrules(&["fix", "--format", "json", "examples/x12/therapy-fixes.837", "-o", fixed.to_str().unwrap()]);
    assert!(output.status.code().is_some_and(|c| c <= 1), "{}", text(&output.stderr));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["rule_set"], "default@2026.1");
    let claims = document["claims"].as_array().unwrap();
    assert_eq!(document["summary"]["claims"], claims.len());
    let corrected = claims.iter().filter(|c| c["fate"] == "corrected").count();
    assert!(corrected > 0);
    assert_eq!(document["summary"]["corrected"], corrected);
    assert!(fixed.is_file());
}

/// A copy of the binary somewhere else, with no checkout, no files beside
/// it and an empty home, checks a claim with the rule set built into it.
#[test]
fn a_copied_binary_checks_claims_with_the_bundled_rule_set_and_a_config_file_can_name_another() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("payrules");
    std::fs::copy(env!("CARGO_BIN_EXE_payrules"), &binary).unwrap();
    std::fs::copy(support::root().join("examples/claims/hip-replacement.toml"), dir.path().join("claim.toml")).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(&binary)
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("HOME", &home)
            .output()
            .unwrap()
    };
    let output = run(&["check", "--format", "json", "claim.toml"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let records = json_lines(&output.stdout);
    assert_eq!(records[0]["status"], "evaluated", "{}", records[0]);
    assert_eq!(
        records[0]["totals"]["expected_payment"], "54.23",
        "the seed claim as the checkout's rule set prices it"
    );
    assert_eq!(records[1]["rule_set_origin"], "bundled");
    let table = text(&run(&["check", "claim.toml"]).stdout);
    assert!(table.contains("rule set default@2026.1: the one bundled with payrules"), "the report says so: {table}");

    // A file of the bundle changed on disk is written again, not trusted.
    let bundled =
        std::fs::read_dir(home.join(".local/share/payrules/bundled")).unwrap().next().unwrap().unwrap().path();
    let data = bundled.join("examples/data/gpci-SAMPLE.csv");
    std::fs::write(&data, "not a GPCI file\n").unwrap();
    let again = run(&["check", "--format", "json", "claim.toml"]);
    assert_eq!(json_lines(&again.stdout)[0]["totals"]["expected_payment"], "54.23", "{}", text(&again.stderr));
    assert_ne!(std::fs::read_to_string(&data).unwrap(), "not a GPCI file\n");

    // payrules.toml in the working folder names the default; --rules still wins.
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let plugin = support::built("plugins/self-pay");
    let sha = payrules_host::sha256_hex(&std::fs::read(&plugin).unwrap());
    let text_rules = format!(
        "name = \"cash-only\"\nversion = \"1\"\nplugin_dirs = [\"{}\"]\n[[payer]]\nname = \"cash\"\npayer_ids = [\"MEDICARE\"]\nplugin = \"{}\"\nsha256 = \"{sha}\"\neffective_from = 2020-01-01\n[payer.config]\ndiscount_percent = 0\nprice_list = {{ \"97110\" = \"60.00\" }}\n",
        plugin.parent().unwrap().display(),
        plugin.display()
    );
    std::fs::write(rules.join("cash.toml"), text_rules).unwrap();
    std::fs::write(dir.path().join("payrules.toml"), "# the clinic's default\nrules = \"rules/cash.toml\"\n").unwrap();
    let configured = run(&["check", "--format", "json", "claim.toml"]);
    let records = json_lines(&configured.stdout);
    assert_eq!(records[0]["receipt"]["rule_set"], "cash-only@1", "{}", text(&configured.stderr));
    assert_eq!(records[1]["rule_set_origin"], "config");
    let given = run(&[
        "check",
        "--format",
        "json",
        "--rules",
        bundled.join("examples/rulesets/default.toml").to_str().unwrap(),
        "claim.toml",
    ]);
    assert_eq!(json_lines(&given.stdout)[1]["rule_set_origin"], "given");
}

/// Errors name the line where the field is written, not the claim's first
/// line, and a refused payer configuration names the rule set, the entry
/// and the line of its key rather than a column of JSON no one wrote.
#[test]
fn located_errors_point_at_the_line_of_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(support::root().join("examples/claims/hip-replacement.toml")).unwrap();
    let line_of = |text: &str, needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;

    let units = seed.replacen("units = 3", "units = \"three\"", 1);
    std::fs::write(dir.path().join("units.toml"), &units).unwrap();
    let wrong_npi = seed.replacen("npi = \"1234567893\"", "npi = \"1234567890\"", 1);
    assert_ne!(wrong_npi, seed, "the seed claim has the billing NPI this test breaks");
    std::fs::write(dir.path().join("npi.toml"), &wrong_npi).unwrap();
    let claim: serde_json::Value = serde_json::to_value(support::claim("J-1")).unwrap();
    let mut pretty = serde_json::to_string_pretty(&claim).unwrap();
    pretty = pretty.replacen("\"1234567893\"", "\"1234567890\"", 1);
    std::fs::write(dir.path().join("npi.json"), &pretty).unwrap();

    let errors = |file: &str| -> String {
        let output = payrules(&["check", "--format", "json", dir.path().join(file).to_str().unwrap()]);
        support::claim_record(&output.stdout)["error"].as_str().unwrap().to_owned()
    };
    let error = errors("units.toml");
    assert!(error.contains(&format!("units.toml:{}: `lines[0].units`", line_of(&units, "units = "))), "{error}");
    let error = errors("npi.toml");
    let npi_line = units.lines().position(|l| l.starts_with("npi = \"1234567893\"")).unwrap() + 1;
    assert!(error.contains(&format!("npi.toml:{npi_line}: `billing_provider.npi`")), "{error}");
    let error = errors("npi.json");
    let json_line = pretty.lines().position(|l| l.contains("\"1234567890\"")).unwrap() + 1;
    assert!(json_line > 1 && error.contains(&format!("npi.json:{json_line}: `billing_provider.npi`")), "{error}");

    let rules = std::fs::read_to_string(support::default_rules()).unwrap();
    let broken = rules
        .replacen("coinsurance_percent = 20", "coinsurance_percent = \"twenty\"", 1)
        .replace("../../target/plugins", &support::root().join("target/plugins").display().to_string())
        .replace("\"../data/", &format!("\"{}/examples/data/", support::root().display()));
    let rules_file = dir.path().join("broken.toml");
    std::fs::write(&rules_file, &broken).unwrap();
    let rules_arg = rules_file.to_str().unwrap();
    let output =
        payrules(&["diff", "--base", rules_arg, "--candidate", rules_arg, "examples/claims/hip-replacement.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    let key_line = line_of(&broken, "coinsurance_percent = \"twenty\"");
    let expected = format!(
        "{rules_arg} line {key_line}: payer `medicare`: plugin `medicare` refused its configuration: `coinsurance_percent`: invalid type: string \"twenty\", expected u32"
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(!stderr.contains("column"), "no position in JSON the user never wrote: {stderr}");
}
