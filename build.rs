//! Three things the binary carries from its sources:
//!
//! - the commit it was built from, for `payrules --version`:
//!   `$PAYRULES_COMMIT` when a packager sets it, else `git rev-parse`, else
//!   "unknown" (a source archive without its history);
//! - the plugin development kit's sources (the PDK, the billing model and
//!   the WIT contract) with manifests that need no workspace, so that
//!   `payrules new plugin --dir` can write a plugin crate that builds on any
//!   machine with only cargo and payrules;
//! - the bundled rule set (`examples/rulesets/default.toml`), its sample
//!   data, and its plugins, built here from their sources by the one plugin
//!   build path (`payrules_build`) and checked against the rule set's pins,
//!   so `payrules check claim.json` works wherever the binary is copied.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    commit();
    if let Err(error) = kit_sources() {
        println!("cargo:warning=cannot embed the plugin kit's sources: {error}");
        std::process::exit(1);
    }
    if let Err(error) = bundled_rule_set() {
        println!("cargo:warning=cannot embed the bundled rule set: {error}");
        std::process::exit(1);
    }
}

/// The bundled rule set, from the repository root.
const BUNDLED_RULES: &str = "examples/rulesets/default.toml";

/// Builds the plugins the bundled rule set names, checks each against its
/// pin, and writes `$OUT_DIR/bundled.rs`: `BUNDLED_FILES` (each file by its
/// path in this repository, so the rule set's relative paths hold), the
/// rule set's own path among them, and `BUNDLE_ID`, a digest of them all.
fn bundled_rule_set() -> Result<(), String> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    for watched in [BUNDLED_RULES, "examples/data", "plugins", "crates/pdk", "crates/model", "wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let rules_file = root.join(BUNDLED_RULES);
    let rules = read_toml(&rules_file)?;
    let rules_dir = rules_file.parent().ok_or("the rule set has no folder")?;
    let mut files: Vec<(String, PathBuf)> = vec![(BUNDLED_RULES.to_owned(), rules_file.clone())];

    // Its data files: every path named under [data].
    let mut data_paths = Vec::new();
    if let Some(data) = rules.get("data") {
        strings_in(data, &mut data_paths);
    }
    for path in data_paths {
        files.push((repository_path(&root, &rules_dir.join(&path))?, rules_dir.join(&path)));
    }

    // Its plugins, each built once from plugins/<name> and held to its pin.
    // A target folder of their own, beside the one cargo is building into,
    // so the two builds never wait on each other's lock.
    let target = out.ancestors().nth(4).ok_or("OUT_DIR is not inside a target folder")?;
    let build = payrules_build::Build {
        target_dir: target.join("bundled-plugins"),
        ..payrules_build::Build::in_workspace(&root)
    }
    .locked();
    let entries = rules.get("payer").and_then(toml::Value::as_array).ok_or("the rule set has no [[payer]] entries")?;
    let mut built: Vec<(String, String)> = Vec::new();
    for entry in entries {
        let name = entry.get("name").and_then(toml::Value::as_str).unwrap_or("?");
        let plugin = entry
            .get("plugin")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| format!("payer `{name}` names no plugin"))?;
        let pinned = entry
            .get("sha256")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| format!("payer `{name}` pins no sha256"))?;
        let stem = Path::new(plugin)
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("payer `{name}`: `{plugin}` is not a plugin file"))?;
        let sha256 = match built.iter().find(|(done, _)| done == stem) {
            Some((_, sha256)) => sha256.clone(),
            None => {
                let krate =
                    payrules_build::PluginCrate::read(&root.join("plugins").join(stem)).map_err(|e| e.to_string())?;
                let component = out.join("plugins").join(format!("{stem}.wasm"));
                let made = build.component(&krate, &component).map_err(|e| e.to_string())?;
                files.push((repository_path(&root, &rules_dir.join(plugin))?, component));
                built.push((stem.to_owned(), made.sha256.clone()));
                made.sha256
            }
        };
        if sha256 != pinned {
            return Err(format!(
                "payer `{name}`: plugins/{stem} builds to sha256 {sha256}, but {BUNDLED_RULES} pins {pinned}; re-pin with `cargo xtask build-plugins && cargo xtask pin {BUNDLED_RULES}`"
            ));
        }
    }
    files.sort();

    let mut digest = payrules_build::Digest::new();
    let mut code = String::from(
        "/// The bundled rule set, its data and its plugins: each file's path and bytes.\npub const BUNDLED_FILES: &[(&str, &[u8])] = &[\n",
    );
    for (path, file) in &files {
        let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        digest.update(path.as_bytes());
        digest.update(&bytes);
        let _ = writeln!(code, "    ({path:?}, include_bytes!({:?})),", file.display().to_string());
    }
    let _ = writeln!(code, "];\n/// The rule set among them.\npub const BUNDLED_RULES: &str = {BUNDLED_RULES:?};");
    let _ = writeln!(
        code,
        "/// A digest of every file and its path: where the bundle is written out.\npub const BUNDLE_ID: &str = {:?};",
        digest.finish()
    );
    std::fs::write(out.join("bundled.rs"), code).map_err(|e| format!("bundled.rs: {e}"))
}

