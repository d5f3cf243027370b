//! X12 837P for payrules: reading professional claims (005010X222A1, and the
//! A2 errata) into the billing model, and writing corrected claims back.
//!
//! - [`read_document`] takes the delimiters from the ISA header (never
//!   assumed), numbers every segment, and checks each interchange, functional
//!   group and transaction set against its trailer.
//! - [`read_claims`] walks the 837P loops (2000A billing provider, 2000B
//!   subscriber and 2010BB payer, 2000C patient, 2300 claim, 2310B rendering
//!   provider, 2400 service lines) and yields one [`ClaimRead`] per CLM: the
//!   claim, or every problem found in it with segment, element and component.
//! - [`minutes`] defines how treatment minutes ride on a line note, since an
//!   837P has no element for them.
//! - [`write_corrected`] writes the file back with corrected claims in place,
//!   recomputing line charges, CLM02, LX numbers and SE01.
//! - [`compose_837p`] writes claims from the model as a new interchange, for
//!   fixtures and benchmarks.

mod claims;
mod compose;
mod elements;
mod envelope;
mod loops;
pub mod minutes;
mod segment;
mod write;

pub use claims::{ClaimRead, is_x12, read_claims};
pub use compose::{ComposeOptions, compose_837p};
pub use envelope::{BrokenEnvelope, Document, FunctionalGroup, Interchange, TransactionSet, read_document};
pub use segment::{Delimiters, Segment, interchange_segments, segments};
pub use write::{WriteError, write_corrected};

/// The most service lines (2400 loops) one 837P claim may carry
/// (005010X222A1, loop 2400 repeat).
pub const MAX_SERVICE_LINES: usize = 50;

/// Where an X12 file breaks a rule, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("segment {segment} (`{id}`){}: {message}", location(*element, *component))]
pub struct X12Error {
    /// 1-based position of the segment in the file.
    pub segment: usize,
    /// The segment id, e.g. `SV1`.
    pub id: String,
    /// 1-based element position, when one element is at fault.
    pub element: Option<usize>,
    /// 1-based component position within that element, for a composite.
    pub component: Option<usize>,
    /// What was expected.
    pub message: String,
}

fn location(element: Option<usize>, component: Option<usize>) -> String {
    match (element, component) {
        (Some(e), Some(c)) => format!(" element {e}-{c}"),
        (Some(e), None) => format!(" element {e}"),
        _ => String::new(),
    }
}

impl X12Error {
    /// An error at the segment at `position` with `id`, not yet at an element.
    pub fn new(position: usize, id: &str, message: impl Into<String>) -> X12Error {
        X12Error { segment: position, id: id.to_owned(), element: None, component: None, message: message.into() }
    }

    /// The same error, at element `element`.
    pub fn in_element(self, element: usize) -> X12Error {
        X12Error { element: Some(element), ..self }
    }

    /// The same error, at one component of a composite element.
    pub fn in_component(self, element: usize, component: usize) -> X12Error {
        X12Error { element: Some(element), component: Some(component), ..self }
    }

    /// An error at `segment`.
    pub fn at(segment: &Segment<'_>, element: Option<usize>, message: impl Into<String>) -> X12Error {
        X12Error { element, ..X12Error::new(segment.position, segment.id, message) }
    }

    /// An error at one component of a composite element.
    pub fn at_component(
        segment: &Segment<'_>,
        element: usize,
        component: usize,
        message: impl Into<String>,
    ) -> X12Error {
        X12Error::new(segment.position, segment.id, message).in_component(element, component)
    }
}
