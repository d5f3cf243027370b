//! The sandbox every plugin runs in: the engine settings, a fuel budget, a
//! wall-clock deadline, a memory cap, and whether instances are reused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter};

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
    /// Off by default: each claim gets a fresh instance, so nothing one claim
    /// left in a plugin's memory (a patient id, a diagnosis) can reach the
    /// next claim's findings, and fuel counts reproduce to the unit. Warm
    /// instances are faster, but they trust every plugin to forget: turn
    /// them on only for plugins you trust with every claim the process sees.
    pub reuse_instances: bool,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits { fuel: 200_000_000, deadline_ms: 2_000, memory_bytes: 64 << 20, reuse_instances: false }
    }
}

impl SandboxLimits {
    /// The deadline in epoch ticks.
    pub fn deadline_ticks(&self) -> u64 {
        let tick = u64::try_from(EPOCH_TICK.as_millis()).unwrap_or(1).max(1);
        (self.deadline_ms / tick).max(1)
    }
}

/// Plugin instances that may be alive at once in one process: every worker's
/// warm instances, each claim's fresh one, and those a rule set load uses.
/// Each slot reserves address space (not memory) for one linear memory.
pub const INSTANCE_SLOTS: u32 = 1_000;

/// Bytes of each slot's memory and tables kept mapped between instances and
/// reset in place: more than a plugin touches for one claim.
const KEEP_RESIDENT_BYTES: usize = 16 << 20;

/// Builds the engine all plugins share: component model on, fuel and epoch
/// interruption on, the settings that keep execution deterministic, and the
/// pooling instance allocator.
///
/// A fresh instance per claim is the default, so instantiation is on every
/// claim's path. The pooling allocator keeps a fixed pool of instance slots
/// and resets a slot's memory to the plugin's copy-on-write image when the
/// instance is dropped, instead of mapping and unmapping memory for each
/// claim; on two cores the unmapping (and the TLB shootdowns it causes) was
/// more than half the time of a fresh-instance claim.
pub fn engine() -> Result<Engine, HostError> {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(INSTANCE_SLOTS)
        .total_core_instances(INSTANCE_SLOTS.saturating_mul(4))
        .total_memories(INSTANCE_SLOTS)
        .total_tables(INSTANCE_SLOTS.saturating_mul(2))
        // The largest memory cap a rule set may ask for; the limiter still
        // holds each plugin to its own rule set's cap.
        .max_memory_size(usize::try_from(crate::ruleset::MAX_MEMORY_MIB << 20).unwrap_or(usize::MAX))
        // Reset a slot by writing back only the pages the last claim dirtied
        // (found with Linux's PAGEMAP_SCAN where the kernel has it), rather
        // than unmapping them: on two threads, unmapping made every reset
        // interrupt the other core to flush its TLB, and --jobs 2 ran slower
        // than --jobs 1 (BENCHMARKS.md).
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES)
        .pagemap_scan(wasmtime::Enabled::Auto);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .memory_init_cow(true)
        // Bounds are checked by the compiled code, not by guard pages and a
        // signal handler. A plugin's allocator grows its memory on every
        // claim; with guard pages, each reuse of the slot then shrinks the
        // accessible region with mprotect, which interrupts every other core
        // to flush its TLB. That made --jobs 2 barely faster than --jobs 1;
        // explicit checks cost the single thread a few percent instead
        // (BENCHMARKS.md).
        .signals_based_traps(false)
        .memory_guard_size(0)
        .guard_before_linear_memory(false)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(|e| HostError::Engine(e.to_string()))
}

/// Fuel charged for every reference data lookup, whatever it asks.
pub const HOST_CALL_FUEL: u64 = 10_000;
/// Fuel charged for each code asked about and each row answered.
pub const HOST_ITEM_FUEL: u64 = 1_000;
/// The longest panic message kept from a plugin.
pub const MAX_PANIC_MESSAGE_CHARS: usize = 500;
/// The longest locality name a plugin may ask about.
pub const MAX_LOCALITY_BYTES: usize = 64;

