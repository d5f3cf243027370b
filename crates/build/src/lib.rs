//! Building payer plugins and pinning rule sets to them.
//!
//! A plugin is a Rust crate built for `wasm32-unknown-unknown` with the
//! `plugin` profile and wrapped into a component by `wit-component`. There is
//! one way to do that, used by `cargo xtask build-plugins` for the bundled
//! plugins, by `payrules plugin build DIR` for a plugin anywhere, and by the
//! build script that embeds the bundled rule set: the same profile settings
//! (given on cargo's command line, so a crate outside the workspace needs no
//! profile of its own), the same path remapping, and so the same bytes and
//! the same sha256 for the same sources wherever they are built.
//!
//! A rule set pins each plugin by its sha256; [`pin_rule_set`] rewrites the
//! pins with `toml_edit`, keeping every comment and the layout.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest as _, Sha256};

/// The target plugins are built for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The cargo profile plugins are built with.
pub const PROFILE: &str = "plugin";

/// The `plugin` profile, given to cargo with `--config` on every build:
/// small and fast code, and panics that abort, so a bug traps instead of
/// unwinding through the component boundary. Overflow checks stay on, as in
/// the workspace's release profile, so arithmetic never wraps silently.
const PROFILE_SETTINGS: &[&str] = &[
    "profile.plugin.inherits=\"release\"",
    "profile.plugin.opt-level=3",
    "profile.plugin.lto=true",
    "profile.plugin.codegen-units=1",
    "profile.plugin.panic=\"abort\"",
    "profile.plugin.strip=true",
    "profile.plugin.debug=false",
    "profile.plugin.overflow-checks=true",
];

/// Why a plugin could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file could not be read or written.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        cause: std::io::Error,
    },
    /// The crate's manifest does not say what the plugin is called.
    #[error("{}: {what}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is missing or wrong.
        what: String,
    },
    /// Cargo could not be started.
    #[error("cannot run cargo ({program}): {cause}")]
    Cargo {
        /// The cargo program tried.
        program: String,
        /// Why it did not start.
        cause: std::io::Error,
    },
    /// Cargo ran and failed.
    #[error(
        "building {package} failed ({status}); is the {WASM_TARGET} target installed? (rustup target add {WASM_TARGET})"
    )]
    Failed {
        /// The package.
        package: String,
        /// How cargo exited.
        status: std::process::ExitStatus,
    },
    /// The module is not one wit-bindgen produced, or cannot be a component.
    #[error("making a component of {}: {message}", core.display())]
    Componentize {
        /// The core module.
        core: PathBuf,
        /// What wit-component said.
        message: String,
    },
}

/// A plugin crate: its package and library names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginCrate {
    /// The folder holding its `Cargo.toml`.
    pub dir: PathBuf,
    /// The package name, e.g. `payrules-plugin-medicare`.
    pub package: String,
    /// The library's name, which names the built module (`medicare.wasm`).
    pub lib_name: String,
}

impl PluginCrate {
    /// Reads the crate in `dir`.
    pub fn read(dir: &Path) -> Result<PluginCrate, BuildError> {
        let path = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&path).map_err(|cause| BuildError::Io { path: path.clone(), cause })?;
        let manifest: toml::Table =
            toml::from_str(&text).map_err(|e| BuildError::Manifest { path: path.clone(), what: e.to_string() })?;
        let package = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .ok_or_else(|| BuildError::Manifest { path: path.clone(), what: "has no [package] name".to_owned() })?;
        let lib_name = manifest
            .get("lib")
            .and_then(|l| l.get("name"))
            .and_then(|n| n.as_str())
            .map_or_else(|| package.replace('-', "_"), str::to_owned);
        Ok(PluginCrate { dir: dir.to_path_buf(), package: package.to_owned(), lib_name })
    }

    /// What the component is called: the package name without `payrules-plugin-`.
    pub fn output_name(&self) -> &str {
        self.package.strip_prefix("payrules-plugin-").unwrap_or(&self.package)
    }
}

