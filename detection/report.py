"""The printable PDF report of one completed detection (fpdf2).

Text uses DejaVu Sans from matplotlib's bundled fonts, so any Unicode in a title, an artist's
name or Claude's explanation prints correctly; without it, the core Helvetica font is used and
characters outside Latin-1 are replaced.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

from detection import findings
from detection.local_writer import LIMITS_STATEMENT
from detection.reading import reading_for
from detection.report_evidence import explanation_block, heading, knowledge_block, references_block
from detection.report_signature import signature_block

VERDICT_LABELS = {
    "LIKELY_AUTHENTIC": "Likely authentic",
    "INCONCLUSIVE": "Inconclusive",
    "LIKELY_FORGED": "Likely forged",
}


def _font_dir() -> Path | None:
    try:
        import matplotlib
    except ImportError:
        return None
    folder = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
    return folder if (folder / "DejaVuSans.ttf").exists() else None


class _Report(FPDF):
    def __init__(self):
        super().__init__(format="A4", unit="mm")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        folder = _font_dir()
        if folder:
            self.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"

    def text_safe(self, text: str) -> str:
        if self.family == "DejaVu":
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, self.text_safe(f"ArtGuard report · page {self.page_no()}"), align="C")


_heading = heading  # detection.report_evidence: a heading never left alone at the foot of a page


def _image_height(data: bytes, width_mm: float) -> float:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return width_mm * image.height / image.width


def render_report(*, record, display_jpeg: bytes, heatmap_image: bytes, site_url: str = "", prepared_for: str = "",
                  issued=None, not_signed: str = "") -> bytes:
    """`issued` (detection.signing.Issued) adds the verification code, QR code and signed statement."""
    pdf = _Report()
    pdf.add_page()
    pdf.set_title("ArtGuard forgery analysis")
    pdf.set_font(pdf.family, "B", 18)
    pdf.cell(0, 10, "ArtGuard forgery analysis", new_x="LMARGIN", new_y="NEXT")
    if record.model_is_demo:
        pdf.set_font(pdf.family, "B", 11)
        pdf.set_text_color(140, 70, 0)
        pdf.multi_cell(0, 6, pdf.text_safe(f"DEMO MODEL. {findings.DEMO_NOTE}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(20, 20, 20)

    created = datetime.fromtimestamp(int(record.created_at) / 1000, tz=timezone.utc)
    facts = [
        ("Image", record.image_name or "—"),
        ("Attributed artist", record.attributed_artist or "not given"),
        ("Title", record.title or "not given"),
        ("Analysed", created.strftime("%Y-%m-%d %H:%M UTC")),
        ("Model version", f"{record.model_version}{' (demo model, synthetic training data)' if record.model_is_demo else ''}"),
        *([("Model", f"{record.attributed_artist}'s model; its card: {site_url}/models/{record.artist}/{record.model_version}/")] if record.artist else []),
        ("Explanation by", "Claude (Anthropic)" if record.explanation_source == "claude" else "ArtGuard (local template)"),
        ("Reference", record.inference_id),
        *([("Verification code", f"{issued.code} (see the last section)")] if issued else []),
        *([("Prepared for", prepared_for)] if prepared_for else []),
    ]
    pdf.set_font(pdf.family, "", 10)
    for label, value in facts:
        pdf.set_text_color(100, 100, 100)
        pdf.cell(40, 6, pdf.text_safe(label))
        pdf.set_text_color(20, 20, 20)
        pdf.multi_cell(0, 6, pdf.text_safe(str(value)), new_x="LMARGIN", new_y="NEXT", align="L")  # justified, a long link spread into gaps

    pdf.ln(3)
    pdf.set_font(pdf.family, "B", 14)
    verdict = VERDICT_LABELS.get(record.verdict or "", record.verdict or "")
    unfamiliar, capture_outside = findings.is_unfamiliar(record), findings.capture_outside(record)
    if unfamiliar or capture_outside:
        # The score is not evidence (an extrapolation, or taken unlike every validated photograph): not the headline.
        label = "unfamiliar photograph" if unfamiliar else "photograph outside what the model was validated on"
        pdf.cell(0, 9, pdf.text_safe(f"{verdict}  ·  {label}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.family, "", 10)
        if unfamiliar:
            pdf.multi_cell(0, 5, pdf.text_safe(
                "This photograph is unlike the images the model was trained on: the score is an extrapolation, "
                "not evidence, and the verdict is inconclusive for that reason."), new_x="LMARGIN", new_y="NEXT")
        if capture_outside:
            pdf.multi_cell(0, 5, pdf.text_safe(
                "This photograph was taken unlike every photograph the model was validated on, so its error rates do not "
                "apply and the verdict is inconclusive whatever the score. To get a verdict:"), new_x="LMARGIN", new_y="NEXT")
            for reason in findings.capture_reasons(record):
                pdf.multi_cell(0, 5, pdf.text_safe(f"- {reason}"), new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 5, pdf.text_safe(f"(Forgery score {int(record.forgery_score)} / 100, not to be read as evidence.)"),
                       new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.cell(0, 9, pdf.text_safe(f"Forgery score: {int(record.forgery_score)} / 100  ·  {verdict}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    for warning in findings.warnings_for(record):
        pdf.set_text_color(140, 70, 0)
        pdf.multi_cell(0, 5, pdf.text_safe(f"Warning: {warning}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(20, 20, 20)
    region = findings.most_suspicious_region(record)
    if region:
        pdf.multi_cell(0, 5, pdf.text_safe(region["text"]), new_x="LMARGIN", new_y="NEXT")
    not_checked = findings.capture_not_checked(record)
    if not_checked:
        pdf.set_font(pdf.family, "", 9)
        pdf.multi_cell(0, 4.5, pdf.text_safe(f"Capture check: {'; '.join(not_checked)}."), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.family, "", 10)
    reading_lines = reading_for(record).lines()
    if reading_lines:
        pdf.ln(1)
        _heading(pdf, "How to read this score", size=10, height=6)
        pdf.set_font(pdf.family, "", 9)
        for line in reading_lines:
            pdf.multi_cell(0, 4.5, pdf.text_safe(line), new_x="LMARGIN", new_y="NEXT")

    pdf.ln(2)
    column = (pdf.w - pdf.l_margin - pdf.r_margin - 6) / 2
    if pdf.h - pdf.b_margin - pdf.get_y() < 80:
        pdf.add_page()  # images placed at an explicit y do not break the page themselves
    top = pdf.get_y()
    left_h = _image_height(display_jpeg, column)
    right_h = _image_height(heatmap_image, column)
    room = min(120, pdf.h - pdf.b_margin - top - 8)
    scale = min(1.0, room / max(left_h, right_h))
    pdf.image(io.BytesIO(display_jpeg), x=pdf.l_margin, y=top, w=column * scale)
    pdf.image(io.BytesIO(heatmap_image), x=pdf.l_margin + column + 6, y=top, w=column * scale)
    pdf.set_y(top + max(left_h, right_h) * scale + 2)
    pdf.set_font(pdf.family, "", 8)
    pdf.set_text_color(100, 100, 100)
    pdf.cell(column + 6, 5, "Photograph (as analysed)")
    pdf.cell(column, 5, "Heatmap of patch forgery probabilities", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(20, 20, 20)

    pdf.ln(3)
    explanation_block(pdf, record)
    pdf.ln(2)
    references_block(pdf, record)
    knowledge_block(pdf, record)

    pdf.ln(3)
    _heading(pdf, "Limits of this analysis", size=12, height=7)
    pdf.set_font(pdf.family, "", 9)
    pdf.multi_cell(0, 5, pdf.text_safe(LIMITS_STATEMENT), new_x="LMARGIN", new_y="NEXT")
    verify_url = f"{site_url}/verify/?code={issued.code}" if issued else ""
    signature_block(pdf, issued, verify_url=verify_url, not_signed=not_signed)
    return bytes(pdf.output())
