//! The host refuses what it should, and contains plugins that misbehave.

use payrules_host::{EvaluationFailure, FailureKind, LoadError, Verdict, sha256_hex};

use crate::support;

fn hash(path: &std::path::Path) -> String {
    sha256_hex(&std::fs::read(path).expect("read plugin"))
}

/// Runs `check` with an evaluator over a one-entry rule set for `plugin`.
fn with_plugin(plugin: &str, sandbox: &str, check: impl FnOnce(&mut payrules_host::Evaluator<'_>)) {
    let dir = tempfile::tempdir().unwrap();
    let path = support::built(plugin);
    let rules = support::one_entry_rule_set(dir.path(), &path, &hash(&path), sandbox);
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rules));
    check(&mut evaluator);
}

/// The failed claim's failure, after checking that the next claim still evaluates.
#[track_caller]
fn fails_then_recovers(evaluator: &mut payrules_host::Evaluator<'_>, claim_id: &str) -> EvaluationFailure {
    let report = evaluator.evaluate(&support::claim(claim_id));
    let next = evaluator.evaluate(&support::claim("fine-2"));
    assert!(matches!(next.verdict, Verdict::Evaluated { .. }), "the next claim still evaluates: {next:?}");
    match report.verdict {
        Verdict::Failed { failure, receipt } => {
            assert!(receipt.plugin.starts_with("test-"), "{receipt:?}");
            failure
        }
        other => panic!("{claim_id} should fail: {other:?}"),
    }
}

#[test]
fn a_looping_plugin_runs_out_of_fuel_and_the_next_claim_still_evaluates() {
    with_plugin("test-plugins/looper", "[sandbox]\nfuel = 20_000_000\ndeadline_ms = 60_000\n", |evaluator| {
        let failure = fails_then_recovers(evaluator, "loop-1");
        assert_eq!(failure.kind, FailureKind::FuelExhausted, "{failure}");
        assert!(failure.message.contains("fuel budget of 20000000"), "{failure}");
    });
}

#[test]
fn a_looping_plugin_is_stopped_by_the_wall_clock_deadline_when_fuel_is_plenty() {
    let sandbox = "[sandbox]\nfuel = 1_000_000_000_000_000\ndeadline_ms = 200\n";
    with_plugin("test-plugins/looper", sandbox, |evaluator| {
        let failure = fails_then_recovers(evaluator, "loop-1");
        assert_eq!(failure.kind, FailureKind::Deadline, "{failure}");
        assert!(failure.message.contains("200 ms deadline"), "{failure}");
    });
}

#[test]
fn a_plugin_that_allocates_without_bound_hits_the_memory_cap_and_the_next_claim_still_evaluates() {
    with_plugin("test-plugins/hog", "[sandbox]\nmemory_mib = 16\n", |evaluator| {
        let failure = fails_then_recovers(evaluator, "hog-1");
        assert_eq!(failure.kind, FailureKind::MemoryLimit, "{failure}");
        assert!(failure.message.contains("16 MiB"), "{failure}");
    });
}

#[test]
fn a_plugin_whose_hash_differs_from_the_pin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/medicare");
    let wrong = "ab".repeat(32);
    let rules = support::one_entry_rule_set(dir.path(), &plugin, &wrong, "");
    let error = support::host().load_rule_set(&rules).unwrap_err();
    assert!(matches!(error, LoadError::HashMismatch { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("medicare.wasm") && message.contains(&wrong) && message.contains(&hash(&plugin)),
        "{message}"
    );
}

#[test]
fn a_core_module_is_refused_as_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let core = support::root().join("target/wasm32-unknown-unknown/plugin/medicare.wasm");
    let rules = support::one_entry_rule_set(dir.path(), &core, &hash(&core), "");
    let error = support::host().load_rule_set(&rules).unwrap_err();
    assert!(matches!(error, LoadError::NotAPlugin { .. }), "{error:?}");
    assert!(error.to_string().contains("core WebAssembly module, not a component"), "{error}");
}

