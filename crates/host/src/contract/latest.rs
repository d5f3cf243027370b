//! `payrules:policy@0.5.0`, the newest contract (released with issue 13): the one version
//! that converts to and from the billing model.
//!
//! Codes and modifiers cross as packed numbers, and one `code-reference`
//! call answers a date's edits, limits and relative values for the claim's
//! own codes. Lines carry their own clinician and place of service; the
//! claim its provider's participation and assignment; the episode the
//! deductible met and plans of care by discipline.

wasmtime::component::bindgen!({
    path: "../../wit/since_v0.5.0",
    world: "payer-policy",
    // A lookup outside the claim under evaluation traps the plugin.
    imports: { default: trappable },
});

use payrules_model as m;
use payrules_model::ReferenceData as _;

pub use self::payrules::policy::diagnostics as d;
pub use self::payrules::policy::reference_data as r;
pub use self::payrules::policy::types as t;
use crate::sandbox::SandboxState;

/// The version as it appears in the component's export names.
pub const VERSION: &str = "0.5.0";

/// A model date as the contract's.
pub fn date_out(d: m::Date) -> t::Date {
    t::Date { year: d.year(), month: d.month(), day: d.day() }
}

/// A contract date as the model's, if it is a real date.
pub fn date_in(d: t::Date) -> Option<m::Date> {
    m::Date::new(d.year, d.month, d.day).ok()
}

impl From<&m::Claim> for t::Claim {
    fn from(c: &m::Claim) -> t::Claim {
        t::Claim {
            id: c.id.clone(),
            payer: t::Payer {
                id: c.payer.id.clone(),
                name: c.payer.name.clone(),
                kind: match c.payer.kind {
                    m::PayerKind::Medicare => t::PayerKind::Medicare,
                    m::PayerKind::Commercial => t::PayerKind::Commercial,
                    m::PayerKind::Medicaid => t::PayerKind::Medicaid,
                    m::PayerKind::WorkersComp => t::PayerKind::WorkersComp,
                    m::PayerKind::SelfPay => t::PayerKind::SelfPay,
                },
            },
            patient: t::Patient { id: c.patient.id.clone(), birth_date: date_out(c.patient.birth_date) },
            billing_provider: t::Provider {
                npi: c.billing_provider.npi.clone(),
                name: c.billing_provider.name.clone(),
            },
            rendering_provider: rendering_out(&c.rendering_provider),
            place_of_service: c.place_of_service.clone(),
            diagnoses: c.diagnoses.iter().map(|d| d.as_str().to_owned()).collect(),
            lines: c.lines.iter().map(line_out).collect(),
            episode: c.episode.as_ref().map(episode_out),
            participation: match c.participation {
                m::Participation::Participating => t::Participation::Participating,
                m::Participation::NonParticipating => t::Participation::NonParticipating,
            },
            accepts_assignment: c.accepts_assignment,
        }
    }
}

fn rendering_out(r: &m::RenderingProvider) -> t::RenderingProvider {
    t::RenderingProvider {
        npi: r.npi.clone(),
        name: r.name.clone(),
        role: match r.role {
            m::ClinicianRole::Therapist => t::ClinicianRole::Therapist,
            m::ClinicianRole::Assistant => t::ClinicianRole::Assistant,
        },
    }
}

fn line_out(l: &m::ServiceLine) -> t::ServiceLine {
    t::ServiceLine {
        number: l.number,
        date_of_service: date_out(l.date_of_service),
        procedure: l.procedure.packed(),
        modifiers: l.modifiers.iter().map(m::Modifier::packed).collect(),
        units: l.units,
        diagnosis_pointers: l.diagnosis_pointers.clone(),
        charge: l.charge.cents(),
        minutes: l.minutes.map(|x| t::TreatmentMinutes { total: x.total, assistant: x.assistant }),
        time_blocks: l
            .time_blocks
            .iter()
            .map(|b| t::TimeBlock { start: b.start.minutes(), end: b.end.minutes() })
            .collect(),
        rendering_provider: l.rendering_provider.as_ref().map(rendering_out),
        place_of_service: l.place_of_service.clone(),
    }
}

