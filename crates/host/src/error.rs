//! Why the host could not load a rule set or start at all.
//!
//! A deny or a warning about a claim is never one of these: those are
//! findings in an outcome. These mean the engine could not decide.

use std::path::PathBuf;

/// The host could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// Wasmtime refused the engine configuration.
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
}

/// A rule set, or one of its plugins, could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A payer entry's required test kit could not be read or run.
    #[error("payer `{entry}`: its test kit cannot run: {message}")]
    KitUnusable {
        /// The payer entry requiring it.
        entry: String,
        /// Why.
        message: String,
    },
    /// A payer entry's required test kit has failing cases, so the rule set is not activated.
    #[error(
        "payer `{entry}`: {failed} of {total} cases of its test kit `{kit}` fail under this rule set, so it is not activated; first: {first}"
    )]
    KitFailed {
        /// The payer entry requiring it.
        entry: String,
        /// The kit folder.
        kit: PathBuf,
        /// Cases that failed.
        failed: usize,
        /// Cases run.
        total: usize,
        /// The first failing case and how it differs.
        first: String,
    },
    /// Trusted keys are configured and the rule set's signature is missing,
    /// untrusted, or does not cover what is on disk.
    #[error("{cause}")]
    Signature {
        /// Why; part of the message, so not a separate error source.
        cause: crate::signing::SignatureError,
    },
    /// The rule set file could not be read.
    #[error("cannot read rule set `{path}`: {cause}")]
    ReadRuleSet {
        /// The rule set file.
        path: PathBuf,
        /// The I/O error; part of the message, so not a separate error source.
        cause: std::io::Error,
    },
    /// The rule set is not valid TOML of the expected shape.
    #[error("rule set `{path}` is not valid: {message}")]
    InvalidRuleSet {
        /// The rule set file.
        path: PathBuf,
        /// What is wrong, with its line where known.
        message: String,
    },
    /// A plugin file could not be read.
    #[error("payer `{entry}`: cannot read plugin `{path}`: {cause}")]
    ReadPlugin {
        /// The payer entry naming it.
        entry: String,
        /// The plugin file.
        path: PathBuf,
        /// The I/O error; part of the message, so not a separate error source.
        cause: std::io::Error,
    },
    /// The plugin's bytes are not the ones the rule set pins.
    #[error(
        "payer `{entry}`: plugin `{path}` has sha256 {actual} but the rule set pins {expected}; if the plugin was rebuilt on purpose, re-pin the rule set with `payrules plugin pin RULESET`"
    )]
    HashMismatch {
        /// The payer entry naming it.
        entry: String,
        /// The plugin file.
        path: PathBuf,
        /// The pinned hash.
        expected: String,
        /// The file's hash.
        actual: String,
    },
    /// The file is not a payrules plugin component.
    #[error("payer `{entry}`: `{path}` is not a payrules plugin: {message}")]
    NotAPlugin {
        /// The payer entry naming it.
        entry: String,
        /// The plugin file.
        path: PathBuf,
        /// What was found instead.
        message: String,
    },
    /// The plugin was built against a contract version this host does not run.
    #[error("payer `{entry}`: plugin `{path}` targets contract {found}, but this host supports {supported}")]
    UnsupportedContract {
        /// The payer entry naming it.
        entry: String,
        /// The plugin file.
        path: PathBuf,
        /// The version the plugin exports.
        found: String,
        /// The versions this host runs.
        supported: String,
    },
    /// The plugin refused the payer's configuration.
    #[error("{0}")]
    InvalidConfig(Box<ConfigRefusal>),
    /// A reference data file could not be read.
    #[error("rule set `{path}`: reference data: {cause}")]
    Data {
        /// The rule set file.
        path: PathBuf,
        /// What was wrong with the data file; part of the message.
        cause: crate::data::DataError,
    },
    /// The plugin trapped or ran out of budget while describing or configuring itself.
    #[error("payer `{entry}`: plugin `{path}` failed while loading: {message}")]
    PluginFailed {
        /// The payer entry.
        entry: String,
        /// The plugin file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// A payer configuration a plugin refused, and where in the rule set.
#[derive(Debug, thiserror::Error)]
#[error(
    "{}: payer `{entry}`: plugin `{plugin}` refused its configuration: {}",
    at_line(rule_set, *line),
    refusal(field, message)
)]
pub struct ConfigRefusal {
    /// The rule set file.
    pub rule_set: PathBuf,
    /// The line of the refused key in it, where it could be found.
    pub line: Option<usize>,
    /// The payer entry.
    pub entry: String,
    /// The plugin's name.
    pub plugin: String,
    /// The refused key's path under the entry's `[payer.config]`; empty
    /// for the configuration as a whole.
    pub field: String,
    /// What the plugin expected.
    pub message: String,
}

/// `file line N`, or the file alone when the line is not known.
fn at_line(file: &std::path::Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{} line {line}", file.display()),
        None => file.display().to_string(),
    }
}

/// A configuration refusal as the plugin gave it: the key, then what was expected.
fn refusal(field: &str, message: &str) -> String {
    if field.is_empty() { message.to_owned() } else { format!("`{field}`: {message}") }
}
