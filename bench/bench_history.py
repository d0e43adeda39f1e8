"""History first page for a user with 10,000 records, on DynamoDB Local: server time of the
selector (one Query on UserInferencesIndex) and of the whole API request, against the naive
Scan-and-filter of the table. Figures only.

    .venv/bin/python bench/bench_history.py [--records 10000] [--others 2000] [--repeats 200] [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, Timer, percentile, report  # noqa: E402


PATCH_SCORES = [{"x": 224 * (i % 6), "y": 224 * (i // 6), "w": 224, "h": 224, "scale": 1.0, "p": round(0.03 * i, 3)} for i in range(28)]
STEPS = [{"name": name, "seconds": 0.1} for name in ("upload", "preprocess", "patches", "score", "heatmap", "explanation")]
EXPLANATION = "The model gives this photograph a forgery score of 50 out of 100. " * 20


def fill(user_id: str, count: int, *, start_ms: int, full_size: bool = True) -> None:
    from datetime import datetime, timezone

    from detection.tables import InferenceRecord

    with InferenceRecord.batch_write() as batch:
        for index in range(count):
            created_at = start_ms + index * 10
            batch.save(InferenceRecord(
                inference_id=uuid.uuid4().hex, user_id=user_id, created_at=created_at,
                ttl=datetime.fromtimestamp(created_at / 1000 + 90 * 86400, tz=timezone.utc),
                status="COMPLETED", image_name=f"work{index}.jpg", score=0.5, forgery_score=50, verdict="INCONCLUSIVE",
                thumbnail_path=f"inference/{user_id}/x{index}/thumb.jpg",
                # as large as a real completed record: 28 patch scores, steps and an explanation
                **({"patch_scores": PATCH_SCORES, "steps": STEPS, "explanation": EXPLANATION, "model_version": "model-bench"} if full_size else {}),
            ))


def scan_and_filter(user_id: str, page_size: int) -> list:
    """The naive way: read the whole table, keep the user's items, sort, cut a page."""
    from detection.tables import InferenceRecord

    mine = [r for r in InferenceRecord.scan(InferenceRecord.user_id == user_id)]
    mine.sort(key=lambda r: r.created_at, reverse=True)
    return mine[:page_size]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=2_000, help="records of other users in the same table")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--naive-repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.records, args.others, args.repeats, args.naive_repeats = 2_000, 500, 50, 3

    from artguard import dynamodb_local

    with tempfile.TemporaryDirectory() as tmp:
        port = dynamodb_local.free_port()
        process = dynamodb_local.start(port=port, db_path=None)
        try:
            from bench.common import django_setup

            django_setup(dynamodb_host=f"http://127.0.0.1:{port}", data_dir=Path(tmp))
            from django.conf import settings
            from django.core.management import call_command
            from django.test import Client

            from accounts.services import user_create
            from artguard.dynamo import now_ms
            from artguard.provisioning import tables_provision
            from detection import selectors
            from detection.tables import InferenceRecord

            settings.ALLOWED_HOSTS = ["testserver"]
            call_command("migrate", verbosity=0)
            tables_provision()
            user = user_create(email="bench@example.com", password="correct-horse-battery-staple")
            start = now_ms() - (args.records + args.others) * 10 - 60_000
            with Timer() as fill_timer:
                fill(user.user_id, args.records, start_ms=start)
                for n in range(max(1, args.others // 500)):
                    fill(uuid.uuid4().hex, min(500, args.others), start_ms=start)
            print(f"[history] wrote {args.records} + {args.others} records in {fill_timer.seconds:.1f} s", flush=True)

            page_size = settings.HISTORY_PAGE_SIZE
            selector_ms, api_ms, second_ms, full_ms = [], [], [], []
            first = selectors.inferences_page_for_user(user_id=user.user_id)
            assert len(first.records) == page_size and first.next_cursor
            for _ in range(30):  # warm DynamoDB Local's JVM and the connection pool
                selectors.inferences_page_for_user(user_id=user.user_id)
            for _ in range(args.repeats):
                with Timer() as t:
                    selectors.inferences_page_for_user(user_id=user.user_id)
                selector_ms.append(t.seconds * 1000)
                with Timer() as t:
                    selectors.inferences_page_for_user(user_id=user.user_id, cursor=first.next_cursor)
                second_ms.append(t.seconds * 1000)
                with Timer() as t:  # the same Query reading every attribute (before SUMMARY_ATTRIBUTES)
                    list(InferenceRecord.user_inferences_index.query(user.user_id, scan_index_forward=False, limit=page_size + 1, page_size=page_size + 1))
                full_ms.append(t.seconds * 1000)

            client = Client()
            client.force_login(user, backend="accounts.backends.DynamoUserBackend")
            for _ in range(10):
                client.get("/api/detections/")
            for _ in range(args.repeats):
                with Timer() as t:
                    response = client.get("/api/detections/")
                assert response.status_code == 200
                api_ms.append(t.seconds * 1000)

            naive_ms = []
            for _ in range(args.naive_repeats):
                with Timer() as t:
                    naive = scan_and_filter(user.user_id, page_size)
                naive_ms.append(t.seconds * 1000)
            assert [r.inference_id for r in naive] == [r.inference_id for r in first.records]
        finally:
            process.terminate()
            process.wait(timeout=20)

    p95, naive_p50 = percentile(selector_ms, 95), percentile(naive_ms, 50)
    figures = [
        Figure("history first page p95 (selector, 1 Query)", p95, "ms", target="<= 50 ms", met=p95 <= 50,
               naive=naive_p50, ratio=naive_p50 / p95, note=f"{args.records} records for the user, {args.others} for others; naive = Scan + filter + sort (p50 of {args.naive_repeats})"),
        Figure("history first page p50 (selector)", percentile(selector_ms, 50), "ms"),
        Figure("history first page p95: summary attributes vs every attribute", p95, "ms", naive=percentile(full_ms, 95),
               ratio=percentile(full_ms, 95) / p95, note="records as large as real ones (28 patch scores, steps, explanation)"),
        Figure("history second page p95 (cursor)", percentile(second_ms, 95), "ms"),
        Figure("GET /api/detections/ p95 (whole request, in-process)", percentile(api_ms, 95), "ms", target="<= 50 ms",
               met=percentile(api_ms, 95) <= 50, naive=naive_p50, ratio=naive_p50 / percentile(api_ms, 95),
               note="session auth (one GetItem) + one Query + serialisation"),
        Figure("GET /api/detections/ p50 (whole request, in-process)", percentile(api_ms, 50), "ms"),
        Figure("load average during the run (2 cores)", os.getloadavg()[0], "", note="other work on the machine inflates the tails"),
    ]
    report("history", figures, details={"records": args.records, "others": args.others, "repeats": args.repeats,
                                        "load_average": os.getloadavg()})


if __name__ == "__main__":
    main()
