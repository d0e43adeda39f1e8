"""artguard.outages and its middleware: what counts as an outage (503) and what does not (left to Django)."""
from __future__ import annotations

import errno

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from django.core.files.base import ContentFile
from django.test import RequestFactory
from PIL import Image, UnidentifiedImageError
from pynamodb.exceptions import GetError, UpdateError

from artguard.dynamo import DynamoUnavailable
from artguard.middleware import OutageMiddleware
from artguard.outages import DATABASE_MESSAGE, STORAGE_MESSAGE, outage_message
from artguard.storage import processed_storage
from detection.tables import InferenceRecord
from tests.faults.conftest import THROTTLED


def _raised(callable_):
    try:
        callable_()
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("nothing raised")


def test_dynamodb_outages_are_recognised(dynamo_faults, dynamo_down):
    dynamo_faults.fail("GetItem", code=THROTTLED)
    throttled = _raised(lambda: InferenceRecord.get("x" * 32))
    assert isinstance(throttled, GetError) and outage_message(throttled) == DATABASE_MESSAGE
    dynamo_faults.fail("GetItem", code="InternalServerError")
    assert outage_message(_raised(lambda: InferenceRecord.get("x" * 32))) == DATABASE_MESSAGE
    dynamo_faults.clear()
    with dynamo_down():
        refused = _raised(lambda: InferenceRecord.get("x" * 32))
    assert isinstance(refused.cause, EndpointConnectionError) and outage_message(refused) == DATABASE_MESSAGE
    assert outage_message(DynamoUnavailable("no DynamoDB")) == DATABASE_MESSAGE


def test_ordinary_dynamodb_answers_are_not_outages(user):
    missing = _raised(lambda: InferenceRecord.get("x" * 32))
    assert isinstance(missing, InferenceRecord.DoesNotExist) and outage_message(missing) is None
    conditional = _raised(lambda: InferenceRecord(inference_id="x" * 32).update(
        actions=[InferenceRecord.status.set("FAILED")], condition=InferenceRecord.inference_id.exists()))
    assert isinstance(conditional, UpdateError) and outage_message(conditional) is None


def test_storage_outages_but_not_missing_objects_or_bad_images(monkeypatch):
    storage = processed_storage()
    assert outage_message(_raised(lambda: storage.open("nothing/here.png"))) is None  # the caller's 404

    def boom(*args, **kwargs):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(storage, "_save", boom)
    assert outage_message(_raised(lambda: storage.save("x.txt", ContentFile(b"x")))) == STORAGE_MESSAGE

    def s3_busy(*args, **kwargs):  # what django-storages lets through from a busy or unreachable S3
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "Reduce your request rate."}}, "PutObject")

    monkeypatch.setattr(storage, "_save", s3_busy)
    assert outage_message(_raised(lambda: storage.save("x.txt", ContentFile(b"x")))) == STORAGE_MESSAGE
    monkeypatch.setattr(storage, "_save", lambda *a, **k: (_ for _ in ()).throw(EndpointConnectionError(endpoint_url="https://s3")))
    assert outage_message(_raised(lambda: storage.save("x.txt", ContentFile(b"x")))) == STORAGE_MESSAGE

    import io

    bad_image = _raised(lambda: Image.open(io.BytesIO(b"not an image")))
    assert isinstance(bad_image, UnidentifiedImageError) and isinstance(bad_image, OSError)
    assert outage_message(bad_image) is None
    assert outage_message(ValueError("a bug")) is None


@pytest.mark.parametrize("path,json_answer", [("/api/detections/", True), ("/detections/history/", False)])
def test_answers_503_with_retry_after_and_leaves_other_errors_alone(db, path, json_answer):
    from django.contrib.auth.models import AnonymousUser

    middleware = OutageMiddleware(lambda request: None)
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    request.session = {}
    response = middleware.process_exception(request, DynamoUnavailable("down"))
    assert response.status_code == 503 and response["Retry-After"]
    body = response.content.decode()
    assert (body == '{"detail": "%s"}' % DATABASE_MESSAGE) if json_answer else (DATABASE_MESSAGE in body and "<html" in body)
    assert middleware.process_exception(request, ValueError("a bug")) is None  # Django's 500 as usual
