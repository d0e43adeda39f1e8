"""Right to deletion end to end: the API, the job's completeness, resuming after faults."""
import uuid

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from pynamodb.connection.base import Connection

from accounts import erasure
from accounts import erasure_store
from accounts.selectors import user_record_get, user_record_get_by_email
from accounts.services import api_token_create
from accounts.tables import ERASURE_PREFIX, UserRecord
from artguard.dynamo import now_ms
from artguard.storage import list_prefix, processed_storage, raw_storage
from detection.tables import InferenceRecord
from tests.accounts.user_data import seed_user_data, user_traces
from tests.conftest import STRONG_PASSWORD

HOUR_MS = 3_600_000


def the_request(user_id: str) -> erasure_store.Erasure:
    return erasure_store.erasure_get(user_id=user_id)


def other_user_data(user_id: str) -> tuple[int, int, int]:
    return (
        InferenceRecord.user_inferences_index.count(user_id),
        len(list_prefix(raw_storage(), f"inference/{user_id}")),
        len(list_prefix(processed_storage(), f"inference/{user_id}")),
    )


def delete_url(user_id: str) -> str:
    return reverse("api-user-data-delete", args=[user_id])


def test_user_erases_own_data_and_receipt_matches(user_client, user, make_user):
    expected = seed_user_data(user.user_id, analyses=27)  # more than one DynamoDB batch
    bob = make_user("bob@example.com")
    seed_user_data(bob.user_id, analyses=2)
    assert user_traces(user.user_id, user.email)

    response = user_client.delete(delete_url(user.user_id))

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "completed"  # tests run django-q2 synchronously
    assert body["receipt"]["counts"] == expected
    assert body["receipt"]["completed_at"] and body["receipt"]["requested_by"] == "self"
    assert user_traces(user.user_id, user.email) == []
    assert other_user_data(bob.user_id) == (2, 2, 10)
    assert user_record_get(user_id=bob.user_id).is_active

    # The receipt needs no login (there is no account any more), and the session is over.
    status = user_client.get(body["status_url"])
    assert status.status_code == 200 and status.json()["counts"] == expected
    assert user_client.get(reverse("accounts:profile")).status_code == 302
    login = user_client.post(reverse("accounts:login"), {"email": user.email, "password": STRONG_PASSWORD})
    assert login.status_code == 400


def test_storage_failure_halfway_resumes_and_counts_stay_exact(user_client, user, monkeypatch):
    expected = seed_user_data(user.user_id, analyses=4)
    real_delete, calls = FileSystemStorage.delete, {"n": 0}

    def flaky_delete(self, name):
        calls["n"] += 1
        if calls["n"] > 6:  # the 4 raw originals and 2 processed files go, then storage fails
            raise OSError("storage unavailable")
        return real_delete(self, name)

    monkeypatch.setattr(FileSystemStorage, "delete", flaky_delete)
    response = user_client.delete(delete_url(user.user_id))

    assert response.status_code == 202 and response.json()["status"] == "retrying"
    request = the_request(user.user_id)
    assert request.counts == {"inference_records": 4, "shared_items": 0, "raw_objects": 4, "processed_objects": 2, "account": 0}
    assert "storage unavailable" in request.last_error and request.next_attempt_at > now_ms()
    # Half-deleted: the account still exists but nobody can use it.
    record = user_record_get(user_id=user.user_id)
    assert record and not record.is_active and record.deletion_status == "erasing"
    assert user_client.post(reverse("accounts:login"), {"email": user.email, "password": STRONG_PASSWORD}).status_code == 400
    # Not due yet: the scheduled resume waits for the back-off.
    assert erasure.erasures_resume() == []

    monkeypatch.setattr(FileSystemStorage, "delete", real_delete)
    resumed = erasure.erasures_resume(now_epoch_ms=now_ms() + 2 * HOUR_MS)

    assert resumed == [user.user_id]
    request = the_request(user.user_id)
    assert request.status == erasure_store.COMPLETED and request.attempts == 2
    assert request.counts == expected and request.last_error == ""
    assert user_traces(user.user_id, user.email) == []