#[test]
fn a_plugin_built_against_an_unsupported_contract_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("test-plugins/future");
    let rules = support::one_entry_rule_set(dir.path(), &plugin, &hash(&plugin), "");
    let error = support::host().load_rule_set(&rules).unwrap_err();
    assert!(matches!(error, LoadError::UnsupportedContract { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("future.wasm") && message.contains("targets contract 9.0.0, but this host supports 0.1.0"),
        "{message}"
    );
}

#[test]
fn an_invalid_configuration_is_refused_at_load_naming_the_key() {
    let plugin = support::built("plugins/medicare");
    let sha = hash(&plugin);
    let cases = [
        ("coinsurance_percent = 150", "coinsurance_percent", "150 is not a percentage"),
        ("coinsurance = 20", "", "unknown field `coinsurance`"),
        ("denials = { MCR-NOPE = \"CO-4\" }", "denials.MCR-NOPE", "no rule of this plugin has that id"),
        ("denials = { MCR-BUNDLED = \"B15\" }", "denials.MCR-BUNDLED", "is not a denial like"),
        ("fee_schedule = { \"97110\" = 28.79 }", "fee_schedule.97110", "as a string"),
    ];
    for (config, field, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let rules = support::one_entry_rule_set(dir.path(), &plugin, &sha, "");
        let mut text = std::fs::read_to_string(&rules).unwrap();
        text.push_str(&format!("[payer.config]\n{config}\n"));
        std::fs::write(&rules, text).unwrap();
        let error = support::host().load_rule_set(&rules).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, LoadError::InvalidConfig(_)), "{config}: {error:?}");
        assert!(message.contains("payer `only`") && message.contains(reason), "{config}: {message}");
        if !field.is_empty() {
            assert!(message.contains(&format!("`{field}`")), "{config}: {message}");
        }
    }
}

#[test]
fn overlapping_date_ranges_for_one_payer_are_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/medicare");
    let rules = support::one_entry_rule_set(dir.path(), &plugin, &hash(&plugin), "");
    let mut text = std::fs::read_to_string(&rules).unwrap();
    text.push_str(&format!(
        "\n[[payer]]\nname = \"second\"\npayer_ids = [\"MEDICARE\"]\nplugin = \"{}\"\nsha256 = \"{}\"\neffective_from = 2024-06-01\n",
        plugin.display(),
        hash(&plugin)
    ));
    std::fs::write(&rules, text).unwrap();
    let error = support::host().load_rule_set(&rules).unwrap_err();
    assert!(error.to_string().contains("overlap those of `only` for payer id `MEDICARE`"), "{error}");
}

#[test]
fn a_gap_between_one_payers_date_ranges_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/medicare");
    let entry = |name: &str, from: &str, to: &str| {
        format!(
            "\n[[payer]]\nname = \"{name}\"\npayer_ids = [\"MEDICARE\"]\nplugin = \"{}\"\nsha256 = \"{}\"\neffective_from = {from}\n{to}",
            plugin.display(),
            hash(&plugin)
        )
    };
    let rules = dir.path().join("rules.toml");
    let adjoining = format!(
        "name = \"dated\"\nversion = \"1\"\nplugin_dirs = [\"{}\"]\n{}{}",
        plugin.parent().unwrap().display(),
        entry("y2024", "2024-01-01", "effective_to = 2024-12-31\n"),
        entry("y2025", "2025-01-01", "")
    );
    std::fs::write(&rules, &adjoining).unwrap();
    support::host().load_rule_set(&rules).expect("adjoining ranges load");
    std::fs::write(&rules, adjoining.replace("effective_from = 2025-01-01", "effective_from = 2025-02-01")).unwrap();
    let error = support::host().load_rule_set(&rules).unwrap_err().to_string();
    assert!(
        error.contains(
            "payer id `MEDICARE` has no policy between `y2024` (to 2024-12-31) and `y2025` (from 2025-02-01)"
        ),
        "{error}"
    );
}

fn evaluated(verdict: &Verdict) -> (payrules_model::Outcome, payrules_host::Receipt) {
    match verdict {
        Verdict::Evaluated { outcome, receipt, .. } => (outcome.clone(), receipt.clone()),
        other => panic!("not evaluated: {other:?}"),
    }
}

#[test]
fn receipts_name_the_rule_set_and_plugin_and_the_same_claim_gets_the_same_outcome() {
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &support::default_rules()));
    let claim = support::claim("C-1");
    let (first, receipt) = evaluated(&evaluator.evaluate(&claim).verdict);
    let (second, _) = evaluated(&evaluator.evaluate(&claim).verdict);
    assert_eq!(receipt.rule_set, "default@2026.1");
    assert_eq!(receipt.entry, "medicare");
    assert_eq!(receipt.plugin, "medicare@0.1.0");
    assert_eq!(receipt.contract_version, payrules_model::CONTRACT_VERSION);
    assert_eq!(receipt.plugin_sha256, hash(&support::built("plugins/medicare")));
    assert!(receipt.fuel_used.is_some_and(|f| f > 0));
    assert_eq!(first, second, "the same claim is answered the same way");
}

