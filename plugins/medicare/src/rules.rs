//! The rules of the Medicare policy, each declared once: its id, title,
//! citation, severity and default denial.
//!
//! Denial sources (docs/sources.md, denial codes): a missing therapy
//! modifier is CO-4 (appealwin, codingahead); a status-B bundled code is
//! reported with B15 and remark M15 (Palmetto); a line over the therapy
//! threshold without KX is reason 119 (Palmetto 2022), CO without an ABN and
//! PR with GA; a GZ line is CO-50 (MM7228); an NCCI column 2 denial is
//! CO-236 (First Coast, learnmedicarebilling; some payers use CO-97); units
//! over an MUE are CO-151 with N362 (CGS). A rule set may override any of
//! them under `denials`.

use payrules_pdk::{Rule, Severity};

/// More timed units than the total minutes support.
pub const UNITS_OVER: Rule = Rule::new(
    "MCR-UNITS-OVER",
    Severity::Error,
    "More timed units billed than the day's total timed minutes support",
    "CMS 100-04 ch.5 20.2",
);
/// Under 8 timed minutes on the day, yet billed.
pub const UNITS_UNDER_8: Rule = Rule::new(
    "MCR-UNITS-UNDER-8",
    Severity::Error,
    "Timed services of under 8 minutes in all are billed",
    "CMS 100-04 ch.5 20.2",
);
/// A code below its whole units or above them plus one.
pub const UNITS_PER_CODE: Rule = Rule::new(
    "MCR-UNITS-PER-CODE",
    Severity::Error,
    "A timed code billed below its whole 15-minute units, or more than one unit above them",
    "CMS 100-04 ch.5 20.2 ex.2",
);
/// Fewer timed units than the minutes support.
pub const UNITS_UNDER: Rule = Rule::new(
    "MCR-UNITS-UNDER",
    Severity::Info,
    "Fewer timed units billed than the day's total timed minutes support",
    "CMS 100-04 ch.5 20.2",
);
/// A leftover unit on the wrong code.
pub const UNITS_ALLOCATION: Rule = Rule::new(
    "MCR-UNITS-ALLOCATION",
    Severity::Warning,
    "A leftover unit billed on a code with fewer leftover minutes than another",
    "CMS 100-04 ch.5 20.2 ex.1 and ex.3",
);
/// Two timed services in the same minutes.
pub const TIME_OVERLAP: Rule = Rule::new(
    "MCR-TIME-OVERLAP",
    Severity::Warning,
    "Two timed services recorded in the same minutes; the shared minutes count once toward the day's total",
    "CMS 100-04 ch.5 20.2; NCCI Policy Manual ch. XI",
);
/// Timed code without minutes.
pub const MINUTES_MISSING: Rule = Rule::new(
    "MCR-MINUTES-MISSING",
    Severity::Warning,
    "A timed code has no treatment minutes, so the 8-minute rule could not run",
    "CMS 100-04 ch.5 20.2",
);
/// Service-based code over one unit a day.
pub const UNTIMED_UNITS: Rule = Rule::new(
    "MCR-UNTIMED-UNITS",
    Severity::Error,
    "A service-based code billed for more than one unit a day",
    "CMS 100-04 ch.5 20.2; Transmittal 1019",
);
/// Missing GP/GO/GN.
pub const THERAPY_MODIFIER: Rule = Rule::new(
    "MCR-THERAPY-MODIFIER",
    Severity::Error,
    "An always-therapy code without GP, GO or GN",
    "CMS 100-04 ch.5 20.1",
)
.denies("CO-4");
/// Never paid separately.
pub const BUNDLED: Rule = Rule::new(
    "MCR-BUNDLED",
    Severity::Warning,
    "A code Medicare never pays separately (fee schedule status B)",
    "Palmetto GBA JJ/JM, 97010 status B",
)
.denies("CO-B15 M15");
/// Not recognised by Medicare.
pub const CODE_INVALID: Rule = Rule::new(
    "MCR-CODE-INVALID",
    Severity::Error,
    "A code Medicare does not recognise; another code is billed instead",
    "codingahead 97014; rule set replaced_codes",
);
/// One timed code on several lines for a date.
pub const DUPLICATE_LINE: Rule = Rule::new(
    "MCR-DUPLICATE-LINE",
    Severity::Error,
    "A timed code on more than one line for one date of service",
    "CMS 100-04 ch.5 20.2; FCSO (claims from 2021-04-19)",
);
/// No price configured.
pub const PRICE_MISSING: Rule = Rule::new(
    "MCR-PRICE-MISSING",
    Severity::Info,
    "No fee schedule amount or relative values price the code",
    "rule set pricing and fee_schedule",
);
/// Code outside the therapy table.
pub const CODE_UNKNOWN: Rule = Rule::new(
    "MCR-CODE-UNKNOWN",
    Severity::Info,
    "Not a therapy code this plugin checks",
    "payrules therapy code table",
);
/// Assistant share over de minimis without CQ/CO.
pub const ASSISTANT_MODIFIER: Rule = Rule::new(
    "MCR-ASSISTANT-MODIFIER",
    Severity::Error,
    "An assistant furnished more than the de minimis share of a service billed without CQ/CO",
    "CMS CQ/CO billing examples; SSA 1834(v); CY2020 PFS de minimis standard",
);
/// CQ/CO within de minimis.
pub const ASSISTANT_UNNEEDED: Rule = Rule::new(
    "MCR-ASSISTANT-UNNEEDED",
    Severity::Info,
    "CQ/CO billed though the assistant's share is within the de minimis standard",
    "CMS CQ/CO billing examples; SSA 1834(v); CY2020 PFS de minimis standard",
);
/// CQ/CO on the therapist's units too.
pub const ASSISTANT_OVER_REDUCED: Rule = Rule::new(
    "MCR-ASSISTANT-OVER-REDUCED",
    Severity::Warning,
    "CQ/CO on every unit of a code the therapist furnished part of",
    "CMS CQ/CO billing examples (CY2022 unit assignment)",
);
/// Over the threshold without KX.
///
/// It is a medical-necessity denial: the provider is liable (CO) unless GA
/// says an ABN is on file, which moves it to the patient (PR).
pub const KX_MISSING: Rule = Rule::new(
    "MCR-KX-MISSING",
    Severity::Error,
    "A line takes the year's therapy total over the threshold without KX",
    "CMS 100-04 ch.5 10.3.3; BBA 2018 50202; CMS 100-04 ch.30 (ABN liability)",
)
.denies("CO-119");
/// KX far under the threshold.
pub const KX_EARLY: Rule = Rule::new(
    "MCR-KX-EARLY",
    Severity::Warning,
    "KX billed with the year's total far under the threshold",
    "CMS 100-04 ch.5 10.3.3",
);
/// KX with no year-to-date context.
pub const KX_UNVERIFIED: Rule = Rule::new(
    "MCR-KX-UNVERIFIED",
    Severity::Info,
    "KX billed without year-to-date amounts to check it against",
    "CMS 100-04 ch.5 10.3.3; BBA 2018 50202",
);
/// No threshold for the year.
pub const KX_NO_THRESHOLD: Rule = Rule::new(
    "MCR-KX-NO-THRESHOLD",
    Severity::Info,
    "No therapy threshold configured for the year of service",
    "rule set kx_thresholds",
);
/// Past the medical review threshold.
pub const MEDICAL_REVIEW: Rule = Rule::new(
    "MCR-MEDICAL-REVIEW",
    Severity::Info,
    "The claim takes the year's total past the targeted medical review threshold",
    "CMS 100-04 ch.5 10.3.3; BBA 2018 50202",
);
/// Progress report overdue.
pub const PROGRESS_REPORT_DUE: Rule = Rule::new(
    "MCR-PROGRESS-REPORT-DUE",
    Severity::Warning,
    "A progress report is overdue (at least every 10 treatment days)",
    "Pub 100-02 ch.15 220.3 D",
);
/// Certification period over.
pub const POC_EXPIRED: Rule = Rule::new(
    "MCR-POC-EXPIRED",
    Severity::Error,
    "Treatment past the 90 days a plan-of-care certification covers",
    "Pub 100-02 ch.15 220.1.3",
);
/// Certification late.
pub const POC_CERT_LATE: Rule = Rule::new(
    "MCR-POC-CERT-LATE",
    Severity::Warning,
    "Plan of care certified more than 30 days after the first treatment",
    "Pub 100-02 ch.15 220.1.3",
);
/// No functional goals.
pub const GOALS_MISSING: Rule = Rule::new(
    "MCR-GOALS-MISSING",
    Severity::Warning,
    "The plan of care documents no functional goals",
    "Pub 100-02 ch.15 220.1.2 and 220.3",
);
/// PTP column 2 denial.
pub const NCCI_PTP: Rule = Rule::new(
    "MCR-NCCI-PTP",
    Severity::Error,
    "A column 2 code billed with its column 1 code without a modifier that may bypass the edit",
    "NCCI PTP edits",
)
.denies("CO-236");
/// 59 for the same time block.
pub const NCCI_SAME_BLOCK: Rule = Rule::new(
    "MCR-NCCI-SAME-BLOCK",
    Severity::Error,
    "59 or an X modifier claims a distinct service done in the same time block",
    "CMS modifier 59 article",
);
/// Two evaluations of one discipline on one date.
pub const ONE_EVALUATION: Rule = Rule::new(
    "MCR-ONE-EVALUATION",
    Severity::Error,
    "More than one evaluation or re-evaluation of one discipline (PT 97161-97164, OT 97165-97168) on a date of service",
    "NCCI Policy Manual ch. XI",
)
.denies("CO-236");
/// Over the MUE.
pub const MUE: Rule =
    Rule::new("MCR-MUE", Severity::Error, "Units over the code's medically unlikely edit", "NCCI MUE")
        .denies("CO-151 N362");
