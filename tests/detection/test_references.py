"""Reference passages beside each cited region, with a real trained model (`promoted_model`):
found at analysis time, shown on the page, in the PDF and the API; thumbnails only when staff
allow them and the training image still exists; a model without an index says so."""
from __future__ import annotations

import io
import re
from collections import OrderedDict
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from detection import references as references_module, report, services
from detection.selectors import inference_get
from tests.detection.pdf_text import pdf_text
from training import compute, services as training_services
from training.tables import RunRecord


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _analyse(user, promoted_model):
    submission = services.inference_submit(user_id=user.user_id, data=_png(promoted_model.forged_image), filename="work.png",
                                         attributed_artist=promoted_model.artist)
    record = inference_get(inference_id=submission.record.inference_id)
    assert record.status == "COMPLETED", record.failure_reason
    return record


def _regions(record) -> dict:
    return record.references.as_dict()["regions"]


def _pdf(record) -> bytes:
    return services.report_pdf(record=inference_get(inference_id=record.inference_id))


def _image_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Subtype\s*/Image", pdf))


@pytest.fixture
def core_font(monkeypatch):
    monkeypatch.setattr(report, "_font_dir", lambda: None)


def test_each_cited_region_gets_its_nearest_authentic_and_forged_training_patches(user, promoted_model):
    record = _analyse(user, promoted_model)
    stored = record.references.as_dict()
    assert stored["status"] == references_module.FOUND and stored["run_id"] == promoted_model.run_id
    most, least = services.evidence_patches([p.as_dict() if hasattr(p, "as_dict") else dict(p) for p in record.patch_scores])
    assert set(stored["regions"]) == {f"S{n}" for n in range(1, len(most) + 1)} | {f"L{n}" for n in range(1, len(least) + 1)}
    for label, region in stored["regions"].items():
        for side in ("authentic", "forged"):
            refs = region[side]
            assert len(refs) == 3 and all(ref["label"] == side for ref in refs)
            similarities = [ref["similarity"] for ref in refs]
            assert similarities == sorted(similarities, reverse=True) and all(-1 <= s <= 1 for s in similarities)
            assert all(ref["patch_path"].startswith("patches/fixture/") for ref in refs)
    # The uploaded work IS a training image (forged 0): its S1 region's nearest forged patch is itself.
    s1 = stored["regions"]["S1"]
    assert s1["forged"][0]["similarity"] > 0.99 and s1["forged"][0]["sublabel"] in {"copy", "pastiche"}
    assert s1["forged"][0]["similarity"] > s1["authentic"][0]["similarity"]
    # ...and both writers cite it in the evidence section.
    sections = record.explanation_sections.as_dict()
    assert list(sections) == ["verdict", "evidence", "confidence", "cannot_show"]
    assert re.search(r"S1 is closer to (one known forgery|two known forgeries|three known forgeries) \((copy|pastiche)", sections["evidence"])
    assert [step["name"] for step in record.steps][4:6] == ["score", "references"]


def test_confidential_by_default_labels_and_similarities_only_in_page_pdf_and_api(user, user_client, promoted_model, core_font):
    record = _analyse(user, promoted_model)
    page = user_client.get(reverse("detection:result", args=[record.inference_id])).content.decode()
    assert 'id="references"' in page and references_module.HIDDEN_NOTE in page
    assert 'id="region-S1"' in page and "known forgery (" in page and "authentic ·" in page
    assert "/regions/S1/forged/1/" not in page  # no thumbnail is linked
    assert 'id="explanation-verdict"' in page and "What a photograph cannot show" in page
    assert user_client.get(reverse("detection:reference_thumbnail", args=[record.inference_id, "S1", "forged", 1])).status_code == 404

    api = user_client.get(reverse("api-detection", args=[record.inference_id])).json()
    refs = api["references"]
    assert refs["status"] == "found" and refs["thumbnails_allowed"] is False and refs["note"] == references_module.HIDDEN_NOTE
    s1 = next(region for region in refs["regions"] if region["region"] == "S1")
    assert {ref["thumbnail_url"] for ref in s1["forged"] + s1["authentic"]} == {None}
    assert s1["forged"][0]["label"] == "forged" and s1["forged"][0]["similarity"] > 0.99 and "patch_path" not in s1["forged"][0]
    assert [section["key"] for section in api["explanation_sections"]] == ["verdict", "evidence", "confidence", "cannot_show"]

    text = pdf_text(_pdf(record))
    assert "Reference passages" in text and references_module.HIDDEN_NOTE in text and "known forgery" in text
    assert "The verdict" in text and "What lowers confidence" in text


