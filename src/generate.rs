//! `payrules gen`: realistic synthetic therapy claims across the payers of a
//! rule set, for impact diffs and benchmarks. The same seed always gives the
//! same claims: the generator is a seeded SplitMix64 and reads no clock.
//!
//! The distributions, per claim (one visit, one date of service):
//!
//! | what | distribution |
//! |---|---|
//! | date of service | uniform over the days of 2025 |
//! | payer | uniform over the payer ids whose policy is in force on that date |
//! | discipline | PT (GP) 75%, OT (GO) 25% |
//! | visit | initial evaluation 10% (97161-97163 PT, 97165-97167 OT, one unit, plus one timed code 50% of the time); treatment 90% |
//! | timed codes a treatment visit | 1 to 4, uniform, without repeats; 97110 35%, 97140 20%, 97530 20%, 97112 15%, 97116 5%, 97535 5% |
//! | minutes a timed code | 8 to 38, uniform |
//! | units billed | the 8-minute rule over the visit's timed minutes, allocated by minutes; a code that earns no unit stays with zero units and its minutes |
//! | untimed or supervised extras | 15% of visits add 97010 or G0283 (one unit each, equally likely) |
//! | assistant | 20% of treatment visits: a PTA/OTA furnished all minutes of one line, billed with CQ/CO |
//! | diagnoses | one or two of eight common therapy ICD-10-CM codes |
//! | charges | the practice's list price per unit (e.g. 97110 $45.00) |
//! | workers' comp and commercial context | injury date 30-120 days back and a claim number; visit number 1-30 |
//!
//! Billing errors, each injected independently at its rate:
//!
//! | error | rate |
//! |---|---|
//! | one timed line billed a unit more than its minutes support | 8% |
//! | the GP/GO modifier left off a line | 5% |
//! | 97140 billed beside 97530 without 59 or X{EPSU} | 4% of visits that have both, which a fifth of visits do |
//! | the assistant's line billed without CQ/CO | 3% |
//! | a timed line's minutes not recorded | 3% |

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use payrules_host::RuleSet;
use payrules_model::{
    Authorization, Claim, ClinicianRole, Date, Diagnosis, Episode, Modifier, Money, Patient, Payer, PayerKind,
    ProcedureCode, Provider, RenderingProvider, ServiceLine, TreatmentMinutes, units,
};
use payrules_x12::{ComposeOptions, compose_837p};

use crate::RuleSetArgs;

/// Arguments of `payrules gen`.
#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// How many claims to write.
    #[arg(long)]
    count: u64,

    /// The seed; the same seed gives the same claims.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Output format: JSON Lines, or one X12 837P interchange.
    #[arg(long, value_enum, default_value_t = GenFormat::Jsonl)]
    format: GenFormat,

    /// Where to write; standard output when omitted.
    #[arg(short, long)]
    output: Option<PathBuf>,

    #[command(flatten)]
    rule_set: RuleSetArgs,
}

/// What `payrules gen` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GenFormat {
    /// One claim per line.
    Jsonl,
    /// One 837P interchange (the claims' minutes in line notes).
    X12,
}

/// SplitMix64: small, fast, and the same sequence on every platform.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u32, high: u32) -> u32 {
        low + u32::try_from(self.below(u64::from(high - low) + 1)).unwrap_or(0)
    }

    /// True with `percent` in 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` by weight.
    fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> Option<&'a T> {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut pick = self.below(total);
        for (item, weight) in items {
            if pick < *weight {
                return Some(item);
            }
            pick -= weight;
        }
        None
    }
}

const TIMED: [(&str, u64); 6] =
    [("97110", 35), ("97140", 20), ("97530", 20), ("97112", 15), ("97116", 5), ("97535", 5)];
const DIAGNOSES: [&str; 8] = ["M54.50", "M25.561", "M62.81", "S83.511A", "M17.11", "M75.101", "R26.2", "G81.91"];
const PT_EVALUATIONS: [&str; 3] = ["97161", "97162", "97163"];
const OT_EVALUATIONS: [&str; 3] = ["97165", "97166", "97167"];
const BILLING_NPI: &str = "1234567893";
const THERAPIST_NPI: &str = "1245319599";

