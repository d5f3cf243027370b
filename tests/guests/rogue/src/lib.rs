//! Test plugin: breaks the contract in the way its claim's id asks, so the
//! host's checks can be seen to hold. Any other claim gets one plain result
//! per line.
//!
//! - `remember-*`: keeps every patient id it sees and reports the earlier
//!   ones, as a plugin that leaks one claim into the next would.
//! - `extra-line-*`, `missing-line-*`, `twice-*`, `negative-*`, `overpay-*`, `above-charge-*`,
//!   `ghost-finding-*`, `ghost-fix-*`, `too-many-units-*`: an outcome that
//!   does not fit the claim.
//! - `ask-foreign-*`: asks the host about 40,000 codes that are not billed.
//! - `ask-date-*`: asks about a date that is not a date of service.
//! - `ask-repeat-N-*`: asks about its own codes N times.
//! - `panic-*`: panics with a message the host must report.

use std::sync::Mutex;

use payrules_pdk::{
    Applicability, Claim, ConfigError, EvaluationError, Finding, FixAction, LineResult, LineStatus, Money, Outcome,
    PayerPolicy, PluginInfo, ReferenceData, Severity, export_policy,
};

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
        payrules_pdk::plugin_info(
            "test-rogue",
            env!("CARGO_PKG_VERSION"),
            &[("ROGUE-REMEMBERED", "A patient from an earlier claim", "none: a test plugin")],
        )
    }

    fn configure(_config: Self::Config) -> Result<Self, ConfigError> {
        Ok(Rogue)
    }

    fn evaluate(&self, claim: &Claim, data: &dyn ReferenceData) -> Result<Outcome, EvaluationError> {
        let mut outcome = plain(claim);
        let id = claim.id.as_str();
        let codes: Vec<&str> = claim.lines.iter().map(|l| l.procedure.as_str()).collect();
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
        } else if id.starts_with("ask-foreign") {
            let foreign: Vec<String> = (0..40_000).map(|i| format!("{:05}", 10_000 + i)).collect();
            let foreign: Vec<&str> = foreign.iter().map(String::as_str).collect();
            if let Some(date) = date {
                let _ = data.ptp_edits(&foreign, date);
            }
        } else if id.starts_with("ask-date") {
            if let Some(later) = date.and_then(|d| d.add_days(400)) {
                let _ = data.ptp_edits(&codes, later);
            }
        } else if id.starts_with("panic") {
            panic_with_message();
        } else if let Some(rest) = id.strip_prefix("ask-repeat-") {
            let times: u32 = rest.split('-').next().and_then(|n| n.parse().ok()).unwrap_or(1);
            if let Some(date) = date {
                for _ in 0..times {
                    let _ = std::hint::black_box(data.mue_limits(&codes, date));
                }
            }
        }
        Ok(outcome)
    }
}

#[allow(clippy::panic, reason = "the panic is what this test plugin is for")]
fn panic_with_message() {
    panic!("rogue panic: this claim was too strange");
}

export_policy!(Rogue);
