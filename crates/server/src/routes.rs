//! The HTTP routes.

// Handlers answer with axum's Response, errors included; boxing it would buy nothing.
#![allow(clippy::result_large_err)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{BoxError, Json, Router};
use futures_util::StreamExt as _;
use http_body_util::BodyExt as _;
use payrules_host::RuleSet;
use payrules_intake::{Checked, ClaimInput, InputKind, TextEncoding};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};

use crate::App;
use crate::decisions::DecisionContext;
use crate::pool::{Done, Work};
use crate::rules::{Active, label};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const RULE_SET_HEADER: HeaderName = HeaderName::from_static("x-payrules-rule-set");
const NDJSON: &str = "application/x-ndjson";
const JSON: &str = "application/json";
const X12: &str = "application/edi-x12";

/// Every route, with its middleware.
pub fn router(app: Arc<App>) -> Router {
    let limits = app.limits;
    // Checking routes shed load beyond the in-flight limit (503 and
    // Retry-After) rather than queueing without bound, and time out.
    let checking = Router::new().route("/v1/check", post(check)).route("/v1/fix", post(fix)).layer(
        ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(refused))
            .load_shed()
            .concurrency_limit(limits.max_in_flight)
            .timeout(limits.request_timeout),
    );
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            // The path and method only: bodies and queries never reach a log.
            tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
        })
        .on_request(())
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(tower_http::LatencyUnit::Micros))
        .on_failure(DefaultOnFailure::new().level(tracing::Level::WARN));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/ruleset", get(rule_set))
        .route("/v1/ruleset/reload", post(reload))
        .merge(checking)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), observe))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
        .with_state(app)
}

/// Request ids: a random prefix per process and a counter, so ids are
/// unique across restarts without saying anything about the request.
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl RequestIds {
    fn new() -> RequestIds {
        let mut random = [0u8; 4];
        // Without randomness the ids are still unique within the process.
        let _ = getrandom::fill(&mut random);
        RequestIds { prefix: hex::encode(random).into(), next: Arc::new(AtomicU64::new(1)) }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:08x}", self.prefix)).ok().map(RequestId::new)
    }
}

/// The name metrics give a path: one of the service's own, or `other`.
fn route_of(path: &str) -> &'static str {
    match path {
        "/v1/check" => "/v1/check",
        "/v1/fix" => "/v1/fix",
        "/v1/ruleset" => "/v1/ruleset",
        "/v1/ruleset/reload" => "/v1/ruleset/reload",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ => "other",
    }
}

/// Counts every request by route and status, and times it.
async fn observe(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let route = route_of(request.uri().path());
    let started = Instant::now();
    app.metrics.in_flight().inc();
    let response = next.run(request).await;
    app.metrics.in_flight().dec();
    app.metrics.request(route, response.status().as_u16(), started.elapsed());
    response
}