def test_staff_can_show_thumbnails_and_they_reach_page_pdf_and_api(user, user_client, staff_user, promoted_model, core_font):
    from django.test import Client

    record = _analyse(user, promoted_model)
    hidden_pdf = _pdf(record)
    staff = Client()
    staff.force_login(staff_user, backend="accounts.backends.DynamoUserBackend")
    run_page = staff.get(reverse("training:run", args=[promoted_model.run_id])).content.decode()
    assert "Thumbnails are hidden" in run_page and 'id="show-reference-thumbnails"' in run_page
    response = staff.post(reverse("training:run_reference_thumbnails", args=[promoted_model.run_id]), {"reference_thumbnails": "show"})
    assert response.status_code == 302
    assert "Thumbnails are shown." in staff.get(reverse("training:run", args=[promoted_model.run_id])).content.decode()
    # A user cannot change it.
    assert user_client.post(reverse("training:run_reference_thumbnails", args=[promoted_model.run_id]), {"reference_thumbnails": "hide"}).status_code == 302
    assert RunRecord.get(promoted_model.run_id).reference_thumbnails is True

    page = user_client.get(reverse("detection:result", args=[record.inference_id])).content.decode()
    assert references_module.HIDDEN_NOTE not in page
    thumbnail_url = reverse("detection:reference_thumbnail", args=[record.inference_id, "S1", "forged", 1])
    assert thumbnail_url in page
    thumbnail = user_client.get(thumbnail_url)
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(b"".join(thumbnail.streaming_content if thumbnail.streaming else [thumbnail.content]))).size) == references_module.THUMBNAIL_SIDE
    region = user_client.get(reverse("detection:region_thumbnail", args=[record.inference_id, "S1"]))
    assert region.status_code == 200 and region["Content-Type"] == "image/jpeg"

    api = user_client.get(reverse("api-detection", args=[record.inference_id])).json()["references"]
    assert api["thumbnails_allowed"] is True and api["note"] == ""
    s1 = next(region for region in api["regions"] if region["region"] == "S1")
    assert all(ref["thumbnail_url"] and ref["thumbnail_url"].endswith(f"/{ref_side}/{n}/") for ref_side in ("forged", "authentic")
               for n, ref in enumerate(s1[ref_side], start=1))
    # Another user gets nothing of it.
    from django.test import Client as Other

    assert Other().get(thumbnail_url).status_code == 302  # to the login page

    shown_pdf = _pdf(record)
    assert _image_count(shown_pdf) > _image_count(hidden_pdf)
    assert references_module.HIDDEN_NOTE not in pdf_text(shown_pdf)

    # Hidden again: the next page, PDF and API hide them (nothing was kept with the result).
    training_services.run_reference_thumbnails_set(run_id=promoted_model.run_id, allowed=False, changed_by="staff@example.com")
    assert thumbnail_url not in user_client.get(reverse("detection:result", args=[record.inference_id])).content.decode()
    assert user_client.get(thumbnail_url).status_code == 404
    assert _image_count(_pdf(record)) == _image_count(hidden_pdf)


def test_a_deleted_training_image_shows_its_label_instead_of_a_thumbnail(user, user_client, promoted_model, storage_dirs, core_font):
    record = _analyse(user, promoted_model)
    training_services.run_reference_thumbnails_set(run_id=promoted_model.run_id, allowed=True, changed_by="staff@example.com")
    from datasets.deletion import dataset_delete

    dataset_delete(name="fixture", force=True)
    page = user_client.get(reverse("detection:result", args=[record.inference_id])).content.decode()
    assert "training image deleted" in page and "/regions/S1/forged/1/" not in page
    assert user_client.get(reverse("detection:reference_thumbnail", args=[record.inference_id, "S1", "forged", 1])).status_code == 404
    api = user_client.get(reverse("api-detection", args=[record.inference_id])).json()["references"]
    s1 = next(region for region in api["regions"] if region["region"] == "S1")
    assert all(ref["training_image_deleted"] and ref["thumbnail_url"] is None for ref in s1["forged"] + s1["authentic"])
    text = pdf_text(_pdf(record))
    assert "training image deleted" in text


