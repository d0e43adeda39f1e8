"""Writes for Workflow A (detection): submit an upload, process it, fail it, delete it, sweep
records stuck in PENDING/PROCESSING.

Submission order matters: the file is fully checked before anything is stored, so a rejected
file leaves no record and no object behind.
"""
from __future__ import annotations

import hashlib
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from django.conf import settings
from django.core.files.storage import Storage
from PIL import Image
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from artguard.dynamo import now_ms, update_quietly
from artguard.storage import delete_prefix, processed_storage, raw_storage, store_at
from datasets.imaging import (
    PATCH_SIZE,
    ImageRejected,
    check_image,
    encode_jpeg,
    extract_patches,
    preprocess,
)
from detection import explain as explain_module, knowledge as knowledge_module, references as references_module, signing
from detection.erasure import user_prefix
from detection.heatmap import encode_heatmap, render_heatmap
from detection.selectors import (
    ACTIVE_STATUSES,
    PENDING_MARKER_PREFIX,
    PENDING_MARKER_USER,
    inference_get,
    inference_get_for_user,
    inferences_count_since,
    is_expired,
    pending_markers_older_than,
)
from detection.tables import InferenceRecord

logger = logging.getLogger(__name__)

EXTENSION_FOR_FORMAT = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif", "HEIF": ".heic"}
DISPLAY_SIDE = 1280
THUMB_SIDE = 320
CROP_SIDE = 160
MAX_TEXT_FIELD = 200
MAX_IDEMPOTENCY_KEY = 255

NO_MODEL_MESSAGE = (
    "No forgery model is available yet, so images cannot be analysed. Staff can train and promote "
    "one on the Runs page (the run command bootstraps a demo model on first start)."
)
STUCK_MESSAGE = "The analysis took too long and was stopped. Please upload the image again."
SCORING_UNAVAILABLE_MESSAGE = "The scoring service is unavailable right now ({name}). Please try again later."


class RateLimited(Exception):
    """Too many uploads in the last hour; the message says when to come back."""


class NoModelAvailable(Exception):
    """No model is promoted: nothing could score the image."""


class InvalidSubmission(ValueError):
    """A field other than the file is unusable; the message is for the person who sent it."""


class ArtistNotServed(InvalidSubmission):
    """The attribution is empty, names no served artist, or several; `served` lists their names."""

    def __init__(self, message: str, served: list[str]):
        super().__init__(message)
        self.served = served


@dataclass(frozen=True)
class Submission:
    record: InferenceRecord
    created: bool  # False when an earlier submission with the same Idempotency-Key was returned
    note: str = ""  # datasets.imaging.ImageCheck.note: said beside the upload, never a refusal


def _serving():
    from training import serving

    return serving


def serving_model_info() -> dict | None:
    """The info of a served model (training.serving), or None when nothing can score yet."""
    return _serving().promoted_model_info()


def served_artists() -> list:
    """The artists a model serves (datasets.artists.Artist), by name; cached a few seconds."""
    return _serving().served_artists()


def served_artist_for(attribution: str | None):
    """The served artist the attribution names. NoModelAvailable when no artist is served;
    InvalidSubmission (empty, unknown or ambiguous, naming the served artists) otherwise."""
    from datasets.artists import ArtistError

    if not served_artists():
        raise NoModelAvailable(NO_MODEL_MESSAGE)
    try:
        return _serving().served_artist_for(attribution)
    except ArtistError as error:
        raise ArtistNotServed(str(error), [artist.name for artist in served_artists()]) from None


def inference_prefix(*, user_id: str, inference_id: str) -> str:
    return f"{user_prefix(user_id=user_id)}/{inference_id}"


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


def _marker(record: InferenceRecord) -> InferenceRecord:
    return InferenceRecord(
        inference_id=f"{PENDING_MARKER_PREFIX}{record.inference_id}",
        user_id=PENDING_MARKER_USER,
        created_at=record.created_at,
        ttl=record.ttl,
        status="PENDING",
    )


def _delete_marker(inference_id: str) -> None:
    try:
        InferenceRecord(inference_id=f"{PENDING_MARKER_PREFIX}{inference_id}").delete()
    except DeleteError:
        logger.warning("could not delete the pending marker of %s", inference_id, exc_info=True)


# Room for the multipart boundaries and the form's text fields around one file.
MULTIPART_ALLOWANCE = 64 * 1024


