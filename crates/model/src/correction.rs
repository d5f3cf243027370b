//! Applying a claim's automatic fixes, as `payrules fix` does before it writes
//! the corrected claim back in the format it came in.
//!
//! A fix a person must confirm ([`Applicability::NeedsReview`]) is never
//! applied; neither is one that conflicts with another fix or cannot be carried
//! out on this claim. Each is returned with the reason, so it stays a finding.

use std::collections::BTreeMap;

use crate::claim::{Claim, ServiceLine, TreatmentMinutes};
use crate::codes::{Modifier, ProcedureCode, UnitBasis, code_info};
use crate::finding::{AddedLine, Applicability, Fix, FixAction};
use crate::money::Money;

/// A fix that was not applied, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnappliedFix {
    /// The fix.
    pub fix: Fix,
    /// Why it was left for a person.
    pub reason: String,
}

/// The claim with its automatic fixes applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrectedClaim {
    /// The corrected claim. Lines keep their numbers; an added line takes the
    /// next free number and stands right after the line it was added beside.
    pub claim: Claim,
    /// The fixes applied, in the order given.
    pub applied: Vec<Fix>,
    /// The fixes left for a person.
    pub unapplied: Vec<UnappliedFix>,
}

impl CorrectedClaim {
    /// Whether any fix changed the claim.
    pub fn changed(&self) -> bool {
        !self.applied.is_empty()
    }
}

/// The line's charge for `units` at the line's own rate per unit.
fn charge_for(line: &ServiceLine, units: u32) -> Option<Money> {
    if line.units == 0 {
        return None;
    }
    line.charge.scale(i64::from(units), i64::from(line.units))
}

/// Applies every automatic fix in `fixes` to `claim`. Charges follow units at
/// the line's billed rate per unit, so the claim total stays the sum of lines.
pub fn apply_fixes(claim: &Claim, fixes: &[Fix]) -> CorrectedClaim {
    let mut applied = Vec::new();
    let mut unapplied = Vec::new();
    let leave = |fix: &Fix, reason: &str, unapplied: &mut Vec<UnappliedFix>| {
        unapplied.push(UnappliedFix { fix: fix.clone(), reason: reason.to_owned() });
    };

    // Fixes per line, automatic ones only; a line may carry several.
    let mut by_line: BTreeMap<u32, Vec<&Fix>> = BTreeMap::new();
    for fix in fixes {
        if fix.applicability == Applicability::NeedsReview {
            leave(fix, "needs a person to confirm it against the record", &mut unapplied);
        } else if claim.line(fix.line).is_none() {
            leave(fix, "the claim has no such line", &mut unapplied);
        } else if !by_line.get(&fix.line).is_some_and(|seen| seen.contains(&fix)) {
            by_line.entry(fix.line).or_default().push(fix);
        }
    }

    let removals = by_line.values().filter(|f| f.iter().any(|f| f.action == FixAction::RemoveLine)).count();
    let removes_everything = removals == claim.lines.len();
    let mut next_number = claim.lines.iter().map(|l| l.number).max().unwrap_or(0);
    let mut lines = Vec::with_capacity(claim.lines.len());
    for line in &claim.lines {
        let Some(line_fixes) = by_line.get(&line.number) else {
            lines.push(line.clone());
            continue;
        };
        if line_fixes.iter().any(|f| f.action == FixAction::RemoveLine) {
            for fix in line_fixes {
                if removes_everything {
                    leave(fix, "it would leave the claim without a line", &mut unapplied);
                } else if fix.action == FixAction::RemoveLine {
                    applied.push((*fix).clone());
                } else {
                    leave(fix, "another fix removes the line", &mut unapplied);
                }
            }
            if removes_everything {
                lines.push(line.clone());
            }
            continue;
        }
        let set_units: Vec<u32> = line_fixes
            .iter()
            .filter_map(|f| if let FixAction::SetUnits(u) = f.action { Some(u) } else { None })
            .collect();
        let conflicting_units = set_units.windows(2).any(|pair| pair.first() != pair.get(1));
        let mut corrected = line.clone();
        let mut added = Vec::new();
        for fix in line_fixes {
            let outcome = match &fix.action {
                FixAction::SetUnits(_) if conflicting_units => Err("other fixes set the line to other units"),
                FixAction::SetUnits(units) => set_line_units(&mut corrected, line, *units),
                FixAction::AddModifier(text) => add_modifier(&mut corrected, text),
                FixAction::RemoveModifier(text) => {
                    corrected.modifiers.retain(|m| m != text.as_str());
                    Ok(())
                }
                FixAction::ReplaceCode(code) => ProcedureCode::parse(code)
                    .map(|code| corrected.procedure = code)
                    .map_err(|_| "the replacement is not a procedure code"),
                FixAction::AddLine(new) => {
                    next_number = next_number.saturating_add(1);
                    added_line(&mut corrected, line, new, next_number).map(|l| added.push(l))
                }
                FixAction::RemoveLine => Ok(()),
            };
            match outcome {
                Ok(()) => applied.push((*fix).clone()),
                Err(reason) => leave(fix, reason, &mut unapplied),
            }
        }
        lines.push(corrected);
        lines.extend(added);
    }
    CorrectedClaim { claim: Claim { lines, ..claim.clone() }, applied, unapplied }
}

