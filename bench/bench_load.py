"""Load on loopback: concurrent users upload artworks and browse their history against a live
ArtGuard (DynamoDB Local, runserver, one qcluster worker) with a quick demo model promoted.
Bounded in count and time. Afterwards every record must be COMPLETED or FAILED with a reason:
none lost, duplicated or stuck PENDING.

    .venv/bin/python bench/bench_load.py [--users 4] [--uploads-per-user 3] [--quick]
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, percentile, report  # noqa: E402
from tests.e2e.livestack import start_live_stack  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--uploads-per-user", type=int, default=3)
    parser.add_argument("--history-reads", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=600, help="seconds allowed for all records to finish")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.users, args.uploads_per_user, args.history_reads = 2, 2, 10

    with tempfile.TemporaryDirectory() as tmp:
        stack = start_live_stack(Path(tmp) / "live", extra_env={"ARTGUARD_UPLOADS_PER_HOUR": "1000"})
        try:
            print("[load] preparing a quick demo model in the live stack ...", flush=True)
            stack.manage("bootstrap_demo", "--quick", timeout=1200)
            tokens = [token_for(stack, f"load{i}@example.com") for i in range(args.users)]
            upload_latency, history_latency, ids, errors = [], [], {}, []
            lock = threading.Lock()

            def user_session(index: int) -> None:
                session = requests.Session()
                session.headers["Authorization"] = f"Token {tokens[index]}"
                mine = []
                for n in range(args.uploads_per_user):
                    body = painting_jpeg(index * 100 + n)
                    key = str(uuid.uuid4())
                    started = time.perf_counter()
                    response = session.post(
                        stack.base_url + "/api/detections/",
                        files={"file": (f"work{n}.jpg", body, "image/jpeg")},
                        data={"attributed_artist": "Load Tester", "title": f"Study {n}"},
                        headers={"Idempotency-Key": key}, timeout=60,
                    )
                    with lock:
                        upload_latency.append(time.perf_counter() - started)
                    if response.status_code != 202:
                        errors.append(f"upload {response.status_code}: {response.text[:200]}")
                        continue
                    mine.append(response.json()["id"])
                for _ in range(args.history_reads):
                    started = time.perf_counter()
                    response = session.get(stack.base_url + "/api/detections/", timeout=30)
                    with lock:
                        history_latency.append(time.perf_counter() - started)
                    if response.status_code != 200:
                        errors.append(f"history {response.status_code}")
                ids[index] = mine

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.users) as pool:
                list(pool.map(user_session, range(args.users)))
            submitted = sum(len(v) for v in ids.values())

            # Wait until every record is finished, then check nothing was lost or duplicated.
            final: dict[str, str] = {}
            deadline = time.monotonic() + args.deadline
            while time.monotonic() < deadline:
                final.clear()
                for index, mine in ids.items():
                    session = requests.Session()
                    session.headers["Authorization"] = f"Token {tokens[index]}"
                    listed = session.get(stack.base_url + "/api/detections/?limit=100", timeout=30).json()
                    for item in listed["results"]:
                        final[item["id"]] = item["status"]
                if all(final.get(i) in ("COMPLETED", "FAILED") for mine in ids.values() for i in mine):
                    break
                time.sleep(2)
            elapsed = time.perf_counter() - started
            expected = {i for mine in ids.values() for i in mine}
            lost = expected - set(final)
            extra = set(final) - expected
            stuck = [i for i in expected if final.get(i) not in ("COMPLETED", "FAILED")]
            completed = sum(1 for i in expected if final.get(i) == "COMPLETED")
        finally:
            stack.stop()

    figures = [
        Figure("uploads accepted", submitted, "records", target=f"= {args.users * args.uploads_per_user}",
               met=submitted == args.users * args.uploads_per_user),
        Figure("records lost / duplicated / stuck", len(lost) + len(extra) + len(stuck), "records", target="= 0",
               met=not (lost or extra or stuck)),
        Figure("records completed", completed, "records"),
        Figure("throughput, upload to finished", submitted / elapsed, "images/s", note=f"{args.users} users, one worker"),
        Figure("upload p50", percentile(upload_latency, 50) * 1000, "ms"),
        Figure("upload p95", percentile(upload_latency, 95) * 1000, "ms"),
        Figure("history p50 (under load)", percentile(history_latency, 50) * 1000, "ms"),
        Figure("history p95 (under load)", percentile(history_latency, 95) * 1000, "ms"),
    ]
    report("load", figures, details={"errors": errors[:20], "lost": sorted(lost), "stuck": stuck})


if __name__ == "__main__":
    main()
