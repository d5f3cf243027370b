//! `payrules`: check outpatient therapy claims against each payer's billing
//! policy before they are sent.

mod bundled;
mod diff;
mod fix;
mod generate;
mod inspect;
mod kits;
mod manual;
mod plugin_build;
mod progress;
mod render;
mod scaffold;
mod serve;
mod sign;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use payrules_host::{ClaimReport, CompileCache, Host, HostOptions, Verdict};
use payrules_intake::{CheckSummary, Checked};

/// Exit code: every claim was checked and none has an error finding.
const EXIT_CLEAN: u8 = 0;
/// Exit code: a claim has an error finding, matched no policy, or its plugin failed.
const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad input or usage; a claim or the rule set could not be read.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when the reader of standard output went away (`payrules check
/// ... | head`): 128 + SIGPIPE, what a shell reports for a program the
/// signal ended, and payrules says nothing more.
const EXIT_BROKEN_PIPE: u8 = 141;

/// The commit the binary was built from, or "unknown" outside a git checkout.
const COMMIT: &str = env!("PAYRULES_COMMIT");

/// Whether `--quiet` was given: no progress, no notes for a person on
/// standard error, and only error logs. Set once, before any command runs.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether the user asked for `--quiet`.
fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

#[derive(Parser, Debug)]
#[command(name = "payrules", version, about = "Check outpatient therapy claims against each payer's billing policy")]
struct Cli {
    /// More diagnostics on standard error (-v info, -vv debug, -vvv trace,
    /// with the sandbox runtime's own messages); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    verbose: u8,

    /// Only what was asked for: no progress bars, no notes for a person on
    /// standard error, logs only for errors; `test` shows failing cases only.
    #[arg(short, long, global = true)]
    quiet: bool,

    /// How logs on standard error are written.
    #[arg(long, value_enum, global = true, default_value_t = LogFormat::Text)]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

/// How logs on standard error are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Readable text.
    Text,
    /// One JSON object per line, with each event's target, for machines.
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check claims (JSON, TOML or X12 837P; one claim or many per file) and report what each payer would do.
    Check(CheckArgs),
    /// Write claims back with the fixes that need no review applied (837P in, 837P out).
    Fix(fix::FixArgs),
    /// Run plugin test kits (every plugins/*/kit when no folder is given) and report coverage.
    Test(kits::TestArgs),
    /// Replay claims through two rule sets and report every claim whose outcome changes.
    Diff(diff::DiffArgs),
    /// Write realistic synthetic therapy claims across the payers of a rule set.
    Gen(generate::GenArgs),
    /// Run as an HTTP service: claims checked on every core, rule sets swapped live.
    Serve(serve::ServeArgs),
    /// Evaluate a service's logged decisions again and report those that now differ.
    Replay(serve::ReplayArgs),
    /// Build, pin and look at plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Sign a rule set and every file it names, for `--trusted-key`.
    Sign(sign::SignArgs),
    /// Create a key pair for signing rule sets: KEY (secret, mode 0600) and KEY.pub.
    Keygen(sign::KeygenArgs),
    /// Create something from a template.
    #[command(subcommand)]
    New(NewCommand),
    /// Print a shell completion script: `payrules completions bash > /etc/bash_completion.d/payrules`.
    Completions(manual::CompletionsArgs),
    /// Print the manual page (roff), or write one per command into a folder.
    Man(manual::ManArgs),
}

#[derive(Subcommand, Debug)]
enum NewCommand {
    /// A new payer plugin: its crate, a test kit and a rule set entry.
    Plugin(scaffold::NewPluginArgs),
}

#[derive(Subcommand, Debug)]
enum PluginCommand {
    /// Show a plugin's name, version, contract, rules, sha256, size and imports.
    Inspect(inspect::InspectArgs),
    /// Build a plugin crate into a component: <its workspace>/target/plugins/NAME.wasm.
    Build(plugin_build::BuildArgs),
    /// Pin each payer entry of rule sets to the sha256 of the plugin file it names.
    Pin(plugin_build::PinArgs),
}

