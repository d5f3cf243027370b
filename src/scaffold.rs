//! `payrules new plugin NAME`: a new payer plugin from a template: the crate
//! (a working policy: units by the payer's method, a fee schedule,
//! coinsurance), a test kit whose cases pass as generated, and a rule set
//! with the payer's entry.
//!
//! Inside this workspace (the default, `plugins/NAME`) the crate takes its
//! versions and lints from the workspace and `cargo xtask build-plugins`
//! builds it with the others. Anywhere else (`--dir`) it is a crate of its
//! own, with the PDK, the billing model and the contract this binary was
//! built with written beside it under `vendor/payrules/` and the lock file
//! they were tested with, so it builds on any machine with cargo and
//! `payrules plugin build DIR`, and nothing of this checkout.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The plugin kit's sources, embedded by the build script.
mod kit {
    include!(concat!(env!("OUT_DIR"), "/kit_sources.rs"));
}

/// Where a plugin outside the workspace keeps its copy of the kit.
const VENDORED: &str = "vendor/payrules";

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
    let manifest = if in_workspace { workspace_manifest(&names) } else { standalone_manifest(&names) };
    let mut kit = fill(KIT_TEMPLATE, &names);
    if !in_workspace {
        kit = kit.replace(
            &format!("../../../target/plugins/{}.wasm", names.name),
            &format!("../target/plugins/{}.wasm", names.name),
        );
    }
    let files = [
        ("Cargo.toml", manifest),
        ("src/lib.rs", fill(LIB_TEMPLATE, &names)),
        ("rules.toml", rule_set(&names, in_workspace)),
        ("kit/kit.toml", kit),
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
        write_kit(&dir)?;
    }
    if crate::quiet() {
        return Ok(crate::EXIT_CLEAN);
    }
    println!("created plugin `{}` in {}:", names.name, dir.display());
    for (relative, _) in &files {
        println!("  {}", dir.join(relative).display());
    }
    if !in_workspace {
        println!(
            "  {} (the PDK, the model and the contract this payrules was built with)",
            dir.join(VENDORED).display()
        );
    }
    println!("next:");
    println!("  payrules plugin build {}", dir.display());
    println!("  payrules plugin pin {}", dir.join("rules.toml").display());
    println!("  payrules test {}", dir.join("kit").display());
    println!("  payrules check --rules {} CLAIMS...", dir.join("rules.toml").display());
    Ok(crate::EXIT_CLEAN)
}

/// The template's names replaced by the new plugin's.
fn fill(template: &str, names: &Names) -> String {
    template
        .replace("payer-template", &names.name)
        .replace("payer_template", &names.lib)
        .replace("TEMPLATE-PAYER", &names.payer_id)
        .replace("TEMPLATE", &names.prefix)
}

/// The template's rule set for the new plugin: its pin cleared until the
/// plugin is built, and outside the workspace the plugin beside it.
fn rule_set(names: &Names, in_workspace: bool) -> String {
    let text: String =
        fill(RULES_TEMPLATE, names)
            .lines()
            .map(|line| {
                if line.starts_with("sha256 = ") { format!("sha256 = \"{}\"", "0".repeat(64)) } else { line.to_owned() }
            })
            .filter(|line| {
                in_workspace || !(line.starts_with("plugin_dirs") || line.starts_with("# The plugin is built into"))
            })
            .map(|line| line + "\n")
            .collect();
    if in_workspace {
        text
    } else {
        text.replace(
            &format!("../../target/plugins/{}.wasm", names.name),
            &format!("target/plugins/{}.wasm", names.name),
        )
    }
}

fn workspace_manifest(names: &Names) -> String {
    fill(
        r#"[package]
name = "payrules-plugin-payer-template"
description = "The payer-template payer policy for payrules"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lib]
name = "payer_template"
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
    fill(
        r#"[package]
name = "payrules-plugin-payer-template"
description = "The payer-template payer policy for payrules"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
name = "payer_template"
crate-type = ["cdylib", "rlib"]

[dependencies]
payrules-pdk = { path = "VENDORED/crates/pdk" }
serde = { version = "1", features = ["derive"] }

# A workspace of its own; `payrules plugin build` gives it the plugin
# profile (small code, panics that abort).
[workspace]
"#,
        names,
    )
    .replace("VENDORED", VENDORED)
}

/// Writes the embedded PDK, model and contract under `dir/vendor/payrules`,
/// and the lock file they were tested with as `dir/Cargo.lock`.
fn write_kit(dir: &Path) -> Result<()> {
    for (path, bytes) in kit::KIT_SOURCES {
        let target = if *path == "Cargo.lock" { dir.join(path) } else { dir.join(VENDORED).join(path) };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, bytes).with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}

/// The template plugin's files, which the workspace builds and tests as a
/// plugin of its own (plugins/payer-template).
const LIB_TEMPLATE: &str = include_str!("../plugins/payer-template/src/lib.rs");
const RULES_TEMPLATE: &str = include_str!("../plugins/payer-template/rules.toml");
const KIT_TEMPLATE: &str = include_str!("../plugins/payer-template/kit/kit.toml");
const CASES_TEMPLATE: &str = include_str!("../plugins/payer-template/kit/cases.toml");
