//! The host: one engine, one linker, loaded rule sets, and evaluators that
//! keep warm plugin instances.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use payrules_model::{Claim, Date};
use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use crate::contract::{latest, v0_2_0, v0_3_0, v0_4_0};
use crate::data::gpci::GpciTable;
use crate::data::mue::MueTable;
use crate::data::ptp::PtpTable;
use crate::data::rvu::RvuTable;
use crate::data::{GrantedData, Grants, Period, ReferenceTables};
use crate::kit::read_kit;

use crate::cache::CompileCache;
use crate::conformance::check_outcome;
use crate::error::{HostError, LoadError};
use crate::failure::EvaluationFailure;
use crate::plugin::{CompiledPlugins, Plugin, PluginInstance, PluginSource};
use crate::report::{ClaimReport, Receipt, Verdict};
use crate::routing::route;
use crate::ruleset::{config_json, parse_rule_set, read_rule_set_bytes};
use crate::sandbox::{self, EpochTicker, SandboxLimits, SandboxState};

/// How to build a [`Host`].
#[derive(Clone, Debug, Default)]
pub struct HostOptions {
    /// Where compiled plugins are cached; `None` compiles on every load.
    pub cache: Option<CompileCache>,
    /// Keys whose signature a rule set must carry to load; empty loads any
    /// rule set. Once one is given, an unsigned rule set is refused.
    pub trusted_keys: Vec<crate::signing::VerifyingKey>,
}

/// The payrules runtime. One per process: plugins share its engine and linker.
pub struct Host {
    engine: Engine,
    linker: Linker<SandboxState>,
    cache: Option<CompileCache>,
    trusted_keys: Vec<crate::signing::VerifyingKey>,
    compiled: CompiledPlugins,
    tables: SharedTables,
    _ticker: EpochTicker,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").field("cache", &self.cache).finish()
    }
}

/// One payer policy of a loaded rule set.
#[derive(Debug)]
pub struct PayerPolicyEntry {
    /// Entry name.
    pub name: String,
    /// Payer ids it serves.
    pub payer_ids: Vec<String>,
    /// First date of service covered.
    pub effective_from: Date,
    /// Last date of service covered, inclusive.
    pub effective_to: Option<Date>,
    /// The plugin file, as the rule set names it (resolved from its folder).
    pub plugin_path: PathBuf,
    /// The sha256 the rule set pins for the plugin file, in lowercase hex;
    /// the file must match it when the plugin is loaded.
    pub plugin_sha256: String,
    /// The plugin, once loaded: at the rule set's load, or on demand at the
    /// first claim routed here ([`Host::load_rule_set_on_demand`]). A load
    /// that failed keeps its message, so it is tried once.
    plugin: OnceLock<Result<Arc<Plugin>, String>>,
    /// The payer configuration, as the JSON the plugin reads.
    pub config_json: String,
    /// The reference tables the entry may consult.
    pub data: GrantedData,
    /// Whether an allowed amount above a line's charge is refused.
    pub never_above_charge: bool,
    /// The largest plugin file read when the plugin is loaded on demand.
    max_plugin_bytes: u64,
    /// The rule set file the entry is in, and its place among the
    /// `[[payer]]` entries: where a refused configuration key is reported.
    rule_set_path: Arc<Path>,
    index: usize,
}

/// When a rule set's plugins are compiled, instantiated and configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loading {
    /// All of them, at load: a service, a kit run or a diff needs every one.
    Eager,
    /// Each at the first claim routed to it.
    OnDemand,
}

impl PayerPolicyEntry {
    /// The entry's plugin if it has been loaded. Every entry of a rule set
    /// loaded with [`Host::load_rule_set`] has it.
    pub fn plugin(&self) -> Option<&Arc<Plugin>> {
        self.plugin.get().and_then(|loaded| loaded.as_ref().ok())
    }

    /// Where the entry's plugin is loaded from, and the pin it must match.
    fn plugin_source(&self) -> PluginSource<'_> {
        PluginSource {
            entry: &self.name,
            path: &self.plugin_path,
            expected_sha256: Some(&self.plugin_sha256),
            max_bytes: self.max_plugin_bytes,
        }
    }

    /// The line of the rule set where the configuration key `field` of this
    /// entry is written, read again from the file since it is only needed
    /// to report a refusal.
    fn config_line(&self, field: &str) -> Option<usize> {
        use crate::locate::{Step, steps, toml_line};
        let text = std::fs::read_to_string(&self.rule_set_path).ok()?;
        let mut path = vec![Step::Key("payer".to_owned()), Step::Index(self.index), Step::Key("config".to_owned())];
        path.extend(steps(field));
        toml_line(&text, &path)
    }

    /// Whether the entry covers `date`.
    pub fn covers(&self, date: Date) -> bool {
        date >= self.effective_from && self.effective_to.is_none_or(|to| date <= to)
    }
}

