//! Why a plugin could not give an answer for a claim.

use std::fmt;

use wasmtime::{Store, Trap};

use crate::sandbox::{SandboxLimits, SandboxState};

/// The kind of failure, for callers that react differently to each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The fuel budget ran out: the plugin did too much work for one claim.
    FuelExhausted,
    /// The wall-clock deadline passed.
    Deadline,
    /// The plugin tried to grow its memory past the cap.
    MemoryLimit,
    /// The plugin trapped: a panic, an unreachable, an out-of-bounds access.
    Trap,
    /// The plugin answered that it could not decide.
    Undecided,
    /// The plugin broke the contract: it asked the host about something
    /// outside its claim, or answered with an outcome that does not fit the
    /// claim (a missing or extra line result, a finding on a line that does
    /// not exist, a negative or impossible amount).
    ContractViolation,
    /// The host itself failed around the call.
    Internal,
    /// The entry's plugin could not be loaded when a claim first needed it
    /// (a rule set loaded on demand): it does not compile, does not fit the
    /// contract, or refused its payer configuration.
    PluginUnavailable,
}

impl FailureKind {
    /// The kind's name, as in JSON reports and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::FuelExhausted => "fuel-exhausted",
            FailureKind::Deadline => "deadline",
            FailureKind::MemoryLimit => "memory-limit",
            FailureKind::Trap => "trap",
            FailureKind::Undecided => "undecided",
            FailureKind::ContractViolation => "contract-violation",
            FailureKind::Internal => "internal",
            FailureKind::PluginUnavailable => "plugin-unavailable",
        }
    }
}

// Reports and metric labels name a kind the same way, from `as_str`.
impl serde::Serialize for FailureKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A plugin evaluation that produced no outcome.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EvaluationFailure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// A one-line explanation.
    pub message: String,
}

impl fmt::Display for EvaluationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl EvaluationFailure {
    /// The plugin said it could not decide.
    pub fn undecided(message: String) -> EvaluationFailure {
        EvaluationFailure { kind: FailureKind::Undecided, message: format!("the plugin could not decide: {message}") }
    }

    /// The host failed around the call.
    pub fn internal(message: String) -> EvaluationFailure {
        EvaluationFailure {
            kind: FailureKind::Internal,
            message: format!("the host failed around the plugin call: {message}"),
        }
    }

    /// The entry's plugin could not be loaded; `message` is the load error.
    pub fn unloadable(message: String) -> EvaluationFailure {
        EvaluationFailure { kind: FailureKind::PluginUnavailable, message }
    }

    /// The plugin's answer does not fit the claim it was asked about.
    pub fn violation(message: String) -> EvaluationFailure {
        EvaluationFailure { kind: FailureKind::ContractViolation, message }
    }

    /// Names the reason a call into the plugin failed.
    pub fn classify(store: &Store<SandboxState>, limits: &SandboxLimits, error: wasmtime::Error) -> EvaluationFailure {
        if let Some(violation) = &store.data().violation {
            return EvaluationFailure::violation(violation.clone());
        }
        if store.data().memory_exceeded {
            return EvaluationFailure {
                kind: FailureKind::MemoryLimit,
                message: format!(
                    "the plugin tried to use more than its {} MiB memory cap",
                    store.data().memory_cap() >> 20
                ),
            };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => EvaluationFailure {
                kind: FailureKind::FuelExhausted,
                message: format!("the plugin used its whole fuel budget of {} without finishing", limits.fuel),
            },
            Some(Trap::Interrupt) => EvaluationFailure {
                kind: FailureKind::Deadline,
                message: format!("the plugin ran past its {} ms deadline", limits.deadline_ms),
            },
            Some(_) if store.data().panic_message.is_some() => EvaluationFailure {
                kind: FailureKind::Trap,
                message: format!("the plugin {}", store.data().panic_message.as_deref().unwrap_or("panicked")),
            },
            Some(trap) => EvaluationFailure { kind: FailureKind::Trap, message: format!("the plugin trapped: {trap}") },
            None => EvaluationFailure {
                kind: FailureKind::Trap,
                message: format!("the plugin failed: {}", one_line(&error)),
            },
        }
    }
}

fn one_line(error: &wasmtime::Error) -> String {
    error.to_string().replace('\n', " ")
}