/// NCCI tables not available.
pub const NCCI_UNAVAILABLE: Rule = Rule::new(
    "MCR-NCCI-UNAVAILABLE",
    Severity::Info,
    "NCCI tables are not granted or do not cover the date, so the edits did not run",
    "rule set [data]",
);

/// GY: statutorily excluded, the patient liable.
pub const GY_EXCLUDED: Rule = Rule::new(
    "MCR-GY-EXCLUDED",
    Severity::Warning,
    "GY: the service is statutorily excluded or not a Medicare benefit; the line is denied and the patient is liable",
    "CMS 100-04 ch.1 60 (GY); CMS 100-04 ch.30 20",
)
.denies("PR-96");
/// GZ: expected denial without an ABN, the provider liable.
pub const GZ_NO_ABN: Rule = Rule::new(
    "MCR-GZ-NO-ABN",
    Severity::Warning,
    "GZ: expected to be denied as not reasonable and necessary, with no ABN; the line is denied and the provider is liable",
    "CMS MLN MM7228 (CR 7228, dates of service from 2011-07-01)",
)
.denies("CO-50");
/// Liability modifiers that contradict each other on one line.
pub const LIABILITY_PAIR: Rule = Rule::new(
    "MCR-LIABILITY-PAIR",
    Severity::Error,
    "Contradictory liability modifiers on one line: GA with GZ, or KX with GA",
    "CMS 100-04 ch.1 60",
)
.denies("CO-4");
/// The Part B deductible could not be applied.
pub const DEDUCTIBLE_ASSUMED: Rule = Rule::new(
    "MCR-DEDUCTIBLE-ASSUMED",
    Severity::Info,
    "The expected payment assumes the Part B deductible was met: the amount met this year, or the year's deductible, is unknown",
    "SSA 1833(b); 42 CFR 410.160",
);
/// Over the limiting charge.
pub const LIMITING_CHARGE: Rule = Rule::new(
    "MCR-LIMITING-CHARGE",
    Severity::Error,
    "A non-participating provider that does not accept assignment charges more than the limiting charge (115% of the non-participating amount)",
    "SSA 1848(g); 42 CFR 414.48",
);