/// A rule set whose plugins are loaded and whose configurations were accepted.
#[derive(Debug)]
pub struct RuleSet {
    /// Rule set name.
    pub name: String,
    /// Rule set version.
    pub version: String,
    /// What the rule set is for.
    pub description: Option<String>,
    /// The file it came from.
    pub path: PathBuf,
    /// Hex sha256 of the rule set file's bytes, as they were loaded.
    pub sha256: String,
    /// Sandbox limits for its plugins.
    pub limits: SandboxLimits,
    /// Its payer policies.
    pub entries: Vec<PayerPolicyEntry>,
    /// Size limits on the claims checked under it.
    pub file_limits: crate::files::FileLimits,
}

impl Host {
    /// Starts the engine and its deadline clock.
    pub fn new(options: HostOptions) -> Result<Host, HostError> {
        let engine = sandbox::engine()?;
        let mut linker = Linker::new(&engine);
        // The contract's `types` interface is imported for its types alone;
        // defining it empty satisfies the import without granting anything.
        let engine_error = |e: wasmtime::Error| HostError::Engine(e.to_string());
        linker.instance("payrules:policy/types@0.1.0").map_err(engine_error)?;
        // 0.2.0 on also import the read-only reference data lookups, and 0.3.0 on diagnostics.
        v0_2_0::PayerPolicy::add_to_linker::<SandboxState, HasSelf<SandboxState>>(&mut linker, |state| state)
            .map_err(engine_error)?;
        v0_3_0::PayerPolicy::add_to_linker::<SandboxState, HasSelf<SandboxState>>(&mut linker, |state| state)
            .map_err(engine_error)?;
        v0_4_0::PayerPolicy::add_to_linker::<SandboxState, HasSelf<SandboxState>>(&mut linker, |state| state)
            .map_err(engine_error)?;
        latest::PayerPolicy::add_to_linker::<SandboxState, HasSelf<SandboxState>>(&mut linker, |state| state)
            .map_err(engine_error)?;
        let ticker = EpochTicker::start(&engine);
        Ok(Host {
            engine,
            linker,
            cache: options.cache,
            trusted_keys: options.trusted_keys,
            compiled: CompiledPlugins::default(),
            tables: SharedTables::default(),
            _ticker: ticker,
        })
    }

    /// Loads a rule set: reads each plugin, checks its pin and contract, and
    /// has it accept its payer configuration. Any refusal fails the whole load,
    /// naming the entry, the file and the reason.
    pub fn load_rule_set(&self, path: &Path) -> Result<Arc<RuleSet>, LoadError> {
        self.load(path, Loading::Eager)
    }

    /// Loads a rule set for checking claims as they come: the rule set file
    /// and its tables are read and checked now, but each entry's plugin is
    /// read, checked against its pin, compiled, instantiated and configured
    /// only when a claim is first routed to it, so checking one claim costs
    /// one plugin. A plugin that then fails to load (a wrong pin, a file
    /// that is not a plugin) or refuses its configuration fails the claims
    /// routed to it (each still gets its record, saying why), not the whole
    /// run. A rule set whose entries ask for their test kits is loaded
    /// whole, as [`Host::load_rule_set`] does, since the kits run at load.
    pub fn load_rule_set_on_demand(&self, path: &Path) -> Result<Arc<RuleSet>, LoadError> {
        self.load(path, Loading::OnDemand)
    }

