"""DynamoDB throttled or unreachable during upload, the detection task, history and training
upload: every record ends COMPLETED or FAILED with a reason (or the upload is refused with a
503 and nothing stored), PynamoDB retries with back-off first, the web says what is wrong."""
from __future__ import annotations

import pytest
from django.test import Client
from pynamodb.exceptions import PutError

from artguard.outages import DATABASE_MESSAGE, RETRY_AFTER_SECONDS
from detection import services
from detection.selectors import PENDING_MARKER_USER, inference_get
from detection.tables import InferenceRecord
from tests.detection.conftest import stored_files
from tests.faults.conftest import THROTTLED
from tests.images import image_bytes
from tests.training.fixtures import FIXTURE_ARTIST

JPEG = image_bytes(320, 240, fmt="JPEG")


def _records(user_id: str) -> list[InferenceRecord]:
    return list(InferenceRecord.user_inferences_index.query(user_id))


def _markers() -> list[InferenceRecord]:
    return list(InferenceRecord.user_inferences_index.query(PENDING_MARKER_USER))


def _api_client(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.DynamoUserBackend")
    return client


def test_throttling_is_retried_with_growing_back_off_then_surfaces(user, dynamo_faults, settings):
    record_args = dict(user_id=user.user_id, created_at=1, status="PENDING")
    dynamo_faults.fail("PutItem", times=2)
    InferenceRecord(inference_id="a" * 32, **record_args).save()  # two throttles absorbed by retries
    assert dynamo_faults.attempts["PutItem"] == 3
    assert len(dynamo_faults.sleeps) == 2 and all(0 <= s <= 2 ** (i + 1) for i, s in enumerate(dynamo_faults.sleeps))

    dynamo_faults.sleeps.clear()
    dynamo_faults.fail("PutItem", times=100)
    with pytest.raises(PutError) as raised:
        InferenceRecord(inference_id="b" * 32, **record_args).save()
    assert raised.value.cause_response_code == THROTTLED
    assert len(dynamo_faults.sleeps) == settings.DYNAMODB_MAX_RETRIES  # 1 try + DYNAMODB_MAX_RETRIES retries


def test_upload_refused_with_503_and_nothing_stored_when_the_create_is_throttled(user, user_client, fake_model, dynamo_faults, storage_dirs):
    dynamo_faults.fail("TransactWriteItems")
    response = user_client.post("/api/detections/", {"attributed_artist": FIXTURE_ARTIST, "file": _upload()})
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_MESSAGE}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)

    page = user_client.post("/detections/", {"attributed_artist": FIXTURE_ARTIST, "files": [_upload()]})
    assert page.status_code == 503
    body = page.content.decode()
    assert DATABASE_MESSAGE in body and "Traceback" not in body and "<html" in body
    dynamo_faults.clear()
    assert _records(user.user_id) == [] and _markers() == []
    assert stored_files(storage_dirs) == []


def test_an_upload_writes_dynamodb_once_so_a_later_fault_cannot_strand_it(user, user_client, fake_model, dynamo_faults, no_queue, settings):
    """The record and its marker are one transaction and nothing is written after it (the upload's
    time travels with the task), so no 503 can be answered for a record that exists."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}  # as in production: the task runs later
    dynamo_faults.fail("UpdateItem", times=settings.DYNAMODB_MAX_RETRIES + 1)  # the follow-up write uploads used to make
    response = user_client.post("/api/detections/", {"attributed_artist": FIXTURE_ARTIST, "file": _upload()})
    assert response.status_code == 202, response.content
    assert dynamo_faults.attempts.get("UpdateItem", 0) == 0 and dynamo_faults.attempts["TransactWriteItems"] == 1
    dynamo_faults.clear()
    [record] = _records(user.user_id)
    assert record.status == "PENDING" and response.json()["id"] == record.inference_id
    [(task, inference_id, upload_seconds)] = no_queue
    assert task == "detection.tasks.inference_process_task" and inference_id == record.inference_id and upload_seconds >= 0
    services.inference_process(inference_id=inference_id, upload_seconds=upload_seconds)
    record = inference_get(inference_id=inference_id)
    assert record.status == "COMPLETED" and record.steps[0] == {"name": "upload", "seconds": upload_seconds}
    assert _markers() == []


@pytest.mark.parametrize("after", [0, 1], ids=["start-of-task", "final-write"])
def test_detection_task_throttled_ends_failed_with_a_reason(user, fake_model, dynamo_faults, no_queue, settings, after):
    submission = services.inference_submit(user_id=user.user_id, data=JPEG, filename="a.jpg", attributed_artist=FIXTURE_ARTIST)
    dynamo_faults.fail("UpdateItem", times=settings.DYNAMODB_MAX_RETRIES + 1, after=after)
    services.inference_process(inference_id=submission.record.inference_id)
    dynamo_faults.clear()
    record = inference_get(inference_id=submission.record.inference_id)
    assert record.status == "FAILED"
    assert record.failure_reason == DATABASE_MESSAGE
    assert _markers() == []


def test_detection_task_with_dynamodb_down_is_failed_by_the_sweep_not_lost(user, fake_model, dynamo_down, no_queue, settings):
    from artguard.dynamo import now_ms
    from detection.tasks import inference_process_task

    submission = services.inference_submit(user_id=user.user_id, data=JPEG, filename="a.jpg", attributed_artist=FIXTURE_ARTIST)
    with dynamo_down():
        with pytest.raises(Exception):  # the task fails; django-q2 records it and retries later
            inference_process_task(submission.record.inference_id)
    assert inference_get(inference_id=submission.record.inference_id).status == "PENDING"
    later = now_ms() + (settings.PENDING_TIMEOUT_MINUTES + 1) * 60 * 1000
    assert services.inferences_sweep_stuck(now=later) == 1
    record = inference_get(inference_id=submission.record.inference_id)
    assert record.status == "FAILED" and record.failure_reason == services.STUCK_MESSAGE


def test_history_page_and_api_say_the_database_is_unavailable(user, user_client, dynamo_faults, dynamo_down):
    dynamo_faults.fail("Query")
    page = user_client.get("/detections/history/")
    assert page.status_code == 503 and DATABASE_MESSAGE in page.content.decode()
    assert page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    api = user_client.get("/api/detections/")
    assert api.status_code == 503 and api.json() == {"detail": DATABASE_MESSAGE}
    dynamo_faults.clear()
    assert user_client.get("/detections/history/").status_code == 200  # back once DynamoDB is

    with dynamo_down():  # loading the session's user fails too: still a 503 page, shown to "nobody"
        page = user_client.get("/detections/history/")
        assert page.status_code == 503 and DATABASE_MESSAGE in page.content.decode()
        assert user_client.get("/api/detections/").status_code == 503
        assert Client().get("/").status_code == 200  # pages that need no data stay up


def test_erasure_unaffected_pages_show_503_not_500(user, user_client, dynamo_faults):
    dynamo_faults.fail("GetItem")
    response = user_client.get("/accounts/profile/")
    assert response.status_code == 503


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("work.jpg", JPEG, content_type="image/jpeg")
