//! Two things the binary carries from its sources:
//!
//! - the commit it was built from, for `payrules --version`:
//!   `$PAYRULES_COMMIT` when a packager sets it, else `git rev-parse`, else
//!   "unknown" (a source archive without its history);
//! - the plugin development kit's sources (the PDK, the billing model and
//!   the WIT contract) with manifests that need no workspace, so that
//!   `payrules new plugin --dir` can write a plugin crate that builds on any
//!   machine with only cargo and payrules.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    commit();
    if let Err(error) = kit_sources() {
        println!("cargo:warning=cannot embed the plugin kit's sources: {error}");
        std::process::exit(1);
    }
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