/// Where compiled plugins are cached.
#[derive(clap::Args, Debug)]
struct CacheArgs {
    /// Where compiled plugins are cached; defaults to $PAYRULES_CACHE_DIR, else ~/.cache/payrules.
    #[arg(long)]
    cache_dir: Option<PathBuf>,

    /// Compile plugins on every run instead of using the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

impl CacheArgs {
    /// The compile cache to use, if any. A cache that is unsafe to trust or
    /// cannot be opened is reported and skipped: plugins are then compiled
    /// on every run, which is slower but never wrong.
    fn cache(&self) -> Option<CompileCache> {
        if self.no_cache {
            return None;
        }
        let dir = self.cache_dir.clone().or_else(CompileCache::default_dir)?;
        match CompileCache::open_with_default_key(&dir) {
            Ok(cache) => Some(cache),
            Err(error) => {
                tracing::warn!(%error, "not using the compile cache; plugins are compiled on every run");
                None
            }
        }
    }

    /// Starts the host with this cache; it checks no rule set signatures.
    fn host(&self) -> Result<Host> {
        self.host_trusting(&TrustArgs::default())
    }

    /// Starts the host with this cache, loading only rule sets that `trust` accepts.
    fn host_trusting(&self, trust: &TrustArgs) -> Result<Host> {
        Ok(Host::new(HostOptions { cache: self.cache(), trusted_keys: trust.keys()? })?)
    }
}

/// Which rule set signers to trust.
#[derive(clap::Args, Debug, Default)]
struct TrustArgs {
    /// Load only rule sets signed (`payrules sign`) by this public key; repeat for several.
    /// Once a key is given, an unsigned rule set is refused.
    #[arg(long = "trusted-key", value_name = "KEY.pub", env = "PAYRULES_TRUSTED_KEYS", value_delimiter = ',')]
    trusted_keys: Vec<PathBuf>,
}

impl TrustArgs {
    /// The trusted public keys, read from their files.
    fn keys(&self) -> Result<Vec<payrules_host::signing::VerifyingKey>> {
        self.trusted_keys.iter().map(|path| Ok(payrules_host::signing::read_public_key(path)?)).collect()
    }
}

/// Loads the rule set at `path`, saying where it went wrong: every entry's
/// plugin at once, or with `on_demand` each at the first claim that needs it.
fn load_rule_set(host: &Host, path: &Path, on_demand: bool) -> Result<std::sync::Arc<payrules_host::RuleSet>> {
    let started = std::time::Instant::now();
    let loaded = if on_demand { host.load_rule_set_on_demand(path) } else { host.load_rule_set(path) };
    let rule_set = loaded.with_context(|| format!("cannot load the rule set {}", path.display()))?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis(), rule_set = %rule_set.name, "rule set loaded");
    Ok(rule_set)
}

/// Where the rule set and the compiled plugins come from.
#[derive(clap::Args, Debug)]
struct RuleSetArgs {
    /// The rule set; defaults to $PAYRULES_RULES, else the `rules` of a
    /// payrules.toml (here, then in the user's config folder), else the
    /// bundled one built into payrules.
    #[arg(long, env = "PAYRULES_RULES")]
    rules: Option<PathBuf>,

    #[command(flatten)]
    cache: CacheArgs,

    #[command(flatten)]
    trust: TrustArgs,
}

/// A started host, the rule set it loaded, and where the rule set came from.
type Loaded = (Host, std::sync::Arc<payrules_host::RuleSet>, bundled::Origin);

impl RuleSetArgs {
    /// Starts the host and loads the rule set with every plugin.
    fn load(&self) -> Result<Loaded> {
        self.load_with(false)
    }

    /// Starts the host and loads the rule set, each plugin at the first
    /// claim routed to it: checking claims of one payer loads one plugin.
    fn load_on_demand(&self) -> Result<Loaded> {
        self.load_with(true)
    }

