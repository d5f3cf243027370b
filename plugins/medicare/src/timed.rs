//! Units rules: Medicare's 8-minute total-time rule for timed codes, and one
//! unit a day for service-based codes.

use std::collections::BTreeSet;

use payrules_pdk::model::units::{AllocationIssue, TimedService, allocate_total_time, check_total_time};
use payrules_pdk::model::{SharedTime, UnitBasis, code_info, shared_time};
use payrules_pdk::{Applicability, Claim, Date, Finding, FixAction, Rule, ServiceLine};

use crate::config::Settings;
use crate::rules;
use payrules_pdk::work::LineWork;

/// Applies the units rules to each date of service on the claim.
pub fn check_units(settings: &Settings, claim: &Claim, work: &mut [LineWork], findings: &mut Vec<Finding>) {
    let dates: BTreeSet<Date> = claim.lines.iter().map(|l| l.date_of_service).collect();
    for date in dates {
        let on_date = |basis: UnitBasis| -> Vec<usize> {
            claim
                .lines
                .iter()
                .zip(work.iter())
                .enumerate()
                .filter(|(_, (line, state))| {
                    line.date_of_service == date
                        && !state.settled
                        && code_info(&line.procedure).is_some_and(|info| info.basis == basis)
                })
                .map(|(index, _)| index)
                .collect()
        };
        let timed = on_date(UnitBasis::Timed15);
        let untimed = on_date(UnitBasis::ServiceBased);
        check_duplicate_lines(claim, &timed, findings);
        check_timed_day(claim, date, &timed, work, findings);
        check_untimed_day(settings, claim, &untimed, work, findings);
    }
}

/// A timed code is reported on one line per date (rule 12); lines that differ
/// only by other modifiers, such as CQ for an assistant's share, are separate.
fn check_duplicate_lines(claim: &Claim, timed: &[usize], findings: &mut Vec<Finding>) {
    let lines: Vec<&ServiceLine> = timed.iter().filter_map(|i| claim.lines.get(*i)).collect();
    let mut reported = BTreeSet::new();
    for (position, first) in lines.iter().enumerate() {
        if reported.contains(&first.number) {
            continue;
        }
        let same: Vec<&&ServiceLine> = lines
            .iter()
            .skip(position + 1)
            .filter(|other| other.procedure == first.procedure && same_modifiers(first, other))
            .collect();
        if same.is_empty() {
            continue;
        }
        let total_units = same.iter().fold(first.units, |sum, l| sum.saturating_add(l.units));
        let mut finding = rules::DUPLICATE_LINE.finding(Some(first.number), format!(
                "{} is reported on {} lines for {}; Medicare rejects a timed code that is not on one line per date of service",
                first.procedure,
                same.len() + 1,
                first.date_of_service
            ))
        .with_fact("lines", std::iter::once(first.number).chain(same.iter().map(|l| l.number)).map(|n| n.to_string()).collect::<Vec<_>>().join(", "))
        .with_fix(first.number, FixAction::SetUnits(total_units), Applicability::Automatic);
        for other in same {
            reported.insert(other.number);
            finding = finding.with_fix(other.number, FixAction::RemoveLine, Applicability::Automatic);
        }
        findings.push(finding);
    }
}

fn same_modifiers(a: &ServiceLine, b: &ServiceLine) -> bool {
    let set = |l: &ServiceLine| l.modifiers.iter().map(|m| m.as_str().to_owned()).collect::<BTreeSet<_>>();
    set(a) == set(b)
}

