//! Project tasks, run as `cargo xtask <task>`.
//!
//! - `build-plugins`: builds every crate under `plugins/` and `tests/guests/`
//!   into a component (`payrules_build`: the `plugin` profile for
//!   `wasm32-unknown-unknown`, then `wit-component`). Output:
//!   `target/plugins/<name>.wasm` and `target/test-plugins/<name>.wasm`.
//! - `build-plugin DIR`: the same for one plugin crate. A member of this
//!   workspace is built exactly as `build-plugins` builds it, to the same
//!   file; a crate elsewhere goes to `DIR/target/plugins/<name>.wasm`
//!   (`payrules plugin build DIR` does the same without this checkout).
//! - `pin RULESET...`: rewrites each payer entry's `sha256` to the hash of
//!   the plugin file it names (`payrules plugin pin` does the same).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use payrules_build::{Build, Built, PluginCrate, pin_rule_set, workspace_of};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let root = workspace_root()?;
    match task.as_str() {
        "build-plugins" => build_plugins(&root),
        "build-plugin" => {
            let dir = args.next().map(PathBuf::from).context("usage: cargo xtask build-plugin DIR")?;
            build_one(&root, &dir)
        }
        "pin" => {
            let files: Vec<PathBuf> = args.map(PathBuf::from).collect();
            if files.is_empty() {
                bail!("usage: cargo xtask pin RULESET.toml...");
            }
            files.iter().try_for_each(|file| pin(file))
        }
        _ => bail!("usage: cargo xtask build-plugins | cargo xtask build-plugin DIR | cargo xtask pin RULESET.toml..."),
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).context("xtask has no parent directory")
}

/// Every crate under `root/folder`, with the file its component goes to:
/// `target/<output_dir>/<folder name>.wasm`.
fn find_crates(root: &Path, folder: &str, output_dir: &str) -> Result<Vec<(PluginCrate, PathBuf)>> {
    let mut found = Vec::new();
    let dir = root.join(folder);
    if !dir.exists() {
        return Ok(found);
    }
    let mut entries: Vec<_> = std::fs::read_dir(&dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if !entry.path().join("Cargo.toml").exists() {
            continue;
        }
        let plugin = PluginCrate::read(&entry.path())?;
        let out = root.join("target").join(output_dir).join(format!("{}.wasm", entry.file_name().to_string_lossy()));
        found.push((plugin, out));
    }
    Ok(found)
}

fn build_plugins(root: &Path) -> Result<()> {
    let mut crates = find_crates(root, "plugins", "plugins")?;
    crates.extend(find_crates(root, "tests/guests", "test-plugins")?);
    if crates.is_empty() {
        bail!("no plugin crates found under plugins/ or tests/guests/");
    }
    // One cargo invocation per plugin: features unify across the packages of
    // one build, so building plugins together would let one plugin's
    // dependencies change another's bytes, and its pin.
    let build = Build::in_workspace(root).locked();
    for (plugin, out) in &crates {
        report(root, &build.component(plugin, out)?);
    }
    Ok(())
}

/// Builds the plugin crate in `dir`: as `build-plugins` would when it is
/// one of this workspace's, else in its own workspace.
fn build_one(root: &Path, dir: &Path) -> Result<()> {
    let dir = std::fs::canonicalize(dir).with_context(|| format!("no plugin crate at {}", dir.display()))?;
    let workspace = workspace_of(&dir);
    let root = std::fs::canonicalize(root)?;
    if workspace == root {
        for folder in ["plugins", "tests/guests"] {
            let output_dir = if folder == "plugins" { "plugins" } else { "test-plugins" };
            if let Some((plugin, out)) = find_crates(&root, folder, output_dir)?.into_iter().find(|(p, _)| p.dir == dir)
            {
                report(&root, &Build::in_workspace(&root).locked().component(&plugin, &out)?);
                return Ok(());
            }
        }
        bail!("{} is in this workspace but not under plugins/ or tests/guests/", dir.display());
    }
    let plugin = PluginCrate::read(&dir)?;
    let out = workspace.join("target/plugins").join(format!("{}.wasm", plugin.output_name()));
    report(&root, &Build::in_workspace(&workspace).component(&plugin, &out)?);
    Ok(())
}

fn report(root: &Path, built: &Built) {
    let shown = built.path.strip_prefix(root).unwrap_or(&built.path).display().to_string();
    println!("{shown:<40} {:>8} bytes  sha256 {}", built.size, built.sha256);
}

fn pin(ruleset: &Path) -> Result<()> {
    let pins = pin_rule_set(ruleset)?;
    let changed = pins.iter().filter(|p| p.changed).count();
    println!("{}: {} pin(s) written, {changed} changed", ruleset.display(), pins.len());
    Ok(())
}
