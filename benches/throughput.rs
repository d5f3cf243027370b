//! Throughput of the Medicare policy: compiled natively, and sandboxed in the
//! host with warm instances and with a fresh instance per claim.
//!
//! Run with `cargo bench --bench throughput` after `cargo xtask build-plugins`.
//! Prints one line per configuration; BENCHMARKS.md records the numbers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::float_arithmetic,
    reason = "a benchmark that cannot run should stop; timings are floats, money is not involved"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use medicare::Medicare;
use payrules_host::{CompileCache, Host, HostOptions, Verdict};
use payrules_model::Claim;
use payrules_pdk::PayerPolicy;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The example claims, read once, cycled to make a workload of `count` claims.
fn workload(count: usize) -> Vec<Claim> {
    let mut base: Vec<Claim> = Vec::new();
    for file in ["examples/claims/cms-20-2-examples.json", "examples/claims/common-mistakes.json"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let list = value.get("claims").cloned().unwrap_or(value);
        base.extend(serde_json::from_value::<Vec<Claim>>(list).unwrap());
    }
    (0..count)
        .map(|i| {
            let mut claim = base[i % base.len()].clone();
            claim.id = format!("{}-{i}", claim.id);
            claim
        })
        .collect()
}

fn report(label: &str, claims: usize, elapsed: Duration) -> f64 {
    let per_claim = elapsed.as_secs_f64() * 1e6 / claims as f64;
    println!("{label:<44} {claims:>7} claims  {:>8.2} us/claim  {:>9.0} claims/s", per_claim, 1e6 / per_claim);
    per_claim
}

fn main() {
    let claims = workload(20_000);
    let rules_path = root().join("examples/rulesets/default.toml");
    let cache = CompileCache::open_with_default_key(root().join("target/bench-compile-cache")).unwrap();
    let host = Host::new(HostOptions { cache: Some(cache), ..HostOptions::default() }).unwrap();
    let rules = host.load_rule_set(&rules_path).unwrap();
    let config = rules.entries[0].config_json.clone();

    // Native: the same crate, linked as an rlib, called directly.
    // It consults the same reference tables, through the host's lookups.
    let native = payrules_pdk::configure_from_json::<Medicare>(&config).unwrap();
    let data = rules.entries[0].data.clone();
    for claim in &claims[..1_000] {
        black_box(native.evaluate(claim, &data).unwrap());
    }
    let started = Instant::now();
    for claim in &claims {
        black_box(native.evaluate(black_box(claim), &data).unwrap());
    }
    let native_us = report("native (rlib, direct call)", claims.len(), started.elapsed());

    // Sandboxed, warm instance: routing, conversion, the component call, fuel.
    // Warm instances are an opt-in (`reuse_instances = true`); the bundled
    // rule set gives each claim a fresh one.
    let dir = tempfile::tempdir().unwrap();
    let warm_rules = dir.path().join("warm.toml");
    let text =
        std::fs::read_to_string(&rules_path).unwrap().replacen("reuse_instances = false", "reuse_instances = true", 1);
    let text = text
        .replace("../../target/plugins", &format!("{}/target/plugins", root().display()))
        .replace("\"../data/", &format!("\"{}/examples/data/", root().display()));
    std::fs::write(&warm_rules, text).unwrap();
    let mut evaluator = host.evaluator(host.load_rule_set(&warm_rules).unwrap());
    for claim in &claims[..1_000] {
        black_box(evaluator.evaluate(claim));
    }
    let started = Instant::now();
    let mut fuel = 0u64;
    for claim in &claims {
        let report = evaluator.evaluate(black_box(claim));
        if let Verdict::Evaluated { receipt, .. } = &report.verdict {
            fuel += receipt.fuel_used.unwrap_or(0);
        } else {
            panic!("not evaluated: {report:?}");
        }
    }
    let warm_us = report("sandboxed, warm instance (opt-in)", claims.len(), started.elapsed());
    println!(
        "{:<44} {:>8.2}x native, {} fuel per claim on average",
        "",
        warm_us / native_us,
        fuel / claims.len() as u64
    );

    // Sandboxed, fresh instance per claim: the default.
    let mut fresh = host.evaluator(rules.clone());
    let sample = &claims[..5_000];
    let started = Instant::now();
    for claim in sample {
        black_box(fresh.evaluate(black_box(claim)));
    }
    let fresh_us = report("sandboxed, fresh instance per claim (default)", sample.len(), started.elapsed());
    println!("{:<44} {:>8.2}x native", "", fresh_us / native_us);

    // Loading the rule set with the compile cache warm: what every `check` pays.
    let runs = 20;
    let started = Instant::now();
    for _ in 0..runs {
        black_box(host.load_rule_set(&rules_path).unwrap());
    }
    println!(
        "{:<44} {:>8.2} ms",
        "rule set load, compile cache warm",
        started.elapsed().as_secs_f64() * 1e3 / runs as f64
    );
    cli_path(&host, &rules_path);
    ncci_at_scale();
    let uncached = Host::new(HostOptions::default()).unwrap();
    let started = Instant::now();
    black_box(uncached.load_rule_set(&rules_path).unwrap());
    println!("{:<44} {:>8.2} ms", "rule set load, compiling the plugin", started.elapsed().as_secs_f64() * 1e3);
}

