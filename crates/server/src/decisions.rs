//! The decision log: one JSON line per evaluated claim, appended and flushed
//! once per request, so an audit can say what was decided, when, and under
//! which rule set and plugin. Patient identifiers are replaced by a keyed
//! hash and birth dates are dropped; with `--decision-log-claims` the masked
//! claim is kept too, so `payrules replay` can evaluate it again.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use payrules_host::{CacheKey, ClaimReport, Verdict};
use payrules_intake::Checked;
use payrules_model::{Claim, Date};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Why the decision log could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DecisionLogError {
    /// The log file could not be opened or written.
    #[error("decision log {path}: {cause}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// Why.
        #[source]
        cause: std::io::Error,
    },
    /// The masking key could not be read or created.
    #[error("decision log key: {0}")]
    Key(#[from] payrules_host::CacheError),
}

/// Ages at or above this are logged as this, as HIPAA's Safe Harbor method
/// asks (45 CFR 164.514(b)(2)(i)(C)): a very old age identifies.
pub const AGE_CAP: u16 = 90;

/// One logged decision, as a line of the log.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Decision {
    /// When it was decided (RFC 3339).
    pub time: String,
    /// The request it was part of.
    pub request_id: String,
    /// The claim id (CLM01).
    pub claim_id: String,
    /// The payer id it was evaluated as.
    pub payer_id: String,
    /// `evaluated`, `not-routed` or `failed`.
    pub status: String,
    /// The rule set, `name@version`.
    pub rule_set: String,
    /// Hex sha256 of the rule set file.
    pub rule_set_sha256: String,
    /// The rule set file, to evaluate the claim again under it.
    pub rule_set_path: PathBuf,
    /// The payer entry and plugin, `name@version`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub plugin: String,
    /// Hex sha256 of the plugin.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub plugin_sha256: String,
    /// Fuel used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// The rule ids that fired, in finding order.
    pub rules: Vec<String>,
    /// The failure kind, for a failed evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Billed, expected allowed and expected payment, for an evaluated claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<Value>,
    /// Hex sha256 of the outcome as JSON: two decisions with the same digest
    /// said exactly the same thing about every line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_sha256: Option<String>,
    /// The masked claim, when the log keeps claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Value>,
}

impl Decision {
    /// The decision `report` records.
    pub fn of(report: &ClaimReport, context: &DecisionContext<'_>) -> Decision {
        let (status, receipt, rules, failure, totals, outcome_sha256) = match &report.verdict {
            Verdict::Evaluated { outcome, totals, receipt } => (
                "evaluated",
                Some(receipt),
                outcome.findings.iter().map(|f| f.rule_id.clone()).collect(),
                None,
                serde_json::to_value(totals).ok(),
                serde_json::to_vec(outcome).ok().map(|bytes| payrules_host::sha256_hex(&bytes)),
            ),
            Verdict::NotRouted { finding } => ("not-routed", None, vec![finding.rule_id.clone()], None, None, None),
            Verdict::Failed { failure, receipt } => {
                ("failed", Some(receipt), Vec::new(), Some(failure.kind.as_str().to_owned()), None, None)
            }
        };
        Decision {
            time: context.time.to_owned(),
            request_id: context.request_id.to_owned(),
            claim_id: report.claim_id.clone(),
            payer_id: report.payer_id.clone(),
            status: status.to_owned(),
            rule_set: context.rule_set.to_owned(),
            rule_set_sha256: context.rule_set_sha256.to_owned(),
            rule_set_path: context.rule_set_path.to_path_buf(),
            plugin: receipt.map(|r| r.plugin.clone()).unwrap_or_default(),
            plugin_sha256: receipt.map(|r| r.plugin_sha256.clone()).unwrap_or_default(),
            fuel: receipt.and_then(|r| r.fuel_used),
            rules,
            failure,
            totals,
            outcome_sha256,
            claim: None,
        }
    }
}

/// What every decision of one request shares.
pub struct DecisionContext<'a> {
    /// When the request was answered.
    pub time: &'a str,
    /// The request id.
    pub request_id: &'a str,
    /// `name@version` of the rule set.
    pub rule_set: &'a str,
    /// Its file's sha256.
    pub rule_set_sha256: &'a str,
    /// Its file.
    pub rule_set_path: &'a Path,
}

/// The decision log file.
pub struct DecisionLog {
    path: PathBuf,
    file: Mutex<std::fs::File>,
    key: CacheKey,
    keep_claims: bool,
}

