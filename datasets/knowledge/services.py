"""Writes of the knowledge base: upload a document, replace it with a new version, withdraw it,
and record which results cited it. Indexing is Workflow C's (workflow.py), queued after each
change so an upload never waits for it."""
from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePath

from pynamodb.exceptions import PutError, UpdateError

from artguard.batching import paced_batch_write
from artguard.dynamo import now_ms
from artguard.storage import knowledge_storage, store_at
from datasets.artists import Artist, ArtistError
from datasets.knowledge import records
from datasets.knowledge.extract import EXTENSIONS, KnowledgeError, document_check
from datasets.knowledge.records import ACTIVE, WITHDRAWN, Document
from datasets.selectors import artist_get, artists_resolver
from datasets.tables import ImageRecord

MAX_TITLE = 300
MAX_FIELD = 1000
_YEAR = re.compile(r"^\d{3,4}$")


@dataclass(frozen=True)
class Source:
    """Where a document comes from, as staff give it."""

    title: str = ""
    author: str = ""
    year: str | int | None = None
    citation: str = ""  # a URL or a bibliographic reference
    licence: str = ""  # e.g. "CC BY 4.0", "quoted with the publisher's permission"

    def cleaned(self, *, filename: str) -> dict:
        title = " ".join((self.title or PurePath(filename).stem.replace("_", " ")).split())[:MAX_TITLE]
        year = str(self.year or "").strip()
        if year and not _YEAR.match(year):
            raise KnowledgeError(f"The year {year!r} is not a year (e.g. 1998).")
        return {"title": title or "Untitled", "author": " ".join((self.author or "").split())[:MAX_FIELD],
                "year": int(year) if year else None, "citation": (self.citation or "").strip()[:MAX_FIELD],
                "licence": (self.licence or "").strip()[:MAX_FIELD]}


def artist_for_documents(name_or_slug: str) -> Artist:
    """The registered artist a name, alias or slug names; unknown ones are refused, listing them."""
    artist = artist_get(slug=(name_or_slug or "").strip())
    if artist is not None:
        return artist
    try:
        return artists_resolver().resolve(name_or_slug, what="registered artists")
    except ArtistError as error:
        raise KnowledgeError(str(error).replace("No model for", "No artist named")) from None


