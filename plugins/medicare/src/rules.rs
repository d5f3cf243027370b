//! The rules of the Medicare policy, and the ids they report under.

/// `(id, title, citation)` of every rule this plugin can fire.
pub const RULES: &[(&str, &str, &str)] = &[
    (UNITS_OVER, "More timed units billed than the day's total timed minutes support", "CMS 100-04 ch.5 20.2"),
    (UNITS_UNDER_8, "Timed services of under 8 minutes in all are billed", "CMS 100-04 ch.5 20.2"),
    (
        UNITS_PER_CODE,
        "A timed code billed below its whole 15-minute units, or more than one unit above them",
        "CMS 100-04 ch.5 20.2 ex.2",
    ),
    (UNITS_UNDER, "Fewer timed units billed than the day's total timed minutes support", "CMS 100-04 ch.5 20.2"),
    (
        UNITS_ALLOCATION,
        "A leftover unit billed on a code with fewer leftover minutes than another",
        "CMS 100-04 ch.5 20.2 ex.1 and ex.3",
    ),
    (
        MINUTES_MISSING,
        "A timed code has no treatment minutes, so the 8-minute rule could not run",
        "CMS 100-04 ch.5 20.2",
    ),
    (
        UNTIMED_UNITS,
        "A service-based code billed for more than one unit a day",
        "CMS 100-04 ch.5 20.2; Transmittal 1019",
    ),
    (THERAPY_MODIFIER, "An always-therapy code without GP, GO or GN", "CMS 100-04 ch.5 20.1"),
    (BUNDLED, "A code Medicare never pays separately (fee schedule status B)", "Palmetto GBA JJ/JM, 97010 status B"),
    (
        CODE_INVALID,
        "A code Medicare does not recognise; another code is billed instead",
        "codingahead 97014; rule set replaced_codes",
    ),
    (
        DUPLICATE_LINE,
        "A timed code on more than one line for one date of service",
        "CMS 100-04 ch.5 20.2; FCSO (claims from 2021-04-19)",
    ),
    (PRICE_MISSING, "No fee schedule amount is configured for the code", "rule set fee_schedule"),
    (CODE_UNKNOWN, "Not a therapy code this plugin checks", "payrules therapy code table"),
    (
        ASSISTANT_MODIFIER,
        "An assistant furnished more than the de minimis share of a service billed without CQ/CO",
        "CMS CQ/CO billing examples; CY2020 PFS de minimis standard",
    ),
    (
        ASSISTANT_UNNEEDED,
        "CQ/CO billed though the assistant's share is within the de minimis standard",
        "CMS CQ/CO billing examples; CY2020 PFS de minimis standard",
    ),
    (
        ASSISTANT_OVER_REDUCED,
        "CQ/CO on every unit of a code the therapist furnished part of",
        "CMS CQ/CO billing examples (CY2022 unit assignment)",
    ),
    (KX_MISSING, "A line takes the year's therapy total over the threshold without KX", "CMS 100-04 ch.5 10.3.3"),
    (KX_EARLY, "KX billed with the year's total far under the threshold", "CMS 100-04 ch.5 10.3.3"),
    (KX_UNVERIFIED, "KX billed without year-to-date amounts to check it against", "CMS 100-04 ch.5 10.3.3"),
    (KX_NO_THRESHOLD, "No therapy threshold configured for the year of service", "rule set kx_thresholds"),
    (MEDICAL_REVIEW, "The claim takes the year's total past the targeted medical review threshold", "BBA 2018 50202"),
    (
        PROGRESS_REPORT_DUE,
        "A progress report is overdue (at least every 10 treatment days)",
        "Pub 100-02 ch.15 220.3 D",
    ),
    (POC_EXPIRED, "Treatment past the 90 days a plan-of-care certification covers", "Pub 100-02 ch.15 220.1.3"),
    (POC_CERT_LATE, "Plan of care certified more than 30 days after the first treatment", "Pub 100-02 ch.15 220.1.3"),
    (GOALS_MISSING, "The plan of care documents no functional goals", "Pub 100-02 ch.15 220.1.2"),
    (
        NCCI_PTP,
        "A column 2 code billed with its column 1 code without a modifier that may bypass the edit",
        "NCCI PTP edits",
    ),
    (
        NCCI_SAME_BLOCK,
        "59 or an X modifier claims a distinct service done in the same time block",
        "CMS modifier 59 article",
    ),
    (ONE_EVALUATION, "More than one PT evaluation or re-evaluation on a date of service", "NCCI Policy Manual ch. XI"),
    (MUE, "Units over the code's medically unlikely edit", "NCCI MUE"),
    (
        NCCI_UNAVAILABLE,
        "NCCI tables are not granted or do not cover the date, so the edits did not run",
        "rule set [data]",
    ),
];

