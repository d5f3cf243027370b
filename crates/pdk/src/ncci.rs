//! NCCI edits from the host's reference tables: procedure-to-procedure pairs,
//! one evaluation per discipline per date, and medically unlikely edits. Shared by every
//! policy that applies NCCI (Medicare, Medicaid), each under its own rule ids.

use std::collections::BTreeSet;

use crate::rule::{Denials, Rule};
use crate::work::LineWork;
use crate::{
    Applicability, Claim, DataUnavailable, Date, Finding, FixAction, ModifierIndicator, MueAdjudication, ReferenceData,
    ServiceLine,
};

/// The rules a policy reports NCCI findings under, and its denials.
pub struct NcciRules<'a> {
    /// A column 2 code denied under a PTP edit.
    pub ptp: Rule,
    /// 59 or X{EPSU} for a service in the same time block.
    pub same_block: Rule,
    /// A second evaluation or re-evaluation of one discipline on a date.
    pub one_evaluation: Rule,
    /// The code families of which one code is paid per date.
    pub evaluation_families: &'a [EvaluationFamily],
    /// Units over an MUE.
    pub mue: Rule,
    /// The tables are not granted or do not cover the date.
    pub unavailable: Rule,
    /// How the payer reports each rule's denial.
    pub denials: &'a Denials,
}

/// Modifiers that may bypass an edit whose indicator is 1.
const BYPASS_MODIFIERS: &[&str] = &["59", "XE", "XS", "XP", "XU"];
/// One discipline's evaluation and re-evaluation codes, mutually exclusive
/// on a date of service: only one of them is paid per date.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationFamily {
    /// The discipline, as findings name it, e.g. `PT`.
    pub discipline: String,
    /// The family's codes.
    pub codes: Vec<crate::model::ProcedureCode>,
}

/// The families every NCCI policy knows: PT's evaluations 97161-97163 and
/// re-evaluation 97164, and OT's 97165-97167 and 97168 (NCCI Policy Manual
/// ch. XI; the CPT evaluation codes since 2017). A rule set can add others,
/// such as speech-language pathology's, under `evaluation_families`.
pub fn default_evaluation_families() -> Vec<EvaluationFamily> {
    let family = |discipline: &str, codes: &[&str]| EvaluationFamily {
        discipline: discipline.to_owned(),
        codes: codes.iter().filter_map(|c| crate::model::ProcedureCode::parse(c).ok()).collect(),
    };
    vec![family("PT", &["97161", "97162", "97163", "97164"]), family("OT", &["97165", "97166", "97167", "97168"])]
}

/// Applies the edits to each date of service on the claim.
pub fn check_edits(
    rules: &NcciRules<'_>,
    claim: &Claim,
    data: &dyn ReferenceData,
    work: &mut [LineWork],
    findings: &mut Vec<Finding>,
) {
    let dates: BTreeSet<Date> = claim.lines.iter().map(|l| l.date_of_service).collect();
    let mut unavailable: BTreeSet<(&'static str, String)> = BTreeSet::new();
    for date in dates {
        let billed: Vec<usize> = claim
            .lines
            .iter()
            .zip(work.iter())
            .enumerate()
            .filter(|(_, (line, state))| line.date_of_service == date && line.units > 0 && !state.denied)
            .map(|(index, _)| index)
            .collect();
        check_one_evaluation(rules, claim, &billed, work, findings);
        let codes: Vec<&str> =
            billed.iter().filter_map(|i| claim.lines.get(*i)).map(|l| l.procedure.as_str()).collect();
        match data.ptp_edits(&codes, date) {
            Ok(edits) => {
                for edit in edits {
                    check_pair(rules, claim, &billed, &edit, work, findings);
                }
            }
            Err(why) => {
                unavailable.insert(("NCCI procedure-to-procedure edits", reason(why)));
            }
        }
        match data.mue_limits(&codes, date) {
            Ok(limits) => {
                for limit in limits {
                    check_mue(rules, claim, &billed, &limit, work, findings);
                }
            }
            Err(why) => {
                unavailable.insert(("medically unlikely edits", reason(why)));
            }
        }
    }
    for (table, why) in unavailable {
        findings.push(rules.unavailable.finding(None, format!("{table} were not checked: {why}")));
    }
}

fn reason(why: DataUnavailable) -> String {
    why.to_string()
}

fn has_bypass(line: &ServiceLine) -> Option<&'static str> {
    BYPASS_MODIFIERS.iter().copied().find(|m| line.has_modifier(m))
}

