//! One record per 837P claim: the envelopes are checked, each transaction set
//! is confirmed to be a 5010 837P, and its loops are read (see [`crate::loops`]).
//! A claim inside a broken envelope is still reported, with the envelope's error.

use std::ops::Range;

use payrules_model::Claim;

use crate::X12Error;
use crate::envelope::{BrokenEnvelope, Document};
use crate::loops::Walk;
use crate::segment::Segment;

/// The implementation guides payrules reads: the 5010 837P and its errata.
const VERSIONS: [&str; 2] = ["005010X222A1", "005010X222A2"];

/// One claim (2300 CLM loop) read from an 837P.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRead {
    /// CLM01, when the claim could be read that far.
    pub claim_id: Option<String>,
    /// 1-based position of the CLM segment, or of the envelope's first
    /// segment when the envelope around the claim is broken.
    pub segment: usize,
    /// The claim, or every problem found in it.
    pub claim: Result<Claim, Vec<X12Error>>,
    /// Indices of the claim's segments (CLM up to the next CLM, HL or SE).
    pub span: Range<usize>,
}

/// Whether `text` looks like X12: it starts with an ISA segment.
pub fn is_x12(text: &str) -> bool {
    text.trim_start_matches(['\u{feff}', ' ', '\r', '\n', '\t']).starts_with("ISA")
}

/// Reads every claim of every 837P transaction set in `document`, in file
/// order. A claim inside a broken envelope is still listed, with the
/// envelope's error, so no claim in the file goes unreported.
pub fn read_claims(document: &Document<'_>) -> Vec<ClaimRead> {
    let mut reads = Vec::new();
    let all = &document.segments;
    for interchange in &document.interchanges {
        let Some(interchange) = sound(all, interchange, &mut reads) else { continue };
        for group in &interchange.groups {
            let Some(group) = sound(all, group, &mut reads) else { continue };
            for transaction in &group.transactions {
                let Some(transaction) = sound(all, transaction, &mut reads) else { continue };
                let (Some(st), Some(gs)) = (all.get(transaction.header), all.get(group.header)) else { continue };
                let span = transaction.header..transaction.trailer.saturating_add(1);
                if let Err(error) = check_837p(st, gs) {
                    report_broken(all, &BrokenEnvelope { error, span }, &mut reads);
                    continue;
                }
                // The claims are read with their own interchange's delimiters.
                let delimiters = st.delimiters;
                let mut walk = Walk::new(&delimiters);
                for index in transaction.body() {
                    if let Some(segment) = all.get(index) {
                        walk.segment(index, segment);
                    }
                }
                walk.finish_claim(transaction.trailer);
                reads.append(&mut walk.reads);
            }
        }
    }
    reads
}

/// The envelope when it is sound; otherwise its claims are reported broken.
fn sound<'e, T>(
    all: &[Segment<'_>],
    envelope: &'e Result<T, BrokenEnvelope>,
    reads: &mut Vec<ClaimRead>,
) -> Option<&'e T> {
    match envelope {
        Ok(envelope) => Some(envelope),
        Err(broken) => {
            report_broken(all, broken, reads);
            None
        }
    }
}

fn check_837p(st: &Segment<'_>, gs: &Segment<'_>) -> Result<(), X12Error> {
    if st.element(1) != "837" {
        return Err(X12Error::at(st, Some(1), format!("`{}` is not an 837 transaction set", st.element(1))));
    }
    let (segment, element, version) =
        if st.element(3).is_empty() { (gs, 8, gs.element(8)) } else { (st, 3, st.element(3)) };
    if !VERSIONS.contains(&version) {
        return Err(X12Error::at(
            segment,
            Some(element),
            format!("`{version}` is not the 5010 837P; expected {} or {}", VERSIONS[0], VERSIONS[1]),
        ));
    }
    Ok(())
}

/// One record per CLM inside a broken envelope, or one for the envelope when
/// it holds no CLM.
fn report_broken(all: &[Segment<'_>], broken: &BrokenEnvelope, reads: &mut Vec<ClaimRead>) {
    let header = broken.span.start;
    let before = reads.len();
    for index in broken.span.clone() {
        if let Some(clm) = all.get(index).filter(|s| s.id == "CLM") {
            let id = clm.element(1);
            reads.push(ClaimRead {
                claim_id: (!id.is_empty()).then(|| id.to_owned()),
                segment: clm.position,
                claim: Err(vec![broken.error.clone()]),
                span: index..index.saturating_add(1),
            });
        }
    }
    if reads.len() == before {
        reads.push(ClaimRead {
            claim_id: None,
            segment: all.get(header).map_or(header.saturating_add(1), |s| s.position),
            claim: Err(vec![broken.error.clone()]),
            span: broken.span.clone(),
        });
    }
}
