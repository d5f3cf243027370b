//! The released contract versions before the newest. Each converts into
//! [`super::latest`] and back, never to the model directly.
//!
//! Their `types` interfaces are the same but for the add-line fix (0.2.0
//! on), codes as strings (before 0.4.0) or packed numbers (0.4.0), and rule
//! listings with severity and denial (0.4.0); 0.2.0 and 0.3.0 share
//! `reference-data`. `bindgen!` still makes distinct Rust types for each
//! version. So the conversions are written once here, in the
//! [`into_latest!`] macro, and expanded in each version's module below: the
//! macro is private to this file. A claim's fields newer than a version
//! (line-level clinicians and places, participation, the deductible, plans
//! of care by discipline) are not sent to it.

use payrules_model as m;

use super::latest::{r as lr, t as lt};

/// A packed code as its text. The host packed it from a valid code itself,
/// so it always unpacks.
fn code_text(code: u64) -> String {
    m::unpack_ascii(code).unwrap_or_default()
}

/// A packed modifier as its text; as for [`code_text`].
fn modifier_text(modifier: u16) -> String {
    code_text(u64::from(modifier))
}

/// A packed code as 0.4.0 sends it: unchanged.
fn same_code(code: u64) -> u64 {
    code
}

/// A packed modifier as 0.4.0 sends it: unchanged.
fn same_modifier(modifier: u16) -> u16 {
    modifier
}

