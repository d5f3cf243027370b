//! The claim as an EHR or clearinghouse hands it to payrules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::{Diagnosis, Discipline, Modifier, ProcedureCode};
use crate::date::Date;
use crate::money::Money;

/// A professional claim for outpatient therapy services.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The submitter's claim identifier (CLM01 on an 837P).
    pub id: String,
    /// Who the claim is sent to.
    pub payer: Payer,
    /// Who was treated.
    pub patient: Patient,
    /// The practice that bills.
    pub billing_provider: Provider,
    /// The clinician who furnished the services.
    pub rendering_provider: RenderingProvider,
    /// Two-digit CMS place-of-service code; `11` (office) when omitted.
    #[serde(default = "office")]
    pub place_of_service: String,
    /// ICD-10-CM codes in claim order; lines point into this list from 1.
    #[serde(default)]
    pub diagnoses: Vec<Diagnosis>,
    /// The service lines.
    pub lines: Vec<ServiceLine>,
    /// What the claim alone cannot say about the episode of care.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode: Option<Episode>,
    /// Whether the billing provider participates with the payer; a claim
    /// that does not say is from a participating provider.
    #[serde(default, skip_serializing_if = "Participation::is_participating")]
    pub participation: Participation,
    /// Whether the provider accepts assignment (CLM07 `A` on an 837P); a
    /// claim that does not say accepts it.
    #[serde(default = "accepts", skip_serializing_if = "is_true")]
    pub accepts_assignment: bool,
}

fn office() -> String {
    "11".to_owned()
}

fn accepts() -> bool {
    true
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_true(value: &bool) -> bool {
    *value
}

/// Whether a provider has signed the payer's participation agreement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Participation {
    /// Participating: paid the full fee schedule amount.
    #[default]
    Participating,
    /// Not participating: Medicare pays 95% of the fee schedule amount, and
    /// an unassigned claim may not charge more than the limiting charge.
    NonParticipating,
}

impl Participation {
    /// Whether this is the default, a participating provider.
    pub fn is_participating(&self) -> bool {
        *self == Participation::Participating
    }
}

/// The kind of payer, which decides the family of rules that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayerKind {
    /// Original Medicare Part B.
    Medicare,
    /// A commercial insurer.
    Commercial,
    /// A state Medicaid program.
    Medicaid,
    /// Workers' compensation.
    WorkersComp,
    /// The patient pays cash.
    SelfPay,
}

/// The payer a claim is sent to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payer {
    /// The payer id that routes the claim (2010BB NM109 on an 837P).
    pub id: String,
    /// The payer's name.
    pub name: String,
    /// The kind of payer.
    pub kind: PayerKind,
}

/// The patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    /// The practice's patient identifier.
    pub id: String,
    /// Date of birth.
    pub birth_date: Date,
}

/// A provider identified by its National Provider Identifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Ten-digit NPI.
    pub npi: String,
    /// Name, for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Whether a clinician is a licensed therapist or an assistant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClinicianRole {
    /// A physical or occupational therapist, or a speech-language pathologist.
    Therapist,
    /// A physical or occupational therapist assistant (PTA/OTA).
    Assistant,
}

/// The clinician who furnished the services.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderingProvider {
    /// Ten-digit NPI.
    pub npi: String,
    /// Name, for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Therapist or assistant.
    pub role: ClinicianRole,
}

/// Direct treatment minutes of one service line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatmentMinutes {
    /// All direct one-on-one minutes of the service.
    pub total: u32,
    /// How many of `total` an assistant furnished without the therapist.
    #[serde(default)]
    pub assistant: u32,
}

/// A clock time within the day, in minutes after midnight; written `HH:MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

impl ClockTime {
    /// A time from minutes after midnight; `1440` stands for the end of the day.
    pub fn from_minutes(minutes: u16) -> Option<ClockTime> {
        (minutes <= 1440).then_some(ClockTime(minutes))
    }