fn check_pair(
    rules: &NcciRules<'_>,
    claim: &Claim,
    billed: &[usize],
    edit: &crate::PtpEdit,
    work: &mut [LineWork],
    findings: &mut Vec<Finding>,
) {
    if edit.modifier_indicator == ModifierIndicator::NotApplicable {
        return;
    }
    let lines_of = |code: &str| -> Vec<usize> {
        billed.iter().copied().filter(|i| claim.lines.get(*i).is_some_and(|l| l.procedure == code)).collect()
    };
    let Some(first_col_one) = lines_of(&edit.column_one).first().and_then(|i| claim.lines.get(*i)) else {
        return;
    };
    for index in lines_of(&edit.column_two) {
        let (Some(line), Some(state)) = (claim.lines.get(index), work.get_mut(index)) else {
            continue;
        };
        let blocks = first_col_one.shares_time_with(line);
        let evidence = |finding: Finding| {
            finding
                .with_fact("column 1", format!("{} (line {})", edit.column_one, first_col_one.number))
                .with_fact("column 2", format!("{} (line {})", edit.column_two, line.number))
                .with_fact("modifier indicator", indicator(edit.modifier_indicator))
                .with_fact("edit effective", edit.effective)
                .with_fact("rationale", &edit.rationale)
        };
        let bypass = has_bypass(line);
        match (edit.modifier_indicator, bypass) {
            (ModifierIndicator::Allowed, Some(modifier)) => {
                if blocks == Some(true) {
                    // CMS's modifier-59 example: not for the same time block.
                    findings.push(
                        evidence(rules.same_block.finding(Some(line.number), format!(
                                "{modifier} on {} claims a distinct service, but its time overlaps {}'s: it should not be reported for the same time block",
                                line.procedure, edit.column_one
                            )))
                        .with_fix(line.number, FixAction::RemoveLine, Applicability::NeedsReview),
                    );
                }
            }
            (ModifierIndicator::Allowed, None) => {
                state.deny();
                let mut finding = evidence(rules.ptp.finding(Some(line.number), format!(
                        "{} is column 2 to {} under an NCCI edit: it is denied unless 59 or XE/XS/XP/XU shows a distinct service",
                        line.procedure, edit.column_one
                    )))
                .with_denial(rules.denials.of(&rules.ptp));
                finding = match blocks {
                    // Separate recorded blocks support the modifier.
                    Some(false) => {
                        finding.with_fix(line.number, FixAction::AddModifier("59".to_owned()), Applicability::Automatic)
                    }
                    Some(true) => finding.with_fix(line.number, FixAction::RemoveLine, Applicability::NeedsReview),
                    None => finding.with_fix(
                        line.number,
                        FixAction::AddModifier("59".to_owned()),
                        Applicability::NeedsReview,
                    ),
                };
                findings.push(finding);
            }
            (ModifierIndicator::NotAllowed, _) => {
                state.deny();
                findings.push(
                    evidence(rules.ptp.finding(
                        Some(line.number),
                        format!(
                            "{} is column 2 to {} under an NCCI edit that no modifier bypasses: only {} is paid",
                            line.procedure, edit.column_one, edit.column_one
                        ),
                    ))
                    .with_denial(rules.denials.of(&rules.ptp))
                    .with_fix(line.number, FixAction::RemoveLine, Applicability::Automatic),
                );
            }
            (ModifierIndicator::NotApplicable, _) => {}
        }
    }
}