/// Where and how one cargo build runs.
#[derive(Clone, Debug)]
pub struct Build {
    /// The workspace root cargo runs in (the plugin's own folder when it is
    /// a workspace of its own).
    pub workspace: PathBuf,
    /// Where cargo puts what it builds.
    pub target_dir: PathBuf,
    /// Whether the lock file must be used as it is (`--locked`).
    pub locked: bool,
    /// The cargo program: `$CARGO` when cargo runs us, else `cargo`.
    pub cargo: String,
}

impl Build {
    /// A build in `workspace`, into its `target/`, with the cargo that runs
    /// this program if any. Its lock file may be brought up to date; see
    /// [`Build::locked`].
    pub fn in_workspace(workspace: &Path) -> Build {
        Build {
            workspace: workspace.to_path_buf(),
            target_dir: workspace.join("target"),
            locked: false,
            cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
        }
    }

    /// The same build, refusing to change the lock file: what a checked-in
    /// lock file promises.
    pub fn locked(self) -> Build {
        Build { locked: true, ..self }
    }

    /// Builds `plugin`'s core module; returns its path.
    pub fn core_module(&self, plugin: &PluginCrate) -> Result<PathBuf, BuildError> {
        let mut command = Command::new(&self.cargo);
        command.current_dir(&self.workspace).args(["build", "--profile", PROFILE, "--target", WASM_TARGET]);
        if self.locked {
            command.arg("--locked");
        }
        for setting in PROFILE_SETTINGS {
            command.args(["--config", setting]);
        }
        command
            .arg("--manifest-path")
            .arg(plugin.dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&self.target_dir)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", remap_flags(&self.workspace))
            // A build script's own flags and target dir, and clippy's wrapper
            // when `cargo clippy` runs one, must not leak into this build.
            .env_remove("RUSTC_WORKSPACE_WRAPPER")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET");
        let status = command.status().map_err(|cause| BuildError::Cargo { program: self.cargo.clone(), cause })?;
        if !status.success() {
            return Err(BuildError::Failed { package: plugin.package.clone(), status });
        }
        Ok(self.target_dir.join(WASM_TARGET).join(PROFILE).join(format!("{}.wasm", plugin.lib_name)))
    }

    /// Builds `plugin` and writes its component to `out`.
    pub fn component(&self, plugin: &PluginCrate, out: &Path) -> Result<Built, BuildError> {
        let core = self.core_module(plugin)?;
        componentize(&core, out)
    }
}

/// Flags that replace the workspace's and cargo home's absolute paths in
/// what the compiler writes (panic messages, for one), so the bytes and the
/// pin are the same wherever the sources are.
fn remap_flags(workspace: &Path) -> String {
    let mut flags = format!("--remap-path-prefix={}=/payrules", workspace.display());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    if let Some(home) = cargo_home {
        flags.push_str(&format!(" --remap-path-prefix={}=/cargo", home.display()));
    }
    flags
}

/// A built component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    /// Where it was written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: usize,
    /// Its sha256, lowercase hex: what a rule set pins.
    pub sha256: String,
}

/// Wraps the core module at `core` into a component at `out`.
pub fn componentize(core: &Path, out: &Path) -> Result<Built, BuildError> {
    let bytes = std::fs::read(core).map_err(|cause| BuildError::Io { path: core.to_path_buf(), cause })?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .map_err(|e| componentize_failed(core, e))?
        .validate(true)
        .encode()
        .map_err(|e| componentize_failed(core, e))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|cause| BuildError::Io { path: dir.to_path_buf(), cause })?;
    }
    // Written beside and renamed into place, so a host loading the plugin
    // while it is rebuilt reads the old file or the new one, never half.
    let partial = out.with_extension(format!("wasm.{}.partial", std::process::id()));
    std::fs::write(&partial, &component).map_err(|cause| BuildError::Io { path: partial.clone(), cause })?;
    std::fs::rename(&partial, out).map_err(|cause| BuildError::Io { path: out.to_path_buf(), cause })?;
    Ok(Built { path: out.to_path_buf(), size: component.len(), sha256: sha256_hex(&component) })
}

fn componentize_failed(core: &Path, error: impl std::fmt::Display) -> BuildError {
    BuildError::Componentize { core: core.to_path_buf(), message: format!("{error:#}") }
}

