"""Erasure speed on DynamoDB Local and local storage: seed one user with N analyses (a record,
an original and five processed files each), erase, and print how long each part took. Also
erases once with a storage fault injected halfway, resumes, and checks the counts match.

    .venv/bin/python bench/bench_erasure.py [--analyses 300]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--analyses", type=int, default=300)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-erasure-"))
    os.environ["ARTGUARD_DATA_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "artguard.test_settings"
    import django

    django.setup()
    from django.core.management import call_command

    from artguard import dynamodb_local
    from artguard.dynamo import configure_tables
    from artguard.provisioning import tables_provision

    call_command("migrate", verbosity=0)
    port = dynamodb_local.free_port()
    process = dynamodb_local.start(port=port, db_path=None)
    try:
        dynamodb_local.wait_ready(port=port, process=process)
        configure_tables(host=f"http://127.0.0.1:{port}")
        tables_provision()
        figures = run(args.analyses)
    finally:
        process.terminate()
        process.wait(timeout=20)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.common import report

    report("erasure", figures, details={"analyses": args.analyses})


def run(analyses: int) -> list:
    from django.core.files.storage import FileSystemStorage

    from accounts import erasure, erasure_store
    from accounts.services import user_create
    from tests.accounts.test_erasure import seed_user_data

    from bench.common import Figure

    figures = []
    for label, fault in (("clean run", False), ("fault at half the processed files, then resume", True)):
        user = user_create(email=f"bench-{int(time.time() * 1000)}@example.com", password="correct-horse-battery-staple")
        started = time.perf_counter()
        expected = seed_user_data(user.user_id, analyses=analyses)
        seeded = time.perf_counter() - started
        real_delete, calls = FileSystemStorage.delete, {"n": 0}
        if fault:
            limit = analyses + analyses * 5 // 2

            def flaky(self, name):
                calls["n"] += 1
                if calls["n"] > limit:
                    raise OSError("injected storage fault")
                return real_delete(self, name)

            FileSystemStorage.delete = flaky
        started = time.perf_counter()
        erasure.erasure_request(user_id=user.user_id, requested_by=user)
        FileSystemStorage.delete = real_delete
        request = erasure_store.erasure_get(user_id=user.user_id)
        if fault:
            assert request.status == "retrying", request.status
            request = erasure.erasure_run(user_id=user.user_id)
        elapsed = time.perf_counter() - started
        assert request.status == "completed" and request.counts == expected, (request.status, request.counts, expected)
        objects = expected["raw_objects"] + expected["processed_objects"]
        print(f"{label}: {analyses} records + {objects} files seeded in {seeded:.1f} s; erased in {elapsed:.2f} s "
              f"({analyses / elapsed:.0f} records/s incl. files), attempts={request.attempts}, counts match: {request.counts}")
        figures.append(Figure(f"erasure of {analyses} analyses + {objects} files: {label}", elapsed, "s",
                              note=f"attempts {request.attempts}; receipt counts match what was stored"))
    return figures


if __name__ == "__main__":
    main()
