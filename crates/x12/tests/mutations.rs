//! One defect at a time in the minimal therapy 837P (docs/sources.md)
//! (which pyx12 accepts): each must be reported at its segment, element and
//! component. The last rows are defects pyx12 does not catch and the
//! engine must.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

use payrules_model::{ClinicianRole, PayerKind};
use payrules_x12::{X12Error, read_claims, read_document};

/// The minimal claim, with lines on one segment each so a mutation can
/// replace one.
const MINIMAL: &str = "\
ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*RECEIVERID     *240115*1200*^*00501*000000001*0*T*:~
GS*HC*SUBMITTERID*RECEIVERID*20240115*1200*1*X*005010X222A1~
ST*837*0001*005010X222A1~
BHT*0019*00*BATCH0001*20240115*1200*CH~
NM1*41*2*EXAMPLE PT CLINIC*****46*SUBMITTERID~
PER*IC*BILLING OFFICE*TE*5555551212~
NM1*40*2*EXAMPLE PAYER*****46*RECEIVERID~
HL*1**20*1~
PRV*BI*PXC*225100000X~
NM1*85*2*EXAMPLE PT CLINIC*****XX*1234567893~
N3*100 MAIN ST~
N4*ANYTOWN*PA*191030000~
REF*EI*123456789~
HL*2*1*22*0~
SBR*P*18*GRP001******CI~
NM1*IL*1*DOE*JANE****MI*MEMBER001~
N3*1 ELM ST~
N4*ANYTOWN*PA*19103~
DMG*D8*19600101*F~
NM1*PR*2*EXAMPLE PAYER*****PI*PAYER01~
CLM*PTCLAIM001*290***11:B:1*Y*A*Y*Y~
HI*ABK:M25561*ABF:M6281~
NM1*82*1*SMITH*JOHN****XX*1245319599~
PRV*PE*PXC*225100000X~
LX*1~
SV1*HC:97110:GP*160*UN*4***1:2~
DTP*472*D8*20240110~
LX*2~
SV1*HC:97140:GP:59*80*UN*2***1~
DTP*472*D8*20240110~
LX*3~
SV1*HC:97530:GP*50*UN*1***1:2~
DTP*472*D8*20240110~
SE*32*0001~
GE*1*1~
IEA*1*000000001~
";

fn problems(text: &str) -> Vec<X12Error> {
    let reads = read_claims(&read_document(text).unwrap());
    assert_eq!(reads.len(), 1, "one claim, one record");
    reads.into_iter().next().unwrap().claim.err().unwrap_or_default()
}

#[test]
fn the_minimal_claim_reads_whole() {
    let reads = read_claims(&read_document(MINIMAL).unwrap());
    let claim = reads[0].claim.as_ref().unwrap();
    assert_eq!((claim.payer.id.as_str(), claim.payer.kind), ("PAYER01", PayerKind::Commercial));
    assert_eq!((claim.patient.id.as_str(), claim.patient.birth_date.to_string()), ("MEMBER001", "1960-01-01".into()));
    assert_eq!(claim.rendering_provider.npi, "1245319599");
    assert_eq!(claim.rendering_provider.name.as_deref(), Some("JOHN SMITH"));
    assert_eq!(claim.rendering_provider.role, ClinicianRole::Therapist);
    assert_eq!(claim.lines[1].modifiers, ["GP", "59"]);
    assert_eq!(claim.lines.iter().map(|l| l.units).collect::<Vec<_>>(), [4, 2, 1]);
    assert!(claim.lines.iter().all(|l| l.minutes.is_none()), "no NTE, so no minutes");
}

