//! The payrules billing model: claims, service lines, codes, modifiers, money,
//! units math and findings.
//!
//! Pure and without I/O, so the same types serve the host and, compiled to
//! wasm32, every payer plugin.

pub mod claim;
pub mod codes;
pub mod contract;
pub mod correction;
pub mod date;
pub mod decimal;
pub mod finding;
pub mod money;
pub mod outcome;
pub mod policy;
pub mod reference;
pub mod units;

pub use claim::{
    Authorization, Claim, ClaimError, ClinicianRole, ClockTime, Episode, MAX_LINE_CHARGE, MAX_LINE_UNITS,
    Participation, Patient, Payer, PayerKind, PlanOfCare, Provider, RenderingProvider, ServiceLine, SharedTime,
    TimeBlock, TreatmentMinutes, YearToDate, shared_time,
};
pub use codes::{
    CodeError, CodeInfo, Diagnosis, Discipline, Modifier, ProcedureCode, UnitBasis, code_info, pack_ascii, unpack_ascii,
};
pub use correction::{CorrectedClaim, UnappliedFix, apply_fixes};
pub use date::{Date, DateError};
pub use finding::{AddedLine, AdjustmentGroup, Applicability, Denial, Fact, Finding, Fix, FixAction, Severity};
pub use money::{Money, MoneyError};
pub use outcome::{ClaimTotals, FindingCounts, LineResult, LineStatus, Outcome, PriceStep};
pub use policy::{CONTRACT_VERSION, ConfigError, EvaluationError, PluginInfo, RuleInfo};
pub use reference::{
    DataUnavailable, GeographicIndices, ModifierIndicator, MueAdjudication, MueLimit, NoReferenceData, PtpEdit,
    ReferenceData, RelativeValues,
};