    fn load(&self, path: &Path, loading: Loading) -> Result<Arc<RuleSet>, LoadError> {
        // Read once: the bytes a signature is checked against are the bytes loaded.
        let bytes = read_rule_set_bytes(path)?;
        let file = parse_rule_set(path, &bytes)?;
        crate::signing::verify(path, &bytes, &file, &self.trusted_keys)
            .map_err(|cause| LoadError::Signature { cause })?;
        let loading = if file.payers.iter().any(|entry| entry.kit.is_some()) { Loading::Eager } else { loading };
        // read_rule_set has refused limits out of range already.
        let limits = file
            .sandbox
            .resolve()
            .map_err(|message| LoadError::InvalidRuleSet { path: path.to_path_buf(), message })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let file_limits =
            file.limits.resolve().map_err(|message| LoadError::InvalidRuleSet { path: path.to_path_buf(), message })?;
        let tables = self.tables.load(path, base, &file.data, file_limits.data_bytes)?;
        let mut loaded: HashMap<(PathBuf, String), Arc<Plugin>> = HashMap::new();
        let mut entries = Vec::with_capacity(file.payers.len());
        let allowed = allowed_plugin_dirs(base, &file.plugin_dirs);
        let rule_set_path: Arc<Path> = Arc::from(path);
        for (index, entry) in file.payers.iter().enumerate() {
            let plugin_path = base.join(&entry.plugin);
            check_plugin_place(path, &entry.name, &plugin_path, &allowed)?;
            let grants = Grants {
                ncci_ptp: entry.data.iter().any(|t| t == "ncci-ptp"),
                mue: entry.data.iter().any(|t| t == "mue"),
                rvu: entry.data.iter().any(|t| t == "rvu"),
                gpci: entry.data.iter().any(|t| t == "gpci"),
            };
            let mut policy = PayerPolicyEntry {
                name: entry.name.clone(),
                payer_ids: entry.payer_ids.clone(),
                effective_from: entry.effective_from,
                effective_to: entry.effective_to,
                plugin_path: plugin_path.clone(),
                plugin_sha256: entry.sha256.to_ascii_lowercase(),
                plugin: OnceLock::new(),
                config_json: config_json(&entry.config),
                data: GrantedData::new(Arc::clone(&tables), grants),
                never_above_charge: entry.never_above_charge,
                max_plugin_bytes: file_limits.plugin_bytes,
                rule_set_path: Arc::clone(&rule_set_path),
                index,
            };
            match loading {
                Loading::Eager => {
                    let key = (plugin_path.clone(), policy.plugin_sha256.clone());
                    let plugin = match loaded.get(&key) {
                        Some(plugin) => Arc::clone(plugin),
                        None => {
                            let plugin = Arc::new(self.load_plugin(&limits, policy.plugin_source())?);
                            loaded.insert(key, Arc::clone(&plugin));
                            plugin
                        }
                    };
                    self.check_config(&policy, &plugin, &limits)?;
                    tracing::info!(entry = %entry.name, plugin = %plugin.info.name, version = %plugin.info.version, "payer policy loaded");
                    policy.plugin = OnceLock::from(Ok(plugin));
                }
                // The pin is checked when the plugin is loaded, at the first
                // claim routed here: hashing every plugin up front would
                // cost a one-claim check more than loading its own.
                Loading::OnDemand => {}
            }
            entries.push(policy);
        }
        let rule_set = Arc::new(RuleSet {
            name: file.name,
            version: file.version,
            description: file.description,
            path: path.to_path_buf(),
            sha256: crate::plugin::sha256_hex(&bytes),
            limits,
            entries,
            file_limits,
        });
        for entry in &file.payers {
            if let Some(kit) = &entry.kit {
                self.require_kit(&rule_set, &entry.name, &base.join(kit))?;
            }
        }
        Ok(rule_set)
    }

    fn load_plugin(&self, limits: &SandboxLimits, source: PluginSource<'_>) -> Result<Plugin, LoadError> {
        Plugin::load(&self.engine, &self.linker, self.cache.as_ref(), &self.compiled, limits, source)
    }

    /// Has the plugin accept `entry`'s configuration, returning the
    /// configured instance (which the first claim may use).
    fn check_config(
        &self,
        entry: &PayerPolicyEntry,
        plugin: &Plugin,
        limits: &SandboxLimits,
    ) -> Result<PluginInstance, LoadError> {
        self.configured_instance(plugin, limits, &entry.config_json, entry.data.clone()).map_err(
            |failure| match failure {
                Configure::Refused(refused) => LoadError::InvalidConfig(Box::new(crate::error::ConfigRefusal {
                    line: entry.config_line(&refused.field),
                    rule_set: entry.rule_set_path.to_path_buf(),
                    entry: entry.name.clone(),
                    plugin: plugin.info.name.clone(),
                    field: refused.field,
                    // The plugin read its configuration as JSON; a position
                    // in that JSON means nothing to the rule set's author.
                    message: crate::locate::without_json_position(&refused.message).to_owned(),
                })),
                Configure::Failed(failure) => LoadError::PluginFailed {
                    entry: entry.name.clone(),
                    path: entry.plugin_path.clone(),
                    message: failure.to_string(),
                },
            },
        )
    }

