"""Splitting a document's pages into passages: paragraphs merged up to about TARGET_WORDS, long
ones cut at sentence ends, so a passage is a quotable unit that answers one question. Each keeps
its page (PDF pages; None for Markdown and text, which have none) and its position on that page."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

TARGET_WORDS = 90
MAX_WORDS = 160
MIN_WORDS = 5  # shorter fragments (page numbers, running heads) are not worth citing

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MARKDOWN_NOISE = re.compile(r"(\*\*|__|`|^\s*[-*+>]\s+|^\s*\d+\.\s+|!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\))", re.M)


@dataclass(frozen=True)
class Passage:
    page: int | None
    position: int  # 1-based, in reading order on its page (in the document, without pages)
    text: str

    def as_dict(self) -> dict:
        return asdict(self)


def _words(text: str) -> int:
    return len(text.split())


def _paragraphs(text: str, *, markdown: bool) -> list[tuple[str, str]]:
    """(heading, paragraph) pairs of plain prose; in Markdown a heading is carried into its
    section's paragraphs (a passage about "Known forgeries" keeps those words, so a query finds
    it) and a passage never spans two sections."""
    found, heading = [], ""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = []
        for line in block.splitlines():
            match = _MARKDOWN_HEADING.match(line) if markdown else None
            if match:
                heading = match.group(1).strip()
            else:
                lines.append(line)
        body = " ".join(" ".join(lines).split())
        if markdown:
            body = _MARKDOWN_NOISE.sub(lambda m: m.group(2) or "", body).strip()
        if body:
            found.append((heading, f"{heading}: {body}" if markdown and heading else body))
    return found


def _cut(paragraph: str) -> list[str]:
    """A paragraph longer than MAX_WORDS, cut at sentence ends (or at MAX_WORDS words)."""
    if _words(paragraph) <= MAX_WORDS:
        return [paragraph]
    pieces, current = [], []
    for sentence in _SENTENCE_END.split(paragraph):
        words = sentence.split()
        while len(words) > MAX_WORDS:  # one very long "sentence"
            if current:
                pieces.append(" ".join(current))
                current = []
            pieces.append(" ".join(words[:MAX_WORDS]))
            words = words[MAX_WORDS:]
        if current and len(current) + len(words) > TARGET_WORDS:
            pieces.append(" ".join(current))
            current = []
        current += words
    if current:
        pieces.append(" ".join(current))
    return pieces


def page_passages(text: str, *, markdown: bool = False) -> list[str]:
    passages, current, section = [], "", None
    for heading, paragraph in _paragraphs(text, markdown=markdown):
        for piece in _cut(paragraph):
            if current and (heading != section or _words(current) + _words(piece) > TARGET_WORDS):
                passages.append(current)
                current = ""
            current, section = f"{current} {piece}".strip(), heading
    if current:
        passages.append(current)
    return [passage for passage in passages if _words(passage) >= MIN_WORDS]


def passages_split(pages: list[str], *, kind: str) -> list[Passage]:
    paged = kind == "pdf"
    found = []
    for number, text in enumerate(pages, 1):
        for position, passage in enumerate(page_passages(text, markdown=kind == "markdown"), 1):
            found.append(Passage(page=number if paged else None, position=position, text=passage))
    return found


def place(page: int | None, position: int) -> str:
    """How a passage is located in a citation: "p. 3" in a PDF, "passage 4" elsewhere."""
    return f"p. {page}" if page else f"passage {position}"
