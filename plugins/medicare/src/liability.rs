//! Who pays for a line Medicare does not: the liability modifiers.
//!
//! - GY: the service is statutorily excluded, or not a Medicare benefit. The
//!   line is denied and the patient is liable; no ABN is needed.
//! - GZ: the provider expects a medical-necessity denial and gave no ABN.
//!   Since 2011-07-01 such lines are denied automatically, provider liable
//!   (CO-50, MM7228).
//! - GA: an ABN is on file. It denies nothing; it moves a medical-necessity
//!   denial of the line (over the therapy threshold without KX, say) from the
//!   provider to the patient: see [`medical_necessity`].
//!
//! GA with GZ says both that an ABN was and was not given, and KX (the
//! services are medically necessary) with GA (they may not be) contradicts
//! itself too: either pair makes the line unprocessable (CMS 100-04 ch.1 60).

use payrules_pdk::pipeline::Evaluation;
use payrules_pdk::{AdjustmentGroup, Applicability, Denial, FixAction, ServiceLine};

use crate::config::Settings;
use crate::rules;

/// A medical-necessity denial of `line` as configured, with the patient
/// liable (PR) when GA says an ABN is on file and the provider (CO) otherwise.
pub fn medical_necessity(line: &ServiceLine, denial: Option<Denial>) -> Option<Denial> {
    let mut denial = denial?;
    denial.group = if line.has_modifier("GA") { AdjustmentGroup::Pr } else { AdjustmentGroup::Co };
    Some(denial)
}

/// Denies GY and GZ lines, and refuses contradictory pairs.
pub fn check_liability(settings: &Settings, ev: &mut Evaluation<'_>) {
    let claim = ev.claim;
    for (index, line) in claim.lines.iter().enumerate() {
        if ev.work.get(index).is_none_or(|w| w.denied) {
            continue;
        }
        let pair = if line.has_modifier("GA") && line.has_modifier("GZ") {
            Some(("GA", "GZ", "an ABN both was (GA) and was not (GZ) given"))
        } else if line.has_modifier("KX") && line.has_modifier("GA") {
            Some(("KX", "GA", "KX attests the service is medically necessary while GA expects it may not be"))
        } else {
            None
        };
        if let Some((first, second, why)) = pair {
            ev.findings.push(
                rules::LIABILITY_PAIR
                    .finding(
                        Some(line.number),
                        format!("{} carries {first} and {second}: {why}; the line cannot be processed", line.procedure),
                    )
                    .with_fact("modifiers", format!("{first}, {second}"))
                    .with_denial(settings.denials.of(&rules::LIABILITY_PAIR))
                    .with_fix(line.number, FixAction::RemoveModifier(second.to_owned()), Applicability::NeedsReview)
                    .with_fix(line.number, FixAction::RemoveModifier(first.to_owned()), Applicability::NeedsReview),
            );
            if let Some(work) = ev.work.get_mut(index) {
                work.deny();
            }
            continue;
        }
        let (rule, message) = if line.has_modifier("GY") {
            (
                rules::GY_EXCLUDED,
                format!(
                    "{} carries GY: Medicare does not cover it, so the line is denied and the patient may be billed",
                    line.procedure
                ),
            )
        } else if line.has_modifier("GZ") {
            (
                rules::GZ_NO_ABN,
                format!(
                    "{} carries GZ: denied as not reasonable and necessary with no ABN, so the provider is liable and the patient may not be billed",
                    line.procedure
                ),
            )
        } else {
            continue;
        };
        ev.findings.push(rule.finding(Some(line.number), message).with_denial(settings.denials.of(&rule)));
        if let Some(work) = ev.work.get_mut(index) {
            work.deny();
        }
    }
}
