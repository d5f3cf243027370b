//! The promises of SECURITY.md, each tried the way an attacker or a careless
//! operator would: a plugin that remembers, lies or asks too much; a compile
//! cache someone else can write.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use payrules_host::{FailureKind, Verdict, sha256_hex};

use crate::support::{self, text};

fn rogue_rules(dir: &Path, sandbox: &str) -> PathBuf {
    let plugin = support::built("test-plugins/rogue");
    let sha = sha256_hex(&std::fs::read(&plugin).unwrap());
    support::one_entry_rule_set(dir, &plugin, &sha, sandbox)
}

fn claim_for(id: &str, patient: &str) -> payrules_model::Claim {
    let mut claim = support::claim(id);
    claim.patient.id = patient.to_owned();
    claim
}

fn remembered(sandbox: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rogue_rules(dir.path(), sandbox)));
    let mut messages = Vec::new();
    for (id, patient) in [("remember-1", "SYNTH-PATIENT-A"), ("remember-2", "SYNTH-PATIENT-B")] {
        match evaluator.evaluate(&claim_for(id, patient)).verdict {
            Verdict::Evaluated { outcome, .. } => messages.extend(outcome.findings.into_iter().map(|f| f.message)),
            other => panic!("{id} not evaluated: {other:?}"),
        }
    }
    messages
}

#[test]
fn a_plugin_that_tries_to_remember_sees_nothing_of_the_previous_claim() {
    assert_eq!(remembered(""), Vec::<String>::new(), "by default each claim gets a fresh instance");
    // The same plugin with warm instances, an explicit opt-in, does leak:
    // which is why it is not the default.
    assert_eq!(remembered("[sandbox]\nreuse_instances = true\n"), ["an earlier claim was for patient SYNTH-PATIENT-A"]);
}

#[track_caller]
fn violation(id: &str, sandbox: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rogue_rules(dir.path(), sandbox)));
    let report = evaluator.evaluate(&support::claim(id));
    let next = evaluator.evaluate(&support::claim("plain-1"));
    assert!(matches!(next.verdict, Verdict::Evaluated { .. }), "the next claim still evaluates: {next:?}");
    match report.verdict {
        Verdict::Failed { failure, .. } => {
            assert_eq!(failure.kind, FailureKind::ContractViolation, "{id}: {failure}");
            failure.message
        }
        other => panic!("{id} should fail: {other:?}"),
    }
}

#[test]
fn an_outcome_that_does_not_fit_its_claim_is_a_plugin_failure() {
    let cases = [
        ("extra-line-1", "it answered for line 99, which the claim does not have"),
        ("missing-line-1", "it gave no result for line 1"),
        ("twice-1", "it answered twice for line 1"),
        ("negative-1", "line 1: its allowed amount is negative (-0.01)"),
        ("overpay-1", "line 1: it pays 45.01 of an allowed amount of 45.00"),
        ("too-many-units-1", "line 1: it allows 2 units of the 1 billed"),
        ("ghost-finding-1", "finding ROGUE-REMEMBERED is on line 42, which the claim does not have"),
        ("ghost-fix-1", "finding ROGUE-REMEMBERED fixes line 42, which the claim does not have"),
    ];
    for (id, why) in cases {
        let message = violation(id, "");
        assert_eq!(message, format!("the plugin's outcome does not fit the claim: {why}"), "{id}");
    }
}

#[test]
fn a_plugin_may_ask_the_host_only_about_its_own_claim() {
    let message = violation("ask-date-1", "");
    assert_eq!(
        message,
        "the plugin asked the host for code reference data on 2026-04-14, which is not a date of service of the claim"
    );
    // Contracts before 0.4.0 send the codes they ask about. 40,000 codes once
    // held the host for minutes; the lookup is refused before any work, since
    // the claim has one line. The test plugin built on 0.3.0 tries it.
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("test-plugins/released-0-3");
    let sha = sha256_hex(&std::fs::read(&plugin).unwrap());
    let rules = support::one_entry_rule_set(dir.path(), &plugin, &sha, "");
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rules));
    for (id, expected) in [
        ("ask-foreign-1", "the plugin asked the host for NCCI edits about 40000 codes, more than the claim's 1 lines"),
        (
            "ask-date-1",
            "the plugin asked the host for NCCI edits on 2026-03-10, which is not a date of service of the claim",
        ),
    ] {
        match evaluator.evaluate(&support::claim(id)).verdict {
            Verdict::Failed { failure, .. } => {
                assert_eq!(failure.kind, FailureKind::ContractViolation, "{id}: {failure}");
                assert_eq!(failure.message, expected);
            }
            other => panic!("{id} should fail: {other:?}"),
        }
        assert!(matches!(evaluator.evaluate(&support::claim("plain-1")).verdict, Verdict::Evaluated { .. }));
    }
}

