//! The policy lifecycle through the CLI: synthetic claims (`gen`), the impact
//! of a candidate rule set (`diff`), `plugin inspect`, and the walk a new
//! payer takes: `new plugin` -> build -> `test` -> `check`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{self, payrules, text};

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    text(bytes).lines().map(|l| serde_json::from_str(l).expect("a JSON object per line")).collect()
}

#[test]
fn gen_is_deterministic_and_spreads_claims_over_the_payers() {
    let first = payrules(&["gen", "--count", "400", "--seed", "11"]);
    let again = payrules(&["gen", "--count", "400", "--seed", "11"]);
    let other = payrules(&["gen", "--count", "400", "--seed", "12"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(first.stdout, again.stdout, "the same seed gives the same claims");
    assert_ne!(first.stdout, other.stdout, "another seed gives other claims");
    let claims = json_lines(&first.stdout);
    assert_eq!(claims.len(), 400);
    let mut per_payer: BTreeMap<String, usize> = BTreeMap::new();
    for claim in &claims {
        *per_payer.entry(claim["payer"]["id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    // Seven payer ids in force in 2025, chosen uniformly: each near 400 / 7 = 57.
    assert_eq!(per_payer.len(), 7, "{per_payer:?}");
    assert!(per_payer.values().all(|n| (25..=95).contains(n)), "{per_payer:?}");

    // Every generated claim reads and is checked; some carry the injected errors.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gen.jsonl");
    std::fs::write(&file, &first.stdout).unwrap();
    let checked = payrules(&["check", "--format", "json", file.to_str().unwrap()]);
    let records = support::claim_records(&checked.stdout);
    assert_eq!(records.len(), 400);
    assert!(records.iter().all(|r| r["status"] == "evaluated"), "every claim is valid and routed");
    let units_over = records
        .iter()
        .filter(|r| r["outcome"]["findings"].as_array().unwrap().iter().any(|f| f["rule_id"] == "MCR-UNITS-OVER"))
        .count();
    assert!(units_over > 0, "the 8% over-billed unit shows on Medicare claims");

    // The same claims as one 837P interchange read back to the same count.
    let x12 = payrules(&["gen", "--count", "50", "--seed", "11", "--format", "x12"]);
    let x12_file = dir.path().join("gen.837");
    std::fs::write(&x12_file, &x12.stdout).unwrap();
    let checked = payrules(&["check", "--format", "json", x12_file.to_str().unwrap()]);
    let records = support::claim_records(&checked.stdout);
    assert_eq!(records.len(), 50);
    assert!(records.iter().all(|r| r["status"] == "evaluated"), "{}", text(&checked.stdout));
}

#[test]
fn diff_reports_the_claims_a_contract_change_moves_and_sums_them() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let generated = payrules(&["gen", "--count", "600", "--seed", "5"]);
    std::fs::write(&corpus, &generated.stdout).unwrap();
    let corpus = corpus.to_str().unwrap();

    // A rule set against itself changes nothing.
    let same = payrules(&[
        "diff",
        "--base",
        "examples/rulesets/default.toml",
        "--candidate",
        "examples/rulesets/default.toml",
        corpus,
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));
    assert!(text(&same.stdout).contains("600 claim(s) replayed from default@2026.1 to default@2026.1: 0 changed"));

    let args = [
        "diff",
        "--base",
        "examples/rulesets/default.toml",
        "--candidate",
        "examples/rulesets/candidate.toml",
        "--format",
        "json",
        corpus,
    ];
    let output = payrules(&args);
    assert_eq!(output.status.code(), Some(1), "changes exit 1 like diff(1): {}", text(&output.stderr));
    let records = json_lines(&output.stdout);
    assert_eq!(records.len(), 601, "one record per claim, then the summary");
    assert!(records.iter().all(|r| r["schema_version"] == 1), "every record names its schema");
    let summary = &records[600]["summary"];
    let changed: Vec<&Value> = records[..600].iter().filter(|r| r["status"] == "changed").collect();
    assert_eq!(summary["changed"].as_u64(), Some(changed.len() as u64));
    // Only the two payers whose contracts changed move.
    let payers: Vec<&str> = summary["by_payer"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(payers, ["ACME-PPO", "SUMMIT-HMO"]);
    // ACME-PPO's cap falls from 4 to 3 timed units: the cap rule newly fires, never the reverse.
    assert!(summary["by_rule"]["COM-UNITS-CAP"]["added"].as_u64().unwrap() > 0);
    assert_eq!(summary["by_rule"]["COM-UNITS-CAP"]["removed"], 0);
    // SUMMIT-HMO dropped the 97140-with-97110 pair: that bundling finding only goes away.
    assert_eq!(summary["by_rule"]["COM-BUNDLED-PAIR"]["added"], 0);
    // The dollar impact is the sum of the claims' changes, to the cent.
    let cents = |v: &Value| -> i64 {
        let text = v.as_str().unwrap();
        let negative = text.starts_with('-');
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        digits.parse::<i64>().unwrap() * if negative { -1 } else { 1 }
    };
    let total: i64 = changed.iter().map(|r| cents(&r["payment_change"])).sum();
    assert_eq!(total, cents(&summary["payment_change"]));

    // Deterministic: the same replay gives the same bytes.
    assert_eq!(payrules(&args).stdout, output.stdout);
}

#[test]
fn inspect_shows_what_a_plugin_declares_and_imports() {
    let output = payrules(&["plugin", "inspect", "target/plugins/medicare.wasm"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let version = payrules_model::CONTRACT_VERSION;
    for expected in [
        "plugin medicare@0.1.0".to_owned(),
        format!("contract  payrules:policy@{version}"),
        format!(
            "imports   payrules:policy/types@{version}, payrules:policy/reference-data@{version}, payrules:policy/diagnostics@{version}"
        ),
        "only the contract: no WASI, no clock, no I/O".to_owned(),
        "MCR-UNITS-OVER".to_owned(),
        "source: CMS 100-04 ch.5 20.2".to_owned(),
    ] {
        assert!(stdout.contains(&expected), "{expected}\n{stdout}");
    }
    let sha = payrules_host::sha256_hex(&std::fs::read(support::built("plugins/medicare")).unwrap());
    assert!(stdout.contains(&format!("sha256    {sha}")), "{stdout}");

    let legacy = payrules(&["plugin", "inspect", "--format", "json", "target/test-plugins/legacy.wasm"]);
    let value: Value = serde_json::from_slice(&legacy.stdout).unwrap();
    assert_eq!(value["contract_version"], "0.1.0");
    assert_eq!(value["imports_beyond_contract"], Value::Array(Vec::new()));
}

#[track_caller]
fn succeeds(command: &mut Command) -> String {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{command:?}\nstdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// A plugin outside any checkout builds, pins and tests with only cargo and
/// `payrules`: the scaffold carries the PDK it needs, and nothing in it
/// names this checkout.
#[test]
fn a_new_payer_walks_from_scaffold_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("acme-west");
    let plugin_arg = plugin.to_str().unwrap();

    let created = payrules(&["new", "plugin", "acme-west", "--dir", plugin_arg]);
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("payrules plugin build"), "{}", text(&created.stdout));
    let again = payrules(&["new", "plugin", "acme-west", "--dir", plugin_arg]);
    assert_eq!(again.status.code(), Some(2), "an existing plugin is not overwritten");
    let checkout = support::root().display().to_string();
    for file in ["Cargo.toml", "rules.toml", "kit/kit.toml", "vendor/payrules/crates/pdk/Cargo.toml"] {
        let written = std::fs::read_to_string(plugin.join(file)).unwrap();
        assert!(!written.contains(&checkout), "{file} names the checkout: {written}");
        assert!(!written.contains("workspace = true"), "{file} needs a workspace: {written}");
    }

    // Built from a copy of the folder somewhere else, with no checkout on the
    // way: what a plugin author on another machine has.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("acme-west");
    copy_tree(&plugin, &moved);
    let moved_arg = moved.to_str().unwrap();
    let built = succeeds(support::command(&["plugin", "build", moved_arg]).env_remove("CARGO"));
    assert!(built.contains("target/plugins/acme-west.wasm"), "{built}");
    let pinned = succeeds(&mut support::command(&["plugin", "pin", moved.join("rules.toml").to_str().unwrap()]));
    assert!(
        pinned.contains("acme-west: target/plugins/acme-west.wasm sha256 ") && pinned.contains("(re-pinned)"),
        "{pinned}"
    );
    let plugin = moved;

    let tested = payrules(&["test", plugin.join("kit").to_str().unwrap()]);
    assert_eq!(tested.status.code(), Some(0), "{}", text(&tested.stdout));
    assert!(text(&tested.stdout).contains("rules fired: 3 of 3 declared"), "{}", text(&tested.stdout));

    let claim = dir.path().join("claim.json");
    std::fs::write(
        &claim,
        r#"{ "id": "AW-1", "payer": { "id": "ACME-WEST", "name": "Acme West", "kind": "commercial" },
             "patient": { "id": "P1", "birth_date": "1970-01-01" },
             "billing_provider": { "npi": "1234567893" }, "rendering_provider": { "npi": "1245319599", "role": "therapist" },
             "lines": [ { "number": 1, "date_of_service": "2025-06-02", "procedure": "97110", "modifiers": ["GP"],
                          "units": 2, "charge": "90.00", "minutes": { "total": 20 } } ] }"#,
    )
    .unwrap();
    let rules = plugin.join("rules.toml");
    let checked = payrules(&["check", "--format", "json", "--rules", rules.to_str().unwrap(), claim.to_str().unwrap()]);
    let record = support::claim_record(&checked.stdout);
    assert_eq!(record["outcome"]["findings"][0]["rule_id"], "ACME-WEST-UNITS", "{record}");
    assert_eq!(record["outcome"]["lines"][0]["correct_units"], 1);

    let inspected = payrules(&["plugin", "inspect", plugin.join("target/plugins/acme-west.wasm").to_str().unwrap()]);
    assert!(text(&inspected.stdout).contains("only the contract"), "{}", text(&inspected.stdout));
    assert!(Path::new(&plugin.join("Cargo.lock")).exists(), "the scaffold keeps the versions the PDK is tested with");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A plugin of this workspace built by `payrules plugin build` or by
/// `cargo xtask build-plugin` is the very file `cargo xtask build-plugins`
/// makes: the same bytes, so the bundled rule set's pin still holds.
#[test]
fn every_way_of_building_a_bundled_plugin_gives_the_pinned_bytes() {
    let rules = std::fs::read_to_string(support::default_rules()).unwrap();
    let pinned = rules
        .split("[[payer]]")
        .find(|entry| entry.contains("plugin = \"../../target/plugins/self-pay.wasm\""))
        .and_then(|entry| entry.lines().find_map(|l| l.strip_prefix("sha256 = \"")))
        .map(|rest| rest.trim_end_matches('"').to_owned())
        .unwrap();
    let wasm = support::root().join("target/plugins/self-pay.wasm");
    let sha = || payrules_host::sha256_hex(&std::fs::read(&wasm).unwrap());
    succeeds(&mut support::command(&["plugin", "build", "plugins/self-pay"]));
    assert_eq!(sha(), pinned, "payrules plugin build");
    let xtask = support::root().join("target/debug/xtask");
    assert!(
        xtask.exists(),
        "{} is missing: scripts/test.sh builds it with `cargo xtask build-plugins`",
        xtask.display()
    );
    succeeds(Command::new(&xtask).args(["build-plugin", "plugins/self-pay"]).current_dir(support::root()));
    assert_eq!(sha(), pinned, "cargo xtask build-plugin");
    assert!(!support::root().join("plugins/self-pay/target").exists(), "nothing built into the plugin's own folder");
}

#[test]
fn check_and_diff_answer_the_same_bytes_in_input_order_on_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let generated = payrules(&["gen", "--count", "1500", "--seed", "9"]);
    let mut lines = text(&generated.stdout);
    // Unreadable claims in the middle keep their place and their record.
    let at = lines.match_indices('\n').nth(699).unwrap().0 + 1;
    lines.insert_str(at, "{\"id\": \"BROKEN-1\"}\nnot json at all\n");
    std::fs::write(&corpus, &lines).unwrap();
    let corpus = corpus.to_str().unwrap();
    for format in ["json", "table"] {
        let one = payrules(&["check", "--format", format, "--jobs", "1", corpus]);
        assert_eq!(one.status.code(), Some(2), "the broken claims exit 2: {}", text(&one.stderr));
        for jobs in ["2", "5"] {
            let many = payrules(&["check", "--format", format, "--jobs", jobs, corpus]);
            assert_eq!(many.status.code(), one.status.code());
            let same = support::without_run_time(&text(&many.stdout)) == support::without_run_time(&text(&one.stdout));
            assert!(same, "check --format {format} --jobs {jobs} differs from --jobs 1");
        }
    }
    let records = support::claim_records(&payrules(&["check", "--format", "json", "--jobs", "2", corpus]).stdout);
    assert_eq!(records.len(), 1502, "one record per input claim");
    let ids: Vec<String> = text(&generated.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    let answered: Vec<&str> =
        records.iter().filter_map(|r| r["claim_id"].as_str()).filter(|id| !id.starts_with("BROKEN")).collect();
    assert_eq!(answered, ids, "records follow the input order");

    let diff = |jobs: &str| {
        payrules(&[
            "diff",
            "--base",
            "examples/rulesets/default.toml",
            "--candidate",
            "examples/rulesets/candidate.toml",
            "--format",
            "json",
            "--jobs",
            jobs,
            corpus,
        ])
    };
    let one = diff("1");
    assert_eq!(one.status.code(), Some(2), "{}", text(&one.stderr));
    assert!(diff("2").stdout == one.stdout, "diff --jobs 2 differs from --jobs 1");
    assert!(diff("4").stdout == one.stdout, "diff --jobs 4 differs from --jobs 1");
}
