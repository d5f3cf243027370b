//! Plugin test kits (`plugins/<name>/kit`): every case passes through the
//! built plugin under the bundled rule set, every declared rule fires in some
//! case or names the test that covers it, `payrules test` reports failures
//! readably, and a rule set that requires a kit is refused when it fails.

use std::path::{Path, PathBuf};

use payrules_host::kit::read_kit;

use crate::support::{self, payrules, text};

const PLUGINS: [&str; 5] = ["medicare", "commercial", "medicaid", "workers-comp", "self-pay"];

fn kit_dir(plugin: &str) -> PathBuf {
    support::root().join("plugins").join(plugin).join("kit")
}

#[test]
fn every_kit_passes_and_every_declared_rule_is_covered() {
    let host = support::host();
    for plugin in PLUGINS {
        let kit = read_kit(&kit_dir(plugin)).unwrap_or_else(|e| panic!("{plugin}: {e}"));
        let rules = support::load(&host, &kit.rules);
        let report = kit.run(&mut host.evaluator(rules)).unwrap_or_else(|e| panic!("{plugin}: {e}"));
        let failures: Vec<String> = report
            .cases
            .iter()
            .filter(|c| !c.passed())
            .map(|c| format!("{}: {} [{}]\n    {}", c.file, c.name, c.source, c.differences.join("\n    ")))
            .collect();
        assert!(
            failures.is_empty(),
            "{plugin}: {} of {} cases failed:\n{}",
            failures.len(),
            report.cases.len(),
            failures.join("\n")
        );
        let declared = host.inspect_plugin(&kit.plugin).expect("plugin loads").info.rules;
        let never: Vec<&str> = declared
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| !report.fired.contains(*id) && !kit.elsewhere.contains_key(*id))
            .collect();
        assert!(never.is_empty(), "rules of `{plugin}` that no case fires: {never:?}");
    }
}

/// A copy of the self-pay kit in `dir`, pointing at the real rule set and
/// plugin, with `edit` applied to its case file.
fn self_pay_kit_copy(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let kit = dir.join("kit");
    std::fs::create_dir_all(&kit).unwrap();
    let manifest = format!(
        "rules = \"{}\"\nplugin = \"{}\"\n",
        support::default_rules().display(),
        support::root().join("target/plugins/self-pay.wasm").display()
    );
    std::fs::write(kit.join("kit.toml"), manifest).unwrap();
    let cases = std::fs::read_to_string(kit_dir("self-pay").join("self-pay.toml")).unwrap();
    std::fs::write(kit.join("self-pay.toml"), edit(cases)).unwrap();
    kit
}

#[test]
fn payrules_test_runs_every_kit_and_shows_a_failure_as_a_difference() {
    let output = payrules(&["test", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("kit plugins/medicare/kit: plugin medicare@0.1.0 under rule set default@2026.1"),
        "{stdout}"
    );
    assert!(stdout.contains("never fired: MCR-NCCI-UNAVAILABLE (covered elsewhere: "), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed; 0 kit(s) could not run"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let kit = self_pay_kit_copy(dir.path(), |cases| {
        cases.replacen("expected_payment = \"202.50\"", "expected_payment = \"200.00\"", 1)
    });
    let output = payrules(&["test", kit.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("  pass  self-pay.toml: No bundling edits: 97140 with 97530 are both priced"), "{stdout}");
    assert!(
        stdout.contains("  FAIL  self-pay.toml: A cash visit: 97110 x2 + 97140, estimate after the discount"),
        "{stdout}"
    );
    assert!(stdout.contains("expected payment: expected $200.00, got $202.50"), "{stdout}");
}

fn gated_rule_set(dir: &Path, kit: &Path, discount: u32) -> PathBuf {
    let plugin = support::built("plugins/self-pay");
    let sha = payrules_host::sha256_hex(&std::fs::read(&plugin).unwrap());
    let text = format!(
        "name = \"gated\"\nversion = \"1\"\nplugin_dirs = [\"{}\"]\n\n[[payer]]\nname = \"self-pay\"\npayer_ids = [\"SELF-PAY\"]\nplugin = \"{}\"\nsha256 = \"{sha}\"\neffective_from = 2024-01-01\nkit = \"{}\"\n\n[payer.config]\ndiscount_percent = {discount}\nprice_list = {{ \"97110\" = \"75.00\", \"97140\" = \"75.00\", \"97530\" = \"85.00\" }}\n",
        plugin.parent().unwrap().display(),
        plugin.display(),
        kit.display()
    );
    let path = dir.join(format!("gated-{discount}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_rule_set_that_requires_a_kit_is_refused_while_the_kit_fails() {
    let dir = tempfile::tempdir().unwrap();
    let kit = self_pay_kit_copy(dir.path(), |cases| cases);
    let host = support::host();
    // The kit's outcomes assume a 10% prompt-pay discount.
    host.load_rule_set(&gated_rule_set(dir.path(), &kit, 10)).expect("the kit passes, so the rule set loads");
    let error = host.load_rule_set(&gated_rule_set(dir.path(), &kit, 20)).expect_err("a 20% discount fails the kit");
    let message = error.to_string();
    assert!(message.starts_with("payer `self-pay`: 3 of 3 cases of its test kit"), "{message}");
    assert!(message.contains("fail under this rule set, so it is not activated"), "{message}");
    assert!(message.contains("expected payment: expected $202.50, got $180.00"), "{message}");
}

#[test]
fn the_readme_rule_table_says_what_the_medicare_plugin_declares() {
    // The plugin declares each rule once (id, severity, default denial); the
    // README's table must say the same, so it cannot drift from the code.
    let inspected = payrules(&["plugin", "inspect", "--format", "json", "target/plugins/medicare.wasm"]);
    let declared: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
    let readme = std::fs::read_to_string(support::root().join("README.md")).unwrap();
    let table = readme.split("## What the Medicare plugin checks").nth(1).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip_while(|l| !l.starts_with("| `MCR-"))
        .take_while(|l| l.starts_with("| `MCR-"))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    let rules = declared["rules"].as_array().unwrap();
    assert_eq!(rows.len(), rules.len(), "one README row per declared rule");
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|cells| cells[1] == format!("`{id}`"))
            .unwrap_or_else(|| panic!("{id} has no row in the README's table"));
        assert_eq!(row[2], rule["severity"].as_str().unwrap(), "{id}: severity");
        if let Some(denial) = rule["denial"].as_str() {
            assert!(row[3].contains(&format!("({denial})")), "{id}: the README should name its denial {denial}");
        }
    }
}
