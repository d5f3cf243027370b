//! Test plugin: breaks the contract in the way its claim's id asks, so the
//! host's checks can be seen to hold. Any other claim gets one plain result
//! per line.
//!
//! - `remember-*`: keeps every patient id it sees and reports the earlier
//!   ones, as a plugin that leaks one claim into the next would.
//! - `extra-line-*`, `missing-line-*`, `twice-*`, `negative-*`, `overpay-*`, `above-charge-*`,
//!   `ghost-finding-*`, `ghost-fix-*`, `too-many-units-*`: an outcome that
//!   does not fit the claim.
//! - `ask-date-*`: asks the host about a date that is not a date of service.
//! - `ask-repeat-N-*`: asks the host about its own date N times.
//!
//! Both call the contract's import directly, past the PDK's per-date cache,
//! as a hostile plugin could. (Asking about codes the claim does not bill,
//! `ask-foreign-*`, cannot be said in contract 0.4.0, which sends no codes
//! to the host; the test plugin built on 0.3.0, `tests/guests/released-0-3`,
//! still tries it.)
//! - `panic-*`: panics with a message the host must report.

use std::sync::Mutex;

use payrules_pdk::{
    Applicability, Claim, ConfigError, EvaluationError, Finding, FixAction, LineResult, LineStatus, Money, Outcome,
    PayerPolicy, PluginInfo, ReferenceData, Rule, Severity, export_policy,
};

/// The one rule this plugin declares; its other findings break the contract on purpose.
const REMEMBERED: Rule =
    Rule::new("ROGUE-REMEMBERED", Severity::Error, "A patient from an earlier claim", "none: a test plugin");

/// Patient ids seen so far by this instance.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Misbehaves on request.
pub struct Rogue;

fn plain(claim: &Claim) -> Outcome {
    let lines = claim
        .lines
        .iter()
        .map(|l| LineResult {
            line: l.number,
            correct_units: l.units,
            allowed_units: l.units,
            status: LineStatus::Payable,
            expected_allowed: l.charge,
            expected_payment: l.charge,
            price_steps: Vec::new(),
        })
        .collect();
    Outcome { lines, findings: Vec::new() }
}

impl PayerPolicy for Rogue {
    type Config = serde::de::IgnoredAny;

    fn describe() -> PluginInfo {
        payrules_pdk::plugin_info("test-rogue", env!("CARGO_PKG_VERSION"), &[REMEMBERED])
    }

    fn configure(_config: Self::Config) -> Result<Self, ConfigError> {
        Ok(Rogue)
    }

    fn evaluate(&self, claim: &Claim, _data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        let mut outcome = plain(claim);
        let id = claim.id.as_str();
        let date = claim.lines.first().map(|l| l.date_of_service);
        if id.starts_with("remember") {
            let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for earlier in seen.iter() {
                outcome.findings.push(Finding::new(
                    "ROGUE-REMEMBERED",
                    Severity::Info,
                    None,
                    format!("an earlier claim was for patient {earlier}"),
                    "none",
                ));
            }
            seen.push(claim.patient.id.clone());
        } else if id.starts_with("extra-line") {
            if let Some(mut extra) = outcome.lines.first().cloned() {
                extra.line = 99;
                outcome.lines.push(extra);
            }
        } else if id.starts_with("missing-line") {
            outcome.lines.clear();
        } else if id.starts_with("twice") {
            if let Some(again) = outcome.lines.first().cloned() {
                outcome.lines.push(again);
            }
        } else if id.starts_with("negative") {
            for line in &mut outcome.lines {
                line.expected_allowed = Money::from_cents(-1);
                line.expected_payment = Money::from_cents(-1);
            }
        } else if id.starts_with("overpay") {
            for line in &mut outcome.lines {
                line.expected_payment = Money::from_cents(line.expected_allowed.cents().saturating_add(1));
            }
        } else if id.starts_with("above-charge") {
            for line in &mut outcome.lines {
                line.expected_allowed = Money::from_cents(line.expected_allowed.cents().saturating_add(1));
                line.expected_payment = line.expected_allowed;
            }
        } else if id.starts_with("too-many-units") {
            for line in &mut outcome.lines {
                line.allowed_units = line.allowed_units.saturating_add(1);
            }
        } else if id.starts_with("ghost-finding") {
            outcome.findings.push(Finding::new("ROGUE-REMEMBERED", Severity::Error, Some(42), "a ghost", "none"));
        } else if id.starts_with("ghost-fix") {
            outcome.findings.push(
                Finding::new("ROGUE-REMEMBERED", Severity::Error, None, "a ghost fix", "none").with_fix(
                    42,
                    FixAction::SetUnits(1),
                    Applicability::Automatic,
                ),
            );
        } else if id.starts_with("ask-date") {
            if let Some(later) = date.and_then(|d| d.add_days(400)) {
                ask_host(later);
            }
        } else if id.starts_with("panic") {
            panic_with_message();
        } else if let Some(rest) = id.strip_prefix("ask-repeat-") {
            let times: u32 = rest.split('-').next().and_then(|n| n.parse().ok()).unwrap_or(1);
            if let Some(date) = date {
                for _ in 0..times {
                    ask_host(date);
                }
            }
        }
        Ok(outcome)
    }
}

/// Asks the host for everything about `date` through the raw import.
#[cfg(target_arch = "wasm32")]
fn ask_host(date: payrules_pdk::Date) {
    use payrules_pdk::__bindings::payrules::policy::reference_data as r;
    use payrules_pdk::__bindings::payrules::policy::types as t;
    let on = t::Date { year: date.year(), month: date.month(), day: date.day() };
    std::hint::black_box(r::day_reference(on, r::CodeTables::all(), None));
}

/// A native build has no host to ask.
#[cfg(not(target_arch = "wasm32"))]
fn ask_host(_date: payrules_pdk::Date) {}

#[allow(clippy::panic, reason = "the panic is what this test plugin is for")]
fn panic_with_message() {
    panic!("rogue panic: this claim was too strange");
}

export_policy!(Rogue);
