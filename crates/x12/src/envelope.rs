//! Interchanges (ISA/IEA), functional groups (GS/GE) and transaction sets
//! (ST/SE), with every trailer checked against its header.
//!
//! Envelopes refer to segments by index into [`Document::segments`], so a
//! broken envelope still says which segments it spans: the claims inside it
//! can each be reported, and nothing in the file goes unaccounted for.

use std::ops::Range;

use crate::X12Error;
use crate::segment::{Delimiters, Segment, interchange_segments};

/// A whole X12 file: its delimiters, its segments and its envelopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document<'a> {
    /// The delimiters the first ISA declares; each segment carries those of
    /// its own interchange.
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
    let all = interchange_segments(text, delimiters);
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
        None => X12Error { element, ..X12Error::new(index.saturating_add(1), "", message) },
    };
    BrokenEnvelope { error, span }
}

/// One level of envelope: its header and trailer ids, what its trailer
/// counts, and where the header keeps the control number the trailer repeats.
struct Level {
    header: &'static str,
    trailer: &'static str,
    name: &'static str,
    article: &'static str,
    counts: &'static str,
    control_element: usize,
}

const INTERCHANGE: Level = Level {
    header: "ISA",
    trailer: "IEA",
    name: "interchange",
    article: "an",
    counts: "functional groups",
    control_element: 13,
};
const GROUP: Level = Level {
    header: "GS",
    trailer: "GE",
    name: "functional group",
    article: "a",
    counts: "transaction sets",
    control_element: 6,
};
const TRANSACTION: Level = Level {
    header: "ST",
    trailer: "SE",
    name: "transaction set",
    article: "a",
    counts: "segments from ST to SE",
    control_element: 2,
};

/// Reads the envelopes of `level` among `all[start..end]`. `inner` reads
/// what one envelope holds and says how many items its trailer must count;
/// `build` makes the envelope from its header index, trailer index and contents.
fn read_level<T, Inner>(
    all: &[Segment<'_>],
    level: &Level,
    mut index: usize,
    end: usize,
    inner: impl Fn(usize, usize) -> (Inner, usize),
    build: impl Fn(usize, usize, Inner) -> T,
) -> Vec<Result<T, BrokenEnvelope>> {
    let mut envelopes = Vec::new();
    let next_header = |from: usize| {
        (from.saturating_add(1)..end).find(|i| at(all, *i).is_some_and(|s| s.id == level.header)).unwrap_or(end)
    };
    while index < end {
        let Some(header) = at(all, index) else { break };
        if header.id != level.header {
            // Whatever stands outside an envelope is reported up to the next header.
            let next = next_header(index);
            let message = format!("expected {} to start {} {}", level.header, level.article, level.name);
            envelopes.push(Err(broken(all, index, index..next, None, message)));
            index = next;
            continue;
        }
        let Some(trailer_index) = trailer(all, index, end, level.trailer, level.header) else {
            let next = next_header(index);
            let message = format!("the {} has no {} trailer", level.name, level.trailer);
            envelopes.push(Err(broken(all, index, index..next, None, message)));
            index = next;
            continue;
        };
        let span = index..trailer_index.saturating_add(1);
        let (contents, count) = inner(index, trailer_index);
        let checked = check_count(all, trailer_index, 1, count, level.counts, span.clone())
            .and_then(|()| check_control(all, trailer_index, 2, index, level.control_element, span.clone()))
            .map(|()| build(index, trailer_index, contents));
        envelopes.push(checked);
        index = trailer_index.saturating_add(1);
    }
    envelopes
}

fn read_interchanges(all: &[Segment<'_>]) -> Vec<Result<Interchange, BrokenEnvelope>> {
    read_level(
        all,
        &INTERCHANGE,
        0,
        all.len(),
        |header, trailer| {
            let groups = read_groups(all, header.saturating_add(1), trailer);
            let count = groups.len();
            (groups, count)
        },
        |header, trailer, groups| Interchange { header, trailer, groups },
    )
}

fn read_groups(all: &[Segment<'_>], start: usize, end: usize) -> Vec<Result<FunctionalGroup, BrokenEnvelope>> {
    read_level(
        all,
        &GROUP,
        start,
        end,
        |header, trailer| {
            let transactions = read_transactions(all, header.saturating_add(1), trailer);
            let count = transactions.len();
            (transactions, count)
        },
        |header, trailer, transactions| FunctionalGroup { header, trailer, transactions },
    )
}

fn read_transactions(all: &[Segment<'_>], start: usize, end: usize) -> Vec<Result<TransactionSet, BrokenEnvelope>> {
    // SE01 counts the segments from ST to SE, both included.
    read_level(
        all,
        &TRANSACTION,
        start,
        end,
        |header, trailer| ((), trailer.saturating_sub(header).saturating_add(1)),
        |header, trailer, ()| TransactionSet { header, trailer },
    )
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *250310*1200*^*00501*000000001*0*T*:~";

    fn interchange(control: &str, groups_said: usize, segments_said: usize) -> String {
        let isa = ISA.replace("000000001", control);
        format!(
            "{isa}GS*HC*A*B*20250310*1200*7*X*005010X222A1~ST*837*0001*005010X222A1~BHT*0019~SE*{segments_said}*0001~GE*1*7~IEA*{groups_said}*{control}~"
        )
    }

    #[test]
    fn a_broken_interchange_leaves_the_next_one_readable() {
        let text = format!("{}{}", interchange("000000001", 2, 3), interchange("000000002", 1, 3));
        let document = read_document(&text).unwrap();
        let first = document.interchanges[0].as_ref().unwrap_err();
        assert_eq!(first.error.to_string(), "segment 7 (`IEA`) element 1: says 2 functional groups, but there are 1");
        assert_eq!(first.span, 0..7);
        let second = document.interchanges[1].as_ref().unwrap();
        let group = second.groups[0].as_ref().unwrap();
        assert_eq!(group.transactions[0].as_ref().unwrap().body(), 10..11);
    }

    #[test]
    fn counts_control_numbers_and_missing_trailers_are_reported() {
        let text = interchange("000000001", 1, 4);
        let miscounted = read_document(&text).unwrap();
        let group = miscounted.interchanges[0].as_ref().unwrap().groups[0].as_ref().unwrap();
        let set = group.transactions[0].as_ref().unwrap_err();
        assert_eq!(set.error.message, "says 4 segments from ST to SE, but there are 3");

        let text = interchange("000000001", 1, 3).replace("GE*1*7", "GE*1*8");
        let wrong_control = read_document(&text).unwrap();
        let error = &wrong_control.interchanges[0].as_ref().unwrap().groups[0].as_ref().unwrap_err().error;
        assert_eq!(error.message, "control number `8` does not match GS06 `7` (segment 2)");

        let text = interchange("000000001", 1, 3).replace("SE*3*0001~", "");
        let no_trailer = read_document(&text).unwrap();
        let group = no_trailer.interchanges[0].as_ref().unwrap().groups[0].as_ref().unwrap();
        let set = group.transactions[0].as_ref().unwrap_err();
        assert_eq!(set.error.to_string(), "segment 3 (`ST`): the transaction set has no SE trailer");
        assert_eq!(set.span, 2..4, "segment indices from the ST up to the GE");
    }
}
