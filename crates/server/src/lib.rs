//! payrules as a service: `POST /v1/check` and `/v1/fix` for a
//! clearinghouse's intake pipeline, evaluated on every core, with rule sets
//! swapped live (API, SIGHUP or a watched file) and only after they pass
//! every check; health, readiness, Prometheus metrics and a decision log.
//!
//! The HTTP side is axum on tokio with tower middleware for load shedding,
//! concurrency and timeouts. Plugins run only on the worker threads of
//! [`pool`], never on the async runtime.

mod auth;
pub mod decisions;
mod metrics;
mod pool;
pub mod replay;
mod routes;
mod rules;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use payrules_host::Host;

pub use decisions::DecisionLogError;

/// How `payrules serve` runs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The rule set file; reloads read it again.
    pub rules: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Evaluation worker threads.
    pub workers: usize,
    /// File holding the bearer token for the admin routes; none turns them off.
    pub admin_token_file: Option<PathBuf>,
    /// File holding the bearer token the check routes require, if any.
    pub check_token_file: Option<PathBuf>,
    /// Reload when the rule set file changes.
    pub watch: bool,
    /// Where decisions are logged, if anywhere.
    pub decision_log: Option<PathBuf>,
    /// The key that masks patient ids in the decision log.
    pub decision_log_key: PathBuf,
    /// Keep the masked claim in each decision, for `payrules replay`.
    pub decision_log_claims: bool,
    /// Request limits.
    pub limits: Limits,
}

