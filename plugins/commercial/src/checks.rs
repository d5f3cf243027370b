//! The commercial rules, each over the whole claim.

use payrules_pdk::model::units::midpoint_units;
use payrules_pdk::model::{Discipline, UnitBasis, code_info};
use payrules_pdk::work::{LineWork, apply_daily_cap};
use payrules_pdk::{Applicability, Claim, Finding, FixAction, ServiceLine, Severity};

use crate::config::{CapCounts, Settings};
use crate::rules;

const BYPASS_MODIFIERS: &[&str] = &["59", "XE", "XS", "XP", "XU"];

fn timed(line: &ServiceLine) -> bool {
    code_info(&line.procedure).is_some_and(|i| i.basis == UnitBasis::Timed15)
}

/// Visit limits and prior authorisation: the whole claim is denied.
pub fn check_benefit(settings: &Settings, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
    let config = &settings.config;
    let Some(visit) = claim.episode.as_ref().and_then(|e| e.visit_number) else {
        return;
    };
    let deny_all = |work: &mut [LineWork]| work.iter_mut().for_each(LineWork::deny);
    if let Some(limit) = config.visits_per_year
        && visit > limit
    {
        deny_all(work);
        findings.push(
            rules::VISIT_LIMIT
                .finding(None, format!("this is visit {visit} of the benefit year; the plan pays {limit}"))
                .with_fact("visit number", visit)
                .with_fact("visits per year", limit)
                .with_denial(settings.denials.of(&rules::VISIT_LIMIT)),
        );
        return;
    }
    let authorized = claim.episode.as_ref().and_then(|e| e.authorization.as_ref());
    if let Some(after) = config.prior_auth_after_visits
        && visit > after
    {
        let covered = authorized.is_some_and(|a| a.visits.is_none_or(|v| visit <= v.saturating_add(after)));
        if !covered {
            deny_all(work);
            findings.push(
                rules::PRIOR_AUTH.finding(None, format!("visit {visit} is past the {after} visits allowed without prior authorisation, and no authorisation covers it"))
                .with_fact("visit number", visit)
                .with_denial(settings.denials.of(&rules::PRIOR_AUTH)),
            );
        }
    }
}

/// Therapy modifiers and modifier 52.
pub fn check_modifiers(settings: &Settings, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
    for (line, state) in claim.lines.iter().zip(work.iter_mut()) {
        let Some(info) = code_info(&line.procedure) else {
            continue;
        };
        if settings.config.require_therapy_modifier
            && info.always_therapy
            && !line.modifiers.iter().any(|m| Discipline::from_modifier(m).is_some())
        {
            state.deny();
            findings.push(
                rules::THERAPY_MODIFIER
                    .finding(
                        Some(line.number),
                        format!("{} needs GP, GO or GN under this payer's policy", line.procedure),
                    )
                    .with_denial(settings.denials.of(&rules::THERAPY_MODIFIER))
                    .with_fix(line.number, FixAction::AddModifier("GP".to_owned()), Applicability::NeedsReview),
            );
        }
        if settings.config.deny_modifier_52 && info.basis == UnitBasis::Timed15 && line.has_modifier("52") {
            state.deny();
            let reduced_below_midpoint = line.minutes.is_some_and(|m| midpoint_units(m.total, 15) == 0);
            let action =
                if reduced_below_midpoint { FixAction::RemoveLine } else { FixAction::RemoveModifier("52".to_owned()) };
            findings.push(
                rules::MODIFIER_52.finding(Some(line.number), format!(
                        "modifier 52 on timed code {} is an inappropriate modifier-procedure combination; time below the midpoint is not billed",
                        line.procedure
                    ))
                .with_denial(settings.denials.of(&rules::MODIFIER_52))
                .with_fix(line.number, action, Applicability::Automatic),
            );
        }
    }
}

