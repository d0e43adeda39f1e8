"""Names shared by the datasets services, selectors, tasks and pages: ids, storage paths,
status values, the dataset-version registry keys, and the app's errors."""
from __future__ import annotations

import hashlib
import re

IMAGE_ID_LENGTH = 32  # hex characters of the sha256 of the original file's bytes

STATUS_UPLOADED = "uploaded"  # original stored, record written, preprocessing not finished
STATUS_PROCESSED = "processed"
STATUS_FAILED = "failed"

# Dataset versions are registry items in the ImageRecords table (docs/datasets.md).
VERSION_ID_PREFIX = "dataset-version#"
VERSION_LABEL = "_dataset_version"
VERSION_SPLIT = "_version"
VERSION_PENDING = "pending"
VERSION_READY = "ready"

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class DatasetError(ValueError):
    """A request about datasets that cannot be done; the message is meant for the person."""


class VersionExists(DatasetError):
    pass


def validate_name(value: str, *, what: str) -> str:
    value = (value or "").strip()
    if not _NAME_RE.match(value):
        raise DatasetError(f"{what} {value!r} is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.")
    return value


def image_id_for(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:IMAGE_ID_LENGTH]


def is_image_id(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{%d}" % IMAGE_ID_LENGTH, value or ""))


def raw_image_path(dataset_name: str, image_id: str, ext: str) -> str:
    return f"training/{dataset_name}/{image_id}{ext}"


def processed_image_path(dataset_name: str, image_id: str) -> str:
    return f"training/{dataset_name}/{image_id}.png"


def patch_id_for(image_id: str, index: int) -> str:
    return f"{image_id}-{index:03d}"


def patch_path(dataset_name: str, image_id: str, patch_id: str) -> str:
    return f"patches/{dataset_name}/{image_id}/{patch_id}.png"


def version_item_id(name: str) -> str:
    return f"{VERSION_ID_PREFIX}{name}"


def version_path(name: str) -> str:
    return f"datasets/versions/{name}.json"
