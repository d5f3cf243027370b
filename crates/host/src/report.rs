//! What the host returns for each claim: an outcome with its receipt, a
//! routing finding, or a failure. Every claim gets exactly one.

use payrules_model::{ClaimTotals, Finding, Outcome};
use serde::Serialize;

use crate::failure::EvaluationFailure;

/// Which rule set and plugin produced a decision, so it can be reproduced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// `name@version` of the rule set.
    pub rule_set: String,
    /// The payer entry that served the claim.
    pub entry: String,
    /// `name@version` of the plugin.
    pub plugin: String,
    /// Hex sha256 of the plugin file.
    pub plugin_sha256: String,
    /// The contract version the plugin runs under.
    pub contract_version: String,
    /// Fuel the evaluation used; deterministic for the same plugin and claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel_used: Option<u64>,
}

/// What happened to one claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Verdict {
    /// A plugin evaluated the claim.
    Evaluated {
        /// The plugin's outcome.
        outcome: Outcome,
        /// Sums over the outcome.
        totals: ClaimTotals,
        /// Where the outcome came from.
        receipt: Receipt,
    },
    /// No payer entry serves the claim; the finding says why.
    NotRouted {
        /// The routing finding.
        finding: Finding,
    },
    /// The plugin failed on this claim; other claims are unaffected.
    Failed {
        /// Why.
        failure: EvaluationFailure,
        /// The plugin that failed.
        receipt: Receipt,
    },
}

/// The host's answer for one claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimReport {
    /// The claim id.
    pub claim_id: String,
    /// The payer id it was routed by.
    pub payer_id: String,
    /// What happened.
    #[serde(flatten)]
    pub verdict: Verdict,
}
