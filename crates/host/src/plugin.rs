//! A plugin component, compiled, checked against the contract, ready to instantiate.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use payrules_model::{Claim, ConfigError, EvaluationError, Outcome, PluginInfo};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use crate::cache::CompileCache;
use crate::contract::{SUPPORTED_VERSIONS, latest, v0_1_0, v0_2_0, v0_3_0, v0_4_0};
use crate::data::GrantedData;
use crate::error::LoadError;
use crate::failure::EvaluationFailure;
use crate::sandbox::{SandboxLimits, SandboxState};

/// A loaded plugin: its identity, what it declares, and its pre-linked component.
pub struct Plugin {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// Hex sha256 of the file.
    pub sha256: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// What the plugin says about itself.
    pub info: PluginInfo,
    /// Import names of the component; a payer plugin imports only the contract.
    pub imports: Vec<String>,
    /// The contract version the component exports.
    pub contract_version: &'static str,
    pre: Arc<PolicyPre>,
}

/// Plugins compiled in this process, by sha256, so a plugin named by several
/// payer entries, by both rule sets of a `diff`, or by the rule set a service
/// swaps in is compiled and described once. An entry lives while a loaded
/// rule set still uses it.
#[derive(Default)]
pub(crate) struct CompiledPlugins {
    by_sha256: Mutex<HashMap<String, Compiled>>,
}

/// One compiled plugin: what it said about itself and its pre-linked component.
#[derive(Clone)]
struct Compiled {
    info: PluginInfo,
    imports: Vec<String>,
    contract_version: &'static str,
    pre: Weak<PolicyPre>,
}

impl CompiledPlugins {
    fn get(&self, sha256: &str) -> Option<(Compiled, Arc<PolicyPre>)> {
        let memo = self.by_sha256.lock().ok()?;
        let compiled = memo.get(sha256)?;
        let pre = compiled.pre.upgrade()?;
        Some((compiled.clone(), pre))
    }

    fn put(&self, sha256: &str, plugin: &Plugin) {
        if let Ok(mut memo) = self.by_sha256.lock() {
            // Forget plugins no rule set uses any more, so swapping rule
            // sets in a long-running service does not grow the memo.
            memo.retain(|_, compiled| compiled.pre.strong_count() > 0);
            let compiled = Compiled {
                info: plugin.info.clone(),
                imports: plugin.imports.clone(),
                contract_version: plugin.contract_version,
                pre: Arc::downgrade(&plugin.pre),
            };
            memo.insert(sha256.to_owned(), compiled);
        }
    }
}

/// A pre-linked component, by contract version.
enum PolicyPre {
    V0_1_0(v0_1_0::PayerPolicyPre<SandboxState>),
    V0_2_0(v0_2_0::PayerPolicyPre<SandboxState>),
    V0_3_0(v0_3_0::PayerPolicyPre<SandboxState>),
    V0_4_0(v0_4_0::PayerPolicyPre<SandboxState>),
    V0_5_0(latest::PayerPolicyPre<SandboxState>),
}

/// An instance's exports, by contract version.
pub(crate) enum PolicyBindings {
    V0_1_0(v0_1_0::PayerPolicy),
    V0_2_0(v0_2_0::PayerPolicy),
    V0_3_0(v0_3_0::PayerPolicy),
    V0_4_0(v0_4_0::PayerPolicy),
    V0_5_0(latest::PayerPolicy),
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("sha256", &self.sha256)
            .field("info", &self.info)
            .finish()
    }
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the first eight bytes of a WebAssembly binary say it is.
fn binary_kind(bytes: &[u8]) -> Result<(), String> {
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', 0x0d, 0x00, 0x01, 0x00]) => Ok(()),
        Some([0, b'a', b's', b'm', 0x01, 0x00, 0x00, 0x00]) => {
            Err("it is a core WebAssembly module, not a component; build it with `cargo xtask build-plugins`"
                .to_owned())
        }
        _ => Err("it is not a WebAssembly binary".to_owned()),
    }
}

/// The inputs to loading one plugin.
#[derive(Clone, Copy)]
pub struct PluginSource<'a> {
    /// The payer entry that names it, for messages.
    pub entry: &'a str,
    /// The plugin file.
    pub path: &'a Path,
    /// The pinned sha256, or `None` to skip the pin (inspection only).
    pub expected_sha256: Option<&'a str>,
    /// The largest plugin file read.
    pub max_bytes: u64,
}

