//! Interchanges (ISA/IEA), functional groups (GS/GE) and transaction sets
//! (ST/SE), with every trailer checked against its header.
//!
//! Envelopes refer to segments by index into [`Document::segments`], so a
//! broken envelope still says which segments it spans: the claims inside it
//! can each be reported, and nothing in the file goes unaccounted for.

use std::ops::Range;

use crate::X12Error;
use crate::segment::{Delimiters, Segment, segments};

/// A whole X12 file: its delimiters, its segments and its envelopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document<'a> {
    /// The delimiters the first ISA declares.
    pub delimiters: Delimiters,
    /// Every segment in the file, in order.
    pub segments: Vec<Segment<'a>>,
    /// The interchanges; a broken one is an error in its place.
    pub interchanges: Vec<Result<Interchange, BrokenEnvelope>>,
    /// What follows each segment terminator in the file (a line break or
    /// nothing), so a rewritten file keeps the original's layout.
    pub line_break: &'static str,
}

/// An envelope whose header and trailer disagree, or that has no trailer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenEnvelope {
    /// What is wrong, and where.
    pub error: X12Error,
    /// The segments the envelope spans.
    pub span: Range<usize>,
}

/// One ISA...IEA interchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interchange {
    /// Index of the ISA segment.
    pub header: usize,
    /// Index of the IEA segment.
    pub trailer: usize,
    /// Its functional groups.
    pub groups: Vec<Result<FunctionalGroup, BrokenEnvelope>>,
}

/// One GS...GE functional group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionalGroup {
    /// Index of the GS segment.
    pub header: usize,
    /// Index of the GE segment.
    pub trailer: usize,
    /// Its transaction sets.
    pub transactions: Vec<Result<TransactionSet, BrokenEnvelope>>,
}

/// One ST...SE transaction set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionSet {
    /// Index of the ST segment.
    pub header: usize,
    /// Index of the SE segment.
    pub trailer: usize,
}

impl TransactionSet {
    /// The indices of the segments between ST and SE.
    pub fn body(&self) -> Range<usize> {
        self.header.saturating_add(1)..self.trailer
    }
}

/// Reads the envelopes of `text`. Only a file without a readable ISA header
/// is an error as a whole; any envelope that is broken is reported in its
/// place and the envelopes around it are still read.
pub fn read_document(text: &str) -> Result<Document<'_>, X12Error> {
    let delimiters = Delimiters::from_isa(text)?;
    let all = segments(text, &delimiters);
    let interchanges = read_interchanges(&all);
    let after_header = text.split_once(delimiters.segment).map_or("", |(_, rest)| rest);
    let line_break = if after_header.starts_with("\r\n") {
        "\r\n"
    } else if after_header.starts_with('\n') && delimiters.segment != '\n' {
        "\n"
    } else {
        ""
    };
    Ok(Document { delimiters, segments: all, interchanges, line_break })
}

/// The segment at `index`, if any.
fn at<'s, 'a>(all: &'s [Segment<'a>], index: usize) -> Option<&'s Segment<'a>> {
    all.get(index)
}

