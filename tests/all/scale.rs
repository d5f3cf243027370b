//! A rule set with a million-row NCCI PTP file still evaluates a claim
//! quickly: the table lives in the host, and the plugin asks only about the
//! claim's codes. Timings are printed, not asserted; BENCHMARKS.md records
//! the release-build numbers.

use std::time::Instant;

use payrules_host::Verdict;

use crate::{ptp_gen, support};

#[test]
fn a_million_row_ptp_file_loads_once_and_claims_still_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ptp.txt"), ptp_gen::generated_ptp(1_000_000)).unwrap();
    let plugin = support::built("plugins/medicare");
    let sha = payrules_host::sha256_hex(&std::fs::read(&plugin).unwrap());
    let rules = support::one_entry_rule_set(dir.path(), &plugin, &sha, "[data]\nncci_ptp = [\"ptp.txt\"]\n");
    let mut text = std::fs::read_to_string(&rules).unwrap();
    text.push_str("data = [\"ncci-ptp\"]\n");
    std::fs::write(&rules, text).unwrap();

    let host = support::host();
    let started = Instant::now();
    let rule_set = support::load(&host, &rules);
    let load = started.elapsed();
    let mut evaluator = host.evaluator(rule_set);

    let mut claim = support::claim("SCALE-1");
    let mut second = claim.lines[0].clone();
    second.number = 2;
    second.procedure = payrules_model::ProcedureCode::parse("97530").unwrap();
    claim.lines[0].procedure = payrules_model::ProcedureCode::parse("97140").unwrap();
    claim.lines.push(second);
    let started = Instant::now();
    let runs = 200;
    let mut last = None;
    for _ in 0..runs {
        last = Some(evaluator.evaluate(&claim));
    }
    let per_claim = started.elapsed() / runs;
    eprintln!("1,000,001-row PTP table loaded in {load:?}; {per_claim:?} per claim (debug build)");

    // The edit among the claim's codes is found in the big table.
    let Some(Verdict::Evaluated { outcome, .. }) = last.map(|r| r.verdict) else { panic!("not evaluated") };
    let ptp: Vec<_> = outcome.findings.iter().filter(|f| f.rule_id == "MCR-NCCI-PTP").collect();
    assert_eq!(ptp.len(), 1, "{:?}", outcome.findings);
    assert_eq!(ptp[0].line, Some(2));
}