impl DecisionLog {
    /// Opens (or creates, readable by its owner only) the log at `path`;
    /// patient ids are hashed with the key at `key_path`.
    pub fn open(path: &Path, key_path: &Path, keep_claims: bool) -> Result<DecisionLog, DecisionLogError> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(|cause| DecisionLogError::Io { path: path.to_path_buf(), cause })?;
        let key = CacheKey::load_or_create(key_path)?;
        Ok(DecisionLog { path: path.to_path_buf(), file: Mutex::new(file), key, keep_claims })
    }

    /// The lines one checked claim adds: one per evaluation (one per payer compared).
    pub fn lines(&self, checked: &Checked, claim: Option<&Claim>, context: &DecisionContext<'_>, out: &mut Vec<u8>) {
        let masked = if self.keep_claims { claim.map(|claim| mask(claim, &self.key)) } else { None };
        for report in checked.reports() {
            let mut decision = Decision::of(report, context);
            decision.claim.clone_from(&masked);
            if let Checked::Comparison { .. } = checked
                && let Some(Value::Object(claim)) = &mut decision.claim
                && let Some(Value::Object(payer)) = claim.get_mut("payer")
            {
                // Replayed as the payer it was compared as.
                payer.insert("id".to_owned(), json!(report.payer_id));
            }
            if serde_json::to_writer(&mut *out, &decision).is_ok() {
                out.push(b'\n');
            }
        }
    }

    /// Appends `bytes` (whole lines) and flushes them to the file.
    pub fn append(&self, bytes: &[u8]) -> Result<(), DecisionLogError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let io = |cause| DecisionLogError::Io { path: self.path.clone(), cause };
        let mut file = match self.file.lock() {
            Ok(file) => file,
            Err(poisoned) => poisoned.into_inner(),
        };
        // One write of whole lines: a reader never sees half a decision.
        file.write_all(bytes).map_err(io)?;
        file.flush().map_err(io)
    }
}

/// `claim` as JSON with the patient id replaced by its keyed hash and the
/// birth date replaced by the age in whole years on the first date of
/// service (capped at [`AGE_CAP`]), which is all a policy may ask of it.
pub fn mask(claim: &Claim, key: &CacheKey) -> Value {
    let mut value = serde_json::to_value(claim).unwrap_or(Value::Null);
    let age = claim.first_date_of_service().map(|on| age_on(claim.patient.birth_date, on).min(AGE_CAP));
    let hashed =
        key.keyed_hash(claim.patient.id.as_bytes()).map(|hash| format!("hash:{}", hash.get(..32).unwrap_or(&hash)));
    if let Some(Value::Object(patient)) = value.get_mut("patient") {
        patient.remove("birth_date");
        patient.insert("id".to_owned(), json!(hashed));
        patient.insert("age".to_owned(), json!(age));
    }
    value
}

/// Whole years from `birth` to `on`.
pub fn age_on(birth: Date, on: Date) -> u16 {
    let before_birthday = (on.month(), on.day()) < (birth.month(), birth.day());
    on.year().saturating_sub(birth.year()).saturating_sub(u16::from(before_birthday))
}

/// A masked claim made whole again for evaluation: the birth date becomes
/// the first date of service `age` years earlier, so the patient has the
/// logged age on that date (a claim whose dates span a birthday may be a
/// year off on its later dates).
pub fn unmask(mut value: Value) -> Result<Claim, String> {
    let age = value.pointer("/patient/age").and_then(Value::as_u64).ok_or("the masked claim has no patient age")?;
    let first = value
        .get("lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|line| line.get("date_of_service").and_then(Value::as_str).and_then(|d| d.parse::<Date>().ok()))
        .min()
        .ok_or("the masked claim has no date of service")?;
    let age = u16::try_from(age).map_err(|_| "the masked age is out of range")?;
    let year = first.year().checked_sub(age).ok_or("the masked age is before year 0")?;
    // February 29 of a year that has none becomes February 28.
    let birth = Date::new(year, first.month(), first.day())
        .or_else(|_| Date::new(year, first.month(), first.day().saturating_sub(1)))
        .map_err(|error| format!("cannot place the birth date: {error}"))?;
    if let Some(Value::Object(patient)) = value.get_mut("patient") {
        patient.remove("age");
        patient.insert("birth_date".to_owned(), json!(birth.to_string()));
    }
    serde_json::from_value(value).map_err(|error| format!("the masked claim is not a claim: {error}"))
}