/// Finds the trailer `id` for the header at `start`, stopping at `stop_at`
/// (the next envelope of the same level), and returns its index.
fn trailer(all: &[Segment<'_>], start: usize, end: usize, id: &str, stop_at: &str) -> Option<usize> {
    (start.saturating_add(1)..end)
        .take_while(|i| at(all, *i).is_some_and(|s| s.id != stop_at))
        .find(|i| at(all, *i).is_some_and(|s| s.id == id))
}

fn broken(
    all: &[Segment<'_>],
    index: usize,
    span: Range<usize>,
    element: Option<usize>,
    message: String,
) -> BrokenEnvelope {
    let error = match at(all, index) {
        Some(segment) => X12Error::at(segment, element, message),
        None => X12Error { segment: index.saturating_add(1), id: String::new(), element, component: None, message },
    };
    BrokenEnvelope { error, span }
}

fn read_interchanges(all: &[Segment<'_>]) -> Vec<Result<Interchange, BrokenEnvelope>> {
    let mut interchanges = Vec::new();
    let mut index = 0;
    while index < all.len() {
        let Some(isa) = at(all, index) else { break };
        if isa.id != "ISA" {
            // Whatever stands outside an interchange is reported up to the next ISA.
            let next = (index.saturating_add(1)..all.len()).find(|i| at(all, *i).is_some_and(|s| s.id == "ISA"));
            let end = next.unwrap_or(all.len());
            interchanges.push(Err(broken(all, index, index..end, None, "expected ISA to start an interchange".into())));
            index = end;
            continue;
        }
        let Some(iea) = trailer(all, index, all.len(), "IEA", "ISA") else {
            let end = (index.saturating_add(1)..all.len())
                .find(|i| at(all, *i).is_some_and(|s| s.id == "ISA"))
                .unwrap_or(all.len());
            interchanges.push(Err(broken(all, index, index..end, None, "the interchange has no IEA trailer".into())));
            index = end;
            continue;
        };
        let span = index..iea.saturating_add(1);
        let groups = read_groups(all, index.saturating_add(1), iea);
        let checked = check_count(all, iea, 1, groups.len(), "functional groups", span.clone())
            .and_then(|()| check_control(all, iea, 2, index, 13, span.clone()))
            .map(|()| Interchange { header: index, trailer: iea, groups });
        interchanges.push(checked);
        index = iea.saturating_add(1);
    }
    interchanges
}

fn read_groups(all: &[Segment<'_>], mut index: usize, end: usize) -> Vec<Result<FunctionalGroup, BrokenEnvelope>> {
    let mut groups = Vec::new();
    while index < end {
        let Some(gs) = at(all, index) else { break };
        if gs.id != "GS" {
            let next =
                (index.saturating_add(1)..end).find(|i| at(all, *i).is_some_and(|s| s.id == "GS")).unwrap_or(end);
            groups.push(Err(broken(all, index, index..next, None, "expected GS to start a functional group".into())));
            index = next;
            continue;
        }
        let Some(ge) = trailer(all, index, end, "GE", "GS") else {
            let next =
                (index.saturating_add(1)..end).find(|i| at(all, *i).is_some_and(|s| s.id == "GS")).unwrap_or(end);
            groups.push(Err(broken(all, index, index..next, None, "the functional group has no GE trailer".into())));
            index = next;
            continue;
        };
        let span = index..ge.saturating_add(1);
        let transactions = read_transactions(all, index.saturating_add(1), ge);
        let checked = check_count(all, ge, 1, transactions.len(), "transaction sets", span.clone())
            .and_then(|()| check_control(all, ge, 2, index, 6, span.clone()))
            .map(|()| FunctionalGroup { header: index, trailer: ge, transactions });
        groups.push(checked);
        index = ge.saturating_add(1);
    }
    groups
}

fn read_transactions(all: &[Segment<'_>], mut index: usize, end: usize) -> Vec<Result<TransactionSet, BrokenEnvelope>> {
    let mut transactions = Vec::new();
    while index < end {
        let Some(st) = at(all, index) else { break };
        if st.id != "ST" {
            let next =
                (index.saturating_add(1)..end).find(|i| at(all, *i).is_some_and(|s| s.id == "ST")).unwrap_or(end);
            transactions.push(Err(broken(
                all,
                index,
                index..next,
                None,
                "expected ST to start a transaction set".into(),
            )));
            index = next;
            continue;
        }
        let Some(se) = trailer(all, index, end, "SE", "ST") else {
            let next =
                (index.saturating_add(1)..end).find(|i| at(all, *i).is_some_and(|s| s.id == "ST")).unwrap_or(end);
            transactions.push(Err(broken(
                all,
                index,
                index..next,
                None,
                "the transaction set has no SE trailer".into(),
            )));
            index = next;
            continue;
        };
        let span = index..se.saturating_add(1);
        // SE01 counts the segments from ST to SE, both included.
        let checked = check_count(all, se, 1, span.len(), "segments from ST to SE", span.clone())
            .and_then(|()| check_control(all, se, 2, index, 2, span.clone()))
            .map(|()| TransactionSet { header: index, trailer: se });
        transactions.push(checked);
        index = se.saturating_add(1);
    }
    transactions
}

fn check_count(
    all: &[Segment<'_>],
    trailer: usize,
    element: usize,
    actual: usize,
    what: &str,
    span: Range<usize>,
) -> Result<(), BrokenEnvelope> {
    let written = at(all, trailer).map_or("", |s| s.element(element));
    match written.trim().parse::<usize>() {
        Ok(count) if count == actual => Ok(()),
        Ok(count) => {
            Err(broken(all, trailer, span, Some(element), format!("says {count} {what}, but there are {actual}")))
        }
        Err(_) => Err(broken(all, trailer, span, Some(element), format!("`{written}` is not a count of {what}"))),
    }
}

fn check_control(
    all: &[Segment<'_>],
    trailer: usize,
    element: usize,
    header: usize,
    header_element: usize,
    span: Range<usize>,
) -> Result<(), BrokenEnvelope> {
    let (Some(trailer_segment), Some(header_segment)) = (at(all, trailer), at(all, header)) else {
        return Ok(());
    };
    let (trailer_value, header_value) =
        (trailer_segment.element(element).trim(), header_segment.element(header_element).trim());
    if trailer_value == header_value {
        return Ok(());
    }
    let message = format!(
        "control number `{trailer_value}` does not match {}{header_element:02} `{header_value}` (segment {})",
        header_segment.id, header_segment.position
    );
    Err(broken(all, trailer, span, Some(element), message))
}
