//! Services furnished in whole or in part by an assistant: CQ (with GP) and
//! CO (with GO), under the de minimis standard.

use payrules_pdk::model::{ClinicianRole, Discipline};
use payrules_pdk::{Applicability, Claim, Finding, FixAction, ServiceLine, Severity};

use crate::config::Settings;
use crate::rules;
use crate::work::LineWork;

const CITATION: &str = "CMS CQ/CO billing examples; SSA 1834(v); CY2020 PFS de minimis standard";

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
/// or the whole claim was rendered by an assistant.
fn over_de_minimis(settings: &Settings, claim: &Claim, line: &ServiceLine) -> Option<bool> {
    if claim.rendering_provider.role == ClinicianRole::Assistant {
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
        if over && !present {
            findings.push(
                Finding::new(
                    rules::ASSISTANT_MODIFIER,
                    Severity::Error,
                    Some(line.number),
                    format!(
                        "an assistant furnished more than {}% of {}, so it needs {modifier}; billing it without {modifier} is an overpayment",
                        settings.assistant_de_minimis_percent, line.procedure
                    ),
                    CITATION,
                )
                .with_fact("assistant share", share)
                .with_fix(line.number, FixAction::AddModifier(modifier.to_owned()), Applicability::Automatic),
            );
        } else if !over && present {
            findings.push(
                Finding::new(
                    rules::ASSISTANT_UNNEEDED,
                    Severity::Info,
                    Some(line.number),
                    format!(
                        "{modifier} cuts payment for {}, but the assistant furnished no more than {}% of it (de minimis)",
                        line.procedure, settings.assistant_de_minimis_percent
                    ),
                    CITATION,
                )
                .with_fact("assistant share", share)
                .with_fix(line.number, FixAction::RemoveModifier(modifier.to_owned()), Applicability::NeedsReview),
            );
        }
    }
}
