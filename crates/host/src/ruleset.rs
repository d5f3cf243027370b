//! The rule set file: which plugin and configuration serve which payer, when.

use std::path::{Path, PathBuf};

use payrules_model::Date;
use serde::Deserialize;

use crate::error::LoadError;
use crate::sandbox::SandboxLimits;

/// A rule set as written in TOML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSetFile {
    /// Rule set name, e.g. `default`.
    pub name: String,
    /// Rule set version, recorded in every receipt.
    pub version: String,
    /// What the rule set is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Sandbox settings for every plugin of the rule set.
    #[serde(default)]
    pub sandbox: SandboxFile,
    /// Folders outside the rule set's own from which it may load plugins,
    /// relative to the rule set. A plugin anywhere else is refused, so a
    /// rule set cannot be made to run code from wherever it happens to point.
    #[serde(default)]
    pub plugin_dirs: Vec<PathBuf>,
    /// Reference tables, loaded once and shared by the payers granted them.
    #[serde(default)]
    pub data: DataFile,
    /// Size limits on the files it names and the claims checked under it.
    #[serde(default)]
    pub limits: LimitsFile,
    /// One entry per payer policy and date range.
    #[serde(default, rename = "payer")]
    pub payers: Vec<PayerEntryFile>,
}

/// The rule set's reference data files, relative to the rule set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    /// NCCI practitioner PTP files in CMS's text layout; rows carry their own dates.
    #[serde(default)]
    pub ncci_ptp: Vec<PathBuf>,
    /// MUE practitioner files in CMS's CSV layout, each with the dates it covers.
    #[serde(default)]
    pub mue: Vec<DatedFile>,
    /// PPRRVU files in CMS's CSV layout, each with the dates it covers.
    #[serde(default)]
    pub rvu: Vec<DatedFile>,
    /// GPCI files in CMS's CSV layout, each with the dates it covers.
    #[serde(default)]
    pub gpci: Vec<DatedFile>,
}

impl DataFile {
    /// Whether the table named `name` has files.
    fn configured(&self, name: &str) -> Option<bool> {
        match name {
            "ncci-ptp" => Some(!self.ncci_ptp.is_empty()),
            "mue" => Some(!self.mue.is_empty()),
            "rvu" => Some(!self.rvu.is_empty()),
            "gpci" => Some(!self.gpci.is_empty()),
            _ => None,
        }
    }
}

/// Size limits as written in the rule set, in MiB; omitted keys keep the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// The largest claims file read whole (JSON, TOML, 837P).
    pub claims_file_mib: Option<u64>,
    /// The largest plugin component.
    pub plugin_mib: Option<u64>,
    /// The largest reference data file.
    pub data_file_mib: Option<u64>,
}

impl LimitsFile {
    /// The limits with defaults filled in, or which one is out of range.
    pub fn resolve(&self) -> Result<crate::files::FileLimits, String> {
        let defaults = crate::files::FileLimits::default();
        let bytes = |name: &str, value: Option<u64>, default: u64| match value {
            None => Ok(default),
            Some(mib) if (1..=crate::files::MAX_RAISED_MIB).contains(&mib) => Ok(mib << 20),
            Some(mib) => {
                Err(format!("`limits.{name}` is {mib}; it must be from 1 to {}", crate::files::MAX_RAISED_MIB))
            }
        };
        Ok(crate::files::FileLimits {
            claims_bytes: bytes("claims_file_mib", self.claims_file_mib, defaults.claims_bytes)?,
            plugin_bytes: bytes("plugin_mib", self.plugin_mib, defaults.plugin_bytes)?,
            data_bytes: bytes("data_file_mib", self.data_file_mib, defaults.data_bytes)?,
        })
    }
}

/// One data file that carries no dates of its own, and the dates of service it covers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedFile {
    /// The file.
    pub file: PathBuf,
    /// First date of service covered.
    pub effective_from: Date,
    /// Last date of service covered, inclusive; open-ended when omitted.
    #[serde(default)]
    pub effective_to: Option<Date>,
}

/// Names of the tables a payer entry can be granted.
pub const TABLE_NAMES: &[&str] = &["ncci-ptp", "mue", "rvu", "gpci"];

/// Sandbox settings as written in the rule set; omitted keys take the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxFile {
    /// Fuel (roughly, WebAssembly instructions) one claim may use.
    pub fuel: Option<u64>,
    /// Wall-clock milliseconds one claim may take.
    pub deadline_ms: Option<u64>,
    /// Linear memory one plugin instance may grow to, in MiB.
    pub memory_mib: Option<u64>,
    /// Keep a plugin instance warm between claims (faster), or start a fresh one per claim.
    pub reuse_instances: Option<bool>,
}

