"""What the explanation and the staff search box ask of the knowledge base: the passages of an
artist's active documents that best match a query, each with its source, ready to cite. One
GetItem (the artist's index pointer) and one Query (its documents, to skip any withdrawn or
replaced since the index was built) per search; the index itself is cached per process."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from datasets.knowledge import records
from datasets.knowledge.passages import place
from datasets.knowledge.workflow import artist_index

TOP_K = 3


@dataclass(frozen=True)
class Retrieved:
    doc_id: str
    version: int
    title: str
    author: str
    year: int | None
    citation: str
    licence: str
    page: int | None
    position: int
    text: str
    score: float
    index_id: str

    @property
    def place(self) -> str:
        return place(self.page, self.position)

    def as_dict(self) -> dict:
        return asdict(self)


def passages_search(*, slug: str, query: str, k: int = TOP_K) -> list[Retrieved]:
    """The k best passages for `query` among the artist's active documents' current versions."""
    pointer = records.artist_index_pointer(slug=slug)
    if not pointer.get("index_id") or not (query or "").strip():
        return []
    docs = {doc.doc_id: doc for doc in records.documents_for_artist(slug=slug) if doc.active}
    index = artist_index(slug=slug, pointer=pointer)

    def allowed(passage: dict) -> bool:
        doc = docs.get(passage["doc_id"])
        return doc is not None and doc.current.version == int(passage["version"])

    found = []
    for hit in index.search(query, k=k, allowed=allowed):
        doc, passage = docs[hit.passage["doc_id"]], hit.passage
        found.append(Retrieved(doc_id=doc.doc_id, version=int(passage["version"]), title=doc.title, author=doc.author,
                               year=doc.year, citation=doc.citation, licence=doc.licence, page=passage.get("page"),
                               position=int(passage["position"]), text=passage["text"], score=round(hit.score, 4),
                               index_id=index.index_id))
    return found
