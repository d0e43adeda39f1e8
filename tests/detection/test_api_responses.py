"""The detection API's answers, byte for byte, on fixed records: a refactor of the views, the
serializers or the error mapping must not change a single byte a client reads.

Each case's status, telling headers and body are compared with tests/detection/api_responses/
responses.json after masking what differs between runs (ids, timestamps, the test server's
user id) by order of appearance, so the masks are deterministic. The completed record
(completed_record.json) was made once by the real pipeline with the fixture model; it is loaded
as stored, so its floats do not depend on this machine's training.

To record the answers again after an intended change of the API:
ARTGUARD_RECORD_API_RESPONSES=1 pytest tests/detection/test_api_responses.py, then review the diff.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from artguard.dynamo import now_ms
from detection.tables import InferenceRecord
from tests.detection.bad_inputs import BAD_INPUTS
from tests.detection.factories import FORGED_ONLY_BASIS, FORGED_ONLY_THRESHOLDS, make_record
from tests.images import image_bytes
from tests.training.fixtures import FIXTURE_ARTIST

HERE = Path(__file__).parent / "api_responses"
RECORDED = HERE / "responses.json"
URL = "/api/detections/"
HEADERS = ("Content-Type", "Location", "Idempotent-Replayed", "Retry-After", "Allow")
COMPLETED_ID = "c0" * 16
_HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)")
_CURSOR = re.compile(r'"next_cursor":"[^"]+"')  # base64 of an id and a time


def _mask(text: str, names: dict[str, str]) -> str:
    """Ids become <id-1>, <id-2>... in order of first appearance across all cases; times <time>."""
    def named(match: re.Match) -> str:
        return names.setdefault(match.group(0), f"<id-{len(names) + 1}>")

    return _HEX_ID.sub(named, _TIME.sub("<time>", _CURSOR.sub('"next_cursor":"<cursor>"', text)))


def _answer(response, names: dict[str, str]) -> dict:
    return {
        "status": response.status_code,
        "headers": {name: _mask(response[name], names) for name in HEADERS if response.has_header(name)},
        "body": _mask(response.content.decode(), names),
    }


def _completed_record(user_id: str) -> InferenceRecord:
    text = (HERE / "completed_record.json").read_text()
    item = json.loads(text.replace("{user_id}", user_id).replace("{inference_id}", COMPLETED_ID))
    record = InferenceRecord.from_raw_data(item)
    record.created_at = now_ms() - 5_000
    record.ttl = None
    record.save()
    return record


def _post(client, data: bytes, name: str = "work.jpg", **extra):
    payload = {"file": SimpleUploadedFile(name, data), "attributed_artist": FIXTURE_ARTIST, "title": "Title"}
    return client.post(URL, payload, **extra)


def _compare(answers: dict, key: str) -> None:
    recorded = json.loads(RECORDED.read_text()) if RECORDED.exists() else {}
    if os.environ.get("ARTGUARD_RECORD_API_RESPONSES"):
        recorded[key] = answers
        RECORDED.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    assert key in recorded, f"no recorded answers for {key}: record them (see the module docstring)"
    for case, answer in answers.items():
        assert answer == recorded[key][case], case
    assert set(answers) == set(recorded[key])


def test_reads_deletes_and_refusals_answer_as_recorded(user_client, user, other_user, settings, storage_dirs):
    names: dict[str, str] = {}
    completed = _completed_record(user.user_id)
    now = now_ms()
    pending = make_record(user_id=user.user_id, status="PENDING", created_at=now - 4_000, attributed_artist=FIXTURE_ARTIST)
    failed = make_record(user_id=user.user_id, status="FAILED", created_at=now - 3_000, failure_reason="The image could not be stored.")
    basis = make_record(user_id=user.user_id, created_at=now - 2_000, thresholds=FORGED_ONLY_THRESHOLDS, verdict_basis=FORGED_ONLY_BASIS)
    theirs = make_record(user_id=other_user.user_id)
    first_page = user_client.get(URL, {"limit": 2})
    answers = {
        "list": _answer(user_client.get(URL), names),
        "list, two per page": _answer(first_page, names),
        "list, the second page": _answer(user_client.get(URL, {"limit": 2, "cursor": first_page.json()["next_cursor"]}), names),
        "list, a bad cursor": _answer(user_client.get(URL, {"cursor": "not-a-cursor"}), names),
        "list, a bad limit": _answer(user_client.get(URL, {"limit": 0}), names),
        "detail, completed": _answer(user_client.get(f"{URL}{completed.inference_id}/"), names),
        "detail, pending": _answer(user_client.get(f"{URL}{pending.inference_id}/"), names),
        "detail, failed": _answer(user_client.get(f"{URL}{failed.inference_id}/"), names),
        "detail, basis without calibration": _answer(user_client.get(f"{URL}{basis.inference_id}/"), names),
        "detail, another user's": _answer(user_client.get(f"{URL}{theirs.inference_id}/"), names),
        "delete, another user's": _answer(user_client.delete(f"{URL}{theirs.inference_id}/"), names),
        "delete": _answer(user_client.delete(f"{URL}{failed.inference_id}/"), names),
        "delete, again": _answer(user_client.delete(f"{URL}{failed.inference_id}/"), names),
        "create, no model": _answer(_post(user_client, image_bytes(240, 240)), names),
        "create, no file": _answer(user_client.post(URL, {"title": "no file"}), names),
        "create, content-length over the limit": _answer(
            _post(user_client, image_bytes(240, 240), CONTENT_LENGTH=str(settings.UPLOAD_MAX_BYTES + 10**6)), names),
        "create, a file over the limit": _answer(_post(user_client, image_bytes(240, 240) + b"\0" * settings.UPLOAD_MAX_BYTES), names),
        "create, a title too long": _answer(user_client.post(URL, {"file": SimpleUploadedFile("w.jpg", image_bytes(240, 240)),
                                                                   "title": "x" * 201}), names),
        **{f"create, {case}": _answer(_post(user_client, BAD_INPUTS[case][0], BAD_INPUTS[case][1]), names)
           for case in ("not-an-image", "empty", "under-a-patch", "gif")},
    }
    settings.UPLOADS_PER_HOUR = 3
    answers["create, rate limited"] = _answer(_post(user_client, image_bytes(240, 240)), names)
    _compare(answers, "without a model")


def test_uploads_answer_as_recorded(user_client, user, promoted_model, storage_dirs):
    names: dict[str, str] = {}
    answers = {
        "create": _answer(_post(user_client, image_bytes(320, 240), HTTP_IDEMPOTENCY_KEY="k-1"), names),
        "create, replayed": _answer(_post(user_client, image_bytes(320, 240), HTTP_IDEMPOTENCY_KEY="k-1"), names),
        "create, a heic name on a jpeg": _answer(_post(user_client, image_bytes(320, 240), "IMG_1.HEIC"), names),
        "create, an artist no model serves": _answer(user_client.post(URL, {"file": SimpleUploadedFile("w.jpg", image_bytes(320, 240)),
                                                                           "attributed_artist": "Nobody"}), names),
        "create, no artist": _answer(user_client.post(URL, {"file": SimpleUploadedFile("w.jpg", image_bytes(320, 240))}), names),
        "create, an idempotency key too long": _answer(_post(user_client, image_bytes(320, 240), HTTP_IDEMPOTENCY_KEY="k" * 256), names),
    }
    _compare(answers, "with a model")
