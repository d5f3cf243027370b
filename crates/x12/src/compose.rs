//! Writing claims from the billing model as a new 837P interchange.
//!
//! This serves fixtures, property tests and benchmarks: it writes what the
//! model holds, one billing provider and subscriber loop per claim, with the
//! subscriber as the patient. The model has no addresses or tax ids, so the
//! 2010AA address and `REF*EI` are not written, and a validator will say so;
//! a clearinghouse file is corrected in place with
//! [`write_corrected`](crate::write_corrected) instead.

use payrules_model::{Claim, ClinicianRole, Date, PayerKind};

use crate::minutes::format_line_time;
use crate::segment::Delimiters;
use crate::write::{join, x12_amount};

/// The envelope of a composed interchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeOptions {
    /// ISA06 and GS02.
    pub sender: String,
    /// ISA08 and GS03.
    pub receiver: String,
    /// ISA13, GS06 and ST02.
    pub control_number: u32,
    /// ISA09 and GS04.
    pub date: Date,
    /// The delimiters to write with.
    pub delimiters: Delimiters,
    /// Whether a line break follows each segment terminator.
    pub line_breaks: bool,
}

impl ComposeOptions {
    /// Options for an interchange created on `date`, with the usual
    /// delimiters `*`, `^`, `:` and `~` and a line break after each segment.
    pub fn new(date: Date) -> ComposeOptions {
        ComposeOptions {
            sender: "PAYRULES".to_owned(),
            receiver: "RECEIVER".to_owned(),
            control_number: 1,
            date,
            delimiters: Delimiters { element: '*', repetition: '^', component: ':', segment: '~' },
            line_breaks: true,
        }
    }
}

/// The claim filing indicator (SBR09) for a kind of payer.
fn filing_indicator(kind: PayerKind) -> &'static str {
    match kind {
        PayerKind::Medicare => "MB",
        PayerKind::Medicaid => "MC",
        PayerKind::WorkersComp => "WC",
        PayerKind::SelfPay => "09",
        PayerKind::Commercial => "CI",
    }
}

struct Writer<'o> {
    options: &'o ComposeOptions,
    text: String,
    in_transaction: usize,
}

impl Writer<'_> {
    /// Writes one segment; free text is cleared of delimiter characters.
    fn segment(&mut self, id: &str, elements: &[&str]) {
        let d = &self.options.delimiters;
        self.text.push_str(&join(id, elements, d));
        self.text.push(d.segment);
        if self.options.line_breaks {
            self.text.push('\n');
        }
        self.in_transaction += 1;
    }

    fn clean(&self, text: &str) -> String {
        let d = &self.options.delimiters;
        text.chars()
            .map(|c| if [d.element, d.component, d.segment, d.repetition].contains(&c) { ' ' } else { c })
            .collect()
    }

    fn composite(&self, parts: &[&str]) -> String {
        parts.join(&self.options.delimiters.component.to_string())
    }
}

/// Writes `claims` as one interchange holding one 837P transaction set.
pub fn compose_837p(claims: &[Claim], options: &ComposeOptions) -> String {
    let mut w = Writer { options, text: String::new(), in_transaction: 0 };
    let d = options.delimiters;
    let control = format!("{:09}", options.control_number);
    let date = options.date.compact();
    let isa = format!(
        "ISA{e}00{e}          {e}00{e}          {e}ZZ{e}{:<15}{e}ZZ{e}{:<15}{e}{}{e}1200{e}{}{e}00501{e}{control}{e}0{e}T{e}{}",
        w.clean(&options.sender).chars().take(15).collect::<String>(),
        w.clean(&options.receiver).chars().take(15).collect::<String>(),
        date.get(2..).unwrap_or("000101"),
        d.repetition,
        d.component,
        e = d.element,
    );
    w.text.push_str(&isa);
    w.text.push(d.segment);
    if options.line_breaks {
        w.text.push('\n');
    }
    let group = options.control_number.to_string();
    let (sender, receiver) = (w.clean(&options.sender), w.clean(&options.receiver));
    w.segment("GS", &["HC", &sender, &receiver, &date, "1200", &group, "X", "005010X222A1"]);
    w.in_transaction = 0;
    let st = format!("{:04}", options.control_number % 10_000);
    w.segment("ST", &["837", &st, "005010X222A1"]);
    w.segment("BHT", &["0019", "00", &control, &date, "1200", "CH"]);
    w.segment("NM1", &["41", "2", &sender, "", "", "", "", "46", &sender]);
    w.segment("PER", &["IC", "BILLING OFFICE", "TE", "5555551212"]);
    w.segment("NM1", &["40", "2", &receiver, "", "", "", "", "46", &receiver]);
    let mut hl = 0u32;
    for claim in claims {
        hl += 1;
        let billing_hl = hl.to_string();
        w.segment("HL", &[&billing_hl, "", "20", "1"]);
        let billing_name = w.clean(claim.billing_provider.name.as_deref().unwrap_or(""));
        w.segment("NM1", &["85", "2", &billing_name, "", "", "", "", "XX", &claim.billing_provider.npi]);
        hl += 1;
        w.segment("HL", &[&hl.to_string(), &billing_hl, "22", "0"]);
        w.segment("SBR", &["P", "18", "", "", "", "", "", "", filing_indicator(claim.payer.kind)]);
        let patient = w.clean(&claim.patient.id);
        w.segment("NM1", &["IL", "1", &patient, "", "", "", "", "MI", &patient]);
        w.segment("DMG", &["D8", &claim.patient.birth_date.compact(), "U"]);
        let (payer_name, payer_id) = (w.clean(&claim.payer.name), w.clean(&claim.payer.id));
        w.segment("NM1", &["PR", "2", &payer_name, "", "", "", "", "PI", &payer_id]);
        write_claim(&mut w, claim);
    }
    let count = (w.in_transaction + 1).to_string();
    w.segment("SE", &[&count, &st]);
    w.segment("GE", &["1", &group]);
    w.segment("IEA", &["1", &control]);
    w.text
}