/// What the load shedder and the timeout answer.
async fn refused(error: BoxError) -> Response {
    if error.is::<tower::load_shed::error::Overloaded>() {
        let mut response = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is at its limit of requests in flight; retry shortly",
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    if error.is::<tower::timeout::error::Elapsed>() {
        let mut response =
            problem(StatusCode::SERVICE_UNAVAILABLE, "the request took longer than the service's request timeout");
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    problem(StatusCode::INTERNAL_SERVER_ERROR, &format!("the request failed: {error}"))
}

/// An error answer: `{"status": 413, "error": "..."}`.
fn problem(status: StatusCode, message: &str) -> Response {
    let body =
        json!({ "schema_version": payrules_intake::SCHEMA_VERSION, "status": status.as_u16(), "error": message });
    (status, Json(body)).into_response()
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "no such route; the API is under /v1 (see the README)")
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.draining.load(Ordering::SeqCst) {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    let active = app.rules.active();
    Json(json!({ "schema_version": payrules_intake::SCHEMA_VERSION, "ready": true, "rule_set": label(&active.rule_set) }))
        .into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut response = app.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// Who may call a route.
#[derive(Clone, Copy)]
enum Scope {
    Check,
    Admin,
}

/// `Ok` when the request may use a route of `scope`, else the answer to give.
fn authorize(app: &App, headers: &HeaderMap, scope: Scope) -> Result<(), Response> {
    let token = match scope {
        Scope::Check => match &app.check_token {
            Some(token) => token,
            None => return Ok(()),
        },
        Scope::Admin => match &app.admin_token {
            Some(token) => token,
            None => {
                return Err(problem(
                    StatusCode::FORBIDDEN,
                    "admin routes are off: start the service with --admin-token-file to use them",
                ));
            }
        },
    };
    if token.accepts(headers) {
        return Ok(());
    }
    let mut response =
        problem(StatusCode::UNAUTHORIZED, "a valid bearer token is required (Authorization: Bearer ...)");
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Err(response)
}

async fn rule_set(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authorize(&app, &headers, Scope::Check) {
        return refusal;
    }
    let active = app.rules.active();
    let rules = &active.rule_set;
    let entries: Vec<Value> = rules
        .entries
        .iter()
        .map(|entry| {
            json!({
                "name": entry.name,
                "payer_ids": entry.payer_ids,
                "effective_from": entry.effective_from,
                "effective_to": entry.effective_to,
                // The service loads every entry's plugin with the rule set.
                "plugin": {
                    "name": entry.plugin().map(|p| &p.info.name),
                    "version": entry.plugin().map(|p| &p.info.version),
                    "contract_version": entry.plugin().map(|p| &p.info.contract_version),
                    "sha256": entry.plugin_sha256,
                },
            })
        })
        .collect();
    Json(json!({
        "schema_version": payrules_intake::SCHEMA_VERSION,
        "rule_set": label(rules),
        "name": rules.name,
        "version": rules.version,
        "description": rules.description,
        "path": rules.path,
        "sha256": rules.sha256,
        "activated_at": humantime::format_rfc3339_millis(active.activated_at).to_string(),
        "entries": entries,
        "last_activation": app.rules.last_attempt(),
    }))
    .into_response()
}

async fn reload(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authorize(&app, &headers, Scope::Admin) {
        return refusal;
    }
    let rules = Arc::clone(&app.rules);
    // Its own task: a client that hangs up does not cut an activation short.
    let attempt = match tokio::spawn(async move { rules.reload("api").await }).await {
        Ok(attempt) => attempt,
        Err(error) => {
            return problem(StatusCode::INTERNAL_SERVER_ERROR, &format!("the reload did not finish: {error}"));
        }
    };
    let status = if attempt.outcome == "succeeded" { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, Json(Versioned { schema_version: payrules_intake::SCHEMA_VERSION, body: attempt })).into_response()
}

/// A response body with the records' schema version beside its own fields.
#[derive(serde::Serialize)]
struct Versioned<T: serde::Serialize> {
    schema_version: u32,
    #[serde(flatten)]
    body: T,
}

/// Query flags of `/v1/check`, as the CLI's flags.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CheckQuery {
    all_payers: bool,
    explain: bool,
}

/// How a body is to be read, from its content type.
enum BodyKind {
    /// JSON Lines, streamed.
    Lines,
    /// Read whole, as this kind.
    Whole(InputKind),
    /// A content type payrules does not read, unless the body is X12.
    Other(String),
}

fn body_kind(headers: &HeaderMap) -> BodyKind {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match essence.as_str() {
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" | "application/x-jsonlines" => {
            BodyKind::Lines
        }
        "application/json" => BodyKind::Whole(InputKind::Json),
        t if t.ends_with("+json") => BodyKind::Whole(InputKind::Json),
        "application/edi-x12" | "application/x12" => BodyKind::Whole(InputKind::X12),
        "application/toml" => BodyKind::Whole(InputKind::Toml),
        "" | "text/plain" | "application/octet-stream" => BodyKind::Whole(InputKind::Unknown),
        other => BodyKind::Other(other.to_owned()),
    }
}

fn wants_lines(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains(NDJSON))
}

