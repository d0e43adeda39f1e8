"""Share page and /verify/ latency on DynamoDB Local, whole requests in-process (Django's test
client): the public share page, its thumbnail, a code checked through the API (known and
unknown: a wrong code should cost what a right one does), and an issued PDF plus its photograph
uploaded. The naive way beside the code check: a Scan for the code among other users' codes.
Figures only.

    .venv/bin/python bench/bench_verification.py [--repeats 200] [--others 2000] [--quick]
"""
from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, Timer, local_stack, percentile, report  # noqa: E402


def fill_other_codes(count: int) -> None:
    """Other users' verification items, so the table is not trivially small."""
    from detection.tables import InferenceRecord

    with InferenceRecord.batch_write() as batch:
        for index in range(count):
            batch.save(InferenceRecord(inference_id=f"verify#{uuid.uuid4().hex}{uuid.uuid4().hex}", user_id=f"verify#{uuid.uuid4().hex}",
                                       created_at=index, verification={"of": uuid.uuid4().hex, "statement": "AGV1.x"}))


def timed(samples: list[float], call) -> object:
    with Timer() as t:
        result = call()
    samples.append(t.seconds * 1000)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--others", type=int, default=2_000)
    parser.add_argument("--naive-repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.others, args.naive_repeats = 40, 300, 3

    with local_stack("verification"):
        from django.conf import settings
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.core.management import call_command
        from django.test import Client

        from accounts.services import user_create
        from detection import sharing
        from detection.services import report_pdf
        from detection.tables import InferenceRecord
        from tests.detection.sharing_world import completed_with_files

        settings.ALLOWED_HOSTS = ["testserver"]
        settings.VERIFY_PER_WINDOW = 10**9  # the benchmark measures checks, not the limit
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0)
        user = user_create(email="bench@example.com", password="correct-horse-battery-staple")
        record, photo = completed_with_files(user_id=user.user_id)
        pdf = report_pdf(record=InferenceRecord.get(record.inference_id), site_url="http://testserver")
        link, token = sharing.share_create(user_id=user.user_id, inference_id=record.inference_id)
        code = InferenceRecord.get(record.inference_id).verification_code
        fill_other_codes(args.others)

        client = Client()
        page_url, thumb_url = f"/shared/{token}/", f"/shared/{token}/images/thumb/"
        for _ in range(10):  # warm DynamoDB Local's JVM, the templates and the connection pool
            client.get(page_url), client.get("/api/verify", {"code": code})
        page_ms, thumb_ms, known_ms, unknown_ms, pdf_ms, verify_page_ms = [], [], [], [], [], []
        for _ in range(args.repeats):
            assert timed(page_ms, lambda: client.get(page_url)).status_code == 200
            response = timed(thumb_ms, lambda: client.get(thumb_url))
            b"".join(response.streaming_content)
            assert timed(known_ms, lambda: client.get("/api/verify", {"code": code})).json()["outcome"] == "genuine"
            assert timed(unknown_ms, lambda: client.get("/api/verify", {"code": "0" * 20})).json()["outcome"] == "not_issued"
            assert timed(verify_page_ms, lambda: client.get("/verify/", {"code": code})).status_code == 200
        for _ in range(max(10, args.repeats // 4)):
            files = {"pdf": SimpleUploadedFile("r.pdf", pdf), "photo": SimpleUploadedFile("p.jpg", photo)}
            assert timed(pdf_ms, lambda: client.post("/api/verify", files)).json()["outcome"] == "genuine"

        naive_ms = []
        wanted = f"verify#{__import__('hashlib').sha256(code.encode()).hexdigest()}"
        for _ in range(args.naive_repeats):
            found = timed(naive_ms, lambda: [item for item in InferenceRecord.scan(InferenceRecord.inference_id == wanted)])
            assert len(found) == 1

    known_p95, naive_p50 = percentile(known_ms, 95), percentile(naive_ms, 50)
    figures = [
        Figure("share page p50 (GET /shared/<token>/)", percentile(page_ms, 50), "ms"),
        Figure("share page p95", percentile(page_ms, 95), "ms", target="<= 150 ms", met=percentile(page_ms, 95) <= 150,
               note="GetItem (link) + GetItem (record) + GetItem (code) + model card reads + QR + template"),
        Figure("share page thumbnail p95", percentile(thumb_ms, 95), "ms"),
        Figure("verify a code p50 (GET /api/verify)", percentile(known_ms, 50), "ms"),
        Figure("verify a code p95 (one GetItem + signature check)", known_p95, "ms", target="<= 50 ms", met=known_p95 <= 50,
               naive=naive_p50, ratio=naive_p50 / known_p95, note=f"naive = Scan for the code's item among {args.others} others (p50 of {args.naive_repeats})"),
        Figure("verify an unknown code p50", percentile(unknown_ms, 50), "ms",
               note="should equal a known code's: one GetItem and one signature check either way"),
        Figure("verify an unknown code p95", percentile(unknown_ms, 95), "ms"),
        Figure("/verify/?code= page p95", percentile(verify_page_ms, 95), "ms"),
        Figure("verify PDF + photograph upload p50 (POST /api/verify)", percentile(pdf_ms, 50), "ms"),
        Figure("verify PDF + photograph upload p95", percentile(pdf_ms, 95), "ms", target="<= 250 ms", met=percentile(pdf_ms, 95) <= 250,
               note=f"PDF {len(pdf) // 1024} KB, photograph {len(photo) // 1024} KB; in-process request, no network"),
    ]
    report("verification", figures, details={"repeats": args.repeats, "others": args.others, "pdf_bytes": len(pdf)})


if __name__ == "__main__":
    main()