impl Plugin {
    /// Reads the plugin file once as a stream, checks that it is a
    /// component and that it matches its pin, and returns its sha256 and
    /// size. No copy of the file is kept.
    fn check_pin(source: PluginSource<'_>) -> Result<(String, u64), LoadError> {
        let PluginSource { entry, path, expected_sha256, max_bytes } = source;
        let digest = crate::files::digest_regular(path, max_bytes).map_err(|cause| LoadError::ReadPlugin {
            entry: entry.to_owned(),
            path: path.to_path_buf(),
            cause,
        })?;
        // Whether it is WebAssembly at all is said before any hash, so a rule
        // set naming some other file never learns that file's sha256.
        binary_kind(&digest.head).map_err(|message| LoadError::NotAPlugin {
            entry: entry.to_owned(),
            path: path.to_path_buf(),
            message,
        })?;
        let crate::files::FileDigest { sha256, size, .. } = digest;
        if let Some(expected) = expected_sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(LoadError::HashMismatch {
                entry: entry.to_owned(),
                path: path.to_path_buf(),
                expected: expected.to_ascii_lowercase(),
                actual: sha256,
            });
        }
        Ok((sha256, size))
    }

    /// Reads, verifies, compiles (or takes from the cache) and pre-links a plugin,
    /// then asks it to describe itself.
    pub(crate) fn load(
        engine: &Engine,
        linker: &Linker<SandboxState>,
        cache: Option<&CompileCache>,
        compiled: &CompiledPlugins,
        limits: &SandboxLimits,
        source: PluginSource<'_>,
    ) -> Result<Plugin, LoadError> {
        let (sha256, size) = Plugin::check_pin(source)?;
        let PluginSource { entry, path, max_bytes, .. } = source;
        let owned = |p: &Path| p.to_path_buf();
        let unreadable = |cause| LoadError::ReadPlugin { entry: entry.to_owned(), path: owned(path), cause };
        let not_a_plugin =
            |message: String| LoadError::NotAPlugin { entry: entry.to_owned(), path: owned(path), message };
        if let Some((known, pre)) = compiled.get(&sha256) {
            let Compiled { info, imports, contract_version, .. } = known;
            return Ok(Plugin { path: owned(path), sha256, size, info, imports, contract_version, pre });
        }
        let component = match cache.and_then(|cache| cache.find(engine, &sha256)) {
            Some(component) => component,
            None => {
                let bytes = crate::files::read_regular(path, max_bytes).map_err(unreadable)?;
                // What is compiled must be what was pinned, even if the file
                // was replaced between the two reads.
                let compiled_sha256 = sha256_hex(&bytes);
                if compiled_sha256 != sha256 {
                    return Err(LoadError::HashMismatch {
                        entry: entry.to_owned(),
                        path: owned(path),
                        expected: sha256,
                        actual: compiled_sha256,
                    });
                }
                match cache {
                    Some(cache) => cache.compile(engine, &sha256, &bytes),
                    None => Component::new(engine, &bytes),
                }
                .map_err(|e| not_a_plugin(format!("it does not compile: {e}")))?
            }
        };

        let component_type = component.component_type();
        let exports: Vec<String> = component_type.exports(engine).map(|(name, _)| name.to_owned()).collect();
        let imports: Vec<String> = component_type.imports(engine).map(|(name, _)| name.to_owned()).collect();
        let policy_export = exports.iter().find_map(|name| name.strip_prefix("payrules:policy/policy@"));
        let Some(version) = policy_export else {
            return Err(not_a_plugin(format!(
                "it exports {} but not `payrules:policy/policy`",
                if exports.is_empty() { "nothing".to_owned() } else { exports.join(", ") }
            )));
        };
        let Some(contract_version) = SUPPORTED_VERSIONS.iter().copied().find(|v| *v == version) else {
            return Err(LoadError::UnsupportedContract {
                entry: entry.to_owned(),
                path: owned(path),
                found: version.to_owned(),
                supported: SUPPORTED_VERSIONS.join(", "),
            });
        };
        let mismatch = |e: wasmtime::Error| not_a_plugin(format!("it does not match contract {contract_version}: {e}"));
        let instance_pre = linker.instantiate_pre(&component).map_err(mismatch)?;
        // Each supported version by name: a version the host lists but has no
        // bindings for is an error here, never another version's bindings.
        let pre = match contract_version {
            v0_1_0::VERSION => PolicyPre::V0_1_0(v0_1_0::PayerPolicyPre::new(instance_pre).map_err(mismatch)?),
            v0_2_0::VERSION => PolicyPre::V0_2_0(v0_2_0::PayerPolicyPre::new(instance_pre).map_err(mismatch)?),
            v0_3_0::VERSION => PolicyPre::V0_3_0(v0_3_0::PayerPolicyPre::new(instance_pre).map_err(mismatch)?),
            v0_4_0::VERSION => PolicyPre::V0_4_0(v0_4_0::PayerPolicyPre::new(instance_pre).map_err(mismatch)?),
            latest::VERSION => PolicyPre::V0_5_0(latest::PayerPolicyPre::new(instance_pre).map_err(mismatch)?),
            other => return Err(not_a_plugin(format!("the host has no bindings for contract {other}"))),
        };
        let failed = |failure: EvaluationFailure| LoadError::PluginFailed {
            entry: entry.to_owned(),
            path: owned(path),
            message: failure.to_string(),
        };
        let mut instance = PluginInstance::new(&pre, engine, limits, GrantedData::default()).map_err(failed)?;
        let info = instance.describe(limits).map_err(failed)?;
        if info.contract_version != contract_version {
            return Err(not_a_plugin(format!(
                "it exports contract {contract_version} but describes itself as built for {}",
                info.contract_version
            )));
        }
        let plugin = Plugin { path: owned(path), sha256, size, info, imports, contract_version, pre: Arc::new(pre) };
        compiled.put(&plugin.sha256, &plugin);
        Ok(plugin)
    }

    /// Whether `other` runs the very same compiled code (compiled once, not twice).
    pub fn shares_code_with(&self, other: &Plugin) -> bool {
        Arc::ptr_eq(&self.pre, &other.pre)
    }

    /// A fresh, unconfigured instance in its own store, seeing `data`.
    pub(crate) fn instantiate(
        &self,
        engine: &Engine,
        limits: &SandboxLimits,
        data: GrantedData,
    ) -> Result<PluginInstance, EvaluationFailure> {
        PluginInstance::new(&self.pre, engine, limits, data)
    }
}

