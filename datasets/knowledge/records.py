"""Where the knowledge base's records live: items of the ImageRecords table (no new table and
no new index, docs/knowledge.md), read by key or through LabelSplitIndex, never by a Scan.

- a document: image_id "knowledge-doc#<doc_id>", label "_knowledge#<artist slug>" (one Query
  lists an artist's documents), split "doc#<doc_id>", image_name its title, status
  "active" | "withdrawn", `knowledge` its source and its versions (newest last);
- a hash guard: image_id "knowledge-hash#<slug>#<sha256>", written with a condition so two
  uploads of one file cannot both win;
- a citation: image_id "knowledge-cite#<doc_id>#<inference_id>", label
  "_knowledge_cited#<doc_id>", split the result's time, zero-padded (newest first in a Query).
"""
from __future__ import annotations

from dataclasses import dataclass

from datasets.artists import artist_item_id
from datasets.tables import ImageRecord

ACTIVE, WITHDRAWN = "active", "withdrawn"
PENDING, INDEXED, FAILED = "pending", "indexed", "failed"  # a version's indexing state
CITATIONS_SHOWN = 20


def document_item_id(doc_id: str) -> str:
    return f"knowledge-doc#{doc_id}"


def documents_label(slug: str) -> str:
    return f"_knowledge#{slug}"


def hash_item_id(slug: str, content_hash: str) -> str:
    return f"knowledge-hash#{slug}#{content_hash}"


def citation_item_id(doc_id: str, inference_id: str) -> str:
    return f"knowledge-cite#{doc_id}#{inference_id}"


def citations_label(doc_id: str) -> str:
    return f"_knowledge_cited#{doc_id}"


def version_prefix(slug: str, doc_id: str, version: int) -> str:
    """The version's folder in the knowledge bucket: original file and passages.json."""
    return f"{slug}/{doc_id}/v{version}"


def plain(value):
    """A stored map (PynamoDB MapAttribute, nested) as plain dicts and lists."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Version:
    version: int
    content_hash: str
    filename: str
    kind: str
    size: int
    path: str
    uploaded_at: int
    uploaded_by: str
    state: str = PENDING
    pages: int | None = None
    passages: int | None = None
    reason: str = ""  # why indexing failed

    @classmethod
    def from_map(cls, data: dict) -> "Version":
        known = {name: data.get(name) for name in cls.__dataclass_fields__ if data.get(name) is not None}
        known["version"], known["size"], known["uploaded_at"] = int(known["version"]), int(known["size"]), int(known["uploaded_at"])
        for name in ("pages", "passages"):
            if name in known:
                known[name] = int(known[name])
        return cls(**known)


@dataclass(frozen=True)
class Document:
    doc_id: str
    artist: str  # slug
    title: str
    status: str
    author: str = ""
    year: int | None = None
    citation: str = ""  # URL or bibliographic reference
    licence: str = ""
    created_at: int = 0
    versions: tuple[Version, ...] = ()
    withdrawn_at: int | None = None
    withdrawn_by: str = ""
    withdraw_reason: str = ""

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def source_line(self) -> str:
        """'Title, Author (1998)'."""
        by = f", {self.author}" if self.author else ""
        year = f" ({self.year})" if self.year else ""
        return f"{self.title}{by}{year}"


def document_from(record: ImageRecord) -> Document:
    data = plain(record.knowledge) or {}
    return Document(
        doc_id=record.image_id.split("#", 1)[1], artist=data.get("artist", ""), title=record.image_name or "",
        status=record.status or ACTIVE, author=data.get("author") or "", year=int(data["year"]) if data.get("year") else None,
        citation=data.get("citation") or "", licence=data.get("licence") or "", created_at=int(record.created_at or 0),
        versions=tuple(Version.from_map(item) for item in data.get("versions") or []),
        withdrawn_at=int(data["withdrawn_at"]) if data.get("withdrawn_at") else None,
        withdrawn_by=data.get("withdrawn_by") or "", withdraw_reason=data.get("withdraw_reason") or "",
    )


def documents_for_artist(*, slug: str) -> list[Document]:
    """The artist's documents, withdrawn ones too, oldest first (one Query)."""
    records = ImageRecord.label_split_index.query(documents_label(slug), ImageRecord.split.startswith("doc#"))
    return sorted((document_from(record) for record in records), key=lambda doc: (doc.created_at, doc.doc_id))


def document_get(*, doc_id: str) -> Document | None:
    try:
        return document_from(ImageRecord.get(document_item_id(doc_id), consistent_read=True))
    except ImageRecord.DoesNotExist:
        return None


def documents_get(*, doc_ids: list[str]) -> dict[str, Document]:
    """Documents by id, in one BatchGetItem (a result page's citations)."""
    ids = list(dict.fromkeys(doc_ids))
    if not ids:
        return {}
    records = ImageRecord.batch_get([document_item_id(doc_id) for doc_id in ids])
    return {doc.doc_id: doc for doc in map(document_from, records)}


def citations_for_document(*, doc_id: str, limit: int = CITATIONS_SHOWN) -> list[dict]:
    """The newest results that cited the document: {inference_id, version, at, verdict}."""
    records = ImageRecord.label_split_index.query(citations_label(doc_id), scan_index_forward=False, limit=limit)
    return [{**(plain(record.knowledge) or {}), "at": int(record.created_at or 0)} for record in records]


def artist_index_pointer(*, slug: str) -> dict:
    """The artist's current index ({index_id, documents, passages, built_at}; {} when none)."""
    try:
        record = ImageRecord.get(artist_item_id(slug), attributes_to_get=["image_id", "knowledge"])
    except ImageRecord.DoesNotExist:
        return {}
    return plain(record.knowledge) or {}
