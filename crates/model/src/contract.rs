//! Conversions between the model and the types that WIT bindgen generates for
//! `payrules:policy@0.1.0`.
//!
//! The host (wasmtime's `bindgen!`) and the PDK (`wit_bindgen::generate!`) each
//! generate their own copy of the contract types, with the same names and
//! fields. One macro writes the conversions for both, so the mapping between
//! the model and the contract is stated exactly once.

/// A contract value that does not make a valid model value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct ContractError {
    /// Path of the offending field.
    pub field: String,
    /// What was wrong.
    pub message: String,
}

impl ContractError {
    /// An error at `field`.
    pub fn at(field: impl Into<String>, message: impl std::fmt::Display) -> ContractError {
        ContractError { field: field.into(), message: message.to_string() }
    }
}

/// Implements `From`/`TryFrom` between the model and the generated contract
/// types found under the bracketed path (the module generated for the `types`
/// interface): claims both ways, and outcomes, plugin info and errors from the
/// contract. `fix_in` lists the match arms for fix actions a version adds.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_conversions {
    ([$($t:tt)+] fix_in { $($fix_in:tt)* }) => {
        const _: () = {
            use $crate as m;
            use $($t)+ as t;
            use m::contract::ContractError;

            fn date_in(d: t::Date, field: &str) -> Result<m::Date, ContractError> {
                m::Date::new(d.year, d.month, d.day).map_err(|e| ContractError::at(field, e))
            }
            fn date_out(d: m::Date) -> t::Date {
                t::Date { year: d.year(), month: d.month(), day: d.day() }
            }
            fn opt_date_in(d: Option<t::Date>, field: &str) -> Result<Option<m::Date>, ContractError> {
                d.map(|d| date_in(d, field)).transpose()
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
                        billing_provider: t::Provider { npi: c.billing_provider.npi.clone(), name: c.billing_provider.name.clone() },
                        rendering_provider: t::RenderingProvider {
                            npi: c.rendering_provider.npi.clone(),
                            name: c.rendering_provider.name.clone(),
                            role: match c.rendering_provider.role {
                                m::ClinicianRole::Therapist => t::ClinicianRole::Therapist,
                                m::ClinicianRole::Assistant => t::ClinicianRole::Assistant,
                            },
                        },
                        place_of_service: c.place_of_service.clone(),
                        diagnoses: c.diagnoses.iter().map(|d| d.as_str().to_owned()).collect(),
                        lines: c
                            .lines
                            .iter()
                            .map(|l| t::ServiceLine {
                                number: l.number,
                                date_of_service: date_out(l.date_of_service),
                                procedure: l.procedure.as_str().to_owned(),
                                modifiers: l.modifiers.iter().map(|x| x.as_str().to_owned()).collect(),
                                units: l.units,
                                diagnosis_pointers: l.diagnosis_pointers.clone(),
                                charge: l.charge.cents(),
                                minutes: l.minutes.map(|x| t::TreatmentMinutes { total: x.total, assistant: x.assistant }),
                                time_blocks: l
                                    .time_blocks
                                    .iter()
                                    .map(|b| t::TimeBlock { start: b.start.minutes(), end: b.end.minutes() })
                                    .collect(),
                            })
                            .collect(),
                        episode: c.episode.as_ref().map(|e| t::Episode {
                            plan_of_care_start: e.plan_of_care_start.map(date_out),
                            plan_of_care_certified: e.plan_of_care_certified.map(date_out),
                            plan_of_care_recertified: e.plan_of_care_recertified.map(date_out),
                            treatment_days_since_progress_report: e.treatment_days_since_progress_report,
                            functional_goals_documented: e.functional_goals_documented,
                            year_to_date_allowed: e.year_to_date_allowed.map(|y| t::YearToDate { pt_slp: y.pt_slp.cents(), ot: y.ot.cents() }),
                            visit_number: e.visit_number,
                            injury_date: e.injury_date.map(date_out),
                            injury_claim_number: e.injury_claim_number.clone(),
                            authorization: e.authorization.as_ref().map(|a| t::Authorization {
                                number: a.number.clone(),
                                visits: a.visits,
                                written: a.written,
                            }),
                            post_surgical: e.post_surgical,
                        }),
                    }
                }
            }

            impl TryFrom<t::Claim> for m::Claim {
                type Error = ContractError;
                fn try_from(c: t::Claim) -> Result<m::Claim, ContractError> {
                    let mut lines = Vec::with_capacity(c.lines.len());
                    for (i, l) in c.lines.into_iter().enumerate() {
                        let at = |f: &str| format!("lines[{i}].{f}");
                        let mut modifiers = Vec::with_capacity(l.modifiers.len());
                        for x in &l.modifiers {
                            modifiers.push(m::Modifier::parse(x).map_err(|e| ContractError::at(at("modifiers"), e))?);
                        }
                        let mut time_blocks = Vec::with_capacity(l.time_blocks.len());
                        for b in &l.time_blocks {
                            let clock = |v: u16| m::ClockTime::from_minutes(v).ok_or_else(|| ContractError::at(at("time_blocks"), "past midnight"));
                            time_blocks.push(m::TimeBlock { start: clock(b.start)?, end: clock(b.end)? });
                        }
                        lines.push(m::ServiceLine {
                            number: l.number,
                            date_of_service: date_in(l.date_of_service, &at("date_of_service"))?,
                            procedure: m::ProcedureCode::parse(&l.procedure).map_err(|e| ContractError::at(at("procedure"), e))?,
                            modifiers,
                            units: l.units,
                            diagnosis_pointers: l.diagnosis_pointers,
                            charge: m::Money::from_cents(l.charge),
                            minutes: l.minutes.map(|x| m::TreatmentMinutes { total: x.total, assistant: x.assistant }),
                            time_blocks,
                        });
                    }
                    let mut diagnoses = Vec::with_capacity(c.diagnoses.len());
                    for d in &c.diagnoses {
                        diagnoses.push(m::Diagnosis::parse(d).map_err(|e| ContractError::at("diagnoses", e))?);
                    }
                    let episode = match c.episode {
                        None => None,
                        Some(e) => Some(m::Episode {
                            plan_of_care_start: opt_date_in(e.plan_of_care_start, "episode.plan_of_care_start")?,
                            plan_of_care_certified: opt_date_in(e.plan_of_care_certified, "episode.plan_of_care_certified")?,
                            plan_of_care_recertified: opt_date_in(e.plan_of_care_recertified, "episode.plan_of_care_recertified")?,
                            treatment_days_since_progress_report: e.treatment_days_since_progress_report,
                            functional_goals_documented: e.functional_goals_documented,
                            year_to_date_allowed: e.year_to_date_allowed.map(|y| m::YearToDate {
                                pt_slp: m::Money::from_cents(y.pt_slp),
                                ot: m::Money::from_cents(y.ot),
                            }),
                            visit_number: e.visit_number,
                            injury_date: opt_date_in(e.injury_date, "episode.injury_date")?,
                            injury_claim_number: e.injury_claim_number,
                            authorization: e.authorization.map(|a| m::Authorization { number: a.number, visits: a.visits, written: a.written }),
                            post_surgical: e.post_surgical,
                        }),
                    };
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
                        rendering_provider: m::RenderingProvider {
                            npi: c.rendering_provider.npi,
                            name: c.rendering_provider.name,
                            role: match c.rendering_provider.role {
                                t::ClinicianRole::Therapist => m::ClinicianRole::Therapist,
                                t::ClinicianRole::Assistant => m::ClinicianRole::Assistant,
                            },
                        },
                        place_of_service: c.place_of_service,
                        diagnoses,
                        lines,
                        episode,
                    })
                }
            }

            impl From<t::Outcome> for m::Outcome {
                fn from(o: t::Outcome) -> m::Outcome {
                    m::Outcome {
                        lines: o
                            .lines
                            .into_iter()
                            .map(|l| m::LineResult {
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
                            })
                            .collect(),
                        findings: o
                            .findings
                            .into_iter()
                            .map(|f| m::Finding {
                                rule_id: f.rule_id,
                                severity: match f.severity {
                                    t::Severity::Info => m::Severity::Info,
                                    t::Severity::Warning => m::Severity::Warning,
                                    t::Severity::Error => m::Severity::Error,
                                },
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
                                fixes: f
                                    .fixes
                                    .into_iter()
                                    .map(|x| m::Fix {
                                        line: x.line,
                                        action: match x.action {
                                            t::FixAction::SetUnits(u) => m::FixAction::SetUnits(u),
                                            t::FixAction::AddModifier(s) => m::FixAction::AddModifier(s),
                                            t::FixAction::RemoveModifier(s) => m::FixAction::RemoveModifier(s),
                                            t::FixAction::RemoveLine => m::FixAction::RemoveLine,
                                            t::FixAction::ReplaceCode(s) => m::FixAction::ReplaceCode(s),
                                            $($fix_in)*
                                        },
                                        applicability: match x.applicability {
                                            t::Applicability::Automatic => m::Applicability::Automatic,
                                            t::Applicability::NeedsReview => m::Applicability::NeedsReview,
                                        },
                                    })
                                    .collect(),
                                citation: f.citation,
                            })
                            .collect(),
                    }
                }
            }

            impl From<t::PluginInfo> for m::PluginInfo {
                fn from(p: t::PluginInfo) -> m::PluginInfo {
                    m::PluginInfo {
                        name: p.name,
                        version: p.version,
                        contract_version: p.contract_version,
                        rules: p.rules.into_iter().map(|r| m::RuleInfo { id: r.id, title: r.title, citation: r.citation }).collect(),
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
        };
    };
}