/// One live plugin instance with its store.
pub(crate) struct PluginInstance {
    store: Store<SandboxState>,
    policy: PolicyBindings,
}

impl PluginInstance {
    /// Instantiates `pre` in a new store with the sandbox's limits.
    fn new(
        pre: &PolicyPre,
        engine: &Engine,
        limits: &SandboxLimits,
        data: GrantedData,
    ) -> Result<PluginInstance, EvaluationFailure> {
        let mut store = Store::new(engine, SandboxState::new(limits, data));
        store.limiter(|state| state);
        crate::sandbox::charge_host_work(&mut store);
        // Instantiation can run code (a component's start function), so it
        // gets the same budget and deadline as a call.
        store.set_fuel(limits.fuel).map_err(|e| EvaluationFailure::internal(e.to_string()))?;
        store.set_epoch_deadline(limits.deadline_ticks());
        let instantiated = match pre {
            PolicyPre::V0_1_0(pre) => pre.instantiate(&mut store).map(PolicyBindings::V0_1_0),
            PolicyPre::V0_2_0(pre) => pre.instantiate(&mut store).map(PolicyBindings::V0_2_0),
            PolicyPre::V0_3_0(pre) => pre.instantiate(&mut store).map(PolicyBindings::V0_3_0),
            PolicyPre::V0_4_0(pre) => pre.instantiate(&mut store).map(PolicyBindings::V0_4_0),
            PolicyPre::V0_5_0(pre) => pre.instantiate(&mut store).map(PolicyBindings::V0_5_0),
        };
        let policy = instantiated.map_err(|e| EvaluationFailure::classify(&store, limits, e))?;
        Ok(PluginInstance { store, policy })
    }

    /// Runs `call` under a fresh fuel budget and deadline; returns its result
    /// and the fuel it used.
    fn call<R>(
        &mut self,
        limits: &SandboxLimits,
        call: impl FnOnce(&PolicyBindings, &mut Store<SandboxState>) -> wasmtime::Result<R>,
    ) -> Result<(R, u64), EvaluationFailure> {
        let store = &mut self.store;
        store.set_fuel(limits.fuel).map_err(|e| EvaluationFailure::internal(e.to_string()))?;
        store.set_epoch_deadline(limits.deadline_ticks());
        let result = call(&self.policy, store);
        let used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        match result {
            Ok(value) => Ok((value, used)),
            Err(error) => Err(EvaluationFailure::classify(store, limits, error)),
        }
    }

