//! `payrules plugin inspect`: what a plugin file is, what it declares, and
//! what it asks of the host.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use payrules_host::Plugin;
use serde_json::json;

use crate::Format;

/// Arguments of `payrules plugin inspect`.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// The plugin component (`.wasm`).
    file: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    #[command(flatten)]
    cache: crate::CacheArgs,
}

/// The interface prefix every import of a payer plugin must carry: the contract.
const CONTRACT_PREFIX: &str = "payrules:policy/";

/// Runs `payrules plugin inspect`.
pub fn inspect(args: &InspectArgs) -> Result<u8> {
    let host = args.cache.host()?;
    let plugin = host.inspect_plugin(&args.file).with_context(|| format!("cannot load {}", args.file.display()))?;
    let outside: Vec<&String> = plugin.imports.iter().filter(|i| !i.starts_with(CONTRACT_PREFIX)).collect();
    let mut out = std::io::stdout().lock();
    match args.format {
        crate::Format::Json => writeln!(out, "{}", as_json(&plugin, &outside))?,
        crate::Format::Table => write!(out, "{}", as_table(&plugin, &outside))?,
    }
    Ok(if outside.is_empty() { crate::EXIT_CLEAN } else { crate::EXIT_FINDINGS })
}

fn as_json(plugin: &Plugin, outside: &[&String]) -> serde_json::Value {
    json!({
        "schema_version": payrules_intake::SCHEMA_VERSION,
        "name": plugin.info.name,
        "version": plugin.info.version,
        "contract_version": plugin.contract_version,
        "file": plugin.path.display().to_string(),
        "sha256": plugin.sha256,
        "size": plugin.size,
        "imports": plugin.imports,
        "imports_beyond_contract": outside,
        "rules": plugin.info.rules.iter().map(|r| json!({
            "id": r.id,
            "title": r.title,
            "citation": r.citation,
            "severity": r.severity,
            "denial": r.denial,
        })).collect::<Vec<_>>(),
    })
}

fn as_table(plugin: &Plugin, outside: &[&String]) -> String {
    let mut text = format!("plugin {}@{}\n", plugin.info.name, plugin.info.version);
    text.push_str(&format!("  file      {}\n", plugin.path.display()));
    text.push_str(&format!("  sha256    {}\n", plugin.sha256));
    text.push_str(&format!("  size      {} bytes\n", plugin.size));
    text.push_str(&format!("  contract  payrules:policy@{}\n", plugin.contract_version));
    if plugin.imports.is_empty() {
        text.push_str("  imports   nothing: no WASI, no clock, no I/O, no reference data\n");
    } else {
        text.push_str(&format!("  imports   {}\n", plugin.imports.join(", ")));
        if outside.is_empty() {
            text.push_str("            only the contract: no WASI, no clock, no I/O\n");
        } else {
            let names: Vec<&str> = outside.iter().map(|s| s.as_str()).collect();
            text.push_str(&format!("            BEYOND THE CONTRACT: {}\n", names.join(", ")));
        }
    }
    text.push_str(&format!("  rules ({}):\n", plugin.info.rules.len()));
    let id_width = plugin.info.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for rule in &plugin.info.rules {
        // Plugins on contracts before 0.4.0 do not say a rule's severity.
        let severity = rule.severity.map_or_else(String::new, |s| format!("{s}, "));
        let denial = rule.denial.as_deref().map_or_else(String::new, |d| format!(", denies {d}"));
        text.push_str(&format!(
            "    {:id_width$}  {}\n    {:id_width$}  {severity}source: {}{denial}\n",
            rule.id, rule.title, "", rule.citation
        ));
    }
    text
}
