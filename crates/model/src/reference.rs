//! Reference data a policy may consult: NCCI procedure-to-procedure edits,
//! medically unlikely edits, relative value units and geographic indices. The host owns the tables; a policy asks about the
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

/// A code's relative value units from the physician fee schedule (PPRRVU).
///
/// Quantities are in ten-thousandths: an RVU of 0.45 is `4500`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelativeValues {
    /// The code.
    pub code: String,
    /// The fee schedule status code, e.g. `A` (active) or `B` (bundled).
    pub status: String,
    /// Work RVU.
    pub work: i64,
    /// Practice expense RVU, non-facility setting.
    pub practice_expense_nonfacility: i64,
    /// Practice expense RVU, facility setting.
    pub practice_expense_facility: i64,
    /// Malpractice RVU.
    pub malpractice: i64,
    /// The multiple procedure indicator; `5` marks the therapy payment reduction.
    pub multiple_procedure: u8,
}

/// A payment locality's geographic practice cost indices, in ten-thousandths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeographicIndices {
    /// The locality key, `MAC-locality`, e.g. `01112-05`.
    pub locality: String,
    /// Work GPCI.
    pub work: i64,
    /// Practice expense GPCI.
    pub practice_expense: i64,
    /// Malpractice GPCI.
    pub malpractice: i64,
}

/// The lookups a policy may make into the host's reference tables.
pub trait ReferenceData {
    /// The PTP edits in force on `date` between two different codes of `codes`.
    fn ptp_edits(&self, codes: &[&str], date: Date) -> Result<Vec<PtpEdit>, DataUnavailable>;

    /// The MUEs in force on `date` for those of `codes` that have one.
    fn mue_limits(&self, codes: &[&str], date: Date) -> Result<Vec<MueLimit>, DataUnavailable>;

    /// The relative values in force on `date` for those of `codes` that have them.
    fn relative_values(&self, codes: &[&str], date: Date) -> Result<Vec<RelativeValues>, DataUnavailable>;

    /// The indices of `locality` in force on `date`.
    fn geographic_indices(&self, locality: &str, date: Date) -> Result<Option<GeographicIndices>, DataUnavailable>;
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

    fn relative_values(&self, _codes: &[&str], _date: Date) -> Result<Vec<RelativeValues>, DataUnavailable> {
        Err(DataUnavailable::NotGranted)
    }

    fn geographic_indices(&self, _locality: &str, _date: Date) -> Result<Option<GeographicIndices>, DataUnavailable> {
        Err(DataUnavailable::NotGranted)
    }
}