    fn load_with(&self, on_demand: bool) -> Result<Loaded> {
        let host = self.cache.host_trusting(&self.trust)?;
        let (rules_path, origin) = bundled::rule_set(self.rules.as_deref())?;
        let rule_set = load_rule_set(&host, &rules_path, on_demand)?;
        Ok((host, rule_set, origin))
    }
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Claim files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,

    #[command(flatten)]
    rule_set: RuleSetArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Show how each line's amounts were reached, step by step (table format).
    #[arg(long)]
    explain: bool,

    /// Check each claim as every payer in the rule set would, side by side.
    #[arg(long)]
    all_payers: bool,

    /// Exit with status 1 when a claim has warnings, as a linter's
    /// --deny-warnings does, not only when it has errors.
    #[arg(long)]
    deny_warnings: bool,

    #[command(flatten)]
    jobs: JobsArgs,
}

/// How many threads work on a batch.
#[derive(clap::Args, Debug)]
struct JobsArgs {
    /// Threads that check claims (default: one per core); the output is the
    /// same, in input order, whatever the number.
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
}

impl JobsArgs {
    fn count(&self) -> usize {
        payrules_intake::batch::jobs_or_cores(self.jobs.map(usize::from))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A readable report per claim.
    Table,
    /// One JSON object per claim, one per line (JSON Lines).
    Json,
}

/// What `--version` says: the version, the commit, and the contract
/// versions a plugin may be built against.
fn long_version() -> String {
    format!(
        "{} (commit {COMMIT})\nplugin contracts: payrules:policy {}",
        env!("CARGO_PKG_VERSION"),
        payrules_host::SUPPORTED_VERSIONS.join(", ")
    )
}

/// The command line, with the long version filled in.
fn command() -> clap::Command {
    Cli::command().long_version(long_version())
}

fn main() -> ExitCode {
    let cli = match command().try_get_matches().and_then(|matches| Cli::from_arg_matches(&matches)) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_BAD_INPUT } else { EXIT_CLEAN });
        }
    };
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    // The service logs its requests unless told to be quiet.
    let verbose = if matches!(cli.command, Command::Serve(_)) { cli.verbose.max(1) } else { cli.verbose };
    init_tracing(verbose, cli.quiet, cli.log_format == LogFormat::Json);
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Fix(args) => fix::fix(&args),
        Command::Plugin(PluginCommand::Inspect(args)) => inspect::inspect(&args),
        Command::Plugin(PluginCommand::Build(args)) => plugin_build::build(&args),
        Command::Plugin(PluginCommand::Pin(args)) => plugin_build::pin(&args),
        Command::Gen(args) => generate::generate(&args),
        Command::Sign(args) => sign::sign(&args),
        Command::Keygen(args) => sign::keygen(&args),
        Command::Diff(args) => diff::diff(&args),
        Command::Serve(args) => serve::serve(&args),
        Command::Replay(args) => serve::replay_log(&args),
        Command::Test(args) => kits::test(&args),
        Command::New(NewCommand::Plugin(args)) => scaffold::new_plugin(&args),
        Command::Completions(args) => manual::completions(&args),
        Command::Man(args) => manual::man(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) if is_broken_pipe(&error) => ExitCode::from(EXIT_BROKEN_PIPE),
        Err(error) => {
            // A closed or full standard error must not turn an error into a panic.
            let message = render::safe(&format!("{error:#}")).into_owned();
            let _ = writeln!(std::io::stderr(), "payrules: {message}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Whether `error` is a write to a pipe whose reader has gone.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

/// Crates whose own messages are only shown at -vvv: the sandbox runtime,
/// its compiler, and the HTTP protocol crates. Below that, they log
/// warnings only. (The service's request log, from tower-http, stays.)
const NOISY_CRATES: &[&str] =
    &["wasmtime", "cranelift", "regalloc2", "wasmparser", "wit_component", "wit_parser", "hyper", "h2"];

/// The log filter for `-v` given `verbose` times (or `--quiet`).
fn log_filter(verbose: u8, quiet: bool) -> String {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let mut filter = level.to_owned();
    if verbose < 3 {
        for noisy in NOISY_CRATES {
            filter.push_str(&format!(",{noisy}=warn"));
        }
    }
    filter
}

/// Logs go to standard error: text, or with `json` one JSON object per line.
fn init_tracing(verbose: u8, quiet: bool, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(log_filter(verbose, quiet)));
    // Colour only for a person at a terminal, and never when NO_COLOR is set
    // (no-color.org). Field values are escaped by tracing-subscriber either way.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json {
        builder.json().with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.with_target(false).with_ansi(colour).try_init()
    };
}

