"""Reading a staff document into pages of text: PDF through pypdf, Markdown and plain text as
UTF-8 (or UTF-16 with its byte-order mark). What cannot be read is refused with the reason,
before anything is stored."""
from __future__ import annotations

import codecs
import io
import logging
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings

from datasets.layout import DatasetError

logger = logging.getLogger(__name__)

KINDS = {".pdf": "pdf", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
EXTENSIONS = {"pdf": ".pdf", "markdown": ".md", "text": ".txt"}
TEXT_SAMPLE_PAGES = 12  # pages read at upload to tell a scanned PDF from one with a text layer
MIN_TEXT_CHARS = 40  # fewer letters than this on every sampled page: no text layer


class KnowledgeError(DatasetError):
    """A document that cannot be taken, or an action that cannot be done; meant for staff."""


@dataclass(frozen=True)
class Extracted:
    kind: str  # "pdf" | "markdown" | "text"
    pages: list[str]  # a PDF's pages; one item for Markdown and text

    @property
    def page_count(self) -> int:
        return len(self.pages)


def kind_for(filename: str) -> str:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in KINDS:
        raise KnowledgeError(f"{filename!r} is not a PDF, Markdown (.md) or text (.txt) file.")
    return KINDS[suffix]


def size_check(*, size: int, filename: str) -> None:
    limit = settings.KNOWLEDGE_MAX_BYTES
    if size > limit:
        raise KnowledgeError(f"{filename!r} is {size / 2**20:.0f} MB; documents may be at most {limit // 2**20} MB. "
                             "Split it, or upload the chapters that concern the artist.")
    if size == 0:
        raise KnowledgeError(f"{filename!r} is empty.")


def text_decode(data: bytes, *, filename: str) -> str:
    """UTF-8 (a BOM allowed) or UTF-16 with a BOM; anything else would be guessed, so it is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise KnowledgeError(f"{filename!r} is not UTF-8 text (byte {error.start} cannot be read), so its encoding is "
                             "unknown. Save it as UTF-8 and upload it again.") from None
    if "\x00" in text:
        raise KnowledgeError(f"{filename!r} holds binary data, not text.")
    return text


def _pdf_reader(data: bytes, *, filename: str):
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise KnowledgeError(f"{filename!r} is not a readable PDF ({error}).") from None
    if encrypted:
        raise KnowledgeError(f"{filename!r} is encrypted (password-protected), so its text cannot be read. "
                             "Upload a copy without a password.")
    return reader


def _page_text(page) -> str:
    try:
        return page.extract_text() or ""
    except Exception as error:  # pypdf raises many kinds on damaged content streams; the page is then empty
        logger.warning("a PDF page could not be read: %s: %s", type(error).__name__, error)
        return ""


def _letters(text: str) -> int:
    return sum(char.isalnum() for char in text)


def pdf_pages(data: bytes, *, filename: str, limit: int | None = None) -> list[str]:
    reader = _pdf_reader(data, filename=filename)
    pages = reader.pages if limit is None else reader.pages[:limit]
    return [_page_text(page) for page in pages]


def document_check(data: bytes, *, filename: str) -> str:
    """Refuse, with the reason, a file that cannot be indexed; return its kind. Cheap enough for
    an upload: a PDF's first pages are read, not all of it (the worker reads the rest)."""
    size_check(size=len(data), filename=filename)
    kind = kind_for(filename)
    if kind == "pdf":
        sample = pdf_pages(data, filename=filename, limit=TEXT_SAMPLE_PAGES)
        if not any(_letters(text) >= MIN_TEXT_CHARS for text in sample):
            raise KnowledgeError(f"{filename!r} has no text layer (a scan, or pages of images), so there is nothing to "
                                 "cite. Run it through OCR first, or upload a text version.")
    elif _letters(text_decode(data, filename=filename)) < MIN_TEXT_CHARS:
        raise KnowledgeError(f"{filename!r} holds almost no text ({MIN_TEXT_CHARS} letters or digits at least).")
    return kind


def document_extract(data: bytes, *, filename: str) -> Extracted:
    """Every page's text (the worker's step: a long PDF takes seconds)."""
    kind = kind_for(filename)
    if kind == "pdf":
        pages = pdf_pages(data, filename=filename)
        if not any(_letters(text) >= MIN_TEXT_CHARS for text in pages):
            raise KnowledgeError(f"{filename!r} has no text layer.")
        return Extracted(kind=kind, pages=pages)
    return Extracted(kind=kind, pages=[text_decode(data, filename=filename)])
