"""Image storage failing (OSError from save/open: disk full, I/O error, a bucket unreachable) in
upload, the detection task and the image pages: FAILED with a reason, or a 503 that says so."""
from __future__ import annotations

import errno

from django.core.files.uploadedfile import SimpleUploadedFile

from artguard.outages import RETRY_AFTER_SECONDS, STORAGE_MESSAGE
from artguard.storage import processed_storage, raw_storage
from detection import services
from detection.selectors import PENDING_MARKER_USER, inference_get
from detection.tables import InferenceRecord
from tests.detection.conftest import stored_files
from tests.images import image_bytes
from training import served_models
from tests.training.fixtures import FIXTURE_ARTIST

JPEG = image_bytes(320, 240, fmt="JPEG")


def _fail(monkeypatch, storage, method: str, code: int = errno.ENOSPC):
    def boom(*args, **kwargs):
        raise OSError(code, f"injected storage fault ({errno.errorcode[code]})")

    monkeypatch.setattr(storage, method, boom)


def _markers():
    return list(InferenceRecord.user_inferences_index.query(PENDING_MARKER_USER))


def test_upload_when_the_original_cannot_be_stored(user, user_client, fake_model, monkeypatch, storage_dirs, no_queue):
    _fail(monkeypatch, raw_storage(), "_save")
    response = user_client.post("/api/detections/", {"attributed_artist": FIXTURE_ARTIST, "file": SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")})
    assert response.status_code == 503
    assert response.json() == {"detail": STORAGE_MESSAGE} and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    [record] = InferenceRecord.user_inferences_index.query(user.user_id)
    assert record.status == "FAILED" and "could not be stored" in record.failure_reason
    assert stored_files(storage_dirs) == [] and _markers() == [] and no_queue == []

    page = user_client.post("/detections/", {"attributed_artist": FIXTURE_ARTIST, "files": [SimpleUploadedFile("b.jpg", JPEG, content_type="image/jpeg")]})
    assert page.status_code == 503 and STORAGE_MESSAGE in page.content.decode()


def test_web_upload_of_several_files_when_storage_fails_midway(user, user_client, fake_model, monkeypatch, storage_dirs, no_queue):
    """The files before the fault are submitted; the page names the ones that were not."""
    saves = []
    original = type(raw_storage())._save

    def second_save_fails(self, name, content):
        saves.append(name)
        if len(saves) >= 2:
            raise OSError(errno.EIO, "injected storage fault (EIO)")
        return original(self, name, content)

    monkeypatch.setattr(type(raw_storage()), "_save", second_save_fails)
    files = [SimpleUploadedFile(name, JPEG, content_type="image/jpeg") for name in ("one.jpg", "two.jpg", "three.jpg")]
    response = user_client.post("/detections/", {"attributed_artist": FIXTURE_ARTIST, "files": files}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 image submitted" in text
    assert f"two.jpg: not submitted. {STORAGE_MESSAGE}" in text and f"three.jpg: not submitted. {STORAGE_MESSAGE}" in text
    records = {r.status for r in InferenceRecord.user_inferences_index.query(user.user_id)}
    assert records == {"PENDING", "FAILED"}  # one queued, the one whose original could not be stored says why


def test_detection_task_when_processed_storage_fails(user, fake_model, monkeypatch, storage_dirs, no_queue):
    submission = services.inference_submit(user_id=user.user_id, data=JPEG, filename="a.jpg", attributed_artist=FIXTURE_ARTIST)
    _fail(monkeypatch, processed_storage(), "_save", errno.EIO)
    services.inference_process(inference_id=submission.record.inference_id)
    record = inference_get(inference_id=submission.record.inference_id)
    assert record.status == "FAILED" and record.failure_reason == STORAGE_MESSAGE
    assert _markers() == []


def test_detection_task_when_the_original_cannot_be_read(user, fake_model, monkeypatch, no_queue):
    submission = services.inference_submit(user_id=user.user_id, data=JPEG, filename="a.jpg", attributed_artist=FIXTURE_ARTIST)
    _fail(monkeypatch, raw_storage(), "_open", errno.EIO)
    services.inference_process(inference_id=submission.record.inference_id)
    record = inference_get(inference_id=submission.record.inference_id)
    assert record.status == "FAILED" and record.failure_reason == STORAGE_MESSAGE


def test_pages_reading_storage_answer_503(user, user_client, fake_model, monkeypatch):
    submission = services.inference_submit(user_id=user.user_id, data=JPEG, filename="a.jpg", attributed_artist=FIXTURE_ARTIST)  # sync queue: completes
    assert inference_get(inference_id=submission.record.inference_id).status == "COMPLETED"
    _fail(monkeypatch, processed_storage(), "_open", errno.EIO)
    image = user_client.get(f"/detections/{submission.record.inference_id}/images/display/")
    assert image.status_code == 503 and STORAGE_MESSAGE in image.content.decode()
    served_models.clear_cache()  # the upload page reads the served models from storage
    upload = user_client.get("/detections/")
    assert upload.status_code == 503 and "Traceback" not in upload.content.decode()


def test_a_damaged_image_is_not_called_a_storage_outage(user, user_client, fake_model):
    # PIL raises OSError subclasses for bad files: those are the uploader's 400, not a 503.
    response = user_client.post("/api/detections/", {"attributed_artist": FIXTURE_ARTIST, "file": SimpleUploadedFile("a.jpg", JPEG[:1500], content_type="image/jpeg")})
    assert response.status_code == 400