def test_a_model_trained_before_reference_indexes_says_so_without_error(user, user_client, promoted_model, settings, monkeypatch):
    (Path(settings.MODEL_DIR) / promoted_model.model_version / "references.npz").unlink()
    monkeypatch.setattr(compute, "_heads", OrderedDict())  # reload the model as it now is on disk
    record = _analyse(user, promoted_model)
    assert record.references.as_dict()["status"] == references_module.NO_INDEX
    note = references_module.NOTES[references_module.NO_INDEX]
    assert note in record.explanation_sections.as_dict()["evidence"]
    page = user_client.get(reverse("detection:result", args=[record.inference_id])).content.decode()
    assert note in page
    api = user_client.get(reverse("api-detection", args=[record.inference_id])).json()["references"]
    assert api == {"status": "no_index", "note": note, "thumbnails_allowed": False, "regions": []}


def test_a_result_from_before_references_renders_as_before(user, user_client):
    from tests.detection.factories import make_record

    record = make_record(user_id=user.user_id, explanation="One paragraph from before.")
    page = user_client.get(reverse("detection:result", args=[record.inference_id])).content.decode()
    assert "One paragraph from before." in page and references_module.NOTES[None] in page
    api = user_client.get(reverse("api-detection", args=[record.inference_id])).json()
    assert api["explanation_sections"] == [] and api["references"]["status"] == "none"


def test_region_thumbnails_are_the_cited_regions_of_the_photograph_stored_and_legacy(user, promoted_model, user_client, storage_dirs):
    """Each cited region's thumbnail is stored when the image is analysed and shows that region
    of the photograph; a result from before (the whole processed image stored, no crop_path)
    is still cropped on request, to the same picture."""
    import numpy as np

    from artguard.storage import processed_storage
    from datasets.imaging import preprocess
    from detection.tables import InferenceRecord

    record = _analyse(user, promoted_model)
    regions = _regions(record)
    image = preprocess(_png(promoted_model.forged_image))

    def expected(label: str) -> np.ndarray:
        x, y, w, h = regions[label]["box"]
        return np.asarray(Image.open(io.BytesIO(references_module.region_thumbnail_jpeg(image.crop((x, y, x + w, y + h))))), dtype=float)

    stored = references_module.region_thumbnails(record)
    assert set(stored) == set(regions)
    for label, body in stored.items():
        assert np.abs(np.asarray(Image.open(io.BytesIO(body)), dtype=float) - expected(label)).mean() < 1.0, label
    served = user_client.get(reverse("detection:region_thumbnail", args=[record.inference_id, "L1"]))
    assert served.status_code == 200 and served.content == stored["L1"]
    assert user_client.get(reverse("detection:region_thumbnail", args=[record.inference_id, "S9"])).status_code == 404
    assert user_client.get(reverse("detection:image", args=[record.inference_id, "image"])).status_code == 404  # no lossless copy

    # A result stored the old way: the whole processed image, no thumbnails.
    legacy = InferenceRecord.get(record.inference_id)
    legacy.processed_path = processed_storage().save(f"legacy/{record.inference_id}/image.png", io.BytesIO(_png(image)))
    legacy.references = {**legacy.references.as_dict(), "regions": {
        label: {key: value for key, value in region.items() if key != "crop_path"} for label, region in regions.items()}}
    legacy.save()
    legacy = inference_get(inference_id=record.inference_id)
    assert user_client.get(reverse("detection:image", args=[record.inference_id, "image"])).status_code == 200
    cropped = references_module.region_thumbnails(legacy, {"S1", "L2"})
    assert set(cropped) == {"S1", "L2"}
    for label, body in cropped.items():
        assert np.abs(np.asarray(Image.open(io.BytesIO(body)), dtype=float) - expected(label)).mean() < 1.0, label
