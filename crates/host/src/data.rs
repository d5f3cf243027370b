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