/// What `check --format json -j1` does per claim, split into its three
/// parts: reading a claim from JSON Lines, evaluating it under the bundled
/// rule set (fresh instance per claim, as `check` runs it), and writing its
/// record. The claims are the recorded generated ones (every payer),
/// repeated to 10,000.
fn cli_path(host: &Host, rules_path: &std::path::Path) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("claims.jsonl");
    let one = std::fs::read_to_string(root().join("tests/golden/generated-claims.jsonl")).unwrap();
    std::fs::write(&input, one.repeat(100)).unwrap();
    let started = Instant::now();
    let inputs: Vec<payrules_intake::ClaimInput> = payrules_intake::read_claims(&input, u64::MAX).collect();
    let parse_us = report("cli: read claims (JSON Lines)", inputs.len(), started.elapsed());
    let rules = host.load_rule_set_on_demand(rules_path).unwrap();
    let mut evaluator = host.evaluator(rules);
    let started = Instant::now();
    let checked: Vec<payrules_intake::Checked> =
        inputs.iter().map(|input| payrules_intake::check_input(&mut evaluator, input, false)).collect();
    let evaluate_us = report("cli: evaluate (fresh instance per claim)", inputs.len(), started.elapsed());
    let started = Instant::now();
    let mut bytes = 0usize;
    for result in &checked {
        bytes += black_box(result.record(false)).len();
    }
    let record_us = report("cli: write JSON records", inputs.len(), started.elapsed());
    println!(
        "{:<44} {:>8.2} us/claim in all, {} bytes of records",
        "cli: read + evaluate + write",
        parse_us + evaluate_us + record_us,
        bytes
    );
}

#[path = "../tests/all/ptp_gen.rs"]
mod ptp_gen;

/// Loads a rule set whose NCCI table is a generated practitioner PTP file of
/// one million rows in CMS's layout, then evaluates claims through the
/// sandboxed Medicare plugin, which asks the host about each claim's codes.
fn ncci_at_scale() {
    let dir = tempfile::tempdir().unwrap();
    let text = ptp_gen::generated_ptp(1_000_000);
    std::fs::write(dir.path().join("ptp.txt"), &text).unwrap();
    let plugin = root().join("target/plugins/medicare.wasm");
    let sha = payrules_host::sha256_hex(&std::fs::read(&plugin).unwrap());
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        format!(
            "name = \"scale\"\nversion = \"1\"\nplugin_dirs = [\"{}\"]\n[data]\nncci_ptp = [\"ptp.txt\"]\n[[payer]]\nname = \"medicare\"\npayer_ids = [\"MEDICARE\"]\nplugin = \"{}\"\nsha256 = \"{sha}\"\neffective_from = 2020-01-01\ndata = [\"ncci-ptp\"]\n",
            root().join("target/plugins").display(),
            plugin.display()
        ),
    )
    .unwrap();
    let host = Host::new(HostOptions {
        cache: Some(CompileCache::open_with_default_key(root().join("target/bench-compile-cache")).unwrap()),
        ..HostOptions::default()
    })
    .unwrap();
    let started = Instant::now();
    let rule_set = host.load_rule_set(&rules).unwrap();
    println!(
        "{:<44} {:>8.0} ms ({:.1} MB of text, plugin from the compile cache)",
        "rule set load with a 1,000,001-row PTP file",
        started.elapsed().as_secs_f64() * 1e3,
        text.len() as f64 / 1e6
    );
    let claims = workload(20_000);
    let mut evaluator = host.evaluator(rule_set);
    let started = Instant::now();
    for claim in &claims {
        black_box(evaluator.evaluate(black_box(claim)));
    }
    report("sandboxed, fresh, 1M-row PTP table granted", claims.len(), started.elapsed());
}
