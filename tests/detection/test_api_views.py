"""The detection API. Every DynamoDB call is watched: a Scan fails the test (tests/detection/conftest.py)."""
from __future__ import annotations

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from artguard.dynamo import now_ms
from detection.selectors import PENDING_MARKER_USER
from detection.tables import InferenceRecord
from tests.detection.bad_inputs import BAD_INPUTS
from tests.detection.conftest import stored_files
from tests.detection.factories import FORGED_ONLY_BASIS, FORGED_ONLY_THRESHOLDS, make_record, make_records
from tests.training.fixtures import FIXTURE_ARTIST
from tests.images import image_bytes

URL = "/api/detections/"


def _post(client, data: bytes, name: str = "work.jpg", **extra):
    payload = {"file": SimpleUploadedFile(name, data), "attributed_artist": FIXTURE_ARTIST.upper(), "title": "Title"}
    return client.post(URL, payload, **extra)


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_answers_400_and_stores_nothing(case, user_client, user, storage_dirs):
    data, name, message = BAD_INPUTS[case]
    if case == "empty":
        message = "The submitted file is empty."  # DRF's FileField refuses it before the service sees it
    response = _post(user_client, data, name)
    assert response.status_code == 400, response.content
    assert message in response.json()["file"][0]
    assert stored_files(storage_dirs) == []
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 0
    assert InferenceRecord.user_inferences_index.count(PENDING_MARKER_USER) == 0


def test_a_content_length_over_the_limit_answers_413_before_the_body_is_read(user_client, user, storage_dirs, settings):
    # The test client's payload raises if more is read than it holds.
    response = _post(user_client, image_bytes(240, 240), CONTENT_LENGTH=str(settings.UPLOAD_MAX_BYTES + 10**6))
    assert response.status_code == 413
    assert response.json() == {"file": ["The file is larger than 20 MB."]}
    assert stored_files(storage_dirs) == [] and InferenceRecord.user_inferences_index.count(user.user_id) == 0


def test_over_20_mb_answers_400_and_stores_nothing(user_client, user, storage_dirs, settings):
    data = image_bytes(240, 240) + b"\0" * settings.UPLOAD_MAX_BYTES
    response = _post(user_client, data)
    assert response.status_code == 400
    assert "larger than 20 MB" in response.json()["file"][0]
    assert stored_files(storage_dirs) == []
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 0


def test_missing_file_answers_400(user_client):
    response = user_client.post(URL, {"title": "no file"})
    assert response.status_code == 400
    assert "file" in response.json()


def test_anonymous_requests_are_refused(client):
    assert client.get(URL).status_code in (401, 403)
    assert _post(client, image_bytes(240, 240)).status_code in (401, 403)


def test_no_promoted_model_answers_503_with_a_plain_message(user_client, storage_dirs):
    response = _post(user_client, image_bytes(240, 240))
    assert response.status_code == 503
    assert "No forgery model is available yet" in response.json()["detail"]
    assert stored_files(storage_dirs) == []


def test_rate_limit_answers_429(user_client, user, settings, storage_dirs):
    settings.UPLOADS_PER_HOUR = 3
    make_records(user_id=user.user_id, count=3, start_ms=now_ms() - 60_000)
    response = _post(user_client, image_bytes(240, 240))
    assert response.status_code == 429
    assert "3 images in the last hour" in response.json()["detail"]
    assert stored_files(storage_dirs) == []