def too_large_message(*, size_bytes: int | None = None) -> str:
    """The one wording of the upload size limit: the early Content-Length check, the per-file
    check of the web form and the API, and upload_check all say this (issue 30)."""
    limit_mb = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
    size = f" (this one is {size_bytes / 1024 / 1024:.1f} MB)" if size_bytes else ""
    return f"The file is larger than {limit_mb} MB{size}."


def body_too_large(*, content_length: str | None, files: int = 1) -> bool:
    """True when a request announcing this Content-Length cannot carry `files` files within the
    limit, so it can be refused before its body is read. No or a bad header: False (the
    per-file check still runs once the body is read)."""
    try:
        length = int(content_length or "")
    except ValueError:
        return False
    return length > files * settings.UPLOAD_MAX_BYTES + MULTIPART_ALLOWANCE


def upload_check(*, data: bytes, filename: str):
    """Size and image checks; raises ImageRejected with a message for the person who sent it.
    An analysis needs at least one whole patch on the short side (nothing is enlarged to make
    one up) and enough texture to show brushwork (datasets.imaging.texture_problem)."""
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise ImageRejected(too_large_message(size_bytes=len(data)))
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
        _delete_objects(user_id=user_id, inference_id=inference_id)
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
            transaction.save(_marker(record))
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
    _enqueue(record, upload_seconds=round(time.perf_counter() - started, 3))
    if settings.Q_CLUSTER.get("sync"):  # tests and benches: the analysis has already run
        return Submission(record=inference_get(inference_id=inference_id) or record, created=True, note=check.note)
    return Submission(record=record, created=True, note=check.note)  # what was just written; the worker may be ahead


# A photograph sent again from the upload form within this window finds its first analysis.
RESEND_WINDOW_MS = 10 * 60 * 1000


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


def _enqueue(record: InferenceRecord, *, upload_seconds: float | None = None) -> None:
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
        from artguard.middleware import outage_message

        if outage_message(error):
            raise  # the broker is down: the caller answers 503 with Retry-After (the record says why it failed)


def inference_fail(*, inference_id: str, reason: str) -> bool:
    """PENDING/PROCESSING -> FAILED with a reason a user can read. False if it had already finished."""
    try:
        update_quietly(
            InferenceRecord(inference_id=inference_id),
            actions=[
                InferenceRecord.status.set("FAILED"),
                InferenceRecord.failure_reason.set(reason),
                InferenceRecord.updated_at.set(now_ms()),
            ],
            condition=InferenceRecord.inference_id.exists() & InferenceRecord.status.is_in(*ACTIVE_STATUSES),
        )
        changed = True
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            # DynamoDB busy or down: keep the marker so the sweep fails the record later.
            raise
        changed = False
    _delete_marker(inference_id)
    return changed


def _failure_reason(error: BaseException) -> str:
    """A sentence for the record's owner: outages and the scoring service by name, else the type."""
    from artguard.middleware import outage_message

    message = outage_message(error)
    if message:
        return message
    if isinstance(error, TimeoutError) or type(error).__module__.split(".")[0] == "modal":
        return SCORING_UNAVAILABLE_MESSAGE.format(name=type(error).__name__)
    return f"The analysis failed unexpectedly ({type(error).__name__}). Please try again; if it keeps failing, contact support."


class _Steps:
    def __init__(self, initial: list | None):
        self.items = [dict(step) for step in (initial or [])]

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        yield
        self.items.append({"name": name, "seconds": round(time.perf_counter() - started, 3)})


def _region_references(serving, scores, patch_scores: list[dict], labelled: list[tuple[dict, str]]) -> dict:
    """What the record keeps about the cited regions' reference passages (detection.references):
    {"status", "run_id", "regions": {label: {"authentic": [...], "forged": [...]}}}. A failed
    lookup costs the result its references, never the result itself."""
    stored = {"status": references_module.NO_INDEX, "run_id": scores.run_id, "regions": {}}
    queries = scores.reference_queries
    if not queries:
        return stored
    rows = {id(patch): index for index, patch in enumerate(patch_scores)}
    try:
        found = serving.reference_neighbours(model_version=scores.model_version, queries=[queries[rows[id(patch)]] for patch, _ in labelled])
    except Exception:
        logger.exception("looking up reference passages failed")
        return {**stored, "status": references_module.UNAVAILABLE}
    if found is None:
        return stored
    regions = {
        label: {**neighbours, "p": patch["p"], "box": [patch["x"], patch["y"], patch["w"], patch["h"]]}
        for (patch, label), neighbours in zip(labelled, found)
    }
    return {**stored, "status": references_module.FOUND, "regions": regions}


def _crop(image, patch: dict):
    return image.crop((patch["x"], patch["y"], patch["x"] + patch["w"], patch["y"] + patch["h"]))


