//! `payrules new plugin NAME`: a new payer plugin from a template: the crate
//! (a working policy: units by the payer's method, a fee schedule,
//! coinsurance), a test kit whose cases pass as generated, and a rule set
//! with the payer's entry.
//!
//! Inside this workspace (the default, `plugins/NAME`) the crate takes its
//! versions and lints from the workspace and `cargo xtask build-plugins`
//! builds it with the others. Anywhere else (`--dir`) it is a crate of its own
//! that depends on this checkout's PDK by path, built with
//! `cargo xtask build-plugin DIR`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// This checkout's root, where the PDK and the lock file are.
const CHECKOUT: &str = env!("CARGO_MANIFEST_DIR");

/// Arguments of `payrules new plugin`.
#[derive(clap::Args, Debug)]
pub struct NewPluginArgs {
    /// The plugin's name: lowercase letters, digits and hyphens, e.g. `acme-west`.
    name: String,

    /// Where to create it; `plugins/NAME` in this workspace when omitted.
    #[arg(long)]
    dir: Option<PathBuf>,

    /// The payer id claims are routed by; the name in capitals when omitted.
    #[arg(long)]
    payer_id: Option<String>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && !name.ends_with('-')
}

/// The names a template is filled with.
struct Names {
    name: String,
    lib: String,
    prefix: String,
    payer_id: String,
}

/// Runs `payrules new plugin`.
pub fn new_plugin(args: &NewPluginArgs) -> Result<u8> {
    if !valid_name(&args.name) {
        bail!(
            "`{}` is not a plugin name: use lowercase letters, digits and hyphens, starting with a letter",
            args.name
        );
    }
    let names = Names {
        name: args.name.clone(),
        lib: args.name.replace('-', "_"),
        prefix: args.name.to_ascii_uppercase(),
        payer_id: args.payer_id.clone().unwrap_or_else(|| args.name.to_ascii_uppercase()),
    };
    let in_workspace = args.dir.is_none();
    let dir = args.dir.clone().unwrap_or_else(|| Path::new("plugins").join(&args.name));
    if dir.exists() && std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} already exists and is not empty", dir.display());
    }
    if in_workspace && !Path::new("Cargo.toml").is_file() {
        bail!("run `payrules new plugin` from the workspace root (where plugins/ is), or pass --dir");
    }
    let (manifest, plugin_from_kit, plugin_from_rules) = if in_workspace {
        (
            workspace_manifest(&names),
            format!("../../../target/plugins/{}.wasm", names.name),
            format!("../../target/plugins/{}.wasm", names.name),
        )
    } else {
        (standalone_manifest(&names), format!("../target/{}.wasm", names.name), format!("target/{}.wasm", names.name))
    };
    let files = [
        ("Cargo.toml", manifest),
        ("src/lib.rs", fill(LIB_TEMPLATE, &names)),
        (
            "rules.toml",
            fill(RULES_TEMPLATE, &names).replace("{plugin}", &plugin_from_rules).replace(
                "{plugin_dirs}",
                // In the workspace the plugin is built outside the rule set's folder.
                if in_workspace { "# The plugin is built into the workspace's target folder.\nplugin_dirs = [\"../../target/plugins\"]\n" } else { "" },
            ),
        ),
        ("kit/kit.toml", fill(KIT_TEMPLATE, &names).replace("{plugin}", &plugin_from_kit)),
        ("kit/cases.toml", fill(CASES_TEMPLATE, &names)),
    ];
    for (relative, text) in &files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if !in_workspace {
        // The checkout's lock file keeps the new crate on the versions the PDK is tested with.
        let lock = Path::new(CHECKOUT).join("Cargo.lock");
        std::fs::copy(&lock, dir.join("Cargo.lock")).with_context(|| format!("cannot copy {}", lock.display()))?;
    }
    let build = if in_workspace {
        "cargo xtask build-plugins".to_owned()
    } else {
        format!("cargo xtask build-plugin {}", dir.display())
    };
    println!("created plugin `{}` in {}:", names.name, dir.display());
    for (relative, _) in &files {
        println!("  {}", dir.join(relative).display());
    }
    println!("next:");
    println!("  {build}");
    println!("  cargo xtask pin {}", dir.join("rules.toml").display());
    println!("  payrules test {}", dir.join("kit").display());
    println!("  payrules check --rules {} CLAIMS...", dir.join("rules.toml").display());
    Ok(crate::EXIT_CLEAN)
}

