//! X12 837P end to end: the CLI reads the hand-written therapy files in
//! examples/x12 through the built Medicare and commercial plugins, and
//! `payrules fix` writes files that pyx12 (`x12valid`, installed by
//! scripts/test.sh) accepts as valid 005010X222A1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{self, payrules, text};

fn records(output: &Output) -> Vec<Value> {
    support::claim_records(&output.stdout)
}

fn rule_ids(record: &Value) -> Vec<String> {
    record["outcome"]["findings"]
        .as_array()
        .map(|findings| findings.iter().map(|f| f["rule_id"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

/// pyx12's validator; scripts/test.sh installs it into target/pyx12-venv.
fn x12valid() -> PathBuf {
    let path = std::env::var_os("PAYRULES_X12VALID")
        .map_or_else(|| support::root().join("target/pyx12-venv/bin/x12valid"), PathBuf::from);
    assert!(path.exists(), "{} is missing: scripts/test.sh installs pyx12 (pip install pyx12)", path.display());
    path
}

/// Whether pyx12 says the file is valid. Its exit status is 1 whatever the
/// result (docs/sources.md), so the verdict line is read instead, and it
/// runs on a copy because it writes a 999 beside its input.
fn pyx12_verdict(file: &Path) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("claims.837");
    std::fs::copy(file, &copy).unwrap();
    let output = Command::new(x12valid()).arg(&copy).current_dir(dir.path()).output().expect("x12valid runs");
    let said = format!("{}{}", text(&output.stdout), text(&output.stderr));
    (said.contains("claims.837: OK"), said)
}

#[test]
fn a_therapy_batch_is_checked_claim_by_claim_through_medicare_and_commercial() {
    let output = payrules(&["check", "--format", "json", "examples/x12/therapy-batch.837"]);
    assert_eq!(output.status.code(), Some(2), "an unreadable claim makes it exit 2: {}", text(&output.stderr));
    let records = records(&output);
    let ids: Vec<&str> = records.iter().map(|r| r["claim_id"].as_str().unwrap_or("")).collect();
    assert_eq!(ids, ["MCR-001", "MCR-002", "ACME-001", "MCR-003", "MCR-004"], "one record per CLM, in file order");

    // CMS 100-04 ch.5 20.2: 38 minutes of 97110 support 3 units, not the 4 billed.
    assert_eq!(records[0]["payer_id"], "MEDICARE");
    // An 837P cannot say how much of the deductible was met, so the payment assumes it was, and says so.
    assert_eq!(rule_ids(&records[0]), ["MCR-UNITS-OVER", "MCR-DEDUCTIBLE-ASSUMED"]);
    assert_eq!(records[0]["outcome"]["lines"][0]["correct_units"], 3);
    // 30 + 15 minutes billed as 2 + 1 units: nothing to say but the deductible assumption.
    assert_eq!(rule_ids(&records[1]), ["MCR-DEDUCTIBLE-ASSUMED"]);
    // The dependent's claim routes by 2010BB to ACME-PPO, which pays 4 timed units a visit.
    assert_eq!(records[2]["payer_id"], "ACME-PPO");
    assert_eq!(rule_ids(&records[2]), ["COM-UNITS-CAP"]);
    assert_eq!(records[2]["outcome"]["lines"][1]["allowed_units"], 1);
    // No MIN= note: the 8-minute rule says it could not run rather than guess.
    assert_eq!(rule_ids(&records[3]), ["MCR-MINUTES-MISSING", "MCR-DEDUCTIBLE-ASSUMED"]);
    // The broken claim names its segment, element and component; the others were still checked.
    assert_eq!(records[4]["status"], "invalid-input");
    let error = records[4]["error"].as_str().unwrap();
    assert!(error.contains("segment 96 (`SV1`) element 1-2: `9711` is not a CPT or HCPCS code"), "{error}");
}

#[test]
fn an_837p_is_recognised_by_its_content_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let disguised = dir.path().join("claims.json");
    std::fs::copy(support::root().join("examples/x12/therapy-batch.837"), &disguised).unwrap();
    let output = payrules(&["check", "--format", "json", disguised.to_str().unwrap()]);
    let ids: Vec<String> = records(&output).iter().map(|r| r["claim_id"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(ids.len(), 5, "{}", text(&output.stdout));
}

#[test]
fn fix_writes_units_removed_and_split_lines_back_as_valid_837p() {
    let input = support::root().join("examples/x12/therapy-fixes.837");
    let (valid, said) = pyx12_verdict(&input);
    assert!(valid, "the input itself is valid 837P: {said}");

    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("fixed.837");
    let output = payrules(&["fix", input.to_str().unwrap(), "-o", fixed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let summary = text(&output.stderr);
    for applied in [
        "FIX-SPLIT (segment 21): applied: set line 1 to 1 unit",
        "FIX-SPLIT (segment 21): applied: add a line beside line 1: 97110 GP CQ x1",
        "FIX-REMOVE (segment 35): applied: remove line 2",
        "FIX-MODIFIER (segment 47): applied: add modifier CQ to line 1",
    ] {
        assert!(summary.contains(applied), "{applied}\n{summary}");
    }

    let written = std::fs::read_to_string(&fixed).unwrap();
    for segment in [
        // TC26: the PTA's unit on its own CQ line, with its 15 of the PTA's minutes.
        "LX*1~\nSV1*HC:97110:GP*45*UN*1***1~",
        "NTE*ADD*MIN=21 ASST=8~",
        "LX*2~\nSV1*HC:97110:GP:CQ*45*UN*1***1~\nDTP*472*D8*20250506~\nNTE*ADD*MIN=15 ASST=15~\nLX*3~",
        // The removed line's loop is gone and CLM02 is the sum of what is left.
        "CLM*FIX-REMOVE*90***",
        "SV1*HC:97110:GP:CQ*90*UN*2***1~",
        // Four segments added with the split line, four removed with line 2.
        "SE*53*0001~",
    ] {
        assert!(written.contains(segment), "{segment}\n{written}");
    }
    let (valid, said) = pyx12_verdict(&fixed);
    assert!(valid, "pyx12 accepts the corrected file: {said}");

    // Checked again, the corrected claims have nothing left to fix.
    let again = payrules(&["check", "--format", "json", fixed.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
}

#[test]
fn fix_leaves_review_fixes_and_unreadable_claims_as_they_were() {
    let input = support::root().join("examples/x12/therapy-batch.837");
    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("fixed.837");
    let output = payrules(&["fix", input.to_str().unwrap(), "-o", fixed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "a claim could not be read: {}", text(&output.stderr));
    let summary = text(&output.stderr);
    assert!(summary.contains("MCR-001 (segment 21): applied: set line 1 to 3 units"), "{summary}");
    assert!(summary.contains("ACME-001 (segment 53): left for review: set line 2 to 1 unit (check the record first)"));
    assert!(summary.contains("MCR-004 (segment 91): not read, written back unchanged"), "{summary}");

    let before = std::fs::read_to_string(&input).unwrap();
    let after = std::fs::read_to_string(&fixed).unwrap();
    let changed: Vec<(&str, &str)> = before.lines().zip(after.lines()).filter(|(b, a)| b != a).collect();
    assert_eq!(
        changed,
        [
            ("CLM*MCR-001*160***11:B:1*Y*A*Y*Y~", "CLM*MCR-001*120***11:B:1*Y*A*Y*Y~"),
            ("SV1*HC:97110:GP*160*UN*4***1:2~", "SV1*HC:97110:GP*120*UN*3***1:2~"),
        ],
        "only MCR-001's units, line charge and total change"
    );
    let (valid, said) = pyx12_verdict(&fixed);
    assert!(valid, "{said}");
}

#[test]
fn fix_refuses_a_file_that_is_not_x12() {
    let output = payrules(&["fix", "examples/claims/hip-replacement.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("does not start with an ISA segment"), "{}", text(&output.stderr));
}

#[test]
fn a_latin1_837p_is_read_and_written_back_in_latin1() {
    // Many clearinghouse files are ISO-8859-1, not UTF-8: an É in a name.
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(support::root().join("examples/x12/therapy-fixes.837")).unwrap();
    let latin1: Vec<u8> = String::from_utf8(original)
        .unwrap()
        .replace("SMITH*JOHN", "SM\u{c9}TH*JOHN")
        .chars()
        .map(|c| c as u8)
        .collect();
    assert!(String::from_utf8(latin1.clone()).is_err(), "the fixture is not UTF-8");
    let input = dir.path().join("latin1.837");
    std::fs::write(&input, &latin1).unwrap();
    let fixed = dir.path().join("fixed.837");
    let output = payrules(&["fix", input.to_str().unwrap(), "-o", fixed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let written = std::fs::read(&fixed).unwrap();
    assert!(written.windows(4).any(|w| w == b"SM\xc9T"), "the name keeps its single Latin-1 byte");
    let utf8_fixed = payrules(&["fix", "examples/x12/therapy-fixes.837"]).stdout;
    let expected: Vec<u8> = String::from_utf8(utf8_fixed)
        .unwrap()
        .replace("SMITH*JOHN", "SM\u{c9}TH*JOHN")
        .chars()
        .map(|c| c as u8)
        .collect();
    assert_eq!(written, expected, "the same corrections, and every other byte as it was");
}
