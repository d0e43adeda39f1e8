"""What a result shows must be right (issue 17): the artefact URLs answer the API token, an
unfamiliar photograph's score is not the headline, the familiarity flag and the most suspicious
region reach every surface, low resolution is warned about, and PDF headings keep their text."""
from __future__ import annotations

import re
import zlib

import pytest
from django.core.files.base import ContentFile

from accounts.services import api_token_create
from artguard.storage import processed_storage, raw_storage
from detection import report
from tests.detection.factories import FORGED_ONLY_BASIS, make_record
from tests.detection.pdf_text import pdf_text
from tests.images import image_bytes

UNFAMILIAR = {"distance": 2.5, "threshold": 2.1, "unfamiliar": True}
THRESHOLDS = {"authentic_below": 0.3, "forged_above": 0.7}
CALIBRATED_BASIS = {**FORGED_ONLY_BASIS, "calibrated": True, "calibration_note": ""}


def _patches(width: int, height: int, top: float = 0.97) -> list[dict]:
    """A 2 x 2 grid at scale 1 over a width x height image, one hot patch lower right."""
    half_w, half_h = width // 2, height // 2
    return [
        {"x": 0, "y": 0, "w": half_w, "h": half_h, "scale": 1.0, "p": 0.1},
        {"x": half_w, "y": 0, "w": width - half_w, "h": half_h, "scale": 1.0, "p": 0.2},
        {"x": 0, "y": half_h, "w": half_w, "h": height - half_h, "scale": 1.0, "p": 0.15},
        {"x": half_w, "y": half_h, "w": width - half_w, "h": height - half_h, "scale": 1.0, "p": top},
    ]


def _completed(user, **extra):
    """A COMPLETED record whose stored objects exist, as the pipeline leaves them."""
    prefix = f"inference/{user.user_id}/stored"
    processed, raw = processed_storage(), raw_storage()
    paths = {
        "display_path": processed.save(f"{prefix}/display.jpg", ContentFile(image_bytes(320, 240))),
        "thumbnail_path": processed.save(f"{prefix}/thumb.jpg", ContentFile(image_bytes(160, 120))),
        "heatmap_path": processed.save(f"{prefix}/heatmap.png", ContentFile(image_bytes(320, 278, fmt="PNG"))),
        "processed_path": processed.save(f"{prefix}/image.png", ContentFile(image_bytes(320, 240, fmt="PNG"))),
        "image_path": raw.save(f"{prefix}/original.jpg", ContentFile(image_bytes(320, 240))),
    }
    options = {"thresholds": THRESHOLDS, "verdict_basis": CALIBRATED_BASIS, "model_version": "model-x",
               "explanation": "An explanation.", "patch_scores": _patches(2048, 1536), **paths, **extra}
    record = make_record(user_id=user.user_id, **options)
    return record


