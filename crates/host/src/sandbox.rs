//! The sandbox every plugin runs in: the engine settings, a fuel budget, a
//! wall-clock deadline, a memory cap, and whether instances are reused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, ResourceLimiter};

use crate::data::GrantedData;
use crate::error::HostError;

/// How often the wall-clock deadline is checked: one epoch tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Limits on one plugin evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SandboxLimits {
    /// Fuel one claim may use; deterministic, so a budget overrun reproduces exactly.
    pub fuel: u64,
    /// Wall-clock milliseconds one claim may take; the backstop for time fuel does not see.
    pub deadline_ms: u64,
    /// Bytes of linear memory one plugin instance may grow to.
    pub memory_bytes: u64,
    /// Whether an instance is kept warm between claims.
    ///
    /// Warm instances are several times faster. A fresh instance per claim
    /// makes fuel counts reproducible to the unit, because the plugin's heap
    /// starts from the same state every time; outcomes are the same either way
    /// for a plugin that keeps no state between calls, as the PDK requires.
    pub reuse_instances: bool,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits { fuel: 200_000_000, deadline_ms: 2_000, memory_bytes: 64 << 20, reuse_instances: true }
    }
}

impl SandboxLimits {
    /// The deadline in epoch ticks.
    pub fn deadline_ticks(&self) -> u64 {
        let tick = u64::try_from(EPOCH_TICK.as_millis()).unwrap_or(1).max(1);
        (self.deadline_ms / tick).max(1)
    }
}

/// Builds the engine all plugins share: component model on, fuel and epoch
/// interruption on, and the settings that keep execution deterministic.
pub fn engine() -> Result<Engine, HostError> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true);
    Engine::new(&config).map_err(|e| HostError::Engine(e.to_string()))
}

/// Per-store state: the memory cap, whether a plugin hit it, and the
/// reference data its payer entry may consult.
#[derive(Debug)]
pub struct SandboxState {
    memory_cap: usize,
    /// Set when the plugin tried to grow memory past the cap.
    pub memory_exceeded: bool,
    /// The reference tables the plugin's payer entry is granted.
    pub data: GrantedData,
}

impl SandboxState {
    /// State for a store capped at `memory_bytes`, seeing `data`.
    pub fn new(limits: &SandboxLimits, data: GrantedData) -> SandboxState {
        SandboxState {
            memory_cap: usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX),
            memory_exceeded: false,
            data,
        }
    }

    /// The cap in bytes.
    pub fn memory_cap(&self) -> usize {
        self.memory_cap
    }
}

impl ResourceLimiter for SandboxState {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            // Trapping, rather than failing the grow, stops the plugin at the
            // allocation instead of leaving it to handle an out-of-memory.
            self.memory_exceeded = true;
            return Err(wasmtime::format_err!(
                "plugin memory would grow to {desired} bytes, over the {}-byte cap",
                self.memory_cap
            ));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped, so
/// deadlines are measured in wall-clock time.
#[derive(Debug)]
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts ticking `engine`.
    pub fn start(engine: &Engine) -> EpochTicker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let engine = engine.clone();
        let thread = std::thread::Builder::new()
            .name("payrules-epoch".to_owned())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .ok();
        if thread.is_none() {
            tracing::warn!("could not start the epoch thread; wall-clock deadlines will not fire, fuel still applies");
        }
        EpochTicker { stop, thread }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
