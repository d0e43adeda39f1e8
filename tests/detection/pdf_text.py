"""The text of a PDF the report writes, for assertions. The report is rendered with the core
Helvetica font for this (DejaVu text is stored as glyph ids), so its strings are literal."""
from __future__ import annotations

import re
import zlib

# The data runs to "endstream"; the end-of-line before it is left on the data rather than
# matched, because compressed data may itself end in a CR byte (about one stream in 256),
# which a pattern ending in "\r?\nendstream" would cut off. decompressobj ignores what follows.
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_ESCAPE = re.compile(rb"\\(.)", re.S)


def pdf_text(pdf: bytes) -> str:
    """Every shown string, in order, joined by spaces (a wrapped line rejoins at its space)."""
    shown = []
    for stream in _STREAM.findall(pdf):
        try:
            stream = zlib.decompressobj().decompress(stream)
        except zlib.error:
            continue  # an image
        shown += [_ESCAPE.sub(rb"\1", text).decode("latin-1") for text in _SHOWN.findall(stream)]
    return re.sub(r"\s+", " ", " ".join(shown))
