"""Data retention (seed 000): user uploads under `inference/` go after RAW_RETENTION_DAYS in the
raw bucket and PROCESSED_RETENTION_DAYS in the processed bucket; InferenceRecords expire by
their `ttl`.

On S3 the bucket lifecycle rules (artguard/provisioning.py) delete objects, so the sweep here
only runs on local storage. DynamoDB deletes expired items up to days late and DynamoDB Local
never does, so every read hides records past their ttl with `is_expired` / `record_visible`.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.core.files.storage import Storage
from django.utils import timezone

from artguard.storage import list_prefix, processed_storage, prune_empty_folders, raw_storage

logger = logging.getLogger(__name__)

EXPIRING_PREFIX = "inference"


def is_expired(ttl: datetime | int | float | None, *, now: datetime | None = None) -> bool:
    """True once `ttl` (a datetime, as PynamoDB's TTLAttribute gives, or epoch seconds) has
    passed. No ttl means the record does not expire."""
    if ttl is None:
        return False
    if isinstance(ttl, (int, float)):
        ttl = datetime.fromtimestamp(ttl, tz=dt_timezone.utc)
    elif timezone.is_naive(ttl):
        ttl = ttl.replace(tzinfo=dt_timezone.utc)
    return ttl <= (now or timezone.now())


def record_visible(record, *, now: datetime | None = None) -> bool:
    """Whether a read may show `record` (anything with an optional `ttl` attribute)."""
    return not is_expired(getattr(record, "ttl", None), now=now)


def storage_retention_sweep(*, now: datetime | None = None) -> dict:
    """Delete local files under inference/ older than their bucket's retention, by modification
    time. Returns the counts per bucket (or why nothing ran)."""
    if settings.STORAGE_BACKEND == "s3":
        return {"skipped": "S3 lifecycle rules expire inference/ objects"}
    now = now or timezone.now()
    result = {
        "raw": _sweep(raw_storage(), cutoff=now - timedelta(days=settings.RAW_RETENTION_DAYS)),
        "processed": _sweep(processed_storage(), cutoff=now - timedelta(days=settings.PROCESSED_RETENTION_DAYS)),
    }
    logger.info("retention sweep deleted %(raw)s raw and %(processed)s processed files", result)
    return result


def _sweep(storage: Storage, *, cutoff: datetime) -> int:
    deleted = 0
    for path in list_prefix(storage, EXPIRING_PREFIX):
        try:
            expired = storage.get_modified_time(path) < cutoff
        except FileNotFoundError:  # deleted meanwhile (an erasure, or another sweep)
            continue
        if expired:
            storage.delete(path)
            deleted += 1
    prune_empty_folders(storage, EXPIRING_PREFIX, keep_root=True)
    return deleted
