#!/usr/bin/env bash
# Measures `payrules serve` for BENCHMARKS.md: builds the release binary and
# the load generator (benches/serve_load.rs), starts the service on loopback
# with the bundled rule set, and runs single-claim requests at concurrency 1,
# 16 and 64, NDJSON batches, and both again while the rule set is swapped
# every second. Each run prints one line.
#
# usage: bash scripts/bench-serve.sh [SECONDS]   (default 10 per run)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
root=$(pwd)
work=target/bench-serve
mkdir -p "$work"
chmod 700 "$work"

cargo build --release --locked --bin payrules
cargo bench --locked --bench serve_load --no-run 2>/dev/null
load() { cargo bench --locked --bench serve_load -q -- --url "http://127.0.0.1:8799" --claims "$work/claims.jsonl" --seconds "$seconds" "$@"; }

./target/release/payrules gen --count 20000 --seed 3 > "$work/claims.jsonl"
# The bundled rule set and its candidate, with paths made absolute so copies work from here.
for name in default candidate; do
    sed -e "s|\"../../target/plugins|\"$root/target/plugins|g" -e "s|\"../data/|\"$root/examples/data/|g" \
        "examples/rulesets/$name.toml" > "$work/$name.toml"
done
sed -e 's/^reuse_instances = false/reuse_instances = true/' "$work/default.toml" > "$work/warm.toml"
cp "$work/default.toml" "$work/active.toml"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/admin.token"
chmod 600 "$work/admin.token"

serve() {
    RUST_LOG=warn ./target/release/payrules serve --rules "$1" --listen 127.0.0.1:8799 \
        --admin-token-file "$work/admin.token" --max-in-flight 1024 > "$work/serve.out" 2> "$work/serve.err" &
    server=$!
    until grep -q listening "$work/serve.out" 2>/dev/null; do sleep 0.1; done
}
stop() { kill -TERM "$server"; wait "$server" || true; }
trap 'kill -TERM "$server" 2>/dev/null || true' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "--- fresh instance per claim (the bundled rule set)"
serve "$work/active.toml"
load --mode single --concurrency 1
load --mode single --concurrency 16
load --mode single --concurrency 64
load --mode ndjson --concurrency 2 --batch 1000
load --mode ndjson --concurrency 8 --batch 1000
echo "--- the same while the rule set is swapped every second"
swap=(--swap-active "$work/active.toml" --swap-version "$work/candidate.toml" --swap-version "$work/default.toml" --swap-token "$(cat "$work/admin.token")" --swap-every-ms 1000)
load --mode single --concurrency 16 "${swap[@]}"
load --mode ndjson --concurrency 8 --batch 1000 "${swap[@]}"
stop
echo "--- warm instances (reuse_instances = true)"
serve "$work/warm.toml"
load --mode single --concurrency 16
load --mode ndjson --concurrency 8 --batch 1000
stop
