"""Writes for Workflow B: upload training images, preprocess them, cut their patches, and
freeze dataset versions.

Upload order guarantees "nothing half-written": an original is stored first, and only then is
its ImageRecord put in the batch; a crash in between leaves a file with no record, which the
next run overwrites. image_id is the content hash, so re-running an upload finds the images
already recorded (one BatchGetItem per chunk) and skips them: an interrupted upload resumes.
"""
from __future__ import annotations

import io
import json
import hashlib
from dataclasses import dataclass, field
from typing import Callable, Iterable

from PIL import Image
from pynamodb.exceptions import PutError, UpdateError

from artguard.batching import paced_batch_write
from artguard.dynamo import now_ms
from artguard.storage import processed_storage, raw_storage, store_at
from datasets import imaging, stats
from datasets.layout import (
    STATUS_FAILED,
    STATUS_PROCESSED,
    STATUS_UPLOADED,
    VERSION_LABEL,
    VERSION_PENDING,
    VERSION_READY,
    VERSION_SPLIT,
    DatasetError,
    VersionExists,
    image_id_for,
    patch_id_for,
    patch_path,
    processed_image_path,
    raw_image_path,
    validate_name,
    version_item_id,
    version_path,
)
from datasets.artist_registry import artist_serving_set, artist_update, artists_register  # re-exported for callers written before artist_registry
from datasets.selectors import image_get, images_for_datasets, training_image_summaries
from datasets.sources import Problem, UploadEntry
from datasets.tables import ImageRecord, PatchRecord

UPLOAD_CHUNK = 25  # files read, hashed and recorded together (one BatchGet + one BatchWrite)

# Every ImageRecord write lands in one of LabelSplitIndex's two training partitions (`authentic`,
# `forged`), about 1,000 writes a second each on AWS. A process writes them at most this fast,
# with backoff when throttled, so two bulk writers and the preprocessing workers' updates fit
# (docs/scaling.md). Patches are unpaced: ImagePatchesIndex is keyed by image_id.
LABEL_PARTITION_ITEMS_PER_SECOND = 400
LABEL_PARTITION_PACE_KEY = "image-records:LabelSplitIndex"


def image_records_batch_write():
    """A paced, backed-off batch writer of ImageRecords (artguard.batching)."""
    return paced_batch_write(ImageRecord, items_per_second=LABEL_PARTITION_ITEMS_PER_SECOND, pace_key=LABEL_PARTITION_PACE_KEY)

# How an upload runs preprocessing for the images it records.
PROCESS_QUEUE = "queue"  # django-q2 tasks (workers pick them up)
PROCESS_INLINE = "inline"  # in this process, before the upload returns
PROCESS_NONE = "none"


@dataclass
class UploadSummary:
    uploaded: list[str] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)
    processed: int = 0
    process_failed: list[Problem] = field(default_factory=list)
    queued: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.process_failed


@dataclass
class _Candidate:
    entry: UploadEntry
    data: bytes
    image_id: str
    ext: str


def _read_candidate(entry: UploadEntry) -> _Candidate:
    try:
        data = entry.path.read_bytes()
    except OSError as error:
        raise imaging.ImageRejected(f"cannot read the file ({error.strerror or error})") from None
    check = imaging.check_image(data, filename=entry.path.name)
    ext = entry.path.suffix.lower() or imaging.EXTENSION_FOR_FORMAT[check.format]
    return _Candidate(entry=entry, data=data, image_id=image_id_for(data), ext=ext)


