//! Writing an 837P back with corrected claims in place.
//!
//! Everything outside the corrected claims is written exactly as it was read.
//! Inside a corrected claim, only what the correction changed is rewritten:
//! SV1's code, modifiers, charge and units; a removed line's whole 2400 loop;
//! an added line, written after the line it was added beside with that
//! line's date. Then the totals that depend on them are recomputed: LX
//! numbers run 1, 2, 3..., CLM02 is the sum of SV102, and SE01 counts the
//! segments again. Interchange and group counts do not change, since no
//! transaction set is added or removed.

use std::borrow::Cow;
use std::collections::BTreeMap;

use payrules_model::{Claim, Money, ServiceLine};

use crate::claims::ClaimRead;
use crate::envelope::Document;
use crate::minutes::{format_line_time, replace_line_time};
use crate::segment::{Delimiters, Segment};

/// Why a corrected claim could not be written back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claim at segment {segment}: {message}")]
pub struct WriteError {
    /// 1-based position of the claim's CLM segment.
    pub segment: usize,
    /// What went wrong.
    pub message: String,
}

/// One 2400 loop: the indices of its segments.
type LineLoop = Vec<usize>;

/// The document's text with each `(read, corrected)` claim written in place
/// of the claim it was read as. Claims not listed are written as they were.
pub fn write_corrected(document: &Document<'_>, corrections: &[(&ClaimRead, &Claim)]) -> Result<String, WriteError> {
    let all = &document.segments;
    let mut replaced: BTreeMap<usize, (usize, Delimiters, Vec<Cow<'_, str>>)> = BTreeMap::new();
    for (read, claim) in corrections {
        // A claim is written with the delimiters of the interchange it is in.
        let delimiters = all.get(read.span.start).map_or(document.delimiters, |s| s.delimiters);
        let segments = rewrite_claim(all, &delimiters, read, claim)?;
        replaced.insert(read.span.start, (read.span.end, delimiters, segments));
    }

    // Each segment goes out with its own interchange's terminator.
    let mut out: Vec<(Cow<'_, str>, char)> = Vec::with_capacity(all.len());
    let mut transaction_start = None;
    let mut index = 0;
    while let Some(segment) = all.get(index) {
        if let Some((end, delimiters, segments)) = replaced.remove(&index) {
            out.extend(segments.into_iter().map(|s| (s, delimiters.segment)));
            index = end.max(index.saturating_add(1));
            continue;
        }
        let terminator = segment.delimiters.segment;
        match segment.id {
            "ST" => {
                transaction_start = Some(out.len());
                out.push((Cow::Borrowed(segment.raw), terminator));
            }
            "SE" => {
                let count = transaction_start.map_or(0, |start| out.len().saturating_sub(start)).saturating_add(1);
                let mut elements: Vec<Cow<'_, str>> = segment.elements().map(Cow::Borrowed).collect();
                if let Some(first) = elements.first_mut() {
                    *first = Cow::Owned(count.to_string());
                }
                out.push((Cow::Owned(join(segment.id, &elements, &segment.delimiters)), terminator));
                transaction_start = None;
            }
            _ => out.push((Cow::Borrowed(segment.raw), terminator)),
        }
        index = index.saturating_add(1);
    }
    let mut text = String::with_capacity(out.iter().map(|(s, _)| s.len() + 2).sum());
    for (segment, terminator) in out {
        text.push_str(&segment);
        text.push(terminator);
        // An interchange that ends its segments with a line break needs no other.
        if terminator != '\n' {
            text.push_str(document.line_break);
        }
    }
    Ok(text)
}

/// A segment's text from its id and elements; X12 drops empty trailing elements.
pub(crate) fn join<S: AsRef<str>>(id: &str, elements: &[S], delimiters: &Delimiters) -> String {
    let mut text = id.to_owned();
    for element in elements {
        text.push(delimiters.element);
        text.push_str(element.as_ref());
    }
    while text.ends_with(delimiters.element) {
        text.pop();
    }
    text
}

fn set_element<'a>(segment: &Segment<'a>, updates: &[(usize, String)], delimiters: &Delimiters) -> String {
    let mut elements: Vec<Cow<'a, str>> = segment.elements().map(Cow::Borrowed).collect();
    for (position, value) in updates {
        let index = position.saturating_sub(1);
        while elements.len() <= index {
            elements.push(Cow::Borrowed(""));
        }
        if let Some(slot) = elements.get_mut(index) {
            *slot = Cow::Owned(value.clone());
        }
    }
    join(segment.id, &elements, delimiters)
}

/// An amount as X12 writes decimals: no trailing zeros after the point.
pub(crate) fn x12_amount(amount: Money) -> String {
    let text = amount.to_string();
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn rewrite_claim<'a>(
    all: &[Segment<'a>],
    delimiters: &Delimiters,
    read: &ClaimRead,
    corrected: &Claim,
) -> Result<Vec<Cow<'a, str>>, WriteError> {
    let error = |message: &str| WriteError { segment: read.segment, message: message.to_owned() };
    let original = read.claim.as_ref().map_err(|_| error("a claim that could not be read cannot be corrected"))?;
    let span: Vec<usize> = read.span.clone().collect();
    let first_lx = span.iter().position(|i| all.get(*i).is_some_and(|s| s.id == "LX")).unwrap_or(span.len());
    let (header, body) = span.split_at(first_lx);
    let mut loops: Vec<LineLoop> = Vec::new();
    for index in body {
        if all.get(*index).is_some_and(|s| s.id == "LX") || loops.is_empty() {
            loops.push(Vec::new());
        }
        if let Some(current) = loops.last_mut() {
            current.push(*index);
        }
    }
    if loops.len() != original.lines.len() {
        return Err(error("the claim's 2400 loops do not match its lines"));
    }
    let by_number: BTreeMap<u32, (&ServiceLine, &LineLoop)> =
        original.lines.iter().zip(&loops).map(|(line, segments)| (line.number, (line, segments))).collect();

    let total = corrected
        .lines
        .iter()
        .try_fold(Money::ZERO, |sum, line| sum.checked_add(line.charge))
        .ok_or_else(|| error("the line charges add up to more than can be written"))?;
    let mut out: Vec<Cow<'a, str>> = Vec::new();
    for index in header {
        let Some(segment) = all.get(*index) else { continue };
        if segment.id == "CLM" && segment.element(2).parse::<Money>().ok() != Some(total) {
            out.push(Cow::Owned(set_element(segment, &[(2, x12_amount(total))], delimiters)));
        } else {
            out.push(Cow::Borrowed(segment.raw));
        }
    }
    let mut source: Option<(&ServiceLine, &LineLoop)> = None;
    for (position, line) in corrected.lines.iter().enumerate() {
        let (was, segments, added) = match by_number.get(&line.number) {
            Some(found) => (found.0, found.1, false),
            None => {
                let found = source.ok_or_else(|| error("an added line must follow the line it was added beside"))?;
                (found.0, found.1, true)
            }
        };
        if !added {
            source = Some((was, segments));
        }
        // An added line is the same service by the same clinician: it keeps
        // its source's 2420A rendering provider, which follows the note.
        let mut rendering: Vec<Cow<'a, str>> = Vec::new();
        let mut in_rendering = false;
        for index in segments {
            let Some(segment) = all.get(*index) else { continue };
            if added {
                in_rendering = match segment.id {
                    "NM1" => segment.element(1) == "82",
                    "PRV" | "REF" => in_rendering,
                    _ => false,
                };
                if in_rendering {
                    rendering.push(Cow::Borrowed(segment.raw));
                    continue;
                }
            }
            match segment.id {
                "LX" => out.push(Cow::Owned(set_element(segment, &[(1, (position + 1).to_string())], delimiters))),
                "SV1" if added || service_changed(was, line) => {
                    out.push(Cow::Owned(set_element(segment, &service_elements(line, delimiters), delimiters)));
                }
                "SV1" => out.push(Cow::Borrowed(segment.raw)),
                // An added line takes its source's date and nothing else: line
                // control numbers and notes belong to the source.
                "DTP" if added && segment.element(1) == "472" => out.push(Cow::Borrowed(segment.raw)),
                _ if added => {}
                "NTE" if was.minutes != line.minutes || was.time_blocks != line.time_blocks => {
                    let note = replace_line_time(segment.element(2), line.minutes, &line.time_blocks);
                    out.push(Cow::Owned(set_element(segment, &[(2, note)], delimiters)));
                }
                _ => out.push(Cow::Borrowed(segment.raw)),
            }
        }
        if added && let Some(note) = format_line_time(line.minutes, &line.time_blocks) {
            out.push(Cow::Owned(join("NTE", &[Cow::Borrowed("ADD"), Cow::Owned(note)], delimiters)));
        }
        out.append(&mut rendering);
    }
    Ok(out)
}

fn service_changed(was: &ServiceLine, now: &ServiceLine) -> bool {
    was.procedure != now.procedure
        || was.modifiers != now.modifiers
        || was.units != now.units
        || was.charge != now.charge
}

fn service_elements(line: &ServiceLine, delimiters: &Delimiters) -> Vec<(usize, String)> {
    let mut composite = format!("HC{}{}", delimiters.component, line.procedure);
    for modifier in &line.modifiers {
        composite.push(delimiters.component);
        composite.push_str(modifier.as_str());
    }
    vec![(1, composite), (2, x12_amount(line.charge)), (4, line.units.to_string())]
}