/// (what is changed, from, to, the start of the error as reported)
const MUTATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "not the 837P guide",
        "ST*837*0001*005010X222A1",
        "ST*837*0001*005010X223A2",
        "segment 3 (`ST`) element 3: `005010X223A2` is not the 5010 837P; expected 005010X222A1 or 005010X222A2",
    ),
    (
        "SE count off by one",
        "SE*32*0001",
        "SE*31*0001",
        "segment 34 (`SE`) element 1: says 31 segments from ST to SE, but there are 32",
    ),
    (
        "DTP*472 removed from a line",
        "LX*2~\nSV1*HC:97140:GP:59*80*UN*2***1~\nDTP*472*D8*20240110~",
        "LX*2~\nSV1*HC:97140:GP:59*80*UN*2***1~",
        "segment 28 (`LX`): the service line has no date of service (DTP*472)",
    ),
    (
        "invalid date",
        "DTP*472*D8*20240110~\nLX*2",
        "DTP*472*D8*20241310~\nLX*2",
        "segment 27 (`DTP`) element 3: `20241310` is not a date (CCYYMMDD)",
    ),
    (
        "SV103 XX instead of UN",
        "SV1*HC:97530:GP*50*UN*1",
        "SV1*HC:97530:GP*50*XX*1",
        "segment 32 (`SV1`) element 3: `XX` is not a unit basis; expected UN",
    ),
    (
        "units in minutes",
        "SV1*HC:97530:GP*50*UN*1",
        "SV1*HC:97530:GP*50*MJ*15",
        "segment 32 (`SV1`) element 3: the line is billed in minutes (MJ)",
    ),
    (
        "a fraction of a unit",
        "SV1*HC:97530:GP*50*UN*1",
        "SV1*HC:97530:GP*50*UN*0.5",
        "segment 32 (`SV1`) element 4: `0.5` is a fraction of a unit",
    ),
    (
        "POS not two digits",
        "11:B:1",
        "1:B:1",
        "segment 21 (`CLM`) element 5-1: `1` is not a two-digit place of service",
    ),
    (
        "a date range",
        "DTP*472*D8*20240110~\nSE",
        "DTP*472*RD8*20240110-20240112~\nSE",
        "segment 33 (`DTP`) element 3: `20240110-20240112` is a range of dates",
    ),
    (
        "a code of four digits",
        "HC:97110:GP",
        "HC:9711:GP",
        "segment 26 (`SV1`) element 1-2: `9711` is not a CPT or HCPCS code",
    ),
    (
        "a modifier of three letters",
        "HC:97140:GP:59",
        "HC:97140:GP:599",
        "segment 29 (`SV1`) element 1-4: `599` is not a modifier",
    ),
    (
        "an ICD-10 code of the wrong shape",
        "ABF:M6281",
        "ABF:6281",
        "segment 22 (`HI`) element 2-2: `6281` is not an ICD-10-CM code",
    ),
    (
        "no payer loop",
        "NM1*PR*2*EXAMPLE PAYER*****PI*PAYER01~\n",
        "",
        "segment 14 (`HL`): the subscriber loop has no payer NM1*PR (2010BB)",
    ),
    (
        "no claim filing indicator",
        "SBR*P*18*GRP001******CI",
        "SBR*P*18*GRP001",
        "segment 15 (`SBR`) element 9: the claim filing indicator (SBR09) is missing",
    ),
    (
        "no birth date",
        "DMG*D8*19600101*F~\n",
        "",
        "segment 14 (`HL`): the patient's date of birth (DMG02 of 2010BA or 2010CA) is missing",
    ),
    (
        "a line's own clinician (2420A) with a bad NPI",
        "DTP*472*D8*20240110~\nSE",
        "DTP*472*D8*20240110~\nNM1*82*1*ROE*ANN****XX*1234567890~\nSE",
        "segment 34 (`NM1`) element 9: `1234567890` is not a valid ten-digit NPI",
    ),
    (
        "a line place of service (SV105) that is not a code",
        "SV1*HC:97530:GP*50*UN*1***1:2",
        "SV1*HC:97530:GP*50*UN*1*1**1:2",
        "segment 32 (`SV1`) element 5: `1` is not a two-digit place-of-service code",
    ),
    // pyx12 accepts the rest.
    (
        "NPI with a bad check digit",
        "XX*1245319599",
        "XX*1245319598",
        "segment 23 (`NM1`) element 9: `1245319598` is not a valid ten-digit NPI",
    ),
    (
        "CLM02 not the sum of SV102",
        "CLM*PTCLAIM001*290",
        "CLM*PTCLAIM001*300",
        "segment 21 (`CLM`) element 2: the claim total 300.00 is not the sum of the line charges (SV102), 290.00",
    ),
    (
        "a pointer to a third diagnosis of two",
        "SV1*HC:97530:GP*50*UN*1***1:2",
        "SV1*HC:97530:GP*50*UN*1***1:3",
        "segment 32 (`SV1`) element 7: pointer 3 does not name one of the claim's 2 diagnoses",
    ),
];

