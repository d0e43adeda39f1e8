"""Workflow A through the services, with a real small trained model (the `promoted_model`
fixture) wherever an image is scored."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import numpy as np
import pytest
from PIL import Image

from artguard.dynamo import now_ms
from datasets.imaging import patch_grid
from detection import services
from detection.services import submission
from detection.selectors import PENDING_MARKER_USER, inference_get
from detection.tables import InferenceRecord
from tests.detection.bad_inputs import BAD_INPUTS
from tests.detection.conftest import stored_files
from tests.images import image_bytes
from tests.training.fixtures import FIXTURE_ARTIST


def _exif_jpeg() -> bytes:
    image = Image.fromarray(np.random.default_rng(3).integers(0, 255, (300, 400, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    exif[0x010F] = "SecretCam"  # make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_rejected_and_nothing_is_stored(case, user, storage_dirs):
    data, name, message = BAD_INPUTS[case]
    with pytest.raises(services.ImageRejected, match=re.escape(message)):
        services.inference_submit(user_id=user.user_id, data=data, filename=name, attributed_artist=FIXTURE_ARTIST)
    assert stored_files(storage_dirs) == []
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 0
    assert InferenceRecord.user_inferences_index.count(PENDING_MARKER_USER) == 0


def test_over_the_size_limit_is_rejected_before_decoding(user, settings, storage_dirs):
    settings.UPLOAD_MAX_BYTES = 10_000
    with pytest.raises(services.ImageRejected, match="The file is larger than 0 MB"):
        services.inference_submit(user_id=user.user_id, data=image_bytes(240, 240) + b"\0" * 10_000, filename="big.jpg", attributed_artist=FIXTURE_ARTIST)
    assert stored_files(storage_dirs) == []


def test_without_a_promoted_model_nothing_is_created(user, storage_dirs):
    with pytest.raises(services.NoModelAvailable, match="No forgery model"):
        services.inference_submit(user_id=user.user_id, data=image_bytes(240, 240), filename="a.jpg", attributed_artist=FIXTURE_ARTIST)
    assert stored_files(storage_dirs) == []
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 0


def test_rate_limit_counts_the_last_hour(user, settings):
    from tests.detection.factories import make_record

    settings.UPLOADS_PER_HOUR = 2
    make_record(user_id=user.user_id, created_at=now_ms() - 2 * 3600 * 1000)  # outside the hour
    make_record(user_id=user.user_id)
    services.rate_limit_check(user_id=user.user_id)
    make_record(user_id=user.user_id)
    with pytest.raises(services.RateLimited, match="2 images in the last hour"):
        services.rate_limit_check(user_id=user.user_id)


def test_upload_to_completed_then_report_and_delete(user, promoted_model, storage_dirs, dynamo_operations):
    submission = services.inference_submit(
        user_id=user.user_id, data=_exif_jpeg(), filename="Harbour.JPG", attributed_artist="  fixture HAND ", title="Harbour"
    )
    assert submission.created
    record = inference_get(inference_id=submission.record.inference_id)
    prefix = f"inference/{user.user_id}/{record.inference_id}"

    assert record.status == "COMPLETED", record.failure_reason
    assert 0.0 <= record.score <= 1.0
    assert record.forgery_score == round(record.score * 100)
    assert record.verdict in {"LIKELY_AUTHENTIC", "INCONCLUSIVE", "LIKELY_FORGED"}
    assert record.model_version == promoted_model.model_version
    assert record.model_is_demo is False
    assert record.attributed_artist == FIXTURE_ARTIST and record.artist == "fixture-hand" and record.title == "Harbour"
    assert record.explanation_source == "local"
    assert FIXTURE_ARTIST in record.explanation and "S1 in the" in record.explanation
    # How to read the score is stored with it and told in the explanation (the 12-image fixture
    # model is too small to calibrate).
    basis = record.verdict_basis.as_dict()
    assert basis["calibrated"] is False and basis["operating_point"]["n"] == 12
    assert basis["operating_point"]["text"] in record.explanation and basis["calibration_note"] in record.explanation
    assert basis["statements"] == promoted_model.info["policy"]["statements"]
    # EXIF orientation applied (400x300 rotated), so patches are on a 300x400 image.
    assert len(record.patch_scores) == len(patch_grid(300, 400))
    assert set(record.patch_scores[0]) == {"x", "y", "w", "h", "scale", "p"}
    assert [step["name"] for step in record.steps] == ["upload", "preprocess", "patches", "capture check", "score", "references", "heatmap", "knowledge", "explanation", "store images"]
    assert all(step["seconds"] >= 0 for step in record.steps)
    expected_ttl = datetime.fromtimestamp(record.created_at / 1000 + 90 * 86400, tz=timezone.utc)
    assert abs((record.ttl - expected_ttl).total_seconds()) < 1
    assert record.image_path == f"{prefix}/original.jpg"
    # No lossless copy of the whole image (nothing reads it back); each cited region's thumbnail instead.
    regions = record.references.as_dict()["regions"]
    most, least = services.evidence_patches(record.patch_scores)
    assert set(regions) == {f"S{n}" for n in range(1, len(most) + 1)} | {f"L{n}" for n in range(1, len(least) + 1)}
    assert record.processed_path is None
    assert sorted(stored_files(storage_dirs)) == sorted(
        [f"{prefix}/original.jpg", f"{prefix}/display.jpg", f"{prefix}/thumb.jpg", f"{prefix}/heatmap.jpg",
         *(f"{prefix}/regions/{label}.jpg" for label in regions)]
    )
    assert all(regions[label]["crop_path"] == f"{prefix}/regions/{label}.jpg" for label in regions)
    processed = Image.open(storage_dirs["processed"] / prefix / "display.jpg")
    assert processed.size == (300, 400) and not processed.info.get("exif") and not processed.getexif()
    assert InferenceRecord.user_inferences_index.count(PENDING_MARKER_USER) == 0
    assert "Scan" not in dynamo_operations

    pdf = services.report_pdf(record=record)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    assert [path.name for path in (storage_dirs["processed"] / prefix).glob(f"report-{services.REPORT_VERSION}-*.pdf")]

    assert services.inference_delete(user_id="someone-else", inference_id=record.inference_id) is False
    assert services.inference_delete(user_id=user.user_id, inference_id=record.inference_id) is True
    assert stored_files(storage_dirs) == []
    assert inference_get(inference_id=record.inference_id) is None
    assert services.inference_delete(user_id=user.user_id, inference_id=record.inference_id) is False


def test_converted_inputs_idempotency_failures_and_the_sweep(user, other_user, promoted_model, monkeypatch, dynamo_operations):
    # CMYK, 16-bit and alpha are converted to 8-bit RGB and analysed.
    sixteen = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 65535, (240, 320), dtype=np.uint16)).save(sixteen, format="PNG")
    for data, name in [
        (image_bytes(320, 240, fmt="JPEG", mode="CMYK"), "cmyk.jpg"),
        (sixteen.getvalue(), "deep.png"),
        (image_bytes(320, 240, fmt="PNG", mode="RGBA"), "alpha.png"),
    ]:
        record = services.inference_submit(user_id=user.user_id, data=data, filename=name, attributed_artist=FIXTURE_ARTIST).record
        assert record.status == "COMPLETED", (name, record.failure_reason)

    # One idempotency key, twice: one record. Another user with the same key: their own record.
    first = services.inference_submit(user_id=user.user_id, data=image_bytes(320, 240), filename="a.jpg", idempotency_key="k-1", attributed_artist=FIXTURE_ARTIST)
    again = services.inference_submit(user_id=user.user_id, data=image_bytes(320, 240), filename="a.jpg", idempotency_key="k-1", attributed_artist=FIXTURE_ARTIST)
    # The replay is answered from the record: the image is not checked (decoded) again.
    with monkeypatch.context() as patched:
        patched.setattr(submission, "upload_check", lambda **_: pytest.fail("a replay decoded the image again"))
        assert services.inference_submit(user_id=user.user_id, data=image_bytes(320, 240), filename="a.jpg", idempotency_key="k-1",
                                         attributed_artist=FIXTURE_ARTIST).record.inference_id == first.record.inference_id
    theirs = services.inference_submit(user_id=other_user.user_id, data=image_bytes(320, 240), filename="a.jpg", idempotency_key="k-1", attributed_artist=FIXTURE_ARTIST)
    assert first.created and not again.created and theirs.created
    assert again.record.inference_id == first.record.inference_id != theirs.record.inference_id
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 4
    # Reused after the record expired (DynamoDB may not have removed it yet): a fresh analysis.
    InferenceRecord(inference_id=first.record.inference_id).update(
        actions=[InferenceRecord.ttl.set(datetime.fromtimestamp(1_000_000, tz=timezone.utc))]
    )
    reborn = services.inference_submit(user_id=user.user_id, data=image_bytes(320, 240), filename="a.jpg", idempotency_key="k-1", attributed_artist=FIXTURE_ARTIST)
    assert reborn.created and reborn.record.inference_id == first.record.inference_id
    assert inference_get(inference_id=first.record.inference_id).status == "COMPLETED"

    # A scoring failure ends FAILED with a reason a person can read.
    from training import serving

    def broken(images, **pinned):
        raise RuntimeError("backbone exploded")

    monkeypatch.setattr(serving, "score_patches", broken)
    failed = services.inference_submit(user_id=user.user_id, data=image_bytes(320, 240), filename="b.jpg", attributed_artist=FIXTURE_ARTIST)
    failed = inference_get(inference_id=failed.record.inference_id)
    assert failed.status == "FAILED"
    assert "failed unexpectedly (RuntimeError)" in failed.failure_reason and "try again" in failed.failure_reason

    # A task that never runs (lost by the broker): the sweep fails the record after the timeout.
    monkeypatch.setattr(submission, "enqueue", lambda record, **_: None)  # where inference_submit looks it up
    stuck = services.inference_submit(user_id=user.user_id, data=image_bytes(320, 240), filename="c.jpg", attributed_artist=FIXTURE_ARTIST).record
    assert inference_get(inference_id=stuck.inference_id).status == "PENDING"
    assert InferenceRecord.user_inferences_index.count(PENDING_MARKER_USER) == 1
    assert services.inferences_sweep_stuck() == 0  # not stuck yet
    later = now_ms() + 16 * 60 * 1000
    assert services.inferences_sweep_stuck(now=later) == 1
    swept = inference_get(inference_id=stuck.inference_id)
    assert swept.status == "FAILED" and "took too long" in swept.failure_reason
    assert InferenceRecord.user_inferences_index.count(PENDING_MARKER_USER) == 0
    assert services.inferences_sweep_stuck(now=later) == 0
    # A late task run finds the record finished and leaves it alone.
    services.inference_process(inference_id=stuck.inference_id)
    assert inference_get(inference_id=stuck.inference_id).status == "FAILED"
    assert "Scan" not in dynamo_operations