def _patch_evidence(image, crop, patch: dict, label: str, references: dict | None = None) -> explain_module.PatchEvidence:
    crop = crop.copy()
    crop.thumbnail((CROP_SIDE, CROP_SIDE))
    return explain_module.PatchEvidence(
        label=label,
        x=patch["x"],
        y=patch["y"],
        w=patch["w"],
        h=patch["h"],
        scale=patch["scale"],
        p=patch["p"],
        location=explain_module.location_name(
            x=patch["x"], y=patch["y"], w=patch["w"], h=patch["h"], width=image.width, height=image.height
        ),
        crop_jpeg=encode_jpeg(crop, quality=80),
        references=references,
    )


def _store_region_thumbnails(processed: Storage, prefix: str, crops: dict) -> dict[str, str]:
    """{label: path} of each cited region's thumbnail, so a result page reads 6 small files
    instead of decoding the whole photograph for them."""
    return {label: store_at(processed, f"{prefix}/regions/{label}.jpg", references_module.region_thumbnail_jpeg(crop))
            for label, crop in crops.items()}


def evidence_patches(patch_scores: list[dict]) -> tuple[list[dict], list[dict]]:
    """The three most and three least suspicious patches (disjoint when there are few)."""
    ordered = sorted(patch_scores, key=lambda patch: patch["p"], reverse=True)
    top_count = min(3, (len(ordered) + 1) // 2)
    most = ordered[:top_count]
    least = list(reversed(ordered[top_count:]))[:3]
    return most, least


def inference_process(*, inference_id: str, upload_seconds: float | None = None) -> None:
    """Run Workflow A for one record. Idempotent: a finished record is left alone.
    `upload_seconds` is the upload step's time, measured by inference_submit."""
    record = inference_get(inference_id=inference_id)
    if record is None or record.status not in ACTIVE_STATUSES:
        return
    if not record.steps and upload_seconds is not None:
        record.steps = [{"name": "upload", "seconds": upload_seconds}]
    try:
        update_quietly(
            record,
            actions=[InferenceRecord.status.set("PROCESSING"), InferenceRecord.updated_at.set(now_ms())],
            condition=InferenceRecord.status.is_in(*ACTIVE_STATUSES),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            # DynamoDB busy or down past PynamoDB's retries: fail with that reason (if even that
            # write fails, the pending marker stays and the sweep fails the record later).
            inference_fail(inference_id=inference_id, reason=_failure_reason(error))
        return
    serving = _serving()
    try:
        _process(record, serving)
    except serving.NoPromotedModel:
        inference_fail(inference_id=inference_id, reason=NO_MODEL_MESSAGE)
    except ImageRejected as error:
        inference_fail(inference_id=inference_id, reason=str(error))
    except Exception as error:
        logger.exception("processing %s failed", inference_id)
        inference_fail(inference_id=inference_id, reason=_failure_reason(error))


_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="detection-store")


def _store_display_copies(processed: Storage, prefix: str, image) -> tuple[object, bytes, str, str]:
    """The display copy (also the heatmap's base: one resize serves both), its JPEG and the thumbnail.
    Bilinear: it is for people, never the model, and costs half of LANCZOS (about 35 against
    70 ms CPU for 2048x1536) for a copy 44 dB from LANCZOS's (bench/bench_cpu_paths.py)."""
    display = image.copy()
    display.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.BILINEAR)
    display_jpeg = encode_jpeg(display)
    display_path = store_at(processed, f"{prefix}/display.jpg", display_jpeg)
    thumb_path = store_at(processed, f"{prefix}/thumb.jpg", encode_jpeg(display, max_side=THUMB_SIDE, quality=80))
    return display, display_jpeg, display_path, thumb_path


