"""Processing one upload (Workflow A), in named stages as a serving handler has them:
preprocess -> inference -> postprocess -> save. Each step inside a stage is timed into the
record's `steps` (upload, preprocess, patches, capture check, score, references, heatmap,
knowledge, explanation, store images), which the result page and the API show.

Work that needs nothing the model produces (encoding and writing the display copies, the
capture check, the region thumbnails, the heatmap's file) runs on side threads while the
stages go on; a step's time is then the time left to wait for it.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import Storage
from PIL import Image
from pynamodb.exceptions import UpdateError

from artguard.dynamo import now_ms, update_quietly
from artguard.storage import processed_storage, raw_storage, store_at
from datasets.imaging import ImageRejected, encode_jpeg, extract_patches, preprocess
from detection import explain as explain_module, knowledge as knowledge_module, references as references_module
from detection.heatmap import encode_heatmap, render_heatmap
from detection.selectors import ACTIVE_STATUSES, inference_get
from detection.services.errors import NO_MODEL_MESSAGE
from detection.services.lifecycle import delete_marker, delete_objects, failure_reason, inference_fail, inference_prefix
from detection.services.scoring import serving as serving_module
from detection.tables import InferenceRecord

logger = logging.getLogger(__name__)

DISPLAY_SIDE = 1280
THUMB_SIDE = 320
CROP_SIDE = 160

_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="detection-store")


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
            inference_fail(inference_id=inference_id, reason=failure_reason(error))
        return
    serving = serving_module()
    try:
        _process(record, serving)
    except serving.NoPromotedModel:
        inference_fail(inference_id=inference_id, reason=NO_MODEL_MESSAGE)
    except ImageRejected as error:
        inference_fail(inference_id=inference_id, reason=str(error))
    except Exception as error:
        logger.exception("processing %s failed", inference_id)
        inference_fail(inference_id=inference_id, reason=failure_reason(error))


class _Steps:
    """The record's timed steps: those it has (the upload's) and each one run here."""

    def __init__(self, initial: list | None):
        self.items = [dict(step) for step in (initial or [])]

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        yield
        self.items.append({"name": name, "seconds": round(time.perf_counter() - started, 3)})


@dataclass
class _Context:
    record: InferenceRecord
    serving: object  # training.serving
    steps: _Steps
    processed: Storage
    prefix: str


@dataclass
class _Inference:
    """What the model said about the image: inference's answer, postprocess's input."""
    image: Image.Image
    scores: object  # training.serving.PatchScores
    capture: dict | None
    patch_scores: list[dict]


@dataclass
class _Result:
    """Everything save writes besides the model's own answer."""
    probability: float
    forgery_score: int
    explanation: object  # detection.explain.Explanation
    references: dict
    knowledge: dict
    display_path: str
    thumb_path: str
    heatmap_path: str


def _process(record: InferenceRecord, serving) -> None:
    context = _Context(record=record, serving=serving, steps=_Steps(record.steps), processed=processed_storage(),
                       prefix=inference_prefix(user_id=record.user_id, inference_id=record.inference_id))
    data, image = _preprocess(context)
    # Encoding and writing the display copies needs nothing the model produces: it runs on a
    # side thread while the patches are cut and scored. No lossless copy of the whole image is
    # stored: encoding one cost more CPU than scoring (PNG, about 0.37 s for 2048x1536), nothing
    # reads it back, and the model's input can be made again from the original by `preprocess`.
    display_write = _BACKGROUND.submit(_store_display_copies, context.processed, context.prefix, image)
    inference = _inference(context, data, image)
    result = _postprocess(context, inference, display_write)
    _save(context, inference, result)


def _preprocess(context: _Context) -> tuple[bytes, Image.Image]:
    """The original as uploaded, and the image the model reads (datasets.imaging.preprocess)."""
    with context.steps.step("preprocess"):
        with raw_storage().open(context.record.image_path, "rb") as handle:
            data = handle.read()
        return data, preprocess(data, max_side=settings.PREPROCESS_MAX_SIDE)


