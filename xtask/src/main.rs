//! Project tasks, run as `cargo xtask <task>`.
//!
//! - `build-plugins`: compiles every crate under `plugins/` and `tests/guests/`
//!   for `wasm32-unknown-unknown`, then wraps each core module into a
//!   component with `wit-component`. Output: `target/plugins/<name>.wasm` and
//!   `target/test-plugins/<name>.wasm`.
//! - `build-plugin DIR`: the same for one plugin crate outside the workspace
//!   (as `payrules new plugin --dir` creates), written to `DIR/target/<name>.wasm`.
//! - `pin RULESET...`: rewrites each `sha256 = "..."` in the rule sets to the
//!   hash of the plugin file the entry names.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "plugin";

/// A crate that builds to a component.
struct PluginCrate {
    package: String,
    lib_name: String,
    output_name: String,
    output_dir: &'static str,
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let root = workspace_root()?;
    match task.as_str() {
        "build-plugins" => build_plugins(&root),
        "build-plugin" => {
            let dir = args.next().map(PathBuf::from).context("usage: cargo xtask build-plugin DIR")?;
            build_plugin_outside(&root, &dir)
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

fn find_crates(root: &Path, folder: &str, output_dir: &'static str) -> Result<Vec<PluginCrate>> {
    let mut found = Vec::new();
    let dir = root.join(folder);
    if !dir.exists() {
        return Ok(found);
    }
    let mut entries: Vec<_> = std::fs::read_dir(&dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let manifest_path = entry.path().join("Cargo.toml");
        if !manifest_path.exists() {
            continue;
        }
        let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(&manifest_path)?)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let package = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .with_context(|| format!("{} has no package name", manifest_path.display()))?
            .to_owned();
        let lib_name = manifest
            .get("lib")
            .and_then(|l| l.get("name"))
            .and_then(|n| n.as_str())
            .map_or_else(|| package.replace('-', "_"), str::to_owned);
        let output_name = entry.file_name().to_string_lossy().into_owned();
        found.push(PluginCrate { package, lib_name, output_name, output_dir });
    }
    Ok(found)
}

fn build_plugins(root: &Path) -> Result<()> {
    let mut crates = find_crates(root, "plugins", "plugins")?;
    crates.extend(find_crates(root, "tests/guests", "test-plugins")?);
    if crates.is_empty() {
        bail!("no plugin crates found under plugins/ or tests/guests/");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    // Remapping the checkout and registry paths keeps the bytes, and so the
    // sha256 pins in the rule sets, the same wherever the project is cloned.
    let rustflags =
        format!("--remap-path-prefix={}=/payrules --remap-path-prefix={}=/cargo", root.display(), cargo_home.display());
    // One cargo invocation per plugin: features unify across the packages of
    // one build, so building plugins together would let one plugin's
    // dependencies change another's bytes, and its pin.
    for plugin in &crates {
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(["build", "--locked", "--profile", PROFILE, "--target", WASM_TARGET, "--package", &plugin.package])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", &rustflags)
            .status()
            .context("running cargo build for the plugins")?;
        if !status.success() {
            bail!(
                "building {} failed ({status}); is the {WASM_TARGET} target installed? (rustup target add {WASM_TARGET})",
                plugin.package
            );
        }
    }
    let target = root.join("target");
    for plugin in &crates {
        let core = target.join(WASM_TARGET).join(PROFILE).join(format!("{}.wasm", plugin.lib_name));
        let out = target.join(plugin.output_dir).join(format!("{}.wasm", plugin.output_name));
        componentize(&core, &out, root)?;
    }
    Ok(())
}

/// Wraps the core module at `core` into a component at `out`.
fn componentize(core: &Path, out: &Path, root: &Path) -> Result<()> {
    let bytes = std::fs::read(core).with_context(|| format!("reading {}", core.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .with_context(|| format!("{} is not a module wit-bindgen produced", core.display()))?
        .validate(true)
        .encode()
        .with_context(|| format!("making a component of {}", core.display()))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, &component).with_context(|| format!("writing {}", out.display()))?;
    println!("{:<40} {:>8} bytes  sha256 {}", relative(root, out), component.len(), sha256(&component));
    Ok(())
}

/// Builds one plugin crate that lives outside the workspace. Its compiled
/// dependencies are shared in `target/out-of-tree`, so a second plugin
/// builds quickly.
fn build_plugin_outside(root: &Path, dir: &Path) -> Result<()> {
    let manifest_path = dir.join("Cargo.toml");
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(&manifest_path).with_context(|| format!("reading {}", manifest_path.display()))?,
    )
    .with_context(|| format!("reading {}", manifest_path.display()))?;
    let package = manifest.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str());
    let lib_name = manifest.get("lib").and_then(|l| l.get("name")).and_then(|n| n.as_str());
    let (Some(package), Some(lib_name)) = (package, lib_name) else {
        bail!("{} needs a package name and a [lib] name", manifest_path.display());
    };
    let output_name = package.strip_prefix("payrules-plugin-").unwrap_or(package);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let target_dir = root.join("target/out-of-tree");
    let status = Command::new(&cargo)
        .args(["build", "--release", "--target", WASM_TARGET, "--manifest-path"])
        .arg(&manifest_path)
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .context("running cargo build for the plugin")?;
    if !status.success() {
        bail!("building {package} failed ({status})");
    }
    let core = target_dir.join(WASM_TARGET).join("release").join(format!("{lib_name}.wasm"));
    componentize(&core, &dir.join("target").join(format!("{output_name}.wasm")), root)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Rewrites the `sha256` of each payer entry to the hash of its plugin file,
/// editing the text in place so comments and layout survive.
fn pin(ruleset: &Path) -> Result<()> {
    let text = std::fs::read_to_string(ruleset).with_context(|| format!("reading {}", ruleset.display()))?;
    let base = ruleset.parent().unwrap_or(Path::new("."));
    let mut plugin: Option<String> = None;
    let mut out = String::with_capacity(text.len());
    let mut changed = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            plugin = None;
        }
        if let Some(value) = string_value(trimmed, "plugin") {
            plugin = Some(value);
        }
        if string_value(trimmed, "sha256").is_some() {
            let file = plugin.as_ref().with_context(|| format!("{}: sha256 before plugin", ruleset.display()))?;
            let bytes = std::fs::read(base.join(file)).with_context(|| format!("reading plugin {file}"))?;
            let indent = line.get(..line.len() - trimmed.len()).unwrap_or("");
            out.push_str(&format!("{indent}sha256 = \"{}\"\n", sha256(&bytes)));
            changed += 1;
            continue;
        }
        out.push_str(line);
    }
    std::fs::write(ruleset, out)?;
    println!("{}: {changed} pin(s) written", ruleset.display());
    Ok(())
}

fn string_value(line: &str, key: &str) -> Option<String> {
    let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
    let inner = rest.strip_prefix('"')?;
    let end = inner.find('"')?;
    inner.get(..end).map(str::to_owned)
}
