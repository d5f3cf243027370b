//! Prometheus metrics (OpenMetrics text at `/metrics`). Labels carry no
//! patient data: routes are the service's own paths, payers are the payer
//! ids the rule set names, and verdicts and failure kinds are fixed words.

use std::collections::HashSet;
use std::sync::RwLock;
use std::time::Duration;

use payrules_host::{ClaimReport, RuleSet, Verdict};
use payrules_intake::Checked;
use payrules_model::Severity;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClaimLabels {
    payer: String,
    verdict: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleSetLabels {
    name: String,
    version: String,
    sha256: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActivationLabels {
    outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    // 100 us to about 6.5 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

fn fuel_histogram() -> Histogram {
    // 10 thousand to about 10 billion units of fuel.
    Histogram::new(exponential_buckets(10_000.0, 4.0, 11))
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    claims: Family<ClaimLabels, Counter>,
    failures: Family<FailureLabels, Counter>,
    fuel: Histogram,
    rule_set: Family<RuleSetLabels, Gauge>,
    activations: Family<ActivationLabels, Counter>,
    in_flight: Gauge,
    // The payer ids the active rule set names; any other is counted as `other`.
    payers: RwLock<HashSet<String>>,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("payrules");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by route and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response head, by route",
            latency.clone(),
        );
        let claims = Family::<ClaimLabels, Counter>::default();
        registry.register("claims", "Claims answered, by payer id and verdict", claims.clone());
        let failures = Family::<FailureLabels, Counter>::default();
        registry.register("plugin_failures", "Plugin evaluations that gave no outcome, by kind", failures.clone());
        let fuel = fuel_histogram();
        registry.register("claim_fuel", "Fuel a plugin used to evaluate one claim", fuel.clone());
        let rule_set = Family::<RuleSetLabels, Gauge>::default();
        registry.register("rule_set_info", "The rule set in service (value 1)", rule_set.clone());
        let activations = Family::<ActivationLabels, Counter>::default();
        registry.register("rule_set_activations", "Rule set activation attempts, by outcome", activations.clone());
        let in_flight = Gauge::default();
        registry.register("http_requests_in_flight", "Requests being answered now", in_flight.clone());
        Metrics {
            registry,
            requests,
            latency,
            claims,
            failures,
            fuel,
            rule_set,
            activations,
            in_flight,
            payers: RwLock::new(HashSet::new()),
        }
    }

    /// The metrics as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// A request to `route` was answered with `status` after `elapsed`.
    pub fn request(&self, route: &'static str, status: u16, elapsed: Duration) {
        self.requests.get_or_create(&RequestLabels { route, status: status.to_string() }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(elapsed.as_secs_f64());
    }

    /// The gauge of requests in flight.
    pub fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// One checked claim: its verdict, and for an evaluated one its fuel.
    pub fn claim(&self, checked: &Checked) {
        if let Checked::Invalid { .. } = checked {
            self.claims.get_or_create(&ClaimLabels { payer: "none".to_owned(), verdict: "invalid-input" }).inc();
            return;
        }
        for report in checked.reports() {
            self.report(report);
        }
    }

    fn report(&self, report: &ClaimReport) {
        let known = match self.payers.read() {
            Ok(payers) => payers.contains(&report.payer_id),
            Err(poisoned) => poisoned.into_inner().contains(&report.payer_id),
        };
        let payer = if known { report.payer_id.clone() } else { "other".to_owned() };
        let verdict = match &report.verdict {
            Verdict::Evaluated { outcome, receipt, .. } => {
                if let Some(fuel) = receipt.fuel_used {
                    #[allow(clippy::cast_precision_loss, reason = "a histogram observation; fuel is far below 2^52")]
                    self.fuel.observe(fuel as f64);
                }
                if outcome.worst_severity() == Some(Severity::Error) { "findings" } else { "clean" }
            }
            Verdict::NotRouted { .. } => "not-routed",
            Verdict::Failed { failure, .. } => {
                self.failures.get_or_create(&FailureLabels { kind: failure.kind.as_str() }).inc();
                "failed"
            }
        };
        self.claims.get_or_create(&ClaimLabels { payer, verdict }).inc();
    }

    /// `rule_set` went into service.
    pub fn activated(&self, rule_set: &RuleSet) {
        self.activations.get_or_create(&ActivationLabels { outcome: "succeeded" }).inc();
        self.rule_set.clear();
        self.rule_set
            .get_or_create(&RuleSetLabels {
                name: rule_set.name.clone(),
                version: rule_set.version.clone(),
                sha256: rule_set.sha256.clone(),
            })
            .set(1);
        let payers: HashSet<String> = rule_set.entries.iter().flat_map(|e| e.payer_ids.iter().cloned()).collect();
        match self.payers.write() {
            Ok(mut slot) => *slot = payers,
            Err(poisoned) => *poisoned.into_inner() = payers,
        }
    }

    /// A candidate rule set was refused.
    pub fn activation_failed(&self) {
        self.activations.get_or_create(&ActivationLabels { outcome: "failed" }).inc();
    }
}
