"""The PDF report says what the result page says about reading the score."""
from __future__ import annotations

import pytest

from detection import report
from tests.detection.factories import FORGED_ONLY_BASIS, FORGED_ONLY_THRESHOLDS, make_record
from tests.detection.pdf_text import pdf_text
from tests.images import image_bytes


@pytest.fixture
def core_font(monkeypatch):
    monkeypatch.setattr(report, "_font_dir", lambda: None)


def _render(record) -> str:
    return pdf_text(report.render_report(record=record, display_jpeg=image_bytes(320, 240), heatmap_image=image_bytes(320, 240, fmt="PNG")))


def test_the_report_states_the_operating_point_what_cannot_be_decided_and_the_calibration(user, core_font):
    record = make_record(user_id=user.user_id, thresholds=FORGED_ONLY_THRESHOLDS, verdict_basis=FORGED_ONLY_BASIS,
                         model_version="model-x", explanation="An explanation.")
    text = _render(record)
    assert "How to read this score" in text
    assert "Scores above 62 read as likely forged and all others as inconclusive: this model never calls a work likely authentic." in text
    assert "15 (75%) were forgeries." in text  # the en dash before it prints as "?" in the core font
    assert FORGED_ONLY_BASIS["statements"][0] in text and FORGED_ONLY_BASIS["statements"][1] in text
    assert FORGED_ONLY_BASIS["calibration_note"] in text


def test_an_older_report_without_a_basis_says_so(user, core_font):
    record = make_record(user_id=user.user_id, thresholds={"authentic_below": 0.3, "forged_above": 0.7}, model_version="model-x")
    text = _render(record)
    assert "Scores below 30 read as likely authentic, above 70 as likely forged, and between as inconclusive." in text
    assert "no operating point or error rates are stored with it" in text and "were forgeries" not in text


def test_pdf_text_reads_a_stream_whose_compressed_data_ends_in_a_carriage_return():
    """About one compressed stream in 256 ends in byte 0x0D; the reader once cut it off with the
    end-of-line before "endstream" and lost the page's text (a flaky report test)."""
    import os
    import zlib

    while True:
        shown = f"BT ({os.urandom(4).hex()} text) Tj ET".encode()
        data = zlib.compress(shown)
        if data.endswith(b"\r"):
            break
    pdf = b"1 0 obj <</Length %d>> stream\n" % len(data) + data + b"\nendstream endobj"
    assert pdf_text(pdf) == shown[4:17].decode()