    /// Minutes after midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl FromStr for ClockTime {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a time like `09:15`");
        let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
        if hours.len() != 2 || minutes.len() != 2 {
            return Err(bad());
        }
        let hours: u16 = hours.parse().map_err(|_| bad())?;
        let minutes: u16 = minutes.parse().map_err(|_| bad())?;
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes > 0) {
            return Err(bad());
        }
        Ok(ClockTime(hours * 60 + minutes))
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A span of the visit during which a service was furnished, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeBlock {
    /// When the block began.
    pub start: ClockTime,
    /// When it ended.
    pub end: ClockTime,
}

/// One service line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLine {
    /// Line number (LX01 on an 837P), unique within the claim.
    pub number: u32,
    /// Date the service was furnished.
    pub date_of_service: Date,
    /// CPT or HCPCS code.
    pub procedure: ProcedureCode,
    /// Up to four modifiers, in billing order.
    #[serde(default)]
    pub modifiers: Vec<Modifier>,
    /// Units billed; zero records a service done but not billed, whose minutes still count.
    pub units: u32,
    /// 1-based pointers into the claim's diagnoses.
    #[serde(default)]
    pub diagnosis_pointers: Vec<u8>,
    /// The line charge.
    #[serde(default)]
    pub charge: Money,
    /// Direct treatment minutes, when the record has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<TreatmentMinutes>,
    /// When during the visit the service was furnished, when the record has it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_blocks: Vec<TimeBlock>,
    /// The clinician who furnished this line (loop 2420A on an 837P), when
    /// not the claim's rendering provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendering_provider: Option<RenderingProvider>,
    /// This line's place of service (SV105 on an 837P), when not the claim's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_of_service: Option<String>,
}

impl ServiceLine {
    /// Whether the line carries `modifier`.
    pub fn has_modifier(&self, modifier: &str) -> bool {
        self.modifiers.iter().any(|m| m == modifier)
    }

    /// Whether this line's recorded time blocks overlap `other`'s; `None`
    /// when either has none, since nothing then shows when it was furnished.
    pub fn shares_time_with(&self, other: &ServiceLine) -> Option<bool> {
        if self.time_blocks.is_empty() || other.time_blocks.is_empty() {
            return None;
        }
        Some(self.time_blocks.iter().any(|x| other.time_blocks.iter().any(|y| x.start < y.end && y.start < x.end)))
    }
}

/// Minutes that one line's time blocks share with an earlier line's: the
/// same clock minutes billed under two services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedTime {
    /// The later line in claim order, whose minutes already counted elsewhere.
    pub line: u32,
    /// The earlier line whose blocks the minutes fall in.
    pub with: u32,
    /// How many minutes the two share.
    pub minutes: u32,
    /// The first shared minute.
    pub from: ClockTime,
    /// The end of the last shared minute.
    pub to: ClockTime,
}

/// The minutes each of `lines` shares with the lines before it in the
/// slice, as their time blocks record them. Each clock minute belongs to the
/// first line whose block holds it; a later line's minute there is shared.
/// Lines without time blocks share nothing, since nothing shows when they were.
pub fn shared_time(lines: &[&ServiceLine]) -> Vec<SharedTime> {
    // Most claims record no time blocks: nothing to walk minute by minute.
    if lines.iter().filter(|l| !l.time_blocks.is_empty()).nth(1).is_none() {
        return Vec::new();
    }
    // Who holds each minute of the day; 0 for no one (line numbers start at 1).
    let mut owner = [0u32; 1440];
    let mut shared: Vec<SharedTime> = Vec::new();
    for line in lines {
        for block in &line.time_blocks {
            for minute in block.start.minutes()..block.end.minutes().min(1440) {
                let Some(slot) = owner.get_mut(usize::from(minute)) else { continue };
                if *slot == 0 {
                    *slot = line.number;
                    continue;
                }
                if *slot == line.number {
                    continue;
                }
                let (from, to) = (ClockTime(minute), ClockTime(minute + 1));
                match shared.iter_mut().find(|s| s.line == line.number && s.with == *slot) {
                    Some(pair) => {
                        pair.minutes += 1;
                        pair.from = pair.from.min(from);
                        pair.to = pair.to.max(to);
                    }
                    None => shared.push(SharedTime { line: line.number, with: *slot, minutes: 1, from, to }),
                }
            }
        }
    }
    shared
}

