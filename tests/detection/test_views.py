"""Detection pages, as a person uses them. A Scan anywhere fails the test (conftest)."""
from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detection.tables import InferenceRecord
from tests.detection.conftest import stored_files
from tests.detection.factories import FORGED_ONLY_BASIS, FORGED_ONLY_THRESHOLDS, make_record, make_records
from tests.images import image_bytes
from tests.training.fixtures import FIXTURE_ARTIST


def test_upload_page_says_plainly_when_no_model_is_promoted(user_client):
    html = user_client.get("/detections/").content.decode()
    assert "No forgery model is available yet" in html
    assert "ask an ArtGuard administrator" in html
    assert re.search(r'<button type="submit" disabled', html)


def test_staff_are_told_how_to_train_a_model(staff_client):
    html = staff_client.get("/detections/").content.decode()
    assert "No forgery model is available yet" in html
    assert "/training/" in html and "bin/artguard run" in html


def test_upload_without_files_is_a_400_with_a_message(user_client):
    response = user_client.post("/detections/", {"title": "x"})
    assert response.status_code == 400
    assert "Choose at least one image" in response.content.decode()


def test_a_bad_file_reports_why_and_stores_nothing(user_client, user, storage_dirs):
    response = user_client.post("/detections/", {"attributed_artist": FIXTURE_ARTIST, "files": [SimpleUploadedFile("x.jpg", b"not an image")]})
    assert response.status_code == 400
    assert "x.jpg: The file is not an image" in response.content.decode()
    assert stored_files(storage_dirs) == []
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 0


def test_pending_result_page_polls_the_status_api(user_client, user):
    record = make_record(user_id=user.user_id, status="PENDING")
    html = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert f'data-status-url="/api/detections/{record.inference_id}/"' in html
    assert "Waiting for a worker" in html and "artguard.js" in html  # the page's script (no inline script under the CSP)
    from django.conf import settings
    script = (settings.BASE_DIR / "static" / "artguard.js").read_text()
    assert 'getAttribute("data-status-url")' in script and "fetch(url" in script


def test_failed_result_page_shows_the_reason(user_client, user):
    record = make_record(user_id=user.user_id, status="FAILED", failure_reason="The analysis took too long and was stopped.")
    html = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert "took too long" in html and "fetch(url" not in html


def test_result_page_and_api_say_when_the_photograph_is_unlike_the_training_images(user_client, user):
    unfamiliar = make_record(user_id=user.user_id, familiarity={"distance": 4.59, "threshold": 2.11, "unfamiliar": True})
    familiar = make_record(user_id=user.user_id, familiarity={"distance": 1.5, "threshold": 2.11, "unfamiliar": False})
    assert 'id="unfamiliar"' in user_client.get(f"/detections/{unfamiliar.inference_id}/").content.decode()
    assert 'id="unfamiliar"' not in user_client.get(f"/detections/{familiar.inference_id}/").content.decode()
    api = user_client.get(f"/api/detections/{unfamiliar.inference_id}/").json()
    assert api["familiarity"] == {"distance": 4.59, "threshold": 2.11, "unfamiliar": True}


def test_result_page_says_how_to_read_the_score_and_what_the_model_cannot_decide(user_client, user):
    record = make_record(user_id=user.user_id, thresholds=FORGED_ONLY_THRESHOLDS, verdict_basis=FORGED_ONLY_BASIS,
                         model_version="model-x", explanation="An explanation.")
    html = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert "Of the 20 validation works scored most like this one (scores 61–78), 15 (75%) were forgeries." in html
    assert "This model cannot call a work likely authentic at 5% risk" in html
    assert 'id="calibration-note"' in html and "Scores are not calibrated" in html
    assert "Scores above 62 read as likely forged and all others as inconclusive: this model never calls a work likely authentic." in html
    assert "None" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)


def test_an_older_result_without_a_basis_still_renders_and_claims_no_error_rate(user_client, user):
    record = make_record(user_id=user.user_id, thresholds={"authentic_below": 0.3, "forged_above": 0.7})
    html = user_client.get(f"/detections/{record.inference_id}/").content.decode()
    assert "Scores below 30 read as likely authentic, above 70 as likely forged" in html
    assert 'id="no-basis"' in html and 'id="operating-point"' not in html and 'id="calibration-note"' not in html
    bare = make_record(user_id=user.user_id)
    assert 'id="no-basis"' in user_client.get(f"/detections/{bare.inference_id}/").content.decode()


