//! The public 837P samples in ../shared/samples/x12/837p either read or fail
//! with the specific envelope error their provenance notes describe
//! (SOURCES.md: pyx12 reports envelope count errors in the imsweb files).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a test that cannot go on should stop")]

use std::path::PathBuf;

use payrules_x12::read_interchanges;

fn sample(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples/x12/837p").join(name);
    String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).into_owned()
}

#[test]
fn the_linuxforhealth_examples_have_sound_envelopes() {
    for name in
        ["lfh_demo.example1.837", "lfh_demo.example2.837", "lfh_demo.cob.example3.A.837", "lfh_demo.example6.837"]
    {
        let text = sample(name);
        let interchanges = read_interchanges(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(interchanges.len(), 1, "{name}");
        let group = &interchanges[0].groups[0];
        assert_eq!(group.header.element(8), "005010X222A2", "{name}");
        let transaction = group.transactions[0].as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(transaction.header.element(1), "837", "{name}");
        assert!(transaction.body.iter().any(|s| s.id == "CLM"), "{name}");
    }
}

#[test]
fn delimiters_come_from_the_header_whatever_they_are() {
    let (standard_text, different_text) =
        (sample("imsweb_x12_valid.txt"), sample("imsweb_x12_valid_different_separators.txt"));
    let standard = read_interchanges(&standard_text).unwrap();
    let different = read_interchanges(&different_text).unwrap();
    assert_eq!((standard[0].delimiters.element, standard[0].delimiters.segment), ('*', '~'));
    assert_eq!(
        (different[0].delimiters.element, different[0].delimiters.component, different[0].delimiters.segment),
        ('~', '^', '_')
    );
    // The same claim either way: the same sets, failing at the same segment.
    let shape = |i: &payrules_x12::Interchange<'_>| -> Vec<String> {
        i.groups[0]
            .transactions
            .iter()
            .map(|t| t.as_ref().map_or_else(ToString::to_string, |_| "ok".to_owned()))
            .collect()
    };
    assert_eq!(shape(&standard[0]), shape(&different[0]));
}

#[test]
fn the_complex_fixture_fails_on_its_group_count() {
    // It holds two transaction sets under a GE that counts one.
    let text = sample("imsweb_x12_complex.txt");
    let error = read_interchanges(&text).unwrap_err();
    assert_eq!((error.id.as_str(), error.element, error.segment), ("GE", Some(1), 297));
    assert_eq!(error.to_string(), "segment 297 (`GE`) element 1: says 1 transaction sets, but there are 2");
}

#[test]
fn the_imsweb_fixtures_fail_on_their_se_count() {
    for name in ["imsweb_x12_valid.txt", "imsweb_x12_valid_different_separators.txt"] {
        let text = sample(name);
        let interchanges = read_interchanges(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let error = interchanges[0].groups[0].transactions[0].as_ref().expect_err(name);
        assert_eq!((error.id.as_str(), error.element), ("SE", Some(1)), "{name}: {error}");
        assert!(error.message.contains("segments from ST to SE"), "{name}: {error}");
    }
}
