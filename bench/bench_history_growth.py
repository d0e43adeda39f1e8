"""How history cost grows with the records a user has: first-page time (p50, p95) at 100, 1,000,
10,000 and 100,000 records for one user on DynamoDB Local. One Query with a limit reads one
page whatever the partition holds, so the slope should be flat; the table shows whether it is.

    .venv/bin/python bench/bench_history_growth.py [--max 100000] [--quick]
"""
from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, Timer, local_stack, percentile, report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.max, args.repeats = 10_000, 30
    counts = [n for n in (100, 1_000, 10_000, 100_000) if n <= args.max]

    with local_stack("history-growth"):
        from artguard.dynamo import now_ms
        from bench.bench_history import fill
        from detection import selectors

        rows = {}
        for count in counts:
            user_id = uuid.uuid4().hex
            with Timer() as filling:
                for start in range(0, count, 5_000):
                    fill(user_id, min(5_000, count - start), start_ms=now_ms() - 10 * (count - start) - 60_000, full_size=False)
            print(f"[history-growth] {count} records written in {filling.seconds:.0f} s", flush=True)
            for _ in range(10):
                selectors.inferences_page_for_user(user_id=user_id)
            times = []
            for _ in range(args.repeats):
                with Timer() as t:
                    page = selectors.inferences_page_for_user(user_id=user_id)
                times.append(t.seconds * 1000)
            assert len(page.records) == min(count, 20)
            rows[count] = (percentile(times, 50), percentile(times, 95))

    smallest, largest = counts[0], counts[-1]
    figures = []
    for count, (p50, p95) in rows.items():
        figures.append(Figure(f"first page at {count:,} records: p95", p95, "ms", target="<= 50 ms", met=p95 <= 50,
                              note=f"p50 {p50:.1f} ms"))
    figures.append(Figure(f"slope: p50 at {largest:,} / p50 at {smallest:,} records", rows[largest][0] / rows[smallest][0], "x",
                          note=f"{largest // smallest}x more records; summary-size items (bench_history measures full-size ones at 10,000)"))
    report("history_growth", figures, details={"p50_p95_ms_by_records": rows})


if __name__ == "__main__":
    main()