fn set_line_units(corrected: &mut ServiceLine, original: &ServiceLine, units: u32) -> Result<(), &'static str> {
    if units == 0 {
        return Err("a line cannot be billed for zero units; remove it instead");
    }
    corrected.charge = charge_for(original, units).ok_or("the line has no rate per unit to charge the new units at")?;
    corrected.units = units;
    Ok(())
}

fn add_modifier(line: &mut ServiceLine, text: &str) -> Result<(), &'static str> {
    let modifier = Modifier::parse(text).map_err(|_| "the fix names no valid modifier")?;
    if line.modifiers.contains(&modifier) {
        return Ok(());
    }
    if line.modifiers.len() >= 4 {
        return Err("the line already carries four modifiers");
    }
    line.modifiers.push(modifier);
    Ok(())
}

fn added_line(
    corrected: &mut ServiceLine,
    source: &ServiceLine,
    new: &AddedLine,
    number: u32,
) -> Result<ServiceLine, &'static str> {
    let procedure = ProcedureCode::parse(&new.procedure).map_err(|_| "the added line names no procedure code")?;
    if procedure != source.procedure {
        return Err("the added line's code differs from its line's, so its charge is unknown");
    }
    if new.units == 0 || new.modifiers.len() > 4 {
        return Err("the added line needs one or more units and at most four modifiers");
    }
    let modifiers = new
        .modifiers
        .iter()
        .map(|m| Modifier::parse(m))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "the added line names an invalid modifier")?;
    let charge = charge_for(source, new.units).ok_or("the line has no rate per unit to charge the added line at")?;
    let by_assistant = modifiers.iter().any(|m| m == "CQ" || m == "CO");
    let minutes = split_minutes(corrected, by_assistant, new.units);
    Ok(ServiceLine {
        number,
        date_of_service: source.date_of_service,
        procedure,
        modifiers,
        units: new.units,
        diagnosis_pointers: source.diagnosis_pointers.clone(),
        charge,
        minutes,
        // Time blocks describe the visit as recorded; they stay on the line.
        time_blocks: Vec::new(),
        // The added line is the same service, so the same clinician and place.
        rendering_provider: source.rendering_provider.clone(),
        place_of_service: source.place_of_service.clone(),
    })
}

