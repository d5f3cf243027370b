//! Timed-code units by the payer's method, as findings: a helper for
//! policies other than Medicare's, whose allocation rules are its own.

use std::collections::BTreeSet;

use payrules_model::units::{TimedService, allocate_total_time, midpoint_units};
use payrules_model::{UnitBasis, code_info};
use serde::Deserialize;

use crate::rule::{Denials, Rule};
use crate::work::LineWork;
use crate::{Applicability, Claim, Date, Finding, FixAction, ServiceLine, Severity};

/// How minutes become units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitsMethod {
    /// The AMA/CPT midpoint rule, each code on its own.
    Midpoint,
    /// Medicare's total-time rule, pooling the day's timed minutes.
    TotalTime,
}

/// The rules a policy reports units findings under, and its denials.
pub struct UnitsRules<'a> {
    /// Units billed differ from the minutes.
    pub units: Rule,
    /// A timed line has no minutes.
    pub minutes_missing: Rule,
    /// How the payer reports each rule's denial.
    pub denials: &'a Denials,
}

/// Whether a line is a 15-minute timed code.
pub fn is_timed(line: &ServiceLine) -> bool {
    code_info(&line.procedure).is_some_and(|i| i.basis == UnitBasis::Timed15)
}

/// Units from minutes, by the payer's method.
pub fn check_units(
    method: UnitsMethod,
    rules: &UnitsRules<'_>,
    claim: &Claim,
    work: &mut [LineWork],
    findings: &mut Vec<Finding>,
) {
    let dates: BTreeSet<Date> = claim.lines.iter().map(|l| l.date_of_service).collect();
    for date in dates {
        let lines: Vec<usize> = claim
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.date_of_service == date && is_timed(l))
            .map(|(i, _)| i)
            .collect();
        if let Some(line) = lines.iter().filter_map(|i| claim.lines.get(*i)).find(|l| l.minutes.is_none()) {
            findings.push(rules.minutes_missing.finding(
                Some(line.number),
                format!("{} has no treatment minutes, so its units were not checked for {date}", line.procedure),
            ));
            continue;
        }
        let correct: Vec<(usize, u32)> = match method {
            UnitsMethod::Midpoint => lines
                .iter()
                .filter_map(|i| claim.lines.get(*i).map(|l| (*i, midpoint_units(l.minutes.map_or(0, |m| m.total), 15))))
                .collect(),
            UnitsMethod::TotalTime => {
                let services: Vec<TimedService> = lines
                    .iter()
                    .filter_map(|i| claim.lines.get(*i))
                    .map(|l| TimedService { key: l.number, minutes: l.minutes.map_or(0, |m| m.total), billed: l.units })
                    .collect();
                let allocation = allocate_total_time(&services);
                lines
                    .iter()
                    .filter_map(|i| {
                        let line = claim.lines.get(*i)?;
                        Some((*i, allocation.units_for(line.number).unwrap_or(0)))
                    })
                    .collect()
            }
        };
        for (index, units) in correct {
            let (Some(line), Some(state)) = (claim.lines.get(index), work.get_mut(index)) else {
                continue;
            };
            state.correct = units;
            if state.denied || units == line.units {
                continue;
            }
            let minutes = line.minutes.map_or(0, |m| m.total);
            let method = match method {
                UnitsMethod::Midpoint => "the per-code midpoint rule (a unit once its midpoint is passed)",
                UnitsMethod::TotalTime => "the total-time rule over the day's timed minutes",
            };
            let (severity, action) = if units > line.units {
                (Severity::Info, FixAction::SetUnits(units))
            } else if units == 0 {
                (Severity::Error, FixAction::RemoveLine)
            } else {
                (Severity::Error, FixAction::SetUnits(units))
            };
            findings.push(
                rules
                    .units
                    .finding_at(
                        severity,
                        Some(line.number),
                        format!(
                            "{} units of {} billed for {minutes} minutes; {method} gives {units}",
                            line.units, line.procedure
                        ),
                    )
                    .with_fact("minutes", minutes)
                    .with_denial(if units < line.units { rules.denials.of(&rules.units) } else { None })
                    .with_fix(line.number, action, Applicability::Automatic),
            );
        }
    }
}