def _inference(context: _Context, data: bytes, image: Image.Image) -> _Inference:
    """The patches, the capture check and the pinned model's scores."""
    record, serving, steps = context.record, context.serving, context.steps
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
    return _Inference(image=image, scores=scores, capture=capture, patch_scores=patch_scores)


def _postprocess(context: _Context, inference: _Inference, display_write: Future) -> _Result:
    """The cited regions and their references, the heatmap, the knowledge passages and the
    explanation; the images they need stored."""
    record, steps, processed, prefix = context.record, context.steps, context.processed, context.prefix
    image, scores, capture, patch_scores = inference.image, inference.scores, inference.capture, inference.patch_scores
    most, least = evidence_patches(patch_scores)
    labelled = [(patch, f"S{n}") for n, patch in enumerate(most, 1)] + [(patch, f"L{n}") for n, patch in enumerate(least, 1)]
    crops = {label: _crop(image, patch) for patch, label in labelled}
    with steps.step("references"):
        region_references = _region_references(context.serving, scores, patch_scores, labelled)
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
    return _Result(probability=probability, forgery_score=forgery_score, explanation=explanation, references=region_references,
                   knowledge=knowledge, display_path=display_path, thumb_path=thumb_path, heatmap_path=heatmap_path)


def _save(context: _Context, inference: _Inference, result: _Result) -> None:
    """PROCESSING -> COMPLETED in one conditional write; a record deleted or swept meanwhile
    keeps no objects behind."""
    record, scores = context.record, inference.scores
    try:
        update_quietly(  # nothing is read back: parsing the finished item cost more CPU than writing it
            record,
            actions=[
                InferenceRecord.status.set("COMPLETED"),
                InferenceRecord.score.set(result.probability),
                InferenceRecord.forgery_score.set(result.forgery_score),
                InferenceRecord.verdict.set(scores.verdict),
                InferenceRecord.explanation.set(result.explanation.text),
                InferenceRecord.explanation_source.set(result.explanation.source),
                InferenceRecord.explanation_sections.set(result.explanation.sections),
                InferenceRecord.references.set(result.references),
                InferenceRecord.capture.set(inference.capture),
                InferenceRecord.knowledge.set(result.knowledge),
                InferenceRecord.model_version.set(scores.model_version),
                InferenceRecord.model_is_demo.set(bool(scores.is_demo)),
                InferenceRecord.thresholds.set({k: None if v is None else float(v) for k, v in (scores.thresholds or {}).items()}),
                *([InferenceRecord.familiarity.set(dict(scores.familiarity))] if scores.familiarity else []),
                *([InferenceRecord.verdict_basis.set(dict(scores.basis))] if scores.basis else []),
                InferenceRecord.display_path.set(result.display_path),
                InferenceRecord.thumbnail_path.set(result.thumb_path),
                InferenceRecord.heatmap_path.set(result.heatmap_path),
                InferenceRecord.patch_scores.set(inference.patch_scores),
                InferenceRecord.steps.set(context.steps.items),
                InferenceRecord.updated_at.set(now_ms()),
            ],
            condition=InferenceRecord.status == "PROCESSING",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise  # DynamoDB busy or down: inference_process fails the record with that reason
        # Deleted, or failed by the sweep, while we worked: leave no orphaned objects behind.
        if inference_get(inference_id=record.inference_id) is None:
            delete_objects(user_id=record.user_id, inference_id=record.inference_id)
        return
    delete_marker(record.inference_id)
    knowledge_module.citations_remember(inference_id=record.inference_id, at=record.created_at, verdict=scores.verdict,
                                        knowledge=result.knowledge)


def evidence_patches(patch_scores: list[dict]) -> tuple[list[dict], list[dict]]:
    """The three most and three least suspicious patches (disjoint when there are few)."""
    ordered = sorted(patch_scores, key=lambda patch: patch["p"], reverse=True)
    top_count = min(3, (len(ordered) + 1) // 2)
    most = ordered[:top_count]
    least = list(reversed(ordered[top_count:]))[:3]
    return most, least


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
