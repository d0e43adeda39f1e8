"""The task broker (Redis or SQS) unreachable while a detection is submitted: the upload is
answered 503 with Retry-After and the record it created ends FAILED with a reason. Real
django-q2 brokers and clients, pointed at a port where nothing listens."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_q.conf import Conf

from artguard.outages import BROKER_MESSAGE, RETRY_AFTER_SECONDS, outage_message
from detection.tables import InferenceRecord
from tests.faults.conftest import closed_port
from tests.images import image_bytes
from tests.training.fixtures import FIXTURE_ARTIST

JPEG = image_bytes(320, 240, fmt="JPEG")  # at least one 224 px patch


@pytest.fixture(params=["redis", "sqs"])
def broker_down(request, monkeypatch):
    """django-q2 configured for a broker at a port nothing listens on; tasks are queued, not run."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    if request.param == "redis":
        pytest.importorskip("redis")
        monkeypatch.setattr(Conf, "REDIS", f"redis://127.0.0.1:{closed_port()}/0")
        monkeypatch.setattr(Conf, "SQS", None)
    else:
        monkeypatch.setattr(Conf, "SQS", {"aws_region": "ca-central-1"})
        monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", f"http://127.0.0.1:{closed_port()}")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # refused is refused; retrying only slows the test
    return request.param


def test_queueing_with_the_broker_down_is_an_outage(broker_down):
    from django_q.tasks import async_task

    with pytest.raises(Exception) as raised:
        async_task("detection.tasks.inferences_sweep_stuck_task")
    assert outage_message(raised.value) == BROKER_MESSAGE


def test_other_errors_are_not_called_a_broker_outage():
    assert outage_message(ValueError("a bug")) is None
    assert outage_message(ConnectionError("refused, but not by a broker")) is None


def test_an_upload_with_the_broker_down_answers_503_and_fails_its_record(user, user_client, fake_model, broker_down):
    response = user_client.post("/api/detections/", {"attributed_artist": FIXTURE_ARTIST, "file": SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")})
    assert response.status_code == 503
    assert response.json() == {"detail": BROKER_MESSAGE} and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    [record] = InferenceRecord.user_inferences_index.query(user.user_id)
    assert record.status == "FAILED" and record.failure_reason == "The analysis could not be queued. Please try again."

    page = user_client.post("/detections/", {"files": [SimpleUploadedFile("b.jpg", JPEG, content_type="image/jpeg")],
                                             "attributed_artist": FIXTURE_ARTIST})
    assert page.status_code == 503 and BROKER_MESSAGE in page.content.decode()
    assert page["Retry-After"] == str(RETRY_AFTER_SECONDS)