/// The largest fuel budget a rule set may give one claim: at about a
/// billion instructions a second, days of work.
pub const MAX_FUEL: u64 = 1_000_000_000_000_000;
/// The longest deadline a rule set may give one claim: ten minutes.
pub const MAX_DEADLINE_MS: u64 = 600_000;
/// The most memory a rule set may give one plugin instance: all a 32-bit
/// WebAssembly memory can address.
pub const MAX_MEMORY_MIB: u64 = 4_096;

impl SandboxFile {
    /// The limits with defaults filled in, or which setting is out of range.
    pub fn resolve(&self) -> Result<SandboxLimits, String> {
        let defaults = SandboxLimits::default();
        let within = |name: &str, value: Option<u64>, max: u64| match value {
            Some(value) if value == 0 || value > max => {
                Err(format!("`sandbox.{name}` is {value}; it must be from 1 to {max}"))
            }
            other => Ok(other),
        };
        Ok(SandboxLimits {
            fuel: within("fuel", self.fuel, MAX_FUEL)?.unwrap_or(defaults.fuel),
            deadline_ms: within("deadline_ms", self.deadline_ms, MAX_DEADLINE_MS)?.unwrap_or(defaults.deadline_ms),
            memory_bytes: within("memory_mib", self.memory_mib, MAX_MEMORY_MIB)?
                .map_or(defaults.memory_bytes, |mib| mib << 20),
            reuse_instances: self.reuse_instances.unwrap_or(defaults.reuse_instances),
        })
    }
}

/// One payer policy entry as written in the rule set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerEntryFile {
    /// Entry name, unique in the rule set, e.g. `medicare`.
    pub name: String,
    /// Payer ids the entry serves (2010BB NM109 on an 837P).
    pub payer_ids: Vec<String>,
    /// The plugin component, relative to the rule set file.
    pub plugin: PathBuf,
    /// Hex sha256 the plugin file must have.
    pub sha256: String,
    /// First date of service the entry covers.
    pub effective_from: Date,
    /// Last date of service the entry covers, inclusive; open-ended when omitted.
    #[serde(default)]
    pub effective_to: Option<Date>,
    /// Reference tables the plugin may consult: `ncci-ptp`, `mue`.
    #[serde(default)]
    pub data: Vec<String>,
    /// A test kit folder, relative to the rule set, whose cases must all pass
    /// under this rule set before it is used.
    #[serde(default)]
    pub kit: Option<PathBuf>,
    /// The payer never allows more than a line's charge (the lesser of the
    /// charge and its rate); a plugin outcome that does is refused.
    #[serde(default)]
    pub never_above_charge: bool,
    /// The payer configuration handed to the plugin.
    #[serde(default)]
    pub config: toml::Table,
}

/// The bytes of the rule set file at `path`, read once so that what is
/// checked against a signature is what is loaded.
pub fn read_rule_set_bytes(path: &Path) -> Result<Vec<u8>, LoadError> {
    crate::files::read_regular(path, crate::files::MAX_RULE_SET_BYTES)
        .map_err(|cause| LoadError::ReadRuleSet { path: path.to_path_buf(), cause })
}

