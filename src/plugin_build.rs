//! `payrules plugin build DIR` and `payrules plugin pin RULESET...`: what a
//! plugin author needs besides cargo, in this workspace or anywhere else.
//! Both are the same code `cargo xtask` runs (`payrules_build`), so a
//! plugin built either way has the same bytes and the same pin.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use payrules_build::{Build, PluginCrate, pin_rule_set, workspace_of};

use crate::EXIT_CLEAN;

/// Arguments of `payrules plugin build`.
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The plugin crate's folder (holding its Cargo.toml).
    dir: PathBuf,
}

/// Arguments of `payrules plugin pin`.
#[derive(clap::Args, Debug)]
pub struct PinArgs {
    /// Rule sets whose payer entries are pinned to the plugin files they name.
    #[arg(required = true)]
    rule_sets: Vec<PathBuf>,
}

/// Builds the plugin crate in `args.dir` into
/// `<its workspace>/target/plugins/<name>.wasm`.
pub fn build(args: &BuildArgs) -> Result<u8> {
    let dir = std::fs::canonicalize(&args.dir).with_context(|| format!("no plugin crate at {}", args.dir.display()))?;
    let plugin = PluginCrate::read(&dir)?;
    let workspace = workspace_of(&dir);
    let out = workspace.join("target/plugins").join(format!("{}.wasm", plugin.output_name()));
    let built = Build::in_workspace(&workspace).component(&plugin, &out)?;
    if !crate::quiet() {
        writeln!(
            std::io::stdout().lock(),
            "built {}: {} bytes, sha256 {}\nnext: payrules plugin pin RULESET (the rule sets that name it)",
            built.path.display(),
            built.size,
            built.sha256
        )?;
    }
    Ok(EXIT_CLEAN)
}

/// Pins every payer entry of each rule set to its plugin file's sha256.
pub fn pin(args: &PinArgs) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    for rule_set in &args.rule_sets {
        let pins = pin_rule_set(rule_set)?;
        if crate::quiet() {
            continue;
        }
        for pin in &pins {
            let change = if pin.changed { "re-pinned" } else { "unchanged" };
            writeln!(out, "{}: {}: {} sha256 {} ({change})", rule_set.display(), pin.entry, pin.plugin, pin.sha256)?;
        }
    }
    Ok(EXIT_CLEAN)
}
