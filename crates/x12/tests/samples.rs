//! Every public 837P sample in `tests/data/837p` either reads or fails with
//! the specific error its provenance notes describe (`tests/data/837p/SOURCES.md`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

use std::path::PathBuf;

use payrules_model::PayerKind;
use payrules_x12::{ClaimRead, read_claims, read_document};

fn sample(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/837p").join(name);
    String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).into_owned()
}

fn reads(text: &str) -> Vec<ClaimRead> {
    read_claims(&read_document(text).unwrap())
}

/// What each sample must produce: its claim ids, and for each claim the
/// errors it must report (their start, as reported).
struct Expected {
    file: &'static str,
    why: &'static str,
    claims: &'static [(&'static str, &'static [&'static str])],
}

const SAMPLES: &[Expected] = &[
    Expected {
        file: "lfh_demo.example1.837",
        why: "TR3 example 1 uses ICD-9 qualifiers BK/BF (2006 dates of service)",
        claims: &[(
            "26463774",
            &[
                "segment 29 (`HI`) element 1-1: `BK` marks an ICD-9-CM",
                "segment 29 (`HI`) element 2-1: `BF` marks an ICD-9-CM",
            ],
        )],
    },
    Expected {
        file: "lfh_demo.example2.837",
        why: "TR3 HMO example, ICD-9 as well",
        claims: &[(
            "26462967",
            &[
                "segment 27 (`HI`) element 1-1: `BK` marks an ICD-9-CM",
                "segment 27 (`HI`) element 2-1: `BF` marks an ICD-9-CM",
            ],
        )],
    },
    Expected {
        file: "lfh_demo.cob.example3.A.837",
        why: "pyx12: mandatory loop Other Payer Name (2330B) missing; ICD-9 too",
        claims: &[(
            "26407789",
            &[
                "segment 32 (`HI`) element 1-1: `BK` marks an ICD-9-CM",
                "segment 39 (`SBR`): the other subscriber loop (2320) has no other payer name NM1*PR (2330B)",
            ],
        )],
    },
    Expected {
        file: "lfh_demo.example6.837",
        why: "ISA16 declares `:` but the body separates components with `>`",
        claims: &[(
            "125WILL",
            &[
                "segment 21 (`CLM`) element 5-1: `11>B>1` is not a two-digit place of service; CLM05 is a composite split on `:`",
                "segment 28 (`SV1`) element 1-1: `HC>98940` is not the HCPCS/CPT qualifier `HC`",
            ],
        )],
    },
    Expected {
        file: "imsweb_x12_valid.txt",
        why: "pyx12: SE count of 25 is wrong, it counts 34; both claims are reported with it",
        claims: &[
            ("A37YH556", &["segment 36 (`SE`) element 1: says 25 segments from ST to SE, but there are 34"]),
            ("A37YH667", &["segment 36 (`SE`) element 1: says 25 segments from ST to SE, but there are 34"]),
        ],
    },
    Expected {
        file: "imsweb_x12_valid_different_separators.txt",
        why: "the same claims written with `~` `^` `_`: the same result",
        claims: &[
            ("A37YH556", &["segment 36 (`SE`) element 1: says 25 segments from ST to SE, but there are 34"]),
            ("A37YH667", &["segment 36 (`SE`) element 1: says 25 segments from ST to SE, but there are 34"]),
        ],
    },
    Expected {
        file: "imsweb_x12_complex.txt",
        why: "two transaction sets under a GE that counts one: the group is broken, all six claims say so",
        claims: &[
            ("A37YH556", &["segment 297 (`GE`) element 1: says 1 transaction sets, but there are 2"]),
            ("A37YH667", &["segment 297 (`GE`) element 1: says 1 transaction sets, but there are 2"]),
            ("A37YH668", &["segment 297 (`GE`) element 1: says 1 transaction sets, but there are 2"]),
            ("A37YH556", &["segment 297 (`GE`) element 1: says 1 transaction sets, but there are 2"]),
            ("A37YH667", &["segment 297 (`GE`) element 1: says 1 transaction sets, but there are 2"]),
            ("A37YH668", &["segment 297 (`GE`) element 1: says 1 transaction sets, but there are 2"]),
        ],
    },
];

#[test]
fn every_sample_reads_or_fails_with_its_known_defect() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/837p");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "SOURCES.md")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = SAMPLES.iter().map(|s| s.file.to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every sample file has an expectation");

    for expected in SAMPLES {
        let got = reads(&sample(expected.file));
        let ids: Vec<&str> = got.iter().map(|r| r.claim_id.as_deref().unwrap_or("")).collect();
        let want: Vec<&str> = expected.claims.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, want, "{}: {}", expected.file, expected.why);
        for (read, (id, errors)) in got.iter().zip(expected.claims) {
            let problems: Vec<String> = read.claim.as_ref().expect_err(id).iter().map(ToString::to_string).collect();
            for error in *errors {
                assert!(
                    problems.iter().any(|p| p.starts_with(error)),
                    "{} claim {id} ({}): expected `{error}` among {problems:#?}",
                    expected.file,
                    expected.why
                );
            }
        }
    }
}

#[test]
fn with_icd10_codes_the_tr3_example_maps_its_loops() {
    // The same file once its diagnoses are ICD-10: patient (2000C) differs
    // from the subscriber, no 2310B, four lines over two dates.
    let text = sample("lfh_demo.example1.837").replace("HI*BK:0340*BF:V7389", "HI*ABK:A047*ABF:Z0000");
    let got = reads(&text);
    let claim = got[0].claim.as_ref().unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(
        (claim.id.as_str(), claim.payer.id.as_str(), claim.payer.kind),
        ("26463774", "999996666", PayerKind::Commercial)
    );
    assert_eq!(claim.patient.birth_date.to_string(), "1973-05-01", "DMG of 2010CA, the patient");
    assert_eq!(claim.patient.id, "JS00111223333", "the subscriber's member id");
    assert_eq!(claim.rendering_provider.npi, "1912301953", "no 2310B: the billing provider rendered");
    assert_eq!(claim.diagnoses.len(), 2);
    let lines: Vec<(u32, &str, u32, String, String)> = claim
        .lines
        .iter()
        .map(|l| (l.number, l.procedure.as_str(), l.units, l.charge.to_string(), l.date_of_service.to_string()))
        .collect();
    assert_eq!(
        lines,
        [
            (1, "99213", 1, "40.00".to_owned(), "2006-10-03".to_owned()),
            (2, "87070", 1, "15.00".to_owned(), "2006-10-03".to_owned()),
            (3, "99214", 1, "35.00".to_owned(), "2006-10-10".to_owned()),
            (4, "86663", 1, "10.00".to_owned(), "2006-10-10".to_owned()),
        ]
    );
    assert_eq!(claim.lines[2].diagnosis_pointers, [2]);
}

#[test]
fn delimiters_come_from_the_header_whatever_they_are() {
    let standard = read_document(&sample("imsweb_x12_valid.txt")).unwrap().delimiters;
    let different = read_document(&sample("imsweb_x12_valid_different_separators.txt")).unwrap().delimiters;
    assert_eq!((standard.element, standard.component, standard.segment), ('*', ':', '~'));
    assert_eq!((different.element, different.component, different.segment), ('~', '^', '_'));
}
