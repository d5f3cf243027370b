//! Parse speed of the 837P reader on a large generated file.
//!
//! Run with `cargo bench -p payrules-x12 --bench parse`. It composes an
//! interchange of 200,000 therapy claims (three or four lines each, with
//! minutes notes), then times reading the envelopes and segments, mapping
//! every claim onto the model, and writing the file back unchanged.
//! BENCHMARKS.md records the numbers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_arithmetic,
    clippy::indexing_slicing,
    reason = "a benchmark that cannot run should stop; rates are floats, money is not involved"
)]

use std::hint::black_box;
use std::time::Instant;

use payrules_model::{
    Claim, ClinicianRole, Date, Diagnosis, Modifier, Money, Patient, Payer, PayerKind, ProcedureCode, Provider,
    RenderingProvider, ServiceLine, TreatmentMinutes,
};
use payrules_x12::{ComposeOptions, compose_837p, read_claims, read_document, write_corrected};

const CLAIMS: usize = 200_000;
const CODES: [&str; 6] = ["97110", "97112", "97140", "97530", "97535", "97116"];

fn claims() -> Vec<Claim> {
    // A small linear congruential generator: the same file on every run.
    let mut state: u64 = 0x5eed;
    let mut next = |bound: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    (0..CLAIMS)
        .map(|i| {
            let lines = 3 + next(2) as usize;
            Claim {
                id: format!("PT{i:08}"),
                payer: Payer { id: "MEDICARE".into(), name: "MEDICARE PART B".into(), kind: PayerKind::Medicare },
                patient: Patient {
                    id: format!("MBI{:08}", next(99_999_999)),
                    birth_date: Date::new(1950, 1, 1).unwrap(),
                },
                billing_provider: Provider { npi: "1234567893".into(), name: Some("EXAMPLE PT CLINIC".into()) },
                rendering_provider: RenderingProvider {
                    npi: "1245319599".into(),
                    name: Some("JOHN SMITH".into()),
                    role: ClinicianRole::Therapist,
                },
                place_of_service: "11".into(),
                diagnoses: vec![Diagnosis::parse("M25561").unwrap(), Diagnosis::parse("M6281").unwrap()],
                lines: (0..lines)
                    .map(|n| {
                        let units = 1 + next(3) as u32;
                        ServiceLine {
                            number: n as u32 + 1,
                            date_of_service: Date::new(2025, 3, 1 + next(28) as u8).unwrap(),
                            procedure: ProcedureCode::parse(CODES[next(CODES.len() as u64) as usize]).unwrap(),
                            modifiers: vec![Modifier::parse("GP").unwrap()],
                            units,
                            diagnosis_pointers: vec![1, 2],
                            charge: Money::from_cents(i64::from(units) * 4_000),
                            minutes: Some(TreatmentMinutes { total: units * 15 - next(7) as u32, assistant: 0 }),
                            time_blocks: Vec::new(),
                            rendering_provider: None,
                            place_of_service: None,
                        }
                    })
                    .collect(),
                episode: None,
                participation: payrules_model::Participation::Participating,
                accepts_assignment: true,
            }
        })
        .collect()
}

fn rate(bytes: usize, seconds: f64) -> f64 {
    bytes as f64 / 1_000_000.0 / seconds
}

fn main() {
    let text = compose_837p(&claims(), &ComposeOptions::new(Date::new(2025, 3, 31).unwrap()));
    let megabytes = text.len() as f64 / 1_000_000.0;
    println!("file: {megabytes:.1} MB, {CLAIMS} claims, {} segments", text.matches('~').count());

    let mut best = [f64::MAX; 3];
    for _ in 0..5 {
        let started = Instant::now();
        let document = read_document(black_box(&text)).unwrap();
        let envelopes = started.elapsed().as_secs_f64();
        let reads = read_claims(&document);
        let mapped = started.elapsed().as_secs_f64();
        assert_eq!(reads.iter().filter(|r| r.claim.is_ok()).count(), CLAIMS);
        let written_started = Instant::now();
        let written = write_corrected(&document, &[]).unwrap();
        let written_seconds = written_started.elapsed().as_secs_f64();
        assert_eq!(written.len(), text.len());
        best = [best[0].min(envelopes), best[1].min(mapped), best[2].min(written_seconds)];
    }
    println!("segments and envelopes: {:>7.1} MB/s  ({:.0} ms)", rate(text.len(), best[0]), best[0] * 1000.0);
    println!(
        "read into the model:    {:>7.1} MB/s  ({:.0} ms, {:.0} claims/s)",
        rate(text.len(), best[1]),
        best[1] * 1000.0,
        CLAIMS as f64 / best[1]
    );
    println!("write back unchanged:   {:>7.1} MB/s  ({:.0} ms)", rate(text.len(), best[2]), best[2] * 1000.0);
}
