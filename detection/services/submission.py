"""Submitting an upload: check the file and the fields, create the PENDING record (with its
pending marker), store the original, enqueue processing (detection.services.pipeline).

Order matters: the file is fully checked before anything is stored, so a rejected file leaves
no record and no object behind.
"""
from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from django.conf import settings
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from artguard.dynamo import now_ms
from artguard.outages import outage_message
from artguard.storage import raw_storage, store_at
from datasets.imaging import EXTENSION_FOR_FORMAT, PATCH_SIZE, ImageRejected, check_image
from detection.selectors import (
    PENDING_MARKER_PREFIX,
    PENDING_MARKER_USER,
    inference_get,
    inference_get_for_user,
    inferences_count_since,
    is_expired,
)
from detection.services.errors import InvalidSubmission, RateLimited
from detection.services.lifecycle import delete_objects, inference_fail, inference_prefix
from detection.services.scoring import served_artist_for
from detection.tables import InferenceRecord

logger = logging.getLogger(__name__)

MAX_TEXT_FIELD = 200
MAX_IDEMPOTENCY_KEY = 255
# Room for the multipart boundaries and the form's text fields around one file.
MULTIPART_ALLOWANCE = 64 * 1024
# A photograph sent again from the upload form within this window finds its first analysis.
RESEND_WINDOW_MS = 10 * 60 * 1000


@dataclass(frozen=True)
class Submission:
    record: InferenceRecord
    created: bool  # False when an earlier submission with the same Idempotency-Key was returned
    note: str = ""  # datasets.imaging.ImageCheck.note: said beside the upload, never a refusal


def inference_id_for(*, user_id: str, idempotency_key: str | None) -> str:
    """Deterministic for (user, key) so a repeated submission finds its first record."""
    if not idempotency_key:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{user_id}\n{idempotency_key}".encode()).hexdigest()[:32]


