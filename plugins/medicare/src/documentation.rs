//! Documentation the plan of care needs: progress reports, certification,
//! functional goals (Medicare Benefit Policy Manual, Pub 100-02 ch.15 220).

use payrules_pdk::model::{Discipline, PlanOfCare};
use payrules_pdk::{Claim, Date, Finding};

use crate::rules;

/// A progress report is due at least once every 10 treatment days.
const PROGRESS_REPORT_DAYS: u32 = 10;
/// A certification covers at most 90 calendar days from the initial treatment.
const CERTIFICATION_DAYS: i64 = 90;
/// An initial certification is timely within 30 days of the first treatment.
const TIMELY_CERTIFICATION_DAYS: i64 = 30;

/// Checks the episode context, when the claim carries one: each
/// discipline's plan of care when the episode lists plans by discipline,
/// else the one episode-wide plan.
pub fn check_documentation(claim: &Claim, findings: &mut Vec<Finding>) {
    let Some(episode) = &claim.episode else {
        return;
    };
    if episode.plans_of_care.is_empty() {
        let Some(last_visit) = claim.lines.iter().map(|l| l.date_of_service).max() else {
            return;
        };
        check_plan(&episode.plan_of_care(None), None, last_visit, findings);
        return;
    }
    for discipline in [Discipline::Physical, Discipline::Occupational, Discipline::SpeechLanguage] {
        let last_visit = claim
            .lines
            .iter()
            .filter(|l| l.modifiers.iter().find_map(Discipline::from_modifier) == Some(discipline))
            .map(|l| l.date_of_service)
            .max();
        if let Some(last_visit) = last_visit {
            check_plan(&episode.plan_of_care(Some(discipline)), Some(discipline), last_visit, findings);
        }
    }
}

/// The checks of one plan of care; `discipline` names it in the findings
/// when the episode has plans by discipline.
fn check_plan(plan: &PlanOfCare, discipline: Option<Discipline>, last_visit: Date, findings: &mut Vec<Finding>) {
    let mut found = Vec::new();
    if let Some(days) = plan.treatment_days_since_progress_report
        && days > PROGRESS_REPORT_DAYS
    {
        found.push(
            rules::PROGRESS_REPORT_DUE.finding(None, format!(
                    "this is treatment day {days} since the last progress report; one is due at least every {PROGRESS_REPORT_DAYS} treatment days"
                ))
            .with_fact("treatment days since the last report", days),
        );
    }
    if let Some(start) = plan.start {
        check_certification(plan.certified, plan.recertified, start, last_visit, &mut found);
    }
    if plan.functional_goals_documented == Some(false) {
        found.push(rules::GOALS_MISSING.finding(
            None,
            "the plan of care documents no functional goals; long-term goals and progress toward each are required",
        ));
    }
    for finding in found {
        findings.push(match discipline {
            Some(d) => finding.with_fact("plan of care", name(d)),
            None => finding,
        });
    }
}

fn name(discipline: Discipline) -> &'static str {
    match discipline {
        Discipline::Physical => "physical therapy (GP)",
        Discipline::Occupational => "occupational therapy (GO)",
        Discipline::SpeechLanguage => "speech-language pathology (GN)",
    }
}

fn check_certification(
    certified: Option<Date>,
    recertified: Option<Date>,
    start: Date,
    visit: Date,
    findings: &mut Vec<Finding>,
) {
    let day = visit.days_since(start) + 1;
    let covering = match recertified {
        Some(recert) if recert <= visit => recert,
        _ => start,
    };
    if visit.days_since(covering) >= CERTIFICATION_DAYS {
        findings.push(
            rules::POC_EXPIRED.finding(None, format!(
                    "treatment on {visit} is day {day} of the plan of care, past the {CERTIFICATION_DAYS} days a certification covers, with no recertification on file"
                ))
            .with_fact("initial treatment", start)
            .with_fact("latest (re)certification", covering),
        );
    }
    match certified {
        Some(signed) if signed.days_since(start) > TIMELY_CERTIFICATION_DAYS => findings.push(
            rules::POC_CERT_LATE.finding(None, format!(
                    "the plan of care was certified {} days after the first treatment; a timely certification is within {TIMELY_CERTIFICATION_DAYS} days, so delayed-certification rules apply",
                    signed.days_since(start)
                ))
            .with_fact("initial treatment", start)
            .with_fact("certified", signed),
        ),
        None if visit.days_since(start) > TIMELY_CERTIFICATION_DAYS => findings.push(
            rules::POC_CERT_LATE.finding(None, format!(
                    "no certification of the plan of care is on file {} days after the first treatment",
                    visit.days_since(start)
                ))
            .with_fact("initial treatment", start),
        ),
        _ => {}
    }
}
