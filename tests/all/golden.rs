//! `check`'s output on the bundled examples, byte for byte, against the
//! outputs recorded in `tests/golden/`. They were first written by the build
//! before issue 15 (reports serialized by the slower path, every plugin
//! loaded); any change to the records, the tables or the loading that
//! changes a byte fails here. A plugin or rule change that is meant to
//! change the output is recorded again with
//! `PAYRULES_BLESS=1 cargo test --test all golden`, and the diff reviewed.

use crate::support;

/// Each example, by its path from the project root.
const EXAMPLES: &[&str] = &[
    "examples/claims/cms-20-2-examples.json",
    "examples/claims/hip-replacement.toml",
    "examples/claims/common-mistakes.json",
    "examples/x12/therapy-batch.837",
    "examples/x12/therapy-fixes.837",
];

/// Each way of checking, with the suffix of its recorded file.
const MODES: &[(&[&str], &str)] = &[
    (&["--format", "json"], "jsonl"),
    (&["--format", "json", "--explain"], "explain.jsonl"),
    (&[], "txt"),
    (&["--format", "json", "--all-payers"], "all-payers.jsonl"),
    (&["--explain", "--all-payers"], "all-payers.txt"),
];

fn compare(args: &[&str], recorded: &str, differences: &mut Vec<String>) {
    let mut output = support::payrules(args);
    // 1: a claim needs attention; 2: one could not be read (therapy-batch.837 has one).
    assert!(output.status.code().is_some_and(|code| code <= 2), "{args:?}: {}", support::text(&output.stderr));
    output.stdout = support::without_run_time(&support::text(&output.stdout)).into_bytes();
    let path = support::root().join("tests/golden").join(recorded);
    if std::env::var_os("PAYRULES_BLESS").is_some() {
        std::fs::write(&path, &output.stdout).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_default();
    if expected != output.stdout {
        let first = support::text(&output.stdout)
            .lines()
            .zip(support::text(&expected).lines())
            .position(|(now, then)| now != then)
            .map_or_else(|| "a different length".to_owned(), |line| format!("line {}", line + 1));
        differences.push(format!("payrules {}: differs from tests/golden/{recorded} at {first}", args.join(" ")));
    }
}

#[test]
fn check_prints_the_recorded_bytes_for_every_bundled_example() {
    let mut differences = Vec::new();
    for example in EXAMPLES {
        let stem = std::path::Path::new(example).file_stem().and_then(|s| s.to_str()).unwrap();
        for (flags, suffix) in MODES {
            let mut args = vec!["check"];
            args.extend_from_slice(flags);
            args.push(example);
            compare(&args, &format!("{stem}.{suffix}"), &mut differences);
        }
    }
    // A hundred generated claims reach every payer of the bundled rule set.
    compare(&["check", "--format", "json", "tests/golden/generated-claims.jsonl"], "generated.jsonl", &mut differences);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