/// The 8-minute rule over one day's timed lines.
fn check_timed_day(claim: &Claim, date: Date, timed: &[usize], work: &mut [LineWork], findings: &mut Vec<Finding>) {
    let lines: Vec<&ServiceLine> = timed.iter().filter_map(|i| claim.lines.get(*i)).collect();
    if lines.is_empty() {
        return;
    }
    let without_minutes: Vec<&&ServiceLine> = lines.iter().filter(|l| l.minutes.is_none()).collect();
    if !without_minutes.is_empty() {
        for line in without_minutes {
            findings.push(
                rules::MINUTES_MISSING.finding(Some(line.number), format!(
                        "{} has no treatment minutes, so the 8-minute rule could not run for {date}; its billed units were not verified",
                        line.procedure
                    ))
                .with_fact("date of service", date),
            );
        }
        return;
    }
    // One-on-one minutes count once: where time blocks show two timed
    // services in the same minutes, the later line's share of them is not
    // counted again toward the day's total.
    let shared = shared_time(&lines);
    for overlap in &shared {
        findings.push(overlap_finding(claim, overlap));
    }
    let services: Vec<TimedService> = lines
        .iter()
        .map(|l| {
            let counted_elsewhere: u32 = shared.iter().filter(|s| s.line == l.number).map(|s| s.minutes).sum();
            let minutes = l.minutes.map_or(0, |m| m.total).saturating_sub(counted_elsewhere);
            TimedService { key: l.number, minutes, billed: l.units }
        })
        .collect();
    let allocation = allocate_total_time(&services);
    for state in work.iter_mut() {
        if let Some(units) = allocation.units_for(state.number) {
            state.correct = units;
        }
    }
    let issues = check_total_time(&services);
    let Some(rule) = pick_rule(&issues, allocation.total_units) else {
        return;
    };
    let changed: Vec<(&ServiceLine, u32)> = lines
        .iter()
        .filter_map(|l| allocation.units_for(l.number).filter(|units| *units != l.units).map(|units| (*l, units)))
        .collect();
    let first_line = changed.first().map(|(l, _)| l.number);
    let mut finding = rule
        .finding(first_line, message(&issues, claim, &allocation, date))
        .with_fact("date of service", date)
        .with_fact("total timed minutes", allocation.total_minutes)
        .with_fact("units the minutes support", allocation.total_units)
        .with_fact("units billed", services.iter().map(|s| s.billed).sum::<u32>());
    for service in &services {
        let code = claim.line(service.key).map(|l| l.procedure.to_string()).unwrap_or_default();
        finding = finding.with_fact(
            &format!("line {} {code}", service.key),
            format!(
                "{} min, billed {}, correct {}",
                service.minutes,
                service.billed,
                allocation.units_for(service.key).unwrap_or(0)
            ),
        );
    }
    for (line, units) in changed {
        let action = if units == 0 && line.units > 0 { FixAction::RemoveLine } else { FixAction::SetUnits(units) };
        finding = finding.with_fix(line.number, action, Applicability::Automatic);
    }
    findings.push(finding);
}

/// Two timed services recorded in the same minutes.
fn overlap_finding(claim: &Claim, overlap: &SharedTime) -> Finding {
    rules::TIME_OVERLAP
        .finding(
            Some(overlap.line),
            format!(
                "{} and {} are recorded in the same {} minutes ({}-{}); one-on-one time counts once, so those minutes count toward the day's total only once",
                code_of(claim, overlap.with),
                code_of(claim, overlap.line),
                overlap.minutes,
                overlap.from,
                overlap.to
            ),
        )
        .with_fact("lines", format!("{}, {}", overlap.with, overlap.line))
        .with_fact("shared minutes", overlap.minutes)
        .with_fact("shared time", format!("{}-{}", overlap.from, overlap.to))
}

