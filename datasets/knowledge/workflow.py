"""Workflow C (seed 000's "Bedrock Upload", here a django-q2 task): for one artist, extract the
passages of every document version not yet read, then build the artist's index over the current
versions of its active documents and point the artist at it.

Idempotent: a version already indexed is not read again, and an index whose id (its documents
and versions) the artist already points at is not rebuilt. Each version's passages are kept in
the knowledge bucket (`<slug>/<doc_id>/v<n>/passages.json`) and each index's members in a
manifest (`<slug>/indexes/<index_id>.json`), so any host can rebuild an index it lacks.
"""
from __future__ import annotations

import json
import logging

from artguard.dynamo import now_ms
from artguard.storage import knowledge_storage, store_at
from datasets.artists import artist_item_id
from datasets.knowledge import records
from datasets.knowledge.extract import KnowledgeError, document_extract
from datasets.knowledge.index import PassageIndex, cached, index_folder, index_id_for
from datasets.knowledge.passages import passages_split
from datasets.knowledge.records import Document, Version
from datasets.tables import ImageRecord

logger = logging.getLogger(__name__)


def passages_path(slug: str, doc_id: str, version: int) -> str:
    return f"{records.version_prefix(slug, doc_id, version)}/passages.json"


def manifest_path(slug: str, index_id: str) -> str:
    return f"{slug}/indexes/{index_id}.json"


def _read(path: str) -> bytes:
    with knowledge_storage().open(path, "rb") as handle:
        return handle.read()


def version_extract(doc: Document, version: Version) -> dict:
    """Read one version into passages.json and record its page and passage counts (or why it
    failed) on the document. Returns the version's new fields."""
    try:
        extracted = document_extract(_read(version.path), filename=version.filename)
        passages = [passage.as_dict() for passage in passages_split(extracted.pages, kind=extracted.kind)]
        if not passages:
            raise KnowledgeError(f"{version.filename!r} has no passage of five words or more.")
        store_at(knowledge_storage(), passages_path(doc.artist, doc.doc_id, version.version), json.dumps(passages).encode())
        fields = {"state": records.INDEXED, "pages": extracted.page_count, "passages": len(passages), "reason": ""}
    except KnowledgeError as error:
        fields = {"state": records.FAILED, "reason": str(error)}
    _version_fields_set(doc.doc_id, version.version, fields)
    return fields


def _version_fields_set(doc_id: str, number: int, fields: dict) -> None:
    item = ImageRecord.get(records.document_item_id(doc_id), consistent_read=True)
    data = records.plain(item.knowledge)
    for entry in data["versions"]:
        if int(entry["version"]) == number:
            entry.update(fields)
    item.update(actions=[ImageRecord.knowledge.set(data)])


def members_for(docs: list[Document]) -> list[tuple[Document, Version]]:
    """What the index holds: each active document's current version, once it is indexed."""
    return [(doc, doc.current) for doc in docs if doc.active and doc.current.state == records.INDEXED]


def passages_for(slug: str, members: list[tuple[str, int]]) -> list[dict]:
    found = []
    for doc_id, version in members:
        for passage in json.loads(_read(passages_path(slug, doc_id, version))):
            found.append({"doc_id": doc_id, "version": int(version), **passage})
    return found


def index_rebuild(*, slug: str, index_id: str) -> PassageIndex:
    """An index from its manifest in the bucket (a host that lacks its folder)."""
    members = [(item["doc_id"], item["version"]) for item in json.loads(_read(manifest_path(slug, index_id)))["members"]]
    return PassageIndex.build(index_id=index_id, passages=passages_for(slug, members))


def knowledge_index_build(*, slug: str) -> dict:
    """Workflow C for one artist; returns the artist's index pointer."""
    docs = records.documents_for_artist(slug=slug)
    for doc in docs:
        if doc.active and doc.current.state == records.PENDING:
            version_extract(doc, doc.current)
    docs = records.documents_for_artist(slug=slug)
    members = [(doc.doc_id, version.version) for doc, version in members_for(docs)]
    pointer = records.artist_index_pointer(slug=slug)
    if not members:
        if pointer:
            ImageRecord(image_id=artist_item_id(slug)).update(actions=[ImageRecord.knowledge.remove()])
        return {}
    index_id = index_id_for(members)
    if pointer.get("index_id") == index_id and (index_folder(slug=slug, index_id=index_id) / "index.json").exists():
        return pointer
    index = PassageIndex.build(index_id=index_id, passages=passages_for(slug, members))
    index.save(index_folder(slug=slug, index_id=index_id))
    manifest = {"index_id": index_id, "artist": slug, "built_at": now_ms(),
                "members": [{"doc_id": doc_id, "version": version} for doc_id, version in members]}
    store_at(knowledge_storage(), manifest_path(slug, index_id), json.dumps(manifest).encode())
    pointer = {"index_id": index_id, "documents": len(members), "passages": len(index), "built_at": manifest["built_at"]}
    ImageRecord(image_id=artist_item_id(slug)).update(actions=[ImageRecord.knowledge.set(pointer)], condition=ImageRecord.image_id.exists())
    logger.info("knowledge index %s for %s: %d documents, %d passages", index_id, slug, len(members), len(index))
    return pointer


def artist_index(*, slug: str, pointer: dict | None = None) -> PassageIndex | None:
    """The artist's current index, loaded once per process; None when it has none."""
    pointer = records.artist_index_pointer(slug=slug) if pointer is None else pointer
    index_id = pointer.get("index_id")
    if not index_id:
        return None
    return cached(slug=slug, index_id=index_id, rebuild=lambda: index_rebuild(slug=slug, index_id=index_id))
