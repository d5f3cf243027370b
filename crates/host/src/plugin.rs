//! A plugin component, compiled, checked against the contract, ready to instantiate.

use std::path::{Path, PathBuf};

use payrules_model::PluginInfo;
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use crate::bindings::{SUPPORTED_VERSIONS, v0_1_0};
use crate::cache::CompileCache;
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
    /// Import names of the component; a payer plugin imports only the contract's types.
    pub imports: Vec<String>,
    pre: v0_1_0::PayerPolicyPre<SandboxState>,
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
pub struct PluginSource<'a> {
    /// The payer entry that names it, for messages.
    pub entry: &'a str,
    /// The plugin file.
    pub path: &'a Path,
    /// The pinned sha256, or `None` to skip the pin (inspection only).
    pub expected_sha256: Option<&'a str>,
}

impl Plugin {
    /// Reads, verifies, compiles (or takes from the cache) and pre-links a plugin,
    /// then asks it to describe itself.
    pub fn load(
        engine: &Engine,
        linker: &Linker<SandboxState>,
        cache: Option<&CompileCache>,
        limits: &SandboxLimits,
        source: PluginSource<'_>,
    ) -> Result<Plugin, LoadError> {
        let PluginSource { entry, path, expected_sha256 } = source;
        let owned = |p: &Path| p.to_path_buf();
        let bytes = std::fs::read(path).map_err(|source| LoadError::ReadPlugin {
            entry: entry.to_owned(),
            path: owned(path),
            source,
        })?;
        let sha256 = sha256_hex(&bytes);
        if let Some(expected) = expected_sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(LoadError::HashMismatch {
                entry: entry.to_owned(),
                path: owned(path),
                expected: expected.to_ascii_lowercase(),
                actual: sha256,
            });
        }
        let not_a_plugin =
            |message: String| LoadError::NotAPlugin { entry: entry.to_owned(), path: owned(path), message };
        binary_kind(&bytes).map_err(not_a_plugin)?;
        let component = match cache {
            Some(cache) => cache.load_or_compile(engine, &sha256, &bytes),
            None => Component::new(engine, &bytes),
        }
        .map_err(|e| not_a_plugin(format!("it does not compile: {e}")))?;

        let component_type = component.component_type();
        let exports: Vec<String> = component_type.exports(engine).map(|(name, _)| name.to_owned()).collect();
        let imports: Vec<String> = component_type.imports(engine).map(|(name, _)| name.to_owned()).collect();
        let policy_export = exports.iter().find_map(|name| name.strip_prefix("payrules:policy/policy@"));
        match policy_export {
            None => {
                return Err(not_a_plugin(format!(
                    "it exports {} but not `payrules:policy/policy`",
                    if exports.is_empty() { "nothing".to_owned() } else { exports.join(", ") }
                )));
            }
            Some(version) if !SUPPORTED_VERSIONS.contains(&version) => {
                return Err(LoadError::UnsupportedContract {
                    entry: entry.to_owned(),
                    path: owned(path),
                    found: version.to_owned(),
                    supported: SUPPORTED_VERSIONS.join(", "),
                });
            }
            Some(_) => {}
        }
        let pre = linker
            .instantiate_pre(&component)
            .and_then(v0_1_0::PayerPolicyPre::new)
            .map_err(|e| not_a_plugin(format!("it does not match contract {}: {e}", v0_1_0::VERSION)))?;
        let failed = |failure: EvaluationFailure| LoadError::PluginFailed {
            entry: entry.to_owned(),
            path: owned(path),
            message: failure.to_string(),
        };
        let mut instance = PluginInstance::new(&pre, engine, limits).map_err(failed)?;
        let (info, _) = instance
            .call(limits, |policy, store| policy.payrules_policy_policy().call_describe(store))
            .map_err(failed)?;
        let info = PluginInfo::from(info);
        if info.contract_version != v0_1_0::VERSION {
            return Err(not_a_plugin(format!(
                "it exports contract {} but describes itself as built for {}",
                v0_1_0::VERSION,
                info.contract_version
            )));
        }
        Ok(Plugin {
            path: owned(path),
            sha256,
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            info,
            imports,
            pre,
        })
    }

    /// A fresh, unconfigured instance in its own store.
    pub(crate) fn instantiate(
        &self,
        engine: &Engine,
        limits: &SandboxLimits,
    ) -> Result<PluginInstance, EvaluationFailure> {
        PluginInstance::new(&self.pre, engine, limits)
    }
}

/// One live plugin instance with its store.
pub(crate) struct PluginInstance {
    store: Store<SandboxState>,
    policy: v0_1_0::PayerPolicy,
}

impl PluginInstance {
    /// Instantiates `pre` in a new store with the sandbox's limits.
    fn new(
        pre: &v0_1_0::PayerPolicyPre<SandboxState>,
        engine: &Engine,
        limits: &SandboxLimits,
    ) -> Result<PluginInstance, EvaluationFailure> {
        let mut store = Store::new(engine, SandboxState::new(limits));
        store.limiter(|state| state);
        let policy = pre.instantiate(&mut store).map_err(|e| EvaluationFailure::classify(&store, limits, e))?;
        Ok(PluginInstance { store, policy })
    }

    /// Runs `call` under a fresh fuel budget and deadline; returns its result
    /// and the fuel it used.
    pub(crate) fn call<R>(
        &mut self,
        limits: &SandboxLimits,
        call: impl FnOnce(&v0_1_0::PayerPolicy, &mut Store<SandboxState>) -> wasmtime::Result<R>,
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

    /// Hands the instance its payer configuration.
    pub(crate) fn configure(
        &mut self,
        limits: &SandboxLimits,
        config_json: &str,
    ) -> Result<Result<(), String>, EvaluationFailure> {
        let (result, _) =
            self.call(limits, |policy, store| policy.payrules_policy_policy().call_configure(store, config_json))?;
        Ok(result.map_err(|e| payrules_model::ConfigError::from(e).to_string()))
    }

    /// Evaluates one claim; returns the plugin's answer and the fuel used.
    pub(crate) fn evaluate(
        &mut self,
        limits: &SandboxLimits,
        claim: &payrules_model::Claim,
    ) -> Result<(payrules_model::Outcome, u64), EvaluationFailure> {
        let wit_claim = v0_1_0::payrules::policy::types::Claim::from(claim);
        let (result, fuel) =
            self.call(limits, |policy, store| policy.payrules_policy_policy().call_evaluate(store, &wit_claim))?;
        match result {
            Ok(outcome) => Ok((outcome.into(), fuel)),
            Err(error) => Err(EvaluationFailure::undecided(payrules_model::EvaluationError::from(error).message)),
        }
    }
}
