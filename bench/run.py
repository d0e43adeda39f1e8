"""Run every benchmark, one process each, and print one table: figure, target, measured, the
naive way measured in the same run, and their ratio. Writes bench/results/latest.md.

    .venv/bin/python bench/run.py            # all
    .venv/bin/python bench/run.py history    # those whose file name contains "history"
    .venv/bin/python bench/run.py --quick    # smaller counts, for a smoke run
    .venv/bin/python bench/run.py --collect  # no runs: gather the last saved result of each
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import RESULTS, ROOT, Figure, format_table  # noqa: E402

BENCH_DIR = ROOT / "bench"


def discover(filters: list[str]) -> list[Path]:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    return [s for s in scripts if not filters or any(f in s.stem for f in filters)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("filters", nargs="*")
    parser.add_argument("--quick", action="store_true", help="pass --quick to each benchmark")
    parser.add_argument("--collect", action="store_true", help="run nothing; tabulate each benchmark's last saved result")
    args = parser.parse_args()
    sections, failures, own_tables = [], [], []
    for script in discover(args.filters) if args.collect else []:
        path = RESULTS / f"{script.stem.removeprefix('bench_')}.json"
        if not path.exists():
            failures.append(f"{script.name} (never run)")
            continue
        payload = json.loads(path.read_text())
        if "figures" not in payload:  # a benchmark with its own table (bench_verdicts): point to it
            own_tables.append(f"- {path.stem}: see bench/results/{path.name} (rows per seed and means)")
            continue
        sections.append((path.stem, payload, [Figure(**fig) for fig in payload["figures"]], None))
    for script in [] if args.collect else discover(args.filters):
        name = script.stem.removeprefix("bench_")
        print(f"[bench] {script.name} ...", flush=True)
        started = time.monotonic()
        command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        result = subprocess.run(command, cwd=ROOT)
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            failures.append(script.name)
            print(f"[bench] {script.name} FAILED (exit {result.returncode})", flush=True)
            continue
        path = RESULTS / f"{name}.json"
        if not path.exists():
            failures.append(script.name)
            continue
        payload = json.loads(path.read_text())
        if "figures" not in payload:
            own_tables.append(f"- {name}: see bench/results/{path.name} (rows per seed and means)")
            continue
        figures = [Figure(**fig) for fig in payload["figures"]]
        sections.append((name, payload, figures, elapsed))
    when = "Collected" if args.collect else "Run"
    lines = ["# Benchmark results", "", f"{when} {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
             "naive and optimised ways measured in the same run; ratio = naive / measured. "
             "The machine (2 cores) was shared with other work; each section gives its load.", ""]
    for name, payload, figures, elapsed in sections:
        machine = payload.get("machine", {})
        took = f"took {elapsed:.0f} s" if elapsed is not None else f"measured {payload.get('when')}"
        load = machine.get("load_average_at_end")
        load_text = f"; load average at the end {load[0]} / {load[1]} / {load[2]} (1 / 5 / 15 min)" if load else ""
        lines += [f"## {name}", "", f"{machine.get('cpus')} CPUs, Python {machine.get('python')}; {took}{load_text}.", "",
                  "```", format_table(figures), "```", ""]
        notes = [f"- {fig.name}: {fig.note}" for fig in figures if fig.note]
        lines += notes + ([""] if notes else [])
    lines += (["## Benchmarks with their own tables", ""] + own_tables + [""]) if own_tables else []
    missed = [fig.name for _, _, figures, _ in sections for fig in figures if fig.met is False]
    lines.append(f"Targets missed: {', '.join(missed) or 'none'}. Benchmarks failed: {', '.join(failures) or 'none'}.")
    text = "\n".join(lines) + "\n"
    (RESULTS / "latest.md").write_text(text)
    print("\n" + text)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