/// The practice's list price per unit, in cents.
fn list_price(code: &str) -> i64 {
    match code {
        "97110" | "97535" => 4_500,
        "97112" => 4_800,
        "97116" => 4_200,
        "97140" => 4_400,
        "97530" => 5_000,
        "97010" => 1_500,
        "G0283" => 2_000,
        _ => 13_500, // evaluations
    }
}

/// The kind of payer a policy plugin serves, by the plugin's name.
fn kind_of(plugin: &str) -> PayerKind {
    match plugin {
        "medicare" => PayerKind::Medicare,
        "medicaid" => PayerKind::Medicaid,
        "workers-comp" => PayerKind::WorkersComp,
        "self-pay" => PayerKind::SelfPay,
        _ => PayerKind::Commercial,
    }
}

fn code(text: &str) -> Option<ProcedureCode> {
    ProcedureCode::parse(text).ok()
}

/// Writes `count` claims.
pub fn generate(args: &GenArgs) -> Result<u8> {
    let (_host, rule_set, _) = args.rule_set.load()?;
    let mut random = Random(args.seed);
    let mut sink: Box<dyn std::io::Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut batch = Vec::new();
    let progress = crate::progress::Progress::known(args.count, "written");
    for index in 0..args.count {
        let Some(claim) = synthetic_claim(&rule_set, &mut random, index) else {
            anyhow::bail!(
                "the rule set has no payer policy in force in 2025, so there is no payer to write claims for"
            );
        };
        match args.format {
            GenFormat::Jsonl => writeln!(sink, "{}", serde_json::to_string(&claim)?)?,
            GenFormat::X12 => batch.push(claim),
        }
        progress.advance(String::new);
    }
    progress.finish();
    if args.format == GenFormat::X12 {
        let date = Date::new(2026, 1, 2).map_err(|e| anyhow::anyhow!("{e}"))?;
        sink.write_all(compose_837p(&batch, &ComposeOptions::new(date)).as_bytes())?;
    }
    sink.flush()?;
    Ok(crate::EXIT_CLEAN)
}

