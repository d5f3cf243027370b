//! X12 reading for payrules, the envelope layer: delimiters taken from the
//! ISA header (never assumed), segments with their positions, and
//! interchanges, functional groups and transaction sets whose trailers are
//! checked against their headers (counts and control numbers).
//!
//! Mapping 837P loops onto the billing model builds on this layer.

mod envelope;
mod segment;

pub use envelope::{FunctionalGroup, Interchange, TransactionSet, read_interchanges};
pub use segment::{Delimiters, Segment, segments};

/// Where an X12 file breaks a rule, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("segment {segment} (`{id}`){}: {message}", element.map_or_else(String::new, |e| format!(" element {e}")))]
pub struct X12Error {
    /// 1-based position of the segment in the file.
    pub segment: usize,
    /// The segment id, e.g. `SE`.
    pub id: String,
    /// 1-based element position, when one element is at fault.
    pub element: Option<usize>,
    /// What was expected.
    pub message: String,
}

impl X12Error {
    /// An error at `segment`.
    pub fn at(segment: &Segment<'_>, element: Option<usize>, message: impl Into<String>) -> X12Error {
        X12Error { segment: segment.position, id: segment.id.to_owned(), element, message: message.into() }
    }
}