#[test]
fn with_a_fresh_instance_per_claim_fuel_is_reproducible_to_the_unit() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/medicare");
    let rules =
        support::one_entry_rule_set(dir.path(), &plugin, &hash(&plugin), "[sandbox]\nreuse_instances = false\n");
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rules));
    let claim = support::claim("C-1");
    let (outcome, a) = evaluated(&evaluator.evaluate(&claim).verdict);
    let (_, b) = evaluated(&evaluator.evaluate(&claim).verdict);
    assert_eq!(a.fuel_used, b.fuel_used);
    // This rule set grants no reference data, and the plugin says so rather than guess.
    let ids: Vec<&str> = outcome.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["MCR-NCCI-UNAVAILABLE", "MCR-NCCI-UNAVAILABLE", "MCR-PRICE-MISSING"]);
}

#[test]
fn the_medicare_plugin_imports_nothing_but_the_contract_and_declares_its_rules() {
    let host = support::host();
    let plugin = host.inspect_plugin(&support::built("plugins/medicare")).unwrap();
    // The contract's types, and its read-only reference data: no WASI, no clock, no I/O.
    assert_eq!(
        plugin.imports,
        vec![
            format!("payrules:policy/types@{}", payrules_model::CONTRACT_VERSION),
            format!("payrules:policy/reference-data@{}", payrules_model::CONTRACT_VERSION),
            format!("payrules:policy/diagnostics@{}", payrules_model::CONTRACT_VERSION),
        ]
    );
    assert_eq!(plugin.contract_version, payrules_model::CONTRACT_VERSION);
    assert_eq!(plugin.info.name, "medicare");
    let ids: Vec<&str> = plugin.info.rules.iter().map(|r| r.id.as_str()).collect();
    for id in ["MCR-UNITS-OVER", "MCR-THERAPY-MODIFIER", "MCR-BUNDLED", "MCR-CODE-INVALID", "MCR-UNTIMED-UNITS"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(plugin.info.rules.iter().all(|r| !r.citation.is_empty() && !r.title.is_empty()));
}

#[test]
fn a_plugin_built_against_the_released_0_1_0_contract_still_runs() {
    with_plugin("test-plugins/legacy", "", |evaluator| {
        let (outcome, receipt) = evaluated(&evaluator.evaluate(&support::claim("C-1")).verdict);
        assert_eq!(receipt.contract_version, "0.1.0");
        assert_eq!(receipt.plugin, "test-legacy@0.1.0");
        assert_eq!(outcome.findings.len(), 1);
        assert_eq!(outcome.findings[0].rule_id, "LEGACY-LINES");
        assert_eq!(outcome.findings[0].message, "1 line(s) seen");
        assert_eq!(outcome.lines[0].correct_units, 1);
    });
}

#[test]
fn a_plugin_built_against_the_released_0_2_0_contract_still_runs() {
    with_plugin("test-plugins/released-0-2", "", |evaluator| {
        let (outcome, receipt) = evaluated(&evaluator.evaluate(&support::claim("C-1")).verdict);
        assert_eq!(receipt.contract_version, "0.2.0");
        assert_eq!(receipt.plugin, "test-released-0-2@0.1.0");
        assert_eq!(outcome.findings[0].rule_id, "RELEASED-0-2-LINES");
        assert_eq!(outcome.findings[0].message, "1 line(s) seen");
    });
}

#[test]
fn medicaid_without_reference_data_says_ncci_did_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/medicaid");
    let rules = support::one_entry_rule_set(dir.path(), &plugin, &hash(&plugin), "");
    let mut text = std::fs::read_to_string(&rules).unwrap();
    text.push_str("[payer.config]\nstate = \"UT\"\n");
    std::fs::write(&rules, text).unwrap();
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rules));
    let (outcome, _) = evaluated(&evaluator.evaluate(&support::claim("C-1")).verdict);
    let ids: Vec<&str> = outcome.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(ids.contains(&"MCD-NCCI-UNAVAILABLE"), "{ids:?}");
}

#[test]
fn a_warm_instance_reuses_its_memory_claim_after_claim() {
    // The PDK's arena goes back to where it stood after `configure` once a
    // claim's allocations are freed, so one warm instance can answer claim
    // after claim inside a small memory cap. Were a claim's memory kept,
    // these claims would pass the 4 MiB cap long before the end.
    with_plugin("plugins/medicare", "[sandbox]\nreuse_instances = true\nmemory_mib = 4\n", |evaluator| {
        let claim = support::claim("WARM-1");
        let (first, _) = evaluated(&evaluator.evaluate(&claim).verdict);
        for n in 0..3_000 {
            let mut again = claim.clone();
            again.id = format!("WARM-{n}");
            let (outcome, _) = evaluated(&evaluator.evaluate(&again).verdict);
            assert_eq!(outcome, first, "claim {n} is answered as the first was");
        }
    });
}