def training_upload(
    *,
    dataset_name: str,
    entries: list[UploadEntry],
    problems: Iterable[Problem] = (),
    ignored: Iterable[Problem] = (),
    process: str = PROCESS_QUEUE,
    progress: Callable[[int, int, str], None] | None = None,
    chunk_size: int = UPLOAD_CHUNK,
) -> UploadSummary:
    """Store each entry's original in raw storage and record it; report every file's fate."""
    dataset_name = validate_name(dataset_name, what="Dataset name")
    summary = UploadSummary(failed=list(problems), skipped=list(ignored))
    seen: dict[str, tuple[str, str]] = {}  # image_id -> (name, label) of the first file with that content
    to_process: list[str] = []
    storage = raw_storage()
    if not stats.stats_built():  # before this upload writes: the recount must not include it
        stats.stats_rebuild(training_image_summaries())
    done = 0
    for start in range(0, len(entries), chunk_size):
        candidates: list[_Candidate] = []
        for entry in entries[start:start + chunk_size]:
            try:
                candidate = _read_candidate(entry)
            except imaging.ImageRejected as error:
                summary.failed.append(Problem(entry.name, str(error)))
                continue
            if candidate.image_id in seen:
                first_name, first_label = seen[candidate.image_id]
                if first_label != entry.label:
                    summary.failed.append(Problem(entry.name, f"same content as {first_name}, which is labelled {first_label}; labels disagree"))
                else:
                    summary.skipped.append(Problem(entry.name, f"duplicate of {first_name} (same content)"))
                continue
            seen[candidate.image_id] = (entry.name, entry.label)
            candidates.append(candidate)
        existing = {record.image_id: record for record in ImageRecord.batch_get([c.image_id for c in candidates])} if candidates else {}
        stored: list[ImageRecord] = []
        with image_records_batch_write() as batch:
            for candidate in candidates:
                entry = candidate.entry
                if candidate.image_id in existing:
                    record = existing[candidate.image_id]
                    if record.label != entry.label:
                        summary.failed.append(Problem(entry.name, f"already uploaded as {record.label} ({record.dataset_name}/{record.image_name}); labels disagree"))
                        continue
                    summary.skipped.append(Problem(entry.name, f"already present ({record.dataset_name}/{record.image_name})"))
                    if record.status == STATUS_UPLOADED or (record.status == STATUS_PROCESSED and record.patch_count is None):
                        to_process.append(record.image_id)  # an earlier run stopped before finishing it
                    continue
                path = raw_image_path(dataset_name, candidate.image_id, candidate.ext)
                try:
                    store_at(storage, path, candidate.data)
                except OSError as error:
                    summary.failed.append(Problem(entry.name, f"could not store the original ({error})"))
                    continue
                record = ImageRecord(
                    image_id=candidate.image_id,
                    image_name=entry.name,
                    image_path=path,
                    label=entry.label,
                    sublabel=entry.sublabel,
                    split=entry.split,
                    attributed_creator=entry.attributed_creator,
                    actual_creator=entry.actual_creator,
                    dataset_name=dataset_name,
                    content_hash=hashlib.sha256(candidate.data).hexdigest(),
                    status=STATUS_UPLOADED,
                    created_at=now_ms(),
                )
                batch.save(record)
                stored.append(record)
                summary.uploaded.append(entry.name)
                to_process.append(candidate.image_id)
        stats.stats_images_added(stored)  # after the batch: only what was written is counted
        done = min(len(entries), start + chunk_size)
        if progress:
            progress(done, len(entries), entries[done - 1].name)
    _process_after_upload(summary, to_process, process)
    return summary


def _process_after_upload(summary: UploadSummary, image_ids: list[str], process: str) -> None:
    if process == PROCESS_QUEUE:
        from django_q.tasks import async_task

        for image_id in image_ids:
            async_task("datasets.tasks.image_preprocess_task", image_id, task_name=f"preprocess-{image_id}"[:100])
        summary.queued = len(image_ids)
    elif process == PROCESS_INLINE:
        for image_id in image_ids:
            record = image_process(image_id=image_id)
            if record.status == STATUS_PROCESSED:
                summary.processed += 1
            else:
                summary.process_failed.append(Problem(record.image_name or image_id, record.status_reason or "preprocessing failed"))


def image_preprocess(*, image_id: str) -> ImageRecord:
    """Check, orient, strip, convert and shrink the original; save the PNG; record the result.
    Idempotent: a processed image whose PNG exists is returned untouched."""
    return _preprocess(image_id)[0]


def _preprocess(image_id: str) -> tuple[ImageRecord, Image.Image | None]:
    """(record, the preprocessed image if this call made it)."""
    record = image_get(image_id=image_id)
    if record is None:
        raise DatasetError(f"No training image {image_id}.")
    storage = processed_storage()
    if record.status == STATUS_PROCESSED and record.processed_path and storage.exists(record.processed_path):
        return record, None
    try:
        with raw_storage().open(record.image_path, "rb") as handle:
            data = handle.read()
        imaging.check_image(data, filename=record.image_path)
        image = imaging.preprocess(data)
    except FileNotFoundError:
        return _mark_failed(record, "the original file is missing from raw storage"), None
    except imaging.ImageRejected as error:
        return _mark_failed(record, str(error)), None
    path = processed_image_path(record.dataset_name, record.image_id)
    store_at(storage, path, imaging.encode_png(image))
    _status_change(record, STATUS_PROCESSED, [
        ImageRecord.image_width.set(image.width),
        ImageRecord.image_height.set(image.height),
        ImageRecord.processed_path.set(path),
        ImageRecord.status_reason.remove(),
    ])
    return record, image


def _mark_failed(record: ImageRecord, reason: str) -> ImageRecord:
    _status_change(record, STATUS_FAILED, [ImageRecord.status_reason.set(reason[:500])])
    return record


def _status_change(record: ImageRecord, status: str, actions: list) -> None:
    """Set the status (and `actions`) only if nobody changed it since `record` was read, so a
    transition done twice by two workers is counted once; the loser re-reads and writes again."""
    for _ in range(3):
        old = record.status
        same_status = ImageRecord.status == old if old else ImageRecord.status.does_not_exist()
        try:
            record.update(actions=[ImageRecord.status.set(status), *actions], condition=ImageRecord.image_id.exists() & same_status)
        except UpdateError as error:
            if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise
            record.refresh()
            continue
        stats.stats_status_changed(dataset=record.dataset_name, old=old, new=status)
        return
    raise DatasetError(f"Image {record.image_id} kept changing status under this update; try again.")


