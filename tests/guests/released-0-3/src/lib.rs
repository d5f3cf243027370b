//! Test plugin built against the released `payrules:policy@0.3.0` contract,
//! with wit-bindgen directly (the PDK builds against the newest version only),
//! from source like every other plugin. It stands for the plugins built on
//! 0.3.0 before contract 0.4.0: the host must keep answering their four
//! per-table lookups, which send code lists as strings.
//!
//! For each date of service it asks the host for the PTP edits, MUEs and
//! relative values of the claim's codes billed that date, and for the GPCIs
//! of the locality it is configured with, and reports what it was told in
//! one finding per date, so a test can hold the answers to the host's tables.
//! A claim whose id starts with:
//! - `ask-foreign-`: asks about 40,000 codes the claim does not bill;
//! - `ask-date-`: asks about a date 400 days after the first date of service.

#![allow(unsafe_code, missing_docs, reason = "the bindings wit-bindgen generates here export raw functions")]

#[cfg(target_arch = "wasm32")]
mod guest {
    use std::cell::RefCell;

    wit_bindgen::generate!({ path: "../../../wit/since_v0.3.0", world: "payer-policy" });

    use exports::payrules::policy::policy::Guest;
    use payrules::policy::reference_data as r;
    use payrules::policy::types::{
        Claim, ConfigError, Date, EvaluationError, Finding, LineResult, LineStatus, Outcome, PluginInfo, RuleInfo,
        Severity,
    };

    thread_local! {
        static LOCALITY: RefCell<String> = const { RefCell::new(String::new()) };
    }

    struct Released;

    fn same(a: Date, b: Date) -> bool {
        (a.year, a.month, a.day) == (b.year, b.month, b.day)
    }

    fn date_text(d: Date) -> String {
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    }

    fn why(e: r::DataError) -> String {
        match e {
            r::DataError::NotGranted => "not-granted".to_owned(),
            r::DataError::NoDataForDate => "no-data-for-date".to_owned(),
        }
    }

    fn answer<T>(result: Result<Vec<T>, r::DataError>, show: impl Fn(&T) -> String) -> String {
        match result {
            Ok(rows) => rows.iter().map(show).collect::<Vec<_>>().join(" "),
            Err(e) => why(e),
        }
    }

    impl Guest for Released {
        fn describe() -> PluginInfo {
            PluginInfo {
                name: "test-released-0-3".to_owned(),
                version: "0.1.0".to_owned(),
                contract_version: "0.3.0".to_owned(),
                rules: vec![RuleInfo {
                    id: "RELEASED-0-3-DATA".to_owned(),
                    title: "Reports the reference data of each date".to_owned(),
                    citation: "test".to_owned(),
                }],
            }
        }

        fn configure(config: String) -> Result<(), ConfigError> {
            // The configuration is `{"locality": "..."}`; read without a JSON parser.
            let locality = config.split('"').nth(3).unwrap_or_default().to_owned();
            LOCALITY.with_borrow_mut(|l| *l = locality);
            Ok(())
        }

        fn evaluate(claim: Claim) -> Result<Outcome, EvaluationError> {
            let first = claim.lines.first().map(|l| l.date_of_service);
            if let Some(first) = first {
                if claim.id.starts_with("ask-foreign") {
                    let foreign: Vec<String> = (0..40_000).map(|i| format!("{:05}", 10_000 + i)).collect();
                    let _ = r::ptp_edits(&foreign, first);
                } else if claim.id.starts_with("ask-date") {
                    let later = Date { year: first.year + 1, ..first };
                    let codes: Vec<String> = claim.lines.iter().map(|l| l.procedure.clone()).collect();
                    let _ = r::ptp_edits(&codes, later);
                }
            }
            let mut dates: Vec<Date> = Vec::new();
            for line in &claim.lines {
                if !dates.iter().any(|d| same(*d, line.date_of_service)) {
                    dates.push(line.date_of_service);
                }
            }
            let locality = LOCALITY.with_borrow(Clone::clone);
            let findings = dates
                .iter()
                .map(|date| {
                    let mut codes: Vec<String> = claim
                        .lines
                        .iter()
                        .filter(|l| same(l.date_of_service, *date))
                        .map(|l| l.procedure.clone())
                        .collect();
                    codes.sort();
                    codes.dedup();
                    let ptp = answer(r::ptp_edits(&codes, *date), |e| {
                        let indicator = match e.modifier_indicator {
                            r::ModifierIndicator::NotAllowed => 0,
                            r::ModifierIndicator::Allowed => 1,
                            r::ModifierIndicator::NotApplicable => 9,
                        };
                        format!("{}>{}:{indicator}", e.column_one, e.column_two)
                    });
                    let mue = answer(r::mue_limits(&codes, *date), |l| format!("{}={}", l.code, l.units));
                    let rvu = answer(r::relative_values_for(&codes, *date), |v| {
                        format!("{}={}/{}", v.code, v.work, v.multiple_procedure)
                    });
                    let gpci = match r::geographic_indices_for(&locality, *date) {
                        Ok(Some(g)) => format!("{}={}", g.locality, g.work),
                        Ok(None) => "none".to_owned(),
                        Err(e) => why(e),
                    };
                    Finding {
                        rule_id: "RELEASED-0-3-DATA".to_owned(),
                        severity: Severity::Info,
                        line: None,
                        message: format!("{} ptp [{ptp}] mue [{mue}] rvu [{rvu}] gpci [{gpci}]", date_text(*date)),
                        evidence: Vec::new(),
                        denial: None,
                        fixes: Vec::new(),
                        citation: "test".to_owned(),
                    }
                })
                .collect();
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
            Ok(Outcome { lines, findings })
        }
    }

    export!(Released);
}