fn fill(template: &str, names: &Names) -> String {
    template
        .replace("{name}", &names.name)
        .replace("{lib}", &names.lib)
        .replace("{PREFIX}", &names.prefix)
        .replace("{payer_id}", &names.payer_id)
}

fn workspace_manifest(names: &Names) -> String {
    fill(
        r#"[package]
name = "payrules-plugin-{name}"
description = "The {name} payer policy for payrules"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lib]
name = "{lib}"
crate-type = ["cdylib", "rlib"]

[dependencies]
payrules-pdk.workspace = true
serde.workspace = true

[lints]
workspace = true
"#,
        names,
    )
}

fn standalone_manifest(names: &Names) -> String {
    let pdk = Path::new(CHECKOUT).join("crates/pdk");
    fill(
        r#"[package]
name = "payrules-plugin-{name}"
description = "The {name} payer policy for payrules"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
name = "{lib}"
crate-type = ["cdylib", "rlib"]

[dependencies]
payrules-pdk = { path = "{pdk}" }
serde = { version = "1", features = ["derive"] }

# Small, fast plugins: the host compiles them once and caches the result.
[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = true

# A crate of its own, outside any workspace.
[workspace]
"#,
        names,
    )
    .replace("{pdk}", &pdk.display().to_string())
}

const LIB_TEMPLATE: &str = r#"//! The {name} payer policy: timed units by the payer's method (the AMA
//! midpoint rule or Medicare's total-time rule), prices from the payer's fee
//! schedule, and the patient's coinsurance.
//!
//! Generated by `payrules new plugin`; change it to the payer's policy, and
//! its test kit (`kit/`) with it.

use std::collections::BTreeMap;

use payrules_pdk::model::ProcedureCode;
use payrules_pdk::timed_units::{UnitsMethod, UnitsRules, check_units};
use payrules_pdk::work::LineWork;
use payrules_pdk::{
    Claim, ConfigError, Denial, EvaluationError, Finding, LineResult, Money, Outcome, PayerPolicy, PluginInfo,
    PriceStep, ReferenceData, Severity, export_policy,
};
use serde::Deserialize;

const UNITS: &str = "{PREFIX}-UNITS";
const MINUTES_MISSING: &str = "{PREFIX}-MINUTES-MISSING";
const PRICE_MISSING: &str = "{PREFIX}-PRICE-MISSING";

const RULES: &[(&str, &str, &str)] = &[
    (UNITS, "Timed units billed differ from what the minutes support", "payer policy (rule set units_method)"),
    (MINUTES_MISSING, "A timed service has no treatment minutes", "payer policy"),
    (PRICE_MISSING, "A service has no fee on the payer's schedule", "rule set fee_schedule"),
];

/// The payer's configuration, from its rule set entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How minutes become units.
    pub units_method: UnitsMethod,
    /// The allowed amount per unit, by code.
    pub fee_schedule: BTreeMap<ProcedureCode, Money>,
    /// The patient's share of the allowed amount, in percent.
    #[serde(default)]
    pub coinsurance_percent: u32,
}

/// The policy, configured.
#[derive(Debug)]
pub struct Policy {
    config: Config,
}

fn denial(rule: &str) -> Option<Denial> {
    (rule == UNITS).then(|| Denial::parse("CO-151 N362")).flatten()
}

