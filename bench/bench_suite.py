"""Each test tier's wall time, run the way a contributor runs it (`bin/artguard test ...`, two
xdist workers), one tier after another on this machine. Compare with the budgets in
docs/quality.md ("Tiers and their budgets"); a new feature brings its test time with it.

    .venv/bin/python bench/bench_suite.py               # quick tier only (about 3 min)
    .venv/bin/python bench/bench_suite.py --tiers all   # quick, e2e, production, whole suite

Figures only: the tests' own pass/fail is reported, nothing about time is asserted.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIERS = {
    "quick": ["--quick"],
    "e2e (no production)": ["-m", "e2e and not production"],
    "production": ["-m", "production"],
    "whole suite": [],
}
SUMMARY = re.compile(r"=+ (.*?) in ([\d.]+)s")


def run_tier(args: list[str]) -> tuple[float, str, float | None]:
    started = time.monotonic()
    result = subprocess.run([str(ROOT / "bin" / "artguard"), "test", "-q", *args], cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - started
    found = SUMMARY.findall(result.stdout)
    outcome, pytest_seconds = (found[-1][0], float(found[-1][1])) if found else (f"exit {result.returncode}", None)
    return wall, outcome, pytest_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="quick", help="comma-separated tier names, or 'all' (%s)" % ", ".join(TIERS))
    chosen = list(TIERS) if parser.parse_args().tiers == "all" else [t.strip() for t in parser.parse_args().tiers.split(",")]
    print(f"{'tier':<22} {'wall':>9} {'pytest':>9}  outcome")
    for name in chosen:
        wall, outcome, pytest_seconds = run_tier(TIERS[name])
        shown = f"{pytest_seconds:8.0f}s" if pytest_seconds is not None else "       -"
        print(f"{name:<22} {wall:8.0f}s {shown}  {outcome}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