def test_dynamodb_failure_halfway_resumes_without_double_counting(user, db, monkeypatch):
    expected = seed_user_data(user.user_id, analyses=30)
    real_batch_write, calls = Connection.batch_write_item, {"n": 0}

    def flaky_batch_write(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("DynamoDB throttled")
        return real_batch_write(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "batch_write_item", flaky_batch_write)
    _, created = erasure.erasure_request(user_id=user.user_id, requested_by=user)
    request = the_request(user.user_id)
    assert created and request.status == "retrying" and request.counts["inference_records"] == 25

    erasure.erasure_run(user_id=user.user_id)  # a worker picking it up again (failures released the lease)
    request = the_request(user.user_id)
    assert request.status == "completed" and request.counts == expected
    # Running it again changes nothing: the job is idempotent.
    again = erasure.erasure_run(user_id=user.user_id)
    assert again.counts == expected and again.attempts == 2


def test_dynamodb_down_when_asked_still_records_the_request_and_finishes_later(user_client, user, monkeypatch):
    from accounts import services

    expected = seed_user_data(user.user_id, analyses=1)
    real_disable = services.user_disable

    def unavailable(**kwargs):
        raise ConnectionError("DynamoDB unreachable")

    monkeypatch.setattr(services, "user_disable", unavailable)
    response = user_client.delete(delete_url(user.user_id))
    assert response.status_code == 202 and response.json()["status"] == "retrying"
    # The job refused to delete anything while it could not lock the account.
    assert other_user_data(user.user_id) == (1, 1, 5)

    monkeypatch.setattr(services, "user_disable", real_disable)
    erasure.erasures_resume(now_epoch_ms=now_ms() + HOUR_MS)
    request = the_request(user.user_id)
    assert request.status == "completed" and request.counts == expected
    assert user_traces(user.user_id, user.email) == []


def test_a_request_held_by_a_live_worker_is_not_run_twice(user, db):
    seed_user_data(user.user_id, analyses=1)
    erasure_store.erasure_create(user_id=user.user_id, requested_by="self")
    assert erasure_store.erasure_claim(user_id=user.user_id, lease_ms=5 * 60_000)  # a live worker holds it
    assert erasure.erasures_resume() == []
    assert erasure.erasure_run(user_id=user.user_id).attempts == 1  # a second worker leaves it alone
    assert not erasure_store.erasure_claim(user_id=user.user_id, lease_ms=60_000)
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 1
    # Once the lease runs out (the worker died), the resume job takes it over.
    erasure_store.erasure_release(user_id=user.user_id, lease_ms_from_now=-1000)
    assert erasure.erasures_resume() == [user.user_id]
    request = the_request(user.user_id)
    assert request.status == "completed" and request.counts["inference_records"] == 1 and request.attempts == 2


def test_anonymous_cannot_delete(client, user):
    seed_user_data(user.user_id, analyses=1)
    anonymous = client.delete(delete_url(user.user_id))
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
    assert client.delete(delete_url(user.user_id), HTTP_AUTHORIZATION="Token ag_x_y").status_code == 401
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 1
    assert the_request(user.user_id) is None and erasure_store.erasures_open() == []


def test_another_user_gets_404_and_nothing_changes(client, user, make_user):
    seed_user_data(user.user_id, analyses=1)
    mallory = make_user("mallory@example.com")
    token = api_token_create(user_id=mallory.user_id)
    response = client.delete(delete_url(user.user_id), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 404
    assert client.delete(delete_url("no-such-user"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 404
    assert user_record_get(user_id=user.user_id).is_active
    assert other_user_data(user.user_id) == (1, 1, 5)


def test_erasure_removes_the_users_sessions_everywhere(user, staff_user, db):
    from django.contrib.sessions.models import Session
    from django.test import Client

    for person in (user, user, staff_user):  # two browsers of alice, one of staff
        Client().force_login(person, backend="accounts.backends.DynamoUserBackend")
    owners = lambda: sorted(s.get_decoded().get("_auth_user_id") for s in Session.objects.all())  # noqa: E731
    assert owners() == sorted([user.user_id, user.user_id, staff_user.user_id])
    erasure.erasure_request(user_id=user.user_id, requested_by=staff_user)
    assert owners() == [staff_user.user_id]


def test_staff_erase_anyone_and_unknown_ids_are_404(staff_client, staff_user, user):
    expected = seed_user_data(user.user_id, analyses=2)
    response = staff_client.delete(delete_url(user.user_id))
    assert response.status_code == 202
    assert response.json()["receipt"]["counts"] == expected and response.json()["receipt"]["requested_by"] == "staff"
    assert the_request(user.user_id).staff_user_id == staff_user.user_id
    assert user_traces(user.user_id, user.email) == []
    assert staff_client.delete(delete_url(uuid.uuid4().hex)).status_code == 404
    # The staff member's own session and account are untouched.
    assert staff_client.get(reverse("accounts:profile")).status_code == 200


def test_request_stores_no_personal_data(user, db, monkeypatch):
    monkeypatch.setattr(erasure, "erasure_enqueue", lambda **kwargs: None)  # look before the job runs
    request, _ = erasure.erasure_request(user_id=user.user_id, requested_by=user)
    row = repr(UserRecord.get(ERASURE_PREFIX + user.user_id).attribute_values)
    assert user.email not in row and "alice" not in row
    assert request.email_hmac == erasure.email_digest("ALICE@example.com ")
    # Keyed: a plain SHA-256 of a guessed address (all a leaked table allowed before) confirms nothing.
    import hashlib

    assert request.email_hmac != hashlib.sha256(b"alice@example.com").hexdigest()
    assert hashlib.sha256(b"alice@example.com").hexdigest() not in row
    # Disabled before any deletion; a second request returns the open one.
    assert not user_record_get(user_id=user.user_id).is_active
    again, created = erasure.erasure_request(user_id=user.user_id, requested_by=user)
    assert again.id == request.id and again.receipt_token == request.receipt_token and not created
    assert UserRecord.get(user.user_id).email == user.email  # nothing erased yet


def test_email_can_sign_up_again_after_erasure(client, user, db):
    erasure.erasure_request(user_id=user.user_id, requested_by=user)
    assert user_record_get_by_email(email=user.email) is None
    response = client.post(reverse("accounts:signup"), {"email": user.email, "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
    assert response.status_code == 302
    assert user_record_get_by_email(email=user.email).user_id != user.user_id


def test_erasure_on_s3_storage(user, db, settings, monkeypatch):
    """django-storages' S3 listing (moto) finds every object under the prefix; they go in
    DeleteObjects batches, never a request per object."""
    import boto3
    from storages.backends.s3 import S3Storage

    s3 = boto3.client("s3", region_name="ca-central-1")
    options = {"region_name": "ca-central-1", "default_acl": None, "file_overwrite": True}
    for bucket in ("raw-test", "processed-test"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ca-central-1"})
    settings.STORAGES = {
        **settings.STORAGES,
        "raw": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**options, "bucket_name": "raw-test"}},
        "processed": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**options, "bucket_name": "processed-test"}},
    }
    expected = seed_user_data(user.user_id, analyses=2)
    s3.put_object(Bucket="raw-test", Key="inference/someone-else/x/original.jpg", Body=b"x")
    monkeypatch.setattr(S3Storage, "delete", lambda self, name: pytest.fail(f"one request per object: {name}"))
    erasure.erasure_request(user_id=user.user_id, requested_by=user)
    assert the_request(user.user_id).counts == expected
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="raw-test").get("Contents", [])] == ["inference/someone-else/x/original.jpg"]
    assert s3.list_objects_v2(Bucket="processed-test")["KeyCount"] == 0


@pytest.mark.integration
def test_batch_delete_through_the_index_on_dynamodb_local(user, db):
    expected = seed_user_data(user.user_id, analyses=60)
    with InferenceRecord.batch_write() as batch:
        for i in range(3):
            batch.save(InferenceRecord(inference_id=uuid.uuid4().hex, user_id="someone-else", created_at=i))
    erasure.erasure_request(user_id=user.user_id, requested_by=user)
    request = the_request(user.user_id)
    assert request.status == "completed" and request.counts == expected
    assert list(InferenceRecord.user_inferences_index.query(user.user_id)) == []
    assert InferenceRecord.user_inferences_index.count("someone-else") == 3
    assert user_record_get(user_id=user.user_id) is None and user_record_get_by_email(email=user.email) is None


def test_api_schema_documents_deletion(client, db):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    delete = schema["paths"]["/api/users/{user_id}/data"]["delete"]
    assert "202" in delete["responses"] and {"ApiToken": []} in delete["security"]
    assert "get" in schema["paths"]["/api/erasures/{token}"]
