#!/usr/bin/env python3
"""Writes a JSON Lines batch of N claims for the memory and throughput runs in
BENCHMARKS.md, by cycling the bundled example claims with fresh ids.

usage: python3 scripts/bench-batch.py N OUT.jsonl
(Realistic synthetic claims are `payrules gen`'s job, a later issue.)
"""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
base = json.loads((root / "examples/claims/cms-20-2-examples.json").read_text())["claims"]
base += json.loads((root / "examples/claims/common-mistakes.json").read_text())
count, out = int(sys.argv[1]), pathlib.Path(sys.argv[2])
with out.open("w") as f:
    for i in range(count):
        claim = dict(base[i % len(base)])
        claim["id"] = f"{claim['id']}-{i}"
        f.write(json.dumps(claim, separators=(",", ":")) + "\n")