#[test]
fn host_work_is_charged_as_fuel() {
    let dir = tempfile::tempdir().unwrap();
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rogue_rules(dir.path(), "")));
    let fuel = |id: &str, evaluator: &mut payrules_host::Evaluator<'_>| match evaluator
        .evaluate(&support::claim(id))
        .verdict
    {
        Verdict::Evaluated { receipt, .. } => receipt.fuel_used.unwrap(),
        other => panic!("{id}: {other:?}"),
    };
    let once = fuel("ask-repeat-1-a", &mut evaluator);
    let thousand = fuel("ask-repeat-1001-a", &mut evaluator);
    // Each lookup about a date with one code costs the call and the code, whatever the plugin spends itself.
    let per_lookup = payrules_host::sandbox::HOST_CALL_FUEL + payrules_host::sandbox::HOST_ITEM_FUEL;
    assert!(thousand - once >= 1000 * per_lookup, "1000 more lookups cost {} fuel", thousand - once);
    // A budget spent on lookups ends the claim like one spent in wasm.
    let report = evaluator.evaluate(&support::claim("ask-repeat-100000-a"));
    match report.verdict {
        Verdict::Failed { failure, .. } => assert_eq!(failure.kind, FailureKind::FuelExhausted, "{failure}"),
        other => panic!("should run out of fuel: {other:?}"),
    }
}

/// Runs `payrules` with its compile cache in `cache` and the test key.
fn payrules_cached(cache: &Path, args: &[&str]) -> Output {
    support::command(args).env("PAYRULES_CACHE_DIR", cache).env("RUST_LOG", "warn").output().unwrap()
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> =
        std::fs::read_dir(cache).map(|dir| dir.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    found.sort();
    found
}

fn entry_for(cache: &Path, plugin: &str) -> PathBuf {
    let sha = sha256_hex(&std::fs::read(support::built(plugin)).unwrap());
    entries(cache)
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(&sha))
        .unwrap_or_else(|| panic!("no cache entry for {plugin}"))
}

const SEED: &str = "examples/claims/hip-replacement.toml";

#[test]
fn a_cache_entry_that_was_swapped_or_changed_is_recompiled_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // Comparing every payer loads (and caches) every plugin.
    let all = payrules_cached(&cache, &["check", "--all-payers", SEED]);
    assert!(all.stderr.is_empty(), "{}", text(&all.stderr));
    let clean = payrules_cached(&cache, &["check", SEED]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    assert!(clean.stderr.is_empty(), "{}", text(&clean.stderr));
    assert_eq!(std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o700);
    let medicare = entry_for(&cache, "plugins/medicare");
    let commercial = entry_for(&cache, "plugins/commercial");

    // Another plugin's genuine entry under Medicare's name.
    std::fs::copy(&commercial, &medicare).unwrap();
    let swapped = payrules_cached(&cache, &["check", SEED]);
    assert_eq!(text(&swapped.stdout), text(&clean.stdout), "the real Medicare plugin still answers");
    assert!(text(&swapped.stderr).contains("does not verify under this user's cache key"), "{}", text(&swapped.stderr));

    // A changed entry whose old sha256 trailer is made to match, as the
    // previous cache format would have accepted.
    let mut bytes = std::fs::read(&medicare).unwrap();
    let body = bytes.len() - 32;
    bytes[body / 2] ^= 0xff;
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes[..body]);
    bytes[body..].copy_from_slice(&digest);
    std::fs::write(&medicare, &bytes).unwrap();
    let forged = payrules_cached(&cache, &["check", SEED]);
    assert_eq!(text(&forged.stdout), text(&clean.stdout));
    assert!(text(&forged.stderr).contains("does not verify"), "{}", text(&forged.stderr));

    // A symlink in an entry's place is never followed.
    std::fs::remove_file(&medicare).unwrap();
    std::os::unix::fs::symlink(&commercial, &medicare).unwrap();
    let linked = payrules_cached(&cache, &["check", SEED]);
    assert_eq!(text(&linked.stdout), text(&clean.stdout));
    assert!(text(&linked.stderr).contains("it is a symbolic link"), "{}", text(&linked.stderr));
}