/// What one request may ask of the service.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest body read whole (JSON, TOML, X12), in bytes.
    pub max_body_bytes: usize,
    /// Largest JSON Lines line, in bytes.
    pub max_line_bytes: usize,
    /// Most claims one request may hold.
    pub max_claims: usize,
    /// Most service lines one claim may hold.
    pub max_lines_per_claim: usize,
    /// Longest a request may take to its response head.
    pub request_timeout: Duration,
    /// Most requests answered at once; more are refused with 503.
    pub max_in_flight: usize,
    /// How long shutdown waits for requests in flight.
    pub grace_period: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 16 << 20,
            max_line_bytes: 1 << 20,
            max_claims: 100_000,
            max_lines_per_claim: 50,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            grace_period: Duration::from_secs(30),
        }
    }
}

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The rule set could not be loaded at startup.
    #[error("cannot load the rule set {path}: {message}")]
    RuleSet {
        /// The rule set file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A token file could not be used.
    #[error("token file {path}: {message}")]
    Token {
        /// The token file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The decision log could not be opened.
    #[error(transparent)]
    DecisionLog(#[from] DecisionLogError),
    /// The listener, the runtime or a worker could not start, or serving failed.
    #[error("{what}: {cause}")]
    Io {
        /// What failed.
        what: String,
        /// Why.
        #[source]
        cause: std::io::Error,
    },
}

/// Everything the routes share.
pub(crate) struct App {
    rules: Arc<rules::Rules>,
    pool: pool::Pool,
    metrics: Arc<metrics::Metrics>,
    decisions: Option<decisions::DecisionLog>,
    limits: Limits,
    admin_token: Option<auth::Token>,
    check_token: Option<auth::Token>,
    draining: AtomicBool,
    // A JSON Lines answer outlives its response head, and with it the
    // in-flight limit the middleware keeps; this keeps the same limit on
    // streams for as long as they run.
    streams: Arc<tokio::sync::Semaphore>,
}

/// Runs the service until SIGTERM or SIGINT, then finishes the requests in
/// flight (up to the grace period) and returns. `listening` is called with
/// the bound address once the service accepts connections.
pub fn run(host: Host, config: ServerConfig, listening: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let io = |what: &str| {
        let what = what.to_owned();
        move |cause| ServeError::Io { what, cause }
    };
    let admin_token = config.admin_token_file.as_deref().map(auth::Token::read).transpose()?;
    let check_token = config.check_token_file.as_deref().map(auth::Token::read).transpose()?;
    let decisions = config
        .decision_log
        .as_deref()
        .map(|path| decisions::DecisionLog::open(path, &config.decision_log_key, config.decision_log_claims))
        .transpose()?;
    let host = Arc::new(host);
    let metrics = Arc::new(metrics::Metrics::new());
    // Absolute, so the decision log names a file `payrules replay` finds from
    // anywhere; links are not resolved, so a symlink swapped to a new version is followed.
    let rules_path = std::path::absolute(&config.rules).unwrap_or_else(|_| config.rules.clone());
    let rules = Arc::new(rules::Rules::start(Arc::clone(&host), rules_path, Arc::clone(&metrics))?);
    let pool = pool::Pool::start(Arc::clone(&host), config.workers, config.limits.max_lines_per_claim)
        .map_err(io("cannot start the evaluation workers"))?;
    let app = Arc::new(App {
        rules,
        pool,
        metrics,
        decisions,
        limits: config.limits,
        admin_token,
        check_token,
        draining: AtomicBool::new(false),
        streams: Arc::new(tokio::sync::Semaphore::new(config.limits.max_in_flight)),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("payrules-http")
        .build()
        .map_err(io("cannot start the async runtime"))?;
    runtime.block_on(serve(app, &config, listening))
}

async fn serve(app: Arc<App>, config: &ServerConfig, listening: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|cause| ServeError::Io { what: format!("cannot listen on {}", config.listen), cause })?;
    let address = listener.local_addr().map_err(|cause| ServeError::Io { what: "no local address".into(), cause })?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    spawn_signal_handler(Arc::clone(&app), stop)?;
    if config.watch {
        // The first stamp is taken now, before the service says it listens: a
        // change published right after that is a change.
        let first = file_stamp(app.rules.path());
        tokio::spawn(watch_rule_set(Arc::clone(&app.rules), first));
    }
    let router = routes::router(Arc::clone(&app));
    let active = app.rules.active();
    tracing::info!(%address, workers = app.pool.workers(), rule_set = %rules::label(&active.rule_set), "serving");
    listening(address);

    let mut on_stop = stopped.clone();
    let graceful = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = on_stop.wait_for(|stop| *stop).await;
    });
    let grace = config.limits.grace_period;
    let mut grace_started = stopped;
    tokio::select! {
        served = graceful.into_future() => served.map_err(|cause| ServeError::Io { what: "serving failed".into(), cause })?,
        () = async move {
            let _ = grace_started.wait_for(|stop| *stop).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!(grace_seconds = grace.as_secs(), "the grace period ended with requests still in flight"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM and SIGINT stop the service gracefully; SIGHUP reloads the rule set.
fn spawn_signal_handler(app: Arc<App>, stop: tokio::sync::watch::Sender<bool>) -> Result<(), ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let io = |cause| ServeError::Io { what: "cannot listen for signals".into(), cause };
    let mut terminate = signal(SignalKind::terminate()).map_err(io)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(io)?;
    let mut hangup = signal(SignalKind::hangup()).map_err(io)?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
                _ = hangup.recv() => {
                    let rules = Arc::clone(&app.rules);
                    // The reload runs on its own, so a second signal is not held up by it.
                    tokio::spawn(async move { rules.reload("sighup").await });
                }
            }
        }
        tracing::info!("shutting down: no new connections; finishing the requests in flight");
        app.draining.store(true, Ordering::SeqCst);
        let _ = stop.send(true);
    });
    Ok(())
}

/// What tells one version of a file from the next: its inode (a new file
/// renamed over it), its modification time and its length (written in place).
type FileStamp = Option<(u64, i64, i64, u64)>;

fn file_stamp(path: &std::path::Path) -> FileStamp {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).ok().map(|m| (m.ino(), m.mtime(), m.mtime_nsec(), m.len()))
}

/// Reloads the rule set whenever its file changes (checked every second).
async fn watch_rule_set(rules: Arc<rules::Rules>, first: FileStamp) {
    let mut last = first;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let now = file_stamp(rules.path());
        if now.is_some() && now != last {
            last = now;
            rules.reload("watch").await;
        }
    }
}
