//! Services furnished in whole or in part by an assistant: CQ (with GP) and
//! CO (with GO), under the de minimis standard.

use payrules_pdk::model::units::UNIT_MINUTES;
use payrules_pdk::model::{ClinicianRole, Discipline, UnitBasis, code_info};
use payrules_pdk::{AddedLine, Applicability, Claim, Finding, FixAction, ServiceLine, Severity};

use crate::config::Settings;
use crate::rules;
use payrules_pdk::work::LineWork;

/// The assistant modifier that goes with a line's discipline, if any applies.
fn assistant_modifier(line: &ServiceLine) -> Option<&'static str> {
    match line.modifiers.iter().find_map(Discipline::from_modifier)? {
        Discipline::Physical => Some("CQ"),
        Discipline::Occupational => Some("CO"),
        // CQ/CO do not apply to speech-language pathology assistants.
        Discipline::SpeechLanguage => None,
    }
}

/// Whether the line carries CQ or CO.
pub fn has_assistant_modifier(line: &ServiceLine) -> bool {
    line.has_modifier("CQ") || line.has_modifier("CO")
}

/// The assistant's share of the line's minutes is over the de minimis share,
/// or the line was rendered by an assistant (its own 2420A clinician, else
/// the claim's). For a service-based code the share is of the service's
/// total time too: the standard is about minutes, not 15-minute units.
fn over_de_minimis(settings: &Settings, claim: &Claim, line: &ServiceLine) -> Option<bool> {
    if claim.rendering_for(line).role == ClinicianRole::Assistant {
        return Some(true);
    }
    let minutes = line.minutes?;
    // Integer form of assistant / total > de minimis percent.
    let assistant = u64::from(minutes.assistant) * 100;
    Some(assistant > u64::from(minutes.total) * u64::from(settings.assistant_de_minimis_percent))
}

/// Flags a missing CQ/CO, and one that reduces payment for no reason.
pub fn check_assistants(settings: &Settings, claim: &Claim, work: &[LineWork], findings: &mut Vec<Finding>) {
    for (line, state) in claim.lines.iter().zip(work) {
        if state.settled && state.denied {
            continue;
        }
        let Some(modifier) = assistant_modifier(line) else {
            continue;
        };
        let Some(over) = over_de_minimis(settings, claim, line) else {
            continue;
        };
        let share = line.minutes.map_or_else(
            || "rendered by an assistant".to_owned(),
            |m| format!("{} of {} minutes", m.assistant, m.total),
        );
        let present = has_assistant_modifier(line);
        // Where both clinicians furnished a timed code, the unit assignment
        // decides which units are the assistant's; the line-level share
        // decides otherwise, and always for a service-based code, whose one
        // unit cannot be split.
        let timed = code_info(&line.procedure).is_some_and(|info| info.basis == UnitBasis::Timed15);
        let split = if timed { split_units(line, state.correct) } else { None };
        let over = match split {
            Some(split) if split.assistant > 0 && split.therapist > 0 => {
                findings.push(split_finding(line, modifier, split, present));
                continue;
            }
            Some(split) => split.assistant > 0,
            None => over,
        };
        if over && !present {
            findings.push(
                rules::ASSISTANT_MODIFIER.finding(Some(line.number), format!(
                        "an assistant furnished more than {}% of {}, so it needs {modifier}; billing it without {modifier} is an overpayment",
                        settings.assistant_de_minimis_percent, line.procedure
                    ))
                .with_fact("assistant share", share)
                .with_fix(line.number, FixAction::AddModifier(modifier.to_owned()), Applicability::Automatic),
            );
        } else if !over && present {
            findings.push(
                rules::ASSISTANT_UNNEEDED.finding(Some(line.number), format!(
                        "{modifier} cuts payment for {}, but the assistant furnished no more than {}% of it (de minimis)",
                        line.procedure, settings.assistant_de_minimis_percent
                    ))
                .with_fact("assistant share", share)
                .with_fix(line.number, FixAction::RemoveModifier(modifier.to_owned()), Applicability::NeedsReview),
            );
        }
    }
}

/// How one code's units divide between the therapist and the assistant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Split {
    therapist: u32,
    assistant: u32,
}

/// The CY2022 unit assignment for a code both furnished on one visit: each
/// gets the whole 15-minute units of their own minutes, and the units left go
/// one at a time to whoever has more leftover minutes. `None` unless both
/// furnished part of the line.
///
/// Reading taken: a tie in leftover minutes goes to the therapist.
fn split_units(line: &ServiceLine, units: u32) -> Option<Split> {
    let minutes = line.minutes?;
    if units == 0 || minutes.assistant == 0 || minutes.assistant >= minutes.total {
        return None;
    }
    let therapist_minutes = minutes.total - minutes.assistant;
    let mut split = Split { therapist: therapist_minutes / UNIT_MINUTES, assistant: minutes.assistant / UNIT_MINUTES };
    let mut left = (therapist_minutes % UNIT_MINUTES, minutes.assistant % UNIT_MINUTES);
    while split.therapist + split.assistant < units {
        if left.0 >= left.1 {
            split.therapist += 1;
            left.0 = 0;
        } else {
            split.assistant += 1;
            left.1 = 0;
        }
    }
    while split.therapist + split.assistant > units {
        if split.therapist >= split.assistant { split.therapist -= 1 } else { split.assistant -= 1 }
    }
    Some(split)
}

/// A line that mixes a therapist's and an assistant's units must be billed as
/// two lines: the assistant's units with CQ/CO, the therapist's without.
fn split_finding(line: &ServiceLine, modifier: &str, split: Split, present: bool) -> Finding {
    let minutes = line.minutes.unwrap_or(payrules_pdk::model::TreatmentMinutes { total: 0, assistant: 0 });
    let others: Vec<String> =
        line.modifiers.iter().map(|m| m.as_str().to_owned()).filter(|m| m != "CQ" && m != "CO").collect();
    let with_modifier = |mut modifiers: Vec<String>| {
        modifiers.push(modifier.to_owned());
        modifiers
    };
    let (rule, severity, message, keep, added) = if present {
        (
            rules::ASSISTANT_OVER_REDUCED,
            Severity::Warning,
            format!(
                "{modifier} cuts all {} units of {}, but the therapist furnished {} of them",
                split.therapist + split.assistant,
                line.procedure,
                split.therapist
            ),
            split.assistant,
            AddedLine { procedure: line.procedure.to_string(), modifiers: others, units: split.therapist },
        )
    } else {
        (
            rules::ASSISTANT_MODIFIER,
            Severity::Error,
            format!(
                "the assistant furnished {} of the {} units of {}; those need {modifier} on a line of their own",
                split.assistant,
                split.therapist + split.assistant,
                line.procedure
            ),
            split.therapist,
            AddedLine {
                procedure: line.procedure.to_string(),
                modifiers: with_modifier(others),
                units: split.assistant,
            },
        )
    };
    rule.finding_at(severity, Some(line.number), message)
        .with_fact("therapist minutes", minutes.total - minutes.assistant)
        .with_fact("assistant minutes", minutes.assistant)
        .with_fact("units to the therapist", split.therapist)
        .with_fact("units to the assistant", split.assistant)
        .with_fix(line.number, FixAction::SetUnits(keep), Applicability::Automatic)
        .with_fix(line.number, FixAction::AddLine(added), Applicability::Automatic)
}
