//! The therapy threshold: KX above it, the targeted medical review line, and
//! KX used with no sign of crossing.

use payrules_pdk::model::Discipline;
use payrules_pdk::pipeline::Evaluation;
use payrules_pdk::{Applicability, EvaluationError, FixAction, Money, ServiceLine};

use crate::config::Settings;
use crate::rules;

/// The two accrual pools: PT and SLP together, OT on its own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pool {
    PtSlp,
    Ot,
}

impl Pool {
    fn of(line: &ServiceLine) -> Option<Pool> {
        match line.modifiers.iter().find_map(Discipline::from_modifier)? {
            Discipline::Physical | Discipline::SpeechLanguage => Some(Pool::PtSlp),
            Discipline::Occupational => Some(Pool::Ot),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Pool::PtSlp => "PT and SLP combined",
            Pool::Ot => "OT",
        }
    }
}

/// Applies the threshold rules to priced lines; a line that crosses the
/// threshold without KX is denied in place.
pub fn check_threshold(settings: &Settings, ev: &mut Evaluation<'_>) -> Result<(), EvaluationError> {
    let claim = ev.claim;
    let findings = &mut ev.findings;
    let Some(year) = claim.first_date_of_service().map(|d| d.year()) else {
        return Ok(());
    };
    let year_to_date = claim.episode.as_ref().and_then(|e| e.year_to_date_allowed);
    let Some(year_to_date) = year_to_date else {
        // Without the year's accrual the threshold rules cannot run; say so
        // only where it matters, on a line that claims the exception.
        let work = &ev.work;
        let denied = |index: usize| work.get(index).is_none_or(|w| w.denied);
        if let Some((_, line)) = claim.lines.iter().enumerate().find(|(i, l)| l.has_modifier("KX") && !denied(*i)) {
            findings.push(
                rules::KX_UNVERIFIED.finding(Some(line.number), "KX is billed but the claim carries no year-to-date allowed amounts, so the threshold could not be checked")
                .with_fact("year of service", year),
            );
        }
        return Ok(());
    };
    let Some(threshold) = settings.kx_thresholds.get(&year).copied() else {
        findings.push(
            rules::KX_NO_THRESHOLD
                .finding(None, format!("no therapy threshold is configured for {year}, so KX was not checked"))
                .with_fact("year of service", year),
        );
        return Ok(());
    };
    for pool in [Pool::PtSlp, Pool::Ot] {
        let before = match pool {
            Pool::PtSlp => year_to_date.pt_slp,
            Pool::Ot => year_to_date.ot,
        };
        check_pool(settings, ev, pool, before, threshold)?;
    }
    Ok(())
}

fn check_pool(
    settings: &Settings,
    ev: &mut Evaluation<'_>,
    pool: Pool,
    before: Money,
    threshold: Money,
) -> Result<(), EvaluationError> {
    let claim = ev.claim;
    let mut running = before;
    let mut kx_lines = Vec::new();
    for (index, line) in claim.lines.iter().enumerate() {
        if Pool::of(line) != Some(pool) || ev.work.get(index).is_none_or(|w| w.denied) {
            continue;
        }
        let allowed = ev.amounts.get(index).map_or(Money::ZERO, |a| a.allowed);
        let Some(after) = running.checked_add(allowed) else {
            return Err(EvaluationError {
                message: format!("the year's {} therapy total does not fit in an amount", pool.name()),
            });
        };
        let has_kx = line.has_modifier("KX");
        if has_kx {
            kx_lines.push(line.number);
        }
        if after > threshold && !has_kx {
            ev.findings.push(
                rules::KX_MISSING.finding(Some(line.number), format!(
                        "{} takes the year's {} therapy total to ${after}, over the ${threshold} threshold, without KX",
                        line.procedure,
                        pool.name()
                    ))
                .with_fact("allowed before this line", format!("${running}"))
                .with_fact("threshold", format!("${threshold}"))
                .with_denial(crate::liability::medical_necessity(line, settings.denials.of(&rules::KX_MISSING)))
                // KX attests that the record shows the services are medically necessary.
                .with_fix(
                    line.number,
                    FixAction::AddModifier("KX".to_owned()),
                    Applicability::NeedsReview,
                ),
            );
            ev.deny_priced(index, "not paid: over the therapy threshold without KX");
            continue;
        }
        running = after;
    }
    if let Some(first) = kx_lines.first() {
        let early = threshold.percent(settings.kx_early_percent).ok_or_else(|| EvaluationError {
            message: format!("{}% of the ${threshold} threshold does not fit in an amount", settings.kx_early_percent),
        })?;
        if running < early {
            let mut finding = rules::KX_EARLY.finding(Some(*first), format!(
                    "KX is billed while the year's {} total stays at ${running}, far under the ${threshold} threshold",
                    pool.name()
                ))
            .with_fact("year total after this claim", format!("${running}"))
            .with_fact("warning line", format!("{}% of the threshold", settings.kx_early_percent));
            for line in &kx_lines {
                finding =
                    finding.with_fix(*line, FixAction::RemoveModifier("KX".to_owned()), Applicability::NeedsReview);
            }
            ev.findings.push(finding);
        }
    }
    if let Some(review) = settings.medical_review_threshold
        && before <= review
        && running > review
    {
        ev.findings.push(
            rules::MEDICAL_REVIEW
                .finding(
                    None,
                    format!(
                        "this claim takes the year's {} total past ${review}: targeted medical review may follow",
                        pool.name()
                    ),
                )
                .with_fact("year total after this claim", format!("${running}")),
        );
    }
    Ok(())
}
