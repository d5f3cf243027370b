//! The 837P loops of one transaction set, mapped onto the billing model.
//!
//! Each 2300 claim is the unit of checking. It inherits its billing provider
//! (2000A/2010AA), subscriber and payer (2000B/2010BA/2010BB) and patient
//! (2000C/2010CA) from the HL loops above it. Every problem in a claim is
//! collected, so one reading shows all that needs fixing; a problem in a claim
//! never stops the other claims from being read.

use payrules_model::{
    Authorization, Claim, ClaimError, ClinicianRole, Date, Diagnosis, Episode, Money, Participation, Patient, Payer,
    PayerKind, Provider, RenderingProvider, ServiceLine,
};

use crate::X12Error;
use crate::claims::ClaimRead;
use crate::elements::{Service, date_d8, money, payer_kind, person_name, read_service, service_date};
use crate::minutes::{LineTime, parse_line_time};
use crate::segment::{Delimiters, Segment};

/// Taxonomy codes of therapy assistants (NUCC): physical therapist assistant
/// and the occupational therapy assistant group. A rendering provider with one
/// of these is an assistant; anyone else is a therapist.
const ASSISTANT_TAXONOMY_PREFIXES: [&str; 2] = ["2252", "224Z"];

/// Which entity the latest NM1 named, so DMG and PRV land on the right one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entity {
    Subscriber,
    Patient,
    Rendering,
    Other,
}

#[derive(Default)]
struct BillingLoop {
    hl: usize,
    provider: Option<(Provider, usize)>,
}

#[derive(Default)]
struct SubscriberLoop {
    hl: usize,
    kind: Option<PayerKind>,
    member_id: Option<String>,
    birth_date: Option<Date>,
    payer: Option<(String, String, usize)>,
    problems: Vec<X12Error>,
}

#[derive(Default)]
struct PatientLoop {
    hl: usize,
    birth_date: Option<Date>,
    problems: Vec<X12Error>,
}

/// A rendering provider as read from NM1*82 and its PRV.
#[derive(Clone, Debug)]
struct RenderingRead {
    npi: String,
    name: Option<String>,
    role: ClinicianRole,
    position: usize,
}

struct LineLoop {
    lx: usize,
    number: u32,
    service: Option<Service>,
    /// Whether an SV1 was seen, even one that could not be read.
    has_service: bool,
    date: Option<Date>,
    time: LineTime,
    note: Option<usize>,
    rendering: Option<RenderingRead>,
}

struct ClaimLoop {
    start: usize,
    clm: usize,
    id: String,
    total: Option<Money>,
    place_of_service: String,
    diagnoses: Vec<Diagnosis>,
    rendering: Option<RenderingRead>,
    medical_record: Option<String>,
    /// CLM07: `C` is a provider that does not accept assignment.
    accepts_assignment: bool,
    episode: Episode,
    other_subscriber: Option<(usize, bool)>,
    lines: Vec<LineLoop>,
    problems: Vec<X12Error>,
}

