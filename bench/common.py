"""What every benchmark shares: Django set-up against a chosen DynamoDB, and one result format.

Each benchmark is a script of its own (`python bench/bench_x.py`) that ends with `report(...)`:
it prints a table and writes bench/results/<name>.json, which `bench/run.py` gathers into
bench/results/latest.md. Figures only, never assertions: speed is measured here, not in tests."""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass
class Figure:
    name: str
    measured: float
    unit: str
    target: str = ""            # e.g. "<= 3 s", ">= 3x"; empty when only reported
    met: bool | None = None     # None when there is no target
    naive: float | None = None  # the naive way, measured in the same run
    ratio: float | None = None  # naive / measured (how many times better)
    note: str = ""
    extra: dict = field(default_factory=dict)


def django_setup(*, dynamodb_host: str | None = None, data_dir: Path | None = None) -> None:
    """Point Django at a throwaway data folder (and a DynamoDB Local when given), then set up."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "artguard.settings")
    os.environ.setdefault("ARTGUARD_ENV", "test")
    os.environ.setdefault("ARTGUARD_Q_SYNC", "true")
    os.environ.setdefault("ARTGUARD_MODAL", "false")
    os.environ.pop("ANTHROPIC_API_KEY", None)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "ca-central-1")
    if data_dir is not None:
        os.environ["ARTGUARD_DATA_DIR"] = str(data_dir)
    if dynamodb_host:
        os.environ["DYNAMODB_HOST"] = dynamodb_host
    import django

    django.setup()


@contextmanager
def local_stack(name: str) -> Iterator[Path]:
    """A throwaway ArtGuard for one benchmark: an in-memory DynamoDB Local, Django set up with
    its data under a scratch folder, the six tables provisioned. Yields the scratch folder;
    everything is stopped and removed afterwards."""
    sys.path.insert(0, str(ROOT))
    from artguard import dynamodb_local

    scratch = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    port = dynamodb_local.free_port()
    process = dynamodb_local.start(port=port, db_path=None)
    try:
        django_setup(dynamodb_host=f"http://127.0.0.1:{port}", data_dir=scratch / "data")
        from artguard.provisioning import tables_provision

        tables_provision()
        yield scratch
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(scratch, ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def format_table(figures: list[Figure]) -> str:
    rows = [("figure", "target", "measured", "naive", "ratio", "met")]
    for fig in figures:
        rows.append((
            fig.name, fig.target or "-", f"{fig.measured:.4g} {fig.unit}",
            "-" if fig.naive is None else f"{fig.naive:.4g} {fig.unit}",
            "-" if fig.ratio is None else f"{fig.ratio:.2f}x",
            {True: "yes", False: "NO", None: "-"}[fig.met],
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def report(name: str, figures: list[Figure], *, details: dict | None = None) -> None:
    print(f"\n== {name} ==")
    print(format_table(figures))
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],  # 1, 5, 15 min: was the machine shared?
        },
        "figures": [asdict(fig) for fig in figures],
        "details": details or {},
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2))