#[test]
fn a_line_of_another_clinician_and_place_keeps_its_own() {
    // Line 3 furnished by a PTA (2420A with the PTA taxonomy) in the
    // patient's home (SV105 12), lines 1 and 2 by the claim's PT in the office.
    let text = MINIMAL
        .replace("SV1*HC:97530:GP*50*UN*1***1:2", "SV1*HC:97530:GP*50*UN*1*12**1:2")
        .replace(
            "DTP*472*D8*20240110~\nSE",
            "DTP*472*D8*20240110~\nNM1*82*1*ROE*ANN****XX*1234567893~\nPRV*PE*PXC*225200000X~\nSE",
        )
        .replace("SE*32*0001", "SE*34*0001")
        .replace("*11:B:1*Y*A*Y*Y", "*11:B:1*Y*C*Y*Y");
    let reads = read_claims(&read_document(&text).unwrap());
    let claim = reads.into_iter().next().unwrap().claim.unwrap();
    assert_eq!(claim.rendering_provider.npi, "1245319599");
    assert!(claim.lines[0].rendering_provider.is_none() && claim.lines[0].place_of_service.is_none());
    let line = &claim.lines[2];
    let rendering = line.rendering_provider.as_ref().unwrap();
    assert_eq!((rendering.npi.as_str(), rendering.role), ("1234567893", ClinicianRole::Assistant));
    assert_eq!(line.place_of_service.as_deref(), Some("12"));
    assert_eq!(claim.rendering_for(line).role, ClinicianRole::Assistant);
    assert!(!claim.accepts_assignment, "CLM07 C: assignment not accepted");
    // Written back, the claim reads the same.
    let options = payrules_x12::ComposeOptions::new(payrules_model::Date::new(2025, 3, 14).unwrap());
    let written = payrules_x12::compose_837p(std::slice::from_ref(&claim), &options);
    let again = read_claims(&read_document(&written).unwrap()).into_iter().next().unwrap().claim.unwrap();
    assert_eq!(again.lines, claim.lines);
    assert_eq!(again.accepts_assignment, claim.accepts_assignment);
}

#[test]
fn each_defect_is_reported_where_it_is() {
    for (what, from, to, expected) in MUTATIONS {
        assert!(MINIMAL.contains(from), "{what}: `{from}` is not in the minimal claim");
        let mutated = MINIMAL.replacen(from, to, 1);
        // Keep SE01 right unless the mutation is about it, so one defect shows at a time.
        let mutated = if what.starts_with("SE count") {
            mutated
        } else {
            let segments = mutated.matches('~').count() - 5; // ISA, GS, GE, IEA, and SE counts itself in
            mutated.replace("SE*32*0001", &format!("SE*{}*0001", segments + 1))
        };
        let found: Vec<String> = problems(&mutated).iter().map(ToString::to_string).collect();
        assert!(found.iter().any(|f| f.starts_with(expected)), "{what}: expected `{expected}` among {found:#?}");
    }
}