fn request_id(headers: &HeaderMap) -> String {
    headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned()
}

/// Reads a body whole, within the size limit.
async fn whole_body(app: &App, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Response> {
    let limit = app.limits.max_body_bytes;
    let too_large = || {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the body is larger than the service's limit of {limit} bytes (--max-body-mib); send JSON Lines to stream a large batch"
            ),
        )
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    // A body too large, declared or found so, is read on and thrown away up
    // to DRAIN_FACTOR times the limit before the 413: a client still sending
    // then reads the answer instead of a reset connection. One declared
    // larger still is refused before it is read.
    let drain = limit.saturating_mul(DRAIN_FACTOR);
    if declared.is_some_and(|length| length > u64::try_from(drain).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    let (mut body, mut bytes, mut seen) = (body, Vec::new(), 0usize);
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|error| problem(StatusCode::BAD_REQUEST, &format!("the body could not be read: {error}")))?;
        let Ok(data) = frame.into_data() else { continue };
        seen = seen.saturating_add(data.len());
        if seen > drain {
            break;
        }
        if seen <= limit {
            bytes.extend_from_slice(&data);
        }
    }
    if seen > limit { Err(too_large()) } else { Ok(bytes) }
}

/// How far past the body limit a too-large body is still read (and discarded).
const DRAIN_FACTOR: usize = 2;

/// The body as text, or a 400 that says why not.
fn body_text(bytes: Vec<u8>) -> Result<(String, TextEncoding), Response> {
    payrules_intake::decode_text(bytes).map_err(|error| {
        problem(StatusCode::BAD_REQUEST, &format!("body: not UTF-8 text ({error}), and not an X12 interchange"))
    })
}

/// Everything one request's records share.
struct Answering {
    app: Arc<App>,
    active: Arc<Active>,
    request_id: String,
    explain: bool,
    label: String,
}

impl Answering {
    fn new(app: &Arc<App>, headers: &HeaderMap, explain: bool) -> Answering {
        // The request's one rule set, taken once: a swap mid-request does not touch it.
        let active = app.rules.active();
        let label = label(&active.rule_set);
        Answering { app: Arc::clone(app), active, request_id: request_id(headers), explain, label }
    }

    fn rule_set(&self) -> &Arc<RuleSet> {
        &self.active.rule_set
    }

    /// The record of one checked claim; its decisions are added to `log`.
    fn record(&self, checked: &Checked, claim: Option<&payrules_model::Claim>, log: &mut Vec<u8>) -> String {
        self.app.metrics.claim(checked);
        if let Some(decisions) = &self.app.decisions {
            let time = crate::rules::now();
            let context = DecisionContext {
                time: &time,
                request_id: &self.request_id,
                rule_set: &self.label,
                rule_set_sha256: &self.active.rule_set.sha256,
                rule_set_path: &self.active.rule_set.path,
            };
            decisions.lines(checked, claim, &context, log);
        }
        checked.record(self.explain)
    }

    /// Writes `log` to the decision log. A decision log that cannot be
    /// written fails the request: an answer that was not logged is not given.
    fn flush(&self, log: &mut Vec<u8>) -> Result<(), Response> {
        if let Some(decisions) = &self.app.decisions {
            decisions.append(log).map_err(|error| {
                tracing::error!(%error, "cannot write the decision log");
                problem(StatusCode::INTERNAL_SERVER_ERROR, "the decision could not be logged")
            })?;
        }
        log.clear();
        Ok(())
    }

    fn header(&self) -> (HeaderName, HeaderValue) {
        (RULE_SET_HEADER, HeaderValue::from_str(&self.label).unwrap_or(HeaderValue::from_static("-")))
    }
}

fn no_answer() -> Response {
    problem(StatusCode::SERVICE_UNAVAILABLE, "the evaluation workers gave no answer")
}

