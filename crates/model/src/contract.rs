//! What goes wrong when a value from the plugin contract does not make a
//! model value. The conversions themselves live beside each side's
//! generated bindings: the host's in `payrules-host`'s `contract` module,
//! one module per contract version, and the plugin side's in the PDK.

/// A contract value that does not make a valid model value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct ContractError {
    /// Path of the offending field.
    pub field: String,
    /// What was wrong.
    pub message: String,
}

impl ContractError {
    /// An error at `field`.
    pub fn at(field: impl Into<String>, message: impl std::fmt::Display) -> ContractError {
        ContractError { field: field.into(), message: message.to_string() }
    }
}
