//! The host refuses what it should, and contains plugins that misbehave.

use payrules_host::{FailureKind, LoadError, Verdict, sha256_hex};

use crate::support;

fn hash(path: &std::path::Path) -> String {
    sha256_hex(&std::fs::read(path).expect("read plugin"))
}

fn failure_kind(verdict: &Verdict) -> Option<FailureKind> {
    match verdict {
        Verdict::Failed { failure, .. } => Some(failure.kind),
        _ => None,
    }
}

#[test]
fn a_looping_plugin_runs_out_of_fuel_and_the_next_claim_still_evaluates() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("test-plugins/looper");
    let rules = support::one_entry_rule_set(
        dir.path(),
        &plugin,
        &hash(&plugin),
        "[sandbox]\nfuel = 20_000_000\ndeadline_ms = 60_000\n",
    );
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rules));

    let stuck = evaluator.evaluate(&support::claim("loop-1"));
    assert_eq!(failure_kind(&stuck.verdict), Some(FailureKind::FuelExhausted), "{stuck:?}");
    let Verdict::Failed { failure, receipt } = &stuck.verdict else { unreachable!() };
    assert!(failure.message.contains("fuel budget of 20000000"), "{failure}");
    assert_eq!(receipt.plugin, "test-looper@0.1.0");

    let next = evaluator.evaluate(&support::claim("fine-2"));
    assert!(matches!(next.verdict, Verdict::Evaluated { .. }), "{next:?}");
}

#[test]
fn a_looping_plugin_is_stopped_by_the_wall_clock_deadline_when_fuel_is_plenty() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("test-plugins/looper");
    let rules = support::one_entry_rule_set(
        dir.path(),
        &plugin,
        &hash(&plugin),
        "[sandbox]\nfuel = 18_000_000_000_000_000_000\ndeadline_ms = 200\n",
    );
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rules));
    let started = std::time::Instant::now();
    let stuck = evaluator.evaluate(&support::claim("loop-1"));
    assert_eq!(failure_kind(&stuck.verdict), Some(FailureKind::Deadline), "{stuck:?}");
    // Not a timing assertion on speed: only that the deadline, not fuel, ended it.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let next = evaluator.evaluate(&support::claim("fine-2"));
    assert!(matches!(next.verdict, Verdict::Evaluated { .. }), "{next:?}");
}

#[test]
fn a_plugin_that_allocates_without_bound_hits_the_memory_cap_and_the_next_claim_still_evaluates() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("test-plugins/hog");
    let rules = support::one_entry_rule_set(dir.path(), &plugin, &hash(&plugin), "[sandbox]\nmemory_mib = 16\n");
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rules));

    let hog = evaluator.evaluate(&support::claim("hog-1"));
    assert_eq!(failure_kind(&hog.verdict), Some(FailureKind::MemoryLimit), "{hog:?}");
    let Verdict::Failed { failure, .. } = &hog.verdict else { unreachable!() };
    assert!(failure.message.contains("16 MiB"), "{failure}");

    let next = evaluator.evaluate(&support::claim("fine-2"));
    assert!(matches!(next.verdict, Verdict::Evaluated { .. }), "{next:?}");
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
        assert!(matches!(error, LoadError::InvalidConfig { .. }), "{config}: {error:?}");
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

fn evaluated(verdict: &Verdict) -> (payrules_model::Outcome, payrules_host::Receipt) {
    match verdict {
        Verdict::Evaluated { outcome, receipt, .. } => (outcome.clone(), receipt.clone()),
        other => panic!("not evaluated: {other:?}"),
    }
}

#[test]
fn receipts_name_the_rule_set_and_plugin_and_warm_instances_give_the_same_outcome() {
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &support::default_rules()));
    let claim = support::claim("C-1");
    let (first, receipt) = evaluated(&evaluator.evaluate(&claim).verdict);
    let (second, _) = evaluated(&evaluator.evaluate(&claim).verdict);
    assert_eq!(receipt.rule_set, "default@2026.1");
    assert_eq!(receipt.entry, "medicare");
    assert_eq!(receipt.plugin, "medicare@0.1.0");
    assert_eq!(receipt.contract_version, "0.1.0");
    assert_eq!(receipt.plugin_sha256, hash(&support::built("plugins/medicare")));
    assert!(receipt.fuel_used.is_some_and(|f| f > 0));
    assert_eq!(first, second, "a warm instance answers the same claim the same way");
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
    let (_, a) = evaluated(&evaluator.evaluate(&claim).verdict);
    let (_, b) = evaluated(&evaluator.evaluate(&claim).verdict);
    assert_eq!(a.fuel_used, b.fuel_used);
}

#[test]
fn the_medicare_plugin_imports_nothing_but_the_contract_and_declares_its_rules() {
    let host = support::host();
    let plugin = host.inspect_plugin(&support::built("plugins/medicare")).unwrap();
    assert_eq!(plugin.imports, vec!["payrules:policy/types@0.1.0".to_owned()]);
    assert_eq!(plugin.info.name, "medicare");
    let ids: Vec<&str> = plugin.info.rules.iter().map(|r| r.id.as_str()).collect();
    for id in ["MCR-UNITS-OVER", "MCR-THERAPY-MODIFIER", "MCR-BUNDLED", "MCR-CODE-INVALID", "MCR-UNTIMED-UNITS"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(plugin.info.rules.iter().all(|r| !r.citation.is_empty() && !r.title.is_empty()));
}