/// Every string in `value`, at any depth: the file names of a `[data]` table.
fn strings_in(value: &toml::Value, found: &mut Vec<String>) {
    match value {
        toml::Value::String(text) => found.push(text.clone()),
        toml::Value::Array(items) => items.iter().for_each(|item| strings_in(item, found)),
        toml::Value::Table(table) => table.values().for_each(|item| strings_in(item, found)),
        _ => {}
    }
}

/// `path`'s place in this repository (`examples/data/gpci-SAMPLE.csv`),
/// with `..` worked out; a file outside it cannot be bundled.
fn repository_path(root: &Path, path: &Path) -> Result<String, String> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in
        path.strip_prefix(root).map_err(|_| format!("{} is outside the repository", path.display()))?.components()
    {
        match component {
            std::path::Component::ParentDir => {
                parts.pop().ok_or_else(|| format!("{} is outside the repository", path.display()))?;
            }
            std::path::Component::Normal(part) => parts.push(part),
            _ => {}
        }
    }
    Ok(parts.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join("/"))
}

fn commit() {
    println!("cargo:rerun-if-env-changed=PAYRULES_COMMIT");
    for moved_by_a_commit in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if Path::new(moved_by_a_commit).exists() {
            println!("cargo:rerun-if-changed={moved_by_a_commit}");
        }
    }
    let commit = std::env::var("PAYRULES_COMMIT")
        .ok()
        .filter(|commit| !commit.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=PAYRULES_COMMIT={}", commit.trim());
}

/// The short hash of HEAD, when this is a git checkout and git is here.
fn git_commit() -> Option<String> {
    let output = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok().filter(|hash| !hash.trim().is_empty())
}