/// The payer's code pairs, and services billed for overlapping time.
pub fn check_pairs(settings: &Settings, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
    for pair in &settings.config.bundling {
        let first_one = claim.lines.iter().zip(work.iter()).find(|(l, s)| l.procedure == pair.column_one && !s.denied);
        let Some((one, _)) = first_one else {
            continue;
        };
        let one = one.clone();
        for (line, state) in claim.lines.iter().zip(work.iter_mut()) {
            // A line with no billable units is the units rule's business, not the pair's.
            if line.procedure != pair.column_two
                || line.date_of_service != one.date_of_service
                || state.denied
                || state.allowed() == 0
            {
                continue;
            }
            let bypass = BYPASS_MODIFIERS.iter().find(|m| line.has_modifier(m));
            let finding = |severity, message: String| {
                // Each pair carries the payer source it comes from.
                Finding::new(rules::BUNDLED_PAIR.id, severity, Some(line.number), message, &pair.source)
                    .with_fact("pair", format!("{} with {}", pair.column_one, pair.column_two))
                    .with_fact("reason", &pair.reason)
            };
            match (pair.modifier_bypass, bypass) {
                (false, modifier) => {
                    state.deny();
                    let appeal = modifier.map_or_else(String::new, |m| {
                        format!("; {m} does not bypass it with this payer, so expect a front-end denial and appeal with the record if the services were distinct")
                    });
                    findings.push(
                        finding(
                            Severity::Error,
                            format!(
                                "{} is denied when billed with {} ({}){appeal}",
                                pair.column_two, pair.column_one, pair.reason
                            ),
                        )
                        .with_denial(settings.denials.of(&rules::BUNDLED_PAIR)),
                    );
                }
                (true, None) => {
                    state.deny();
                    let needs = pair.justification.as_deref().unwrap_or("a distinct service");
                    findings.push(
                        finding(
                            Severity::Error,
                            format!(
                                "{} is denied with {} ({}) unless 59 or XE/XS/XP/XU and the record show {needs}",
                                pair.column_two, pair.column_one, pair.reason
                            ),
                        )
                        .with_denial(settings.denials.of(&rules::BUNDLED_PAIR))
                        .with_fix(
                            line.number,
                            FixAction::AddModifier("59".to_owned()),
                            Applicability::NeedsReview,
                        ),
                    );
                }
                (true, Some(_)) => {}
            }
        }
    }
    check_overlap(claim, work, findings);
}

/// Two timed services billed for the same minutes of a visit.
fn check_overlap(claim: &Claim, work: &[LineWork], findings: &mut Vec<Finding>) {
    for (i, a) in claim.lines.iter().enumerate() {
        for (b, state) in claim.lines.iter().zip(work).skip(i + 1) {
            if state.denied || !timed(a) || !timed(b) || a.date_of_service != b.date_of_service {
                continue;
            }
            if a.shares_time_with(b) == Some(true) {
                findings.push(
                    rules::OVERLAP.finding(Some(b.number), format!(
                            "{} and {} are billed for overlapping time; one service per time period, or the record must show they were distinct",
                            a.procedure, b.procedure
                        ))
                    .with_fix(b.number, FixAction::RemoveLine, Applicability::NeedsReview),
                );
            }
        }
    }
}

/// The per-visit unit cap: units past it, in line order, are not paid.
pub fn check_cap(settings: &Settings, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
    let Some(cap) = settings.config.units_per_visit else {
        return;
    };
    let counts = |line: &ServiceLine| match settings.config.cap_counts {
        CapCounts::Timed => timed(line),
        CapCounts::AllTherapy => code_info(&line.procedure).is_some_and(|i| i.always_therapy),
    };
    for cut in apply_daily_cap(claim, work, cap, &counts) {
        findings.push(
            rules::UNITS_CAP
                .finding(
                    Some(cut.line),
                    format!(
                        "the plan pays at most {cap} therapy units per visit; {} of this line's {} are past it",
                        cut.units - cut.paid,
                        cut.units
                    ),
                )
                .with_fact("units on the date so far", cut.used)
                .with_fact("cap", cap)
                .with_denial(settings.denials.of(&rules::UNITS_CAP))
                .with_fix(cut.line, cut.fix(), Applicability::NeedsReview),
        );
    }
}
