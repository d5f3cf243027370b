//! `payrules serve` as a real server on loopback, driven by a real HTTP
//! client (reqwest): every route, every refusal, tokens, live rule set
//! swaps under load, graceful shutdown, and the decision log with replay.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{self, root};

const X12: &str = "application/edi-x12";

/// A `payrules serve` process; killed when dropped.
struct Server {
    child: Child,
    base: String,
    stderr: PathBuf,
    _logs: tempfile::TempDir,
}

impl Server {
    /// Starts `payrules serve --listen 127.0.0.1:0 ARGS` and waits until it listens.
    fn start(args: &[&str]) -> Server {
        let logs = tempfile::tempdir().unwrap();
        let stderr = logs.path().join("stderr.log");
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut child = support::command(&all)
            .env("XDG_CONFIG_HOME", logs.path())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("payrules serve starts");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "no address on stdout: {first:?}; stderr: {}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                )
            })
            .to_owned();
        Server { child, base, stderr, _logs: logs }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends a signal to the server.
    fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        nix::sys::signal::kill(pid, signal).unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

/// The records `payrules check --format json` prints for `file` under
/// `rules`, without `source`, and with the file named as the service names a
/// request body, `body`.
fn cli_records(rules: &Path, file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["check", "--format", "json", "--rules", rules.to_str().unwrap(), file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = support::payrules(&args);
    let name = file.display().to_string();
    let stdout = support::text(&output.stdout).replace(&name, "body");
    support::claim_records(stdout.as_bytes()).into_iter().map(without_source).collect()
}

fn without_source(mut record: Value) -> Value {
    if let Some(object) = record.as_object_mut() {
        object.remove("source");
    }
    record
}

/// The bundled rule set `name` (`default` or `candidate`) with every path made absolute, so a copy works anywhere.
fn rule_set_text(name: &str) -> String {
    let text = std::fs::read_to_string(root().join(format!("examples/rulesets/{name}.toml"))).unwrap();
    text.replace("\"../../target/plugins", &format!("\"{}/target/plugins", root().display()))
        .replace("\"../data/", &format!("\"{}/examples/data/", root().display()))
}

/// Writes `text` to `path` the way a policy team publishes: a new file renamed over the old.
fn publish(path: &Path, text: &str) {
    let next = path.with_extension("toml.next");
    std::fs::write(&next, text).unwrap();
    std::fs::rename(&next, path).unwrap();
}

fn token_file(dir: &Path, name: &str, token: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::write(&path, format!("{token}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// Posts `body` as `content_type` to `url`.
async fn send(
    http: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    http.post(url).header("content-type", content_type).body(body).send().await.unwrap()
}

/// Posts `body` as `content_type` to `url` and reads the answer as JSON.
async fn post_json(http: &reqwest::Client, url: String, content_type: &str, body: Vec<u8>) -> Value {
    let response = send(http, url, content_type, body).await;
    response.json().await.unwrap()
}

/// The records of an answer, without `source`.
fn records_of(answer: Value) -> Vec<Value> {
    let records = match answer {
        Value::Array(records) => records,
        one => vec![one],
    };
    records.into_iter().map(without_source).collect()
}

/// The records of an answer that must be a JSON list, without `source`.
fn records_of_list(answer: Value) -> Vec<Value> {
    assert!(answer.is_array(), "a list of records: {answer}");
    records_of(answer)
}

fn claims_file() -> PathBuf {
    root().join("examples/claims/common-mistakes.json")
}

#[test]
fn every_route_answers_as_the_cli_would() {
    let server = Server::start(&[]);
    let rules = support::default_rules();
    runtime().block_on(async {
        let http = client();
        let text = |path: &'static str| {
            let http = http.clone();
            let url = server.url(path);
            async move {
                let response = http.get(url).send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        assert_eq!(text("/healthz").await, (200, "ok\n".to_owned()));
        let (status, ready) = text("/readyz").await;
        assert_eq!(
            (status, serde_json::from_str::<Value>(&ready).unwrap()),
            (200, json!({"schema_version": 1, "ready": true, "rule_set": "default@2026.1"}))
        );

        // The active rule set: its entries, plugins and the file's own hash.
        let (status, body) = text("/v1/ruleset").await;
        assert_eq!(status, 200, "{body}");
        let active: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(active["rule_set"], "default@2026.1");
        assert_eq!(active["sha256"], payrules_host::sha256_hex(&std::fs::read(&rules).unwrap()));
        assert_eq!(active["last_activation"]["outcome"], "succeeded");
        assert_eq!(active["last_activation"]["trigger"], "startup");
        let medicare = &active["entries"][0];
        assert_eq!(medicare["name"], "medicare");
        assert_eq!(medicare["plugin"]["name"], "medicare");
        assert_eq!(
            medicare["plugin"]["sha256"],
            payrules_host::sha256_hex(&std::fs::read(support::built("plugins/medicare")).unwrap())
        );

        // A JSON list: one record per claim, in order, each what the CLI prints.
        let expected = cli_records(&rules, &claims_file(), &[]);
        let response =
            send(&http, server.url("/v1/check"), "application/json", std::fs::read(claims_file()).unwrap()).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-payrules-rule-set"], "default@2026.1");
        assert!(response.headers().contains_key("x-request-id"));
        assert_eq!(records_of(response.json().await.unwrap()), expected);

        // One claim: one record, not a list.
        let claims: Value = serde_json::from_slice(&std::fs::read(claims_file()).unwrap()).unwrap();
        let claims = json!({ "claims": claims });
        let one = &claims["claims"][0];
        let record: Value = http.post(server.url("/v1/check")).json(one).send().await.unwrap().json().await.unwrap();
        assert_eq!(without_source(record), expected[0]);
        // A batch of one is still a batch: a list of one record.
        for batch in [json!([one]), json!({ "claims": [one] })] {
            let answer =
                post_json(&http, server.url("/v1/check"), "application/json", batch.to_string().into_bytes()).await;
            assert_eq!(records_of_list(answer), vec![expected[0].clone()], "{batch}");
        }

        // NDJSON in, NDJSON out, in order.
        let lines: String = claims["claims"].as_array().unwrap().iter().map(|c| format!("{c}\n")).collect();
        let response = send(&http, server.url("/v1/check"), "application/x-ndjson", lines).await;
        assert_eq!(response.headers()["content-type"], "application/x-ndjson");
        let body = response.text().await.unwrap();
        let streamed: Vec<Value> = body.lines().map(|l| without_source(serde_json::from_str(l).unwrap())).collect();
        assert_eq!(streamed, expected);

        // X12, by content type and by its ISA alone.
        let x12 = root().join("examples/x12/therapy-batch.837");
        let expected_x12 = cli_records(&rules, &x12, &[]);
        for content_type in ["application/edi-x12", "text/plain"] {
            let answer = post_json(&http, server.url("/v1/check"), content_type, std::fs::read(&x12).unwrap()).await;
            assert_eq!(records_of(answer), expected_x12, "{content_type}");
        }

        // TOML.
        let toml = root().join("examples/claims/hip-replacement.toml");
        let answer = post_json(&http, server.url("/v1/check"), "application/toml", std::fs::read(&toml).unwrap()).await;
        assert!(answer.is_object(), "one TOML claim on its own, one record: {answer}");
        assert_eq!(records_of(answer), cli_records(&rules, &toml, &[]));

        // ?all_payers and ?explain do what the flags do.
        for (query, flag) in [("all_payers=true", "--all-payers"), ("explain=true", "--explain")] {
            let url = server.url(&format!("/v1/check?{query}"));
            let answer = post_json(&http, url, "application/json", std::fs::read(claims_file()).unwrap()).await;
            assert_eq!(records_of(answer), cli_records(&rules, &claims_file(), &[flag]), "{query}");
        }
        let explained = cli_records(&rules, &claims_file(), &["--explain"]);
        assert!(explained.iter().any(|r| r.to_string().contains("price_steps")));
        assert!(!expected.iter().any(|r| r.to_string().contains("price_steps")));

        // /v1/fix: the corrected 837P the CLI writes, or what was applied as JSON.
        let fixes = root().join("examples/x12/therapy-fixes.837");
        let cli_fixed = support::payrules(&["fix", fixes.to_str().unwrap()]).stdout;
        let response = http.post(server.url("/v1/fix")).body(std::fs::read(&fixes).unwrap()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/edi-x12");
        assert_eq!(response.headers()["x-payrules-corrected"], "3");
        assert_eq!(response.bytes().await.unwrap().to_vec(), cli_fixed);
        let applied = post_json(&http, server.url("/v1/fix?format=json"), X12, std::fs::read(&fixes).unwrap()).await;
        assert_eq!(applied["summary"]["corrected"], 3);
        assert_eq!(applied["claims"][2]["notes"][0], json!({"kind": "applied", "text": "add modifier CQ to line 1"}));

        // Metrics: requests by route and status, claims by payer and verdict, the rule set.
        let (status, metrics) = text("/metrics").await;
        assert_eq!(status, 200);
        assert!(metrics.contains("payrules_http_requests_total{route=\"/v1/check\",status=\"200\"}"), "{metrics}");
        assert!(metrics.contains("payrules_http_request_duration_seconds_bucket{le="), "{metrics}");
        assert!(metrics.contains("payrules_claims_total{payer=\"MEDICARE\",verdict=\"findings\"}"), "{metrics}");
        assert!(metrics.contains("payrules_claim_fuel_count"), "{metrics}");
        assert!(metrics.contains("payrules_rule_set_info{name=\"default\",version=\"2026.1\",sha256=\""), "{metrics}");
        assert!(metrics.contains("payrules_rule_set_activations_total{outcome=\"succeeded\"} 1"), "{metrics}");
        assert_eq!(text("/v2/nothing").await.0, 404);
    });
}

#[test]
fn bad_requests_get_located_errors_and_a_bad_claim_in_a_batch_costs_only_its_record() {
    let server = Server::start(&["--max-body-mib", "1", "--max-claims", "3", "--max-lines-per-claim", "2"]);
    runtime().block_on(async {
        // A new connection per request: some of these answers close theirs, and a
        // pooled connection the server has just closed would fail the next send.
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(60)).build().unwrap();
        let post = |content_type: &'static str, body: Vec<u8>| {
            let http = http.clone();
            let url = server.url("/v1/check");
            async move {
                let response = send(&http, url, content_type, body).await;
                let status = response.status().as_u16();
                (status, response.headers().clone(), response.text().await.unwrap())
            }
        };
        // A malformed single claim: 400 with the CLI's located message.
        let (status, _, body) = post("application/json", b"{\"id\": \"C1\", \"payer\": 7}".to_vec()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["error"],
            "body:1: `payer`: invalid type: integer `7`, expected struct Payer"
        );
        let (status, _, body) = post("application/json", b"{\"claims\": [".to_vec()).await;
        assert_eq!(status, 400, "{body}");

        // Inside a batch, one invalid-input record and the others still checked.
        let good = serde_json::to_value(support::claim("GOOD-1")).unwrap();
        let batch = json!([good, {"id": "BROKEN", "payer": 7}, good]);
        let (status, _, body) = post("application/json", batch.to_string().into_bytes()).await;
        assert_eq!(status, 200, "{body}");
        let records: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0]["status"], "evaluated");
        assert_eq!(records[1]["status"], "invalid-input");
        assert_eq!(records[1]["claim_id"], "BROKEN");
        assert_eq!(records[2]["status"], "evaluated");

        // Lines per claim.
        let mut long = support::claim("LONG");
        let line = long.lines[0].clone();
        for number in 2..=3 {
            let mut more = line.clone();
            more.number = number;
            long.lines.push(more);
        }
        let (status, _, body) = post("application/json", serde_json::to_vec(&long).unwrap()).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("the claim has 3 service lines; this service accepts at most 2 per claim"), "{body}");

        // Claims per request: whole bodies are refused; a stream answers each extra claim as invalid input.
        let four = json!([good, good, good, good]).to_string().into_bytes();
        let (status, _, body) = post("application/json", four).await;
        assert_eq!(status, 413, "{body}");
        assert!(body.contains("the request holds 4 claims; the service takes at most 3 per request"), "{body}");
        let lines = format!("{good}\n{good}\n{good}\n{good}\n").into_bytes();
        let (status, _, body) = post("application/x-ndjson", lines).await;
        assert_eq!(status, 200);
        let streamed: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(
            streamed.iter().map(|r| r["status"].as_str().unwrap()).collect::<Vec<_>>(),
            ["evaluated", "evaluated", "evaluated", "invalid-input"]
        );
        assert!(streamed[3]["error"].as_str().unwrap().contains("more than 3 claims"), "{body}");

        // Body size: a declared length over twice the limit is refused before the body is read
        // (so a raw request that never sends it still gets its answer), and a body longer than
        // the limit, declared or not, is read on (up to twice the limit) and refused, so the
        // client reads the answer rather than a reset connection.
        let address = server.base.trim_start_matches("http://").to_owned();
        let answer = tokio::task::spawn_blocking(move || {
            use std::io::{Read as _, Write as _};
            let mut stream = std::net::TcpStream::connect(address).unwrap();
            stream.write_all(b"POST /v1/check HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: 3145728\r\nconnection: close\r\n\r\n").unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer
        })
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("larger than the service's limit"), "{answer}");
        let (status, _, body) = post("application/json", vec![b' '; (3 << 20) / 2]).await;
        assert_eq!(status, 413, "{body}");

        // Content type: refused unless the body is X12 anyway.
        let (status, _, body) = post("image/png", b"\x89PNG".to_vec()).await;
        assert_eq!(status, 415, "{body}");
        // Three claims: within this server's limit.
        let x12 = std::fs::read(root().join("examples/x12/therapy-fixes.837")).unwrap();
        let (status, _, _) = post("application/octet-stream", x12.clone()).await;
        assert_eq!(status, 200);
        let (status, _, _) = post("application/pdf", x12).await;
        assert_eq!(status, 200);
        let (status, _, body) = post("application/json", vec![0xff, 0xfe, b'{']).await;
        assert_eq!(status, 400, "{body}");

        // /v1/fix takes X12 only.
        let response = http.post(server.url("/v1/fix")).json(&good).send().await.unwrap();
        assert_eq!(response.status(), 415);
        let response = http.post(server.url("/v1/fix")).body("ISA*00*broken~").send().await.unwrap();
        assert_eq!(response.status(), 400);
    });
}

