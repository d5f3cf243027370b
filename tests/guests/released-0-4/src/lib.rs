//! Test plugin built against the released `payrules:policy@0.4.0` contract,
//! with wit-bindgen directly (the PDK builds against the newest version only),
//! from source like every other plugin. It stands for the plugins built on
//! 0.4.0 before contract 0.5.0: the host must keep sending them the claim in
//! 0.4.0's shape and answering their `day-reference` calls.
//!
//! For each date of service it makes one `day-reference` call for every
//! table and the locality it is configured with, and reports what it was
//! told in one finding per date, in the same words as the 0.3.0 test plugin,
//! so a test can hold the answers to the host's tables. Its one rule is
//! listed with a severity and a denial, which 0.4.0 added to rule listings.

#![allow(unsafe_code, missing_docs, reason = "the bindings wit-bindgen generates here export raw functions")]

#[cfg(target_arch = "wasm32")]
mod guest {
    use std::cell::RefCell;

    wit_bindgen::generate!({ path: "../../../wit/since_v0.4.0", world: "payer-policy" });

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

    /// A packed code or modifier as its text: its bytes, high first.
    fn text(packed: u64) -> String {
        packed.to_be_bytes().iter().filter(|b| **b != 0).map(|b| char::from(*b)).collect()
    }

    fn why(e: r::DataError) -> String {
        match e {
            r::DataError::NotGranted => "not-granted".to_owned(),
            r::DataError::NoDataForDate => "no-data-for-date".to_owned(),
        }
    }

    fn answer<T>(result: Option<Result<Vec<T>, r::DataError>>, show: impl Fn(&T) -> String) -> String {
        match result {
            Some(Ok(rows)) => rows.iter().map(show).collect::<Vec<_>>().join(" "),
            Some(Err(e)) => why(e),
            None => "not-answered".to_owned(),
        }
    }

    impl Guest for Released {
        fn describe() -> PluginInfo {
            PluginInfo {
                name: "test-released-0-4".to_owned(),
                version: "0.1.0".to_owned(),
                contract_version: "0.4.0".to_owned(),
                rules: vec![RuleInfo {
                    id: "RELEASED-0-4-DATA".to_owned(),
                    title: "Reports the reference data of each date".to_owned(),
                    citation: "test".to_owned(),
                    severity: Some(Severity::Info),
                    denial: Some("CO-97".to_owned()),
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
            let mut dates: Vec<Date> = Vec::new();
            for line in &claim.lines {
                if !dates.iter().any(|d| same(*d, line.date_of_service)) {
                    dates.push(line.date_of_service);
                }
            }
            let locality = LOCALITY.with_borrow(Clone::clone);
            let tables = r::CodeTables::PTP_EDITS | r::CodeTables::MUE_LIMITS | r::CodeTables::RELATIVE_VALUES;
            let findings = dates
                .iter()
                .map(|date| {
                    let day = r::day_reference(*date, tables, Some(&locality));
                    let ptp = answer(day.ptp_edits, |e| {
                        let indicator = match e.modifier_indicator {
                            r::ModifierIndicator::NotAllowed => 0,
                            r::ModifierIndicator::Allowed => 1,
                            r::ModifierIndicator::NotApplicable => 9,
                        };
                        format!("{}>{}:{indicator}", text(e.column_one), text(e.column_two))
                    });
                    let mue = answer(day.mue_limits, |l| format!("{}={}", text(l.code), l.units));
                    let rvu = answer(day.relative_values, |v| {
                        format!("{}={}/{}", text(v.code), v.work, v.multiple_procedure)
                    });
                    let gpci = match day.geographic_indices {
                        Some(Ok(Some(g))) => format!("{}={}", g.locality, g.work),
                        Some(Ok(None)) => "none".to_owned(),
                        Some(Err(e)) => why(e),
                        None => "not-answered".to_owned(),
                    };
                    Finding {
                        rule_id: "RELEASED-0-4-DATA".to_owned(),
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
