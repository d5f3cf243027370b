//! Reference data a policy may consult: NCCI procedure-to-procedure edits and
//! medically unlikely edits. The host owns the tables; a policy asks about the
//! codes of one claim through [`ReferenceData`].

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// Why a lookup has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum DataUnavailable {
    /// The rule set does not grant this payer entry the table.
    #[error("the rule set grants this payer no such table")]
    NotGranted,
    /// The table is granted but none of its files covers the date.
    #[error("no file of the table covers the date of service")]
    NoDataForDate,
}

/// Whether an NCCI-associated modifier may bypass a PTP edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModifierIndicator {
    /// `0`: never reported together; no modifier bypasses it.
    NotAllowed,
    /// `1`: allowed with a modifier such as 59 or XE/XS/XP/XU, where the circumstances fit.
    Allowed,
    /// `9`: the edit does not apply.
    NotApplicable,
}

/// An NCCI procedure-to-procedure edit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtpEdit {
    /// The column 1 code: paid when both are billed.
    pub column_one: String,
    /// The column 2 code: denied unless a modifier may and does bypass the edit.
    pub column_two: String,
    /// First date of service the edit applies to.
    pub effective: Date,
    /// Date of service from which it no longer applies.
    pub deletion: Option<Date>,
    /// Whether a modifier can bypass it.
    pub modifier_indicator: ModifierIndicator,
    /// CMS's stated reason.
    pub rationale: String,
}

/// How a medically unlikely edit is adjudicated (the MAI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MueAdjudication {
    /// MAI 1: per claim line.
    Line,
    /// MAI 2: per date of service, absolute, based on policy.
    DateOfServicePolicy,
    /// MAI 3: per date of service, based on clinical benchmarks.
    DateOfServiceClinical,
}

/// The medically unlikely edit of one code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MueLimit {
    /// The code.
    pub code: String,
    /// Most units per line (MAI 1) or per date of service (MAI 2, 3).
    pub units: u32,
    /// How the limit is applied.
    pub adjudication: MueAdjudication,
    /// CMS's rationale.
    pub rationale: String,
}

/// The lookups a policy may make into the host's reference tables.
pub trait ReferenceData {
    /// The PTP edits in force on `date` between two different codes of `codes`.
    fn ptp_edits(&self, codes: &[&str], date: Date) -> Result<Vec<PtpEdit>, DataUnavailable>;

    /// The MUEs in force on `date` for those of `codes` that have one.
    fn mue_limits(&self, codes: &[&str], date: Date) -> Result<Vec<MueLimit>, DataUnavailable>;
}

/// No reference data at all: every lookup says the table is not granted.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoReferenceData;

impl ReferenceData for NoReferenceData {
    fn ptp_edits(&self, _codes: &[&str], _date: Date) -> Result<Vec<PtpEdit>, DataUnavailable> {
        Err(DataUnavailable::NotGranted)
    }

    fn mue_limits(&self, _codes: &[&str], _date: Date) -> Result<Vec<MueLimit>, DataUnavailable> {
        Err(DataUnavailable::NotGranted)
    }
}
