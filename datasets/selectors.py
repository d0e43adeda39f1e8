"""Reads of ImageRecords and PatchRecords: by key, or through LabelSplitIndex and
ImagePatchesIndex. Never a Scan."""
from __future__ import annotations

import hashlib
import json
from typing import Iterator

from artguard.pagination import Page, cursor_decode, page_from_query
from artguard.storage import processed_storage
from datasets.layout import (
    STATUS_PROCESSED,
    VERSION_ID_PREFIX,
    VERSION_LABEL,
    VERSION_READY,
    VERSION_SPLIT,
    DatasetError,
    version_item_id,
)
from datasets import stats
from datasets.artists import ARTIST_ID_PREFIX, ARTIST_LABEL, ARTIST_SPLIT, Artist, Resolver, artist_item_id
from datasets.sources import LABELS
from datasets.tables import ImageRecord, PatchRecord

_IMAGE_CURSOR_KEYS = {"image_id", "label", "split"}
_SUMMARY_ATTRIBUTES = ["image_id", "dataset_name", "label", "sublabel", "split", "status"]


def image_get(*, image_id: str) -> ImageRecord | None:
    """A training image's record (never a dataset-version registry item)."""
    if not image_id or image_id.startswith((VERSION_ID_PREFIX, ARTIST_ID_PREFIX, stats.STATS_ID_PREFIX)):
        return None
    try:
        return ImageRecord.get(image_id)
    except ImageRecord.DoesNotExist:
        return None


def images_page(*, label: str, split: str, cursor: str | None = None, limit: int = 50) -> Page:
    """One page of images with this label and split (LabelSplitIndex); BadCursor if forged."""
    start = cursor_decode(cursor, allowed_keys=_IMAGE_CURSOR_KEYS)
    query = ImageRecord.label_split_index.query(label, ImageRecord.split == split, limit=limit, last_evaluated_key=start)
    return page_from_query(query, limit=limit)


def _training_images(*, attributes: list[str] | None = None, filter_condition=None) -> Iterator[ImageRecord]:
    for label in LABELS:
        yield from ImageRecord.label_split_index.query(label, filter_condition=filter_condition, attributes_to_get=attributes)


def images_for_datasets(*, dataset_names: list[str], status: str | None = STATUS_PROCESSED) -> list[ImageRecord]:
    """Every image of these datasets (one LabelSplitIndex query per label), by image_id."""
    condition = ImageRecord.dataset_name.is_in(*dataset_names)
    if status:
        condition &= ImageRecord.status == status
    return sorted(_training_images(filter_condition=condition), key=lambda record: record.image_id)


def datasets_list() -> list[dict]:
    """Dataset names with image counts: {name, image_count, labels, sublabels, splits, statuses}.
    Read from the sharded counters (datasets/stats.py): one BatchGetItem, whatever the number
    of images. Until the counters exist (images uploaded before them, and no upload or
    `recount_datasets` since) the images themselves are counted: correct, but slow at scale."""
    listed = stats.stats_read()
    return listed if listed is not None else _datasets_counted_from_images()


def _datasets_counted_from_images() -> list[dict]:
    return stats.listing(stats.tally(training_image_summaries()))


def training_image_summaries() -> Iterator[ImageRecord]:
    """Every training image's dataset, label, sublabel, split and status (both LabelSplitIndex
    partitions, read whole: a job for a command, never a page)."""
    return _training_images(attributes=_SUMMARY_ATTRIBUTES)


def patches_for_image(*, image_id: str, patch_type: str | None = None) -> list[PatchRecord]:
    condition = PatchRecord.patch_type == patch_type if patch_type else None
    return sorted(PatchRecord.image_patches_index.query(image_id, condition), key=lambda patch: patch.patch_id)


def _version_summary(record: ImageRecord) -> dict:
    return {
        "name": record.image_name,
        "created_at": int(record.created_at or 0),
        "datasets": [name for name in (record.dataset_name or "").split(",") if name],
        "image_count": int(record.image_count or 0),
        "status": record.status,
        "path": record.image_path,
    }


def dataset_versions_list() -> list[dict]:
    """Every dataset version, newest first (the "_dataset_version" partition of LabelSplitIndex)."""
    records = ImageRecord.label_split_index.query(VERSION_LABEL, ImageRecord.split == VERSION_SPLIT)
    return sorted((_version_summary(record) for record in records), key=lambda item: item["created_at"], reverse=True)


def dataset_version_get(*, name: str) -> dict | None:
    """The version's snapshot: {"name", "created_at", "datasets", "image_count", "label_counts",
    "images": [{image_id, label, sublabel, split, attributed_creator, actual_creator,
    dataset_name, processed_path, image_width, image_height, patch_count}, ...]}.
    None if no such version; DatasetError if it is incomplete or its file was altered."""
    try:
        record = ImageRecord.get(version_item_id(name))
    except ImageRecord.DoesNotExist:
        return None
    if record.status != VERSION_READY:
        raise DatasetError(f"Dataset version {name!r} is incomplete (its creation was interrupted); create a new version under another name.")
    with processed_storage().open(record.image_path, "rb") as handle:
        body = handle.read()
    if hashlib.sha256(body).hexdigest() != record.content_hash:
        raise DatasetError(f"Dataset version {name!r}: the snapshot file {record.image_path} does not match its registered hash.")
    return json.loads(body)


def _as_dict(value) -> dict:
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


def _artist_from(record: ImageRecord) -> Artist:
    serving = _as_dict(record.serving) if record.serving else None
    history = tuple(_as_dict(entry) for entry in (record.serving_history or []))
    return Artist(slug=record.image_id[len(ARTIST_ID_PREFIX):], name=record.image_name, aliases=tuple(record.aliases or ()),
                  serving=serving or None, history=history)


def artists_list() -> list[Artist]:
    """Every registered artist, by name (one query of the "_artist" partition of LabelSplitIndex)."""
    records = ImageRecord.label_split_index.query(ARTIST_LABEL, ImageRecord.split == ARTIST_SPLIT)
    return Resolver([_artist_from(record) for record in records]).artists


def artist_get(*, slug: str) -> Artist | None:
    try:
        record = ImageRecord.get(artist_item_id(slug))
    except ImageRecord.DoesNotExist:
        return None
    return _artist_from(record)


def artists_resolver() -> Resolver:
    return Resolver(artists_list())