/// What the claim under evaluation lets a plugin ask the host about: its
/// own codes and dates of service, and no more lookups than it has lines
/// times the tables.
#[derive(Debug, Default)]
pub struct ClaimScope {
    codes: Vec<String>,
    dates: Vec<payrules_model::Date>,
    /// The codes billed on each date of service, once each, by date.
    codes_on: Vec<(payrules_model::Date, Vec<String>)>,
    lines: usize,
}

impl ClaimScope {
    /// The scope of `claim`.
    pub fn of(claim: &payrules_model::Claim) -> ClaimScope {
        let mut codes: Vec<String> = claim.lines.iter().map(|l| l.procedure.as_str().to_owned()).collect();
        codes.sort_unstable();
        codes.dedup();
        let mut dates: Vec<payrules_model::Date> = claim.lines.iter().map(|l| l.date_of_service).collect();
        dates.sort_unstable();
        dates.dedup();
        let codes_on = dates
            .iter()
            .map(|date| {
                let mut on: Vec<String> = claim
                    .lines
                    .iter()
                    .filter(|l| l.date_of_service == *date)
                    .map(|l| l.procedure.as_str().to_owned())
                    .collect();
                on.sort_unstable();
                on.dedup();
                (*date, on)
            })
            .collect();
        ClaimScope { codes, dates, codes_on, lines: claim.lines.len() }
    }
}

/// Per-store state: the memory cap, whether a plugin hit it, the reference
/// data its payer entry may consult, and what the claim under evaluation
/// lets it ask.
#[derive(Debug)]
pub struct SandboxState {
    memory_cap: usize,
    /// Set when the plugin tried to grow memory past the cap.
    pub memory_exceeded: bool,
    /// The reference tables the plugin's payer entry is granted.
    pub data: GrantedData,
    /// The claim under evaluation; `None` while describing or configuring,
    /// when no lookup is allowed.
    scope: Option<ClaimScope>,
    /// Fuel for host work done since the plugin last ran, taken from the
    /// store's budget when control returns to the plugin.
    pending_fuel: u64,
    /// Why the plugin was stopped for breaking the contract, if it was.
    pub violation: Option<String>,
    /// What the plugin said when it panicked, if it did (contract 0.3.0 on).
    pub panic_message: Option<String>,
}

