//! Reference tables the host loads once and shares between plugin
//! instances: CMS NCCI procedure-to-procedure edits and medically unlikely
//! edits, read from the files CMS publishes, in their own column layouts.
//!
//! Plugins do not get copies of these tables; they ask the host about the
//! few codes on a claim.

pub mod mue;
pub mod ptp;
mod text;

use std::path::PathBuf;
use std::sync::Arc;

use payrules_model::{DataUnavailable, Date, MueLimit, PtpEdit, ReferenceData};

/// A reference data file that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A row is not in the expected layout.
    #[error("`{path}` line {line}: {message}")]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was expected.
        message: String,
    },
    /// The file holds no rows at all.
    #[error("`{path}` holds no {what} rows")]
    Empty {
        /// The file.
        path: PathBuf,
        /// Which table.
        what: &'static str,
    },
}

/// A five-character HCPCS/CPT code packed for compact tables.
pub type PackedCode = [u8; 5];

/// Packs `code` if it is five ASCII letters or digits.
pub fn pack_code(code: &str) -> Option<PackedCode> {
    let bytes = code.trim().as_bytes();
    let packed: PackedCode = bytes.try_into().ok()?;
    packed.iter().all(u8::is_ascii_alphanumeric).then(|| packed.map(|b| b.to_ascii_uppercase()))
}

/// The code as text.
pub fn unpack_code(code: &PackedCode) -> String {
    code.iter().map(|b| char::from(*b)).collect()
}

/// One MUE file and the dates of service it covers.
#[derive(Debug)]
pub struct MuePeriod {
    /// First date of service covered.
    pub effective_from: Date,
    /// Last date of service covered, inclusive.
    pub effective_to: Option<Date>,
    /// The file's limits.
    pub table: mue::MueTable,
}

impl MuePeriod {
    fn covers(&self, date: Date) -> bool {
        date >= self.effective_from && self.effective_to.is_none_or(|to| date <= to)
    }
}

/// The reference tables a rule set loads once, shared by all its payers.
#[derive(Debug, Default)]
pub struct ReferenceTables {
    /// NCCI PTP edits, with their own row dates.
    pub ncci_ptp: Option<ptp::PtpTable>,
    /// MUE files by period.
    pub mue: Vec<MuePeriod>,
}

/// Which tables one payer entry may consult.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// The NCCI PTP edits.
    pub ncci_ptp: bool,
    /// The MUEs.
    pub mue: bool,
}

/// The reference data one plugin instance sees: the rule set's tables,
/// filtered by its payer entry's grants.
#[derive(Clone, Debug, Default)]
pub struct GrantedData {
    tables: Arc<ReferenceTables>,
    grants: Grants,
}

impl GrantedData {
    /// The tables as `grants` allow them.
    pub fn new(tables: Arc<ReferenceTables>, grants: Grants) -> GrantedData {
        GrantedData { tables, grants }
    }
}

impl ReferenceData for GrantedData {
    fn ptp_edits(&self, codes: &[&str], date: Date) -> Result<Vec<PtpEdit>, DataUnavailable> {
        if !self.grants.ncci_ptp {
            return Err(DataUnavailable::NotGranted);
        }
        let table = self.tables.ncci_ptp.as_ref().ok_or(DataUnavailable::NoDataForDate)?;
        Ok(table.edits_among(codes, date))
    }

    fn mue_limits(&self, codes: &[&str], date: Date) -> Result<Vec<MueLimit>, DataUnavailable> {
        if !self.grants.mue {
            return Err(DataUnavailable::NotGranted);
        }
        let period = self.tables.mue.iter().find(|p| p.covers(date)).ok_or(DataUnavailable::NoDataForDate)?;
        let mut distinct: Vec<&str> = codes.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        Ok(distinct.iter().filter_map(|code| period.table.limit(code)).collect())
    }
}
