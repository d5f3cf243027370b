#!/usr/bin/env python3
"""Writes an 837P of N transaction sets for the X12 runs in BENCHMARKS.md, by
repeating the transaction set of examples/x12/therapy-fixes.837 (three
claims each) with fresh control numbers and claim ids.

usage: python3 scripts/bench-837.py N OUT.837
"""
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
segments = [s.strip() for s in (root / "examples/x12/therapy-fixes.837").read_text().split("~") if s.strip()]
isa, gs = segments[0], segments[1]
body = segments[3:-3]  # between ST and SE
count, out = int(sys.argv[1]), pathlib.Path(sys.argv[2])
with out.open("w") as f:
    f.write(isa + "~\n" + gs + "~\n")
    for n in range(1, count + 1):
        control = f"{n:04d}"[-9:]
        f.write(f"ST*837*{control}*005010X222A1~\n")
        for segment in body:
            if segment.startswith("CLM*"):
                parts = segment.split("*")
                parts[1] = f"{parts[1]}-{n}"
                segment = "*".join(parts)
            f.write(segment + "~\n")
        f.write(f"SE*{len(body) + 2}*{control}~\n")
    f.write(f"GE*{count}*102~\nIEA*1*000000102~\n")
