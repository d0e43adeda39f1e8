"""Load on loopback: concurrent users upload artworks (2048x1536 JPEGs by default) and browse
their history against a live ArtGuard with a quick demo model promoted, in two profiles:

    local        the local default: DynamoDB Local, local folders, ORM broker, one qcluster, gunicorn
                 (tests/e2e/livestack.py, what `bin/artguard run` starts)
    redis, sqs   the production profile: gunicorn, S3 on moto's server, Redis or SQS, DynamoDB Local,
                 two worker hosts (tests/e2e/prodstack.py)

Bounded in count and time. Afterwards every record must be COMPLETED or FAILED with a reason:
none lost, duplicated or stuck PENDING. The load average is recorded before and after (the
machine may be shared). Latencies are the client's; gunicorn's own time for the same requests,
from its access log, is reported beside them.

    .venv/bin/python bench/bench_load.py [--users 10] [--uploads-per-user 10] [--profiles local,redis] [--quick]
        [--compare ARTGUARD_WEB_THREADS=4,8]   # each profile once per value of one setting, in one run
        [--worker-niceness 0,10]               # short for --compare ARTGUARD_WORKER_NICENESS=0,10
"""
from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, format_table, percentile, report  # noqa: E402
from tests.e2e.livestack import start_live_stack  # noqa: E402
from tests.e2e.processes import own_cpu_seconds, process_role, tree_cpu_seconds  # noqa: E402
from tests.e2e.prodstack import start_production_stack  # noqa: E402

PROFILES = ("local", "redis", "sqs")

PASSWORD = "correct-horse-battery-staple"