    /// Asks the plugin who it is.
    fn describe(&mut self, limits: &SandboxLimits) -> Result<PluginInfo, EvaluationFailure> {
        let (info, _) = self.call(limits, |policy, store| {
            let info = match policy {
                PolicyBindings::V0_1_0(p) => p.payrules_policy_policy().call_describe(store)?.into(),
                PolicyBindings::V0_2_0(p) => p.payrules_policy_policy().call_describe(store)?.into(),
                PolicyBindings::V0_3_0(p) => p.payrules_policy_policy().call_describe(store)?.into(),
                PolicyBindings::V0_4_0(p) => p.payrules_policy_policy().call_describe(store)?.into(),
                PolicyBindings::V0_5_0(p) => p.payrules_policy_policy().call_describe(store)?,
            };
            Ok(PluginInfo::from(info))
        })?;
        Ok(info)
    }

    /// Hands the instance its payer configuration.
    pub(crate) fn configure(
        &mut self,
        limits: &SandboxLimits,
        config_json: &str,
    ) -> Result<Result<(), ConfigError>, EvaluationFailure> {
        let (result, _) = self.call(limits, |policy, store| {
            let refused: Result<(), latest::t::ConfigError> = match policy {
                PolicyBindings::V0_1_0(p) => {
                    p.payrules_policy_policy().call_configure(store, config_json)?.map_err(Into::into)
                }
                PolicyBindings::V0_2_0(p) => {
                    p.payrules_policy_policy().call_configure(store, config_json)?.map_err(Into::into)
                }
                PolicyBindings::V0_3_0(p) => {
                    p.payrules_policy_policy().call_configure(store, config_json)?.map_err(Into::into)
                }
                PolicyBindings::V0_4_0(p) => {
                    p.payrules_policy_policy().call_configure(store, config_json)?.map_err(Into::into)
                }
                PolicyBindings::V0_5_0(p) => p.payrules_policy_policy().call_configure(store, config_json)?,
            };
            Ok(refused.map_err(ConfigError::from))
        })?;
        Ok(result)
    }

    /// Evaluates one claim; returns the plugin's answer and the fuel used.
    pub(crate) fn evaluate(
        &mut self,
        limits: &SandboxLimits,
        claim: &Claim,
    ) -> Result<(Outcome, u64), EvaluationFailure> {
        self.store.data_mut().begin_claim(crate::sandbox::ClaimScope::of(claim));
        // The claim is lowered in the newest contract's shape; an older
        // plugin gets it converted from there, and its answer back into it.
        let lowered = latest::t::Claim::from(claim);
        let called = self.call(limits, |policy, store| {
            let answer: Result<latest::t::Outcome, latest::t::EvaluationError> = match policy {
                PolicyBindings::V0_1_0(p) => {
                    let claim = v0_1_0::payrules::policy::types::Claim::from(&lowered);
                    p.payrules_policy_policy().call_evaluate(store, &claim)?.map(Into::into).map_err(Into::into)
                }
                PolicyBindings::V0_2_0(p) => {
                    let claim = v0_2_0::payrules::policy::types::Claim::from(&lowered);
                    p.payrules_policy_policy().call_evaluate(store, &claim)?.map(Into::into).map_err(Into::into)
                }
                PolicyBindings::V0_3_0(p) => {
                    let claim = v0_3_0::payrules::policy::types::Claim::from(&lowered);
                    p.payrules_policy_policy().call_evaluate(store, &claim)?.map(Into::into).map_err(Into::into)
                }
                PolicyBindings::V0_4_0(p) => {
                    let claim = v0_4_0::payrules::policy::types::Claim::from(&lowered);
                    p.payrules_policy_policy().call_evaluate(store, &claim)?.map(Into::into).map_err(Into::into)
                }
                PolicyBindings::V0_5_0(p) => p.payrules_policy_policy().call_evaluate(store, &lowered)?,
            };
            Ok(answer.map(Outcome::from).map_err(EvaluationError::from))
        });
        self.store.data_mut().end_claim();
        let (result, fuel) = called?;
        match result {
            Ok(outcome) => Ok((outcome, fuel)),
            Err(error) => Err(EvaluationFailure::undecided(error.message)),
        }
    }
}