#[test]
fn a_one_claim_check_loads_only_the_plugin_its_payer_routes_to() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let first = support::command(&["check", "-v", SEED]).env("PAYRULES_CACHE_DIR", &cache).output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let log = text(&first.stderr);
    assert_eq!(log.matches("payer policy loaded").count(), 1, "{log}");
    assert!(log.contains("entry=medicare plugin=medicare"), "{log}");
    let cached = entries(&cache);
    assert_eq!(cached.len(), 1, "one plugin compiled: {cached:?}");
    assert_eq!(cached[0], entry_for(&cache, "plugins/medicare"));
    // The second run maps the cached plugin (not a copy) and answers the same.
    let again =
        support::command(&["check", SEED]).env("PAYRULES_CACHE_DIR", &cache).env("RUST_LOG", "debug").output().unwrap();
    let log = text(&again.stderr);
    assert!(log.contains("compiled plugin mapped from the cache"), "{log}");
    assert!(!log.contains("cannot be mapped") && !log.contains("recompiling"), "{log}");
    assert_eq!(text(&again.stdout), text(&first.stdout));
    assert_eq!(entries(&cache).len(), 1);
    // A claim for each payer loads each plugin once, at its first claim.
    let every =
        support::command(&["check", "-v", "--all-payers", SEED]).env("PAYRULES_CACHE_DIR", &cache).output().unwrap();
    let log = text(&every.stderr);
    let loaded = log.matches("payer policy loaded on first use").count();
    assert!(loaded >= 5, "every payer in force on the date is loaded: {log}");
    assert_eq!(entries(&cache).len(), 5, "one compiled entry per distinct plugin file");
}

#[test]
fn a_cache_directory_others_can_write_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = payrules_cached(&cache, &["check", SEED]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("not using the compile cache") && stderr.contains("chmod 700"), "{stderr}");
    assert!(entries(&cache).is_empty(), "nothing is written to it");
}

#[test]
fn a_cache_directory_of_another_user_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    // Only root can give a directory away; elsewhere the test shows the
    // owner check through the unit test of the permission check instead.
    if std::os::unix::fs::chown(&cache, Some(65534), None).is_err() {
        return;
    }
    let output = payrules_cached(&cache, &["check", SEED]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("belongs to user 65534"), "{stderr}");
    assert!(entries(&cache).is_empty());
}

#[test]
fn plugin_inspect_takes_the_cache_flags() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("chosen");
    let plugin = support::built("plugins/self-pay");
    let plugin = plugin.to_string_lossy();
    let none = payrules_cached(&cache, &["plugin", "inspect", "--no-cache", &plugin]);
    assert_eq!(none.status.code(), Some(0), "{}", text(&none.stderr));
    assert!(!cache.exists(), "--no-cache writes no cache");
    let chosen = payrules_cached(
        Path::new("/nonexistent"),
        &["plugin", "inspect", "--cache-dir", cache.to_str().unwrap(), &plugin],
    );
    assert_eq!(chosen.status.code(), Some(0), "{}", text(&chosen.stderr));
    assert_eq!(entries(&cache).len(), 1, "--cache-dir is where the entry goes");
}

/// The bundled rule set, edited by `edit`, written to `dir` with its paths made absolute.
fn bundled_variant(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let root = support::root();
    let text = std::fs::read_to_string(support::default_rules()).unwrap();
    let text = text
        .replace("../../target/plugins", &format!("{}/target/plugins", root.display()))
        .replace("\"../data/", &format!("\"{}/examples/data/", root.display()));
    let path = dir.join("rules.toml");
    std::fs::write(&path, edit(text)).unwrap();
    path
}

#[test]
fn sandbox_limits_out_of_range_are_refused_when_the_rule_set_loads() {
    // A huge deadline once panicked inside wasmtime; now each is refused by name.
    let cases = [
        (
            "deadline_ms = 2_000",
            "deadline_ms = 1_000_000_000_000",
            "`sandbox.deadline_ms` is 1000000000000; it must be from 1 to 600000",
        ),
        ("fuel = 200_000_000", "fuel = 0", "`sandbox.fuel` is 0; it must be from 1 to 1000000000000000"),
        ("memory_mib = 64", "memory_mib = 100_000", "`sandbox.memory_mib` is 100000; it must be from 1 to 4096"),
    ];
    for (bundled, setting, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let rules = bundled_variant(dir.path(), |text| text.replacen(bundled, setting, 1));
        let rules = rules.to_string_lossy();
        let output = support::payrules(&["check", "--rules", &rules, SEED]);
        assert_eq!(output.status.code(), Some(2), "{setting}: {}", text(&output.stderr));
        assert!(text(&output.stderr).contains(message), "{setting}: {}", text(&output.stderr));
    }
}

#[test]
fn overlapping_rvu_and_gpci_periods_are_refused_like_mue_periods() {
    for (table, file) in [("rvu", "pprrvu-SAMPLE.csv"), ("gpci", "gpci-SAMPLE.csv")] {
        let dir = tempfile::tempdir().unwrap();
        let rules = bundled_variant(dir.path(), |text| {
            let extra = format!(
                "[[data.{table}]]\nfile = \"{}/examples/data/{file}\"\neffective_from = 2024-01-01\n\n",
                support::root().display()
            );
            text.replacen("[[payer]]", &format!("{extra}[[payer]]"), 1)
        });
        let error = support::host().load_rule_set(&rules).unwrap_err().to_string();
        let what = table.to_uppercase();
        assert!(
            error.contains(&format!("{what} file `")) && error.contains(&format!("covers dates {what} file `")),
            "{error}"
        );
    }
}