fn episode_out(e: &m::Episode) -> t::Episode {
    t::Episode {
        plan_of_care_start: e.plan_of_care_start.map(date_out),
        plan_of_care_certified: e.plan_of_care_certified.map(date_out),
        plan_of_care_recertified: e.plan_of_care_recertified.map(date_out),
        treatment_days_since_progress_report: e.treatment_days_since_progress_report,
        functional_goals_documented: e.functional_goals_documented,
        year_to_date_allowed: e
            .year_to_date_allowed
            .map(|y| t::YearToDate { pt_slp: y.pt_slp.cents(), ot: y.ot.cents() }),
        visit_number: e.visit_number,
        injury_date: e.injury_date.map(date_out),
        injury_claim_number: e.injury_claim_number.clone(),
        authorization: e.authorization.as_ref().map(|a| t::Authorization {
            number: a.number.clone(),
            visits: a.visits,
            written: a.written,
        }),
        post_surgical: e.post_surgical,
        deductible_met: e.deductible_met.map(m::Money::cents),
        plans_of_care: e
            .plans_of_care
            .iter()
            .map(|p| t::PlanOfCare {
                discipline: match p.discipline {
                    m::Discipline::Physical => t::Discipline::Physical,
                    m::Discipline::Occupational => t::Discipline::Occupational,
                    m::Discipline::SpeechLanguage => t::Discipline::SpeechLanguage,
                },
                start: p.start.map(date_out),
                certified: p.certified.map(date_out),
                recertified: p.recertified.map(date_out),
                treatment_days_since_progress_report: p.treatment_days_since_progress_report,
                functional_goals_documented: p.functional_goals_documented,
            })
            .collect(),
    }
}

impl From<t::Outcome> for m::Outcome {
    fn from(o: t::Outcome) -> m::Outcome {
        m::Outcome {
            lines: o.lines.into_iter().map(line_result_in).collect(),
            findings: o.findings.into_iter().map(finding_in).collect(),
        }
    }
}

fn line_result_in(l: t::LineResult) -> m::LineResult {
    m::LineResult {
        line: l.line,
        correct_units: l.correct_units,
        allowed_units: l.allowed_units,
        status: match l.status {
            t::LineStatus::Payable => m::LineStatus::Payable,
            t::LineStatus::Adjusted => m::LineStatus::Adjusted,
            t::LineStatus::Denied => m::LineStatus::Denied,
        },
        expected_allowed: m::Money::from_cents(l.expected_allowed),
        expected_payment: m::Money::from_cents(l.expected_payment),
        price_steps: l
            .price_steps
            .into_iter()
            .map(|s| m::PriceStep { description: s.description, amount: m::Money::from_cents(s.amount) })
            .collect(),
    }
}

fn severity_in(s: t::Severity) -> m::Severity {
    match s {
        t::Severity::Info => m::Severity::Info,
        t::Severity::Warning => m::Severity::Warning,
        t::Severity::Error => m::Severity::Error,
    }
}

fn finding_in(f: t::Finding) -> m::Finding {
    m::Finding {
        rule_id: f.rule_id,
        severity: severity_in(f.severity),
        line: f.line,
        message: f.message,
        evidence: f.evidence.into_iter().map(|x| m::Fact { label: x.label, value: x.value }).collect(),
        denial: f.denial.map(|d| m::Denial {
            group: match d.group {
                t::AdjustmentGroup::Co => m::AdjustmentGroup::Co,
                t::AdjustmentGroup::Pr => m::AdjustmentGroup::Pr,
                t::AdjustmentGroup::Oa => m::AdjustmentGroup::Oa,
                t::AdjustmentGroup::Pi => m::AdjustmentGroup::Pi,
            },
            carc: d.carc,
            rarc: d.rarc,
        }),
        fixes: f.fixes.into_iter().map(fix_in).collect(),
        citation: f.citation,
    }
}