def _process(record: InferenceRecord, serving) -> None:
    steps = _Steps(record.steps)
    prefix = inference_prefix(user_id=record.user_id, inference_id=record.inference_id)
    processed = processed_storage()
    with steps.step("preprocess"):
        with raw_storage().open(record.image_path, "rb") as handle:
            data = handle.read()
        image = preprocess(data, max_side=settings.PREPROCESS_MAX_SIDE)
    # Encoding and writing the display copies needs nothing the model produces: it runs on a
    # side thread while the patches are cut and scored. No lossless copy of the whole image is
    # stored: encoding one cost more CPU than scoring (PNG, about 0.37 s for 2048x1536), nothing
    # reads it back, and the model's input can be made again from the original by `preprocess`.
    display_write = _BACKGROUND.submit(_store_display_copies, processed, prefix, image)
    if not record.model_version:  # submitted before models were pinned per artist
        raise serving.NoPromotedModel(NO_MODEL_MESSAGE)
    # The capture check reads the file as uploaded (its JPEG tables and pixel size are the
    # evidence) on a side thread while the patches are cut: the step is the time left to wait.
    capture_check = _BACKGROUND.submit(serving.capture_assess, data, model_version=record.model_version)
    with steps.step("patches"):
        patches = extract_patches(image)
    with steps.step("capture check"):
        capture = capture_check.result()
    with steps.step("score"):
        scores = serving.score_patches([patch.image for patch in patches], model_version=record.model_version, capture=capture)
    if len(scores.probabilities) != len(patches):
        raise RuntimeError(f"the model returned {len(scores.probabilities)} scores for {len(patches)} patches")
    patch_scores = [
        {"x": p.x, "y": p.y, "w": p.width, "h": p.height, "scale": float(p.scale), "p": round(float(prob), 4)}
        for p, prob in zip(patches, scores.probabilities)
    ]
    most, least = evidence_patches(patch_scores)
    labelled = [(patch, f"S{n}") for n, patch in enumerate(most, 1)] + [(patch, f"L{n}") for n, patch in enumerate(least, 1)]
    crops = {label: _crop(image, patch) for patch, label in labelled}
    with steps.step("references"):
        region_references = _region_references(serving, scores, patch_scores, labelled)
    regions = region_references["regions"]
    region_write = _BACKGROUND.submit(_store_region_thumbnails, processed, prefix, {label: crops[label] for label in regions})
    with steps.step("heatmap"):
        display, display_jpeg, display_path, thumb_path = display_write.result()
        heatmap = render_heatmap(display, patch_scores, labelled=labelled, source_size=image.size)
    heatmap_write = _BACKGROUND.submit(lambda: store_at(processed, f"{prefix}/heatmap.jpg", encode_heatmap(heatmap)))
    probability = min(1.0, max(0.0, float(scores.image_probability)))
    forgery_score = int(round(probability * 100))
    with steps.step("knowledge"):
        query = knowledge_module.query_for(artist_name=record.attributed_artist or "", verdict=scores.verdict, regions=regions,
                                           capture_outside=bool(capture and capture.get("outside")))
        knowledge_status, passages = knowledge_module.passages_for(artist=record.artist, query=query)
    with steps.step("explanation"):
        evidence = explain_module.Evidence(
            score=probability,
            forgery_score=forgery_score,
            verdict=scores.verdict,
            image_jpeg=display_jpeg,
            image_width=image.width,
            image_height=image.height,
            most_suspicious=[_patch_evidence(image, crops[label], p, label, regions.get(label)) for p, label in labelled if label[0] == "S"],
            least_suspicious=[_patch_evidence(image, crops[label], p, label, regions.get(label)) for p, label in labelled if label[0] == "L"],
            attributed_artist=record.attributed_artist or "",
            title=record.title or "",
            model_version=scores.model_version,
            is_demo=bool(scores.is_demo),
            thresholds=dict(scores.thresholds or {}),
            familiarity=dict(scores.familiarity) if scores.familiarity else None,
            basis=dict(scores.basis) if scores.basis else None,
            references_note=references_module.status_note(region_references["status"]),
            capture=capture,
            patch_probabilities=[patch["p"] for patch in patch_scores],
            knowledge=passages,
        )
        explanation = explain_module.explain(evidence)
    knowledge = knowledge_module.stored(status=knowledge_status, query=query, passages=passages, cited=explanation.cited)
    with steps.step("store images"):
        heatmap_path = heatmap_write.result()
        for label, path in region_write.result().items():
            regions[label]["crop_path"] = path
    try:
        update_quietly(  # nothing is read back: parsing the finished item cost more CPU than writing it
            record,
            actions=[
                InferenceRecord.status.set("COMPLETED"),
                InferenceRecord.score.set(probability),
                InferenceRecord.forgery_score.set(forgery_score),
                InferenceRecord.verdict.set(scores.verdict),
                InferenceRecord.explanation.set(explanation.text),
                InferenceRecord.explanation_source.set(explanation.source),
                InferenceRecord.explanation_sections.set(explanation.sections),
                InferenceRecord.references.set(region_references),
                InferenceRecord.capture.set(capture),
                InferenceRecord.knowledge.set(knowledge),
                InferenceRecord.model_version.set(scores.model_version),
                InferenceRecord.model_is_demo.set(bool(scores.is_demo)),
                InferenceRecord.thresholds.set({k: None if v is None else float(v) for k, v in (scores.thresholds or {}).items()}),
                *([InferenceRecord.familiarity.set(dict(scores.familiarity))] if scores.familiarity else []),
                *([InferenceRecord.verdict_basis.set(dict(scores.basis))] if scores.basis else []),
                InferenceRecord.display_path.set(display_path),
                InferenceRecord.thumbnail_path.set(thumb_path),
                InferenceRecord.heatmap_path.set(heatmap_path),
                InferenceRecord.patch_scores.set(patch_scores),
                InferenceRecord.steps.set(steps.items),
                InferenceRecord.updated_at.set(now_ms()),
            ],
            condition=InferenceRecord.status == "PROCESSING",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise  # DynamoDB busy or down: inference_process fails the record with that reason
        # Deleted, or failed by the sweep, while we worked: leave no orphaned objects behind.
        if inference_get(inference_id=record.inference_id) is None:
            _delete_objects(user_id=record.user_id, inference_id=record.inference_id)
        return
    _delete_marker(record.inference_id)
    knowledge_module.citations_remember(inference_id=record.inference_id, at=record.created_at, verdict=scores.verdict, knowledge=knowledge)


def _delete_objects(*, user_id: str, inference_id: str) -> int:
    prefix = inference_prefix(user_id=user_id, inference_id=inference_id)
    return delete_prefix(raw_storage(), prefix) + delete_prefix(processed_storage(), prefix)


def inference_delete(*, user_id: str, inference_id: str) -> bool:
    """Delete the user's record and every stored object of it. False if there was none to delete."""
    record = inference_get_for_user(user_id=user_id, inference_id=inference_id)
    if record is None:
        return False
    from detection.sharing import shares_delete_for_inference

    shares_delete_for_inference(user_id=user_id, record=record)  # its links and code stop answering first
    _delete_objects(user_id=user_id, inference_id=inference_id)
    _delete_marker(inference_id)
    knowledge_module.citations_forget_for(record)
    record.delete()
    return True


def inferences_sweep_stuck(*, now: int | None = None) -> int:
    """Fail records still PENDING/PROCESSING past PENDING_TIMEOUT_MINUTES; found through their
    pending markers (a Query), never a Scan. Returns how many records were failed."""
    cutoff = (now or now_ms()) - settings.PENDING_TIMEOUT_MINUTES * 60 * 1000
    failed = 0
    for marker in pending_markers_older_than(before_ms=cutoff):
        inference_id = marker.inference_id[len(PENDING_MARKER_PREFIX):]
        if inference_fail(inference_id=inference_id, reason=STUCK_MESSAGE):
            failed += 1
    return failed


REPORT_VERSION = "v3"  # a new one whenever the report's content changes: kept copies are rebuilt


def report_pdf(*, record: InferenceRecord, site_url: str = "", prepared_for: str = "") -> bytes:
    """The printable report, built once per verification code and kept next to the other
    processed objects. `site_url` makes its links absolute (paper has no host); `prepared_for`
    names the reader."""
    from detection.report import render_report

    issued, not_signed = None, ""
    try:
        issued = signing.verification_issue(record)
    except signing.NotSignable as error:
        not_signed = str(error)
    prefix = inference_prefix(user_id=record.user_id, inference_id=record.inference_id)
    # Kept under its code's hash: once the owner withdraws a code, its copy is never handed out again.
    tag = hashlib.sha256(issued.code.encode()).hexdigest()[:12] if issued else "unsigned"
    path = f"{prefix}/report-{REPORT_VERSION}-{tag}.pdf"
    storage = processed_storage()
    # A report that shows training patches is never kept: hiding them, or deleting their
    # training images, must reach the next download too.
    keep = not references_module.references_for(record, check_files=False).thumbnails_allowed
    if keep and storage.exists(path):
        with storage.open(path, "rb") as handle:
            return handle.read()
    with storage.open(record.display_path, "rb") as handle:
        display = handle.read()
    with storage.open(record.heatmap_path, "rb") as handle:
        heatmap = handle.read()
    pdf = render_report(record=record, display_jpeg=display, heatmap_image=heatmap, site_url=site_url, prepared_for=prepared_for,
                        issued=issued, not_signed=not_signed)
    if issued:
        signing.report_issued(code=issued.code, pdf=pdf)  # before anyone can hold it: /verify/ knows this exact file
    if keep:
        store_at(storage, path, pdf)
    elif storage.exists(path):
        storage.delete(path)  # kept while thumbnails were hidden; now stale
    return pdf