/// Writes `$OUT_DIR/kit_sources.rs`: `KIT_SOURCES`, each file's path (as in
/// this repository) and bytes, for the PDK, the model and the contract,
/// with the two crates' manifests made standalone, and the lock file.
fn kit_sources() -> Result<(), String> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let workspace: toml::Table = read_toml(&root.join("Cargo.toml"))?;
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    // Each file by its path in this repository, and the file whose bytes are embedded.
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for folder in ["crates/pdk/src", "crates/model/src", "wit"] {
        println!("cargo:rerun-if-changed={folder}");
        collect(&root, &root.join(folder), &mut files)?;
    }
    for (krate, local) in [("crates/pdk", &[("payrules-model", "../model")][..]), ("crates/model", &[][..])] {
        let manifest = root.join(krate).join("Cargo.toml");
        println!("cargo:rerun-if-changed={}", manifest.display());
        let standalone = standalone_manifest(&read_toml(&manifest)?, &workspace, local)?;
        let written = out.join(format!("{}.Cargo.toml", krate.replace('/', "-")));
        std::fs::write(&written, standalone).map_err(|e| format!("{}: {e}", written.display()))?;
        files.push((format!("{krate}/Cargo.toml"), written));
    }
    println!("cargo:rerun-if-changed=Cargo.lock");
    files.push(("Cargo.lock".to_owned(), root.join("Cargo.lock")));
    files.sort();

    let mut code = String::from(
        "/// The plugin kit's sources: each file's path and bytes.\npub const KIT_SOURCES: &[(&str, &[u8])] = &[\n",
    );
    for (path, file) in &files {
        let _ = writeln!(code, "    ({path:?}, include_bytes!({:?})),", file.display().to_string());
    }
    code.push_str("];\n");
    std::fs::write(out.join("kit_sources.rs"), code).map_err(|e| format!("kit_sources.rs: {e}"))
}

fn read_toml(path: &Path) -> Result<toml::Table, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every file under `dir`, by its path from `root`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            let relative = path.strip_prefix(root).map_err(|e| e.to_string())?.to_string_lossy().replace('\\', "/");
            files.push((relative, path));
        }
    }
    Ok(())
}

/// `manifest` with everything it takes from the workspace written out, its
/// workspace path dependencies (`local`) pointed at their vendored folders,
/// and its dev-dependencies left out (the tests are not vendored).
fn standalone_manifest(
    manifest: &toml::Table,
    workspace: &toml::Table,
    local: &[(&str, &str)],
) -> Result<String, String> {
    let inherited =
        |section: &str| workspace.get("workspace").and_then(|w| w.get(section)).and_then(toml::Value::as_table);
    let package_defaults = inherited("package").ok_or("the workspace has no [workspace.package]")?;
    let dependency_defaults = inherited("dependencies").ok_or("the workspace has no [workspace.dependencies]")?;
    let mut out = toml::Table::new();
    let mut package = manifest.get("package").and_then(toml::Value::as_table).cloned().ok_or("no [package]")?;
    for (key, value) in package.iter_mut() {
        if is_inherited(value) {
            *value = package_defaults.get(key).cloned().ok_or_else(|| format!("the workspace has no package.{key}"))?;
        }
    }
    out.insert("package".to_owned(), toml::Value::Table(package));
    let mut dependencies = toml::Table::new();
    for (name, value) in manifest.get("dependencies").and_then(toml::Value::as_table).into_iter().flatten() {
        let resolved = match local.iter().find(|(local_name, _)| local_name == name) {
            Some((_, path)) => {
                let mut table = toml::Table::new();
                table.insert("path".to_owned(), toml::Value::String((*path).to_owned()));
                toml::Value::Table(table)
            }
            None if is_inherited(value) => dependency_defaults
                .get(name)
                .cloned()
                .ok_or_else(|| format!("the workspace has no dependency {name}"))?,
            None => value.clone(),
        };
        dependencies.insert(name.clone(), resolved);
    }
    out.insert("dependencies".to_owned(), toml::Value::Table(dependencies));
    if let Some(lints) = inherited("lints") {
        out.insert("lints".to_owned(), toml::Value::Table(lints.clone()));
    }
    // Section by section, so the package comes first as people write it.
    let mut text = String::new();
    for section in ["package", "dependencies", "lints"] {
        if let Some(value) = out.remove(section) {
            let mut one = toml::Table::new();
            one.insert(section.to_owned(), value);
            text.push_str(&toml::to_string(&one).map_err(|e| e.to_string())?);
            text.push('\n');
        }
    }
    Ok(text)
}

/// Whether a manifest value is `{ workspace = true }`.
fn is_inherited(value: &toml::Value) -> bool {
    value.get("workspace").and_then(toml::Value::as_bool) == Some(true)
}
