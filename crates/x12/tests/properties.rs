//! Properties of the reader and the writer over generated claims:
//! - model → 837P → model gives the claims back;
//! - parse → write → parse gives the same model, with or without fixes;
//! - no input, however broken, makes the reader panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

use payrules_model::{
    AddedLine, Applicability, Authorization, Claim, ClinicianRole, ClockTime, Date, Diagnosis, Episode, Fix, FixAction,
    Modifier, Money, Patient, Payer, PayerKind, ProcedureCode, Provider, RenderingProvider, ServiceLine, TimeBlock,
    TreatmentMinutes, apply_fixes, claim::is_valid_npi,
};
use payrules_x12::{ComposeOptions, Delimiters, compose_837p, read_claims, read_document, write_corrected};
use proptest::prelude::*;

const CODES: [&str; 10] = ["97110", "97112", "97116", "97140", "97530", "97535", "97161", "97010", "97035", "G0283"];
const MODIFIERS: [&str; 8] = ["GP", "GO", "59", "XU", "KX", "CQ", "CO", "52"];

fn npi() -> impl Strategy<Value = String> {
    "[1-2][0-9]{8}"
        .prop_map(|stem| (0..10).map(|d| format!("{stem}{d}")).find(|n| is_valid_npi(n)).expect("one check digit fits"))
}

