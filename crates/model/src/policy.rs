//! What a payer-policy plugin says about itself, and how it refuses input.

use serde::{Deserialize, Serialize};

/// The newest contract version, which the PDK builds plugins against:
/// `payrules:policy@0.5.0`.
pub const CONTRACT_VERSION: &str = "0.5.0";

/// A rule a plugin can fire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    /// Stable rule id.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// The policy source.
    pub citation: String,
    /// How serious its findings usually are; unknown for plugins built on
    /// contracts before 0.4.0, which did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<crate::Severity>,
    /// The denial it reports by default, as `CO-151 N362`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denial: Option<String>,
}

/// Who a plugin is and which rules it can fire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Plugin name, e.g. `medicare`.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// The contract version it was built against.
    pub contract_version: String,
    /// Every rule it can fire.
    pub rules: Vec<RuleInfo>,
}

/// A payer configuration the plugin refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}{message}", if field.is_empty() { String::new() } else { format!("`{field}`: ") })]
pub struct ConfigError {
    /// Dotted path of the offending key; empty for the whole table.
    pub field: String,
    /// What was expected.
    pub message: String,
}

impl ConfigError {
    /// A refusal of the key at `field`, saying what was expected.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError { field: field.into(), message: message.into() }
    }

    /// `value` itself when it is a percentage (0 to 100), else the refusal of `field`.
    pub fn check_percent(field: &str, value: u32) -> Result<u32, ConfigError> {
        if value > 100 { Err(ConfigError::new(field, format!("{value} is not a percentage"))) } else { Ok(value) }
    }
}

/// The plugin could not decide about a claim at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct EvaluationError {
    /// Why.
    pub message: String,
}