def _clean_text(value: str | None, *, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT_FIELD:
        raise InvalidSubmission(f"{field} is longer than {MAX_TEXT_FIELD} characters.")
    return value


def pending_marker(record: InferenceRecord) -> InferenceRecord:
    """The marker item the sweep finds a record by while it is PENDING/PROCESSING (a Query, not a Scan)."""
    return InferenceRecord(
        inference_id=f"{PENDING_MARKER_PREFIX}{record.inference_id}",
        user_id=PENDING_MARKER_USER,
        created_at=record.created_at,
        ttl=record.ttl,
        status="PENDING",
    )


def too_large_message(*, size_bytes: int | None = None) -> str:
    """The one wording of the upload size limit: the early Content-Length check, the per-file
    check of the web form and the API, and upload_check all say this (issue 30)."""
    limit_mb = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
    size = f" (this one is {size_bytes / 1024 / 1024:.1f} MB)" if size_bytes else ""
    return f"The file is larger than {limit_mb} MB{size}."


def body_too_large(*, content_length: str | None, files: int = 1, limit_bytes: int | None = None) -> bool:
    """True when a request announcing this Content-Length cannot carry `files` files within the
    limit (or files totalling `limit_bytes`), so it can be refused before its body is read. No
    or a bad header: False (the per-file check still runs once the body is read)."""
    try:
        length = int(content_length or "")
    except ValueError:
        return False
    return length > (files * settings.UPLOAD_MAX_BYTES if limit_bytes is None else limit_bytes) + MULTIPART_ALLOWANCE


def size_check(*, size_bytes: int) -> None:
    """The upload size limit, checked here only: ImageRejected saying too_large_message. The
    views call it before they read a file; upload_check calls it on what was read."""
    if size_bytes > settings.UPLOAD_MAX_BYTES:
        raise ImageRejected(too_large_message(size_bytes=size_bytes))


def upload_check(*, data: bytes, filename: str):
    """Size and image checks; raises ImageRejected with a message for the person who sent it.
    An analysis needs at least one whole patch on the short side (nothing is enlarged to make
    one up) and enough texture to show brushwork (datasets.imaging.texture_problem)."""
    size_check(size_bytes=len(data))
    return check_image(data, filename=filename, max_pixels=settings.IMAGE_MAX_PIXELS, min_side=PATCH_SIZE, require_texture=True)


def rate_limit_check(*, user_id: str) -> None:
    limit = settings.UPLOADS_PER_HOUR
    recent = inferences_count_since(user_id=user_id, since_ms=now_ms() - 3600 * 1000, limit=limit)
    if recent >= limit:
        raise RateLimited(f"You have uploaded {limit} images in the last hour, the most allowed. Please try again later.")


def inference_submit(
    *,
    user_id: str,
    data: bytes,
    filename: str,
    attributed_artist: str = "",
    title: str = "",
    idempotency_key: str | None = None,
) -> Submission:
    """Check the file, create the PENDING record (with its pending marker), store the original,
    enqueue processing. Raises ImageRejected, InvalidSubmission, RateLimited, NoModelAvailable."""
    started = time.perf_counter()
    attributed_artist = _clean_text(attributed_artist, field="The attributed artist")
    title = _clean_text(title, field="The title")
    idempotency_key = (idempotency_key or "").strip() or None
    if idempotency_key and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidSubmission(f"The Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters.")
    inference_id = inference_id_for(user_id=user_id, idempotency_key=idempotency_key)
    # One consistent read serves both the replay and a key reused after its record expired.
    earlier = inference_get_for_user(user_id=user_id, inference_id=inference_id, include_expired=True) if idempotency_key else None
    if earlier is not None and not is_expired(earlier):
        return Submission(record=earlier, created=False)  # a replay: answered before the image is decoded again
    check = upload_check(data=data, filename=filename)
    if earlier is not None:  # the key's record expired but DynamoDB has not removed it yet: start afresh
        delete_objects(user_id=user_id, inference_id=inference_id)
        earlier.delete()
    rate_limit_check(user_id=user_id)
    artist = served_artist_for(attributed_artist)

    created_at = now_ms()
    prefix = inference_prefix(user_id=user_id, inference_id=inference_id)
    record = InferenceRecord(
        inference_id=inference_id,
        user_id=user_id,
        created_at=created_at,
        ttl=datetime.fromtimestamp(created_at / 1000 + settings.INFERENCE_TTL_DAYS * 86400, tz=timezone.utc),
        image_name=(filename or "")[:MAX_TEXT_FIELD] or None,
        image_path=f"{prefix}/original{EXTENSION_FOR_FORMAT[check.format]}",
        status="PENDING",
        attributed_artist=artist.name,
        artist=artist.slug,
        model_version=artist.serving["model_version"],  # pinned: a later promotion does not change it
        model_is_demo=bool(artist.serving.get("is_demo")),
        title=title or None,
        content_type=check.content_type,
        size_bytes=len(data),
        image_sha256=hashlib.sha256(data).hexdigest(),  # what a signed report says was analysed
        idempotency_key=idempotency_key,
        updated_at=created_at,
    )
    try:
        with TransactWrite(connection=InferenceRecord._get_connection().connection) as transaction:
            transaction.save(record, condition=InferenceRecord.inference_id.does_not_exist())
            transaction.save(pending_marker(record))
    except TransactWriteError as error:
        if idempotency_key and error.cause_response_code == "TransactionCanceledException":
            # A concurrent request with the same key won the conditional put.
            winner = inference_get_for_user(user_id=user_id, inference_id=inference_id)
            if winner is not None:
                return Submission(record=winner, created=False)
        raise

    try:
        store_at(raw_storage(), record.image_path, data)  # at exactly image_path, or it raises
    except Exception as error:
        logger.exception("storing the original of %s failed", inference_id)
        inference_fail(inference_id=inference_id, reason="The image could not be stored. Please try again.")
        raise RuntimeError("The image could not be stored.") from error
    # The upload's own time travels with the task, which writes it with the other steps: one
    # UpdateItem fewer while the user waits.
    enqueue(record, upload_seconds=round(time.perf_counter() - started, 3))
    if settings.Q_CLUSTER.get("sync"):  # tests and benches: the analysis has already run
        return Submission(record=inference_get(inference_id=inference_id) or record, created=True, note=check.note)
    return Submission(record=record, created=True, note=check.note)  # what was just written; the worker may be ahead


def form_resend_key(*, data: bytes, filename: str, position: int, attributed_artist: str, title: str, at_ms: int) -> str:
    """The upload form's idempotency key: the same photograph, in the same place of the same
    selection, attributed and titled the same, in the same window. It does not depend on the page,
    because a page shown again after Back may be a fresh copy with none of the first one's state."""
    typed = "\n".join([filename, str(position), attributed_artist.strip().casefold(), title.strip()])
    return (f"web:{hashlib.sha256(data).hexdigest()[:32]}:{hashlib.sha256(typed.encode()).hexdigest()[:16]}"
            f":{at_ms // RESEND_WINDOW_MS}")


def form_submit(*, user_id: str, data: bytes, filename: str, position: int, attributed_artist: str = "", title: str = "") -> Submission:
    """inference_submit for the upload form. A double click, a resend after Back or a reload of
    the POST within RESEND_WINDOW_MS (this window or the one before) answers with the analysis it
    already started (created=False) instead of a duplicate. An earlier attempt that FAILED is not
    an answer: the photograph is analysed afresh."""
    now = now_ms()
    keys = [form_resend_key(data=data, filename=filename, position=position, attributed_artist=attributed_artist, title=title, at_ms=at)
            for at in (now - RESEND_WINDOW_MS, now)]
    for key in keys:
        earlier = inference_get_for_user(user_id=user_id, inference_id=inference_id_for(user_id=user_id, idempotency_key=key))
        if earlier is not None and earlier.status == "FAILED":
            return inference_submit(user_id=user_id, data=data, filename=filename, attributed_artist=attributed_artist, title=title)
        if earlier is not None:
            return Submission(record=earlier, created=False)
    return inference_submit(user_id=user_id, data=data, filename=filename, attributed_artist=attributed_artist, title=title,
                            idempotency_key=keys[-1])


def enqueue(record: InferenceRecord, *, upload_seconds: float | None = None) -> None:
    """Queue detection.tasks.inference_process_task; a failure to queue fails the record, and a
    broker outage is raised on so the caller answers 503 with Retry-After."""
    from django_q.tasks import async_task

    try:
        async_task(
            "detection.tasks.inference_process_task",
            record.inference_id,
            upload_seconds,
            task_name=f"detection-{record.inference_id}",
            group="detection",
        )
    except Exception as error:
        logger.exception("enqueueing %s failed", record.inference_id)
        inference_fail(inference_id=record.inference_id, reason="The analysis could not be queued. Please try again.")
        if outage_message(error):
            raise  # the broker is down: the caller answers 503 with Retry-After (the record says why it failed)
