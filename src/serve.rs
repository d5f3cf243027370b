//! `payrules serve` and `payrules replay`: the service, and re-evaluating
//! what it logged.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use payrules_server::replay::{Replayed, replay};
use payrules_server::{Limits, ServerConfig};

use crate::{CacheArgs, EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_FINDINGS, Format, TrustArgs, render};

/// Arguments of `payrules serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The rule set; reloads read this file again. Defaults to $PAYRULES_RULES, else a payrules.toml's, else the bundled one.
    #[arg(long, env = "PAYRULES_RULES")]
    rules: Option<PathBuf>,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,

    /// Evaluation worker threads; defaults to the number of cores.
    #[arg(long)]
    workers: Option<usize>,

    /// File holding the bearer token for the admin routes (reload); without it they are off.
    #[arg(long)]
    admin_token_file: Option<PathBuf>,

    /// File holding a bearer token that /v1/check, /v1/fix and /v1/ruleset then require.
    #[arg(long)]
    check_token_file: Option<PathBuf>,

    /// Reload the rule set when its file changes (checked every second).
    #[arg(long)]
    watch: bool,

    /// Append every decision to this file (JSON Lines), patient ids masked.
    #[arg(long)]
    decision_log: Option<PathBuf>,

    /// Keep the masked claim in each decision, so `payrules replay` can evaluate it again.
    #[arg(long, requires = "decision_log")]
    decision_log_claims: bool,

    /// Key that masks patient ids in the decision log; created (0600) if missing.
    /// Defaults to ~/.config/payrules/decision-log.key.
    #[arg(long, requires = "decision_log")]
    decision_log_key: Option<PathBuf>,

    /// Largest body read whole (JSON, TOML, X12), in MiB.
    #[arg(long, default_value_t = 16)]
    max_body_mib: usize,

    /// Largest JSON Lines line, in KiB.
    #[arg(long, default_value_t = 1024)]
    max_line_kib: usize,

    /// Most claims in one request.
    #[arg(long, default_value_t = 100_000)]
    max_claims: usize,

    /// Most service lines in one claim.
    #[arg(long, default_value_t = 50)]
    max_lines_per_claim: usize,

    /// Most requests answered at once; more get 503 with Retry-After.
    #[arg(long, default_value_t = 256)]
    max_in_flight: usize,

    /// Seconds a request may take to its response head before a 503.
    #[arg(long, default_value_t = 30)]
    request_timeout_secs: u64,

    /// Seconds shutdown waits for requests in flight.
    #[arg(long, default_value_t = 30)]
    grace_secs: u64,

    #[command(flatten)]
    cache: CacheArgs,

    #[command(flatten)]
    trust: TrustArgs,
}

/// Runs `payrules serve` until SIGTERM or SIGINT.
pub fn serve(args: &ServeArgs) -> Result<u8> {
    let host = args.cache.host_trusting(&args.trust)?;
    let workers = args.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let decision_log_key = match (&args.decision_log_key, &args.decision_log) {
        (Some(path), _) => path.clone(),
        (None, Some(_)) => payrules_host::files::config_file("decision-log.key")
            .context("no home folder for the decision log key; pass --decision-log-key")?,
        // No decision log, so no key is read.
        (None, None) => PathBuf::new(),
    };
    let config = ServerConfig {
        rules: crate::bundled::rule_set(args.rules.as_deref())?.0,
        listen: args.listen,
        workers,
        admin_token_file: args.admin_token_file.clone(),
        check_token_file: args.check_token_file.clone(),
        watch: args.watch,
        decision_log: args.decision_log.clone(),
        decision_log_key,
        decision_log_claims: args.decision_log_claims,
        limits: Limits {
            max_body_bytes: args.max_body_mib.saturating_mul(1 << 20),
            max_line_bytes: args.max_line_kib.saturating_mul(1 << 10),
            max_claims: args.max_claims,
            max_lines_per_claim: args.max_lines_per_claim,
            request_timeout: Duration::from_secs(args.request_timeout_secs),
            max_in_flight: args.max_in_flight.max(1),
            grace_period: Duration::from_secs(args.grace_secs),
        },
    };
    payrules_server::run(host, config, |address| {
        // The one line on standard output: where to connect (the port, when --listen asked for port 0).
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{address}");
        let _ = out.flush();
    })?;
    Ok(EXIT_CLEAN)
}

/// Arguments of `payrules replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// A decision log written by `payrules serve --decision-log FILE --decision-log-claims`.
    log: PathBuf,

    /// Evaluate under this rule set instead of the one each decision names.
    #[arg(long)]
    rules: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// List every decision, not only those that differ.
    #[arg(long)]
    all: bool,

    #[command(flatten)]
    cache: CacheArgs,

    #[command(flatten)]
    trust: TrustArgs,
}

/// Runs `payrules replay`: exit 0 when every decision comes out the same,
/// 1 when any differs, 2 when any could not be replayed.
pub fn replay_log(args: &ReplayArgs) -> Result<u8> {
    let host = args.cache.host_trusting(&args.trust)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let summary = replay(&host, &args.log, args.rules.as_deref(), |replayed| {
        if !args.all && matches!(replayed, Replayed::Same { .. }) {
            return Ok(());
        }
        match args.format {
            Format::Json => {
                let mut record = serde_json::to_value(replayed).unwrap_or_default();
                if let Some(object) = record.as_object_mut() {
                    object.insert("schema_version".to_owned(), payrules_intake::SCHEMA_VERSION.into());
                }
                writeln!(out, "{record}")
            }
            Format::Table => writeln!(out, "{}", render::safe(&replay_line(replayed))),
        }
    })
    .with_context(|| format!("cannot read the decision log {}", args.log.display()))?;
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::json!({ "schema_version": payrules_intake::SCHEMA_VERSION, "summary": summary })
        )?,
        Format::Table => writeln!(
            out,
            "{} decision(s) replayed: {} same, {} differ, {} could not be replayed",
            summary.decisions, summary.same, summary.drift, summary.not_replayed
        )?,
    }
    out.flush()?;
    Ok(if summary.not_replayed > 0 {
        EXIT_BAD_INPUT
    } else if summary.drift > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn replay_line(replayed: &Replayed) -> String {
    match replayed {
        Replayed::Same { line, claim_id } => format!("line {line}: claim {claim_id}: same"),
        Replayed::Drift { line, claim_id, logged_rule_set, replayed_rule_set, differences } => format!(
            "line {line}: claim {claim_id}: differs ({logged_rule_set} -> {replayed_rule_set}): {}",
            differences.join("; ")
        ),
        Replayed::NotReplayed { line, claim_id, reason } => {
            format!("line {line}: claim {}: not replayed: {reason}", claim_id.as_deref().unwrap_or("?"))
        }
    }
}