fn fix_in(x: t::Fix) -> m::Fix {
    m::Fix {
        line: x.line,
        action: match x.action {
            t::FixAction::SetUnits(u) => m::FixAction::SetUnits(u),
            t::FixAction::AddModifier(s) => m::FixAction::AddModifier(s),
            t::FixAction::RemoveModifier(s) => m::FixAction::RemoveModifier(s),
            t::FixAction::RemoveLine => m::FixAction::RemoveLine,
            t::FixAction::ReplaceCode(s) => m::FixAction::ReplaceCode(s),
            t::FixAction::AddLine(a) => {
                m::FixAction::AddLine(m::AddedLine { procedure: a.procedure, modifiers: a.modifiers, units: a.units })
            }
        },
        applicability: match x.applicability {
            t::Applicability::Automatic => m::Applicability::Automatic,
            t::Applicability::NeedsReview => m::Applicability::NeedsReview,
        },
    }
}

impl From<t::PluginInfo> for m::PluginInfo {
    fn from(p: t::PluginInfo) -> m::PluginInfo {
        m::PluginInfo {
            name: p.name,
            version: p.version,
            contract_version: p.contract_version,
            rules: p
                .rules
                .into_iter()
                .map(|r| m::RuleInfo {
                    id: r.id,
                    title: r.title,
                    citation: r.citation,
                    severity: r.severity.map(severity_in),
                    denial: r.denial,
                })
                .collect(),
        }
    }
}

impl From<t::ConfigError> for m::ConfigError {
    fn from(e: t::ConfigError) -> m::ConfigError {
        m::ConfigError { field: e.field, message: e.message }
    }
}

impl From<t::EvaluationError> for m::EvaluationError {
    fn from(e: t::EvaluationError) -> m::EvaluationError {
        m::EvaluationError { message: e.message }
    }
}

impl From<m::DataUnavailable> for r::DataError {
    fn from(e: m::DataUnavailable) -> r::DataError {
        match e {
            m::DataUnavailable::NotGranted => r::DataError::NotGranted,
            m::DataUnavailable::NoDataForDate => r::DataError::NoDataForDate,
        }
    }
}

/// The host answers only about the claim's own codes, which are valid
/// procedure codes, so every one packs.
fn pack(code: &str) -> u64 {
    m::pack_ascii(code).unwrap_or(0)
}

impl From<m::PtpEdit> for r::PtpEdit {
    fn from(e: m::PtpEdit) -> r::PtpEdit {
        r::PtpEdit {
            column_one: pack(&e.column_one),
            column_two: pack(&e.column_two),
            effective: date_out(e.effective),
            deletion: e.deletion.map(date_out),
            modifier_indicator: match e.modifier_indicator {
                m::ModifierIndicator::NotAllowed => r::ModifierIndicator::NotAllowed,
                m::ModifierIndicator::Allowed => r::ModifierIndicator::Allowed,
                m::ModifierIndicator::NotApplicable => r::ModifierIndicator::NotApplicable,
            },
            rationale: e.rationale,
        }
    }
}

impl From<m::MueLimit> for r::MueLimit {
    fn from(l: m::MueLimit) -> r::MueLimit {
        r::MueLimit {
            code: pack(&l.code),
            units: l.units,
            adjudication: match l.adjudication {
                m::MueAdjudication::Line => r::MueAdjudication::Line,
                m::MueAdjudication::DateOfServicePolicy => r::MueAdjudication::DateOfServicePolicy,
                m::MueAdjudication::DateOfServiceClinical => r::MueAdjudication::DateOfServiceClinical,
            },
            rationale: l.rationale,
        }
    }
}

impl From<m::RelativeValues> for r::RelativeValues {
    fn from(v: m::RelativeValues) -> r::RelativeValues {
        r::RelativeValues {
            code: pack(&v.code),
            status: v.status,
            work: v.work,
            practice_expense_nonfacility: v.practice_expense_nonfacility,
            practice_expense_facility: v.practice_expense_facility,
            malpractice: v.malpractice,
            multiple_procedure: v.multiple_procedure,
        }
    }
}

