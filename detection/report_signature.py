"""What makes a report checkable: its verification code, a QR code to the public verification
page, the analysed file's SHA-256 and ArtGuard's signed statement (docs/verification.md).

The statement also goes into the PDF's Subject metadata, as plain ASCII, so a verifier finds it
in the file's bytes without a PDF library (scripts/verify_report.py)."""
from __future__ import annotations

import io

import segno

from detection.signing import Issued


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=4, border=2)
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """Inline SVG (no data: URI, so the Content-Security-Policy needs nothing more)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, title="QR code to the verification page")


def signature_block(pdf, issued: Issued | None, *, verify_url: str, not_signed: str = "") -> None:
    from detection.report_evidence import heading

    pdf.ln(3)
    heading(pdf, "Verify this report", size=12, height=7)
    pdf.set_font(pdf.family, "", 9)
    if issued is None:
        pdf.multi_cell(0, 5, pdf.text_safe(f"This report is not signed: {not_signed}"), new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_subject(issued.statement)
    if pdf.h - pdf.b_margin - pdf.get_y() < 45:
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(verify_url)), x=pdf.w - pdf.r_margin - 32, y=top, w=32)
    width = pdf.w - pdf.l_margin - pdf.r_margin - 36
    lines = [
        ("Verification code", issued.code),
        ("Check it at", verify_url),
        ("SHA-256 of the analysed file", issued.facts["image_sha256"]),
        ("Issued", issued.facts["issued_at"].replace("T", " ").replace("Z", " UTC")),
    ]
    for label, value in lines:
        pdf.set_text_color(100, 100, 100)
        pdf.cell(width, 4.5, pdf.text_safe(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(20, 20, 20)
        pdf.multi_cell(width, 4.5, pdf.text_safe(value), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 34))
    pdf.set_font(pdf.family, "", 7)
    pdf.set_text_color(100, 100, 100)
    pdf.multi_cell(0, 3.5, pdf.text_safe(
        "Ed25519 signature by ArtGuard over the facts above (image hash, artist, model version, score, verdict, "
        "thresholds, dates); the public keys are at /verify/keys.json. Signed statement:"), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 3.5, issued.statement, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(20, 20, 20)