fn check(args: &CheckArgs) -> Result<u8> {
    let started = std::time::Instant::now();
    let (host, rule_set, origin) = args.rule_set.load_on_demand()?;
    let claims_bytes = rule_set.file_limits.claims_bytes;
    let inputs = args.files.iter().flat_map(|file| payrules_intake::read_claims(file, claims_bytes));

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut summary = CheckSummary::default();
    let progress = progress::Progress::claims(&args.files, "checked");
    payrules_intake::batch::map_in_order(
        inputs,
        args.jobs.count(),
        || host.evaluator(std::sync::Arc::clone(&rule_set)),
        |evaluator, input| {
            let mut result = payrules_intake::check_input(evaluator, &input, args.all_payers);
            if !args.explain {
                // Neither format shows them without --explain.
                result.forget_price_steps();
            }
            if let Checked::Report { report, .. } = &result
                && let ClaimReport { verdict: Verdict::Failed { failure, .. }, .. } = report.as_ref()
            {
                tracing::warn!(kind = failure.kind.as_str(), "a claim could not be evaluated");
            }
            let text = match args.format {
                Format::Json => result.record(args.explain),
                Format::Table => table_block(&input, &result, args.explain),
            };
            (text, result)
        },
        |(text, result)| -> Result<()> {
            summary.add(&result);
            writeln!(out, "{text}")?;
            progress.advance(|| format!(", {} need attention", summary.by_status.needs_attention));
            Ok(())
        },
    )?;
    progress.finish();
    let label = format!("{}@{}", rule_set.name, rule_set.version);
    match args.format {
        Format::Table => {
            writeln!(out, "{}", summary.line())?;
            if origin == bundled::Origin::Bundled {
                writeln!(out, "rule set {label}: the one bundled with payrules (--rules FILE for another)")?;
            }
        }
        Format::Json => writeln!(out, "{}", summary.record(&label, origin.as_str(), started.elapsed()))?,
    }
    out.flush()?;
    Ok(check_exit(&summary, args.deny_warnings))
}

/// The exit status of a `check` run: unreadable claims first, then claims
/// that need attention, then (with `deny_warnings`) claims with warnings.
fn check_exit(summary: &CheckSummary, deny_warnings: bool) -> u8 {
    let counts = &summary.by_status;
    if counts.invalid_input > 0 {
        EXIT_BAD_INPUT
    } else if counts.needs_attention > 0 || (deny_warnings && counts.clean_with_warnings > 0) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// The readable block of one checked claim, ending with what it comes to
/// (for a comparison, the worst of its payers).
fn table_block(input: &payrules_intake::ClaimInput, result: &Checked, explain: bool) -> String {
    let mut block = match (result, &input.claim) {
        (Checked::Report { source, report }, Ok(claim)) => render::claim_block(source, claim, report, explain),
        (Checked::Comparison { source, reports, .. }, Ok(claim)) => render::comparison_block(source, claim, reports),
        (Checked::Invalid { error, .. }, _) | (_, Err(error)) => {
            return render::input_error_block(&input.source, input.claim_id.as_deref(), error);
        }
    };
    block.push_str(&format!("  result: {}\n", result.status().describe()));
    block
}
