"""Reads of the InferenceRecords table: always by key or through UserInferencesIndex, never a Scan.

Records past their ttl are hidden everywhere (DynamoDB deletes expired items only eventually,
and DynamoDB Local never does). Because ttl = created_at + INFERENCE_TTL_DAYS, the history query
hides them with a key condition on created_at instead of a filter.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import time
from dataclasses import dataclass

from django.conf import settings

from artguard.errors import DomainError
from detection.tables import InferenceRecord

PENDING_MARKER_USER = "#pending"
PENDING_MARKER_PREFIX = "pending#"
ACTIVE_STATUSES = ("PENDING", "PROCESSING")
DETECTION_STATUSES = ("PENDING", "PROCESSING", "COMPLETED", "FAILED")
_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class InvalidCursor(DomainError, ValueError):
    """The history cursor was not one this server handed out."""

    field = "cursor"


@dataclass(frozen=True)
class HistoryPage:
    records: list[InferenceRecord]
    next_cursor: str | None


def _now_ms() -> int:
    return int(time.time() * 1000)


def is_expired(record: InferenceRecord, *, now_s: float | None = None) -> bool:
    if record.ttl is None:
        return False
    ttl = record.ttl.timestamp() if hasattr(record.ttl, "timestamp") else float(record.ttl)
    return ttl <= (now_s if now_s is not None else time.time())


def valid_inference_id(inference_id: str) -> bool:
    return bool(_ID_RE.match(inference_id or ""))


def inference_get(*, inference_id: str, include_expired: bool = False) -> InferenceRecord | None:
    """A live record by id, whoever owns it (tasks and the sweep use this); with `include_expired`,
    also one past its TTL that DynamoDB has not removed yet."""
    if not valid_inference_id(inference_id):
        return None
    try:
        record = InferenceRecord.get(inference_id, consistent_read=True)
    except InferenceRecord.DoesNotExist:
        return None
    return None if is_expired(record) and not include_expired else record


def inference_get_for_user(*, user_id: str, inference_id: str, include_expired: bool = False) -> InferenceRecord | None:
    """The record if it exists, is live (or `include_expired`), and belongs to `user_id`; None
    otherwise (views answer 404)."""
    record = inference_get(inference_id=inference_id, include_expired=include_expired)
    if record is None or record.user_id != user_id:
        return None
    return record


def _retention_floor_ms() -> int:
    return _now_ms() - settings.INFERENCE_TTL_DAYS * 24 * 3600 * 1000


def cursor_encode(record: InferenceRecord) -> str:
    raw = json.dumps({"i": record.inference_id, "c": int(record.created_at)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str, *, user_id: str) -> dict:
    """The last_evaluated_key a cursor stands for, for this user's partition; InvalidCursor if forged."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor("The cursor is not valid.") from None
    if (
        not isinstance(data, dict)
        or set(data) != {"i", "c"}
        or not isinstance(data["i"], str)
        or not valid_inference_id(data["i"])
        or not isinstance(data["c"], int)
        or isinstance(data["c"], bool)
        or data["c"] < 0
    ):
        raise InvalidCursor("The cursor is not valid.")
    return {
        "inference_id": {"S": data["i"]},
        "user_id": {"S": user_id},
        "created_at": {"N": str(data["c"])},
    }


# What a history row shows: reading only these keeps a page to a few KB instead of every
# record's patch scores, steps and explanation (bench/bench_history.py measures the difference).
SUMMARY_ATTRIBUTES = [
    "inference_id", "user_id", "created_at", "status", "image_name", "attributed_artist", "title",
    "score", "forgery_score", "verdict", "thumbnail_path", "ttl", "artist", "model_version",
    "model_is_demo",  # the list marks results of a demo model
    "familiarity", "capture",  # the list flags unfamiliar photographs and those outside the capture check
]


def inferences_page_for_user(*, user_id: str, cursor: str | None = None, page_size: int | None = None) -> HistoryPage:
    """One page of the user's live records, newest first. One Query on UserInferencesIndex for
    page_size + 1 items: the extra one only tells whether there is a next page."""
    page_size = page_size or settings.HISTORY_PAGE_SIZE
    start_key = cursor_decode(cursor, user_id=user_id) if cursor else None
    results = InferenceRecord.user_inferences_index.query(
        user_id,
        InferenceRecord.created_at > _retention_floor_ms(),
        scan_index_forward=False,
        limit=page_size + 1,
        page_size=page_size + 1,
        last_evaluated_key=start_key,
        attributes_to_get=SUMMARY_ATTRIBUTES,
    )
    now_s = time.time()
    records = [record for record in results if not is_expired(record, now_s=now_s)]
    has_next = len(records) > page_size
    records = records[:page_size]
    return HistoryPage(records=records, next_cursor=cursor_encode(records[-1]) if has_next else None)


def inferences_count_since(*, user_id: str, since_ms: int, limit: int | None = None) -> int:
    """How many records the user created after `since_ms` (a Query with Select=COUNT)."""
    return InferenceRecord.user_inferences_index.count(user_id, InferenceRecord.created_at > since_ms, limit=limit)


def inferences_count_for_user(*, user_id: str) -> int:
    """How many records the user has (one Query with Select=COUNT on the index)."""
    return InferenceRecord.user_inferences_index.count(user_id)


def inference_ids_for_user(*, user_id: str) -> list[str]:
    """Ids of all the user's records, expired or not (the index, keys only)."""
    return [item.inference_id for item in InferenceRecord.user_inferences_index.query(user_id, attributes_to_get=["inference_id"])]


def pending_markers_older_than(*, before_ms: int, limit: int = 500) -> list[InferenceRecord]:
    """Markers of records that went PENDING before `before_ms` and never finished."""
    return list(
        InferenceRecord.user_inferences_index.query(
            PENDING_MARKER_USER, InferenceRecord.created_at < before_ms, limit=limit
        )
    )