impl SandboxState {
    /// State for a store capped at `memory_bytes`, seeing `data`.
    pub fn new(limits: &SandboxLimits, data: GrantedData) -> SandboxState {
        SandboxState {
            memory_cap: usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX),
            memory_exceeded: false,
            data,
            scope: None,
            pending_fuel: 0,
            violation: None,
            panic_message: None,
        }
    }

    /// The cap in bytes.
    pub fn memory_cap(&self) -> usize {
        self.memory_cap
    }

    /// Lets lookups about `scope`'s codes and dates through until [`SandboxState::end_claim`].
    pub fn begin_claim(&mut self, scope: ClaimScope) {
        self.scope = Some(scope);
        self.pending_fuel = 0;
    }

    /// Ends the claim: no further lookups.
    pub fn end_claim(&mut self) {
        self.scope = None;
    }

    /// Records that the plugin broke the contract, and the trap that stops it.
    pub(crate) fn refuse(&mut self, lookup: &str, why: String) -> wasmtime::Error {
        let message = format!("the plugin asked the host for {lookup} {why}");
        self.violation = Some(message.clone());
        wasmtime::format_err!("{message}")
    }

    /// Checks one lookup against the claim: every code is one of its codes,
    /// the date is one of its dates of service, and there are no more codes
    /// than it has lines. A lookup outside that is a contract violation that
    /// stops the plugin, so host work is bounded by the claim itself.
    pub fn check_lookup(
        &mut self,
        lookup: &str,
        codes: &[String],
        date: Option<payrules_model::Date>,
    ) -> wasmtime::Result<payrules_model::Date> {
        let Some(scope) = &self.scope else {
            return Err(self.refuse(lookup, "outside the evaluation of a claim".to_owned()));
        };
        if codes.len() > scope.lines {
            let why = format!("about {} codes, more than the claim's {} lines", codes.len(), scope.lines);
            return Err(self.refuse(lookup, why));
        }
        if let Some(code) = codes.iter().find(|code| scope.codes.binary_search(code).is_err()) {
            let shown: String = code.chars().take(16).collect();
            return Err(
                self.refuse(lookup, format!("about `{}`, which is not billed on the claim", shown.escape_debug()))
            );
        }
        match date {
            Some(date) if scope.dates.binary_search(&date).is_ok() => Ok(date),
            Some(date) => Err(self.refuse(lookup, format!("on {date}, which is not a date of service of the claim"))),
            None => Err(self.refuse(lookup, "on a date that does not exist".to_owned())),
        }
    }

    /// Checks a whole-day lookup (contract 0.4.0's `day-reference`): the
    /// date must be a date of service of the claim. Returns it with the
    /// codes the claim bills on it, which are all the host answers about.
    pub fn check_day_lookup(
        &mut self,
        lookup: &str,
        date: Option<payrules_model::Date>,
    ) -> wasmtime::Result<(payrules_model::Date, Vec<String>)> {
        let Some(scope) = &self.scope else {
            return Err(self.refuse(lookup, "outside the evaluation of a claim".to_owned()));
        };
        let Some(date) = date else {
            return Err(self.refuse(lookup, "on a date that does not exist".to_owned()));
        };
        match scope.codes_on.binary_search_by_key(&date, |(on, _)| *on) {
            Ok(index) => Ok((date, scope.codes_on.get(index).map(|(_, codes)| codes.clone()).unwrap_or_default())),
            Err(_) => Err(self.refuse(lookup, format!("on {date}, which is not a date of service of the claim"))),
        }
    }

    /// Refuses a locality name longer than any real one, before any work.
    pub fn check_locality(&mut self, locality: &str) -> wasmtime::Result<()> {
        if locality.len() > MAX_LOCALITY_BYTES {
            return Err(self.refuse("geographic indices", format!("with a locality name of {} bytes", locality.len())));
        }
        Ok(())
    }

    /// Keeps the first panic message, on one line and at most
    /// [`MAX_PANIC_MESSAGE_CHARS`] characters, for the claim's failure.
    pub fn record_panic(&mut self, message: &str) {
        if self.panic_message.is_none() {
            let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
            self.panic_message = Some(one_line.chars().take(MAX_PANIC_MESSAGE_CHARS).collect());
        }
    }

    /// Charges host work: a fixed cost per lookup and a cost per item.
    pub fn charge(&mut self, items: usize) {
        let items = u64::try_from(items).unwrap_or(u64::MAX);
        self.pending_fuel =
            self.pending_fuel.saturating_add(HOST_CALL_FUEL).saturating_add(items.saturating_mul(HOST_ITEM_FUEL));
    }

    /// Takes the fuel owed for host work since the plugin last ran.
    pub fn take_pending_fuel(&mut self) -> u64 {
        std::mem::take(&mut self.pending_fuel)
    }
}

/// Installs the hook that takes host work out of the plugin's fuel when
/// control returns to it, so a plugin cannot make the host work for free:
/// a budget spent on lookups ends the call as surely as one spent in wasm.
pub fn charge_host_work(store: &mut wasmtime::Store<SandboxState>) {
    store.call_hook(|mut context, hook| {
        if !matches!(hook, wasmtime::CallHook::ReturningFromHost) {
            return Ok(());
        }
        let owed = context.data_mut().take_pending_fuel();
        if owed == 0 {
            return Ok(());
        }
        let left = context.get_fuel()?;
        match left.checked_sub(owed) {
            Some(rest) => context.set_fuel(rest),
            None => {
                context.set_fuel(0)?;
                Err(wasmtime::Trap::OutOfFuel.into())
            }
        }
    });
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
