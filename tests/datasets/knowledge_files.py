"""Documents for knowledge-base tests, made on the spot: PDFs with a text layer (fpdf2), a scan
(pages of pixels only), an encrypted PDF (pypdf), Markdown and text."""
from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image


def text_pdf(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 5, text)
    return bytes(pdf.output())


def scanned_pdf(pages: int = 2) -> bytes:
    """Pages that are pictures of text: no text layer."""
    image = Image.new("RGB", (400, 500), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.image(io.BytesIO(buffer.getvalue()), x=10, y=10, w=180)
    return bytes(pdf.output())


def encrypted_pdf(text: str = "A catalogue entry about the artist's technique and the known forgeries of it.") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([text]))))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


TECHNIQUE_MD = """# Technique of Demo Hand A

## Brushwork

Demo Hand A lays directional strokes that follow the form, loaded with paint at the start of each
stroke and dragged thin at its end. Edges between colour fields are soft and broken.

## Known forgeries

A workshop imitator copied the compositions in the 1990s. The copies were exposed because their
strokes are short, evenly loaded and cross the form rather than follow it.

## Print reproductions

Printed reproductions of Demo Hand A show a regular halftone dot texture under magnification and
no relief at the stroke ends.
"""