/// The lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A sha256 fed piece by piece, for a digest over several files.
#[derive(Default)]
pub struct Digest(Sha256);

impl Digest {
    /// A digest of nothing yet.
    pub fn new() -> Digest {
        Digest::default()
    }

    /// Feeds `bytes`, with their length first so pieces cannot run together.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_le_bytes());
        self.0.update(bytes);
    }

    /// The lowercase hex digest.
    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// The workspace root of the crate in `dir`: the nearest folder at or above
/// it whose `Cargo.toml` has a `[workspace]` table naming `dir` as a member
/// (or `dir` itself, for a crate that is its own workspace).
pub fn workspace_of(dir: &Path) -> PathBuf {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for ancestor in dir.ancestors() {
        let Ok(text) = std::fs::read_to_string(ancestor.join("Cargo.toml")) else { continue };
        let Ok(manifest) = toml::from_str::<toml::Table>(&text) else { continue };
        let Some(workspace) = manifest.get("workspace") else { continue };
        if ancestor == dir || is_member(ancestor, &dir, workspace) {
            return ancestor.to_path_buf();
        }
    }
    dir
}

/// Whether `dir` is one of the `members` of the workspace at `root`
/// (`crates/*`-style globs are matched one folder deep).
fn is_member(root: &Path, dir: &Path, workspace: &toml::Value) -> bool {
    let Ok(relative) = dir.strip_prefix(root) else { return false };
    let relative = relative.to_string_lossy().replace('\\', "/");
    let excluded = workspace
        .get("exclude")
        .and_then(|e| e.as_array())
        .is_some_and(|list| list.iter().filter_map(|e| e.as_str()).any(|e| e.trim_end_matches('/') == relative));
    let members = workspace.get("members").and_then(|m| m.as_array());
    !excluded
        && members.is_some_and(|list| {
            list.iter().filter_map(|m| m.as_str()).any(|member| match member.strip_suffix("/*") {
                Some(parent) => relative
                    .strip_prefix(parent)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|rest| !rest.contains('/')),
                None => member.trim_end_matches('/') == relative,
            })
        })
}

/// Why a rule set could not be pinned.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The rule set or a plugin could not be read, or the rule set written.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        cause: std::io::Error,
    },
    /// The rule set is not TOML.
    #[error("{}: not TOML: {message}", path.display())]
    Toml {
        /// The rule set.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A payer entry does not name its plugin.
    #[error("{}: payer entry {entry} has no `plugin` to pin", path.display())]
    NoPlugin {
        /// The rule set.
        path: PathBuf,
        /// The entry's name, or its position.
        entry: String,
    },
    /// A plugin the rule set names cannot be read.
    #[error("{}: payer entry {entry}: cannot read its plugin {}: {cause}", path.display(), plugin.display())]
    Plugin {
        /// The rule set.
        path: PathBuf,
        /// The entry.
        entry: String,
        /// The plugin file.
        plugin: PathBuf,
        /// What went wrong.
        cause: std::io::Error,
    },
}

/// One payer entry's pin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    /// The entry's name.
    pub entry: String,
    /// The plugin file, as the rule set names it.
    pub plugin: String,
    /// The sha256 now pinned.
    pub sha256: String,
    /// Whether it differs from what was pinned before.
    pub changed: bool,
}

