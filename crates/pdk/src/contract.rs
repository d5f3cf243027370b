//! The plugin's side of the newest contract: the claim the host sends, read
//! into the billing model, and the model's outcome written back. The host's
//! side of the same contract converts the other way (`payrules-host`'s
//! `contract::latest`).

use payrules_model as m;
use payrules_model::contract::ContractError;

use crate::__bindings::payrules::policy::reference_data as r;
use crate::__bindings::payrules::policy::types as t;

fn date_in(d: t::Date, field: &str) -> Result<m::Date, ContractError> {
    m::Date::new(d.year, d.month, d.day).map_err(|e| ContractError::at(field, e))
}

fn opt_date_in(d: Option<t::Date>, field: &str) -> Result<Option<m::Date>, ContractError> {
    d.map(|d| date_in(d, field)).transpose()
}

/// A model date as the contract's.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "only the sandboxed build asks the host"))]
pub(crate) fn date_out(d: m::Date) -> t::Date {
    t::Date { year: d.year(), month: d.month(), day: d.day() }
}

fn line_in(i: usize, l: t::ServiceLine) -> Result<m::ServiceLine, ContractError> {
    let at = |f: &str| format!("lines[{i}].{f}");
    let modifiers = l
        .modifiers
        .iter()
        .map(|x| m::Modifier::from_packed(*x).map_err(|e| ContractError::at(at("modifiers"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let clock =
        |v: u16| m::ClockTime::from_minutes(v).ok_or_else(|| ContractError::at(at("time_blocks"), "past midnight"));
    let time_blocks = l
        .time_blocks
        .iter()
        .map(|b| Ok(m::TimeBlock { start: clock(b.start)?, end: clock(b.end)? }))
        .collect::<Result<Vec<_>, ContractError>>()?;
    Ok(m::ServiceLine {
        number: l.number,
        date_of_service: date_in(l.date_of_service, &at("date_of_service"))?,
        procedure: m::ProcedureCode::from_packed(l.procedure).map_err(|e| ContractError::at(at("procedure"), e))?,
        modifiers,
        units: l.units,
        diagnosis_pointers: l.diagnosis_pointers,
        charge: m::Money::from_cents(l.charge),
        minutes: l.minutes.map(|x| m::TreatmentMinutes { total: x.total, assistant: x.assistant }),
        time_blocks,
        rendering_provider: l.rendering_provider.map(rendering_in),
        place_of_service: l.place_of_service,
    })
}

fn rendering_in(r: t::RenderingProvider) -> m::RenderingProvider {
    m::RenderingProvider {
        npi: r.npi,
        name: r.name,
        role: match r.role {
            t::ClinicianRole::Therapist => m::ClinicianRole::Therapist,
            t::ClinicianRole::Assistant => m::ClinicianRole::Assistant,
        },
    }
}

fn plan_in(i: usize, p: t::PlanOfCare) -> Result<m::PlanOfCare, ContractError> {
    let at = |f: &str| format!("episode.plans_of_care[{i}].{f}");
    Ok(m::PlanOfCare {
        discipline: match p.discipline {
            t::Discipline::Physical => m::Discipline::Physical,
            t::Discipline::Occupational => m::Discipline::Occupational,
            t::Discipline::SpeechLanguage => m::Discipline::SpeechLanguage,
        },
        start: opt_date_in(p.start, &at("start"))?,
        certified: opt_date_in(p.certified, &at("certified"))?,
        recertified: opt_date_in(p.recertified, &at("recertified"))?,
        treatment_days_since_progress_report: p.treatment_days_since_progress_report,
        functional_goals_documented: p.functional_goals_documented,
    })
}

fn episode_in(e: t::Episode) -> Result<m::Episode, ContractError> {
    Ok(m::Episode {
        plan_of_care_start: opt_date_in(e.plan_of_care_start, "episode.plan_of_care_start")?,
        plan_of_care_certified: opt_date_in(e.plan_of_care_certified, "episode.plan_of_care_certified")?,
        plan_of_care_recertified: opt_date_in(e.plan_of_care_recertified, "episode.plan_of_care_recertified")?,
        treatment_days_since_progress_report: e.treatment_days_since_progress_report,
        functional_goals_documented: e.functional_goals_documented,
        year_to_date_allowed: e
            .year_to_date_allowed
            .map(|y| m::YearToDate { pt_slp: m::Money::from_cents(y.pt_slp), ot: m::Money::from_cents(y.ot) }),
        visit_number: e.visit_number,
        injury_date: opt_date_in(e.injury_date, "episode.injury_date")?,
        injury_claim_number: e.injury_claim_number,
        authorization: e.authorization.map(|a| m::Authorization {
            number: a.number,
            visits: a.visits,
            written: a.written,
        }),
        post_surgical: e.post_surgical,
        deductible_met: e.deductible_met.map(m::Money::from_cents),
        plans_of_care: e
            .plans_of_care
            .into_iter()
            .enumerate()
            .map(|(i, p)| plan_in(i, p))
            .collect::<Result<Vec<_>, ContractError>>()?,
    })
}

impl TryFrom<t::Claim> for m::Claim {
    type Error = ContractError;

    fn try_from(c: t::Claim) -> Result<m::Claim, ContractError> {
        let lines =
            c.lines.into_iter().enumerate().map(|(i, l)| line_in(i, l)).collect::<Result<Vec<_>, ContractError>>()?;
        let diagnoses = c
            .diagnoses
            .iter()
            .map(|d| m::Diagnosis::parse(d).map_err(|e| ContractError::at("diagnoses", e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(m::Claim {
            id: c.id,
            payer: m::Payer {
                id: c.payer.id,
                name: c.payer.name,
                kind: match c.payer.kind {
                    t::PayerKind::Medicare => m::PayerKind::Medicare,
                    t::PayerKind::Commercial => m::PayerKind::Commercial,
                    t::PayerKind::Medicaid => m::PayerKind::Medicaid,
                    t::PayerKind::WorkersComp => m::PayerKind::WorkersComp,
                    t::PayerKind::SelfPay => m::PayerKind::SelfPay,
                },
            },
            patient: m::Patient { id: c.patient.id, birth_date: date_in(c.patient.birth_date, "patient.birth_date")? },
            billing_provider: m::Provider { npi: c.billing_provider.npi, name: c.billing_provider.name },
            rendering_provider: rendering_in(c.rendering_provider),
            place_of_service: c.place_of_service,
            diagnoses,
            lines,
            episode: c.episode.map(episode_in).transpose()?,
            participation: match c.participation {
                t::Participation::Participating => m::Participation::Participating,
                t::Participation::NonParticipating => m::Participation::NonParticipating,
            },
            accepts_assignment: c.accepts_assignment,
        })
    }
}

impl From<m::Outcome> for t::Outcome {
    fn from(o: m::Outcome) -> t::Outcome {
        t::Outcome {
            lines: o.lines.into_iter().map(line_result_out).collect(),
            findings: o.findings.into_iter().map(finding_out).collect(),
        }
    }
}

fn line_result_out(l: m::LineResult) -> t::LineResult {
    t::LineResult {
        line: l.line,
        correct_units: l.correct_units,
        allowed_units: l.allowed_units,
        status: match l.status {
            m::LineStatus::Payable => t::LineStatus::Payable,
            m::LineStatus::Adjusted => t::LineStatus::Adjusted,
            m::LineStatus::Denied => t::LineStatus::Denied,
        },
        expected_allowed: l.expected_allowed.cents(),
        expected_payment: l.expected_payment.cents(),
        price_steps: l
            .price_steps
            .into_iter()
            .map(|s| t::PriceStep { description: s.description, amount: s.amount.cents() })
            .collect(),
    }
}

fn severity_out(s: m::Severity) -> t::Severity {
    match s {
        m::Severity::Info => t::Severity::Info,
        m::Severity::Warning => t::Severity::Warning,
        m::Severity::Error => t::Severity::Error,
    }
}

fn finding_out(f: m::Finding) -> t::Finding {
    t::Finding {
        rule_id: f.rule_id,
        severity: severity_out(f.severity),
        line: f.line,
        message: f.message,
        evidence: f.evidence.into_iter().map(|x| t::Fact { label: x.label, value: x.value }).collect(),
        denial: f.denial.map(|d| t::Denial {
            group: match d.group {
                m::AdjustmentGroup::Co => t::AdjustmentGroup::Co,
                m::AdjustmentGroup::Pr => t::AdjustmentGroup::Pr,
                m::AdjustmentGroup::Oa => t::AdjustmentGroup::Oa,
                m::AdjustmentGroup::Pi => t::AdjustmentGroup::Pi,
            },
            carc: d.carc,
            rarc: d.rarc,
        }),
        fixes: f.fixes.into_iter().map(fix_out).collect(),
        citation: f.citation,
    }
}

fn fix_out(x: m::Fix) -> t::Fix {
    t::Fix {
        line: x.line,
        action: match x.action {
            m::FixAction::SetUnits(u) => t::FixAction::SetUnits(u),
            m::FixAction::AddModifier(s) => t::FixAction::AddModifier(s),
            m::FixAction::RemoveModifier(s) => t::FixAction::RemoveModifier(s),
            m::FixAction::RemoveLine => t::FixAction::RemoveLine,
            m::FixAction::ReplaceCode(s) => t::FixAction::ReplaceCode(s),
            m::FixAction::AddLine(a) => {
                t::FixAction::AddLine(t::AddedLine { procedure: a.procedure, modifiers: a.modifiers, units: a.units })
            }
        },
        applicability: match x.applicability {
            m::Applicability::Automatic => t::Applicability::Automatic,
            m::Applicability::NeedsReview => t::Applicability::NeedsReview,
        },
    }
}

impl From<m::PluginInfo> for t::PluginInfo {
    fn from(p: m::PluginInfo) -> t::PluginInfo {
        t::PluginInfo {
            name: p.name,
            version: p.version,
            contract_version: p.contract_version,
            rules: p
                .rules
                .into_iter()
                .map(|r| t::RuleInfo {
                    id: r.id,
                    title: r.title,
                    citation: r.citation,
                    severity: r.severity.map(severity_out),
                    denial: r.denial,
                })
                .collect(),
        }
    }
}

impl From<m::ConfigError> for t::ConfigError {
    fn from(e: m::ConfigError) -> t::ConfigError {
        t::ConfigError { field: e.field, message: e.message }
    }
}

impl From<m::EvaluationError> for t::EvaluationError {
    fn from(e: m::EvaluationError) -> t::EvaluationError {
        t::EvaluationError { message: e.message }
    }
}

impl From<r::DataError> for m::DataUnavailable {
    fn from(e: r::DataError) -> m::DataUnavailable {
        match e {
            r::DataError::NotGranted => m::DataUnavailable::NotGranted,
            r::DataError::NoDataForDate => m::DataUnavailable::NoDataForDate,
        }
    }
}

/// A packed code from the host as text. The host answers about the claim's
/// own codes, which it packed from valid codes, so this always unpacks; a
/// code that did not would match no line and be ignored.
fn code_text(code: u64) -> String {
    m::unpack_ascii(code).unwrap_or_default()
}

/// A host date as the model's; the host sends real dates, so one that is not
/// is treated as data missing for the date.
fn host_date(d: t::Date) -> Result<m::Date, m::DataUnavailable> {
    m::Date::new(d.year, d.month, d.day).map_err(|_| m::DataUnavailable::NoDataForDate)
}

impl TryFrom<r::PtpEdit> for m::PtpEdit {
    type Error = m::DataUnavailable;

    fn try_from(e: r::PtpEdit) -> Result<m::PtpEdit, m::DataUnavailable> {
        Ok(m::PtpEdit {
            column_one: code_text(e.column_one),
            column_two: code_text(e.column_two),
            effective: host_date(e.effective)?,
            deletion: e.deletion.map(host_date).transpose()?,
            modifier_indicator: match e.modifier_indicator {
                r::ModifierIndicator::NotAllowed => m::ModifierIndicator::NotAllowed,
                r::ModifierIndicator::Allowed => m::ModifierIndicator::Allowed,
                r::ModifierIndicator::NotApplicable => m::ModifierIndicator::NotApplicable,
            },
            rationale: e.rationale,
        })
    }
}

impl From<r::MueLimit> for m::MueLimit {
    fn from(l: r::MueLimit) -> m::MueLimit {
        m::MueLimit {
            code: code_text(l.code),
            units: l.units,
            adjudication: match l.adjudication {
                r::MueAdjudication::Line => m::MueAdjudication::Line,
                r::MueAdjudication::DateOfServicePolicy => m::MueAdjudication::DateOfServicePolicy,
                r::MueAdjudication::DateOfServiceClinical => m::MueAdjudication::DateOfServiceClinical,
            },
            rationale: l.rationale,
        }
    }
}

impl From<r::RelativeValues> for m::RelativeValues {
    fn from(v: r::RelativeValues) -> m::RelativeValues {
        m::RelativeValues {
            code: code_text(v.code),
            status: v.status,
            work: v.work,
            practice_expense_nonfacility: v.practice_expense_nonfacility,
            practice_expense_facility: v.practice_expense_facility,
            malpractice: v.malpractice,
            multiple_procedure: v.multiple_procedure,
        }
    }
}

impl From<r::GeographicIndices> for m::GeographicIndices {
    fn from(g: r::GeographicIndices) -> m::GeographicIndices {
        m::GeographicIndices {
            locality: g.locality,
            work: g.work,
            practice_expense: g.practice_expense,
            malpractice: g.malpractice,
        }
    }
}
