//! What a submitter sends, read into claims, and what payrules answers.
//!
//! The CLI reads files and the service reads request bodies; both read them
//! here, so a claim gets the same located error and the same JSON record
//! whichever way it came in.

pub mod batch;
mod fix;
mod json_locate;
mod read;
mod records;

pub use fix::{ClaimFix, Fate, FixError, FixNote, FixRun, fix_document};
pub use payrules_x12::is_x12 as is_x12_text;
pub use read::{
    ClaimInput, ClaimInputs, InputKind, InputRead, TextEncoding, claims_in_text, decode_text, encode_text, json_claim,
    read_claims, read_text, read_text_and_encoding, read_text_claims,
};
pub use records::{CheckSummary, Checked, ClaimStatus, SCHEMA_VERSION, StatusCounts, check_input, comparison_payers};