def _hash_guard(*, slug: str, content_hash: str, doc_id: str, version: int) -> None:
    """Claim this file's hash for the artist, or say which document already holds it."""
    guard = ImageRecord(image_id=records.hash_item_id(slug, content_hash), label=f"_knowledge_hash#{slug}", split=content_hash[:32],
                        knowledge={"doc_id": doc_id, "version": version}, created_at=now_ms())
    try:
        guard.save(condition=ImageRecord.image_id.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        held = ImageRecord.get(guard.image_id, consistent_read=True).knowledge
        existing = records.document_get(doc_id=held["doc_id"])
        title = existing.title if existing else held["doc_id"]
        raise KnowledgeError(f"This file is already in the knowledge base as {title!r} (version {int(held['version'])}); "
                             "nothing was added.") from None


def _hash_release(*, slug: str, content_hash: str) -> None:
    ImageRecord(image_id=records.hash_item_id(slug, content_hash)).delete()


def _store_original(*, slug: str, doc_id: str, version: int, kind: str, data: bytes) -> str:
    return store_at(knowledge_storage(), f"{records.version_prefix(slug, doc_id, version)}/original{EXTENSIONS[kind]}", data)


def _version_map(*, number: int, content_hash: str, filename: str, kind: str, data: bytes, path: str, by: str) -> dict:
    return {"version": number, "content_hash": content_hash, "filename": PurePath(filename).name[:MAX_TITLE], "kind": kind,
            "size": len(data), "path": path, "uploaded_at": now_ms(), "uploaded_by": by, "state": records.PENDING}


def knowledge_upload(*, artist: str, filename: str, data: bytes, source: Source, by: str,
                     replaces: str | None = None, index: bool = True) -> Document:
    """Store a document for `artist` (name, alias or slug), or a new version of document
    `replaces`, and queue the artist's indexing. Refused with a reason, storing nothing: an
    unknown artist, a file that cannot be read (see extract.py), a file already uploaded."""
    found = artist_for_documents(artist)
    kind = document_check(data, filename=filename)
    fields = source.cleaned(filename=filename)
    previous = None
    if replaces:
        previous = records.document_get(doc_id=replaces)
        if previous is None or previous.artist != found.slug:
            raise KnowledgeError(f"{found.name} has no document {replaces!r} to replace.")
        if not previous.active:
            raise KnowledgeError(f"{previous.title!r} was withdrawn; upload the file as a new document instead.")
    doc_id = previous.doc_id if previous else uuid.uuid4().hex
    number = previous.current.version + 1 if previous else 1
    content_hash = hashlib.sha256(data).hexdigest()
    _hash_guard(slug=found.slug, content_hash=content_hash, doc_id=doc_id, version=number)
    try:
        path = _store_original(slug=found.slug, doc_id=doc_id, version=number, kind=kind, data=data)
        version = _version_map(number=number, content_hash=content_hash, filename=filename, kind=kind, data=data, path=path, by=by)
        if previous:
            _version_append(previous, version, fields)
        else:
            _document_create(doc_id=doc_id, slug=found.slug, version=version, fields=fields)
    except Exception:
        _hash_release(slug=found.slug, content_hash=content_hash)  # the same file may be uploaded again
        raise
    if index:
        index_queue(slug=found.slug)
    return records.document_get(doc_id=doc_id)


def _document_create(*, doc_id: str, slug: str, version: dict, fields: dict) -> None:
    item = ImageRecord(
        image_id=records.document_item_id(doc_id), image_name=fields["title"], label=records.documents_label(slug),
        split=f"doc#{doc_id}", status=ACTIVE, created_at=now_ms(),
        knowledge={"artist": slug, **{key: value for key, value in fields.items() if key != "title"}, "versions": [version]},
    )
    item.save(condition=ImageRecord.image_id.does_not_exist())


def _version_append(previous: Document, version: dict, fields: dict) -> None:
    """One conditional write: a replacement racing another one (or a withdrawal) loses, with a reason."""
    item = ImageRecord.get(records.document_item_id(previous.doc_id), consistent_read=True)
    data = records.plain(item.knowledge)
    data.update({key: value for key, value in fields.items() if key != "title"})
    data["versions"] = [*data["versions"], version]
    try:
        # still active, and no other replacement took this version number meanwhile
        item.update(actions=[ImageRecord.knowledge.set(data), ImageRecord.image_name.set(fields["title"])],
                    condition=(ImageRecord.status == ACTIVE) & ImageRecord.knowledge["versions"][len(data["versions"]) - 1].does_not_exist())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise KnowledgeError(f"{previous.title!r} was withdrawn or replaced meanwhile; nothing was replaced.") from None
        raise


def knowledge_withdraw(*, doc_id: str, by: str, reason: str = "") -> Document:
    """Withdraw a document: it is never cited again (the artist's index is rebuilt without it, and
    retrieval skips it meanwhile); results that cited it say it was withdrawn. Its files stay in
    the bucket, so those results can still be checked against it. Its hashes are released, so
    the same file can be uploaded again as a new document."""
    doc = records.document_get(doc_id=doc_id)
    if doc is None:
        raise KnowledgeError(f"There is no document {doc_id!r}.")
    if not doc.active:
        return doc
    item = ImageRecord.get(records.document_item_id(doc_id), consistent_read=True)
    data = records.plain(item.knowledge)
    data.update({"withdrawn_at": now_ms(), "withdrawn_by": by, "withdraw_reason": (reason or "").strip()[:MAX_FIELD]})
    item.update(actions=[ImageRecord.status.set(WITHDRAWN), ImageRecord.knowledge.set(data)], condition=ImageRecord.status == ACTIVE)
    for version in doc.versions:
        _hash_release(slug=doc.artist, content_hash=version.content_hash)
    index_queue(slug=doc.artist)
    return records.document_get(doc_id=doc_id)


def index_queue(*, slug: str) -> None:
    """Workflow C for the artist, in the background (django-q2; inline in tests)."""
    from django_q.tasks import async_task

    async_task("datasets.tasks.knowledge_index_task", slug, task_name=f"knowledge-{slug}"[:100])


def citations_record(*, inference_id: str, at: int, verdict: str, cited: list[dict]) -> None:
    """Remember that result `inference_id` cited these document versions ({doc_id, version,
    keys}), for the staff view; one batch write. Holds no user id and nothing of the photograph."""
    if not cited:
        return
    with paced_batch_write(ImageRecord, items_per_second=100, pace_key="image-records:citations") as batch:
        for item in cited:
            batch.save(ImageRecord(
                image_id=records.citation_item_id(item["doc_id"], inference_id), label=records.citations_label(item["doc_id"]),
                split=f"{int(at):015d}#{inference_id}", created_at=int(at),
                knowledge={"inference_id": inference_id, "version": int(item["version"]), "keys": list(item.get("keys") or []),
                           "verdict": verdict}))


def citations_forget(*, inference_id: str, doc_ids: list[str]) -> int:
    """Delete result `inference_id`'s citation items (its owner erased it)."""
    ids = list(dict.fromkeys(doc_ids))
    if not ids:
        return 0
    with paced_batch_write(ImageRecord, items_per_second=100, pace_key="image-records:citations") as batch:
        for doc_id in ids:
            batch.delete(ImageRecord(image_id=records.citation_item_id(doc_id, inference_id)))
    return len(ids)