/// Parses and checks the rule set file read from `path`: its shape, its dates, that no two
/// entries serve one payer id on one date, and that one payer id's entries
/// leave no gap between them.
pub fn parse_rule_set(path: &Path, bytes: &[u8]) -> Result<RuleSetFile, LoadError> {
    let read_error = |cause| LoadError::ReadRuleSet { path: path.to_path_buf(), cause };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())))?;
    let invalid = |message: String| LoadError::InvalidRuleSet { path: path.to_path_buf(), message };
    let file: RuleSetFile = toml::from_str(text).map_err(|e| invalid(describe_toml_error(text, &e)))?;
    if file.payers.is_empty() {
        return Err(invalid("it has no `[[payer]]` entries".to_owned()));
    }
    file.sandbox.resolve().map_err(&invalid)?;
    file.limits.resolve().map_err(&invalid)?;
    for (what, periods) in [("MUE", &file.data.mue), ("RVU", &file.data.rvu), ("GPCI", &file.data.gpci)] {
        for (index, period) in periods.iter().enumerate() {
            let range = (period.effective_from, period.effective_to);
            if let Some(to) = period.effective_to
                && to < period.effective_from
            {
                return Err(invalid(format!(
                    "{what} file `{}`: `effective_to` {to} is before `effective_from` {}",
                    period.file.display(),
                    period.effective_from
                )));
            }
            if let Some(earlier) = periods
                .iter()
                .take(index)
                .find(|earlier| dates_overlap((earlier.effective_from, earlier.effective_to), range))
            {
                return Err(invalid(format!(
                    "{what} file `{}` covers dates {what} file `{}` covers; each date needs one file",
                    period.file.display(),
                    earlier.file.display()
                )));
            }
        }
    }
    for (index, entry) in file.payers.iter().enumerate() {
        let at = |message: String| invalid(format!("payer `{}`: {message}", entry.name));
        if file.payers.iter().take(index).any(|e| e.name == entry.name) {
            return Err(at("two entries have this name".to_owned()));
        }
        if entry.payer_ids.is_empty() {
            return Err(at("`payer_ids` is empty".to_owned()));
        }
        if entry.sha256.len() != 64 || !entry.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(at(format!("`sha256` must be 64 hex digits, found `{}`", entry.sha256)));
        }
        if let Some(to) = entry.effective_to
            && to < entry.effective_from
        {
            return Err(at(format!("`effective_to` {to} is before `effective_from` {}", entry.effective_from)));
        }
        for table in &entry.data {
            let Some(configured) = file.data.configured(table) else {
                return Err(at(format!("`data` names `{table}`; the tables are {}", TABLE_NAMES.join(", "))));
            };
            if !configured {
                return Err(at(format!("`data` grants `{table}`, but the rule set's `[data]` loads no such files")));
            }
        }
        for earlier in file.payers.iter().take(index) {
            let shared = entry.payer_ids.iter().find(|id| earlier.payer_ids.contains(id));
            if let Some(id) = shared
                && ranges_overlap(earlier, entry)
            {
                return Err(at(format!(
                    "its dates overlap those of `{}` for payer id `{id}`; each payer id needs one entry per date",
                    earlier.name
                )));
            }
        }
    }
    check_adjoining(&file.payers).map_err(invalid)?;
    Ok(file)
}

/// A payer id's entries must adjoin: each range starts the day after the one
/// before it ends, so no date of service between them falls to no policy.
fn check_adjoining(payers: &[PayerEntryFile]) -> Result<(), String> {
    let mut ids: Vec<&String> = payers.iter().flat_map(|p| &p.payer_ids).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let mut entries: Vec<&PayerEntryFile> = payers.iter().filter(|p| p.payer_ids.contains(id)).collect();
        entries.sort_by_key(|p| p.effective_from);
        for pair in entries.windows(2) {
            let (Some(earlier), Some(later)) = (pair.first(), pair.get(1)) else { continue };
            if let Some(to) = earlier.effective_to
                && later.effective_from.days_since(to) > 1
            {
                return Err(format!(
                    "payer id `{id}` has no policy between `{}` (to {to}) and `{}` (from {}); each entry must start the day after the one before it ends",
                    earlier.name, later.name, later.effective_from
                ));
            }
        }
    }
    Ok(())
}

fn ranges_overlap(a: &PayerEntryFile, b: &PayerEntryFile) -> bool {
    dates_overlap((a.effective_from, a.effective_to), (b.effective_from, b.effective_to))
}

/// Whether two inclusive date ranges, open-ended without an end, share a day.
fn dates_overlap(a: (Date, Option<Date>), b: (Date, Option<Date>)) -> bool {
    let a_before_b = a.1.is_some_and(|to| to < b.0);
    let b_before_a = b.1.is_some_and(|to| to < a.0);
    !(a_before_b || b_before_a)
}

/// A TOML error as `line N: message`, on one line.
pub fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().replace('\n', " ");
    match error.span() {
        Some(span) => {
            let line = crate::locate::line_of_offset(text, span.start);
            format!("line {line}: {message}")
        }
        None => message,
    }
}

/// The payer configuration as JSON, the form plugins read. TOML dates become
/// `YYYY-MM-DD` strings.
pub fn config_json(config: &toml::Table) -> String {
    fn convert(value: &toml::Value) -> serde_json::Value {
        match value {
            toml::Value::String(s) => serde_json::Value::String(s.clone()),
            toml::Value::Integer(i) => serde_json::Value::from(*i),
            // Floats pass through as JSON numbers; plugins that take money refuse them.
            toml::Value::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
            toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
            toml::Value::Array(items) => serde_json::Value::Array(items.iter().map(convert).collect()),
            toml::Value::Table(table) => {
                serde_json::Value::Object(table.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
            }
        }
    }
    serde_json::Value::Object(config.iter().map(|(k, v)| (k.clone(), convert(v))).collect()).to_string()
}