pub(crate) struct Walk<'w> {
    delimiters: &'w Delimiters,
    billing: Option<BillingLoop>,
    subscriber: Option<SubscriberLoop>,
    patient: Option<PatientLoop>,
    claim: Option<ClaimLoop>,
    entity: Entity,
    pub(crate) reads: Vec<ClaimRead>,
}
impl<'w> Walk<'w> {
    pub(crate) fn new(delimiters: &'w Delimiters) -> Walk<'w> {
        Walk {
            delimiters,
            billing: None,
            subscriber: None,
            patient: None,
            claim: None,
            entity: Entity::Other,
            reads: Vec::new(),
        }
    }

    pub(crate) fn segment(&mut self, index: usize, segment: &Segment<'_>) {
        match segment.id {
            "HL" => {
                self.finish_claim(index);
                self.hierarchy(segment);
            }
            "CLM" => {
                self.finish_claim(index);
                self.start_claim(index, segment);
            }
            _ if self.claim.is_some() => self.claim_segment(segment),
            "NM1" => self.header_entity(segment),
            "SBR" => {
                if let Some(subscriber) = &mut self.subscriber {
                    subscriber.kind = payer_kind(segment.element(9));
                    if subscriber.kind.is_none() {
                        subscriber.problems.push(X12Error::at(
                            segment,
                            Some(9),
                            "the claim filing indicator (SBR09) is missing; it says which kind of payer this is",
                        ));
                    }
                }
            }
            "DMG" => {
                let birth = date_d8(segment, 2);
                match (self.entity, &mut self.subscriber, &mut self.patient) {
                    (Entity::Patient, _, Some(patient)) => match birth {
                        Ok(date) => patient.birth_date = Some(date),
                        Err(error) => patient.problems.push(error),
                    },
                    (Entity::Subscriber, Some(subscriber), _) => match birth {
                        Ok(date) => subscriber.birth_date = Some(date),
                        Err(error) => subscriber.problems.push(error),
                    },
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn hierarchy(&mut self, segment: &Segment<'_>) {
        self.entity = Entity::Other;
        match segment.element(3) {
            "20" => {
                self.billing = Some(BillingLoop { hl: segment.position, provider: None });
                self.subscriber = None;
                self.patient = None;
            }
            "22" => {
                let mut subscriber = SubscriberLoop { hl: segment.position, ..SubscriberLoop::default() };
                if self.billing.is_none() {
                    subscriber.problems.push(X12Error::at(
                        segment,
                        Some(2),
                        "a subscriber loop (HL03 22) must sit under a billing provider loop (HL03 20)",
                    ));
                }
                self.subscriber = Some(subscriber);
                self.patient = None;
            }
            "23" => {
                let mut patient = PatientLoop { hl: segment.position, ..PatientLoop::default() };
                if self.subscriber.is_none() {
                    patient.problems.push(X12Error::at(
                        segment,
                        Some(2),
                        "a patient loop (HL03 23) must sit under a subscriber loop (HL03 22)",
                    ));
                }
                self.patient = Some(patient);
            }
            other => {
                let problem = X12Error::at(
                    segment,
                    Some(3),
                    format!("`{other}` is not an 837P hierarchy level; expected 20, 22 or 23"),
                );
                // Claims under an unknown level cannot say whose they are.
                self.patient = Some(PatientLoop { hl: segment.position, birth_date: None, problems: vec![problem] });
            }
        }
    }

    fn header_entity(&mut self, segment: &Segment<'_>) {
        self.entity = match segment.element(1) {
            "85" => {
                if let Some(billing) = &mut self.billing {
                    let provider = Provider { npi: segment.element(9).to_owned(), name: person_name(segment) };
                    billing.provider = Some((provider, segment.position));
                }
                Entity::Other
            }
            "IL" => {
                if let Some(subscriber) = &mut self.subscriber {
                    subscriber.member_id = Some(segment.element(9).to_owned());
                }
                Entity::Subscriber
            }
            "PR" => {
                if let Some(subscriber) = &mut self.subscriber {
                    subscriber.payer =
                        Some((segment.element(9).to_owned(), segment.element(3).to_owned(), segment.position));
                }
                Entity::Other
            }
            "QC" => Entity::Patient,
            _ => Entity::Other,
        };
    }

    fn start_claim(&mut self, index: usize, segment: &Segment<'_>) {
        self.entity = Entity::Other;
        let mut problems = Vec::new();
        let id = segment.element(1).to_owned();
        if id.is_empty() {
            problems.push(X12Error::at(segment, Some(1), "the patient control number (CLM01) is missing"));
        }
        let total = match money(segment, 2) {
            Ok(total) => Some(total),
            Err(error) => {
                problems.push(error);
                None
            }
        };
        let place_of_service = segment.component(5, 1, self.delimiters).to_owned();
        if place_of_service.len() != 2 || !place_of_service.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(X12Error::at_component(
                segment,
                5,
                1,
                format!(
                    "`{place_of_service}` is not a two-digit place of service; CLM05 is a composite split on `{}`, the component separator ISA16 declares",
                    self.delimiters.component
                ),
            ));
        }
        self.claim = Some(ClaimLoop {
            start: index,
            clm: segment.position,
            id,
            total,
            place_of_service,
            diagnoses: Vec::new(),
            rendering: None,
            medical_record: None,
            accepts_assignment: segment.element(7) != "C",
            episode: Episode::default(),
            other_subscriber: None,
            lines: Vec::new(),
            problems,
        });
    }

    fn claim_segment(&mut self, segment: &Segment<'_>) {
        let delimiters = self.delimiters;
        let Some(claim) = &mut self.claim else { return };
        let in_line = !claim.lines.is_empty();
        match (segment.id, in_line) {
            ("HI", false) => read_diagnoses(segment, delimiters, claim),
            ("DTP", false) if segment.element(1) == "439" => match date_d8(segment, 3) {
                Ok(date) => claim.episode.injury_date = Some(date),
                Err(error) => claim.problems.push(error),
            },
            ("REF", false) if claim.other_subscriber.is_none() => {
                let value = segment.element(2).to_owned();
                match segment.element(1) {
                    "G1" => {
                        claim.episode.authorization =
                            Some(Authorization { number: value, visits: None, written: false })
                    }
                    "Y4" => claim.episode.injury_claim_number = Some(value),
                    "EA" => claim.medical_record = Some(value),
                    _ => {}
                }
            }
            ("SBR", false) => {
                close_other_subscriber(claim);
                claim.other_subscriber = Some((segment.position, false));
                self.entity = Entity::Other;
            }
            ("NM1", false) => {
                self.entity = Entity::Other;
                match (segment.element(1), &mut claim.other_subscriber) {
                    ("PR", Some((_, seen))) => *seen = true,
                    ("82", None) => {
                        claim.rendering = Some(rendering(segment));
                        self.entity = Entity::Rendering;
                    }
                    _ => {}
                }
            }
            ("PRV", false) if self.entity == Entity::Rendering => {
                if let Some(rendering) = &mut claim.rendering {
                    rendering.role = role(segment.element(3));
                }
            }
            ("LX", _) => {
                close_other_subscriber(claim);
                self.entity = Entity::Other;
                if claim.lines.len() == crate::MAX_SERVICE_LINES {
                    claim.problems.push(X12Error::at(
                        segment,
                        None,
                        format!(
                            "an 837P claim carries at most {} service lines (2400 loops)",
                            crate::MAX_SERVICE_LINES
                        ),
                    ));
                }
                let number = segment.element(1).trim().parse::<u32>().unwrap_or_else(|_| {
                    claim.problems.push(X12Error::at(
                        segment,
                        Some(1),
                        format!("`{}` is not a service line number", segment.element(1)),
                    ));
                    0
                });
                claim.lines.push(LineLoop {
                    lx: segment.position,
                    number,
                    service: None,
                    has_service: false,
                    date: None,
                    time: LineTime::default(),
                    note: None,
                    rendering: None,
                });
            }
            (id, true) => {
                let place_of_service = claim.place_of_service.clone();
                let Some(line) = claim.lines.last_mut() else { return };
                match id {
                    "SV1" => {
                        line.has_service = true;
                        match read_service(segment, delimiters, &place_of_service) {
                            Ok(service) => line.service = Some(service),
                            Err(mut problems) => claim.problems.append(&mut problems),
                        }
                    }
                    "DTP" if segment.element(1) == "472" => match service_date(segment) {
                        Ok(date) => line.date = Some(date),
                        Err(error) => claim.problems.push(error),
                    },
                    "NTE" => match parse_line_time(segment.element(2)) {
                        Ok(time) => {
                            line.time = time;
                            line.note = Some(segment.position);
                        }
                        Err(message) => claim.problems.push(X12Error::at(segment, Some(2), message)),
                    },
                    "NM1" => {
                        self.entity = Entity::Other;
                        if segment.element(1) == "82" {
                            line.rendering = Some(rendering(segment));
                            self.entity = Entity::Rendering;
                        }
                    }
                    "PRV" if self.entity == Entity::Rendering => {
                        if let Some(rendering) = &mut line.rendering {
                            rendering.role = role(segment.element(3));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Ends the open claim at `end` (exclusive) and records it.
    pub(crate) fn finish_claim(&mut self, end: usize) {
        let Some(mut claim) = self.claim.take() else { return };
        close_other_subscriber(&mut claim);
        let read = self.build(&mut claim);
        self.reads.push(ClaimRead {
            claim_id: (!claim.id.is_empty()).then(|| claim.id.clone()),
            segment: claim.clm,
            claim: read,
            span: claim.start..end,
        });
    }

    fn build(&self, claim: &mut ClaimLoop) -> Result<Claim, Vec<X12Error>> {
        let at_clm = |message: &str| X12Error::new(claim.clm, "CLM", message);
        let mut problems = std::mem::take(&mut claim.problems);
        let billing = match &self.billing {
            Some(BillingLoop { provider: Some(provider), .. }) => Some(provider.clone()),
            Some(billing) => {
                problems.push(X12Error::new(billing.hl, "HL", "the billing provider loop has no NM1*85 (2010AA)"));
                None
            }
            None => {
                problems.push(at_clm("the claim has no billing provider loop (HL03 20) above it"));
                None
            }
        };
        let mut subscriber_problems = self.subscriber.as_ref().map(|s| s.problems.clone()).unwrap_or_default();
        problems.append(&mut subscriber_problems);
        if let Some(patient) = &self.patient {
            problems.extend(patient.problems.iter().cloned());
        }
        let Some(subscriber) = &self.subscriber else {
            problems.push(at_clm("the claim has no subscriber loop (HL03 22) above it"));
            return Err(problems);
        };
        let hl_problem = |message: &str| X12Error::new(subscriber.hl, "HL", message);
        if subscriber.payer.is_none() {
            problems.push(hl_problem("the subscriber loop has no payer NM1*PR (2010BB), which routes the claim"));
        }
        let birth_date = match &self.patient {
            Some(patient) => patient.birth_date,
            None => subscriber.birth_date,
        };
        if birth_date.is_none() {
            let mut problem = hl_problem("the patient's date of birth (DMG02 of 2010BA or 2010CA) is missing");
            if let Some(patient) = &self.patient {
                problem.segment = patient.hl;
            }
            problems.push(problem);
        }
        let rendering = self.claim_rendering(claim, billing.as_ref());
        let mut lines = Vec::with_capacity(claim.lines.len());
        for line in &claim.lines {
            let lx = |message: &str| X12Error::new(line.lx, "LX", message);
            let Some((procedure, modifiers, charge, units, pointers, _, place_of_service)) = line.service.clone()
            else {
                if !line.has_service {
                    problems.push(lx("the service line has no SV1 segment"));
                }
                continue;
            };
            let Some(date_of_service) = line.date else {
                problems.push(lx("the service line has no date of service (DTP*472)"));
                continue;
            };
            lines.push(ServiceLine {
                number: line.number,
                date_of_service,
                procedure,
                modifiers,
                units,
                diagnosis_pointers: pointers,
                charge,
                minutes: line.time.minutes,
                time_blocks: line.time.time_blocks.clone(),
                // A 2420A names the line's own clinician only where it is not the claim's.
                rendering_provider: line
                    .rendering
                    .as_ref()
                    .filter(|r| rendering.as_ref().is_none_or(|c| c.npi != r.npi || c.role != r.role))
                    .map(|r| RenderingProvider { npi: r.npi.clone(), name: r.name.clone(), role: r.role }),
                place_of_service,
            });
        }
        if claim.lines.is_empty() {
            problems.push(at_clm("the claim has no service lines (2400 LX)"));
        }
        if let Some(total) = claim.total {
            let sum = lines.iter().try_fold(Money::ZERO, |sum, line| sum.checked_add(line.charge));
            if lines.len() == claim.lines.len() && sum != Some(total) {
                let sum = sum.map_or_else(|| "more than can be counted".to_owned(), |s| s.to_string());
                let message = format!("the claim total {total} is not the sum of the line charges (SV102), {sum}");
                problems.push(at_clm(&message).in_element(2));
            }
        }
        let (Some((billing, _)), Some((payer_id, payer_name, _)), Some(kind), Some(birth_date), Some(rendering)) =
            (billing, subscriber.payer.clone(), subscriber.kind, birth_date, rendering)
        else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let patient_id = claim.medical_record.clone().or_else(|| subscriber.member_id.clone()).unwrap_or_default();
        let episode = (claim.episode != Episode::default()).then(|| claim.episode.clone());
        let model = Claim {
            id: claim.id.clone(),
            payer: Payer { id: payer_id, name: payer_name, kind },
            patient: Patient { id: patient_id, birth_date },
            billing_provider: billing,
            rendering_provider: RenderingProvider { npi: rendering.npi, name: rendering.name, role: rendering.role },
            place_of_service: claim.place_of_service.clone(),
            diagnoses: claim.diagnoses.clone(),
            lines,
            episode,
            participation: Participation::Participating,
            accepts_assignment: claim.accepts_assignment,
        };
        match model.validate() {
            Ok(()) => Ok(model),
            Err(error) => Err(vec![self.locate(&error, claim)]),
        }
    }

    /// The claim's rendering clinician: 2310B; else the one clinician every
    /// line's 2420A names; else the billing provider. A line whose 2420A names
    /// someone else keeps its own (a PTA's lines beside the PT's, say).
    fn claim_rendering(&self, claim: &ClaimLoop, billing: Option<&(Provider, usize)>) -> Option<RenderingRead> {
        if let Some(rendering) = &claim.rendering {
            return Some(rendering.clone());
        }
        let line_level: Vec<&RenderingRead> = claim.lines.iter().filter_map(|l| l.rendering.as_ref()).collect();
        if let Some(first) = line_level.first()
            && line_level.len() == claim.lines.len()
            && line_level.iter().all(|r| r.npi == first.npi && r.role == first.role)
        {
            return Some((*first).clone());
        }
        billing.map(|(provider, position)| RenderingRead {
            npi: provider.npi.clone(),
            name: provider.name.clone(),
            role: ClinicianRole::Therapist,
            position: *position,
        })
    }

    /// The segment and element a model validation error points at.
    fn locate(&self, error: &ClaimError, claim: &ClaimLoop) -> X12Error {
        let make = |segment: usize, id: &str, element: Option<usize>, component: Option<usize>| X12Error {
            element,
            component,
            ..X12Error::new(segment, id, error.message.clone())
        };
        let clm_position = claim.clm;
        let field = error.field.as_str();
        if let Some(rest) = field.strip_prefix("lines[") {
            let (index, sub) = rest.split_once("].").unwrap_or((rest, ""));
            let line = index.parse::<usize>().ok().and_then(|i| claim.lines.get(i));
            if let Some(line) = line {
                let sv1 = line.service.as_ref().map_or(line.lx, |s| s.5);
                return match sub {
                    "number" => make(line.lx, "LX", Some(1), None),
                    "place_of_service" => make(sv1, "SV1", Some(5), None),
                    "rendering_provider.npi" => match &line.rendering {
                        Some(rendering) => make(rendering.position, "NM1", Some(9), None),
                        None => make(sv1, "SV1", None, None),
                    },
                    "modifiers" => make(sv1, "SV1", Some(1), None),
                    "diagnosis_pointers" => make(sv1, "SV1", Some(7), None),
                    "charge" => make(sv1, "SV1", Some(2), None),
                    _ => make(line.note.unwrap_or(sv1), if line.note.is_some() { "NTE" } else { "SV1" }, Some(2), None),
                };
            }
        }
        match field {
            "billing_provider.npi" => match &self.billing {
                Some(BillingLoop { provider: Some((_, position)), .. }) => make(*position, "NM1", Some(9), None),
                _ => make(clm_position, "CLM", None, None),
            },
            "rendering_provider.npi" => match &claim.rendering {
                Some(rendering) => make(rendering.position, "NM1", Some(9), None),
                None => match &self.billing {
                    Some(BillingLoop { provider: Some((_, position)), .. }) => make(*position, "NM1", Some(9), None),
                    _ => make(clm_position, "CLM", None, None),
                },
            },
            "payer.id" => match self.subscriber.as_ref().and_then(|s| s.payer.as_ref()) {
                Some((_, _, position)) => make(*position, "NM1", Some(9), None),
                None => make(clm_position, "CLM", None, None),
            },
            "place_of_service" => make(clm_position, "CLM", Some(5), Some(1)),
            "id" => make(clm_position, "CLM", Some(1), None),
            _ => make(clm_position, "CLM", None, None),
        }
    }
}

fn rendering(segment: &Segment<'_>) -> RenderingRead {
    RenderingRead {
        npi: segment.element(9).to_owned(),
        name: person_name(segment),
        role: ClinicianRole::Therapist,
        position: segment.position,
    }
}

fn role(taxonomy: &str) -> ClinicianRole {
    if ASSISTANT_TAXONOMY_PREFIXES.iter().any(|p| taxonomy.starts_with(p)) {
        ClinicianRole::Assistant
    } else {
        ClinicianRole::Therapist
    }
}

/// A 2320 other-subscriber loop must name the other payer (2330B).
fn close_other_subscriber(claim: &mut ClaimLoop) {
    if let Some((position, false)) = claim.other_subscriber.take() {
        claim.problems.push(X12Error::new(
            position,
            "SBR",
            "the other subscriber loop (2320) has no other payer name NM1*PR (2330B), which the TR3 requires",
        ));
    }
}

fn read_diagnoses(segment: &Segment<'_>, delimiters: &Delimiters, claim: &mut ClaimLoop) {
    for element in 1..=segment.elements().count() {
        let qualifier = segment.component(element, 1, delimiters);
        let code = segment.component(element, 2, delimiters);
        match qualifier {
            "ABK" | "ABF" => match Diagnosis::parse(code) {
                Ok(diagnosis) => claim.diagnoses.push(diagnosis),
                Err(error) => claim.problems.push(X12Error::at_component(segment, element, 2, error.to_string())),
            },
            "BK" | "BF" => claim.problems.push(X12Error::at_component(
                segment,
                element,
                1,
                format!(
                    "`{qualifier}` marks an ICD-9-CM diagnosis (`{code}`); claims since 2015-10-01 carry ICD-10-CM, qualified ABK (principal) or ABF (other)"
                ),
            )),
            // Other HI qualifiers (condition codes, anesthesia, and so on) are not diagnoses.
            _ => {}
        }
    }
}