def test_every_artefact_url_downloads_with_the_api_token(client, user, storage_dirs):
    record = _completed(user)
    token = api_token_create(user_id=user.user_id)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    detail = client.get(f"/api/detections/{record.inference_id}/", **auth).json()
    listed = client.get("/api/detections/", **auth).json()["results"][0]
    expected = {"report_url": "application/pdf", "heatmap_url": "image/png", "image_url": "image/jpeg",
                "original_url": "image/jpeg"}
    urls = {key: detail[key] for key in expected} | {"thumbnail_url": listed["thumbnail_url"]}
    expected["thumbnail_url"] = "image/jpeg"
    for key, url in urls.items():
        response = client.get(url, **auth)
        assert response.status_code == 200, (key, response.status_code, response.get("Location"))
        assert response["Content-Type"] == expected[key], key
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body[:4] in (b"%PDF", b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb"), key
        # without credentials: the login page, as before; with a bad token: 401, not the login page
        assert client.get(url).status_code == 302
        refused = client.get(url, HTTP_AUTHORIZATION="Token ag_nobody_wrong")
        assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"


def test_another_users_token_cannot_fetch_artefacts(client, user, other_user, storage_dirs):
    record = _completed(user)
    theirs = {"HTTP_AUTHORIZATION": f"Token {api_token_create(user_id=other_user.user_id)}"}
    assert client.get(f"/detections/{record.inference_id}/images/heatmap/", **theirs).status_code == 404
    assert client.get(f"/detections/{record.inference_id}/report.pdf", **theirs).status_code == 404


def test_the_api_answers_401_with_www_authenticate_without_credentials(client):
    response = client.get("/api/detections/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_unfamiliar_result_does_not_lead_with_its_score(user_client, user, storage_dirs):
    record = _completed(user, familiarity=UNFAMILIAR)
    record.update(actions=[type(record).forgery_score.set(100), type(record).score.set(1.0)])
    page = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert "unfamiliar photograph" in page
    assert not re.search(r"<strong>\s*100\s*</strong>", page), "the score is not the headline"
    assert "Forgery score 100 / 100, not to be read as evidence" in page

    history = user_client.get("/detections/history/").content.decode()
    assert "unfamiliar photograph" in history and "(100)" in history

    listed = user_client.get("/api/detections/").json()["results"][0]
    assert listed["unfamiliar"] is True


def test_a_familiar_result_leads_with_its_score_and_is_flagged_familiar(user_client, user, storage_dirs):
    record = _completed(user, familiarity={"distance": 1.0, "threshold": 2.1, "unfamiliar": False})
    page = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert re.search(r"<strong>\s*42\s*</strong>", page) and "unfamiliar photograph" not in page
    assert user_client.get("/api/detections/").json()["results"][0]["unfamiliar"] is False


def test_the_most_suspicious_region_is_reported_with_its_calibrated_meaning(user_client, user, storage_dirs):
    record = _completed(user)
    region = user_client.get(f"/api/detections/{record.inference_id}/").json()["most_suspicious_region"]
    assert region["label"] == "S1" and region["score"] == 97 and region["location"] == "lower right"
    assert region["reads_as"] == "LIKELY_FORGED" and region["calibrated"] is True
    assert region["text"].startswith("The most suspicious region, S1 (lower right), scores 97 on the same calibrated scale")
    page = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert "would read as likely forged" in page


def test_low_resolution_is_warned_about_on_the_page_the_pdf_and_the_api(user_client, user, storage_dirs, monkeypatch):
    monkeypatch.setattr(report, "_font_dir", lambda: None)
    small = _completed(user, patch_scores=_patches(800, 600))
    large = _completed(user)
    detail = user_client.get(f"/api/detections/{small.inference_id}/").json()
    assert len(detail["warnings"]) == 1 and "800×600 pixels" in detail["warnings"][0] and "896 px or less" in detail["warnings"][0]
    assert user_client.get(f"/api/detections/{large.inference_id}/").json()["warnings"] == []
    page = user_client.get(f"/detections/{small.inference_id}/").content.decode()
    assert 'id="resolution-warning"' in page and "too coarse to show brushwork" in page
    assert 'id="resolution-warning"' not in user_client.get(f"/detections/{large.inference_id}/").content.decode()
    pdf = user_client.get(f"/detections/{small.inference_id}/report.pdf").content
    assert "too coarse to show brushwork" in pdf_text(pdf)


def test_the_pdf_of_an_unfamiliar_result_does_not_lead_with_the_score(user, storage_dirs, monkeypatch):
    monkeypatch.setattr(report, "_font_dir", lambda: None)
    record = make_record(user_id=user.user_id, familiarity=UNFAMILIAR, thresholds=THRESHOLDS, explanation="x",
                         model_version="m", patch_scores=_patches(2048, 1536))
    text = pdf_text(report.render_report(record=record, display_jpeg=image_bytes(320, 240), heatmap_image=image_bytes(320, 240, fmt="PNG")))
    assert "Forgery score: " not in text and "unfamiliar photograph" in text
    assert "The most suspicious region, S1 (lower right), scores 97" in text


_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
HEADINGS = {"Explanation", "Limits of this analysis", "How to read this score"}


def _page_texts(pdf: bytes) -> list[list[str]]:
    pages = []
    for stream in _STREAM.findall(pdf):
        try:
            pages.append([text.decode("latin-1") for text in _SHOWN.findall(zlib.decompress(stream))])
        except zlib.error:
            continue  # an image
    return [page for page in pages if page]


def test_no_heading_is_left_alone_at_the_foot_of_a_page(user, monkeypatch):
    """Explanations of many lengths move the headings down the page; none may end a page
    (before the fix, 4 and 5 sentences left "Limits of this analysis" alone at the foot)."""
    monkeypatch.setattr(report, "_font_dir", lambda: None)
    record = make_record(user_id=user.user_id, thresholds=THRESHOLDS, verdict_basis=FORGED_ONLY_BASIS, model_version="m",
                         patch_scores=_patches(2048, 1536))
    orphans = []
    for sentences in range(40):
        record.explanation = " ".join(f"Sentence {n} says something about the brushwork of this painting." for n in range(sentences))
        pdf = report.render_report(record=record, display_jpeg=image_bytes(320, 480), heatmap_image=image_bytes(320, 480, fmt="PNG"))
        for page in _page_texts(pdf):
            body = [line for line in page if not line.startswith("ArtGuard report")]  # the footer
            if body and body[-1] in HEADINGS:
                orphans.append((sentences, body[-1]))
    assert orphans == []