impl From<m::GeographicIndices> for r::GeographicIndices {
    fn from(g: m::GeographicIndices) -> r::GeographicIndices {
        r::GeographicIndices {
            locality: g.locality,
            work: g.work,
            practice_expense: g.practice_expense,
            malpractice: g.malpractice,
        }
    }
}

/// A lookup's answer for the plugin, or the trap that stops it.
pub type Lookup<T> = wasmtime::Result<Result<T, r::DataError>>;

/// One table's rows for the plugin, converted.
fn rows<A, B: From<A>>(answer: Result<Vec<A>, m::DataUnavailable>) -> Result<Vec<B>, r::DataError> {
    answer.map(|rows| rows.into_iter().map(B::from).collect()).map_err(r::DataError::from)
}

impl t::Host for SandboxState {}

/// What `day-reference` answers, for this version and the ones before it
/// that have the call (0.4.0).
pub(crate) fn day_reference(
    state: &mut SandboxState,
    on: t::Date,
    tables: r::CodeTables,
    locality: Option<String>,
) -> wasmtime::Result<r::CodeReference> {
    if let Some(locality) = &locality {
        state.check_locality(locality)?;
    }
    let (date, codes) = state.check_day_lookup("code reference data", date_in(on))?;
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    let ask = |table: r::CodeTables| tables.contains(table);
    let ptp_edits = ask(r::CodeTables::PTP_EDITS).then(|| state.data.ptp_edits(&codes, date));
    let mue_limits = ask(r::CodeTables::MUE_LIMITS).then(|| state.data.mue_limits(&codes, date));
    let relative_values = ask(r::CodeTables::RELATIVE_VALUES).then(|| state.data.relative_values(&codes, date));
    let geographic_indices = locality.map(|locality| state.data.geographic_indices(&locality, date));
    let mut answered = 0;
    answered += ptp_edits.as_ref().and_then(|a| a.as_ref().ok()).map_or(0, Vec::len);
    answered += mue_limits.as_ref().and_then(|a| a.as_ref().ok()).map_or(0, Vec::len);
    answered += relative_values.as_ref().and_then(|a| a.as_ref().ok()).map_or(0, Vec::len);
    answered += usize::from(geographic_indices.is_some());
    state.charge(codes.len() + answered);
    Ok(r::CodeReference {
        ptp_edits: ptp_edits.map(rows),
        mue_limits: mue_limits.map(rows),
        relative_values: relative_values.map(rows),
        geographic_indices: geographic_indices
            .map(|answer| answer.map(|i| i.map(r::GeographicIndices::from)).map_err(r::DataError::from)),
    })
}

/// What `geographic-indices-for` answers, for this version and 0.4.0.
pub(crate) fn geographic_indices_for(
    state: &mut SandboxState,
    locality: &str,
    on: t::Date,
) -> Lookup<Option<r::GeographicIndices>> {
    state.check_locality(locality)?;
    let date = state.check_lookup("geographic indices", &[], date_in(on))?;
    state.charge(1);
    Ok(state
        .data
        .geographic_indices(locality, date)
        .map(|i| i.map(r::GeographicIndices::from))
        .map_err(r::DataError::from))
}

impl r::Host for SandboxState {
    fn day_reference(
        &mut self,
        on: t::Date,
        tables: r::CodeTables,
        locality: Option<String>,
    ) -> wasmtime::Result<r::CodeReference> {
        day_reference(self, on, tables, locality)
    }

    fn geographic_indices_for(&mut self, locality: String, on: t::Date) -> Lookup<Option<r::GeographicIndices>> {
        geographic_indices_for(self, &locality, on)
    }
}

impl d::Host for SandboxState {
    fn panicked(&mut self, message: String) -> wasmtime::Result<()> {
        self.record_panic(&message);
        Ok(())
    }
}
