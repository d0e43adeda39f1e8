"""The public verification check: a code, an issued PDF, a photograph; every bad input of issue 27
gets a clear answer and nothing is stored; rate limit with Retry-After; one GetItem per code."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
from datetime import datetime, timezone
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from fpdf import FPDF

from detection import report, verification
from detection.tables import InferenceRecord
from tests.detection.conftest import stored_files
from tests.detection.pdf_text import pdf_text
from tests.detection.sharing_world import completed_with_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def core_font(monkeypatch):
    monkeypatch.setattr(report, "_font_dir", lambda: None)  # literal strings, so pdf_text reads them


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def issued(user_client, user, core_font):
    record, photo = completed_with_files(user_id=user.user_id)
    pdf = user_client.get(reverse("detection:report", args=[record.inference_id])).content
    assert pdf.startswith(b"%PDF")
    return record, photo, pdf


def _check(client, **files):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {name: SimpleUploadedFile(f"{name}.bin", body) for name, body in files.items() if isinstance(body, bytes)}
    data.update({name: value for name, value in files.items() if isinstance(value, str)})
    return client.post(reverse("api-verify"), data)


def test_the_report_carries_code_qr_hash_and_a_signature_that_verifies(issued):
    record, photo, pdf = issued
    text = pdf_text(pdf)
    code = InferenceRecord.get(record.inference_id).verification_code
    display = "-".join(code[i:i + 5] for i in range(0, 20, 5))
    assert display in text and hashlib.sha256(photo).hexdigest() in text and "/verify/?code=" in text
    assert pdf.count(b"/Subtype /Image") >= 3  # photograph, heatmap and the QR code


def test_a_pdf_and_its_photograph_verify_and_nothing_is_stored(anonymous, issued, storage_dirs):
    record, photo, pdf = issued
    before = sorted(stored_files(storage_dirs))
    answer = _check(anonymous, pdf=pdf, photo=photo).json()
    assert answer["outcome"] == "genuine", answer
    assert "The PDF is unchanged" in answer["message"] and "the one that was analysed" in answer["message"]
    assert answer["facts"]["image_sha256"] == record.image_sha256 and answer["facts"]["artist"] == "Demo Hand A"
    assert sorted(stored_files(storage_dirs)) == before
    page = anonymous.post(reverse("verify"), {"pdf": _upload(pdf)})
    assert page.status_code == 200 and 'data-outcome="genuine"' in page.content.decode()


def _upload(body: bytes, name: str = "report.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body)


def test_another_photograph_is_not_the_one_analysed(anonymous, issued):
    _, _, pdf = issued
    answer = _check(anonymous, pdf=pdf, photo=b"\xff\xd8 another photograph").json()
    assert answer["outcome"] == "different_photo" and "SHA-256 differs" in answer["message"]


def test_one_byte_changed_in_the_text_is_altered(anonymous, issued):
    _, _, pdf = issued
    tampered = pdf.replace(b"(ArtGuard forgery analysis)", b"(ArtGuard forgery analysiz)", 1)
    assert tampered != pdf and len(tampered) == len(pdf)
    answer = _check(anonymous, pdf=tampered).json()
    assert answer["outcome"] == "altered" and "not byte for byte" in answer["message"]


def test_a_signature_copied_onto_another_report_is_altered(anonymous, user_client, user, issued):
    _, _, pdf = issued
    other, _ = completed_with_files(user_id=user.user_id, seed=2)
    other_pdf = user_client.get(reverse("detection:report", args=[other.inference_id])).content
    statement = re.search(rb"AGV1\.[0-9a-f]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}", pdf).group(0)
    forged = re.sub(rb"AGV1\.[0-9a-f]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}", statement, other_pdf)
    answer = _check(anonymous, pdf=forged).json()
    assert answer["outcome"] == "altered"
    # A statement whose signature no longer matches its facts is altered too.
    broken = pdf.replace(statement, statement[:-3] + (b"AAA" if not statement.endswith(b"AAA") else b"BBB"))
    assert _check(anonymous, pdf=broken).json()["outcome"] == "altered"


def test_a_pdf_of_another_product_was_not_issued(anonymous):
    other = FPDF()
    other.add_page()
    other.set_font("Helvetica", "", 12)
    other.cell(0, 10, "Certificate of authenticity")
    answer = _check(anonymous, pdf=bytes(other.output())).json()
    assert answer["outcome"] == "not_issued" and "not an ArtGuard report" in answer["message"] and answer["facts"] is None
    not_pdf = _check(anonymous, pdf=b"<html><script>alert(1)</script></html>")
    assert not_pdf.status_code == 400 and "not a PDF" in not_pdf.json()["detail"]
    assert _check(anonymous).status_code == 400  # nothing to check


def test_a_50_mb_upload_is_refused_before_it_is_read(anonymous, settings):
    big = b"%PDF-" + b"0" * (50 * 1024 * 1024)
    api = _check(anonymous, pdf=big)
    assert api.status_code == 413 and "up to 10 MB" in api.json()["detail"]
    # The page refuses on the declared length alone, before reading a byte of the body.
    page = anonymous.post(reverse("verify"), {"pdf": _upload(b"%PDF-")}, CONTENT_LENGTH=str(len(big)))
    assert page.status_code == 413 and "Too large" in page.content.decode()
    # Under the request limit but over the PDF's own: dropped while reading.
    settings.VERIFY_PDF_MAX_BYTES = 1024
    assert _check(anonymous, pdf=b"%PDF-" + b"0" * 4096).status_code == 413


def test_codes_unknown_malformed_revoked_and_expired(anonymous, issued, dynamo_operations):
    record, _, _ = issued
    code = InferenceRecord.get(record.inference_id).verification_code
    dynamo_operations.clear()
    known = anonymous.get(reverse("api-verify"), {"code": code.lower()}).json()
    assert known["outcome"] == "genuine" and dynamo_operations == ["GetItem"]
    dynamo_operations.clear()
    unknown = anonymous.get(reverse("api-verify"), {"code": "0" * 20}).json()
    malformed = anonymous.get(reverse("api-verify"), {"code": "<b>nope</b>"}).json()
    assert dynamo_operations == ["GetItem", "GetItem"]  # a wrong code costs the lookup a right one does
    assert unknown == malformed == {"outcome": "not_issued", "message": "This is not a valid ArtGuard report: not issued by ArtGuard.",
                                    "facts": None, "checks": [{"check": "code", "ok": False, "message": "not issued by ArtGuard"}]}
    item = InferenceRecord.get(f"verify#{hashlib.sha256(code.encode()).hexdigest()}")
    item.update(actions=[InferenceRecord.ttl.set(datetime(2026, 1, 1, tzinfo=timezone.utc))])
    expired = anonymous.get(reverse("api-verify"), {"code": code}).json()
    item.update(actions=[InferenceRecord.verification["revoked_at"].set(1)])
    revoked = anonymous.get(reverse("api-verify"), {"code": code}).json()
    assert expired["message"].replace("expired", "X") == revoked["message"].replace("revoked", "X") == unknown["message"].replace(
        "not issued by ArtGuard", "X")
    assert expired["facts"] is None and revoked["facts"] is None
    page = anonymous.get(reverse("verify"), {"code": code})
    assert "revoked" in page.content.decode() and record.image_sha256 not in page.content.decode()
    assert page["X-Robots-Tag"] == "noindex, nofollow" and page["Referrer-Policy"] == "same-origin"


def test_checks_are_rate_limited_per_client_with_retry_after(anonymous, settings):
    settings.VERIFY_PER_WINDOW = 2
    for _ in range(2):
        assert anonymous.get(reverse("api-verify"), {"code": "0" * 20}).status_code == 200
    api = anonymous.get(reverse("api-verify"), {"code": "0" * 20})
    assert api.status_code == 429 and 0 < int(api["Retry-After"]) <= 601
    page = anonymous.get(reverse("verify"), {"code": "0" * 20})
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    other_client = Client(REMOTE_ADDR="10.0.0.9")
    assert other_client.get(reverse("api-verify"), {"code": "0" * 20}).status_code == 200  # per client


def test_the_offline_script_verifies_a_downloaded_report(anonymous, issued, tmp_path):
    _, photo, pdf = issued
    keys = anonymous.get(reverse("verify_keys"))
    assert keys.status_code == 200 and keys.json()["keys"][0]["status"] == "current"
    (tmp_path / "keys.json").write_bytes(keys.content)
    (tmp_path / "report.pdf").write_bytes(pdf)
    (tmp_path / "photo.jpg").write_bytes(photo)
    script = [sys.executable, str(ROOT / "scripts" / "verify_report.py"), str(tmp_path / "report.pdf"), "--keys", str(tmp_path / "keys.json")]
    good = subprocess.run([*script, "--photo", str(tmp_path / "photo.jpg")], capture_output=True, text=True)
    assert good.returncode == 0 and "VALID: signed by ArtGuard" in good.stdout and "PHOTO MATCHES" in good.stdout
    facts = json.loads(good.stdout.split("\n", 1)[1].rsplit("PHOTO", 1)[0])
    assert facts["image_sha256"] == hashlib.sha256(photo).hexdigest()
    statement = re.search(rb"AGV1\.[0-9a-f]{16}\.([A-Za-z0-9_-]+)\.", pdf)
    payload = statement.group(1)
    # Change one signed fact (the score) and keep the signature: the script refuses it.
    import base64

    facts_bytes = base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)).replace(b'"forgery_score":', b'"forgery_score":1')
    (tmp_path / "report.pdf").write_bytes(pdf.replace(payload, base64.urlsafe_b64encode(facts_bytes).rstrip(b"=")))
    bad = subprocess.run(script, capture_output=True, text=True)
    assert bad.returncode == 1 and "NOT VALID" in bad.stdout


def test_verification_module_answers_need_input():
    with pytest.raises(verification.VerifyInputError):
        verification.verify()


def test_the_owner_withdraws_a_code_and_the_next_report_gets_a_new_one(anonymous, user_client, issued, other_client):
    record, _, pdf = issued
    url = reverse("api-detection-verification", args=[record.inference_id])
    assert other_client.delete(url).status_code == 404  # not theirs: nothing changes
    assert _check(anonymous, pdf=pdf).json()["outcome"] == "genuine"
    assert user_client.delete(url).status_code == 204
    withdrawn = _check(anonymous, pdf=pdf).json()
    assert withdrawn["outcome"] == "revoked" and withdrawn["facts"] is None
    again = user_client.delete(url)
    assert again.status_code == 409 and "no verification code in force" in again.json()["detail"]
    fresh = user_client.get(reverse("detection:report", args=[record.inference_id])).content
    assert _check(anonymous, pdf=fresh).json()["outcome"] == "genuine"
    # Deleting the analysis removes the withdrawn code's item too.
    assert user_client.delete(reverse("api-detection", args=[record.inference_id])).status_code == 204
    assert InferenceRecord.user_inferences_index.count(f"verify#{record.user_id}") == 0
