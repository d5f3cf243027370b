//! Shared test helpers: where things are, and a host to run them in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use payrules_host::{CacheKey, CompileCache, Host, HostOptions, RuleSet};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A built plugin or test plugin, e.g. `plugins/medicare` or `test-plugins/looper`.
#[track_caller]
pub fn built(relative: &str) -> PathBuf {
    let path = root().join("target").join(format!("{relative}.wasm"));
    assert!(path.exists(), "{} is missing: build the plugins first with `cargo xtask build-plugins`", path.display());
    path
}

/// The bundled rule set.
pub fn default_rules() -> PathBuf {
    root().join("examples/rulesets/default.toml")
}

/// A host whose compile cache lives in the shared test cache folder.
pub fn host() -> Host {
    let key = CacheKey::load_or_create(&root().join("target/test-cache.key")).expect("test cache key");
    let cache = CompileCache::open(root().join("target/test-compile-cache"), key).expect("test compile cache");
    Host::new(HostOptions { cache: Some(cache), ..HostOptions::default() }).expect("host starts")
}

/// Loads `path` in a fresh host.
#[track_caller]
pub fn load(host: &Host, path: &Path) -> Arc<RuleSet> {
    host.load_rule_set(path).unwrap_or_else(|e| panic!("{} loads: {e}", path.display()))
}

/// A rule set with one payer entry for `plugin`, written to `dir`.
pub fn one_entry_rule_set(dir: &Path, plugin: &Path, sha256: &str, extra: &str) -> PathBuf {
    let text = format!(
        "name = \"test\"\nversion = \"1\"\nplugin_dirs = [\"{}\"]\n{extra}\n[[payer]]\nname = \"only\"\npayer_ids = [\"MEDICARE\"]\nplugin = \"{}\"\nsha256 = \"{sha256}\"\neffective_from = 2020-01-01\n",
        plugin.parent().unwrap_or(plugin).display(),
        plugin.display()
    );
    let path = dir.join("rules.toml");
    std::fs::write(&path, text).expect("write rule set");
    path
}

/// A small valid Medicare claim with one 97110 line.
pub fn claim(id: &str) -> payrules_model::Claim {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "payer": { "id": "MEDICARE", "name": "Medicare Part B", "kind": "medicare" },
        "patient": { "id": "P1", "birth_date": "1950-01-01" },
        "billing_provider": { "npi": "1234567893" },
        "rendering_provider": { "npi": "1987654328", "role": "therapist" },
        "lines": [{ "number": 1, "date_of_service": "2025-03-10", "procedure": "97110", "modifiers": ["GP"],
                    "units": 1, "charge": "45.00", "minutes": { "total": 15 } }]
    }))
    .expect("test claim is valid")
}

/// Runs the `payrules` binary from the project root with the test compile
/// cache and no rule set or log level from the environment.
pub fn payrules(args: &[&str]) -> std::process::Output {
    command(args).output().expect("payrules runs")
}

/// The `payrules` command that [`payrules`] runs, to run with pipes of one's own.
pub fn command(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_payrules"));
    command
        .args(args)
        .current_dir(root())
        .env("PAYRULES_CACHE_DIR", root().join("target/test-compile-cache"))
        .env("PAYRULES_CACHE_KEY", root().join("target/test-cache.key"))
        .env_remove("PAYRULES_RULES")
        .env_remove("RUST_LOG");
    command
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The claim records of `check --format json` output: every line but the
/// summary record that ends it, which must be there.
#[track_caller]
pub fn claim_records(stdout: &[u8]) -> Vec<serde_json::Value> {
    let mut records: Vec<serde_json::Value> = text(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let summary = records.pop().unwrap_or_default();
    assert!(summary.get("summary").is_some(), "the output ends with its summary record: {summary}");
    records
}

/// The one claim record of a `check --format json` of one claim.
#[track_caller]
pub fn claim_record(stdout: &[u8]) -> serde_json::Value {
    let mut records = claim_records(stdout);
    assert_eq!(records.len(), 1, "one claim record: {}", text(stdout));
    records.remove(0)
}

/// `output` with the run time of the summary record, the one thing that
/// differs from run to run, written as 0.
pub fn without_run_time(output: &str) -> String {
    let key = "\"elapsed_ms\":";
    match output.find(key) {
        Some(at) => {
            let (head, tail) = output.split_at(at + key.len());
            let digits = tail.chars().take_while(char::is_ascii_digit).count();
            format!("{head}0{}", without_run_time(tail.get(digits..).unwrap_or_default()))
        }
        None => output.to_owned(),
    }
}
