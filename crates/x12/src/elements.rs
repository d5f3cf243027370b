//! Reading single elements and the SV1 and DTP*472 of a service line, each
//! problem located at its segment, element and component.

use payrules_model::{Date, Modifier, Money, PayerKind, ProcedureCode};

use crate::X12Error;
use crate::segment::{Delimiters, Segment};

pub(crate) fn date_d8(segment: &Segment<'_>, element: usize) -> Result<Date, X12Error> {
    date_text(segment, element, segment.element(element))
}

/// A CCYYMMDD date written in `element` of `segment`.
pub(crate) fn date_text(segment: &Segment<'_>, element: usize, text: &str) -> Result<Date, X12Error> {
    Date::from_compact(text)
        .ok_or_else(|| X12Error::at(segment, Some(element), format!("`{text}` is not a date (CCYYMMDD)")))
}

pub(crate) fn money(segment: &Segment<'_>, element: usize) -> Result<Money, X12Error> {
    let text = segment.element(element);
    text.parse::<Money>().ok().filter(|m| *m >= Money::ZERO && !text.starts_with('$')).ok_or_else(|| {
        X12Error::at(segment, Some(element), format!("`{text}` is not an amount in dollars, e.g. `160` or `42.50`"))
    })
}

/// A quantity of whole units, written as X12 writes decimals (`4`, `4.00`).
pub(crate) fn whole_units(segment: &Segment<'_>, element: usize) -> Result<u32, X12Error> {
    let text = segment.element(element);
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return Err(X12Error::at(segment, Some(element), format!("`{text}` is not a quantity of units")));
    }
    if fraction.bytes().any(|b| b != b'0') {
        return Err(X12Error::at(
            segment,
            Some(element),
            format!("`{text}` is a fraction of a unit; therapy codes are billed in whole units"),
        ));
    }
    whole.parse().map_err(|_| X12Error::at(segment, Some(element), format!("`{text}` units is too many")))
}

pub(crate) fn payer_kind(filing_indicator: &str) -> Option<PayerKind> {
    Some(match filing_indicator {
        "" => return None,
        "MA" | "MB" => PayerKind::Medicare,
        "MC" => PayerKind::Medicaid,
        "WC" => PayerKind::WorkersComp,
        "09" => PayerKind::SelfPay,
        // Commercial, BCBS, HMO, PPO, Medicare Advantage (16), federal and other plans.
        _ => PayerKind::Commercial,
    })
}

pub(crate) fn person_name(segment: &Segment<'_>) -> Option<String> {
    let parts: Vec<&str> = [4, 3].iter().map(|e| segment.element(*e).trim()).filter(|p| !p.is_empty()).collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}
/// A service line's SV1: code, modifiers, charge, units, pointers, the SV1's
/// position, and the line's own place of service (SV105) when it is not the claim's.
pub(crate) type Service = (ProcedureCode, Vec<Modifier>, Money, u32, Vec<u8>, usize, Option<String>);

pub(crate) fn read_service(
    segment: &Segment<'_>,
    delimiters: &Delimiters,
    place_of_service: &str,
) -> Result<Service, Vec<X12Error>> {
    let mut problems = Vec::new();
    let qualifier = segment.component(1, 1, delimiters);
    if qualifier != "HC" {
        problems.push(X12Error::at_component(
            segment,
            1,
            1,
            format!(
                "`{qualifier}` is not the HCPCS/CPT qualifier `HC`; SV101 is a composite split on `{}`, the component separator ISA16 declares",
                delimiters.component
            ),
        ));
    }
    let procedure = ProcedureCode::parse(segment.component(1, 2, delimiters))
        .map_err(|error| problems.push(X12Error::at_component(segment, 1, 2, error.to_string())))
        .ok();
    let mut modifiers = Vec::new();
    for (offset, text) in segment.components(1, delimiters).skip(2).enumerate() {
        if text.is_empty() {
            continue;
        }
        match Modifier::parse(text) {
            Ok(modifier) => modifiers.push(modifier),
            Err(error) => problems.push(X12Error::at_component(segment, 1, offset + 3, error.to_string())),
        }
    }
    let charge = money(segment, 2).map_err(|error| problems.push(error)).ok();
    match segment.element(3) {
        "UN" => {}
        "MJ" => problems.push(X12Error::at(
            segment,
            Some(3),
            "the line is billed in minutes (MJ); therapy codes are billed in units (UN), with minutes in the line note (MIN=)",
        )),
        other => problems.push(X12Error::at(segment, Some(3), format!("`{other}` is not a unit basis; expected UN"))),
    }
    let units = whole_units(segment, 4).map_err(|error| problems.push(error)).ok();
    // SV105 is sent only where the line's place differs from CLM05's; the
    // model checks that it is a place-of-service code.
    let line_place = segment.element(5);
    let line_place = (!line_place.is_empty() && line_place != place_of_service).then(|| line_place.to_owned());
    let mut pointers = Vec::new();
    for (offset, text) in segment.components(7, delimiters).enumerate() {
        match text.parse::<u8>() {
            Ok(pointer) if (1..=12).contains(&pointer) => pointers.push(pointer),
            _ => problems.push(X12Error::at_component(
                segment,
                7,
                offset + 1,
                format!("`{text}` is not a diagnosis pointer (1 to 12)"),
            )),
        }
    }
    match (procedure, charge, units) {
        (Some(procedure), Some(charge), Some(units)) if problems.is_empty() => {
            Ok((procedure, modifiers, charge, units, pointers, segment.position, line_place))
        }
        _ => Err(problems),
    }
}

pub(crate) fn service_date(segment: &Segment<'_>) -> Result<Date, X12Error> {
    match segment.element(2) {
        "D8" => date_d8(segment, 3),
        "RD8" => {
            let text = segment.element(3);
            let (start, end) = text.split_once('-').unwrap_or((text, ""));
            if start == end && !start.is_empty() {
                return date_text(segment, 3, start);
            }
            Err(X12Error::at(
                segment,
                Some(3),
                format!("`{text}` is a range of dates; payrules checks each date of service on its own line (D8)"),
            ))
        }
        other => Err(X12Error::at(segment, Some(2), format!("`{other}` is not a date format; expected D8"))),
    }
}