    /// `entry`'s plugin, loading it and checking its configuration on first
    /// use. The instance that checked the configuration is handed back when
    /// this call did the load, so the first claim does not make another.
    fn plugin_for(
        &self,
        entry: &PayerPolicyEntry,
        limits: &SandboxLimits,
    ) -> Result<(Arc<Plugin>, Option<PluginInstance>), String> {
        let mut first_instance = None;
        let loaded = entry.plugin.get_or_init(|| {
            let plugin = Arc::new(self.load_plugin(limits, entry.plugin_source()).map_err(|e| e.to_string())?);
            first_instance = Some(self.check_config(entry, &plugin, limits).map_err(|e| e.to_string())?);
            tracing::info!(entry = %entry.name, plugin = %plugin.info.name, version = %plugin.info.version, "payer policy loaded on first use");
            Ok(plugin)
        });
        match loaded {
            Ok(plugin) => Ok((Arc::clone(plugin), first_instance)),
            Err(message) => Err(message.clone()),
        }
    }

    /// Runs the kit in `dir` under `rule_set`; any failing case refuses the rule set.
    fn require_kit(&self, rule_set: &Arc<RuleSet>, entry: &str, dir: &Path) -> Result<(), LoadError> {
        let unusable = |message: String| LoadError::KitUnusable { entry: entry.to_owned(), message };
        let kit = read_kit(dir).map_err(|e| unusable(e.to_string()))?;
        let report = kit.run(&mut self.evaluator(Arc::clone(rule_set))).map_err(|e| unusable(e.to_string()))?;
        if let Some(first) = report.cases.iter().find(|c| !c.passed()) {
            return Err(LoadError::KitFailed {
                entry: entry.to_owned(),
                kit: dir.to_path_buf(),
                failed: report.failed(),
                total: report.cases.len(),
                first: format!("{}: {}: {}", first.file, first.name, first.differences.join("; ")),
            });
        }
        tracing::info!(entry, kit = %dir.display(), cases = report.cases.len(), "test kit passed");
        Ok(())
    }

    /// Loads a plugin on its own, without a rule set or a pin, to look at it.
    pub fn inspect_plugin(&self, path: &Path) -> Result<Plugin, LoadError> {
        let source =
            PluginSource { entry: "(inspect)", path, expected_sha256: None, max_bytes: crate::files::MAX_PLUGIN_BYTES };
        Plugin::load(&self.engine, &self.linker, self.cache.as_ref(), &self.compiled, &SandboxLimits::default(), source)
    }

    fn configured_instance(
        &self,
        plugin: &Plugin,
        limits: &SandboxLimits,
        config_json: &str,
        data: GrantedData,
    ) -> Result<PluginInstance, Configure> {
        let mut instance = plugin.instantiate(&self.engine, limits, data).map_err(Configure::Failed)?;
        instance.configure(limits, config_json).map_err(Configure::Failed)?.map_err(Configure::Refused)?;
        Ok(instance)
    }

    /// An evaluator over `rule_set`. Use one per thread; where the rule set
    /// allows it, it keeps a warm, configured instance of each plugin it has used.
    pub fn evaluator(&self, rule_set: Arc<RuleSet>) -> Evaluator<'_> {
        Evaluator { host: self, rule_set, warm: HashMap::new() }
    }
}

enum Configure {
    Refused(payrules_model::ConfigError),
    Failed(EvaluationFailure),
}

/// Evaluates claims against one rule set.
///
/// Each claim gets a fresh plugin instance unless the rule set asks for warm
/// ones (`reuse_instances`). An instance whose call failed is always thrown
/// away, so a trap in one claim never affects the next.
pub struct Evaluator<'h> {
    host: &'h Host,
    rule_set: Arc<RuleSet>,
    warm: HashMap<usize, PluginInstance>,
}

