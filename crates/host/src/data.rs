//! Reference tables the host loads once and shares between plugin
//! instances: CMS NCCI procedure-to-procedure edits and medically unlikely
//! edits, read from the files CMS publishes, in their own column layouts.
//!
//! Plugins do not get copies of these tables; they ask the host about the
//! few codes on a claim.

pub mod gpci;
pub mod mue;
pub mod ptp;
pub mod rvu;
mod text;

use std::path::PathBuf;
use std::sync::Arc;

use payrules_model::{DataUnavailable, Date, GeographicIndices, MueLimit, PtpEdit, ReferenceData, RelativeValues};

/// A reference data file that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read `{path}`: {cause}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error; part of the message, so not a separate error source.
        cause: std::io::Error,
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

/// One file of a table that carries no dates of its own, and the dates of
/// service the rule set says it covers.
#[derive(Debug)]
pub struct Period<T> {
    /// First date of service covered.
    pub effective_from: Date,
    /// Last date of service covered, inclusive.
    pub effective_to: Option<Date>,
    /// The file's contents.
    pub table: T,
}

/// The file of `periods` that covers `date`.
fn covering<T>(periods: &[Period<T>], date: Date) -> Option<&T> {
    periods.iter().find(|p| date >= p.effective_from && p.effective_to.is_none_or(|to| date <= to)).map(|p| &p.table)
}

/// The reference tables a rule set loads once, shared by all its payers.
#[derive(Debug, Default)]
pub struct ReferenceTables {
    /// NCCI PTP edits, with their own row dates.
    pub ncci_ptp: Option<ptp::PtpTable>,
    /// MUE files by period.
    pub mue: Vec<Period<mue::MueTable>>,
    /// PPRRVU files by period.
    pub rvu: Vec<Period<rvu::RvuTable>>,
    /// GPCI files by period.
    pub gpci: Vec<Period<gpci::GpciTable>>,
}

/// Which tables one payer entry may consult.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// The NCCI PTP edits.
    pub ncci_ptp: bool,
    /// The MUEs.
    pub mue: bool,
    /// The relative value units.
    pub rvu: bool,
    /// The geographic indices.
    pub gpci: bool,
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

    /// Whether `other` reads the very same loaded tables (not a copy of them).
    pub fn shares_tables_with(&self, other: &GrantedData) -> bool {
        Arc::ptr_eq(&self.tables, &other.tables)
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
        let table = covering(&self.tables.mue, date).ok_or(DataUnavailable::NoDataForDate)?;
        Ok(distinct(codes).iter().filter_map(|code| table.limit(code)).collect())
    }

    fn relative_values(&self, codes: &[&str], date: Date) -> Result<Vec<RelativeValues>, DataUnavailable> {
        if !self.grants.rvu {
            return Err(DataUnavailable::NotGranted);
        }
        let table = covering(&self.tables.rvu, date).ok_or(DataUnavailable::NoDataForDate)?;
        Ok(distinct(codes).iter().filter_map(|code| table.values(code)).collect())
    }

    fn geographic_indices(&self, locality: &str, date: Date) -> Result<Option<GeographicIndices>, DataUnavailable> {
        if !self.grants.gpci {
            return Err(DataUnavailable::NotGranted);
        }
        let table = covering(&self.tables.gpci, date).ok_or(DataUnavailable::NoDataForDate)?;
        Ok(table.indices(locality))
    }
}

/// The codes once each.
fn distinct<'a>(codes: &[&'a str]) -> Vec<&'a str> {
    let mut distinct = codes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    distinct
}
