//! The therapy threshold: KX above it, the targeted medical review line, and
//! KX used with no sign of crossing.

use payrules_pdk::model::Discipline;
use payrules_pdk::{
    Applicability, Claim, EvaluationError, Finding, FixAction, LineResult, LineStatus, Money, PriceStep, ServiceLine,
    Severity,
};

use crate::config::Settings;
use crate::rules;

const CITATION: &str = "CMS 100-04 ch.5 10.3.3; BBA 2018 50202";

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
pub fn check_threshold(
    settings: &Settings,
    claim: &Claim,
    results: &mut [LineResult],
    findings: &mut Vec<Finding>,
) -> Result<(), EvaluationError> {
    let Some(year) = claim.first_date_of_service().map(|d| d.year()) else {
        return Ok(());
    };
    let year_to_date = claim.episode.as_ref().and_then(|e| e.year_to_date_allowed);
    let Some(year_to_date) = year_to_date else {
        // Without the year's accrual the threshold rules cannot run; say so
        // only where it matters, on a line that claims the exception.
        if let Some(line) = claim.lines.iter().find(|l| l.has_modifier("KX")) {
            findings.push(
                Finding::new(
                    rules::KX_UNVERIFIED,
                    Severity::Info,
                    Some(line.number),
                    "KX is billed but the claim carries no year-to-date allowed amounts, so the threshold could not be checked",
                    CITATION,
                )
                .with_fact("year of service", year),
            );
        }
        return Ok(());
    };
    let Some(threshold) = settings.kx_thresholds.get(&year).copied() else {
        findings.push(
            Finding::new(
                rules::KX_NO_THRESHOLD,
                Severity::Info,
                None,
                format!("no therapy threshold is configured for {year}, so KX was not checked"),
                "rule set kx_thresholds",
            )
            .with_fact("year of service", year),
        );
        return Ok(());
    };
    for pool in [Pool::PtSlp, Pool::Ot] {
        let before = match pool {
            Pool::PtSlp => year_to_date.pt_slp,
            Pool::Ot => year_to_date.ot,
        };
        check_pool(settings, claim, results, findings, pool, before, threshold)?;
    }
    Ok(())
}

fn check_pool(
    settings: &Settings,
    claim: &Claim,
    results: &mut [LineResult],
    findings: &mut Vec<Finding>,
    pool: Pool,
    before: Money,
    threshold: Money,
) -> Result<(), EvaluationError> {
    let mut running = before;
    let mut kx_lines = Vec::new();
    for (line, result) in claim.lines.iter().zip(results.iter_mut()) {
        if Pool::of(line) != Some(pool) || result.status == LineStatus::Denied {
            continue;
        }
        let Some(after) = running.checked_add(result.expected_allowed) else {
            return Err(EvaluationError {
                message: format!("the year's {} therapy total does not fit in an amount", pool.name()),
            });
        };
        let has_kx = line.has_modifier("KX");
        if has_kx {
            kx_lines.push(line.number);
        }
        if after > threshold && !has_kx {
            findings.push(
                Finding::new(
                    rules::KX_MISSING,
                    Severity::Error,
                    Some(line.number),
                    format!(
                        "{} takes the year's {} therapy total to ${after}, over the ${threshold} threshold, without KX",
                        line.procedure,
                        pool.name()
                    ),
                    CITATION,
                )
                .with_fact("allowed before this line", format!("${running}"))
                .with_fact("threshold", format!("${threshold}"))
                .with_denial(settings.denial(rules::KX_MISSING))
                // KX attests that the record shows the services are medically necessary.
                .with_fix(
                    line.number,
                    FixAction::AddModifier("KX".to_owned()),
                    Applicability::NeedsReview,
                ),
            );
            deny(result);
            continue;
        }
        running = after;
    }
    if let Some(first) = kx_lines.first() {
        let early = threshold.percent(settings.kx_early_percent).unwrap_or(threshold);
        if running < early {
            let mut finding = Finding::new(
                rules::KX_EARLY,
                Severity::Warning,
                Some(*first),
                format!(
                    "KX is billed while the year's {} total stays at ${running}, far under the ${threshold} threshold",
                    pool.name()
                ),
                "CMS 100-04 ch.5 10.3.3",
            )
            .with_fact("year total after this claim", format!("${running}"))
            .with_fact("warning line", format!("{}% of the threshold", settings.kx_early_percent));
            for line in &kx_lines {
                finding =
                    finding.with_fix(*line, FixAction::RemoveModifier("KX".to_owned()), Applicability::NeedsReview);
            }
            findings.push(finding);
        }
    }
    if let Some(review) = settings.medical_review_threshold
        && before <= review
        && running > review
    {
        findings.push(
            Finding::new(
                rules::MEDICAL_REVIEW,
                Severity::Info,
                None,
                format!(
                    "this claim takes the year's {} total past ${review}: targeted medical review may follow",
                    pool.name()
                ),
                "CMS 100-04 ch.5 10.3.3; BBA 2018 50202",
            )
            .with_fact("year total after this claim", format!("${running}")),
        );
    }
    Ok(())
}

fn deny(result: &mut LineResult) {
    result.status = LineStatus::Denied;
    result.allowed_units = 0;
    result.expected_allowed = Money::ZERO;
    result.expected_payment = Money::ZERO;
    result.price_steps.push(PriceStep {
        description: "not paid: over the therapy threshold without KX".to_owned(),
        amount: Money::ZERO,
    });
}