impl Evaluator<'_> {
    /// The rule set in use.
    pub fn rule_set(&self) -> &RuleSet {
        &self.rule_set
    }

    /// Routes `claim` and evaluates it with its payer's plugin. Never fails:
    /// routing problems and plugin failures are reported in the verdict.
    pub fn evaluate(&mut self, claim: &Claim) -> ClaimReport {
        let verdict = match route(&self.rule_set, claim) {
            Err(finding) => Verdict::NotRouted { finding: *finding },
            Ok(index) => self.evaluate_with(index, claim),
        };
        ClaimReport { claim_id: claim.id.clone(), payer_id: claim.payer.id.clone(), verdict }
    }

    fn evaluate_with(&mut self, index: usize, claim: &Claim) -> Verdict {
        let rule_set = Arc::clone(&self.rule_set);
        let Some(entry) = rule_set.entries.get(index) else {
            let failure = EvaluationFailure::internal(format!("route chose entry {index}, which does not exist"));
            return Verdict::Failed { failure, receipt: receipt(&rule_set, None, None) };
        };
        let limits = rule_set.limits;
        let warm = self.warm.remove(&index);
        let mut instance = match warm.map_or_else(|| self.fresh_instance(entry, &limits), Ok) {
            Ok(instance) => instance,
            Err(failure) => return Verdict::Failed { failure, receipt: receipt(&rule_set, Some(entry), None) },
        };
        let evaluated = instance.evaluate(&limits, claim).and_then(|(outcome, fuel)| {
            let totals = check_outcome(claim, &outcome, entry.never_above_charge).map_err(|why| {
                EvaluationFailure::violation(format!("the plugin's outcome does not fit the claim: {why}"))
            })?;
            Ok((outcome, totals, fuel))
        });
        match evaluated {
            Ok((outcome, totals, fuel)) => {
                if limits.reuse_instances {
                    self.warm.insert(index, instance);
                }
                Verdict::Evaluated { outcome, totals, receipt: receipt(&rule_set, Some(entry), Some(fuel)) }
            }
            Err(failure) => {
                // A plugin's message may quote the claim, so it and the claim id are for debugging only.
                tracing::warn!(entry = %entry.name, kind = failure.kind.as_str(), "plugin failed; its instance is discarded");
                tracing::debug!(claim = %claim.id, %failure, "plugin failure");
                Verdict::Failed { failure, receipt: receipt(&rule_set, Some(entry), None) }
            }
        }
    }
}

impl Evaluator<'_> {
    /// A new configured instance of `entry`'s plugin, loading the plugin
    /// first if the rule set was loaded on demand and no claim has used it.
    fn fresh_instance(
        &self,
        entry: &PayerPolicyEntry,
        limits: &SandboxLimits,
    ) -> Result<PluginInstance, EvaluationFailure> {
        let (plugin, first) = self.host.plugin_for(entry, limits).map_err(EvaluationFailure::unloadable)?;
        if let Some(first) = first {
            return Ok(first);
        }
        self.host.configured_instance(&plugin, limits, &entry.config_json, entry.data.clone()).map_err(|failure| {
            match failure {
                Configure::Failed(failure) => failure,
                Configure::Refused(message) => EvaluationFailure::internal(format!(
                    "the plugin refused a configuration it accepted at load: {message}"
                )),
            }
        })
    }
}

/// The receipt of a claim `entry` served, or tried to. The plugin's sha256
/// is the one the entry pins (and was checked), even when the plugin could
/// not be loaded; its name and version are known once it is.
fn receipt(rule_set: &RuleSet, entry: Option<&PayerPolicyEntry>, fuel_used: Option<u64>) -> Receipt {
    let plugin = entry.and_then(PayerPolicyEntry::plugin);
    Receipt {
        rule_set: format!("{}@{}", rule_set.name, rule_set.version),
        entry: entry.map(|e| e.name.clone()).unwrap_or_default(),
        plugin: plugin.map(|p| format!("{}@{}", p.info.name, p.info.version)).unwrap_or_default(),
        plugin_sha256: entry.map(|e| e.plugin_sha256.clone()).unwrap_or_default(),
        contract_version: plugin.map(|p| p.info.contract_version.clone()).unwrap_or_default(),
        fuel_used,
    }
}

/// The rule set's own folder and the `plugin_dirs` it allows, resolved.
fn allowed_plugin_dirs(base: &Path, extra: &[PathBuf]) -> Vec<PathBuf> {
    std::iter::once(base.to_path_buf())
        .chain(extra.iter().map(|dir| base.join(dir)))
        .filter_map(|dir| std::fs::canonicalize(dir).ok())
        .collect()
}

/// A plugin must live, symlinks resolved, inside the rule set's folder or a
/// folder its `plugin_dirs` allows. A plugin that does not exist is left
/// for the read to report.
fn check_plugin_place(rule_set: &Path, entry: &str, plugin: &Path, allowed: &[PathBuf]) -> Result<(), LoadError> {
    let Ok(resolved) = std::fs::canonicalize(plugin) else { return Ok(()) };
    if allowed.iter().any(|dir| resolved.starts_with(dir)) {
        return Ok(());
    }
    Err(LoadError::InvalidRuleSet {
        path: rule_set.to_path_buf(),
        message: format!(
            "payer `{entry}`: plugin `{}` is outside the rule set's folder; list its folder in `plugin_dirs` to allow it",
            plugin.display()
        ),
    })
}

