//! The rules this plugin can fire, each declared once.
//!
//! Default denials are those the public sources give (docs/sources.md): a
//! missing or inappropriate modifier is CO-4 (Premera for 52); a payer
//! bundling denial CO-97; a benefit visit limit CO-119; no prior
//! authorisation CO-197.

use payrules_pdk::{Rule, Severity};

/// Units versus minutes.
pub const UNITS: Rule = Rule::new(
    "COM-UNITS",
    Severity::Error,
    "Units billed differ from what the minutes support under the payer's method",
    "CPT time rule; payer policy",
);
/// Minutes missing.
pub const MINUTES_MISSING: Rule = Rule::new(
    "COM-MINUTES-MISSING",
    Severity::Warning,
    "A timed code without minutes: the units rule could not run",
    "payer policy",
);
/// Units per visit over the cap.
pub const UNITS_CAP: Rule = Rule::new(
    "COM-UNITS-CAP",
    Severity::Error,
    "More therapy units on a date than the payer pays per visit",
    "payer policy (rule set units_per_visit)",
);
/// A payer pair; each pair in the rule set names its own source and severity.
pub const BUNDLED_PAIR: Rule = Rule::new(
    "COM-BUNDLED-PAIR",
    Severity::Error,
    "Two codes the payer pairs, billed together",
    "payer bundling policy (rule set bundling)",
)
.denies("CO-97");
/// Overlapping time.
pub const OVERLAP: Rule = Rule::new(
    "COM-OVERLAP",
    Severity::Warning,
    "Two services billed for overlapping time",
    "payer policy; NCCI Policy Manual ch. XI (one service per time period)",
);
/// Missing GP/GO/GN.
pub const THERAPY_MODIFIER: Rule =
    Rule::new("COM-THERAPY-MODIFIER", Severity::Error, "A therapy code without GP/GO/GN", "payer modifier policy")
        .denies("CO-4");
/// Modifier 52 on a timed code.
pub const MODIFIER_52: Rule =
    Rule::new("COM-MODIFIER-52", Severity::Error, "Modifier 52 on a timed code", "Premera provider news, 7 Nov 2019")
        .denies("CO-4");
/// Past the visit limit.
pub const VISIT_LIMIT: Rule = Rule::new(
    "COM-VISIT-LIMIT",
    Severity::Error,
    "The visit is past the benefit's yearly visit limit",
    "payer benefit (rule set visits_per_year)",
)
.denies("CO-119");
/// Prior authorisation needed.
pub const PRIOR_AUTH: Rule = Rule::new(
    "COM-PRIOR-AUTH",
    Severity::Error,
    "The visit needs prior authorisation and none is on file",
    "payer benefit (rule set prior_auth_after_visits)",
)
.denies("CO-197");
/// No price.
pub const PRICE_MISSING: Rule = Rule::new(
    "COM-PRICE-MISSING",
    Severity::Info,
    "No rate is configured for the code",
    "rule set fee_schedule or percent_of_medicare",
);

/// Every rule, in the order the plugin lists them.
pub const RULES: &[Rule] = &[
    UNITS,
    MINUTES_MISSING,
    UNITS_CAP,
    BUNDLED_PAIR,
    OVERLAP,
    THERAPY_MODIFIER,
    MODIFIER_52,
    VISIT_LIMIT,
    PRIOR_AUTH,
    PRICE_MISSING,
];
