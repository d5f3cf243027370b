//! Test plugin built against the released `payrules:policy@0.2.0` contract,
//! with wit-bindgen directly (the PDK builds against the newest version only).
//! The host must keep running it beside newer plugins. It answers every claim
//! with one finding that counts the lines, and each line's billed units, and
//! asks the host for the MUEs of its codes, as 0.2.0 plugins do.

#![allow(unsafe_code, missing_docs, reason = "the bindings wit-bindgen generates here export raw functions")]

#[cfg(target_arch = "wasm32")]
mod guest {
    wit_bindgen::generate!({ path: "../../../wit/since_v0.2.0", world: "payer-policy" });

    use exports::payrules::policy::policy::Guest;
    use payrules::policy::types::{
        Claim, ConfigError, EvaluationError, Finding, LineResult, LineStatus, Outcome, PluginInfo, RuleInfo, Severity,
    };

    struct Released;

    impl Guest for Released {
        fn describe() -> PluginInfo {
            PluginInfo {
                name: "test-released-0-2".to_owned(),
                version: "0.1.0".to_owned(),
                contract_version: "0.2.0".to_owned(),
                rules: vec![RuleInfo {
                    id: "RELEASED-0-2-LINES".to_owned(),
                    title: "Counts the lines".to_owned(),
                    citation: "test".to_owned(),
                }],
            }
        }

        fn configure(_config: String) -> Result<(), ConfigError> {
            Ok(())
        }

        fn evaluate(claim: Claim) -> Result<Outcome, EvaluationError> {
            let codes: Vec<String> = claim.lines.iter().map(|l| l.procedure.clone()).collect();
            if let Some(first) = claim.lines.first() {
                // Not granted in the test rule set: the answer is an error, and that is fine.
                let _ = payrules::policy::reference_data::mue_limits(&codes, first.date_of_service);
            }
            let lines = claim
                .lines
                .iter()
                .map(|l| LineResult {
                    line: l.number,
                    correct_units: l.units,
                    allowed_units: l.units,
                    status: LineStatus::Payable,
                    expected_allowed: 0,
                    expected_payment: 0,
                    price_steps: Vec::new(),
                })
                .collect();
            let finding = Finding {
                rule_id: "RELEASED-0-2-LINES".to_owned(),
                severity: Severity::Info,
                line: None,
                message: format!("{} line(s) seen", claim.lines.len()),
                evidence: Vec::new(),
                denial: None,
                fixes: Vec::new(),
                citation: "test".to_owned(),
            };
            Ok(Outcome { lines, findings: vec![finding] })
        }
    }

    export!(Released);
}