fn write_claim(w: &mut Writer<'_>, claim: &Claim) {
    // Claims given to compose are validated, so their total fits; were it
    // not to, the largest amount shows the overflow instead of a false zero.
    let total = claim.total_charge().unwrap_or(payrules_model::Money::from_cents(i64::MAX));
    let place = w.composite(&[&claim.place_of_service, "B", "1"]);
    let id = w.clean(&claim.id);
    let assignment = if claim.accepts_assignment { "A" } else { "C" };
    w.segment("CLM", &[&id, &x12_amount(total), "", "", &place, "Y", assignment, "Y", "Y"]);
    if let Some(episode) = &claim.episode {
        if let Some(date) = episode.injury_date {
            w.segment("DTP", &["439", "D8", &date.compact()]);
        }
        if let Some(authorization) = &episode.authorization {
            let number = w.clean(&authorization.number);
            w.segment("REF", &["G1", &number]);
        }
        if let Some(number) = &episode.injury_claim_number {
            let number = w.clean(number);
            w.segment("REF", &["Y4", &number]);
        }
    }
    let diagnoses: Vec<String> = claim
        .diagnoses
        .iter()
        .enumerate()
        .map(|(i, dx)| w.composite(&[if i == 0 { "ABK" } else { "ABF" }, &dx.as_str().replace('.', "")]))
        .collect();
    if !diagnoses.is_empty() {
        let refs: Vec<&str> = diagnoses.iter().map(String::as_str).collect();
        w.segment("HI", &refs);
    }
    write_rendering(w, &claim.rendering_provider);
    for (index, line) in claim.lines.iter().enumerate() {
        w.segment("LX", &[&(index + 1).to_string()]);
        let mut parts = vec!["HC", line.procedure.as_str()];
        parts.extend(line.modifiers.iter().map(|m| m.as_str()));
        let service = w.composite(&parts);
        let pointers: Vec<String> = line.diagnosis_pointers.iter().map(ToString::to_string).collect();
        let pointers = w.composite(&pointers.iter().map(String::as_str).collect::<Vec<_>>());
        let place = line.place_of_service.as_deref().unwrap_or("");
        w.segment("SV1", &[&service, &x12_amount(line.charge), "UN", &line.units.to_string(), place, "", &pointers]);
        w.segment("DTP", &["472", "D8", &line.date_of_service.compact()]);
        if let Some(note) = format_line_time(line.minutes, &line.time_blocks) {
            w.segment("NTE", &["ADD", &note]);
        }
        // Loop 2420A: the line's own clinician.
        if let Some(rendering) = &line.rendering_provider {
            write_rendering(w, rendering);
        }
    }
}

/// A rendering provider's NM1*82 and PRV (2310B for the claim, 2420A for a line).
fn write_rendering(w: &mut Writer<'_>, rendering: &payrules_model::RenderingProvider) {
    let name = w.clean(rendering.name.as_deref().unwrap_or(""));
    w.segment("NM1", &["82", "1", &name, "", "", "", "", "XX", &rendering.npi]);
    let taxonomy = match rendering.role {
        ClinicianRole::Therapist => "225100000X",
        ClinicianRole::Assistant => "225200000X",
    };
    w.segment("PRV", &["PE", "PXC", taxonomy]);
}