/// More timed units than the total minutes support.
pub const UNITS_OVER: &str = "MCR-UNITS-OVER";
/// Under 8 timed minutes on the day, yet billed.
pub const UNITS_UNDER_8: &str = "MCR-UNITS-UNDER-8";
/// A code below its whole units or above them plus one.
pub const UNITS_PER_CODE: &str = "MCR-UNITS-PER-CODE";
/// Fewer timed units than the minutes support.
pub const UNITS_UNDER: &str = "MCR-UNITS-UNDER";
/// A leftover unit on the wrong code.
pub const UNITS_ALLOCATION: &str = "MCR-UNITS-ALLOCATION";
/// Timed code without minutes.
pub const MINUTES_MISSING: &str = "MCR-MINUTES-MISSING";
/// Service-based code over one unit a day.
pub const UNTIMED_UNITS: &str = "MCR-UNTIMED-UNITS";
/// Missing GP/GO/GN.
pub const THERAPY_MODIFIER: &str = "MCR-THERAPY-MODIFIER";
/// Never paid separately.
pub const BUNDLED: &str = "MCR-BUNDLED";
/// Not recognised by Medicare.
pub const CODE_INVALID: &str = "MCR-CODE-INVALID";
/// One timed code on several lines for a date.
pub const DUPLICATE_LINE: &str = "MCR-DUPLICATE-LINE";
/// No price configured.
pub const PRICE_MISSING: &str = "MCR-PRICE-MISSING";
/// Code outside the therapy table.
pub const CODE_UNKNOWN: &str = "MCR-CODE-UNKNOWN";
/// Assistant share over de minimis without CQ/CO.
pub const ASSISTANT_MODIFIER: &str = "MCR-ASSISTANT-MODIFIER";
/// CQ/CO within de minimis.
pub const ASSISTANT_UNNEEDED: &str = "MCR-ASSISTANT-UNNEEDED";
/// Over the threshold without KX.
pub const KX_MISSING: &str = "MCR-KX-MISSING";
/// KX far under the threshold.
pub const KX_EARLY: &str = "MCR-KX-EARLY";
/// KX with no year-to-date context.
pub const KX_UNVERIFIED: &str = "MCR-KX-UNVERIFIED";
/// No threshold for the year.
pub const KX_NO_THRESHOLD: &str = "MCR-KX-NO-THRESHOLD";
/// Past the medical review threshold.
pub const MEDICAL_REVIEW: &str = "MCR-MEDICAL-REVIEW";
/// Progress report overdue.
pub const PROGRESS_REPORT_DUE: &str = "MCR-PROGRESS-REPORT-DUE";
/// Certification period over.
pub const POC_EXPIRED: &str = "MCR-POC-EXPIRED";
/// Certification late.
pub const POC_CERT_LATE: &str = "MCR-POC-CERT-LATE";
/// No functional goals.
pub const GOALS_MISSING: &str = "MCR-GOALS-MISSING";
/// PTP column 2 denial.
pub const NCCI_PTP: &str = "MCR-NCCI-PTP";
/// 59 for the same time block.
pub const NCCI_SAME_BLOCK: &str = "MCR-NCCI-SAME-BLOCK";
/// Two PT evaluations on one date.
pub const ONE_EVALUATION: &str = "MCR-ONE-EVALUATION";
/// Over the MUE.
pub const MUE: &str = "MCR-MUE";
/// NCCI tables not available.
pub const NCCI_UNAVAILABLE: &str = "MCR-NCCI-UNAVAILABLE";
/// CQ/CO on the therapist's units too.
pub const ASSISTANT_OVER_REDUCED: &str = "MCR-ASSISTANT-OVER-REDUCED";
