//! A load generator for `payrules serve`: N client tasks on one HTTP/1.1
//! connection pool (reqwest, on hyper) post claims for a fixed time and
//! report requests/s, claims/s and latency percentiles. It can also publish
//! a new rule set version every so often, to measure serving during swaps.
//!
//! `scripts/bench-serve.sh` builds the release binary, starts the service and
//! runs the configurations BENCHMARKS.md records. By hand:
//!
//! ```text
//! cargo bench --bench serve_load -- --url http://127.0.0.1:8787 --claims claims.jsonl \
//!     --mode single --concurrency 16 --seconds 10
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark that cannot run should stop"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Options {
    url: String,
    claims: PathBuf,
    mode: String,
    concurrency: usize,
    seconds: u64,
    batch: usize,
    swap: Option<Swap>,
}

/// Publishes `versions` in turn over `active` and asks for a reload, every `every`.
struct Swap {
    active: PathBuf,
    versions: Vec<PathBuf>,
    token: String,
    every: Duration,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mut options = Options {
        url: "http://127.0.0.1:8787".to_owned(),
        claims: PathBuf::new(),
        mode: "single".to_owned(),
        concurrency: 16,
        seconds: 10,
        batch: 1000,
        swap: None,
    };
    let (mut active, mut versions, mut token, mut every) = (None, Vec::new(), String::new(), 1000u64);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => options.url = value(),
            "--claims" => options.claims = PathBuf::from(value()),
            "--mode" => options.mode = value(),
            "--concurrency" => options.concurrency = value().parse().unwrap(),
            "--seconds" => options.seconds = value().parse().unwrap(),
            "--batch" => options.batch = value().parse().unwrap(),
            "--swap-active" => active = Some(PathBuf::from(value())),
            "--swap-version" => versions.push(PathBuf::from(value())),
            "--swap-token" => token = value(),
            "--swap-every-ms" => every = value().parse().unwrap(),
            other => panic!("unknown option {other}"),
        }
    }
    if let Some(active) = active {
        assert!(versions.len() >= 2, "--swap-active needs two --swap-version files");
        options.swap = Some(Swap { active, versions, token, every: Duration::from_millis(every) });
    }
    options
}

/// The `q`-th per-mille of sorted `values`.
fn permille(values: &[u64], q: usize) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values[(values.len() - 1) * q / 1000]
}

fn main() {
    let options = options();
    let lines: Vec<String> = std::fs::read_to_string(&options.claims)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    assert!(!lines.is_empty(), "no claims in {}", options.claims.display());
    let lines = Arc::new(lines);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async move {
        let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build().unwrap();
        let url = format!("{}/v1/check", options.url);
        let until = Instant::now() + Duration::from_secs(options.seconds);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for task in 0..options.concurrency {
            let (http, url, lines, mode, batch) = (http.clone(), url.clone(), lines.clone(), options.mode.clone(), options.batch);
            tasks.push(tokio::spawn(async move {
                let (mut latencies, mut claims, mut errors) = (Vec::new(), 0u64, 0u64);
                let mut next = task * 7919;
                while Instant::now() < until {
                    let (request, count) = if mode == "ndjson" {
                        let body: String = (0..batch).map(|i| format!("{}\n", lines[(next + i) % lines.len()])).collect();
                        next += batch;
                        (http.post(&url).header("content-type", "application/x-ndjson").body(body), batch)
                    } else {
                        next += 1;
                        (http.post(&url).header("content-type", "application/json").body(lines[next % lines.len()].clone()), 1)
                    };
                    let sent = Instant::now();
                    match request.send().await {
                        Ok(response) if response.status().is_success() => match response.bytes().await {
                            Ok(body) => {
                                let answered = if mode == "ndjson" { body.iter().filter(|b| **b == b'\n').count() } else { 1 };
                                if answered == count {
                                    claims += count as u64;
                                } else {
                                    errors += 1;
                                }
                            }
                            Err(_) => errors += 1,
                        },
                        _ => errors += 1,
                    }
                    latencies.push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
                }
                (latencies, claims, errors)
            }));
        }
        let swapper = options.swap.map(|swap| {
            let (http, reload) = (http.clone(), format!("{}/v1/ruleset/reload", options.url));
            tokio::spawn(async move {
                let (mut swaps, mut failed) = (0u64, 0u64);
                while Instant::now() < until {
                    tokio::time::sleep(swap.every).await;
                    let version = &swap.versions[usize::try_from(swaps).unwrap() % swap.versions.len()];
                    let next = swap.active.with_extension("toml.next");
                    std::fs::copy(version, &next).unwrap();
                    std::fs::rename(&next, &swap.active).unwrap();
                    let response = http.post(&reload).bearer_auth(&swap.token).send().await;
                    if response.is_ok_and(|r| r.status().is_success()) { swaps += 1 } else { failed += 1 }
                }
                (swaps, failed)
            })
        });
        let (mut latencies, mut claims, mut errors) = (Vec::new(), 0u64, 0u64);
        for task in tasks {
            let (l, c, e) = task.await.unwrap();
            latencies.extend(l);
            claims += c;
            errors += e;
        }
        let elapsed = started.elapsed().as_micros().max(1);
        latencies.sort_unstable();
        let requests = latencies.len() as u128;
        let per_second = |n: u128| n * 1_000_000 / elapsed;
        let ms = |micros: u64| format!("{}.{:02}", micros / 1000, (micros % 1000) / 10);
        print!(
            "mode {} concurrency {}{}: {} requests in {} s, {} errors; {} requests/s, {} claims/s; latency p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
            options.mode,
            options.concurrency,
            if options.mode == "ndjson" { format!(" batch {}", options.batch) } else { String::new() },
            requests,
            options.seconds,
            errors,
            per_second(requests),
            per_second(u128::from(claims)),
            ms(permille(&latencies, 500)),
            ms(permille(&latencies, 900)),
            ms(permille(&latencies, 990)),
            ms(latencies.last().copied().unwrap_or(0)),
        );
        if let Some(swapper) = swapper {
            let (swaps, failed) = swapper.await.unwrap();
            print!("; {swaps} swaps ({failed} failed)");
        }
        println!();
    });
}