def painting_jpeg(seed: int, size=(1600, 1200)) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    base = rng.integers(40, 200, size=3)
    noise = rng.normal(0, 25, size=(size[1] // 8, size[0] // 8, 3))
    small = np.clip(base + noise, 0, 255).astype("uint8")
    image = Image.fromarray(small).resize(size)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def token_for(stack, email: str) -> str:
    code = (
        "from accounts.services import user_create, api_token_create;"
        f"u = user_create(email='{email}', password='{PASSWORD}');"
        "print(api_token_create(user_id=u.user_id))"
    )
    return stack.manage("shell", "-c", code).stdout.strip().splitlines()[-1]


def ensure_model(stack) -> None:
    """A promoted model in the live stack: the quick demo one unless one already serves."""
    stack.manage("bootstrap_demo", "--quick", timeout=1200)


def run_load(stack, *, users: int, uploads_per_user: int, history_reads: int, deadline: float = 600,
             image_size: tuple[int, int] = (1600, 1200)) -> dict:
    """Concurrent users upload and browse; then wait for every record to finish and account for
    each one. Returns counts and latencies (seconds)."""
    tokens = [token_for(stack, f"load{uuid.uuid4().hex[:8]}@example.com") for _ in range(users)]
    upload_latency, history_latency, ids, errors = [], [], {}, []
    history_beside_uploads, history_after_uploads = [], []  # split by whether any upload was in flight
    uploads_in_flight = [0]
    lock = threading.Lock()

    # Made before the clock starts: the client's JPEG encoding is not the server's time.
    bodies = {(index, n): painting_jpeg(index * 100 + n, size=image_size) for index in range(users) for n in range(uploads_per_user)}

    def read_history(session) -> None:
        with lock:
            beside_uploads = uploads_in_flight[0] > 0
        started = time.perf_counter()
        response = session.get(stack.base_url + "/api/detections/", timeout=30)
        with lock:
            history_latency.append(time.perf_counter() - started)
            (history_beside_uploads if beside_uploads or uploads_in_flight[0] else history_after_uploads).append(history_latency[-1])
        if response.status_code != 200:
            errors.append(f"history {response.status_code}")

    def user_session(index: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {tokens[index]}"
        mine = []
        for n in range(uploads_per_user):
            body = bodies[(index, n)]
            key = str(uuid.uuid4())
            for attempt in range(2):  # the second send of one key must not make a second record
                with lock:
                    uploads_in_flight[0] += 1
                started = time.perf_counter()
                try:
                    response = session.post(
                        stack.base_url + "/api/detections/",
                        files={"file": (f"work{n}.jpg", body, "image/jpeg")},
                        data={"attributed_artist": "Demo Hand A", "title": f"Study {n}"},
                        headers={"Idempotency-Key": key}, timeout=120,
                    )
                finally:
                    with lock:
                        uploads_in_flight[0] -= 1
                        upload_latency.append(time.perf_counter() - started)
                if response.status_code != 202:
                    errors.append(f"upload {response.status_code}: {response.text[:200]}")
                    break
                if attempt == 0:
                    mine.append(response.json()["id"])
            read_history(session)  # history is read while the uploads are being processed
        for _ in range(max(0, history_reads - uploads_per_user)):
            read_history(session)
        ids[index] = mine

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user_session, range(users)))

    listed: dict[str, list[str]] = {}
    stop_at = time.monotonic() + deadline
    while True:
        listed.clear()
        for index in ids:
            session = requests.Session()
            session.headers["Authorization"] = f"Token {tokens[index]}"
            page = session.get(stack.base_url + "/api/detections/?limit=100", timeout=30).json()
            for item in page["results"]:
                listed.setdefault(item["id"], []).append(item["status"])
        done = all(listed.get(i, [None])[0] in ("COMPLETED", "FAILED") for mine in ids.values() for i in mine)
        if done or time.monotonic() > stop_at:
            break
        time.sleep(2)
    elapsed = time.perf_counter() - started
    expected = {i for mine in ids.values() for i in mine}
    return {
        "submitted": len(expected),
        "expected": users * uploads_per_user,
        "lost": sorted(expected - set(listed)),
        "duplicated": sorted(i for i, statuses in listed.items() if len(statuses) > 1),
        "unexpected": sorted(set(listed) - expected),
        "stuck": sorted(i for i in expected if listed.get(i, [None])[0] not in ("COMPLETED", "FAILED")),
        "completed": sum(1 for i in expected if listed.get(i, [None])[0] == "COMPLETED"),
        "failed": sum(1 for i in expected if listed.get(i, [None])[0] == "FAILED"),
        "elapsed": elapsed,
        "upload_latency": upload_latency,
        "history_latency": history_latency,
        "history_beside_uploads_latency": history_beside_uploads,
        "history_after_uploads_latency": history_after_uploads,
        "errors": errors,
    }


# gunicorn logs each request's own time (microseconds): how long the server took, apart from
# waiting for a free thread and the client's side of the loopback, which share these 2 cores.
ACCESS_LOG_ARGS = "--access-logfile - --access-logformat '%(m)s %(U)s %(q)s %(s)s %(D)s'"
ACCESS_LINE = re.compile(r"(GET|POST) /api/detections/ (\S*) (\d{3}) (\d+)'?$")


def server_times(web_log: str) -> dict[str, list[float]]:
    """{"history": [...], "upload": [...]} in seconds, from gunicorn's access log; the final
    `?limit=100` listings that wait for the analyses are left out, as the client leaves them."""
    times: dict[str, list[float]] = {"history": [], "upload": []}
    for line in web_log.splitlines():
        match = ACCESS_LINE.search(line.strip())
        if match and not match.group(2).startswith("limit=100"):
            times["history" if match.group(1) == "GET" else "upload"].append(int(match.group(4)) / 1e6)
    return times


def start_stack(profile: str, folder: Path, variant: dict[str, str] | None = None):
    extra_env = {"ARTGUARD_UPLOADS_PER_HOUR": "1000", "GUNICORN_CMD_ARGS": ACCESS_LOG_ARGS, **(variant or {})}
    if profile == "local":
        return start_live_stack(folder, extra_env=extra_env)
    return start_production_stack(folder, broker=profile, extra_env=extra_env)


def stack_roots(stack) -> dict[str, int]:
    """The stack's top processes by role, for CPU accounting (worker hosts summed as "workers")."""
    return {f"{process_role(process)}#{process.pid}": process.pid for process in stack.processes}


def cpu_by_role(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    used: dict[str, float] = {}
    for name, seconds in after.items():
        role = name.split("#")[0]
        used[role] = used.get(role, 0.0) + seconds - before.get(name, 0.0)
    return used


def measure(profile: str, args, variant: dict[str, str] | None = None) -> tuple[list[Figure], dict]:
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(profile, Path(tmp) / profile, variant)
        try:
            print(f"[load] {profile}: preparing a quick demo model ...", flush=True)
            ensure_model(stack)
            load_before = os.getloadavg()
            roots = stack_roots(stack)
            cpu_before, own_before = tree_cpu_seconds(roots), own_cpu_seconds()
            print(f"[load] {profile}: {args.users} users x {args.uploads_per_user} uploads of "
                  f"{args.width}x{args.height} ...", flush=True)
            result = run_load(stack, users=args.users, uploads_per_user=args.uploads_per_user,
                              history_reads=args.history_reads, deadline=args.deadline,
                              image_size=(args.width, args.height))
            load_after = os.getloadavg()
            cpu = cpu_by_role(cpu_before, tree_cpu_seconds(roots))
            cpu["load generator"] = own_cpu_seconds() - own_before
            web_log = stack.data_dir / "web.log"
            served = server_times(web_log.read_text(errors="replace") if web_log.exists() else "")
        finally:
            stack.stop()
    bad = len(result["lost"]) + len(result["duplicated"]) + len(result["unexpected"]) + len(result["stuck"])
    setup = ("gunicorn (as bin/artguard run), one qcluster (2 worker processes), ORM broker, local folders" if profile == "local" else
             f"gunicorn 2x4 threads, two qcluster hosts (2 worker processes each), {profile} broker, S3 on moto")
    load_text = f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min)"
    label = profile if not variant else f"{profile} ({', '.join(f'{k}={v}' for k, v in variant.items())})"
    figures = [
        Figure(f"{label}: uploads accepted", result["submitted"], "records", target=f"= {result['expected']}",
               met=result["submitted"] == result["expected"], note="each sent twice with one Idempotency-Key"),
        Figure(f"{label}: records lost / duplicated / stuck", bad, "records", target="= 0", met=bad == 0),
        Figure(f"{label}: records completed", result["completed"], "records"),
        Figure(f"{label}: throughput, upload to finished", result["submitted"] / result["elapsed"], "images/s",
               target=">= 3", met=result["submitted"] / result["elapsed"] >= 3,
               note=f"{args.users} users, {args.width}x{args.height}; {setup}; {load_text}"),
        Figure(f"{label}: upload accepted p50", percentile(result["upload_latency"], 50) * 1000, "ms"),
        Figure(f"{label}: upload accepted p95", percentile(result["upload_latency"], 95) * 1000, "ms"),
        Figure(f"{label}: history p50 (under load)", percentile(result["history_latency"], 50) * 1000, "ms"),
        Figure(f"{label}: history p95 (under load)", percentile(result["history_latency"], 95) * 1000, "ms",
               target="<= 100", met=percentile(result["history_latency"], 95) <= 0.100),
    ]
    for kind in ("upload", "history"):
        if served[kind]:
            figures.append(Figure(f"{label}:   {kind} p50 / p95 in the server (gunicorn's own time)", percentile(served[kind], 95) * 1000, "ms",
                                  note=f"p50 {percentile(served[kind], 50) * 1000:.0f} ms, {len(served[kind])} requests; the rest of "
                                       "the client's figure is waiting for a free thread and the client itself, on the same cores"))
    for part, what in (("beside_uploads", "while another upload is in flight"), ("after_uploads", "once the uploads are in, the analyses still running")):
        latencies = result[f"history_{part}_latency"]
        if latencies:
            figures.append(Figure(f"{label}:   history p50 / p95 {what}", percentile(latencies, 95) * 1000, "ms",
                                  note=f"p50 {percentile(latencies, 50) * 1000:.0f} ms, {len(latencies)} reads"))
    submitted = max(1, result["submitted"])
    for role, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        figures.append(Figure(f"{label}: CPU per image, {role}", seconds / submitted, "CPU-s",
                              note="the bench process (HTTP client" + (", outage-switch proxies)" if profile != "local" else ")")
                              if role == "load generator" else ""))
    figures.append(Figure(f"{label}: CPU per image, all processes", sum(cpu.values()) / submitted, "CPU-s",
                          note=f"{sum(cpu.values()):.0f} CPU-s over {result['elapsed']:.0f} s wall on {os.cpu_count()} CPUs"))
    if result["errors"]:
        print(f"[load] {label}: {len(result['errors'])} errors, first: {result['errors'][:3]}", flush=True)
    return figures, {key: value for key, value in result.items() if not key.endswith("latency")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--uploads-per-user", type=int, default=10)
    parser.add_argument("--history-reads", type=int, default=20)
    parser.add_argument("--width", type=int, default=2048)
    parser.add_argument("--height", type=int, default=1536)
    parser.add_argument("--profiles", default="local,redis", help=f"comma-separated, of {', '.join(PROFILES)}")
    parser.add_argument("--deadline", type=float, default=900, help="seconds allowed for all records to finish")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--compare", default=None, metavar="SETTING=V1,V2",
                        help="run each profile once per value of this ARTGUARD_ setting (default: the product's defaults only)")
    parser.add_argument("--worker-niceness", default=None, help="short for --compare ARTGUARD_WORKER_NICENESS=...")
    args = parser.parse_args()
    if args.quick:
        args.users, args.uploads_per_user, args.history_reads = 2, 2, 10
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        parser.error(f"unknown profile(s) {unknown}; choose from {PROFILES}")

    figures, details = [], {}
    compare = args.compare or (f"ARTGUARD_WORKER_NICENESS={args.worker_niceness}" if args.worker_niceness else None)
    variants: list[dict[str, str]] = [{}]
    if compare:
        setting, _, values = compare.partition("=")
        if not setting.startswith("ARTGUARD_") or not values:
            parser.error("--compare takes ARTGUARD_SETTING=value1,value2")
        variants = [{setting: value.strip()} for value in values.split(",")]
    for profile in profiles:
        for variant in variants:
            name = "-".join([profile, *(f"{k}={v}" for k, v in variant.items())])
            profile_figures, details[name] = measure(profile, args, variant)
            figures += profile_figures
            print(format_table(profile_figures), flush=True)  # each profile's figures as soon as they exist
    report("load", figures, details=details)


if __name__ == "__main__":
    main()
