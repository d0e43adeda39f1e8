"""The capture check at analysis time (issue 26), end to end with a real trained model: a photo
taken unlike every photograph the model was validated on is INCONCLUSIVE, and the page, the PDF
and the API say why and what to do; a PNG is still analysed and says which check it could not make."""
from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ImageFilter

from detection import report
from detection.tables import InferenceRecord
from tests.detection.factories import make_record
from tests.detection.pdf_text import pdf_text
from tests.images import image_bytes


def _upload(client, artist: str, name: str, data: bytes, content_type: str) -> InferenceRecord:
    response = client.post("/api/detections/", {"attributed_artist": artist, "file": SimpleUploadedFile(name, data, content_type=content_type)})
    assert response.status_code == 202, response.content
    record = InferenceRecord.get(response.json()["id"])
    assert record.status == "COMPLETED", record.failure_reason
    return record


def _jpeg(image, quality: int = 95) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def test_a_blurred_photo_is_inconclusive_with_its_reason_on_the_page_the_pdf_and_the_api(promoted_model, user_client, monkeypatch):
    monkeypatch.setattr(report, "_font_dir", lambda: None)  # core font: the PDF's strings are literal
    envelope = promoted_model.info["capture_envelope"]
    assert envelope and "focus" in envelope["limits"], envelope

    as_taken = _upload(user_client, promoted_model.artist, "work.png", _png(promoted_model.forged_image), "image/png")
    assert as_taken.capture["checked"] and not as_taken.capture["outside"], as_taken.capture
    assert as_taken.verdict != "INCONCLUSIVE" or not as_taken.capture["reasons"]

    blurred = promoted_model.forged_image.filter(ImageFilter.GaussianBlur(4))
    record = _upload(user_client, promoted_model.artist, "blurred.jpg", _jpeg(blurred), "image/jpeg")
    assert record.verdict == "INCONCLUSIVE"
    assert record.capture["outside"]
    [reason] = [r for r in record.capture["reasons"] if "softer" in r]
    assert "photograph it again in focus" in reason

    page = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert 'id="capture-outside"' in page and "photograph it again in focus" in page
    assert f"<strong>{int(record.forgery_score)}</strong>" not in page  # the score is not the headline
    assert "taken unlike every photograph the model was validated on" in record.explanation  # the words agree with the verdict
    assert "which it reads as" not in record.explanation

    pdf = pdf_text(user_client.get(f"/detections/{record.inference_id}/report.pdf").content)
    assert "taken unlike every photograph the model was validated on" in pdf and "photograph it again in focus" in pdf

    api = user_client.get(f"/api/detections/{record.inference_id}/").json()
    assert api["verdict"] == "INCONCLUSIVE" and api["capture_outside"] is True
    assert api["capture"]["outside"] is True and any("in focus" in r for r in api["capture"]["reasons"])
    assert api["capture"]["statistics"]["focus"] < envelope["limits"]["focus"]["low"]
    listed = user_client.get("/api/detections/").json()["results"]
    assert {row["id"]: row["capture_outside"] for row in listed}[record.inference_id] is True
    assert "capture-flag" in user_client.get("/detections/history/").content.decode()


def _report_text(record) -> str:
    return pdf_text(report.render_report(record=record, display_jpeg=image_bytes(320, 240), heatmap_image=image_bytes(320, 240, fmt="PNG")))


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_png_is_still_analysed_and_says_which_check_it_could_not_make(user_client, user, monkeypatch):
    monkeypatch.setattr(report, "_font_dir", lambda: None)
    record = make_record(user_id=user.user_id, capture={
        "checked": True, "outside": False, "reasons": [], "checks": {"focus": {"value": 0.2, "low": 0.1, "ok": True}},
        "not_checked": ["jpeg quality: not checked, the file has no JPEG quantization tables (it is not a JPEG)"],
        "stats": {"format": "PNG", "jpeg_quality": None, "focus": 0.2},
    })
    page = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert 'id="capture-not-checked"' in page and "no JPEG quantization tables" in page and 'id="capture-outside"' not in page
    api = user_client.get(f"/api/detections/{record.inference_id}/").json()
    assert api["capture_outside"] is False and api["capture"]["statistics"]["jpeg_quality"] is None
    assert "no JPEG quantization tables" in _report_text(record)


def test_a_record_made_before_the_capture_check_still_renders(user_client, user, monkeypatch):
    monkeypatch.setattr(report, "_font_dir", lambda: None)
    record = make_record(user_id=user.user_id)
    page = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert 'id="capture-outside"' not in page and 'id="capture-not-checked"' not in page
    api = user_client.get(f"/api/detections/{record.inference_id}/").json()
    assert api["capture"] is None and api["capture_outside"] is None
    assert "Capture check" not in _report_text(record)


def test_the_upload_page_says_how_to_photograph_a_work(user_client, promoted_model):
    page = user_client.get("/detections/").content.decode()
    assert 'id="how-to-photograph"' in page and "Upload the original file" in page and "In focus and steady" in page
