//! Code-level rules: therapy modifiers, bundled codes, codes Medicare does not recognise.

use payrules_pdk::model::{Discipline, code_info};
use payrules_pdk::{Applicability, Claim, Finding, FixAction, ServiceLine};

use crate::config::Settings;
use crate::rules;
use payrules_pdk::work::LineWork;

/// Checks each line's code and modifiers on its own.
pub fn check_codes(settings: &Settings, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
    let discipline = claim_discipline(claim);
    for (line, state) in claim.lines.iter().zip(work.iter_mut()) {
        if let Some(replacement) = settings.replaced_codes.get(&line.procedure) {
            state.deny();
            state.settle(1);
            findings.push(
                rules::CODE_INVALID
                    .finding(
                        Some(line.number),
                        format!("Medicare does not recognise {}; bill {replacement} instead", line.procedure),
                    )
                    .with_fact("code billed", &line.procedure)
                    .with_fact("code to bill", replacement)
                    .with_denial(settings.denials.of(&rules::CODE_INVALID))
                    .with_fix(line.number, FixAction::ReplaceCode(replacement.to_string()), Applicability::Automatic),
            );
            continue;
        }
        if settings.bundled_codes.contains(&line.procedure) {
            state.deny();
            state.settle(0);
            findings.push(
                rules::BUNDLED.finding(Some(line.number), format!(
                        "{} is bundled (fee schedule status B): Medicare never pays it separately and the patient may not be billed for it",
                        line.procedure
                    ))
                .with_fact("code", &line.procedure)
                .with_denial(settings.denials.of(&rules::BUNDLED))
                .with_fix(line.number, FixAction::RemoveLine, Applicability::Automatic),
            );
            continue;
        }
        let Some(info) = code_info(&line.procedure) else {
            findings.push(
                rules::CODE_UNKNOWN
                    .finding(
                        Some(line.number),
                        format!(
                            "{} is not a therapy code this plugin checks; its units and price were not verified",
                            line.procedure
                        ),
                    )
                    .with_fact("code", &line.procedure),
            );
            state.settled = true;
            continue;
        };
        if info.always_therapy && line_discipline(line).is_none() {
            state.deny();
            let suggested = discipline.unwrap_or(Discipline::Physical).modifier();
            findings.push(
                rules::THERAPY_MODIFIER.finding(Some(line.number), format!(
                        "{} ({}) is an always-therapy code and needs GP, GO or GN to name the plan of care's discipline",
                        line.procedure, info.description
                    ))
                .with_fact("modifiers", modifier_list(line))
                .with_denial(settings.denials.of(&rules::THERAPY_MODIFIER))
                .with_fix(line.number, FixAction::AddModifier(suggested.to_owned()), Applicability::NeedsReview),
            );
        }
    }
}

/// The discipline a line's GP/GO/GN modifier names.
fn line_discipline(line: &ServiceLine) -> Option<Discipline> {
    line.modifiers.iter().find_map(Discipline::from_modifier)
}

/// The discipline the other lines agree on, to suggest for a line without one.
fn claim_discipline(claim: &Claim) -> Option<Discipline> {
    let mut found = claim.lines.iter().filter_map(line_discipline);
    let first = found.next()?;
    found.all(|d| d == first).then_some(first)
}

/// The line's modifiers for evidence, or `none`.
pub fn modifier_list(line: &ServiceLine) -> String {
    if line.modifiers.is_empty() {
        "none".to_owned()
    } else {
        line.modifiers.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" ")
    }
}