/// Reference tables loaded in this process, by the files they were read
/// from, so two rule sets naming the same files (`diff`'s base and
/// candidate, or a service's old and new rule set) share one copy. A file
/// changed on disk since (another size or modification time) is read again.
#[derive(Default)]
struct SharedTables {
    by_files: std::sync::Mutex<HashMap<Vec<String>, std::sync::Weak<ReferenceTables>>>,
}

impl SharedTables {
    fn load(
        &self,
        rule_set: &Path,
        base: &Path,
        data: &crate::ruleset::DataFile,
        max_bytes: u64,
    ) -> Result<Arc<ReferenceTables>, LoadError> {
        // Each rule set's own size limit holds, whether its tables are read or shared.
        let named = data.ncci_ptp.iter().chain(data.mue.iter().chain(&data.rvu).chain(&data.gpci).map(|d| &d.file));
        for file in named {
            let path = base.join(file);
            crate::files::check_regular(&path, max_bytes).map_err(|cause| LoadError::Data {
                path: rule_set.to_path_buf(),
                cause: crate::data::DataError::Read { path: path.clone(), cause },
            })?;
        }
        let key = tables_key(base, data);
        if let Some(key) = &key
            && let Ok(memo) = self.by_files.lock()
            && let Some(tables) = memo.get(key).and_then(std::sync::Weak::upgrade)
        {
            return Ok(tables);
        }
        let tables = Arc::new(load_tables(rule_set, base, data)?);
        if let Some(key) = key
            && let Ok(mut memo) = self.by_files.lock()
        {
            memo.retain(|_, tables| tables.strong_count() > 0);
            memo.insert(key, Arc::downgrade(&tables));
        }
        Ok(tables)
    }
}

/// What identifies a rule set's tables: each file's place (symlinks
/// resolved), size and modification time, and the dates it covers. `None`
/// when a file cannot be looked at, so the load reports it.
fn tables_key(base: &Path, data: &crate::ruleset::DataFile) -> Option<Vec<String>> {
    let file = |kind: &str, path: &Path, dates: String| -> Option<String> {
        let resolved = std::fs::canonicalize(base.join(path)).ok()?;
        let meta = std::fs::metadata(&resolved).ok()?;
        let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
        Some(format!("{kind} {} {} {modified} {dates}", resolved.display(), meta.len()))
    };
    let dated = |kind: &'static str, files: &'_ [crate::ruleset::DatedFile]| {
        files
            .iter()
            .map(move |f| file(kind, &f.file, format!("{}..{:?}", f.effective_from, f.effective_to)))
            .collect::<Vec<_>>()
    };
    data.ncci_ptp
        .iter()
        .map(|p| file("ncci-ptp", p, String::new()))
        .chain(dated("mue", &data.mue))
        .chain(dated("rvu", &data.rvu))
        .chain(dated("gpci", &data.gpci))
        .collect()
}

/// Loads the rule set's reference data files.
fn load_tables(rule_set: &Path, base: &Path, data: &crate::ruleset::DataFile) -> Result<ReferenceTables, LoadError> {
    let failed = |cause| LoadError::Data { path: rule_set.to_path_buf(), cause };
    let ncci_ptp = if data.ncci_ptp.is_empty() {
        None
    } else {
        let paths: Vec<PathBuf> = data.ncci_ptp.iter().map(|p| base.join(p)).collect();
        Some(PtpTable::load(&paths).map_err(failed)?)
    };
    let mue = periods(base, &data.mue, MueTable::load).map_err(failed)?;
    let rvu = periods(base, &data.rvu, RvuTable::load).map_err(failed)?;
    let gpci = periods(base, &data.gpci, GpciTable::load).map_err(failed)?;
    Ok(ReferenceTables { ncci_ptp, mue, rvu, gpci })
}

/// Reads each dated file with `load`.
fn periods<T>(
    base: &Path,
    files: &[crate::ruleset::DatedFile],
    load: fn(&Path) -> Result<T, crate::data::DataError>,
) -> Result<Vec<Period<T>>, crate::data::DataError> {
    files
        .iter()
        .map(|f| {
            Ok(Period {
                effective_from: f.effective_from,
                effective_to: f.effective_to,
                table: load(&base.join(&f.file))?,
            })
        })
        .collect()
}