impl PayerPolicy for Policy {
    type Config = Config;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("{name}", env!("CARGO_PKG_VERSION"), RULES)
    }

    fn configure(config: Config) -> Result<Self, ConfigError> {
        ConfigError::check_percent("coinsurance_percent", config.coinsurance_percent)?;
        Ok(Policy { config })
    }

    fn evaluate(&self, claim: &Claim, _data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        let mut work: Vec<LineWork> = claim.lines.iter().map(LineWork::new).collect();
        let mut findings = Vec::new();
        let rules = UnitsRules { units: UNITS, minutes_missing: MINUTES_MISSING, denial: &denial };
        check_units(self.config.units_method, &rules, claim, &mut work, &mut findings);

        let mut lines = Vec::with_capacity(claim.lines.len());
        for (line, work) in claim.lines.iter().zip(&work) {
            let units = work.allowed();
            let mut price_steps = Vec::new();
            let allowed = match self.config.fee_schedule.get(&line.procedure) {
                Some(fee) => {
                    let allowed = fee.checked_mul(i64::from(units)).unwrap_or(Money::ZERO);
                    price_steps.push(PriceStep { description: format!("{units} x ${fee} fee schedule"), amount: allowed });
                    allowed
                }
                None => {
                    findings.push(Finding::new(
                        PRICE_MISSING,
                        Severity::Warning,
                        Some(line.number),
                        format!("{} has no fee on the payer's schedule, so its amount is unknown", line.procedure),
                        "rule set fee_schedule",
                    ));
                    Money::ZERO
                }
            };
            let share = 100 - self.config.coinsurance_percent;
            let payment = allowed.percent(share).unwrap_or(Money::ZERO);
            price_steps.push(PriceStep { description: format!("less {}% coinsurance", self.config.coinsurance_percent), amount: payment });
            lines.push(work.result(allowed, payment, price_steps));
        }
        Ok(Outcome { lines, findings })
    }
}

export_policy!(Policy);
"#;

const RULES_TEMPLATE: &str = r#"# A rule set with the {name} payer alone. After building the plugin, pin it:
# `cargo xtask pin` rewrites the sha256 below to the built file's hash.
name = "{name}"
version = "0.1.0"
{plugin_dirs}
[[payer]]
name = "{name}"
payer_ids = ["{payer_id}"]
plugin = "{plugin}"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
effective_from = 2025-01-01

[payer.config]
units_method = "midpoint"
coinsurance_percent = 20
fee_schedule = { "97110" = "40.00", "97112" = "42.00", "97140" = "38.00", "97530" = "44.00" }
"#;

const KIT_TEMPLATE: &str = r#"# The test kit of the `{name}` plugin: `payrules test` runs it.
# Its outcomes are expected under this rule set's configuration.
rules = "../rules.toml"
plugin = "{plugin}"
"#;

const CASES_TEMPLATE: &str = r#"# Cases for the {name} payer under rules.toml: midpoint units, the fee
# schedule, 20% coinsurance.

[defaults]
payer = "{payer_id}"
kind = "commercial"
date = "2025-03-10"
modifiers = ["GP"]

[[case]]
name = "38 minutes of 97110 are 3 units by the midpoint rule, paid from the fee schedule"
source = "CPT midpoint rule; rule set fee_schedule"
# 3 x $40.00 = $120.00 allowed; the payer pays 80%: $96.00
lines = [{ code = "97110", minutes = 38, units = 3 }]
expect = { findings = [], correct = [3], line_allowed = ["120.00"], expected_payment = "96.00" }

[[case]]
name = "20 minutes support 1 unit, not the 2 billed"
source = "CPT midpoint rule"
lines = [{ code = "97110", minutes = 20, units = 2 }]
expect = { findings = ["{PREFIX}-UNITS"], correct = [1], denial = { {PREFIX}-UNITS = "CO-151 N362" }, fixes = ["set line 1 to 1 unit"] }

[[case]]
name = "A timed line without minutes cannot be checked"
source = "payer policy"
lines = [{ code = "97140", units = 1 }]
expect = { findings = ["{PREFIX}-MINUTES-MISSING"], severity = { {PREFIX}-MINUTES-MISSING = "warning" } }

[[case]]
name = "A code the schedule does not price is warned about"
source = "rule set fee_schedule"
lines = [{ code = "G0283", units = 1 }]
expect = { findings = ["{PREFIX}-PRICE-MISSING"], expected_payment = "0.00" }
"#;
