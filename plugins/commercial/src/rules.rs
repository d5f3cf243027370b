//! The rules this plugin can fire.

/// `(id, title, citation)` of every rule.
pub const RULES: &[(&str, &str, &str)] = &[
    (
        UNITS,
        "Units billed differ from what the minutes support under the payer's method",
        "CPT time rule; payer policy",
    ),
    (MINUTES_MISSING, "A timed code without minutes: the units rule could not run", "payer policy"),
    (UNITS_CAP, "More therapy units on a date than the payer pays per visit", "payer policy (units per visit)"),
    (BUNDLED_PAIR, "Two codes the payer pairs, billed together", "payer bundling policy"),
    (OVERLAP, "Two services billed for overlapping time", "payer policy; NCCI ch. XI (one service per time period)"),
    (THERAPY_MODIFIER, "A therapy code without GP/GO/GN", "payer modifier policy"),
    (MODIFIER_52, "Modifier 52 on a timed code", "Premera provider news, 7 Nov 2019"),
    (VISIT_LIMIT, "The visit is past the benefit's yearly visit limit", "payer benefit"),
    (PRIOR_AUTH, "The visit needs prior authorisation and none is on file", "payer benefit"),
    (PRICE_MISSING, "No fee schedule amount is configured for the code", "rule set fee_schedule"),
];

/// Units versus minutes.
pub const UNITS: &str = "COM-UNITS";
/// Minutes missing.
pub const MINUTES_MISSING: &str = "COM-MINUTES-MISSING";
/// Units per visit over the cap.
pub const UNITS_CAP: &str = "COM-UNITS-CAP";
/// A payer pair.
pub const BUNDLED_PAIR: &str = "COM-BUNDLED-PAIR";
/// Overlapping time.
pub const OVERLAP: &str = "COM-OVERLAP";
/// Missing GP/GO/GN.
pub const THERAPY_MODIFIER: &str = "COM-THERAPY-MODIFIER";
/// Modifier 52 on a timed code.
pub const MODIFIER_52: &str = "COM-MODIFIER-52";
/// Past the visit limit.
pub const VISIT_LIMIT: &str = "COM-VISIT-LIMIT";
/// Prior authorisation needed.
pub const PRIOR_AUTH: &str = "COM-PRIOR-AUTH";
/// No price.
pub const PRICE_MISSING: &str = "COM-PRICE-MISSING";