def test_history_pages_newest_first_with_an_opaque_cursor(user_client, user, other_user, dynamo_operations):
    records = make_records(user_id=user.user_id, count=25)
    make_records(user_id=other_user.user_id, count=2)
    dynamo_operations.clear()
    first = user_client.get(URL).json()
    assert [item["id"] for item in first["results"]] == [r.inference_id for r in reversed(records)][:20]
    assert first["results"][0]["forgery_score"] == 50
    second = user_client.get(URL, {"cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in second["results"]] == [r.inference_id for r in reversed(records)][20:]
    assert second["next_cursor"] is None
    assert "Query" in dynamo_operations and "Scan" not in dynamo_operations
    assert user_client.get(URL, {"cursor": "bogus!"}).status_code == 400
    assert len(user_client.get(URL, {"limit": 5}).json()["results"]) == 5


def test_another_users_detection_is_404(user_client, other_user):
    theirs = make_record(user_id=other_user.user_id, thumbnail_path="x/thumb.jpg")
    assert user_client.get(f"{URL}{theirs.inference_id}/").status_code == 404
    assert user_client.delete(f"{URL}{theirs.inference_id}/").status_code == 404
    assert user_client.get(f"/detections/{theirs.inference_id}/images/thumb/").status_code == 404
    assert user_client.get(f"{URL}not-an-id/").status_code == 404
    assert InferenceRecord.get(theirs.inference_id).status == "COMPLETED"


def test_expired_detection_is_404(user_client, user):
    old = make_record(user_id=user.user_id, created_at=now_ms() - 91 * 86400 * 1000)
    assert user_client.get(f"{URL}{old.inference_id}/").status_code == 404


def test_a_detection_says_how_to_read_its_score_and_a_missing_threshold_is_null(user_client, user):
    record = make_record(user_id=user.user_id, thresholds=FORGED_ONLY_THRESHOLDS, verdict_basis=FORGED_ONLY_BASIS)
    detail = user_client.get(f"{URL}{record.inference_id}/").json()
    assert detail["thresholds"] == {"authentic_below": None, "forged_above": 0.62}
    assert detail["verdict_basis"] == FORGED_ONLY_BASIS
    reading = " ".join(detail["reading"])
    assert FORGED_ONLY_BASIS["operating_point"]["text"] in reading
    assert "This model cannot call a work likely authentic at 5% risk" in reading and "Scores are not calibrated" in reading

    older = user_client.get(f"{URL}{make_record(user_id=user.user_id).inference_id}/").json()
    assert older["verdict_basis"] is None and older["thresholds"] is None
    assert older["reading"] == ["This analysis predates ArtGuard's record of how to read a score: no operating point or error rates are stored with it."]


def test_schema_says_thresholds_may_be_null_and_describes_the_basis(user_client):
    schemas = user_client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    thresholds = schemas["Thresholds"]["properties"]
    assert thresholds["authentic_below"]["nullable"] and thresholds["forged_above"]["nullable"]
    basis = schemas["VerdictBasis"]["properties"]
    assert {"calibrated", "calibration_note", "operating_point", "statements", "targets"} <= set(basis)
    assert {"verdict_basis", "reading"} <= set(schemas["Detection"]["properties"])


def test_schema_builds_with_the_detection_operations(user_client):
    response = user_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/detections/"])
    assert {"get", "delete"} <= set(paths["/api/detections/{inference_id}/"])
    assert "multipart/form-data" in paths["/api/detections/"]["post"]["requestBody"]["content"]
    # Every answer the upload gives is documented on the operation (schemathesis holds the API to it).
    assert {"202", "400", "413", "429", "503"} <= set(paths["/api/detections/"]["post"]["responses"])
    assert paths["/api/detections/"]["post"]["operationId"] == "detections_create"


def test_schema_documents_the_outage_answer_on_every_operation(user_client):
    paths = user_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    operations = [op for ops in paths.values() for op in ops.values() if isinstance(op, dict)]
    assert operations
    for operation in operations:
        assert "Retry-After" in operation["responses"]["503"]["headers"]
        assert {"414", "431"} <= set(operation["responses"])  # gunicorn's own refusals (URL, header too long)
    assert "DetectionStatusEnum" in user_client.get("/api/schema/", {"format": "json"}).content.decode()  # enum hook kept


def test_browsable_api_renders_the_upload_form(user_client):
    response = user_client.get(URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and 'name="file"' in html and 'name="attributed_artist"' in html


def test_on_s3_images_redirect_to_a_presigned_url(user_client, user, settings):
    settings.STORAGE_BACKEND = "s3"
    options = {"region_name": "ca-central-1", "querystring_auth": True, "querystring_expire": settings.PRESIGNED_URL_SECONDS}
    boto3.client("s3", region_name="ca-central-1").create_bucket(
        Bucket="test-processed", CreateBucketConfiguration={"LocationConstraint": "ca-central-1"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "processed": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**options, "bucket_name": "test-processed"}},
    }
    record = make_record(user_id=user.user_id, thumbnail_path=f"inference/{user.user_id}/x/thumb.jpg")
    response = user_client.get(f"/detections/{record.inference_id}/images/thumb/")
    assert response.status_code == 302
    assert "test-processed" in response["Location"] and "X-Amz-Expires=3600" in response["Location"]


def test_upload_poll_list_images_report_delete(user_client, other_client, user, promoted_model, storage_dirs, dynamo_operations):
    jpeg = image_bytes(320, 240)
    created = _post(user_client, jpeg, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert created.status_code == 202, created.content
    body = created.json()
    assert body["status_url"].endswith(f"{URL}{body['id']}/")
    replay = _post(user_client, jpeg, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert replay.status_code == 202 and replay.json()["id"] == body["id"]
    assert replay["Idempotent-Replayed"] == "true"
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 1
    assert body["note"] == ""

    detail = user_client.get(body["status_url"]).json()
    assert detail["status"] == "COMPLETED", detail["failure_reason"]
    assert detail["model_version"] == promoted_model.model_version and detail["is_demo_model"] is False
    assert detail["explanation_source"] == "local" and "S1" in detail["explanation"]
    assert detail["forgery_score"] == round(detail["score"] * 100)
    assert detail["attributed_artist"] == FIXTURE_ARTIST and detail["title"] == "Title"
    assert len(detail["patch_scores"]) >= 1 and {"x", "y", "w", "h", "scale", "p"} == set(detail["patch_scores"][0])
    assert [s["name"] for s in detail["steps"]][0] == "upload"
    # The fixture model is trained on 12 images: too few to calibrate, and the answer says so.
    assert detail["verdict_basis"]["calibrated"] is False and detail["verdict_basis"]["operating_point"]["n"] == 12
    assert any(line.startswith("Of the 12 validation works scored most like this one") for line in detail["reading"])
    assert any(line.startswith("Scores are not calibrated") for line in detail["reading"])

    listed = user_client.get(URL).json()["results"]
    assert [item["id"] for item in listed] == [body["id"]]

    for key, content_type in [("image_url", "image/jpeg"), ("heatmap_url", "image/jpeg"), ("original_url", "image/jpeg")]:
        response = user_client.get(detail[key])
        assert response.status_code == 200 and response["Content-Type"] == content_type
        assert other_client.get(detail[key]).status_code == 404
    report = user_client.get(detail["report_url"])
    assert report.status_code == 200 and report["Content-Type"] == "application/pdf"
    assert b"".join(report.streaming_content if report.streaming else [report.content]).startswith(b"%PDF")
    assert other_client.get(detail["report_url"]).status_code == 404
    assert other_client.get(body["status_url"]).status_code == 404
    assert other_client.delete(body["status_url"]).status_code == 404

    assert user_client.delete(body["status_url"]).status_code == 204
    assert user_client.get(body["status_url"]).status_code == 404
    assert stored_files(storage_dirs) == []
    assert "Scan" not in dynamo_operations


def test_a_jpeg_named_heic_is_analysed_by_its_content_with_a_note(user_client, promoted_model, storage_dirs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = user_client.post(URL, {"attributed_artist": FIXTURE_ARTIST,
                                      "file": SimpleUploadedFile("IMG_0042.HEIC", image_bytes(320, 240), content_type="image/heic")})
    assert response.status_code == 202, response.content
    assert response.json()["note"] == "The file is named .heic but holds a JPEG image; it was read as JPEG."
    record = InferenceRecord.get(response.json()["id"])
    assert record.status == "COMPLETED" and record.image_path.endswith("original.jpg")