/// Pins every `[[payer]]` entry of the rule set at `path` to the sha256 of
/// the plugin file it names (relative to the rule set's folder), and writes
/// the rule set back with everything else as it was.
pub fn pin_rule_set(path: &Path) -> Result<Vec<Pin>, PinError> {
    let text = std::fs::read_to_string(path).map_err(|cause| PinError::Io { path: path.to_path_buf(), cause })?;
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| PinError::Toml { path: path.to_path_buf(), message: e.to_string() })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut pins = Vec::new();
    if let Some(entries) = document.get_mut("payer").and_then(toml_edit::Item::as_array_of_tables_mut) {
        for (index, entry) in entries.iter_mut().enumerate() {
            let name =
                entry.get("name").and_then(|n| n.as_str()).map_or_else(|| format!("#{}", index + 1), str::to_owned);
            let plugin = entry
                .get("plugin")
                .and_then(|p| p.as_str())
                .ok_or_else(|| PinError::NoPlugin { path: path.to_path_buf(), entry: name.clone() })?
                .to_owned();
            let file = base.join(&plugin);
            let bytes = std::fs::read(&file).map_err(|cause| PinError::Plugin {
                path: path.to_path_buf(),
                entry: name.clone(),
                plugin: file.clone(),
                cause,
            })?;
            let sha256 = sha256_hex(&bytes);
            let before = entry.get("sha256").and_then(|s| s.as_str()).map(str::to_owned);
            let mut value = toml_edit::Value::from(sha256.as_str());
            // A comment after the old pin stays after the new one.
            if let Some(old) = entry.get("sha256").and_then(toml_edit::Item::as_value) {
                *value.decor_mut() = old.decor().clone();
            }
            entry.insert("sha256", toml_edit::Item::Value(value));
            pins.push(Pin { entry: name, plugin, changed: before.as_deref() != Some(sha256.as_str()), sha256 });
        }
    }
    let written = document.to_string();
    if written != text {
        std::fs::write(path, written).map_err(|cause| PinError::Io { path: path.to_path_buf(), cause })?;
    }
    Ok(pins)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests stop at the first surprise")]

    use super::*;

    #[test]
    fn pins_each_entry_and_keeps_comments_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.wasm"), b"plugin a").unwrap();
        std::fs::write(dir.path().join("b.wasm"), b"plugin b").unwrap();
        let rules = dir.path().join("rules.toml");
        let text = "# the rule set\nname = \"t\"\n\n[[payer]]\nname = \"first\"\nplugin = \"a.wasm\"\nsha256 = \"00\"  # pinned by hand\n\n[payer.config]\nx = 1 # kept\n\n[[payer]]\nname = \"second\"\nplugin = \"b.wasm\"\n";
        std::fs::write(&rules, text).unwrap();
        let pins = pin_rule_set(&rules).unwrap();
        assert_eq!(pins.len(), 2);
        assert_eq!(pins[0].sha256, sha256_hex(b"plugin a"));
        assert!(pins.iter().all(|p| p.changed));
        let written = std::fs::read_to_string(&rules).unwrap();
        assert!(written.starts_with("# the rule set\nname = \"t\"\n"), "{written}");
        assert!(
            written.contains(&format!("sha256 = \"{}\"  # pinned by hand\n", sha256_hex(b"plugin a"))),
            "{written}"
        );
        assert!(written.contains("x = 1 # kept\n"), "{written}");
        assert!(written.contains(&format!("sha256 = \"{}\"", sha256_hex(b"plugin b"))), "the missing pin is added");

        let again = pin_rule_set(&rules).unwrap();
        assert!(again.iter().all(|p| !p.changed), "pinning twice changes nothing");
        assert_eq!(std::fs::read_to_string(&rules).unwrap(), written);
    }

    #[test]
    fn a_missing_plugin_names_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules.toml");
        std::fs::write(&rules, "[[payer]]\nname = \"gone\"\nplugin = \"missing.wasm\"\n").unwrap();
        let error = pin_rule_set(&rules).unwrap_err().to_string();
        assert!(error.contains("payer entry gone") && error.contains("missing.wasm"), "{error}");
    }

    #[test]
    fn finds_the_workspace_a_crate_belongs_to() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = [\"plugins/*\", \"tools\"]\n").unwrap();
        for member in ["plugins/a", "tools", "other/b"] {
            std::fs::create_dir_all(root.join(member)).unwrap();
            std::fs::write(root.join(member).join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        }
        assert_eq!(workspace_of(&root.join("plugins/a")), root);
        assert_eq!(workspace_of(&root.join("tools")), root);
        assert_eq!(workspace_of(&root.join("other/b")), root.join("other/b"), "not a member: its own");
        std::fs::write(root.join("other/b/Cargo.toml"), "[package]\nname = \"x\"\n[workspace]\n").unwrap();
        assert_eq!(workspace_of(&root.join("other/b")), root.join("other/b"));
    }
}
