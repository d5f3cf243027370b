//! Which rule set a command uses when `--rules` is not given, and the
//! bundled one built into the binary.
//!
//! In order: `--rules FILE`; `$PAYRULES_RULES`; the `rules` a config file
//! names (`payrules.toml` in the working folder, else
//! `$XDG_CONFIG_HOME/payrules/payrules.toml` or
//! `~/.config/payrules/payrules.toml`); else the bundled rule set. The
//! bundled one (its plugins, built and pin-checked by the build script, and
//! its sample data) is written out once per build under the user's data
//! folder (`$XDG_DATA_HOME/payrules/bundled/<digest>/`, else
//! `~/.local/share/payrules/bundled/<digest>/`, a folder only its owner may
//! write), with the layout it has in the repository so its relative paths
//! hold. Its files are compared with the embedded bytes whenever any of
//! them has changed size, time or inode since the last comparison (`.compared`
//! records them), and a file that differs is written again, never trusted.

use std::path::{Path, PathBuf};

use std::os::unix::fs::DirBuilderExt as _;

use anyhow::{Context, Result, bail};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// Where a command's rule set came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--rules` or `$PAYRULES_RULES`.
    Given,
    /// The config file at this path named it.
    Config(PathBuf),
    /// The bundled rule set built into payrules.
    Bundled,
}

impl Origin {
    /// How the summary names it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Origin::Given => "given",
            Origin::Config(_) => "config",
            Origin::Bundled => "bundled",
        }
    }
}

/// The rule set to use: `given` (from `--rules` or `$PAYRULES_RULES`), else
/// a config file's, else the bundled one written out.
pub fn rule_set(given: Option<&Path>) -> Result<(PathBuf, Origin)> {
    if let Some(path) = given {
        return Ok((path.to_path_buf(), Origin::Given));
    }
    for config in config_files() {
        if let Some(rules) = configured_rules(&config)? {
            return Ok((rules, Origin::Config(config)));
        }
    }
    Ok((write_out()?, Origin::Bundled))
}

/// The config files looked at, in order.
fn config_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("payrules.toml")];
    let user = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")));
    if let Some(dir) = user {
        files.push(dir.join("payrules").join("payrules.toml"));
    }
    files
}

/// What a config file says, if it is there.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// The default rule set, relative to the config file's folder.
    rules: Option<PathBuf>,
}

/// The rule set `config` names, relative to its folder; `None` when there is
/// no such file or it names none.
fn configured_rules(config: &Path) -> Result<Option<PathBuf>> {
    let text = match std::fs::read_to_string(config) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("cannot read the config file {}", config.display())),
    };
    let parsed: Config = toml::from_str(&text).map_err(|error| {
        let at = error.span().map_or_else(String::new, |span| {
            format!(" line {}", payrules_host::locate::line_of_offset(&text, span.start))
        });
        anyhow::anyhow!("{}{at}: {}", config.display(), error.message())
    })?;
    let base = config.parent().unwrap_or(Path::new("."));
    Ok(parsed.rules.map(|rules| base.join(rules)))
}

/// Writes the bundled rule set out (or checks what is there) and returns
/// the rule set file's path.
fn write_out() -> Result<PathBuf> {
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")));
    let Some(data_home) = data_home else {
        bail!("there is nowhere to write the bundled rule set: set HOME or XDG_DATA_HOME, or pass --rules FILE");
    };
    let root = data_home.join("payrules").join("bundled");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&root)
        .with_context(|| format!("cannot create {}", root.display()))?;
    payrules_host::cache::check_private_dir(&root).context("not writing the bundled rule set there")?;
    let id = embedded::BUNDLE_ID.get(..16).unwrap_or(embedded::BUNDLE_ID);
    let dir = root.join(id);
    let seal = dir.join(SEAL);
    // A bundle whose files all still have the size, time and inode they had
    // when it was last compared is not read again: comparing 2.5 MB of
    // plugins on every run would cost a one-claim check a quarter more.
    if std::fs::read_to_string(&seal).is_ok_and(|sealed| sealed == fingerprint(&dir)) {
        return Ok(dir.join(embedded::BUNDLED_RULES));
    }
    for (relative, bytes) in embedded::BUNDLED_FILES {
        let path = dir.join(relative);
        if std::fs::read(&path).is_ok_and(|on_disk| on_disk == *bytes) {
            continue;
        }
        let folder = path.parent().unwrap_or(&dir);
        std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
        // Written beside and renamed, so a second payrules starting at the
        // same time reads the whole file or none of it.
        let partial = path.with_extension(format!("partial.{}", std::process::id()));
        std::fs::write(&partial, bytes).with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, &path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    // A seal that cannot be written only means comparing again next time.
    let _ = std::fs::write(&seal, fingerprint(&dir));
    Ok(dir.join(embedded::BUNDLED_RULES))
}

/// The file in a written-out bundle that records what its files looked like
/// when they were last found equal to the embedded ones.
const SEAL: &str = ".compared";

/// Each bundled file's size, modification time and inode, one line each:
/// what changes when anything writes the file.
fn fingerprint(dir: &Path) -> String {
    use std::os::unix::fs::MetadataExt as _;
    let mut text = String::new();
    for (relative, _) in embedded::BUNDLED_FILES {
        let line = match std::fs::metadata(dir.join(relative)) {
            Ok(m) => format!("{relative} {} {}.{} {}\n", m.len(), m.mtime(), m.mtime_nsec(), m.ino()),
            Err(_) => format!("{relative} missing\n"),
        };
        text.push_str(&line);
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests stop at the first surprise")]

    use super::*;

    #[test]
    fn the_bundle_holds_the_rule_set_its_plugins_and_its_data() {
        let names: Vec<&str> = embedded::BUNDLED_FILES.iter().map(|(name, _)| *name).collect();
        assert!(names.contains(&embedded::BUNDLED_RULES));
        for plugin in ["medicare", "commercial", "medicaid", "self-pay", "workers-comp"] {
            assert!(names.contains(&format!("target/plugins/{plugin}.wasm").as_str()), "{plugin}: {names:?}");
        }
        assert!(names.iter().any(|n| n.starts_with("examples/data/")), "{names:?}");
    }

    #[test]
    fn a_config_file_names_a_rule_set_beside_it_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("payrules.toml");
        std::fs::write(&config, "rules = \"rules/acme.toml\"\n").unwrap();
        assert_eq!(configured_rules(&config).unwrap(), Some(dir.path().join("rules/acme.toml")));
        std::fs::write(&config, "# nothing\n\nrule = \"x.toml\"\n").unwrap();
        let error = configured_rules(&config).unwrap_err().to_string();
        assert!(error.contains("payrules.toml line 3") && error.contains("unknown field `rule`"), "{error}");
        assert_eq!(configured_rules(&dir.path().join("missing.toml")).unwrap(), None);
    }
}