async fn check(
    State(app): State<Arc<App>>,
    Query(query): Query<CheckQuery>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    if let Err(refusal) = authorize(&app, &headers, Scope::Check) {
        return refusal;
    }
    let answering = Answering::new(&app, &headers, query.explain);
    let kind = match body_kind(&headers) {
        BodyKind::Lines => return check_lines(answering, query.all_payers, request.into_body()),
        BodyKind::Whole(kind) => kind,
        BodyKind::Other(content_type) => {
            let bytes = match whole_body(&app, &headers, request.into_body()).await {
                Ok(bytes) => bytes,
                Err(refusal) => return refusal,
            };
            if !bytes.starts_with(b"ISA") {
                return problem(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    &format!(
                        "content type `{content_type}` is not one payrules reads: send application/json, application/x-ndjson, application/toml or application/edi-x12"
                    ),
                );
            }
            return check_whole(answering, &headers, InputKind::X12, bytes, query.all_payers).await;
        }
    };
    match whole_body(&app, &headers, request.into_body()).await {
        Ok(bytes) => check_whole(answering, &headers, kind, bytes, query.all_payers).await,
        Err(refusal) => refusal,
    }
}

async fn check_whole(
    answering: Answering,
    headers: &HeaderMap,
    kind: InputKind,
    bytes: Vec<u8>,
    all_payers: bool,
) -> Response {
    let (text, _) = match body_text(bytes) {
        Ok(text) => text,
        Err(refusal) => return refusal,
    };
    let app = Arc::clone(&answering.app);
    let work = Work::Body { name: "body".to_owned(), kind, text, all_payers };
    let mut log = Vec::new();
    let records: Vec<String> = match app.pool.run(answering.rule_set(), work).await {
        Err(_) => return no_answer(),
        // One claim on its own: one record, or a 400 when it cannot be read.
        Ok(Done::Single { checked, claim }) => {
            if let Checked::Invalid { error, .. } = checked.as_ref() {
                app.metrics.claim(&checked);
                return problem(StatusCode::BAD_REQUEST, error);
            }
            let record = answering.record(&checked, claim.as_deref(), &mut log);
            if let Err(refusal) = answering.flush(&mut log) {
                return refusal;
            }
            let (name, value) = answering.header();
            return ([(name, value), (header::CONTENT_TYPE, HeaderValue::from_static(JSON))], record).into_response();
        }
        Ok(Done::Parsed(inputs)) => {
            // An input that could not be read at all is the request's error, not a record.
            if let [ClaimInput { claim: Err(error), whole: true, .. }] = inputs.as_slice() {
                return problem(StatusCode::BAD_REQUEST, error);
            }
            if inputs.is_empty() {
                return problem(StatusCode::BAD_REQUEST, "body: it holds no claims");
            }
            if inputs.len() > app.limits.max_claims {
                return problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!(
                        "the request holds {} claims; the service takes at most {} per request (--max-claims)",
                        inputs.len(),
                        app.limits.max_claims
                    ),
                );
            }
            let rule_set = Arc::clone(answering.rule_set());
            let pool = app.pool.clone();
            let mut jobs = Vec::new();
            let mut inputs = inputs.into_iter().peekable();
            while inputs.peek().is_some() {
                jobs.push(inputs.by_ref().take(LINES_PER_JOB).collect::<Vec<_>>());
            }
            let mut answers = futures_util::stream::iter(jobs)
                .map(|inputs| {
                    let (pool, rule_set) = (pool.clone(), Arc::clone(&rule_set));
                    async move { pool.run(&rule_set, Work::Inputs { inputs, all_payers }).await }
                })
                .buffered(app.pool.workers() * 2);
            let mut records = Vec::new();
            while let Some(answer) = answers.next().await {
                let Ok(Done::CheckedMany(answers)) = answer else { return no_answer() };
                for (checked, claim) in answers {
                    records.push(answering.record(&checked, claim.as_deref(), &mut log));
                }
            }
            if let Err(refusal) = answering.flush(&mut log) {
                return refusal;
            }
            records
        }
        Ok(Done::Fixed(_) | Done::CheckedMany(_)) => return no_answer(),
    };
    let (name, value) = answering.header();
    if wants_lines(headers) {
        let mut body = String::new();
        for record in &records {
            body.push_str(record);
            body.push('\n');
        }
        return ([(name, value), (header::CONTENT_TYPE, HeaderValue::from_static(NDJSON))], body).into_response();
    }
    // The records are JSON text already: a list of them is a JSON list.
    let body = format!("[{}]", records.join(","));
    ([(name, value), (header::CONTENT_TYPE, HeaderValue::from_static(JSON))], body).into_response()
}