/// One visit's claim, or `None` when no payer is in force on any day of 2025.
fn synthetic_claim(rule_set: &RuleSet, random: &mut Random, index: u64) -> Option<Claim> {
    let (date, payer_id, kind) = (0..365).find_map(|_| {
        let date = Date::new(2025, 1, 1).ok()?.add_days(i64::try_from(random.below(365)).ok()?)?;
        let serving: Vec<(&str, &str)> = rule_set
            .entries
            .iter()
            .filter(|e| e.covers(date))
            .filter_map(|e| Some((e, e.plugin()?.info.name.as_str())))
            .flat_map(|(e, plugin)| e.payer_ids.iter().map(move |id| (id.as_str(), plugin)))
            .collect();
        let (id, plugin) = serving.get(usize::try_from(random.below(serving.len() as u64)).ok()?)?;
        Some((date, (*id).to_owned(), kind_of(plugin)))
    })?;
    let occupational = random.chance(25);
    let discipline = Modifier::parse(if occupational { "GO" } else { "GP" }).ok()?;
    let assistant = Modifier::parse(if occupational { "CO" } else { "CQ" }).ok()?;

    let mut lines: Vec<ServiceLine> = Vec::new();
    let mut add = |procedure: ProcedureCode, units: u32, minutes: Option<u32>| {
        lines.push(ServiceLine {
            number: u32::try_from(lines.len()).unwrap_or(0) + 1,
            date_of_service: date,
            charge: Money::from_cents(list_price(procedure.as_str()) * i64::from(units)),
            procedure,
            modifiers: vec![discipline.clone()],
            units,
            diagnosis_pointers: vec![1],
            minutes: minutes.map(|total| TreatmentMinutes { total, assistant: 0 }),
            time_blocks: Vec::new(),
            rendering_provider: None,
            place_of_service: None,
        });
    };
    let evaluation = random.chance(10);
    let timed_count = if evaluation { u32::from(random.chance(50)) } else { random.between(1, 4) };
    if evaluation {
        let options = if occupational { OT_EVALUATIONS } else { PT_EVALUATIONS };
        let pick = options.get(usize::try_from(random.below(3)).unwrap_or(0)).copied().unwrap_or("97161");
        add(code(pick)?, 1, None);
    }
    let mut chosen: Vec<&str> = Vec::new();
    while chosen.len() < usize::try_from(timed_count).unwrap_or(0) {
        let pick = *random.weighted(&TIMED)?;
        if !chosen.contains(&pick) {
            chosen.push(pick);
        }
    }
    let minutes: Vec<u32> = chosen.iter().map(|_| random.between(8, 38)).collect();
    let services: Vec<units::TimedService> = minutes
        .iter()
        .enumerate()
        .map(|(i, m)| units::TimedService { key: u32::try_from(i).unwrap_or(0), minutes: *m, billed: 0 })
        .collect();
    let allocation = units::allocate_total_time(&services);
    for (i, (name, total)) in chosen.iter().zip(&minutes).enumerate() {
        // A service that earns no unit stays on the claim with zero units:
        // its minutes still count toward the day's total (CMS example 4).
        let units = allocation.units_for(u32::try_from(i).unwrap_or(0)).unwrap_or(0);
        add(code(name)?, units, Some(*total));
    }
    if random.chance(15) {
        add(code(if random.chance(50) { "97010" } else { "G0283" })?, 1, None);
    }

    // The assistant furnished one timed line.
    let timed_lines: Vec<usize> =
        (0..lines.len()).filter(|i| lines.get(*i).is_some_and(|l| l.minutes.is_some())).collect();
    if !evaluation && random.chance(20) {
        let pick = timed_lines.get(usize::try_from(random.below(timed_lines.len() as u64)).unwrap_or(0));
        if let Some(line) = pick.and_then(|i| lines.get_mut(*i)) {
            if let Some(minutes) = &mut line.minutes {
                minutes.assistant = minutes.total;
            }
            if !random.chance(3) {
                line.modifiers.push(assistant.clone());
            }
        }
    }
    // Billing errors.
    if random.chance(8)
        && let Some(line) = timed_lines.first().and_then(|i| lines.get_mut(*i))
    {
        line.units += 1;
        line.charge = Money::from_cents(list_price(line.procedure.as_str()) * i64::from(line.units));
    }
    if random.chance(5)
        && let Some(line) = lines.last_mut()
    {
        line.modifiers.retain(|m| m != "GP" && m != "GO");
    }
    let has_pair = lines.iter().any(|l| l.procedure == "97140") && lines.iter().any(|l| l.procedure == "97530");
    if has_pair
        && !random.chance(4)
        && let Some(line) = lines.iter_mut().find(|l| l.procedure == "97140")
    {
        line.modifiers.push(Modifier::parse("59").ok()?);
    }
    if random.chance(3)
        && let Some(line) = timed_lines.last().and_then(|i| lines.get_mut(*i))
    {
        line.minutes = None;
    }

    let diagnoses: Vec<Diagnosis> = (0..random.between(1, 2))
        .filter_map(|_| Diagnosis::parse(DIAGNOSES.get(usize::try_from(random.below(8)).ok()?)?).ok())
        .collect();
    let episode = match kind {
        PayerKind::WorkersComp => Some(Episode {
            injury_date: date.add_days(-i64::from(random.between(30, 120))),
            injury_claim_number: Some(format!("WC{:07}", random.below(10_000_000))),
            visit_number: Some(random.between(1, 30)),
            ..Episode::default()
        }),
        PayerKind::Commercial | PayerKind::Medicaid => Some(Episode {
            visit_number: Some(random.between(1, 30)),
            authorization: random.chance(30).then(|| Authorization {
                number: format!("PA{:06}", random.below(1_000_000)),
                visits: None,
                written: true,
            }),
            ..Episode::default()
        }),
        PayerKind::Medicare | PayerKind::SelfPay => None,
    };
    Some(Claim {
        id: format!("GEN-{index:08}"),
        payer: Payer { id: payer_id.clone(), name: payer_id, kind },
        patient: Patient {
            id: format!("P{:06}", random.below(1_000_000)),
            birth_date: Date::new(u16::try_from(random.between(1940, 2000)).ok()?, 6, 15).ok()?,
        },
        billing_provider: Provider { npi: BILLING_NPI.to_owned(), name: Some("EXAMPLE PT CLINIC".to_owned()) },
        rendering_provider: RenderingProvider {
            npi: THERAPIST_NPI.to_owned(),
            name: Some("JOHN SMITH".to_owned()),
            role: ClinicianRole::Therapist,
        },
        place_of_service: "11".to_owned(),
        diagnoses,
        lines,
        episode,
        participation: payrules_model::Participation::Participating,
        accepts_assignment: true,
    })
}