/// Every rule this plugin can fire, in the order it lists them.
pub const RULES: &[Rule] = &[
    UNITS_OVER,
    TIME_OVERLAP,
    UNITS_UNDER_8,
    UNITS_PER_CODE,
    UNITS_UNDER,
    UNITS_ALLOCATION,
    MINUTES_MISSING,
    UNTIMED_UNITS,
    THERAPY_MODIFIER,
    BUNDLED,
    CODE_INVALID,
    DUPLICATE_LINE,
    PRICE_MISSING,
    CODE_UNKNOWN,
    ASSISTANT_MODIFIER,
    ASSISTANT_UNNEEDED,
    ASSISTANT_OVER_REDUCED,
    KX_MISSING,
    GY_EXCLUDED,
    GZ_NO_ABN,
    LIABILITY_PAIR,
    DEDUCTIBLE_ASSUMED,
    LIMITING_CHARGE,
    KX_EARLY,
    KX_UNVERIFIED,
    KX_NO_THRESHOLD,
    MEDICAL_REVIEW,
    PROGRESS_REPORT_DUE,
    POC_EXPIRED,
    POC_CERT_LATE,
    GOALS_MISSING,
    NCCI_PTP,
    NCCI_SAME_BLOCK,
    ONE_EVALUATION,
    MUE,
    NCCI_UNAVAILABLE,
];