fn indicator(value: ModifierIndicator) -> &'static str {
    match value {
        ModifierIndicator::NotAllowed => "0 (no modifier bypasses it)",
        ModifierIndicator::Allowed => "1 (an NCCI-associated modifier may bypass it)",
        ModifierIndicator::NotApplicable => "9 (not applicable)",
    }
}

/// Only one evaluation or re-evaluation of each discipline per date of service.
fn check_one_evaluation(
    rules: &NcciRules<'_>,
    claim: &Claim,
    billed: &[usize],
    work: &mut [LineWork],
    findings: &mut Vec<Finding>,
) {
    for family in rules.evaluation_families {
        let evaluations: Vec<usize> = billed
            .iter()
            .copied()
            .filter(|i| claim.lines.get(*i).is_some_and(|l| family.codes.contains(&l.procedure)))
            .collect();
        let Some((first, rest)) = evaluations.split_first() else {
            continue;
        };
        let Some(kept) = claim.lines.get(*first) else {
            continue;
        };
        for index in rest {
            let (Some(line), Some(state)) = (claim.lines.get(*index), work.get_mut(*index)) else {
                continue;
            };
            state.deny();
            findings.push(
                rules.one_evaluation.finding(Some(line.number), format!(
                        "{} is a second {} evaluation or re-evaluation on {}; only one ({} on line {}) is paid per date",
                        line.procedure, family.discipline, line.date_of_service, kept.procedure, kept.number
                    ))
                .with_fact("discipline", &family.discipline)
                .with_denial(rules.denials.of(&rules.one_evaluation))
                .with_fix(line.number, FixAction::RemoveLine, Applicability::Automatic),
            );
        }
    }
}

/// Units over a medically unlikely edit deny the whole line (MAI 1), or every
/// line of the code that day (MAI 2 and 3).
fn check_mue(
    rules: &NcciRules<'_>,
    claim: &Claim,
    billed: &[usize],
    limit: &crate::MueLimit,
    work: &mut [LineWork],
    findings: &mut Vec<Finding>,
) {
    let lines: Vec<usize> = billed
        .iter()
        .copied()
        .filter(|i| claim.lines.get(*i).is_some_and(|l| l.procedure == limit.code.as_str()))
        .collect();
    let groups: Vec<Vec<usize>> = match limit.adjudication {
        MueAdjudication::Line => lines.iter().map(|i| vec![*i]).collect(),
        MueAdjudication::DateOfServicePolicy | MueAdjudication::DateOfServiceClinical => vec![lines],
    };
    let mai = match limit.adjudication {
        MueAdjudication::Line => "1 (per line)",
        MueAdjudication::DateOfServicePolicy => "2 (per date of service, policy; cannot be overridden)",
        MueAdjudication::DateOfServiceClinical => "3 (per date of service, clinical; appealable with records)",
    };
    for group in groups {
        let units: u32 = group.iter().filter_map(|i| claim.lines.get(*i)).map(|l| l.units).sum();
        if units <= limit.units {
            continue;
        }
        let mut left = limit.units;
        for index in group {
            let (Some(line), Some(state)) = (claim.lines.get(index), work.get_mut(index)) else {
                continue;
            };
            state.deny();
            let keep = line.units.min(left);
            left -= keep;
            let action = if keep == 0 { FixAction::RemoveLine } else { FixAction::SetUnits(keep) };
            findings.push(
                rules.mue.finding(Some(line.number), format!(
                        "{units} units of {} on {} exceed its medically unlikely edit of {}: the whole line is denied, and an ABN does not shift the liability",
                        line.procedure, line.date_of_service, limit.units
                    ))
                .with_fact("units billed", units)
                .with_fact("MUE", limit.units)
                .with_fact("adjudication indicator", mai)
                .with_denial(rules.denials.of(&rules.mue))
                .with_fix(line.number, action, Applicability::Automatic),
            );
        }
    }
}
