//! Interchanges (ISA/IEA), functional groups (GS/GE) and transaction sets
//! (ST/SE), with every trailer checked against its header.

use crate::X12Error;
use crate::segment::{Delimiters, Segment, segments};

/// One ST...SE transaction set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionSet<'a> {
    /// The ST segment.
    pub header: Segment<'a>,
    /// The segments between ST and SE.
    pub body: Vec<Segment<'a>>,
}

/// One GS...GE functional group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionalGroup<'a> {
    /// The GS segment.
    pub header: Segment<'a>,
    /// Its transaction sets; one whose envelope is broken is an error in its place.
    pub transactions: Vec<Result<TransactionSet<'a>, X12Error>>,
}

/// One ISA...IEA interchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interchange<'a> {
    /// The delimiters its ISA declares.
    pub delimiters: Delimiters,
    /// The ISA segment.
    pub header: Segment<'a>,
    /// Its functional groups.
    pub groups: Vec<FunctionalGroup<'a>>,
}

/// Reads every interchange in `text`. A broken transaction set is reported in
/// its place and the others are still returned; a broken interchange or group
/// envelope is an error for the whole interchange.
pub fn read_interchanges(text: &str) -> Result<Vec<Interchange<'_>>, X12Error> {
    let delimiters = Delimiters::from_isa(text)?;
    let all = segments(text, &delimiters);
    let mut interchanges = Vec::new();
    let mut rest: &[Segment<'_>] = &all;
    while let Some((isa, after)) = rest.split_first() {
        if isa.id != "ISA" {
            return Err(X12Error::at(isa, None, "expected ISA to start an interchange"));
        }
        let Some(end) = after.iter().position(|s| s.id == "IEA") else {
            return Err(X12Error::at(isa, None, "the interchange has no IEA trailer"));
        };
        let (inner, tail) = after.split_at(end);
        let Some((iea, next)) = tail.split_first() else {
            return Err(X12Error::at(isa, None, "the interchange has no IEA trailer"));
        };
        let groups = read_groups(inner, isa)?;
        check_count(iea, 1, groups.len(), "functional groups")?;
        check_control(iea, 2, isa, 13)?;
        interchanges.push(Interchange { delimiters, header: isa.clone(), groups });
        rest = next;
    }
    Ok(interchanges)
}

fn read_groups<'a>(mut rest: &[Segment<'a>], isa: &Segment<'a>) -> Result<Vec<FunctionalGroup<'a>>, X12Error> {
    let mut groups = Vec::new();
    while let Some((gs, after)) = rest.split_first() {
        if gs.id != "GS" {
            return Err(X12Error::at(gs, None, "expected GS to start a functional group"));
        }
        let Some(end) = after.iter().position(|s| s.id == "GE") else {
            return Err(X12Error::at(gs, None, "the functional group has no GE trailer"));
        };
        let (inner, tail) = after.split_at(end);
        let Some((ge, next)) = tail.split_first() else {
            return Err(X12Error::at(isa, None, "the functional group has no GE trailer"));
        };
        let transactions = read_transactions(inner)?;
        check_count(ge, 1, transactions.len(), "transaction sets")?;
        check_control(ge, 2, gs, 6)?;
        groups.push(FunctionalGroup { header: gs.clone(), transactions });
        rest = next;
    }
    Ok(groups)
}

fn read_transactions<'a>(mut rest: &[Segment<'a>]) -> Result<Vec<Result<TransactionSet<'a>, X12Error>>, X12Error> {
    let mut transactions = Vec::new();
    while let Some((st, after)) = rest.split_first() {
        if st.id != "ST" {
            return Err(X12Error::at(st, None, "expected ST to start a transaction set"));
        }
        let Some(end) = after.iter().position(|s| s.id == "SE") else {
            return Err(X12Error::at(st, None, "the transaction set has no SE trailer"));
        };
        let (body, tail) = after.split_at(end);
        let Some((se, next)) = tail.split_first() else {
            return Err(X12Error::at(st, None, "the transaction set has no SE trailer"));
        };
        // SE01 counts the segments from ST to SE, both included.
        let checked = check_count(se, 1, body.len() + 2, "segments from ST to SE")
            .and_then(|()| check_control(se, 2, st, 2))
            .map(|()| TransactionSet { header: st.clone(), body: body.to_vec() });
        transactions.push(checked);
        rest = next;
    }
    Ok(transactions)
}

fn check_count(trailer: &Segment<'_>, element: usize, actual: usize, what: &str) -> Result<(), X12Error> {
    let written = trailer.element(element);
    match written.trim().parse::<usize>() {
        Ok(count) if count == actual => Ok(()),
        Ok(count) => Err(X12Error::at(trailer, Some(element), format!("says {count} {what}, but there are {actual}"))),
        Err(_) => Err(X12Error::at(trailer, Some(element), format!("`{written}` is not a count of {what}"))),
    }
}

fn check_control(
    trailer: &Segment<'_>,
    element: usize,
    header: &Segment<'_>,
    header_element: usize,
) -> Result<(), X12Error> {
    let (trailer_value, header_value) = (trailer.element(element).trim(), header.element(header_element).trim());
    if trailer_value == header_value {
        return Ok(());
    }
    Err(X12Error::at(
        trailer,
        Some(element),
        format!(
            "control number `{trailer_value}` does not match {}{header_element:02} `{header_value}` (segment {})",
            header.id, header.position
        ),
    ))
}