#[test]
fn a_refused_pin_never_shows_the_hash_of_a_file_that_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("not-a-plugin.txt");
    std::fs::write(&secret, "synthetic secret text\n").unwrap();
    let rules = support::one_entry_rule_set(dir.path(), &secret, &"ab".repeat(32), "");
    let error = support::host().load_rule_set(&rules).unwrap_err().to_string();
    assert!(error.contains("it is not a WebAssembly binary"), "{error}");
    assert!(!error.contains(&sha256_hex(b"synthetic secret text\n")), "{error}");
}

#[test]
fn a_closed_standard_output_ends_quietly_with_the_pipe_status() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let generated = support::payrules(&["gen", "--count", "3000", "--seed", "3", "-o", corpus.to_str().unwrap()]);
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated.stderr));
    let mut child = support::command(&["check", "--format", "json", corpus.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, as `head -1` would, then go away.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.contains("\"claim_id\""), "{first}");
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(141), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty(), "nothing is said about it: {}", text(&output.stderr));
}

#[test]
fn a_closed_standard_error_never_turns_an_error_into_a_panic() {
    let mut child = support::command(&["check", "--rules", "/nonexistent/rules.toml", SEED])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "the usual status for a rule set that cannot be read, not a panic's 101");
}

#[test]
fn control_characters_from_a_claim_are_escaped_in_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut claim = serde_json::to_value(support::claim("x")).unwrap();
    claim["id"] = serde_json::json!("EVIL\u{1b}[2J\u{1b}[31mCLAIM\rFORGED\nLINE");
    claim["payer"]["name"] = serde_json::json!("Medicare\u{7}\u{9b}31m");
    let file = dir.path().join("evil.json");
    std::fs::write(&file, serde_json::to_string(&claim).unwrap()).unwrap();
    let output = support::payrules(&["check", file.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert!(!stdout.chars().any(|c| c.is_control() && c != '\n'), "no raw control character: {stdout:?}");
    assert!(
        stdout.contains(r"claim EVIL\u{1b}[2J\u{1b}[31mCLAIM\rFORGED\nLINE  payer MEDICARE (Medicare\u{7}\u{9b}31m)"),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|l| l.starts_with("LINE")), "no forged line: {stdout}");
}