/// A request body that sends `head`, then waits `pause` before ending.
fn stalled_body(head: &'static [u8], pause: Duration) -> reqwest::Body {
    let stream = futures_util::stream::unfold(0u8, move |step| async move {
        match step {
            0 => Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(head)), 1)),
            1 => {
                tokio::time::sleep(pause).await;
                None
            }
            _ => None,
        }
    });
    reqwest::Body::wrap_stream(stream)
}

#[test]
fn load_beyond_the_limit_is_shed_with_retry_after_and_a_slow_request_times_out() {
    let server = Server::start(&["--max-in-flight", "1", "--request-timeout-secs", "1"]);
    runtime().block_on(async {
        let http = client();
        // The first request holds the only slot while its body trickles in, until the timeout ends it.
        let slow = tokio::spawn({
            let (http, url) = (http.clone(), server.url("/v1/check"));
            async move {
                let response = send(&http, url, "application/json", stalled_body(b"[", Duration::from_secs(3))).await;
                (response.status().as_u16(), response.text().await.unwrap())
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let response = http.post(server.url("/v1/check")).json(&support::claim("SHED")).send().await.unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        assert!(response.text().await.unwrap().contains("limit of requests in flight"));
        let (status, body) = slow.await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("request timeout"), "{body}");
        // Health routes are never shed.
        assert_eq!(http.get(server.url("/healthz")).send().await.unwrap().status(), 200);

        // A JSON Lines stream holds its place for as long as it runs, not only until its head.
        let line: &'static [u8] = Box::leak(
            format!("{}\n", serde_json::to_string(&support::claim("STREAM")).unwrap()).into_bytes().into_boxed_slice(),
        );
        let streaming =
            send(&http, server.url("/v1/check"), "application/x-ndjson", stalled_body(line, Duration::from_secs(2)))
                .await;
        assert_eq!(streaming.status(), 200);
        let second = send(&http, server.url("/v1/check"), "application/x-ndjson", line).await;
        assert_eq!(second.status(), 503);
        assert_eq!(second.headers()["retry-after"], "1");
        let answered = streaming.text().await.unwrap();
        assert_eq!(answered.lines().count(), 1, "{answered}");
        // Once it has ended, the next stream is served.
        let third = send(&http, server.url("/v1/check"), "application/x-ndjson", line).await;
        assert_eq!(third.status(), 200);
    });
}

#[test]
fn admin_routes_are_off_without_a_token_and_tokens_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let off = Server::start(&[]);
    runtime().block_on(async {
        let response = client().post(off.url("/v1/ruleset/reload")).send().await.unwrap();
        assert_eq!(response.status(), 403);
        assert!(response.text().await.unwrap().contains("admin routes are off"));
    });
    drop(off);

    let admin = token_file(dir.path(), "admin.token", "admin-secret-0123456789");
    let check = token_file(dir.path(), "check.token", "check-secret-0123456789");
    let server =
        Server::start(&["--admin-token-file", admin.to_str().unwrap(), "--check-token-file", check.to_str().unwrap()]);
    runtime().block_on(async {
        let http = client();
        let reload = |token: Option<&'static str>| {
            let mut request = http.post(server.url("/v1/ruleset/reload"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            async move { request.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(reload(None).await, 401);
        assert_eq!(reload(Some("admin-secret-012345678")).await, 401);
        assert_eq!(reload(Some("check-secret-0123456789")).await, 401);
        assert_eq!(reload(Some("admin-secret-0123456789")).await, 200);

        let claim = support::claim("TOKEN");
        let response = http.post(server.url("/v1/check")).json(&claim).send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let response = http
            .post(server.url("/v1/check"))
            .bearer_auth("check-secret-0123456789")
            .json(&claim)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(http.get(server.url("/v1/ruleset")).send().await.unwrap().status(), 401);
        assert_eq!(http.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    });

    // A token file others can read is refused at startup.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&admin, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output =
        support::payrules(&["serve", "--listen", "127.0.0.1:0", "--admin-token-file", admin.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("can be read by others"));
}

#[test]
fn a_candidate_that_fails_any_check_is_refused_and_the_old_rule_set_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("active.toml");
    publish(&active, &rule_set_text("default"));
    let admin = token_file(dir.path(), "admin.token", "admin-secret-0123456789");
    let server = Server::start(&["--rules", active.to_str().unwrap(), "--admin-token-file", admin.to_str().unwrap()]);
    let default = rule_set_text("default");
    let medicare_pin = payrules_host::sha256_hex(&std::fs::read(support::built("plugins/medicare")).unwrap());
    let medicare_pin = medicare_pin.as_str();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"not a component").unwrap();
    let garbage_pin = payrules_host::sha256_hex(b"not a component");
    let self_pay_kit = format!("effective_from = 2024-01-01\nkit = \"{}/plugins/self-pay/kit\"", root().display());
    let candidates = [
        ("a wrong pin", default.replacen(medicare_pin, &"0".repeat(64), 1), "sha256"),
        (
            "a plugin that does not load",
            default.replacen(
                &format!("{}/target/plugins/medicare.wasm\"\nsha256 = \"{medicare_pin}\"", root().display()),
                &format!("{}\"\nsha256 = \"{garbage_pin}\"", garbage.display()),
                1,
            ),
            "garbage.wasm",
        ),
        (
            "a failing test kit",
            default.replace("discount_percent = 10", "discount_percent = 20").replacen(
                "effective_from = 2024-01-01\n\n[payer.config]\ndiscount_percent",
                &format!("{self_pay_kit}\n\n[payer.config]\ndiscount_percent"),
                1,
            ),
            "test kit",
        ),
    ];
    runtime().block_on(async {
        let http = client();
        for (what, text, expected) in &candidates {
            assert_ne!(text, &default, "{what}: the candidate must differ");
            publish(&active, &text.replace("version = \"2026.1\"", "version = \"2026.1-bad\""));
            let response = http
                .post(server.url("/v1/ruleset/reload"))
                .bearer_auth("admin-secret-0123456789")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 422, "{what}");
            let attempt: Value = response.json().await.unwrap();
            assert_eq!(attempt["outcome"], "failed", "{what}");
            assert!(attempt["error"].as_str().unwrap().contains(expected), "{what}: {attempt}");
            let status: Value = http.get(server.url("/v1/ruleset")).send().await.unwrap().json().await.unwrap();
            assert_eq!(status["rule_set"], "default@2026.1", "{what}: the old rule set still serves");
            assert_eq!(status["last_activation"]["outcome"], "failed");
            let record: Value = http
                .post(server.url("/v1/check"))
                .json(&support::claim("STILL"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(record["receipt"]["rule_set"], "default@2026.1", "{what}");
        }
        let metrics = http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("payrules_rule_set_activations_total{outcome=\"failed\"} 3"), "{metrics}");
        // The kit itself passes under the bundled configuration, so it is the changed discount that failed it.
        publish(
            &active,
            &default.replacen(
                "effective_from = 2024-01-01\n\n[payer.config]\ndiscount_percent",
                &format!("{self_pay_kit}\n\n[payer.config]\ndiscount_percent"),
                1,
            ),
        );
        let response =
            http.post(server.url("/v1/ruleset/reload")).bearer_auth("admin-secret-0123456789").send().await.unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    });
    assert!(server.logs().contains("rule set refused; the active rule set keeps serving"));
}

/// The expected record of each claim under each rule set, from the CLI.
fn expected_by_rule_set(claims: &Path, dir: &Path) -> std::collections::HashMap<(String, String), Value> {
    let mut expected = std::collections::HashMap::new();
    for name in ["default", "candidate"] {
        let rules = dir.join(format!("{name}.toml"));
        std::fs::write(&rules, rule_set_text(name)).unwrap();
        for record in cli_records(&rules, claims, &[]) {
            let key = (
                record["receipt"]["rule_set"].as_str().unwrap_or("none").to_owned(),
                record["claim_id"].as_str().unwrap().to_owned(),
            );
            expected.insert(key, record);
        }
    }
    expected
}

#[test]
fn rule_sets_swap_under_load_with_no_failed_request_and_no_mixed_response() {
    let dir = tempfile::tempdir().unwrap();
    let claims_path = dir.path().join("claims.jsonl");
    let generated = support::payrules(&["gen", "--count", "64", "--seed", "7"]);
    std::fs::write(&claims_path, &generated.stdout).unwrap();
    let claims: Vec<Value> =
        String::from_utf8(generated.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let expected = std::sync::Arc::new(expected_by_rule_set(&claims_path, dir.path()));
    let differing = claims
        .iter()
        .filter(|c| {
            let id = c["id"].as_str().unwrap().to_owned();
            expected.get(&("default@2026.1".to_owned(), id.clone())).map(without_receipt)
                != expected.get(&("default@2026.2-candidate".to_owned(), id)).map(without_receipt)
        })
        .count();
    assert!(differing > 0, "some claims must come out differently under the two versions");

    let active = dir.path().join("active.toml");
    publish(&active, &rule_set_text("default"));
    let admin = token_file(dir.path(), "admin.token", "admin-secret-0123456789");
    let server = Server::start(&["--rules", active.to_str().unwrap(), "--admin-token-file", admin.to_str().unwrap()]);
    let claims = std::sync::Arc::new(claims);
    let (swaps, checked, responses) = runtime().block_on(async {
        let http = client();
        let until = Instant::now() + Duration::from_secs(10);
        let mut clients = Vec::new();
        for task in 0..16usize {
            let (http, url, claims, expected) =
                (http.clone(), server.url("/v1/check"), claims.clone(), expected.clone());
            clients.push(tokio::spawn(async move {
                let (mut claims_checked, mut responses) = (0usize, 0usize);
                let mut round = task;
                while Instant::now() < until {
                    round += 1;
                    // Single claims, lists of eight and NDJSON batches, in turn.
                    let start = (round * 5) % claims.len();
                    let picked: Vec<&Value> =
                        claims.iter().cycle().skip(start).take(if round % 3 == 0 { 1 } else { 8 }).collect();
                    let request = match round % 3 {
                        0 => http.post(&url).json(picked[0]),
                        1 => http.post(&url).json(&picked),
                        _ => http
                            .post(&url)
                            .header("content-type", "application/x-ndjson")
                            .body(picked.iter().map(|c| format!("{c}\n")).collect::<String>()),
                    };
                    let response = request.send().await.expect("no request fails");
                    assert_eq!(response.status(), 200, "no request fails");
                    let named = response.headers()["x-payrules-rule-set"].to_str().unwrap().to_owned();
                    let body = response.text().await.unwrap();
                    let records: Vec<Value> = match round % 3 {
                        0 => vec![serde_json::from_str(&body).unwrap()],
                        1 => serde_json::from_str(&body).unwrap(),
                        _ => body.lines().map(|l| serde_json::from_str(l).unwrap()).collect(),
                    };
                    assert_eq!(records.len(), picked.len());
                    let mut rule_sets: Vec<&str> =
                        records.iter().filter_map(|r| r["receipt"]["rule_set"].as_str()).collect();
                    rule_sets.dedup();
                    assert!(rule_sets.len() <= 1, "one response, one rule set: {body}");
                    assert!(
                        rule_sets.iter().all(|r| *r == named),
                        "the header names the records' rule set: {named} {body}"
                    );
                    for record in &records {
                        let rule_set = record["receipt"]["rule_set"].as_str().unwrap_or("none").to_owned();
                        let key = (rule_set, record["claim_id"].as_str().unwrap().to_owned());
                        assert_eq!(
                            &without_source(record.clone()),
                            expected.get(&key).expect("a known claim"),
                            "the outcome its rule set gives"
                        );
                    }
                    claims_checked += records.len();
                    responses += 1;
                }
                (claims_checked, responses)
            }));
        }
        let swapper = tokio::spawn({
            let (http, url, active) = (http.clone(), server.url("/v1/ruleset/reload"), active.clone());
            async move {
                let mut swaps = 0usize;
                while Instant::now() < until {
                    let name = if swaps.is_multiple_of(2) { "candidate" } else { "default" };
                    publish(&active, &rule_set_text(name));
                    let response = http.post(&url).bearer_auth("admin-secret-0123456789").send().await.unwrap();
                    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
                    swaps += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                swaps
            }
        });
        let mut totals = (0usize, 0usize);
        for client in clients {
            let (claims, responses) = client.await.expect("a client task found a wrong answer");
            totals.0 += claims;
            totals.1 += responses;
        }
        (swapper.await.unwrap(), totals.0, totals.1)
    });
    assert!(swaps >= 20, "{swaps} swaps");
    assert!(responses > 100 && checked > responses, "{responses} responses, {checked} claims");
}

fn without_receipt(record: &Value) -> Value {
    let mut record = record.clone();
    if let Some(object) = record.as_object_mut() {
        object.remove("receipt");
    }
    record
}

#[test]
fn sigterm_finishes_the_requests_in_flight_and_exits_zero() {
    let mut server = Server::start(&["--grace-secs", "20"]);
    let answered = runtime().block_on(async {
        let http = client();
        let claim = serde_json::to_string(&support::claim("IN-FLIGHT")).unwrap();
        // A request whose body is still arriving when the signal comes.
        let head: &'static [u8] = Box::leak(format!("[{claim},").into_bytes().into_boxed_slice());
        let tail: &'static [u8] = Box::leak(format!("{claim}]").into_bytes().into_boxed_slice());
        let stream = futures_util::stream::unfold(0u8, move |step| async move {
            match step {
                0 => Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(head)), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    Some((Ok(bytes::Bytes::from_static(tail)), 2))
                }
                _ => None,
            }
        });
        let in_flight = tokio::spawn({
            let (http, url) = (http.clone(), server.url("/v1/check"));
            async move {
                let response = send(&http, url, "application/json", reqwest::Body::wrap_stream(stream)).await;
                (response.status().as_u16(), response.json::<Vec<Value>>().await.unwrap())
            }
        });
        tokio::time::sleep(Duration::from_millis(400)).await;
        server.signal(nix::sys::signal::Signal::SIGTERM);
        let (status, records) = in_flight.await.unwrap();
        assert_eq!(status, 200);
        records
    });
    assert_eq!(answered.len(), 2);
    assert!(answered.iter().all(|r| r["status"] == "evaluated"));
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", server.logs());
    assert!(server.logs().contains("shutting down"));
}

#[test]
fn sighup_and_a_watched_file_reload_the_rule_set() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("active.toml");
    publish(&active, &rule_set_text("default"));
    let server = Server::start(&["--rules", active.to_str().unwrap(), "--watch"]);
    let version = || -> Value {
        runtime()
            .block_on(async { client().get(server.url("/v1/ruleset")).send().await.unwrap().json().await.unwrap() })
    };
    let wait_for = |wanted: &str, trigger: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = version();
            if status["rule_set"] == wanted && status["last_activation"]["trigger"] == trigger {
                return;
            }
            assert!(Instant::now() < deadline, "never became {wanted} by {trigger}: {status}\n{}", server.logs());
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    publish(&active, &rule_set_text("candidate"));
    wait_for("default@2026.2-candidate", "watch");
    // Written in place this time, then a SIGHUP, which reloads whether or not the watcher saw it.
    std::fs::write(&active, rule_set_text("default")).unwrap();
    server.signal(nix::sys::signal::Signal::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(60);
    while version()["rule_set"] != "default@2026.1" {
        assert!(Instant::now() < deadline, "{}", server.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_decision_log_masks_patients_and_replay_finds_exactly_the_changed_claims() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let key = dir.path().join("mask.key");
    let active = dir.path().join("active.toml");
    publish(&active, &rule_set_text("default"));
    let claims_path = dir.path().join("claims.jsonl");
    let generated = support::payrules(&["gen", "--count", "40", "--seed", "11"]);
    std::fs::write(&claims_path, &generated.stdout).unwrap();
    let claims: Vec<Value> =
        String::from_utf8(generated.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let server = Server::start(&[
        "--rules",
        active.to_str().unwrap(),
        "--decision-log",
        log.to_str().unwrap(),
        "--decision-log-claims",
        "--decision-log-key",
        key.to_str().unwrap(),
    ]);
    runtime().block_on(async {
        let http = client();
        http.post(server.url("/v1/check")).json(&claims[0]).send().await.unwrap();
        http.post(server.url("/v1/check")).json(&claims[1..20]).send().await.unwrap();
        let lines: String = claims[20..].iter().map(|c| format!("{c}\n")).collect();
        let body = send(&http, server.url("/v1/check"), "application/x-ndjson", lines).await.text().await.unwrap();
        assert_eq!(body.lines().count(), 20);
    });
    let text = std::fs::read_to_string(&log).unwrap();
    let decisions: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(decisions.len(), claims.len(), "one decision per evaluated claim");
    for (decision, claim) in decisions.iter().zip(&claims) {
        assert_eq!(decision["claim_id"], claim["id"]);
        assert_eq!(decision["rule_set"], "default@2026.1");
        assert!(decision["request_id"].as_str().is_some_and(|id| !id.is_empty()));
        let patient = claim["patient"]["id"].as_str().unwrap();
        let birth = claim["patient"]["birth_date"].as_str().unwrap();
        let line = decision.to_string();
        assert!(!line.contains(&format!("\"{patient}\"")) && !line.contains(birth), "unmasked patient data: {line}");
        assert!(decision["claim"]["patient"]["id"].as_str().unwrap().starts_with("hash:"));
    }
    assert!(!server.logs().contains(claims[0]["patient"]["id"].as_str().unwrap()));

    // Unchanged rule set: no drift. The candidate: exactly the claims the CLI's diff names.
    let replay = support::payrules(&["replay", log.to_str().unwrap()]);
    assert_eq!(replay.status.code(), Some(0), "{}", String::from_utf8_lossy(&replay.stdout));
    let summary = String::from_utf8(replay.stdout).unwrap();
    assert!(summary.ends_with("40 decision(s) replayed: 40 same, 0 differ, 0 could not be replayed\n"), "{summary}");

    let candidate = dir.path().join("candidate.toml");
    std::fs::write(&candidate, rule_set_text("candidate")).unwrap();
    let replay = support::payrules(&[
        "replay",
        log.to_str().unwrap(),
        "--rules",
        candidate.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(replay.status.code(), Some(1));
    let drifted: Vec<String> = String::from_utf8(replay.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .inspect(|r| assert_eq!(r["schema_version"], 1, "{r}"))
        .filter(|r| r["status"] == "drift")
        .map(|r| r["claim_id"].as_str().unwrap().to_owned())
        .collect();
    let diff = support::payrules(&[
        "diff",
        "--format",
        "json",
        "--base",
        active.to_str().unwrap(),
        "--candidate",
        candidate.to_str().unwrap(),
        claims_path.to_str().unwrap(),
    ]);
    let changed: Vec<String> = String::from_utf8(diff.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["status"] == "changed")
        .map(|r| r["claim_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!changed.is_empty());
    assert_eq!(drifted, changed);
}

#[test]
fn logs_are_json_lines_with_request_ids_and_hold_no_patient_data() {
    let dir = tempfile::tempdir().unwrap();
    let rogue = support::built("test-plugins/rogue");
    let sha = payrules_host::sha256_hex(&std::fs::read(&rogue).unwrap());
    let rules = support::one_entry_rule_set(dir.path(), &rogue, &sha, "");
    let server = Server::start(&["--rules", rules.to_str().unwrap(), "--log-format", "json"]);
    let with_patient = |id: &str| {
        let mut claim = serde_json::to_value(support::claim(id)).unwrap();
        claim["patient"] = json!({ "id": "PATIENT-SECRET-77", "birth_date": "1931-07-04" });
        claim
    };
    runtime().block_on(async {
        let http = client();
        // A plugin that panics, one that breaks the contract, one that answers, and a claim that cannot be read.
        let batch = json!([
            with_patient("panic-CLAIM-SECRET-1"),
            with_patient("extra-line-CLAIM-SECRET-2"),
            with_patient("CLAIM-SECRET-3")
        ]);
        let records: Vec<Value> =
            http.post(server.url("/v1/check")).json(&batch).send().await.unwrap().json().await.unwrap();
        assert_eq!(
            records.iter().map(|r| r["status"].as_str().unwrap()).collect::<Vec<_>>(),
            ["failed", "failed", "evaluated"]
        );
        let mut unreadable = with_patient("CLAIM-SECRET-4");
        unreadable["lines"][0]["units"] = json!("UNITS-SECRET");
        let response = http.post(server.url("/v1/check")).json(&unreadable).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let metrics = http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("payrules_plugin_failures_total{kind=\"trap\"} 1"), "{metrics}");
        assert!(metrics.contains("payrules_plugin_failures_total{kind=\"contract-violation\"} 1"), "{metrics}");
        assert!(metrics.contains("payrules_claims_total{payer=\"MEDICARE\",verdict=\"failed\"} 2"), "{metrics}");
    });
    let logs = server.logs();
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let answered: Vec<&Value> =
        lines.iter().filter(|l| l["fields"]["message"] == "finished processing request").collect();
    assert!(answered.len() >= 3, "{logs}");
    assert!(answered.iter().all(|l| l["span"]["request_id"].as_str().is_some_and(|id| id.len() > 8)), "{logs}");
    assert!(lines.iter().any(|l| l["level"] == "WARN" && l["fields"]["kind"] == "trap"), "{logs}");
    for secret in ["PATIENT-SECRET", "1931-07-04", "CLAIM-SECRET", "UNITS-SECRET"] {
        assert!(!logs.contains(secret), "{secret} reached the log: {logs}");
    }
}

#[test]
fn with_a_trusted_key_the_service_serves_and_swaps_in_only_signed_rule_sets() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("signer");
    assert!(support::payrules(&["keygen", key.to_str().unwrap()]).status.success());
    let public = format!("{}.pub", key.display());
    let active = dir.path().join("active.toml");
    publish(&active, &rule_set_text("default"));

    // Unsigned: the service does not start.
    let output = support::payrules(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--rules",
        active.to_str().unwrap(),
        "--trusted-key",
        &public,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is not signed"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let sign = |path: &Path| {
        assert!(support::payrules(&["sign", path.to_str().unwrap(), "--key", key.to_str().unwrap()]).status.success())
    };
    sign(&active);
    let admin = token_file(dir.path(), "admin.token", "admin-secret-0123456789");
    let server = Server::start(&[
        "--rules",
        active.to_str().unwrap(),
        "--trusted-key",
        &public,
        "--admin-token-file",
        admin.to_str().unwrap(),
    ]);
    runtime().block_on(async {
        let http = client();
        let reload = || async {
            http.post(server.url("/v1/ruleset/reload"))
                .bearer_auth("admin-secret-0123456789")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        // A new version whose signature no longer matches is refused; signed, it is swapped in.
        publish(&active, &rule_set_text("candidate"));
        assert_eq!(reload().await, 422);
        sign(&active);
        assert_eq!(reload().await, 200);
        let status: Value = http.get(server.url("/v1/ruleset")).send().await.unwrap().json().await.unwrap();
        assert_eq!(status["rule_set"], "default@2026.2-candidate");
    });
}