/// Allowed amounts accrued this calendar year before the claim.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearToDate {
    /// Physical therapy and speech-language pathology, combined.
    #[serde(default)]
    pub pt_slp: Money,
    /// Occupational therapy.
    #[serde(default)]
    pub ot: Money,
}

/// A payer's authorisation for the episode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// The authorisation number.
    pub number: String,
    /// Visits authorised, when the authorisation counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visits: Option<u32>,
    /// Whether it was given in writing.
    #[serde(default)]
    pub written: bool,
}

/// One discipline's plan of care: a patient can be under a PT and an OT
/// plan at once, each certified and reported on its own schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanOfCare {
    /// The discipline whose services the plan covers (the GP/GO/GN of its lines).
    pub discipline: Discipline,
    /// First treatment day of the plan; the evaluation counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Date>,
    /// Date the plan was certified (signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified: Option<Date>,
    /// Date of the plan's latest recertification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recertified: Option<Date>,
    /// Treatment days under this plan since its last progress report, counting this visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment_days_since_progress_report: Option<u32>,
    /// Whether the plan documents functional goals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functional_goals_documented: Option<bool>,
}

/// Context about the episode of care that the claim itself does not carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Episode {
    /// First treatment day of the plan of care; the evaluation counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_of_care_start: Option<Date>,
    /// Date the plan of care was certified (signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_of_care_certified: Option<Date>,
    /// Date of the latest recertification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_of_care_recertified: Option<Date>,
    /// Treatment days since the last progress report, counting this visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment_days_since_progress_report: Option<u32>,
    /// Whether the plan of care documents functional goals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functional_goals_documented: Option<bool>,
    /// Allowed amounts accrued this year before this claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_to_date_allowed: Option<YearToDate>,
    /// This visit's number in the benefit year, or per injury for workers' comp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit_number: Option<u32>,
    /// Date of the industrial injury.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injury_date: Option<Date>,
    /// The workers' compensation claim number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injury_claim_number: Option<String>,
    /// The payer's authorisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Whether the visits fall under a post-surgical treatment schedule.
    #[serde(default)]
    pub post_surgical: bool,
    /// How much of the benefit year's deductible the patient had met before
    /// this claim; unknown when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deductible_met: Option<Money>,
    /// Plans of care by discipline. A discipline listed here uses its own
    /// plan's facts; one not listed uses the episode-wide plan-of-care fields above.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans_of_care: Vec<PlanOfCare>,
}

impl Episode {
    /// The plan of care of `discipline`, as its own entry or, when it has
    /// none, from the episode-wide fields.
    pub fn plan_of_care(&self, discipline: Option<Discipline>) -> PlanOfCare {
        if let Some(plan) = discipline.and_then(|d| self.plans_of_care.iter().find(|p| p.discipline == d)) {
            return plan.clone();
        }
        PlanOfCare {
            discipline: discipline.unwrap_or(Discipline::Physical),
            start: self.plan_of_care_start,
            certified: self.plan_of_care_certified,
            recertified: self.plan_of_care_recertified,
            treatment_days_since_progress_report: self.treatment_days_since_progress_report,
            functional_goals_documented: self.functional_goals_documented,
        }
    }
}

/// A claim that breaks a rule of the claim format itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct ClaimError {
    /// Path of the offending field, e.g. `lines[1].modifiers`.
    pub field: String,
    /// What was expected.
    pub message: String,
}

/// The most units one service line may carry. No therapy code comes near
/// it (the largest therapy MUE is a few dozen units); a larger number is a
/// keying error, not a claim.
pub const MAX_LINE_UNITS: u32 = 9_999;

/// The largest charge one service line may carry: $9,999,999.99, the most
/// an 837P amount field written with two decimals holds in ten characters.
pub const MAX_LINE_CHARGE: Money = Money::from_cents(999_999_999);

fn claim_error(field: impl Into<String>, message: impl Into<String>) -> ClaimError {
    ClaimError { field: field.into(), message: message.into() }
}