/// Conversions between one released version's `types` (under the path
/// given) and the newest contract's; `with_add_line` for the versions that
/// have the add-line fix (0.2.0 on), `packed` for the one that sends codes
/// as numbers and describes its rules' severity and denial (0.4.0).
macro_rules! into_latest {
    ([$($t:tt)+]) => {
        into_latest!(@conversions [$($t)+] fix_in {} codes (code_text, modifier_text) rule (_r => None, None));
    };
    ([$($t:tt)+] with_add_line) => {
        into_latest!(@conversions [$($t)+] fix_in {
            t::FixAction::AddLine(a) => lt::FixAction::AddLine(lt::AddedLine {
                procedure: a.procedure,
                modifiers: a.modifiers,
                units: a.units,
            }),
        } codes (code_text, modifier_text) rule (_r => None, None));
    };
    ([$($t:tt)+] with_add_line packed) => {
        into_latest!(@conversions [$($t)+] fix_in {
            t::FixAction::AddLine(a) => lt::FixAction::AddLine(lt::AddedLine {
                procedure: a.procedure,
                modifiers: a.modifiers,
                units: a.units,
            }),
        } codes (same_code, same_modifier) rule (r => r.severity.map(|s| match s {
            t::Severity::Info => lt::Severity::Info,
            t::Severity::Warning => lt::Severity::Warning,
            t::Severity::Error => lt::Severity::Error,
        }), r.denial));
    };
    (@conversions [$($t:tt)+] fix_in { $($fix_in:tt)* } codes ($code:ident, $modifier:ident)
        rule ($r:ident => $severity:expr, $denial:expr)) => {
        use $($t)+ as t;
        use $crate::contract::released::{$code, $modifier, lt};

        impl From<&lt::Claim> for t::Claim {
            fn from(c: &lt::Claim) -> t::Claim {
                t::Claim {
                    id: c.id.clone(),
                    payer: t::Payer {
                        id: c.payer.id.clone(),
                        name: c.payer.name.clone(),
                        kind: match c.payer.kind {
                            lt::PayerKind::Medicare => t::PayerKind::Medicare,
                            lt::PayerKind::Commercial => t::PayerKind::Commercial,
                            lt::PayerKind::Medicaid => t::PayerKind::Medicaid,
                            lt::PayerKind::WorkersComp => t::PayerKind::WorkersComp,
                            lt::PayerKind::SelfPay => t::PayerKind::SelfPay,
                        },
                    },
                    patient: t::Patient { id: c.patient.id.clone(), birth_date: date(c.patient.birth_date) },
                    billing_provider: t::Provider {
                        npi: c.billing_provider.npi.clone(),
                        name: c.billing_provider.name.clone(),
                    },
                    rendering_provider: t::RenderingProvider {
                        npi: c.rendering_provider.npi.clone(),
                        name: c.rendering_provider.name.clone(),
                        role: match c.rendering_provider.role {
                            lt::ClinicianRole::Therapist => t::ClinicianRole::Therapist,
                            lt::ClinicianRole::Assistant => t::ClinicianRole::Assistant,
                        },
                    },
                    place_of_service: c.place_of_service.clone(),
                    diagnoses: c.diagnoses.clone(),
                    lines: c
                        .lines
                        .iter()
                        .map(|l| t::ServiceLine {
                            number: l.number,
                            date_of_service: date(l.date_of_service),
                            procedure: $code(l.procedure),
                            modifiers: l.modifiers.iter().map(|x| $modifier(*x)).collect(),
                            units: l.units,
                            diagnosis_pointers: l.diagnosis_pointers.clone(),
                            charge: l.charge,
                            minutes: l.minutes.map(|x| t::TreatmentMinutes { total: x.total, assistant: x.assistant }),
                            time_blocks: l
                                .time_blocks
                                .iter()
                                .map(|b| t::TimeBlock { start: b.start, end: b.end })
                                .collect(),
                        })
                        .collect(),
                    episode: c.episode.as_ref().map(|e| t::Episode {
                        plan_of_care_start: e.plan_of_care_start.map(date),
                        plan_of_care_certified: e.plan_of_care_certified.map(date),
                        plan_of_care_recertified: e.plan_of_care_recertified.map(date),
                        treatment_days_since_progress_report: e.treatment_days_since_progress_report,
                        functional_goals_documented: e.functional_goals_documented,
                        year_to_date_allowed: e
                            .year_to_date_allowed
                            .map(|y| t::YearToDate { pt_slp: y.pt_slp, ot: y.ot }),
                        visit_number: e.visit_number,
                        injury_date: e.injury_date.map(date),
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

        fn date(d: lt::Date) -> t::Date {
            t::Date { year: d.year, month: d.month, day: d.day }
        }

        impl From<t::Outcome> for lt::Outcome {
            fn from(o: t::Outcome) -> lt::Outcome {
                lt::Outcome {
                    lines: o
                        .lines
                        .into_iter()
                        .map(|l| lt::LineResult {
                            line: l.line,
                            correct_units: l.correct_units,
                            allowed_units: l.allowed_units,
                            status: match l.status {
                                t::LineStatus::Payable => lt::LineStatus::Payable,
                                t::LineStatus::Adjusted => lt::LineStatus::Adjusted,
                                t::LineStatus::Denied => lt::LineStatus::Denied,
                            },
                            expected_allowed: l.expected_allowed,
                            expected_payment: l.expected_payment,
                            price_steps: l
                                .price_steps
                                .into_iter()
                                .map(|s| lt::PriceStep { description: s.description, amount: s.amount })
                                .collect(),
                        })
                        .collect(),
                    findings: o
                        .findings
                        .into_iter()
                        .map(|f| lt::Finding {
                            rule_id: f.rule_id,
                            severity: match f.severity {
                                t::Severity::Info => lt::Severity::Info,
                                t::Severity::Warning => lt::Severity::Warning,
                                t::Severity::Error => lt::Severity::Error,
                            },
                            line: f.line,
                            message: f.message,
                            evidence: f.evidence.into_iter().map(|x| lt::Fact { label: x.label, value: x.value }).collect(),
                            denial: f.denial.map(|d| lt::Denial {
                                group: match d.group {
                                    t::AdjustmentGroup::Co => lt::AdjustmentGroup::Co,
                                    t::AdjustmentGroup::Pr => lt::AdjustmentGroup::Pr,
                                    t::AdjustmentGroup::Oa => lt::AdjustmentGroup::Oa,
                                    t::AdjustmentGroup::Pi => lt::AdjustmentGroup::Pi,
                                },
                                carc: d.carc,
                                rarc: d.rarc,
                            }),
                            fixes: f
                                .fixes
                                .into_iter()
                                .map(|x| lt::Fix {
                                    line: x.line,
                                    action: match x.action {
                                        t::FixAction::SetUnits(u) => lt::FixAction::SetUnits(u),
                                        t::FixAction::AddModifier(s) => lt::FixAction::AddModifier(s),
                                        t::FixAction::RemoveModifier(s) => lt::FixAction::RemoveModifier(s),
                                        t::FixAction::RemoveLine => lt::FixAction::RemoveLine,
                                        t::FixAction::ReplaceCode(s) => lt::FixAction::ReplaceCode(s),
                                        $($fix_in)*
                                    },
                                    applicability: match x.applicability {
                                        t::Applicability::Automatic => lt::Applicability::Automatic,
                                        t::Applicability::NeedsReview => lt::Applicability::NeedsReview,
                                    },
                                })
                                .collect(),
                            citation: f.citation,
                        })
                        .collect(),
                }
            }
        }

        impl From<t::PluginInfo> for lt::PluginInfo {
            fn from(p: t::PluginInfo) -> lt::PluginInfo {
                lt::PluginInfo {
                    name: p.name,
                    version: p.version,
                    contract_version: p.contract_version,
                    rules: p
                        .rules
                        .into_iter()
                        // Releases before 0.4.0 do not say a rule's severity or denial.
                        .map(|$r| lt::RuleInfo {
                            id: $r.id,
                            title: $r.title,
                            citation: $r.citation,
                            severity: $severity,
                            denial: $denial,
                        })
                        .collect(),
                }
            }
        }

        impl From<t::ConfigError> for lt::ConfigError {
            fn from(e: t::ConfigError) -> lt::ConfigError {
                lt::ConfigError { field: e.field, message: e.message }
            }
        }

        impl From<t::EvaluationError> for lt::EvaluationError {
            fn from(e: t::EvaluationError) -> lt::EvaluationError {
                lt::EvaluationError { message: e.message }
            }
        }
    };
}

/// The reference-data rows of the newest contract as one released
/// version's (which has `r` and `t` in scope), with codes converted by `$code`.
macro_rules! rows_from_latest {
    ($code:ident) => {
        fn date_out(d: lt::Date) -> t::Date {
            t::Date { year: d.year, month: d.month, day: d.day }
        }

        impl From<lr::PtpEdit> for r::PtpEdit {
            fn from(e: lr::PtpEdit) -> r::PtpEdit {
                r::PtpEdit {
                    column_one: $code(e.column_one),
                    column_two: $code(e.column_two),
                    effective: date_out(e.effective),
                    deletion: e.deletion.map(date_out),
                    modifier_indicator: match e.modifier_indicator {
                        lr::ModifierIndicator::NotAllowed => r::ModifierIndicator::NotAllowed,
                        lr::ModifierIndicator::Allowed => r::ModifierIndicator::Allowed,
                        lr::ModifierIndicator::NotApplicable => r::ModifierIndicator::NotApplicable,
                    },
                    rationale: e.rationale,
                }
            }
        }

        impl From<lr::MueLimit> for r::MueLimit {
            fn from(l: lr::MueLimit) -> r::MueLimit {
                r::MueLimit {
                    code: $code(l.code),
                    units: l.units,
                    adjudication: match l.adjudication {
                        lr::MueAdjudication::Line => r::MueAdjudication::Line,
                        lr::MueAdjudication::DateOfServicePolicy => r::MueAdjudication::DateOfServicePolicy,
                        lr::MueAdjudication::DateOfServiceClinical => r::MueAdjudication::DateOfServiceClinical,
                    },
                    rationale: l.rationale,
                }
            }
        }

        impl From<lr::RelativeValues> for r::RelativeValues {
            fn from(v: lr::RelativeValues) -> r::RelativeValues {
                r::RelativeValues {
                    code: $code(v.code),
                    status: v.status,
                    work: v.work,
                    practice_expense_nonfacility: v.practice_expense_nonfacility,
                    practice_expense_facility: v.practice_expense_facility,
                    malpractice: v.malpractice,
                    multiple_procedure: v.multiple_procedure,
                }
            }
        }
    };
}

/// The four per-table lookups of 0.2.0 and 0.3.0, answered from the granted
/// tables and converted through the newest contract's rows.
macro_rules! string_lookups {
    () => {
        use self::payrules::policy::reference_data as r;
        use payrules_model::ReferenceData as _;
        use $crate::contract::released::lr;
        use $crate::sandbox::SandboxState;

        impl t::Host for SandboxState {}

        fn date_in(d: t::Date) -> Option<payrules_model::Date> {
            payrules_model::Date::new(d.year, d.month, d.day).ok()
        }

        /// A lookup's answer for the plugin, or the trap that stops it.
        type Lookup<T> = wasmtime::Result<Result<T, r::DataError>>;

        fn data_error(e: payrules_model::DataUnavailable) -> r::DataError {
            match lr::DataError::from(e) {
                lr::DataError::NotGranted => r::DataError::NotGranted,
                lr::DataError::NoDataForDate => r::DataError::NoDataForDate,
            }
        }

        rows_from_latest!(code_text);

        impl r::Host for SandboxState {
            fn ptp_edits(&mut self, codes: Vec<String>, on: t::Date) -> Lookup<Vec<r::PtpEdit>> {
                let date = self.check_lookup("NCCI edits", &codes, date_in(on))?;
                let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                let answer = self.data.ptp_edits(&codes, date);
                self.charge(codes.len() + answer.as_ref().map_or(0, Vec::len));
                Ok(answer
                    .map(|v| v.into_iter().map(lr::PtpEdit::from).map(r::PtpEdit::from).collect())
                    .map_err(data_error))
            }

            fn mue_limits(&mut self, codes: Vec<String>, on: t::Date) -> Lookup<Vec<r::MueLimit>> {
                let date = self.check_lookup("MUEs", &codes, date_in(on))?;
                let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                let answer = self.data.mue_limits(&codes, date);
                self.charge(codes.len() + answer.as_ref().map_or(0, Vec::len));
                Ok(answer
                    .map(|v| v.into_iter().map(lr::MueLimit::from).map(r::MueLimit::from).collect())
                    .map_err(data_error))
            }

            fn relative_values_for(&mut self, codes: Vec<String>, on: t::Date) -> Lookup<Vec<r::RelativeValues>> {
                let date = self.check_lookup("relative values", &codes, date_in(on))?;
                let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                let answer = self.data.relative_values(&codes, date);
                self.charge(codes.len() + answer.as_ref().map_or(0, Vec::len));
                Ok(answer
                    .map(|v| v.into_iter().map(lr::RelativeValues::from).map(r::RelativeValues::from).collect())
                    .map_err(data_error))
            }

            fn geographic_indices_for(
                &mut self,
                locality: String,
                on: t::Date,
            ) -> Lookup<Option<r::GeographicIndices>> {
                self.check_locality(&locality)?;
                let date = self.check_lookup("geographic indices", &[], date_in(on))?;
                self.charge(1);
                Ok(self
                    .data
                    .geographic_indices(&locality, date)
                    .map(|i| {
                        i.map(lr::GeographicIndices::from).map(|g| r::GeographicIndices {
                            locality: g.locality,
                            work: g.work,
                            practice_expense: g.practice_expense,
                            malpractice: g.malpractice,
                        })
                    })
                    .map_err(data_error))
            }
        }
    };
}

/// `payrules:policy@0.1.0`: released; claims in, outcomes out.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.1.0",
        world: "payer-policy",
    });

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.1.0";

    into_latest!([self::payrules::policy::types]);
}

/// `payrules:policy@0.2.0`: released; adds reference data and the add-line fix.
pub mod v0_2_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.2.0",
        world: "payer-policy",
        // A lookup outside the claim under evaluation traps the plugin.
        imports: { default: trappable },
    });

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.2.0";

    into_latest!([self::payrules::policy::types] with_add_line);
    string_lookups!();
}