/// One finding per day, under the most serious issue's rule.
///
/// Reading taken: a leftover unit on the wrong code (TC01, TC03, TC09) is a
/// warning, because the day's total units, and so the payment, are right; a
/// code below its whole units or two above them (TC02) is an error.
fn pick_rule(issues: &[AllocationIssue], supported: u32) -> Option<Rule> {
    let has = |f: fn(&AllocationIssue) -> bool| issues.iter().any(f);
    if has(|i| matches!(i, AllocationIssue::OverBilled { .. })) {
        return Some(if supported == 0 { rules::UNITS_UNDER_8 } else { rules::UNITS_OVER });
    }
    if has(|i| matches!(i, AllocationIssue::BelowMinimum { .. } | AllocationIssue::AboveMaximum { .. })) {
        return Some(rules::UNITS_PER_CODE);
    }
    if has(|i| matches!(i, AllocationIssue::UnderBilled { .. })) {
        return Some(rules::UNITS_UNDER);
    }
    if has(|i| matches!(i, AllocationIssue::Misallocated { .. })) {
        return Some(rules::UNITS_ALLOCATION);
    }
    None
}

fn code_of(claim: &Claim, line: u32) -> String {
    claim.line(line).map(|l| format!("{} (line {line})", l.procedure)).unwrap_or_else(|| format!("line {line}"))
}

fn message(
    issues: &[AllocationIssue],
    claim: &Claim,
    allocation: &payrules_pdk::model::units::TotalTimeAllocation,
    date: Date,
) -> String {
    let minutes = allocation.total_minutes;
    let supported = allocation.total_units;
    let mut parts: Vec<String> = Vec::new();
    for issue in issues {
        parts.push(match *issue {
            AllocationIssue::OverBilled { billed, .. } if supported == 0 => format!(
                "{billed} timed unit{} billed for {minutes} timed minutes on {date}: services totalling under 8 minutes are not billed",
                if billed == 1 { "" } else { "s" }
            ),
            AllocationIssue::OverBilled { billed, supported } => format!(
                "{billed} timed units billed for {minutes} timed minutes on {date}, which support {supported}; services that cannot be billed stay documented"
            ),
            AllocationIssue::UnderBilled { billed, supported } => {
                format!("{billed} timed units billed for {minutes} timed minutes on {date}, which support {supported}")
            }
            AllocationIssue::BelowMinimum { key, billed, minimum } => format!(
                "{} was billed {billed} unit{} but its own minutes earn at least {minimum}",
                code_of(claim, key),
                if billed == 1 { "" } else { "s" }
            ),
            AllocationIssue::AboveMaximum { key, billed, maximum } => {
                format!("{} was billed {billed} units but its minutes support at most {maximum}", code_of(claim, key))
            }
            AllocationIssue::Misallocated { favoured, passed_over } => format!(
                "the leftover unit went to {} but {} has more leftover minutes",
                code_of(claim, favoured),
                code_of(claim, passed_over)
            ),
        });
    }
    parts.join("; ")
}

/// Service-based codes are one unit a day, whatever the time (rule 10).
fn check_untimed_day(
    settings: &Settings,
    claim: &Claim,
    untimed: &[usize],
    work: &mut [LineWork],
    findings: &mut Vec<Finding>,
) {
    let mut seen = BTreeSet::new();
    for index in untimed {
        let (Some(line), Some(state)) = (claim.lines.get(*index), work.get_mut(*index)) else {
            continue;
        };
        // A line another rule already denies (an NCCI edit, say) is not counted twice.
        if state.denied {
            continue;
        }
        let first_of_code = seen.insert(line.procedure.clone());
        let allowed = u32::from(first_of_code && line.units > 0);
        state.correct = allowed;
        if line.units <= allowed {
            continue;
        }
        let message = if first_of_code {
            format!(
                "{} is service-based: one unit a day whatever the time, but {} were billed",
                line.procedure, line.units
            )
        } else {
            format!(
                "{} is service-based and was already billed on another line for {}",
                line.procedure, line.date_of_service
            )
        };
        let action = if allowed == 0 { FixAction::RemoveLine } else { FixAction::SetUnits(allowed) };
        findings.push(
            rules::UNTIMED_UNITS
                .finding(Some(line.number), message)
                .with_fact("units billed", line.units)
                .with_fact("units allowed a day", 1)
                .with_denial(settings.denials.of(&rules::UNTIMED_UNITS))
                .with_fix(line.number, action, Applicability::Automatic),
        );
    }
}