fn check_place_of_service(field: &str, pos: &str) -> Result<(), ClaimError> {
    if pos.len() != 2 || !pos.bytes().all(|b| b.is_ascii_digit()) {
        return Err(claim_error(field, format!("`{pos}` is not a two-digit place-of-service code")));
    }
    Ok(())
}

/// Whether `npi` is ten digits with a valid Luhn check digit (prefix 80840).
pub fn is_valid_npi(npi: &str) -> bool {
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // The NPI check digit is the Luhn digit of "80840" followed by the first nine digits.
    let digits = "80840".bytes().chain(npi.bytes().take(9)).map(|b| u32::from(b - b'0'));
    let sum: u32 = digits
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    npi.bytes().last().map(|b| u32::from(b - b'0')) == Some(check)
}

impl Claim {
    /// Checks what serde cannot: counts, ranges, references between fields.
    pub fn validate(&self) -> Result<(), ClaimError> {
        if self.id.trim().is_empty() {
            return Err(claim_error("id", "must not be empty"));
        }
        if self.payer.id.trim().is_empty() {
            return Err(claim_error("payer.id", "must not be empty"));
        }
        if !is_valid_npi(&self.billing_provider.npi) {
            return Err(claim_error(
                "billing_provider.npi",
                format!("`{}` is not a valid ten-digit NPI", self.billing_provider.npi),
            ));
        }
        if !is_valid_npi(&self.rendering_provider.npi) {
            return Err(claim_error(
                "rendering_provider.npi",
                format!("`{}` is not a valid ten-digit NPI", self.rendering_provider.npi),
            ));
        }
        check_place_of_service("place_of_service", &self.place_of_service)?;
        if self.lines.is_empty() {
            return Err(claim_error("lines", "a claim needs at least one service line"));
        }
        let mut numbers = std::collections::BTreeSet::new();
        for (index, line) in self.lines.iter().enumerate() {
            let at = |field: &str| format!("lines[{index}].{field}");
            if line.number == 0 || !numbers.insert(line.number) {
                return Err(claim_error(
                    at("number"),
                    format!("line number {} must be positive and unique", line.number),
                ));
            }
            if line.modifiers.len() > 4 {
                return Err(claim_error(
                    at("modifiers"),
                    format!("at most four modifiers, found {}", line.modifiers.len()),
                ));
            }
            if line.diagnosis_pointers.len() > 4 {
                return Err(claim_error(at("diagnosis_pointers"), "at most four diagnosis pointers"));
            }
            for pointer in &line.diagnosis_pointers {
                if *pointer == 0 || usize::from(*pointer) > self.diagnoses.len() {
                    return Err(claim_error(
                        at("diagnosis_pointers"),
                        format!(
                            "pointer {pointer} does not name one of the claim's {} diagnoses",
                            self.diagnoses.len()
                        ),
                    ));
                }
            }
            if line.charge < Money::ZERO {
                return Err(claim_error(at("charge"), "must not be negative"));
            }
            if line.charge > MAX_LINE_CHARGE {
                return Err(claim_error(
                    at("charge"),
                    format!("{} is over the largest line charge, {MAX_LINE_CHARGE}", line.charge),
                ));
            }
            if line.units > MAX_LINE_UNITS {
                return Err(claim_error(
                    at("units"),
                    format!("{} units is over the most one line may carry, {MAX_LINE_UNITS}", line.units),
                ));
            }
            if let Some(minutes) = line.minutes {
                if minutes.assistant > minutes.total {
                    return Err(claim_error(at("minutes.assistant"), "assistant minutes cannot exceed the total"));
                }
                if minutes.total > 24 * 60 {
                    return Err(claim_error(at("minutes.total"), "more minutes than a day holds"));
                }
            }
            if let Some(rendering) = &line.rendering_provider
                && !is_valid_npi(&rendering.npi)
            {
                return Err(claim_error(
                    at("rendering_provider.npi"),
                    format!("`{}` is not a valid ten-digit NPI", rendering.npi),
                ));
            }
            if let Some(pos) = &line.place_of_service {
                check_place_of_service(&at("place_of_service"), pos)?;
            }
            for (block_index, block) in line.time_blocks.iter().enumerate() {
                if block.start >= block.end {
                    return Err(claim_error(
                        at(&format!("time_blocks[{block_index}]")),
                        "a block must end after it starts",
                    ));
                }
            }
        }
        if self.total_charge().is_none() {
            return Err(claim_error("lines", "the line charges add up to more than an amount can hold"));
        }
        if let Some(episode) = &self.episode {
            if episode.deductible_met.is_some_and(|met| met < Money::ZERO) {
                return Err(claim_error("episode.deductible_met", "must not be negative"));
            }
            let mut seen = std::collections::BTreeSet::new();
            for (index, plan) in episode.plans_of_care.iter().enumerate() {
                if !seen.insert(plan.discipline.modifier()) {
                    return Err(claim_error(
                        format!("episode.plans_of_care[{index}].discipline"),
                        "each discipline has at most one plan of care",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The clinician who furnished `line`: its own, else the claim's.
    pub fn rendering_for<'a>(&'a self, line: &'a ServiceLine) -> &'a RenderingProvider {
        line.rendering_provider.as_ref().unwrap_or(&self.rendering_provider)
    }

    /// The sum of the line charges, or `None` if it overflows.
    pub fn total_charge(&self) -> Option<Money> {
        self.lines.iter().try_fold(Money::ZERO, |sum, l| sum.checked_add(l.charge))
    }

    /// The earliest date of service on the claim.
    pub fn first_date_of_service(&self) -> Option<Date> {
        self.lines.iter().map(|line| line.date_of_service).min()
    }

    /// The line with `number`.
    pub fn line(&self, number: u32) -> Option<&ServiceLine> {
        self.lines.iter().find(|line| line.number == number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_check_digit() {
        assert!(is_valid_npi("1234567893"));
        assert!(!is_valid_npi("1234567890"));
        assert!(!is_valid_npi("123456789"));
    }

    const CLAIM: &str = r#"{
        "id": "C1",
        "payer": { "id": "MEDICARE", "name": "Medicare", "kind": "medicare" },
        "patient": { "id": "P1", "birth_date": "1950-01-01" },
        "billing_provider": { "npi": "1234567893" },
        "rendering_provider": { "npi": "1987654328", "role": "assistant" },
        "diagnoses": ["M62.81"],
        "lines": [{ "number": 1, "date_of_service": "2025-03-10", "procedure": "97110", "modifiers": ["GP", "CQ"],
                    "units": 2, "diagnosis_pointers": [1], "charge": "90.00", "minutes": { "total": 30, "assistant": 30 },
                    "time_blocks": [{ "start": "09:00", "end": "09:30" }] }],
        "episode": { "plan_of_care_start": "2025-02-01", "year_to_date_allowed": { "pt_slp": "2390.00" },
                     "authorization": { "number": "A-1", "visits": 12 } }
    }"#;

    #[test]
    fn claims_round_trip_through_json_and_toml() {
        let claim: Claim = serde_json::from_str(CLAIM).unwrap();
        claim.validate().unwrap();
        let json = serde_json::to_string(&claim).unwrap();
        assert_eq!(serde_json::from_str::<Claim>(&json).unwrap(), claim);
        let toml_text = toml::to_string(&claim).unwrap();
        assert_eq!(toml::from_str::<Claim>(&toml_text).unwrap(), claim);
    }

    #[test]
    fn validation_names_the_field() {
        let mut claim: Claim = serde_json::from_str(CLAIM).unwrap();
        claim.lines[0].diagnosis_pointers = vec![2];
        let error = claim.validate().unwrap_err();
        assert_eq!(error.field, "lines[0].diagnosis_pointers");
        claim.lines[0].diagnosis_pointers = vec![1];
        claim.lines[0].minutes = Some(TreatmentMinutes { total: 10, assistant: 11 });
        assert_eq!(claim.validate().unwrap_err().field, "lines[0].minutes.assistant");
        claim.billing_provider.npi = "1234567890".to_owned();
        assert_eq!(claim.validate().unwrap_err().field, "billing_provider.npi");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = CLAIM.replace("\"place_of_service\"", "\"pos\"").replace("\"diagnoses\"", "\"diagnosis\"");
        let error = serde_json::from_str::<Claim>(&text).unwrap_err().to_string();
        assert!(error.contains("unknown field `diagnosis`"), "{error}");
    }

    #[test]
    fn shared_minutes_count_once_and_name_both_lines() {
        let block = |start: &str, end: &str| TimeBlock { start: start.parse().unwrap(), end: end.parse().unwrap() };
        let claim: Claim = serde_json::from_str(CLAIM).unwrap();
        let mut first = claim.lines[0].clone();
        first.time_blocks = vec![block("09:00", "09:30")];
        let mut second = first.clone();
        second.number = 2;
        second.time_blocks = vec![block("09:20", "09:40"), block("10:00", "10:05")];
        let mut apart = first.clone();
        apart.number = 3;
        apart.time_blocks = vec![block("11:00", "11:15")];
        let shared = shared_time(&[&first, &second, &apart]);
        assert_eq!(
            shared,
            vec![SharedTime {
                line: 2,
                with: 1,
                minutes: 10,
                from: "09:20".parse().unwrap(),
                to: "09:30".parse().unwrap()
            }]
        );
        assert_eq!(second.shares_time_with(&first), Some(true));
        assert_eq!(apart.shares_time_with(&first), Some(false));
        second.time_blocks.clear();
        assert!(shared_time(&[&first, &second]).is_empty(), "a line without blocks shows no overlap");
        assert_eq!(second.shares_time_with(&first), None);
    }

    #[test]
    fn line_level_clinicians_places_and_plans_of_care() {
        let mut claim: Claim = serde_json::from_str(CLAIM).unwrap();
        let line = claim.lines[0].clone();
        assert_eq!(claim.rendering_for(&line).role, ClinicianRole::Assistant);
        let mut by_therapist = line.clone();
        by_therapist.rendering_provider =
            Some(RenderingProvider { npi: "1234567893".to_owned(), name: None, role: ClinicianRole::Therapist });
        by_therapist.place_of_service = Some("22".to_owned());
        assert_eq!(claim.rendering_for(&by_therapist).role, ClinicianRole::Therapist);
        claim.lines[0].place_of_service = Some("2".to_owned());
        assert_eq!(claim.validate().unwrap_err().field, "lines[0].place_of_service");
        claim.lines[0].place_of_service = None;
        claim.lines[0].rendering_provider =
            Some(RenderingProvider { npi: "1234567890".to_owned(), name: None, role: ClinicianRole::Therapist });
        assert_eq!(claim.validate().unwrap_err().field, "lines[0].rendering_provider.npi");
        claim.lines[0].rendering_provider = None;
        let episode = claim.episode.as_mut().unwrap();
        let plan = PlanOfCare {
            discipline: Discipline::Occupational,
            start: Some("2025-03-01".parse().unwrap()),
            certified: None,
            recertified: None,
            treatment_days_since_progress_report: Some(4),
            functional_goals_documented: None,
        };
        episode.plans_of_care = vec![plan.clone()];
        assert_eq!(episode.plan_of_care(Some(Discipline::Occupational)), plan);
        let physical = episode.plan_of_care(Some(Discipline::Physical));
        assert_eq!(
            physical.start,
            Some("2025-02-01".parse().unwrap()),
            "a discipline without its own plan uses the episode's"
        );
        episode.plans_of_care.push(plan);
        assert_eq!(claim.validate().unwrap_err().field, "episode.plans_of_care[1].discipline");
        let json = serde_json::to_string(&claim).unwrap();
        assert_eq!(serde_json::from_str::<Claim>(&json).unwrap(), claim);
        assert!(!json.contains("accepts_assignment") && !json.contains("participation"), "defaults are not written");
    }

    #[test]
    fn clock_times() {
        assert_eq!("09:15".parse::<ClockTime>().unwrap().minutes(), 555);
        assert!("9:15".parse::<ClockTime>().is_err());
        assert!("09:60".parse::<ClockTime>().is_err());
        assert_eq!(ClockTime::from_minutes(555).unwrap().to_string(), "09:15");
    }
}