def image_patches_extract(*, image_id: str, image: Image.Image | None = None) -> int:
    """Cut the processed image into the documented patch grid (datasets.imaging), store each
    patch as PNG and write its PatchRecord in batches. patch_id = "<image_id>-<index>", so a
    second run overwrites the same items and files instead of adding any. Returns the count.
    `image` is the processed image when the caller has it in memory (saves decoding the PNG)."""
    record = image_get(image_id=image_id)
    if record is None:
        raise DatasetError(f"No training image {image_id}.")
    if record.status != STATUS_PROCESSED:
        raise DatasetError(f"Image {image_id} is {record.status}, not processed; no patches cut.")
    expected = len(imaging.patch_grid(int(record.image_width), int(record.image_height)))
    if record.patch_count == expected:
        return expected
    storage = processed_storage()
    if image is None:
        with storage.open(record.processed_path, "rb") as handle:
            image = Image.open(io.BytesIO(handle.read())).convert("RGB")
    patches = imaging.extract_patches(image)
    with paced_batch_write(PatchRecord) as batch:
        for index, patch in enumerate(patches):
            patch_id = patch_id_for(image_id, index)
            path = patch_path(record.dataset_name, image_id, patch_id)
            store_at(storage, path, imaging.encode_png(patch.image))
            batch.save(PatchRecord(
                patch_id=patch_id,
                patch_path=path,
                image_id=image_id,
                patch_type=record.label,
                patch_x=patch.x,
                patch_y=patch.y,
                patch_width=patch.width,
                patch_height=patch.height,
                patch_scale=patch.scale,
            ))
    record.update(actions=[ImageRecord.patch_count.set(len(patches))], condition=ImageRecord.image_id.exists())
    return len(patches)


def image_process(*, image_id: str) -> ImageRecord:
    """Preprocess, then cut patches if preprocessing succeeded (the inline form of the task chain)."""
    record, image = _preprocess(image_id)
    if record.status == STATUS_PROCESSED:
        image_patches_extract(image_id=image_id, image=image)
        record.refresh()
    return record


# image_path: the original as uploaded, whose capture statistics training audits (training.capture_data)
_SNAPSHOT_FIELDS = ("image_id", "label", "sublabel", "split", "attributed_creator", "actual_creator", "dataset_name", "processed_path", "image_path")


def dataset_version_create(*, name: str, dataset_names: list[str]) -> dict:
    """Freeze the processed images of `dataset_names` as version `name`.

    The registry item is put first with attribute_not_exists(image_id), so of two creators of one
    name exactly one wins and the loser writes nothing; the snapshot file is written next and the
    item marked ready last. Returns the snapshot."""
    name = validate_name(name, what="Version name")
    dataset_names = sorted({validate_name(dataset, what="Dataset name") for dataset in dataset_names if dataset.strip()})
    if not dataset_names:
        raise DatasetError("Name at least one dataset to put in the version.")
    try:
        ImageRecord.get(version_item_id(name))
        raise VersionExists(f"Dataset version {name!r} already exists; versions are immutable, choose a new name.")
    except ImageRecord.DoesNotExist:
        pass
    records = images_for_datasets(dataset_names=dataset_names)
    if not records:
        raise DatasetError(f"No processed images in {', '.join(dataset_names)}; upload and preprocess images first.")
    found = {record.dataset_name for record in records}
    missing = [dataset for dataset in dataset_names if dataset not in found]
    if missing:
        raise DatasetError(f"No processed images in dataset(s) {', '.join(missing)}.")
    images = []
    label_counts: dict[str, int] = {}
    for record in records:
        item = {key: getattr(record, key) for key in _SNAPSHOT_FIELDS}
        item.update(image_width=int(record.image_width or 0), image_height=int(record.image_height or 0), patch_count=int(record.patch_count or 0))
        images.append(item)
        key = f"{record.label}/{record.sublabel}"
        label_counts[key] = label_counts.get(key, 0) + 1
    created_at = now_ms()
    snapshot = {
        "name": name,
        "created_at": created_at,
        "datasets": dataset_names,
        "image_count": len(images),
        "label_counts": dict(sorted(label_counts.items())),
        "images": images,
    }
    body = json.dumps(snapshot, indent=1, sort_keys=True).encode()
    item = ImageRecord(
        image_id=version_item_id(name),
        image_name=name,
        image_path=version_path(name),
        label=VERSION_LABEL,
        split=VERSION_SPLIT,
        dataset_name=",".join(dataset_names),
        content_hash=hashlib.sha256(body).hexdigest(),
        image_count=len(images),
        status=VERSION_PENDING,
        created_at=created_at,
    )
    try:
        item.save(condition=ImageRecord.image_id.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise VersionExists(f"Dataset version {name!r} already exists; versions are immutable, choose a new name.") from None
        raise
    store_at(processed_storage(), version_path(name), body)
    item.update(actions=[ImageRecord.status.set(VERSION_READY)])
    artists_register(names=[image["attributed_creator"] for image in images if image.get("attributed_creator")])
    return snapshot