/// Implements the conversions a plugin needs to answer in the newest contract:
/// outcomes, plugin info and errors from the model to the generated types
/// found under the bracketed path.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_answers {
    ([$($t:tt)+]) => {
        const _: () = {
            use $crate as m;
            use $($t)+ as t;

            impl From<m::Outcome> for t::Outcome {
                fn from(o: m::Outcome) -> t::Outcome {
                    t::Outcome {
                        lines: o
                            .lines
                            .into_iter()
                            .map(|l| t::LineResult {
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
                            })
                            .collect(),
                        findings: o
                            .findings
                            .into_iter()
                            .map(|f| t::Finding {
                                rule_id: f.rule_id,
                                severity: match f.severity {
                                    m::Severity::Info => t::Severity::Info,
                                    m::Severity::Warning => t::Severity::Warning,
                                    m::Severity::Error => t::Severity::Error,
                                },
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
                                fixes: f
                                    .fixes
                                    .into_iter()
                                    .map(|x| t::Fix {
                                        line: x.line,
                                        action: match x.action {
                                            m::FixAction::SetUnits(u) => t::FixAction::SetUnits(u),
                                            m::FixAction::AddModifier(s) => t::FixAction::AddModifier(s),
                                            m::FixAction::RemoveModifier(s) => t::FixAction::RemoveModifier(s),
                                            m::FixAction::RemoveLine => t::FixAction::RemoveLine,
                                            m::FixAction::ReplaceCode(s) => t::FixAction::ReplaceCode(s),
                                            m::FixAction::AddLine(a) => t::FixAction::AddLine(t::AddedLine {
                                                procedure: a.procedure,
                                                modifiers: a.modifiers,
                                                units: a.units,
                                            }),
                                        },
                                        applicability: match x.applicability {
                                            m::Applicability::Automatic => t::Applicability::Automatic,
                                            m::Applicability::NeedsReview => t::Applicability::NeedsReview,
                                        },
                                    })
                                    .collect(),
                                citation: f.citation,
                            })
                            .collect(),
                    }
                }
            }

            impl From<m::PluginInfo> for t::PluginInfo {
                fn from(p: m::PluginInfo) -> t::PluginInfo {
                    t::PluginInfo {
                        name: p.name,
                        version: p.version,
                        contract_version: p.contract_version,
                        rules: p.rules.into_iter().map(|r| t::RuleInfo { id: r.id, title: r.title, citation: r.citation }).collect(),
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

        };
    };
}

/// Implements conversions between the model's reference data types and those
/// generated for the `reference-data` interface (first bracketed path), whose
/// dates come from the `types` interface (second bracketed path).
#[doc(hidden)]
#[macro_export]
macro_rules! __reference_conversions {
    ([$($r:tt)+] [$($t:tt)+]) => {
        const _: () = {
            use $crate as m;
            use $($r)+ as r;
            use $($t)+ as t;

            fn date_out(d: m::Date) -> t::Date {
                t::Date { year: d.year(), month: d.month(), day: d.day() }
            }

            fn date_in(d: t::Date) -> Option<m::Date> {
                m::Date::new(d.year, d.month, d.day).ok()
            }

            impl From<m::DataUnavailable> for r::DataError {
                fn from(e: m::DataUnavailable) -> r::DataError {
                    match e {
                        m::DataUnavailable::NotGranted => r::DataError::NotGranted,
                        m::DataUnavailable::NoDataForDate => r::DataError::NoDataForDate,
                    }
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

            impl From<m::PtpEdit> for r::PtpEdit {
                fn from(e: m::PtpEdit) -> r::PtpEdit {
                    r::PtpEdit {
                        column_one: e.column_one,
                        column_two: e.column_two,
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

            impl TryFrom<r::PtpEdit> for m::PtpEdit {
                type Error = m::DataUnavailable;
                fn try_from(e: r::PtpEdit) -> Result<m::PtpEdit, m::DataUnavailable> {
                    // A date the host sent cannot be invalid; treat one as missing data.
                    Ok(m::PtpEdit {
                        column_one: e.column_one,
                        column_two: e.column_two,
                        effective: date_in(e.effective).ok_or(m::DataUnavailable::NoDataForDate)?,
                        deletion: match e.deletion {
                            Some(d) => Some(date_in(d).ok_or(m::DataUnavailable::NoDataForDate)?),
                            None => None,
                        },
                        modifier_indicator: match e.modifier_indicator {
                            r::ModifierIndicator::NotAllowed => m::ModifierIndicator::NotAllowed,
                            r::ModifierIndicator::Allowed => m::ModifierIndicator::Allowed,
                            r::ModifierIndicator::NotApplicable => m::ModifierIndicator::NotApplicable,
                        },
                        rationale: e.rationale,
                    })
                }
            }

            impl From<m::MueLimit> for r::MueLimit {
                fn from(l: m::MueLimit) -> r::MueLimit {
                    r::MueLimit {
                        code: l.code,
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
                        code: v.code,
                        status: v.status,
                        work: v.work,
                        practice_expense_nonfacility: v.practice_expense_nonfacility,
                        practice_expense_facility: v.practice_expense_facility,
                        malpractice: v.malpractice,
                        multiple_procedure: v.multiple_procedure,
                    }
                }
            }

            impl From<r::RelativeValues> for m::RelativeValues {
                fn from(v: r::RelativeValues) -> m::RelativeValues {
                    m::RelativeValues {
                        code: v.code,
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

            impl From<r::MueLimit> for m::MueLimit {
                fn from(l: r::MueLimit) -> m::MueLimit {
                    m::MueLimit {
                        code: l.code,
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
        };
    };
}