#[test]
fn a_directory_or_fifo_given_as_claims_is_an_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("claims.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let json_fifo = dir.path().join("claims.json");
    std::process::Command::new("mkfifo").arg(&json_fifo).status().unwrap();
    let output = support::payrules(&[
        "check",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
        fifo.to_str().unwrap(),
        json_fifo.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let records = support::claim_records(&output.stdout);
    assert_eq!(records.len(), 3, "one record each: {}", text(&output.stdout));
    assert!(records[0]["error"].as_str().unwrap().contains("it is a directory"), "{}", records[0]);
    for record in &records[1..] {
        assert!(record["error"].as_str().unwrap().contains("not a regular file"), "{record}");
    }
}

#[test]
fn json_lines_on_standard_input_and_a_byte_order_mark_are_read() {
    let lines: String = ["jl-1", "jl-2"]
        .iter()
        .map(|id| format!("{}\n", serde_json::to_string(&support::claim(id)).unwrap()))
        .collect();
    let mut child = support::command(&["check", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("\u{feff}{lines}").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let ids: Vec<String> =
        support::claim_records(&output.stdout).iter().map(|r| r["claim_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, ["jl-1", "jl-2"]);
}

#[test]
fn units_and_charges_past_a_sane_maximum_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut units = serde_json::to_value(support::claim("units")).unwrap();
    units["lines"][0]["units"] = serde_json::json!(4_000_000_000u32);
    let mut charge = serde_json::to_value(support::claim("charge")).unwrap();
    charge["lines"][0]["charge"] = serde_json::json!("90000000000000000.00");
    let file = dir.path().join("absurd.json");
    std::fs::write(&file, serde_json::to_string(&[units, charge]).unwrap()).unwrap();
    let output = support::payrules(&["check", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let errors: Vec<String> =
        support::claim_records(&output.stdout).iter().map(|r| r["error"].as_str().unwrap().to_owned()).collect();
    assert!(
        errors[0].contains("`lines[0].units`: 4000000000 units is over the most one line may carry, 9999"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("`lines[0].charge`: 90000000000000000.00 is over the largest line charge"),
        "{errors:?}"
    );
}

#[test]
fn an_837p_claim_of_more_than_50_service_lines_is_refused_on_read() {
    let mut claim = support::claim("LONG-1");
    let first = claim.lines[0].clone();
    claim.lines = (1..=51).map(|n| payrules_model::ServiceLine { number: n, ..first.clone() }).collect();
    let options = payrules_x12::ComposeOptions::new(payrules_model::Date::new(2025, 3, 14).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.837");
    std::fs::write(&file, payrules_x12::compose_837p(&[claim], &options)).unwrap();
    let output = support::payrules(&["check", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let record = support::claim_record(&output.stdout);
    assert_eq!(record["status"], "invalid-input");
    assert!(record["error"].as_str().unwrap().contains("an 837P claim carries at most 50 service lines"), "{record}");
}

#[test]
fn a_trusted_key_admits_only_rule_sets_it_signed_over_files_that_did_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let gpci = dir.path().join("gpci.csv");
    std::fs::copy(support::root().join("examples/data/gpci-SAMPLE.csv"), &gpci).unwrap();
    let rules = bundled_variant(dir.path(), |text| {
        text.replace(&format!("{}/examples/data/gpci-SAMPLE.csv", support::root().display()), "gpci.csv")
    });
    let rules = rules.to_str().unwrap().to_owned();
    let key = dir.path().join("signer.key");
    let other = dir.path().join("other.key");
    for path in [&key, &other] {
        let made = support::payrules(&["keygen", path.to_str().unwrap()]);
        assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
    }
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let public = format!("{}.pub", key.display());
    let other_public = format!("{}.pub", other.display());
    let check = |trusted: &str| support::payrules(&["check", "--rules", &rules, "--trusted-key", trusted, SEED]);
    let refused = |output: &Output, reason: &str| {
        assert_eq!(output.status.code(), Some(2), "{reason}: {}", text(&output.stdout));
        assert!(text(&output.stderr).contains(reason), "{reason}: {}", text(&output.stderr));
    };

    refused(&check(&public), "is not signed (no `");
    let signed = support::payrules(&["sign", &rules, "--key", key.to_str().unwrap()]);
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed.stderr));
    assert_eq!(check(&public).status.code(), Some(0), "signed by the trusted key");
    assert_eq!(support::payrules(&["check", "--rules", &rules, SEED]).status.code(), Some(0), "no key, no check");
    refused(&check(&other_public), "which is not trusted");

    // A changed data file, then a changed rule set, each refused by name.
    let original = std::fs::read(&gpci).unwrap();
    std::fs::write(&gpci, [original.as_slice(), b"\n"].concat()).unwrap();
    refused(&check(&public), "`gpci.csv` has changed since the rule set was signed");
    std::fs::write(&gpci, &original).unwrap();
    let text_now = std::fs::read_to_string(&rules).unwrap();
    std::fs::write(&rules, text_now.replacen("memory_mib = 64", "memory_mib = 65", 1)).unwrap();
    refused(&check(&public), "`rules.toml` has changed since the rule set was signed");
    std::fs::write(&rules, &text_now).unwrap();
    assert_eq!(check(&public).status.code(), Some(0));

    // Editing the signature's own list to match a change breaks the signature.
    let signature = format!("{rules}.sig");
    let sig_text = std::fs::read_to_string(&signature).unwrap();
    let gpci_sha = sha256_hex(&original);
    std::fs::write(&signature, sig_text.replace(&gpci_sha, &"0".repeat(64))).unwrap();
    refused(&check(&public), "does not verify");
    // And with the signature gone, a configured key still refuses.
    std::fs::remove_file(&signature).unwrap();
    refused(&check(&public), "is not signed");
}

#[test]
fn one_bad_byte_in_a_json_list_costs_one_record_not_the_file() {
    let pretty = |id: &str| serde_json::to_string_pretty(&support::claim(id)).unwrap();
    let broken = pretty("LIST-2").replacen("\"units\": 1", "\"units\": 1x", 1);
    for (wrapper, name) in [("[{}]", "list.json"), ("{\"claims\": [{}]}", "wrapped.json")] {
        let body = format!("{},\n{broken},\n{}", pretty("LIST-1"), pretty("LIST-3"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, wrapper.replace("{}", &body)).unwrap();
        let output = support::payrules(&["check", "--format", "json", file.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let records = support::claim_records(&output.stdout);
        let statuses: Vec<&str> = records.iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["evaluated", "invalid-input", "evaluated"], "{name}: {}", text(&output.stdout));
        let error = records[1]["error"].as_str().unwrap();
        // The body starts on the file's first line in both forms.
        let line = 1 + body.lines().position(|l| l.contains("1x")).unwrap();
        assert!(error.contains(&format!("{name}:{line}")), "{name}: the error names its line {line}: {error}");
        assert_eq!(records[2]["claim_id"], "LIST-3");
    }
}

#[test]
fn a_plugin_outside_the_rule_sets_folder_needs_an_explicit_allow() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/self-pay");
    let sha = sha256_hex(&std::fs::read(&plugin).unwrap());
    let rules = dir.path().join("rules.toml");
    let entry = |path: &Path| {
        format!(
            "[[payer]]\nname = \"cash\"\npayer_ids = [\"SELF-PAY\"]\nplugin = \"{}\"\nsha256 = \"{sha}\"\neffective_from = 2024-01-01\n[payer.config]\nprice_list = {{ \"97110\" = \"75.00\" }}\n",
            path.display()
        )
    };
    std::fs::write(&rules, format!("name = \"t\"\nversion = \"1\"\n{}", entry(&plugin))).unwrap();
    let error = support::host().load_rule_set(&rules).unwrap_err().to_string();
    assert!(
        error.contains("is outside the rule set's folder; list its folder in `plugin_dirs` to allow it"),
        "{error}"
    );
    // A symlink inside the folder that points outside it is no way around the rule.
    let link = dir.path().join("linked.wasm");
    std::os::unix::fs::symlink(&plugin, &link).unwrap();
    std::fs::write(&rules, format!("name = \"t\"\nversion = \"1\"\n{}", entry(Path::new("linked.wasm")))).unwrap();
    let error = support::host().load_rule_set(&rules).unwrap_err().to_string();
    assert!(error.contains("plugin `") && error.contains("is outside the rule set's folder"), "{error}");
    // Allowed by name, it loads.
    let allow = format!("plugin_dirs = [\"{}\"]\n", plugin.parent().unwrap().display());
    std::fs::write(&rules, format!("name = \"t\"\nversion = \"1\"\n{allow}{}", entry(&plugin))).unwrap();
    support::host().load_rule_set(&rules).expect("an allowed folder loads");
}

#[test]
fn each_interchange_is_read_and_written_with_its_own_delimiters() {
    let date = payrules_model::Date::new(2025, 3, 14).unwrap();
    let first = payrules_x12::ComposeOptions::new(date);
    let mut second = payrules_x12::ComposeOptions::new(date);
    second.control_number = 2;
    second.delimiters = payrules_x12::Delimiters { element: '|', repetition: '^', component: '>', segment: '!' };
    let clean = support::claim("IX-CLEAN");
    let mut over = support::claim("IX-OVER");
    over.lines[0].units = 2;
    over.lines[0].charge = payrules_model::Money::from_cents(9000);
    let both =
        format!("{}{}", payrules_x12::compose_837p(&[clean], &first), payrules_x12::compose_837p(&[over], &second));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two-senders.837");
    std::fs::write(&file, &both).unwrap();
    let ids_and_rules = |path: &Path| -> Vec<(String, Vec<String>)> {
        let output = support::payrules(&["check", "--format", "json", path.to_str().unwrap()]);
        support::claim_records(&output.stdout)
            .into_iter()
            .map(|r| {
                assert_eq!(r["status"], "evaluated", "{r}");
                let rules = r["outcome"]["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| f["severity"] == "error")
                    .map(|f| f["rule_id"].as_str().unwrap().to_owned())
                    .collect();
                (r["claim_id"].as_str().unwrap().to_owned(), rules)
            })
            .collect()
    };
    assert_eq!(
        ids_and_rules(&file),
        [("IX-CLEAN".to_owned(), vec![]), ("IX-OVER".to_owned(), vec!["MCR-UNITS-OVER".to_owned()])]
    );
    let fixed = dir.path().join("fixed.837");
    let output = support::payrules(&["fix", file.to_str().unwrap(), "-o", fixed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(ids_and_rules(&fixed), [("IX-CLEAN".to_owned(), vec![]), ("IX-OVER".to_owned(), vec![])]);
    let written = std::fs::read_to_string(&fixed).unwrap();
    assert!(written.contains("ISA|00|") && written.contains("SV1|HC>97110>GP|45|UN|1!"), "{written}");
}

#[test]
fn a_rule_set_can_lower_or_raise_the_size_limits() {
    let dir = tempfile::tempdir().unwrap();
    let claim = dir.path().join("padded.json");
    let padding = " ".repeat(3 << 20);
    std::fs::write(&claim, format!("{}{padding}", serde_json::to_string(&support::claim("PAD-1")).unwrap())).unwrap();
    let with_limits = |limits: &str| {
        let rules = bundled_variant(dir.path(), |text| text.replacen("[sandbox]", &format!("{limits}\n[sandbox]"), 1));
        support::payrules(&["check", "--format", "json", "--rules", rules.to_str().unwrap(), claim.to_str().unwrap()])
    };
    let lowered = with_limits("[limits]\nclaims_file_mib = 2\n");
    assert_eq!(lowered.status.code(), Some(2));
    assert!(text(&lowered.stdout).contains("it is larger than the 2 MiB limit"), "{}", text(&lowered.stdout));
    let raised = with_limits("[limits]\nclaims_file_mib = 8\n");
    assert_eq!(raised.status.code(), Some(0), "{}", text(&raised.stdout));
    let refused = with_limits("[limits]\nplugin_mib = 0\n");
    assert!(
        text(&refused.stderr).contains("`limits.plugin_mib` is 0; it must be from 1 to 1048576"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn a_plugins_panic_message_reaches_the_claims_failure() {
    let dir = tempfile::tempdir().unwrap();
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rogue_rules(dir.path(), "")));
    let report = evaluator.evaluate(&support::claim("panic-1"));
    match report.verdict {
        Verdict::Failed { failure, .. } => {
            assert_eq!(failure.kind, FailureKind::Trap);
            assert!(failure.message.starts_with("the plugin panicked at "), "{failure}");
            assert!(failure.message.ends_with("rogue panic: this claim was too strange"), "{failure}");
        }
        other => panic!("should fail: {other:?}"),
    }
    assert!(matches!(evaluator.evaluate(&support::claim("plain-1")).verdict, Verdict::Evaluated { .. }));
}

#[test]
fn a_payer_that_never_pays_more_than_the_charge_refuses_an_outcome_that_does() {
    let dir = tempfile::tempdir().unwrap();
    let host = support::host();
    let open = rogue_rules(dir.path(), "");
    let mut evaluator = host.evaluator(support::load(&host, &open));
    assert!(
        matches!(evaluator.evaluate(&support::claim("above-charge-1")).verdict, Verdict::Evaluated { .. }),
        "without the setting, a payer may allow more than the charge (Medicare's fee schedule can)"
    );
    let strict = dir.path().join("strict.toml");
    std::fs::write(&strict, std::fs::read_to_string(&open).unwrap() + "never_above_charge = true\n").unwrap();
    let mut evaluator = host.evaluator(support::load(&host, &strict));
    match evaluator.evaluate(&support::claim("above-charge-1")).verdict {
        Verdict::Failed { failure, .. } => {
            assert_eq!(failure.kind, FailureKind::ContractViolation);
            assert!(
                failure.message.ends_with(
                    "line 1: it allows 45.01 on a charge of 45.00, and this payer never allows more than the charge"
                ),
                "{failure}"
            );
        }
        other => panic!("should fail: {other:?}"),
    }
}

#[test]
fn fix_leaves_for_review_a_split_that_would_take_a_claim_past_50_lines() {
    let base = std::fs::read_to_string(support::root().join("examples/x12/therapy-fixes.837")).unwrap();
    let document = payrules_x12::read_document(&base).unwrap();
    let mut claim = payrules_x12::read_claims(&document)
        .into_iter()
        .find(|read| read.claim_id.as_deref() == Some("FIX-SPLIT"))
        .and_then(|read| read.claim.ok())
        .unwrap();
    // 48 clean one-unit visits on other dates beside the two lines to split: 50 lines.
    let template = support::claim("x").lines[0].clone();
    let start = payrules_model::Date::new(2025, 1, 2).unwrap();
    for n in 0..48u32 {
        let date = start.add_days(i64::from(n)).unwrap();
        claim.lines.push(payrules_model::ServiceLine { number: 3 + n, date_of_service: date, ..template.clone() });
    }
    assert_eq!(claim.lines.len(), 50);
    let options = payrules_x12::ComposeOptions::new(payrules_model::Date::new(2025, 5, 7).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fifty.837");
    std::fs::write(&file, payrules_x12::compose_837p(&[claim], &options)).unwrap();
    let fixed = dir.path().join("fifty.fixed.837");
    let output = support::payrules(&["fix", file.to_str().unwrap(), "-o", fixed.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("left for review")
            && stderr.contains("(the fixes would make 51 service lines; an 837P claim carries at most 50)"),
        "{stderr}"
    );
    assert!(stderr.contains("0 corrected"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&fixed).unwrap(),
        std::fs::read_to_string(&file).unwrap(),
        "written back as it was"
    );
}

#[test]
fn the_contract_checks_hold_through_the_payrules_binary() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rogue_rules(dir.path(), "");
    let claims: Vec<serde_json::Value> = [
        ("remember-1", "SYNTH-PATIENT-A"),
        ("remember-2", "SYNTH-PATIENT-B"),
        ("extra-line-1", "P1"),
        ("ask-date-1", "P1"),
        ("panic-1", "P1"),
        ("plain-1", "P1"),
    ]
    .iter()
    .map(|(id, patient)| serde_json::to_value(claim_for(id, patient)).unwrap())
    .collect();
    let file = dir.path().join("rogue.json");
    std::fs::write(&file, serde_json::to_string(&claims).unwrap()).unwrap();
    let output =
        support::payrules(&["check", "--format", "json", "--rules", rules.to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let records = support::claim_records(&output.stdout);
    let by_id = |id: &str| records.iter().find(|r| r["claim_id"] == id).unwrap_or_else(|| panic!("no record for {id}"));
    assert_eq!(records.len(), 6, "one record per claim");
    assert_eq!(by_id("remember-2")["outcome"]["findings"], serde_json::json!([]), "nothing of remember-1 is seen");
    for (id, kind, text_part) in [
        ("extra-line-1", "contract-violation", "it answered for line 99"),
        ("ask-date-1", "contract-violation", "on 2026-04-14, which is not a date of service of the claim"),
        ("panic-1", "trap", "rogue panic: this claim was too strange"),
    ] {
        let record = by_id(id);
        assert_eq!(record["status"], "failed", "{record}");
        assert_eq!(record["failure"]["kind"], kind, "{record}");
        assert!(record["failure"]["message"].as_str().unwrap().contains(text_part), "{record}");
    }
    assert_eq!(by_id("plain-1")["status"], "evaluated");
    // The patient ids of failed claims never reach the logs.
    assert!(!text(&output.stderr).contains("SYNTH-PATIENT"), "{}", text(&output.stderr));
}

#[test]
fn no_file_of_the_project_reaches_outside_it() {
    // Spelled in two parts so this file does not name it itself.
    let outside = ["../", "shared"].concat();
    let mut stack = vec![support::root()];
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(name.as_str(), "target" | ".git") {
                    stack.push(path);
                }
            } else if std::fs::read(&path)
                .is_ok_and(|bytes| bytes.windows(outside.len()).any(|w| w == outside.as_bytes()))
            {
                offenders.push(path.strip_prefix(support::root()).unwrap().display().to_string());
            }
        }
    }
    assert_eq!(offenders, Vec::<String>::new(), "these files name a folder outside the project");
}

#[test]
fn a_json_lines_line_that_is_not_utf8_costs_only_its_own_record() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.jsonl");
    let line = |id: &str| serde_json::to_string(&support::claim(id)).unwrap();
    let bytes = [line("UTF-1").as_bytes(), b"\n{\"id\": \"\xff\xfe\"}\n", line("UTF-3").as_bytes(), b"\n"].concat();
    std::fs::write(&file, bytes).unwrap();
    let output = support::payrules(&["check", "--format", "json", file.to_str().unwrap()]);
    let records = support::claim_records(&output.stdout);
    let statuses: Vec<&str> = records.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["evaluated", "invalid-input", "evaluated"], "{}", text(&output.stdout));
    assert!(records[1]["source"].as_str().unwrap().ends_with("mixed.jsonl:2"), "{}", records[1]);
    assert!(records[1]["error"].as_str().unwrap().contains("cannot read the line"), "{}", records[1]);
}

#[test]
fn an_amount_too_large_to_carry_fails_the_claim_naming_the_line_and_step_never_zero() {
    // A fee schedule amount near the largest amount payrules carries: two
    // units of it overflow. The claim must fail with the line and the step,
    // not be priced at $0.
    let dir = tempfile::tempdir().unwrap();
    let plugin = support::built("plugins/commercial");
    let sha = sha256_hex(&std::fs::read(&plugin).unwrap());
    let text = format!(
        "name = \"huge\"\nversion = \"1\"\nplugin_dirs = [\"{dir}\"]\n\n[[payer]]\nname = \"huge\"\npayer_ids = [\"MEDICARE\"]\nplugin = \"{plugin}\"\nsha256 = \"{sha}\"\neffective_from = 2020-01-01\n\n[payer.config]\nunits_method = \"midpoint\"\nfee_schedule = {{ \"97110\" = \"90000000000000000.00\" }}\n",
        dir = plugin.parent().unwrap().display(),
        plugin = plugin.display(),
    );
    let rules = dir.path().join("huge.toml");
    std::fs::write(&rules, text).unwrap();
    let host = support::host();
    let mut evaluator = host.evaluator(support::load(&host, &rules));
    let mut claim = support::claim("HUGE-1");
    claim.lines[0].units = 2;
    claim.lines[0].minutes = Some(payrules_model::TreatmentMinutes { total: 30, assistant: 0 });
    match evaluator.evaluate(&claim).verdict {
        Verdict::Failed { failure, .. } => {
            assert_eq!(failure.kind, FailureKind::Undecided, "{failure}");
            assert!(
                failure.message.contains("line 1: 2 x $90000000000000000.00 contracted rate: the amount overflows"),
                "{failure}"
            );
        }
        other => panic!("an overflow must fail the claim: {other:?}"),
    }
}