def test_other_users_pages_are_404(user_client, other_user):
    theirs = make_record(user_id=other_user.user_id, status="COMPLETED", thumbnail_path="t.jpg")
    for url in [f"/detections/{theirs.inference_id}/", f"/detections/{theirs.inference_id}/report.pdf",
                f"/detections/{theirs.inference_id}/images/thumb/"]:
        assert user_client.get(url).status_code == 404, url
    assert user_client.post(f"/detections/{theirs.inference_id}/delete/").status_code == 404
    assert InferenceRecord.get(theirs.inference_id) is not None


def test_history_pages_forward_and_back(user_client, user):
    records = list(reversed(make_records(user_id=user.user_id, count=45)))
    page1 = user_client.get("/detections/history/").content.decode()
    assert page1.count('class="history-row"') == 20
    assert records[0].inference_id in page1 and records[20].inference_id not in page1
    assert 'id="previous-page"' not in page1
    next_url = re.search(r'href="([^"]+)" id="next-page"', page1).group(1).replace("&amp;", "&")
    page2 = user_client.get(next_url).content.decode()
    assert records[20].inference_id in page2 and records[0].inference_id not in page2
    next_url = re.search(r'href="([^"]+)" id="next-page"', page2).group(1).replace("&amp;", "&")
    page3 = user_client.get(next_url).content.decode()
    assert page3.count('class="history-row"') == 5 and 'id="next-page"' not in page3
    back_url = re.search(r'href="([^"]+)" id="previous-page"', page3).group(1).replace("&amp;", "&")
    back = user_client.get(back_url).content.decode()
    assert records[20].inference_id in back and records[40].inference_id not in back
    back_url = re.search(r'href="([^"]+)" id="previous-page"', back).group(1).replace("&amp;", "&")
    first = user_client.get(back_url).content.decode()
    assert records[0].inference_id in first and 'id="previous-page"' not in first
    assert user_client.get("/detections/history/?cursor=garbage").status_code == 302