/// Moves the minutes behind a split-off line of a 15-minute timed code from
/// the line to the new one: up to 15 minutes a unit, taken from the
/// assistant's share for a CQ/CO line and from the therapist's otherwise.
/// This is how a split line is billed correctly (reference TC26: a PTA's 23
/// and a PT's 13 minutes become a CQ line of 15 and a line of 21, 8 of them
/// the PTA's), so the corrected claim checks the same way it was fixed.
fn split_minutes(line: &mut ServiceLine, by_assistant: bool, units: u32) -> Option<TreatmentMinutes> {
    let minutes = line.minutes?;
    if code_info(&line.procedure).map(|info| info.basis) != Some(UnitBasis::Timed15) {
        return None;
    }
    let pool = if by_assistant { minutes.assistant } else { minutes.total.saturating_sub(minutes.assistant) };
    let moved = pool.min(units.saturating_mul(15));
    let moved_assistant = if by_assistant { moved } else { 0 };
    line.minutes = Some(TreatmentMinutes {
        total: minutes.total.saturating_sub(moved),
        assistant: minutes.assistant.saturating_sub(moved_assistant),
    });
    Some(TreatmentMinutes { total: moved, assistant: moved_assistant })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;
    use crate::claim::{ClinicianRole, Patient, Payer, PayerKind, Provider, RenderingProvider};
    use crate::date::Date;

    fn line(number: u32, code: &str, units: u32, charge: &str) -> ServiceLine {
        ServiceLine {
            number,
            date_of_service: "2025-03-10".parse::<Date>().unwrap(),
            procedure: ProcedureCode::parse(code).unwrap(),
            modifiers: vec![Modifier::parse("GP").unwrap()],
            units,
            diagnosis_pointers: vec![1],
            charge: charge.parse().unwrap(),
            minutes: None,
            time_blocks: Vec::new(),
            rendering_provider: None,
            place_of_service: None,
        }
    }

    fn claim(lines: Vec<ServiceLine>) -> Claim {
        Claim {
            id: "C1".to_owned(),
            payer: Payer { id: "MEDICARE".to_owned(), name: "Medicare".to_owned(), kind: PayerKind::Medicare },
            patient: Patient { id: "P1".to_owned(), birth_date: "1950-01-01".parse().unwrap() },
            billing_provider: Provider { npi: "1234567893".to_owned(), name: None },
            rendering_provider: RenderingProvider {
                npi: "1245319599".to_owned(),
                name: None,
                role: ClinicianRole::Therapist,
            },
            place_of_service: "11".to_owned(),
            diagnoses: vec![crate::codes::Diagnosis::parse("M25561").unwrap()],
            lines,
            episode: None,
            participation: crate::claim::Participation::Participating,
            accepts_assignment: true,
        }
    }

    fn fix(line: u32, action: FixAction) -> Fix {
        Fix { line, action, applicability: Applicability::Automatic }
    }

    #[test]
    fn units_move_the_charge_at_the_line_rate() {
        let original = claim(vec![line(1, "97110", 4, "160.00"), line(2, "97140", 1, "45.00")]);
        let fixed = apply_fixes(&original, &[fix(1, FixAction::SetUnits(3))]);
        assert_eq!((fixed.claim.lines[0].units, fixed.claim.lines[0].charge.to_string()), (3, "120.00".to_owned()));
        assert_eq!(fixed.claim.lines[1], original.lines[1]);
        assert_eq!(fixed.applied.len(), 1);
    }

    #[test]
    fn review_fixes_and_conflicts_are_left() {
        let original = claim(vec![line(1, "97110", 4, "160.00")]);
        let review = Fix { applicability: Applicability::NeedsReview, ..fix(1, FixAction::AddModifier("59".into())) };
        let fixed = apply_fixes(
            &original,
            &[review, fix(1, FixAction::SetUnits(3)), fix(1, FixAction::SetUnits(2)), fix(9, FixAction::RemoveLine)],
        );
        assert_eq!(fixed.claim, original);
        assert_eq!(fixed.unapplied.len(), 4);
        assert!(!fixed.changed());
    }

    #[test]
    fn removing_every_line_is_refused_but_one_goes() {
        let original = claim(vec![line(1, "97110", 2, "80.00"), line(2, "97140", 1, "45.00")]);
        let both = apply_fixes(&original, &[fix(1, FixAction::RemoveLine), fix(2, FixAction::RemoveLine)]);
        assert_eq!(both.claim, original);
        let one = apply_fixes(&original, &[fix(2, FixAction::RemoveLine), fix(2, FixAction::SetUnits(1))]);
        assert_eq!(one.claim.lines.len(), 1);
        assert_eq!((one.applied.len(), one.unapplied.len()), (1, 1));
    }

    #[test]
    fn an_added_line_follows_its_source_with_the_next_number() {
        let original = claim(vec![line(1, "97110", 4, "160.00"), line(2, "97140", 1, "45.00")]);
        let added = AddedLine { procedure: "97110".into(), modifiers: vec!["GP".into(), "CQ".into()], units: 1 };
        let fixed =
            apply_fixes(&original, &[fix(1, FixAction::SetUnits(3)), fix(1, FixAction::AddLine(added.clone()))]);
        let numbers: Vec<u32> = fixed.claim.lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [1, 3, 2]);
        assert_eq!(fixed.claim.lines[1].charge.to_string(), "40.00");
        assert!(fixed.claim.lines[1].has_modifier("CQ"));
        let other_code = AddedLine { procedure: "97530".into(), ..added };
        assert_eq!(fixed.claim.lines[0].minutes, None);
        assert_eq!(apply_fixes(&original, &[fix(1, FixAction::AddLine(other_code))]).unapplied.len(), 1);
    }

    #[test]
    fn a_split_assistant_unit_takes_its_minutes_along() {
        // Reference TC26: PTA 23 and PT 13 minutes of 97110 on one line.
        let mut both = line(1, "97110", 2, "90.00");
        both.minutes = Some(TreatmentMinutes { total: 36, assistant: 23 });
        let original = claim(vec![both]);
        let cq = AddedLine { procedure: "97110".into(), modifiers: vec!["GP".into(), "CQ".into()], units: 1 };
        let fixed = apply_fixes(&original, &[fix(1, FixAction::SetUnits(1)), fix(1, FixAction::AddLine(cq))]);
        let minutes: Vec<_> = fixed.claim.lines.iter().map(|l| l.minutes).collect();
        assert_eq!(
            minutes,
            [Some(TreatmentMinutes { total: 21, assistant: 8 }), Some(TreatmentMinutes { total: 15, assistant: 15 })]
        );
    }

    #[test]
    fn modifiers_are_added_once_and_at_most_four() {
        let mut full = line(1, "97110", 1, "40.00");
        full.modifiers = ["GP", "KX", "59", "CQ"].iter().map(|m| Modifier::parse(m).unwrap()).collect();
        let original = claim(vec![full]);
        let fixed = apply_fixes(
            &original,
            &[fix(1, FixAction::AddModifier("GP".into())), fix(1, FixAction::AddModifier("XU".into()))],
        );
        assert_eq!((fixed.applied.len(), fixed.unapplied.len()), (1, 1));
        let removed = apply_fixes(&original, &[fix(1, FixAction::RemoveModifier("59".into()))]);
        assert_eq!(removed.claim.lines[0].modifiers.len(), 3);
    }
}