/// One JSON Lines line as the reader found it.
enum Line {
    Text(usize, String),
    TooLong(usize),
    NotUtf8(usize),
    Broken(usize, String),
}

/// Claims handed to a worker at once, at most.
const LINES_PER_JOB: usize = 32;

/// A place in the answer: lines being checked, or one answered without a check.
enum Slot {
    Pending { numbers: Vec<usize>, answer: tokio::task::JoinHandle<Result<Done, crate::pool::NoAnswer>> },
    Ready(Box<Checked>),
}

/// Streams a JSON Lines body through the workers: claims are read, checked
/// (several at once, across the workers) and answered in input order, with
/// a bounded number in flight, so a batch of any size runs in constant memory.
fn check_lines(answering: Answering, all_payers: bool, body: Body) -> Response {
    let app = Arc::clone(&answering.app);
    let Ok(permit) = Arc::clone(&app.streams).try_acquire_owned() else {
        let mut response = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is at its limit of JSON Lines streams in flight; retry shortly",
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let rule_set_header = answering.header();
    // Jobs in flight per request: enough to keep every worker busy.
    let window = app.pool.workers() * 2;
    let (slots, mut slots_in) = tokio::sync::mpsc::channel::<Slot>(window);
    let (out, out_in) = tokio::sync::mpsc::channel::<Bytes>(16);
    let rule_set = Arc::clone(answering.rule_set());
    let limits = app.limits;
    let name: Arc<str> = Arc::from("body");

    // The reader: splits the body into lines and hands them to the workers,
    // a few at a time; whatever has arrived goes at once, so a slow stream
    // is not held back to fill a job.
    let pool = app.pool.clone();
    tokio::spawn(async move {
        let mut lines = split_lines(body.into_data_stream(), limits.max_line_bytes);
        let (mut claims, mut batch) = (0usize, Vec::new());
        let send_batch = |batch: &mut Vec<(usize, String)>| {
            let lines = std::mem::take(batch);
            let numbers = lines.iter().map(|(number, _)| *number).collect();
            let (pool, rule_set, name) = (pool.clone(), Arc::clone(&rule_set), Arc::clone(&name));
            let answer =
                tokio::spawn(async move { pool.run(&rule_set, Work::Lines { name, lines, all_payers }).await });
            Slot::Pending { numbers, answer }
        };
        loop {
            let next = match futures_util::FutureExt::now_or_never(lines.next()) {
                Some(next) => next,
                None if !batch.is_empty() => {
                    if slots.send(send_batch(&mut batch)).await.is_err() {
                        return;
                    }
                    continue;
                }
                None => lines.next().await,
            };
            let ready = match next {
                None => break,
                Some(Line::Text(number, text)) => {
                    claims += 1;
                    if claims <= limits.max_claims {
                        batch.push((number, text));
                        if batch.len() == LINES_PER_JOB && slots.send(send_batch(&mut batch)).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    invalid(
                        &name,
                        number,
                        format!(
                            "the request holds more than {} claims, the service's limit per request (--max-claims); this claim was not checked",
                            limits.max_claims
                        ),
                    )
                }
                Some(Line::TooLong(number)) => {
                    claims += 1;
                    invalid(
                        &name,
                        number,
                        format!(
                            "the line is longer than the service's limit of {} bytes (--max-line-kib)",
                            limits.max_line_bytes
                        ),
                    )
                }
                Some(Line::NotUtf8(number)) => {
                    claims += 1;
                    invalid(&name, number, "the line is not UTF-8 text".to_owned())
                }
                Some(Line::Broken(number, why)) => {
                    invalid(&name, number, format!("the body could not be read past here: {why}"))
                }
            };
            // Lines before this one are answered first.
            if !batch.is_empty() && slots.send(send_batch(&mut batch)).await.is_err() {
                return;
            }
            if slots.send(Slot::Ready(ready)).await.is_err() {
                return;
            }
        }
        if !batch.is_empty() {
            let _ = slots.send(send_batch(&mut batch)).await;
        }
    });

    // The writer: answers in input order, and logs decisions as it goes.
    tokio::spawn(async move {
        let mut log = Vec::new();
        while let Some(slot) = slots_in.recv().await {
            let answers = match slot {
                Slot::Ready(checked) => vec![(checked, None)],
                Slot::Pending { numbers, answer } => match answer.await {
                    Ok(Ok(Done::CheckedMany(answers))) if answers.len() == numbers.len() => answers,
                    // Every line still gets its record.
                    _ => numbers
                        .into_iter()
                        .map(|n| (invalid("body", n, "the evaluation workers gave no answer".to_owned()), None))
                        .collect(),
                },
            };
            let mut text = String::new();
            for (checked, claim) in &answers {
                text.push_str(&answering.record(checked, claim.as_deref(), &mut log));
                text.push('\n');
            }
            if log.len() > 1 << 16 && answering.flush(&mut log).is_err() {
                break;
            }
            if out.send(Bytes::from(text)).await.is_err() {
                break;
            }
        }
        let _ = answering.flush(&mut log);
        drop(permit);
    });

    let stream = futures_util::stream::unfold(out_in, |mut out_in| async move {
        out_in.recv().await.map(|bytes| (Ok::<Bytes, Infallible>(bytes), out_in))
    });
    ([rule_set_header, (header::CONTENT_TYPE, HeaderValue::from_static(NDJSON))], Body::from_stream(stream))
        .into_response()
}

fn invalid(name: &str, number: usize, error: String) -> Box<Checked> {
    Box::new(Checked::Invalid {
        source: format!("{name}:{number}"),
        claim_id: None,
        error: format!("{name}:{number}: {error}"),
    })
}

/// Splits a byte stream into lines of at most `max` bytes; a longer line is
/// reported and skipped to its end, so it costs only its own record.
fn split_lines(
    stream: axum::body::BodyDataStream,
    max: usize,
) -> impl futures_util::Stream<Item = Line> + Send + Unpin {
    struct State {
        stream: axum::body::BodyDataStream,
        buffer: Vec<u8>,
        number: usize,
        skipping: bool,
        done: bool,
        ready: VecDeque<Line>,
    }
    let state = State { stream, buffer: Vec::new(), number: 0, skipping: false, done: false, ready: VecDeque::new() };
    Box::pin(futures_util::stream::unfold(state, move |mut state| async move {
        loop {
            if let Some(line) = state.ready.pop_front() {
                return Some((line, state));
            }
            if state.done {
                return None;
            }
            match state.stream.next().await {
                Some(Ok(chunk)) => {
                    let mut rest: &[u8] = &chunk;
                    while let Some(at) = rest.iter().position(|b| *b == b'\n') {
                        let (head, tail) = rest.split_at(at);
                        rest = tail.get(1..).unwrap_or_default();
                        state.number += 1;
                        if state.skipping {
                            state.skipping = false;
                            state.buffer.clear();
                            continue;
                        }
                        state.buffer.extend_from_slice(head);
                        let bytes = std::mem::take(&mut state.buffer);
                        if let Some(line) = finish_line(state.number, bytes, max) {
                            state.ready.push_back(line);
                        }
                    }
                    if !state.skipping {
                        state.buffer.extend_from_slice(rest);
                        if state.buffer.len() > max {
                            state.skipping = true;
                            state.buffer.clear();
                            state.ready.push_back(Line::TooLong(state.number + 1));
                        }
                    }
                }
                Some(Err(error)) => {
                    state.done = true;
                    state.ready.push_back(Line::Broken(state.number + 1, error.to_string()));
                }
                None => {
                    state.done = true;
                    if !state.skipping && !state.buffer.is_empty() {
                        let bytes = std::mem::take(&mut state.buffer);
                        if let Some(line) = finish_line(state.number + 1, bytes, max) {
                            state.ready.push_back(line);
                        }
                    }
                }
            }
        }
    }))
}

/// A finished line, or nothing for a blank one.
fn finish_line(number: usize, mut bytes: Vec<u8>, max: usize) -> Option<Line> {
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    if bytes.len() > max {
        return Some(Line::TooLong(number));
    }
    match String::from_utf8(bytes) {
        Ok(text) if text.trim().is_empty() => None,
        Ok(text) => Some(Line::Text(number, text.trim_start_matches('\u{feff}').to_owned())),
        Err(_) => Some(Line::NotUtf8(number)),
    }
}

/// Query flags of `/v1/fix`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FixQuery {
    format: Option<String>,
}

async fn fix(
    State(app): State<Arc<App>>,
    Query(query): Query<FixQuery>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    if let Err(refusal) = authorize(&app, &headers, Scope::Check) {
        return refusal;
    }
    let as_json = match query.format.as_deref() {
        None | Some("x12") => false,
        Some("json") => true,
        Some(other) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("format `{other}`: expected `x12` (the default) or `json`"),
            );
        }
    };
    let answering = Answering::new(&app, &headers, false);
    let bytes = match whole_body(&app, &headers, request.into_body()).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal,
    };
    let (text, encoding) = match body_text(bytes) {
        Ok(text) => text,
        Err(refusal) => return refusal,
    };
    if !payrules_intake::is_x12_text(&text) {
        return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, &payrules_intake::FixError::NotX12.to_string());
    }
    let run = match app.pool.run(answering.rule_set(), Work::Fix { text }).await {
        Ok(Done::Fixed(Ok(run))) => run,
        Ok(Done::Fixed(Err(error @ payrules_intake::FixError::Unreadable(_)))) => {
            return problem(StatusCode::BAD_REQUEST, &format!("body: {error}"));
        }
        Ok(Done::Fixed(Err(error))) => return problem(StatusCode::UNPROCESSABLE_ENTITY, &format!("body: {error}")),
        _ => return no_answer(),
    };
    let mut log = Vec::new();
    for claim in &run.claims {
        if let Some((read, report)) = &claim.checked {
            let checked = Checked::Report {
                source: format!("body: segment {}", claim.segment),
                report: Box::new(report.clone()),
            };
            answering.record(&checked, Some(read), &mut log);
        }
    }
    if let Err(refusal) = answering.flush(&mut log) {
        return refusal;
    }
    let (name, value) = answering.header();
    if as_json {
        return ([(name, value)], Json(run.json(&answering.label))).into_response();
    }
    let corrected = run.count(payrules_intake::Fate::Corrected).to_string();
    let left = run.left_for_review().to_string();
    // Written back in the encoding it came in, so untouched segments keep their bytes.
    let bytes = payrules_intake::encode_text(&run.output, encoding);
    (
        [
            (name, value),
            (header::CONTENT_TYPE, HeaderValue::from_static(X12)),
            (
                HeaderName::from_static("x-payrules-corrected"),
                HeaderValue::from_str(&corrected).unwrap_or(HeaderValue::from_static("0")),
            ),
            (
                HeaderName::from_static("x-payrules-left-for-review"),
                HeaderValue::from_str(&left).unwrap_or(HeaderValue::from_static("0")),
            ),
        ],
        bytes,
    )
        .into_response()
}