def test_upload_watch_report_history_delete(user_client, user, promoted_model, storage_dirs, settings, monkeypatch):
    # Claude answers through a fake transport at the SDK's seam.
    import json

    import httpx2

    from detection import explain

    settings.ANTHROPIC_API_KEY = "sk-ant-test"
    sent = []

    def answer(request):
        sent.append(json.loads(request.content))
        # An answer true to the figures it is sent (one that contradicts them is replaced by the local text).
        shown = " ".join(block.get("text", "") for block in sent[-1]["messages"][0]["content"])
        verdict = re.search(r"Verdict: (\w+)\.", shown).group(1)
        return httpx2.Response(200, json={
            "id": "m", "type": "message", "role": "assistant", "model": "x", "stop_reason": "tool_use", "stop_sequence": None,
            "content": [{"type": "tool_use", "id": "t", "name": explain.TOOL_NAME, "input": {
                "verdict": f"The model reads this work as {explain._verdict_words(verdict)}; the photograph was checked against what it was validated on.",
                "evidence": "Patch S1 in the upper left shows crisper edges than L1.",
                "confidence": "The photograph is small.",
                "cannot_show": "A photograph cannot show pigments.",
            }}],
            "usage": {"input_tokens": 1, "output_tokens": 1},
        })

    monkeypatch.setattr(explain, "http_client", lambda: httpx2.Client(transport=httpx2.MockTransport(answer)))
    html = user_client.get("/detections/").content.decode()
    assert promoted_model.artist in html and "No forgery model" not in html
    form = {
        "attributed_artist": "hand, fixture",  # "Last, First" finds the artist too
        "title": "Murnau — Street",
        "files": [SimpleUploadedFile("street.jpg", image_bytes(320, 240), content_type="image/jpeg")],
    }
    response = user_client.post("/detections/", form)
    assert response.status_code == 302
    result_url = response["Location"]
    inference_id = result_url.strip("/").split("/")[-1]
    # The same form sent twice (a double click) creates nothing new.
    form["files"] = [SimpleUploadedFile("street.jpg", image_bytes(320, 240), content_type="image/jpeg")]
    assert user_client.post("/detections/", form)["Location"] == result_url
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 1

    page = user_client.get(result_url).content.decode()
    record = InferenceRecord.get(inference_id)
    assert record.status == "COMPLETED"
    assert f'id="forgery-score" data-score="{int(record.forgery_score)}"' in page
    if not (record.familiarity and record.familiarity["unfamiliar"]):  # an unfamiliar photo's score is not the headline
        assert f"<strong>{int(record.forgery_score)}</strong>" in page
    assert 'id="verdict"' in page and 'id="heatmap"' in page and "Processing steps and timings" in page and "<details id=\"processing-details\">" in page
    assert promoted_model.model_version in page and 'id="explanation-source">by Claude' in page
    assert "crisper edges than L1" in page
    assert 'id="explanation-evidence"' in page and "What lowers confidence" in page and "The photograph is small." in page
    # The photograph plus one crop per cited patch (a 320x240 image has 4 patches: S1-S2, L1-L2).
    content = sent[0]["messages"][0]["content"]
    assert sum(block["type"] == "image" for block in content) == 1 + 4
    assert f"Attributed artist: {FIXTURE_ARTIST}" in "".join(block.get("text", "") for block in content)
    assert FIXTURE_ARTIST in page and f"/models/fixture-hand/{promoted_model.model_version}/" in page
    report = user_client.get(f"/detections/{inference_id}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    assert "attachment" in report["Content-Disposition"]

    history = user_client.get("/detections/history/").content.decode()
    assert inference_id in history and f"/detections/{inference_id}/images/thumb/" in history
    assert user_client.get(f"/detections/{inference_id}/images/thumb/").status_code == 200

    # Several files at once: the good ones go through, the bad one is reported.
    response = user_client.post("/detections/", {
        "attributed_artist": FIXTURE_ARTIST,
        "files": [SimpleUploadedFile("a.png", image_bytes(240, 240, fmt="PNG")), SimpleUploadedFile("bad.jpg", b"nope"),
                  SimpleUploadedFile("b.webp", image_bytes(240, 240, fmt="WEBP"))],
    }, follow=True)
    text = response.content.decode()
    assert "2 images submitted" in text and "bad.jpg: The file is not an image" in text
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 3

    response = user_client.post(f"/detections/{inference_id}/delete/", follow=True)
    assert "deleted" in response.content.decode()
    assert user_client.get(result_url).status_code == 404
    assert not [name for name in stored_files(storage_dirs) if inference_id in name]


def test_a_demo_model_result_says_so_at_the_top_in_history_in_the_pdf_and_the_api(user_client, user, monkeypatch):
    from detection import report
    from detection.findings import DEMO_NOTE
    from tests.detection.pdf_text import pdf_text

    demo = make_record(user_id=user.user_id, model_is_demo=True, model_version="demo-1")
    real = make_record(user_id=user.user_id, model_is_demo=False, model_version="real-1")
    page = user_client.get(f"/detections/{demo.inference_id}/").content.decode()
    assert page.index('id="demo-model-banner"') < page.index('id="verdict"') and DEMO_NOTE in page
    assert 'id="demo-model-banner"' not in user_client.get(f"/detections/{real.inference_id}/").content.decode()
    assert user_client.get("/detections/history/").content.decode().count("demo-flag") == 1
    listed = {row["id"]: row["is_demo_model"] for row in user_client.get("/api/detections/").json()["results"]}
    assert listed == {demo.inference_id: True, real.inference_id: False}
    monkeypatch.setattr(report, "_font_dir", lambda: None)
    text = pdf_text(report.render_report(record=demo, display_jpeg=image_bytes(320, 240), heatmap_image=image_bytes(320, 240, fmt="PNG")))
    assert text.index("DEMO MODEL") < text.index("Image ")


def test_the_pdf_names_its_reader_and_links_the_model_card_absolutely(user_client, user, monkeypatch):
    from detection import report
    from tests.detection.pdf_text import pdf_text

    monkeypatch.setattr(report, "_font_dir", lambda: None)
    record = make_record(user_id=user.user_id, model_version="m-7", artist="fixture-hand", attributed_artist="Fixture Hand")
    text = pdf_text(report.render_report(record=record, display_jpeg=image_bytes(320, 240), heatmap_image=image_bytes(320, 240, fmt="PNG"),
                                         site_url="https://artguard.example", prepared_for="Ada Lovelace"))
    assert "Prepared for Ada Lovelace" in text
    assert "https://artguard.example/models/fixture-hand/m-7/" in text


def test_a_long_unbroken_title_wraps_and_pages_have_an_icon(client, user_client, user):
    from django.contrib.staticfiles import finders

    record = make_record(user_id=user.user_id, title="x" * 200)
    assert 'rel="icon"' in user_client.get(f"/detections/{record.inference_id}/").content.decode()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml" and icon.content.startswith(b"<svg")
    assert finders.find("favicon.svg")
    css = open(finders.find("artguard.css")).read()
    assert "overflow-wrap:anywhere" in css.replace(" ", "")


def _street(name: str = "street.jpg"):
    return SimpleUploadedFile(name, image_bytes(320, 240), content_type="image/jpeg")


def test_an_upload_sent_after_the_session_expired_says_why_and_keeps_what_was_typed(client, user, promoted_model):
    response = client.post("/detections/", {"attributed_artist": FIXTURE_ARTIST, "title": "Street", "files": [_street()]})
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith("/accounts/login/?next=")
    page = client.get(login_url).content.decode()
    assert "Your session expired before the upload was sent" in page and "choose the file again" in page
    assert "The artist and title you typed are kept." in page
    next_url = re.search(r'name="next" value="([^"]+)"', page).group(1).replace("&amp;", "&")
    client.force_login(user, backend="accounts.backends.DynamoUserBackend")
    form = client.get(next_url).content.decode()
    assert re.search(rf'id="id_attributed_artist"[^>]*value="{FIXTURE_ARTIST}"', form)
    assert re.search(r'id="id_title"[^>]*value="Street"', form)
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 0


def test_the_same_photograph_sent_again_after_back_reuses_the_first_analysis(user_client, user, promoted_model):
    page = user_client.get("/detections/").content.decode()
    # Back restores what the browser may restore; autocomplete="off" made it clear the artist.
    assert not re.search(r'id="id_attributed_artist"[^>]*autocomplete="off"', page)
    form = {"attributed_artist": FIXTURE_ARTIST, "title": "Street", "files": [_street()]}
    first = user_client.post("/detections/", form)
    assert first.status_code == 302
    user_client.get(first["Location"])
    user_client.get("/detections/")  # Back: the page may be fetched afresh, a new form
    form["files"] = [_street()]
    again = user_client.post("/detections/", form, follow=True)
    assert again.redirect_chain[0][0] == first["Location"]
    assert "here is that analysis, not a second one" in again.content.decode()
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 1
    # Another title is another question: a new analysis.
    form.update(title="Street, second state", files=[_street()])
    assert user_client.post("/detections/", form)["Location"] != first["Location"]
    assert InferenceRecord.user_inferences_index.count(user.user_id) == 2


def test_a_photograph_whose_first_analysis_failed_is_analysed_afresh(user_client, user, promoted_model):
    form = {"attributed_artist": FIXTURE_ARTIST, "title": "", "files": [_street()]}
    first = user_client.post("/detections/", form)["Location"]
    record = InferenceRecord.get(first.strip("/").split("/")[-1])
    record.update(actions=[InferenceRecord.status.set("FAILED")])
    form["files"] = [_street()]
    assert user_client.post("/detections/", form)["Location"] != first


def test_an_upload_announced_over_the_limit_is_refused_before_its_body_is_read(user_client, user, storage_dirs, settings):
    # The test client's payload raises if more is read than it holds: a 413 here was decided
    # from the headers alone.
    response = user_client.post("/detections/?files=2", {"attributed_artist": FIXTURE_ARTIST, "files": [_street()]},
                                CONTENT_LENGTH=str(2 * settings.UPLOAD_MAX_BYTES + 10**6))
    assert response.status_code == 413
    assert "The file is larger than 20 MB." in response.content.decode() and 'id="upload-form"' in response.content.decode()
    assert stored_files(storage_dirs) == [] and InferenceRecord.user_inferences_index.count(user.user_id) == 0


def test_the_upload_page_checks_the_size_before_sending(user_client):
    from django.conf import settings
    page = user_client.get("/detections/").content.decode()
    assert f'data-max-bytes="{settings.UPLOAD_MAX_BYTES}"' in page and 'data-too-large="The file is larger than 20 MB."' in page
    script = (settings.BASE_DIR / "static" / "artguard.js").read_text()
    assert 'getAttribute("data-max-bytes")' in script and '"?files="' in script
