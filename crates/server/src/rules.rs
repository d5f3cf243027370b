//! The active rule set and its swaps. A candidate is loaded off the request
//! path, with every check a load makes (plugins, pins, contract, data files,
//! signatures, test kits); only a candidate that passes all of them replaces
//! the active one, in one pointer swap. A request takes the active rule set
//! once, when it starts, and is evaluated wholly under it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use payrules_host::{Host, RuleSet};
use serde::Serialize;

use crate::metrics::Metrics;

/// A rule set in service, and when it went into service.
pub struct Active {
    /// The rule set.
    pub rule_set: Arc<RuleSet>,
    /// When it was activated.
    pub activated_at: SystemTime,
}

/// How the last attempt to activate a rule set ended.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    /// When the attempt ended (RFC 3339).
    pub at: String,
    /// `succeeded` or `failed`.
    pub outcome: &'static str,
    /// What asked for it: `startup`, `api`, `sighup` or `watch`.
    pub trigger: &'static str,
    /// The rule set activated, `name@version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<String>,
    /// Why the candidate was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The rule set the service evaluates under, and how to replace it.
pub struct Rules {
    host: Arc<Host>,
    path: PathBuf,
    active: RwLock<Arc<Active>>,
    last_attempt: Mutex<Attempt>,
    // One activation at a time: a second waits, then loads what is there by then.
    activating: tokio::sync::Mutex<()>,
    metrics: Arc<Metrics>,
}

impl Rules {
    /// Loads the rule set at `path` to start serving with it.
    pub fn start(host: Arc<Host>, path: PathBuf, metrics: Arc<Metrics>) -> Result<Rules, crate::ServeError> {
        let active =
            load(&host, &path).map_err(|message| crate::ServeError::RuleSet { path: path.clone(), message })?;
        let attempt = Attempt {
            at: now(),
            outcome: "succeeded",
            trigger: "startup",
            rule_set: Some(label(&active.rule_set)),
            error: None,
        };
        metrics.activated(&active.rule_set);
        Ok(Rules {
            host,
            path,
            active: RwLock::new(Arc::new(active)),
            last_attempt: Mutex::new(attempt),
            activating: tokio::sync::Mutex::new(()),
            metrics,
        })
    }

    /// The rule set in service now.
    pub fn active(&self) -> Arc<Active> {
        match self.active.read() {
            Ok(active) => Arc::clone(&active),
            // A writer never panics while holding the lock; if one did, the value is still whole.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// How the last activation attempt ended.
    pub fn last_attempt(&self) -> Attempt {
        match self.last_attempt.lock() {
            Ok(attempt) => attempt.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The rule set file the service loads.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Loads the rule set file again and, if everything passes, puts it in
    /// service. On failure the active rule set keeps serving.
    pub async fn reload(&self, trigger: &'static str) -> Attempt {
        let _one_at_a_time = self.activating.lock().await;
        let (host, path) = (Arc::clone(&self.host), self.path.clone());
        let loaded = tokio::task::spawn_blocking(move || load(&host, &path))
            .await
            .unwrap_or_else(|error| Err(format!("the load did not finish: {error}")));
        let attempt = match loaded {
            Ok(active) => {
                let name = label(&active.rule_set);
                self.metrics.activated(&active.rule_set);
                let active = Arc::new(active);
                match self.active.write() {
                    Ok(mut slot) => *slot = active,
                    Err(poisoned) => *poisoned.into_inner() = active,
                }
                tracing::info!(rule_set = %name, trigger, "rule set activated");
                Attempt { at: now(), outcome: "succeeded", trigger, rule_set: Some(name), error: None }
            }
            Err(message) => {
                self.metrics.activation_failed();
                tracing::error!(trigger, error = %message, "rule set refused; the active rule set keeps serving");
                Attempt { at: now(), outcome: "failed", trigger, rule_set: None, error: Some(message) }
            }
        };
        match self.last_attempt.lock() {
            Ok(mut slot) => *slot = attempt.clone(),
            Err(poisoned) => *poisoned.into_inner() = attempt.clone(),
        }
        attempt
    }
}

/// `name@version`.
pub fn label(rule_set: &RuleSet) -> String {
    format!("{}@{}", rule_set.name, rule_set.version)
}

/// The time now, RFC 3339 in UTC to the millisecond.
pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// Loads the rule set at `path` with every check a load makes.
fn load(host: &Host, path: &std::path::Path) -> Result<Active, String> {
    let rule_set = host.load_rule_set(path).map_err(|error| error_chain(&error))?;
    Ok(Active { rule_set, activated_at: SystemTime::now() })
}

/// An error and its causes on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let more = next.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = next.source();
    }
    text
}