/// `payrules:policy@0.3.0`: released; adds the diagnostics import, so a
/// plugin's panic message reaches the claim's failure.
pub mod v0_3_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.3.0",
        world: "payer-policy",
        // A lookup outside the claim under evaluation traps the plugin.
        imports: { default: trappable },
    });

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.3.0";

    into_latest!([self::payrules::policy::types] with_add_line);
    string_lookups!();

    impl self::payrules::policy::diagnostics::Host for SandboxState {
        fn panicked(&mut self, message: String) -> wasmtime::Result<()> {
            self.record_panic(&message);
            Ok(())
        }
    }
}

/// `payrules:policy@0.4.0`: released; codes as packed numbers, one
/// `day-reference` call per date, rule listings with severity and denial.
pub mod v0_4_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/since_v0.4.0",
        world: "payer-policy",
        // A lookup outside the claim under evaluation traps the plugin.
        imports: { default: trappable },
    });

    use self::payrules::policy::reference_data as r;
    use super::lr;
    use crate::contract::latest;
    use crate::sandbox::SandboxState;

    /// The version as it appears in the component's export names.
    pub const VERSION: &str = "0.4.0";

    into_latest!([self::payrules::policy::types] with_add_line packed);

    impl t::Host for SandboxState {}

    fn date_to_latest(d: t::Date) -> lt::Date {
        lt::Date { year: d.year, month: d.month, day: d.day }
    }

    fn data_error(e: lr::DataError) -> r::DataError {
        match e {
            lr::DataError::NotGranted => r::DataError::NotGranted,
            lr::DataError::NoDataForDate => r::DataError::NoDataForDate,
        }
    }

    fn rows<A, B: From<A>>(answer: Result<Vec<A>, lr::DataError>) -> Result<Vec<B>, r::DataError> {
        answer.map(|rows| rows.into_iter().map(B::from).collect()).map_err(data_error)
    }

    rows_from_latest!(same_code);

    fn indices(g: lr::GeographicIndices) -> r::GeographicIndices {
        r::GeographicIndices {
            locality: g.locality,
            work: g.work,
            practice_expense: g.practice_expense,
            malpractice: g.malpractice,
        }
    }

    impl r::Host for SandboxState {
        fn day_reference(
            &mut self,
            on: t::Date,
            tables: r::CodeTables,
            locality: Option<String>,
        ) -> wasmtime::Result<r::CodeReference> {
            let mut asked = lr::CodeTables::empty();
            for (old, new) in [
                (r::CodeTables::PTP_EDITS, lr::CodeTables::PTP_EDITS),
                (r::CodeTables::MUE_LIMITS, lr::CodeTables::MUE_LIMITS),
                (r::CodeTables::RELATIVE_VALUES, lr::CodeTables::RELATIVE_VALUES),
            ] {
                if tables.contains(old) {
                    asked |= new;
                }
            }
            let answer = latest::day_reference(self, date_to_latest(on), asked, locality)?;
            Ok(r::CodeReference {
                ptp_edits: answer.ptp_edits.map(rows),
                mue_limits: answer.mue_limits.map(rows),
                relative_values: answer.relative_values.map(rows),
                geographic_indices: answer.geographic_indices.map(|a| a.map(|i| i.map(indices)).map_err(data_error)),
            })
        }

        fn geographic_indices_for(
            &mut self,
            locality: String,
            on: t::Date,
        ) -> wasmtime::Result<Result<Option<r::GeographicIndices>, r::DataError>> {
            let answer = latest::geographic_indices_for(self, &locality, date_to_latest(on))?;
            Ok(answer.map(|i| i.map(indices)).map_err(data_error))
        }
    }

    impl self::payrules::policy::diagnostics::Host for SandboxState {
        fn panicked(&mut self, message: String) -> wasmtime::Result<()> {
            self.record_panic(&message);
            Ok(())
        }
    }
}
