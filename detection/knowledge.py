"""The knowledge base in a result: which passages of the staff's documents about the artist an
analysis retrieves (from the artist and what its findings are about), what the record keeps of
them, and how the result page, the PDF and the API list them (docs/knowledge.md).

The record keeps the passages it cited as they were (document, version, page, text), so a
result goes on citing the version it used after a replacement; whether a document has since
been withdrawn or replaced is looked up when the result is shown (one BatchGetItem).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from datasets.knowledge.passages import place
from datasets.knowledge.records import documents_get
from datasets.knowledge.retrieval import passages_search
from datasets.knowledge.services import citations_forget, citations_record

logger = logging.getLogger(__name__)

FOUND, NONE, UNAVAILABLE = "found", "none", "unavailable"

# What a kind of known forgery near a cited region is called in documents about an artist.
SUBLABEL_WORDS = {
    "imitation": "imitation imitator copy copies copied forger hand",
    "copy": "copy copies copied imitation forger",
    "reproduction": "print printed reproduction reproductions halftone dot texture",
    "print": "print printed reproduction reproductions halftone dot texture",
    "synthetic": "generated synthetic generator image texture",
    "generated": "generated synthetic generator image texture",
}
VERDICT_WORDS = {
    "LIKELY_FORGED": "known forgeries forged exposed imitation",
    "LIKELY_AUTHENTIC": "authentic works characteristic",
    "INCONCLUSIVE": "authentic works known forgeries",
}
BASE_WORDS = "technique brushwork strokes handling paint"
CAPTURE_WORDS = "photograph photographing photographs"


def query_for(*, artist_name: str, verdict: str, regions: dict, capture_outside: bool) -> str:
    """The retrieval query: the artist, the brushwork the model looks at, the verdict's subject,
    and the kinds of known forgery the cited regions are closest to."""
    sublabels = {ref.get("sublabel") for region in regions.values() for ref in (region.get("forged") or [])}
    words = [artist_name, BASE_WORDS, VERDICT_WORDS.get(verdict, ""), *(SUBLABEL_WORDS.get(s, "") for s in sorted(filter(None, sublabels)))]
    if capture_outside:
        words.append(CAPTURE_WORDS)
    return " ".join(word for word in words if word)


def passages_for(*, artist: str | None, query: str) -> tuple[str, list[dict]]:
    """(status, passages numbered K1, K2...) for the analysis; never fails it: a knowledge base
    that cannot be read leaves the explanation without context, said as "unavailable"."""
    if not artist:
        return NONE, []
    try:
        found = passages_search(slug=artist, query=query)
    except Exception as error:
        logger.warning("knowledge retrieval for %s failed: %s: %s", artist, type(error).__name__, error)
        return UNAVAILABLE, []
    return (FOUND if found else NONE), [{"key": f"K{n}", **hit.as_dict()} for n, hit in enumerate(found, 1)]


def stored(*, status: str, query: str, passages: list[dict], cited: list[str]) -> dict:
    """InferenceRecord.knowledge: the passages the explanation cites (by key), as they were."""
    keep = [passage for passage in passages if passage["key"] in set(cited)]
    return {"status": status, "query": query, "index_id": passages[0]["index_id"] if passages else None,
            "passages": [{name: value for name, value in passage.items() if name != "index_id"} for passage in keep]}


def citations_remember(*, inference_id: str, at: int, verdict: str, knowledge: dict) -> None:
    """Tell the knowledge base which documents this result cited (the staff's "cited by")."""
    by_doc: dict[tuple[str, int], list[str]] = {}
    for passage in knowledge.get("passages") or []:
        by_doc.setdefault((passage["doc_id"], int(passage["version"])), []).append(passage["key"])
    try:
        citations_record(inference_id=inference_id, at=at, verdict=verdict,
                         cited=[{"doc_id": doc_id, "version": version, "keys": keys} for (doc_id, version), keys in by_doc.items()])
    except Exception as error:  # the result is complete; only the staff's list misses it
        logger.warning("recording the citations of %s failed: %s", inference_id, error)


def citations_forget_for(record) -> None:
    """The record is being deleted: its citations leave the staff's lists with it."""
    passages = _plain(getattr(record, "knowledge", None)).get("passages") or []
    citations_forget(inference_id=record.inference_id, doc_ids=[_plain(p)["doc_id"] for p in passages])


@dataclass
class CitedPassage:
    key: str
    title: str
    source: str  # "Title, Author (1998), p. 3"
    citation: str
    licence: str
    text: str
    doc_id: str
    version: int
    page: int | None
    position: int
    note: str = ""  # "withdrawn since this analysis", "a newer version exists"

    def as_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "source": self.source, "citation": self.citation, "licence": self.licence,
                "text": self.text, "document_id": self.doc_id, "version": self.version, "page": self.page,
                "position": self.position, "note": self.note}


@dataclass
class Shown:
    status: str
    passages: list[CitedPassage] = field(default_factory=list)


def _source(passage: dict) -> str:
    by = f", {passage['author']}" if passage.get("author") else ""
    year = f" ({passage['year']})" if passage.get("year") else ""
    return f"{passage['title']}{by}{year}, {place(passage.get('page'), int(passage['position']))}"


def _plain(value):
    return value.as_dict() if hasattr(value, "as_dict") else (value or {})


def knowledge_for(record) -> Shown:
    """The record's cited passages, each with what has happened to its document since."""
    data = _plain(getattr(record, "knowledge", None))
    passages = [_plain(p) for p in data.get("passages") or []]
    if not passages:
        return Shown(status=data.get("status") or NONE)
    try:
        docs = documents_get(doc_ids=[p["doc_id"] for p in passages])
    except Exception as error:
        logger.warning("looking up cited documents failed: %s", error)
        docs = None
    shown = []
    for p in passages:
        doc, note = (docs or {}).get(p["doc_id"]), ""
        if docs is not None and (doc is None or not doc.active):
            note = "withdrawn since this analysis: ArtGuard no longer cites it"
        elif doc is not None and doc.current.version != int(p["version"]):
            note = f"version {int(p['version'])} quoted here; a newer version exists"
        shown.append(CitedPassage(key=p["key"], title=p["title"], source=_source(p), citation=p.get("citation") or "",
                                  licence=p.get("licence") or "", text=p["text"], doc_id=p["doc_id"], version=int(p["version"]),
                                  page=int(p["page"]) if p.get("page") else None, position=int(p["position"]), note=note))
    return Shown(status=data.get("status") or FOUND, passages=shown)