fn date() -> impl Strategy<Value = Date> {
    (1930u16..2030, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn name() -> impl Strategy<Value = String> {
    "[A-Z][A-Z ]{0,10}[A-Z]"
}

fn minutes() -> impl Strategy<Value = Option<TreatmentMinutes>> {
    proptest::option::of((0u32..120).prop_flat_map(|total| (Just(total), 0..=total)))
        .prop_map(|m| m.map(|(total, assistant)| TreatmentMinutes { total, assistant }))
}

fn time_blocks() -> impl Strategy<Value = Vec<TimeBlock>> {
    proptest::collection::vec((0u16..1400, 1u16..40), 0..=2).prop_map(|blocks| {
        blocks
            .into_iter()
            .map(|(start, length)| TimeBlock {
                start: ClockTime::from_minutes(start).unwrap(),
                end: ClockTime::from_minutes(start + length).unwrap(),
            })
            .collect()
    })
}

fn line(diagnoses: usize) -> impl Strategy<Value = ServiceLine> {
    (
        date(),
        proptest::sample::select(CODES.to_vec()),
        proptest::sample::subsequence(MODIFIERS.to_vec(), 0..=4),
        0u32..=8,
        proptest::sample::subsequence((1..=diagnoses as u8).collect::<Vec<u8>>(), 0..=diagnoses.min(4)),
        0i64..100_000,
        minutes(),
        time_blocks(),
        // A line's own clinician (2420A) and place of service (SV105).
        (proptest::option::of((npi(), proptest::option::of(name()), any::<bool>())), proptest::option::of("[0-9]{2}")),
    )
        .prop_map(|(date, code, modifiers, units, pointers, cents, minutes, time_blocks, (rendering, place))| {
            ServiceLine {
                number: 0,
                date_of_service: date,
                procedure: ProcedureCode::parse(code).unwrap(),
                modifiers: modifiers.into_iter().map(|m| Modifier::parse(m).unwrap()).collect(),
                units,
                diagnosis_pointers: pointers,
                charge: Money::from_cents(cents),
                minutes,
                time_blocks,
                rendering_provider: rendering.map(|(npi, name, assistant)| RenderingProvider {
                    npi,
                    name,
                    role: if assistant { ClinicianRole::Assistant } else { ClinicianRole::Therapist },
                }),
                place_of_service: place,
            }
        })
}

fn episode() -> impl Strategy<Value = Option<Episode>> {
    (proptest::option::of(date()), proptest::option::of("[A-Z0-9]{1,12}"), proptest::option::of("[A-Z0-9]{1,12}"))
        .prop_map(|(injury_date, injury_claim_number, authorization)| {
            let episode = Episode {
                injury_date,
                injury_claim_number,
                authorization: authorization.map(|number| Authorization { number, visits: None, written: false }),
                ..Episode::default()
            };
            (episode != Episode::default()).then_some(episode)
        })
}

fn claim() -> impl Strategy<Value = Claim> {
    let kinds =
        [PayerKind::Medicare, PayerKind::Medicaid, PayerKind::Commercial, PayerKind::WorkersComp, PayerKind::SelfPay];
    (
        "[A-Z0-9]{1,20}",
        ("[A-Z0-9-]{1,12}", name(), proptest::sample::select(kinds.to_vec())),
        ("[A-Z0-9]{1,15}", date()),
        (npi(), proptest::option::of(name())),
        (npi(), proptest::option::of(name()), any::<bool>()),
        "[0-9]{2}",
        proptest::collection::vec("[A-Z][0-9]{2}[A-Z0-9]{0,4}", 1..=4),
        (episode(), any::<bool>()),
    )
        .prop_flat_map(|(id, payer, patient, billing, rendering, place, diagnoses, episode)| {
            let lines = proptest::collection::vec(line(diagnoses.len()), 1..=6);
            (Just((id, payer, patient, billing, rendering, place, diagnoses, episode)), lines)
        })
        .prop_map(
            |((id, payer, patient, billing, rendering, place, diagnoses, (episode, accepts_assignment)), mut lines)| {
                let role = if rendering.2 { ClinicianRole::Assistant } else { ClinicianRole::Therapist };
                for (index, line) in lines.iter_mut().enumerate() {
                    line.number = index as u32 + 1;
                    // An 837P names a line's clinician and place only where they differ from the claim's.
                    if line.rendering_provider.as_ref().is_some_and(|r| r.npi == rendering.0 && r.role == role) {
                        line.rendering_provider = None;
                    }
                    if line.place_of_service.as_deref() == Some(place.as_str()) {
                        line.place_of_service = None;
                    }
                }
                Claim {
                    id,
                    payer: Payer { id: payer.0, name: payer.1, kind: payer.2 },
                    patient: Patient { id: patient.0, birth_date: patient.1 },
                    billing_provider: Provider { npi: billing.0, name: billing.1 },
                    rendering_provider: RenderingProvider {
                        npi: rendering.0,
                        name: rendering.1,
                        role: if rendering.2 { ClinicianRole::Assistant } else { ClinicianRole::Therapist },
                    },
                    place_of_service: place,
                    diagnoses: diagnoses.iter().map(|d| Diagnosis::parse(d).unwrap()).collect(),
                    lines,
                    episode,
                    participation: payrules_model::Participation::Participating,
                    accepts_assignment,
                }
            },
        )
}

fn fix() -> impl Strategy<Value = (usize, FixAction)> {
    let action = prop_oneof![
        (0u32..=6).prop_map(FixAction::SetUnits),
        proptest::sample::select(MODIFIERS.to_vec()).prop_map(|m| FixAction::AddModifier(m.to_owned())),
        proptest::sample::select(MODIFIERS.to_vec()).prop_map(|m| FixAction::RemoveModifier(m.to_owned())),
        Just(FixAction::RemoveLine),
        (1u32..=3).prop_map(|units| FixAction::AddLine(AddedLine {
            procedure: String::new(),
            modifiers: vec!["GP".to_owned(), "CQ".to_owned()],
            units,
        })),
    ];
    (0usize..6, action)
}

fn delimiters() -> impl Strategy<Value = Delimiters> {
    prop_oneof![
        Just(Delimiters { element: '*', repetition: '^', component: ':', segment: '~' }),
        Just(Delimiters { element: '~', repetition: '{', component: '^', segment: '_' }),
        Just(Delimiters { element: '|', repetition: '^', component: '>', segment: '\n' }),
    ]
}

fn compose(claims: &[Claim], delimiters: Delimiters, line_breaks: bool) -> String {
    let mut options = ComposeOptions::new(Date::new(2025, 3, 14).unwrap());
    options.delimiters = delimiters;
    options.line_breaks = line_breaks && delimiters.segment != '\n';
    compose_837p(claims, &options)
}

fn read_models(text: &str) -> Vec<Claim> {
    let document = read_document(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    read_claims(&document).into_iter().map(|r| r.claim.unwrap_or_else(|p| panic!("{p:#?}\n{text}"))).collect()
}

proptest! {
    // 256 cases each by default; PROPTEST_CASES=20000 runs a longer search.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn model_to_837p_and_back_is_the_same_claims(
        claims in proptest::collection::vec(claim(), 1..=4),
        delimiters in delimiters(),
        line_breaks in any::<bool>(),
    ) {
        for claim in &claims {
            prop_assume!(claim.validate().is_ok());
        }
        let text = compose(&claims, delimiters, line_breaks);
        prop_assert_eq!(read_models(&text), claims);
    }

    #[test]
    fn parse_write_parse_keeps_the_model_with_or_without_fixes(
        claims in proptest::collection::vec(claim(), 1..=3),
        fixes in proptest::collection::vec(fix(), 0..=6),
        delimiters in delimiters(),
    ) {
        for claim in &claims {
            prop_assume!(claim.validate().is_ok());
        }
        let text = compose(&claims, delimiters, true);
        let document = read_document(&text).unwrap();
        let reads = read_claims(&document);

        // Written back untouched, the file is the same bytes and the same model.
        let untouched = write_corrected(&document, &[]).unwrap();
        prop_assert_eq!(&untouched, &text);

        // With the fixes applied to the first claim, the file reads as the corrected claim.
        let first = reads[0].claim.as_ref().unwrap();
        let fixes: Vec<Fix> = fixes
            .into_iter()
            .filter_map(|(index, action)| {
                let line = first.lines.get(index % first.lines.len())?;
                let action = match action {
                    FixAction::AddLine(added) => FixAction::AddLine(AddedLine { procedure: line.procedure.to_string(), ..added }),
                    other => other,
                };
                Some(Fix { line: line.number, action, applicability: Applicability::Automatic })
            })
            .collect();
        let corrected = apply_fixes(first, &fixes);
        let written = write_corrected(&document, &[(&reads[0], &corrected.claim)]).unwrap();
        let mut expected = corrected.claim.clone();
        for (index, line) in expected.lines.iter_mut().enumerate() {
            line.number = index as u32 + 1;
        }
        let again = read_models(&written);
        prop_assert_eq!(&again[0], &expected);
        prop_assert_eq!(&again[1..], &claims[1..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(document) = read_document(&text) {
            let _ = read_claims(&document);
        }
    }

    #[test]
    fn a_damaged_valid_file_never_panics(
        claims in proptest::collection::vec(claim(), 1..=2),
        damage in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..20, prop_oneof![
            Just(String::new()), Just("*".to_owned()), Just("~".to_owned()), Just(":".to_owned()),
            Just("HL*9*7*23*1~".to_owned()), Just("LX*x~".to_owned()), Just("CLM*~".to_owned()),
            Just("SE*1*0001~".to_owned()), Just("ISA".to_owned()), "[ -~]{0,8}",
        ]), 1..=4),
    ) {
        let mut text = compose(&claims, Delimiters { element: '*', repetition: '^', component: ':', segment: '~' }, true);
        for (at, length, insert) in damage {
            let start = at.index(text.len().max(1));
            let start = (0..=start).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (start + length).min(text.len());
            let end = (end..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
            text.replace_range(start..end, &insert);
        }
        if let Ok(document) = read_document(&text) {
            let reads = read_claims(&document);
            // Whatever still reads can be written back and read again.
            let readable: Vec<_> = reads.iter().filter_map(|r| r.claim.as_ref().ok().map(|c| (r, c))).collect();
            if let Ok(written) = write_corrected(&document, &readable) {
                let _ = read_document(&written).map(|d| read_claims(&d));
            }
        }
    }
}
