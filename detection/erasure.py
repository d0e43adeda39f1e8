"""Writes for the right to deletion: erase everything detection holds of one user.

accounts' erasure job calls these through the erasers that DetectionConfig.ready() registers
(accounts/erasers.py). Each deletes what is still there and reports counts as it goes, so a job
that failed halfway and runs again deletes and counts nothing twice. Kept apart from
services.py so that registering them loads no imaging or scoring code.
"""
from __future__ import annotations

from typing import Callable

from django.core.files.storage import Storage

from artguard.batching import paced_batch_write
from artguard.storage import delete_objects, list_prefix, processed_storage, prune_empty_folders, raw_storage
from detection.knowledge import citations_forget_for
from detection.selectors import inference_ids_for_user
from detection.tables import InferenceRecord

ERASE_BATCH = 25  # records per batch write, and so per count reported

# A user's records all sit in one UserInferencesIndex partition (about 1,000 write units a
# second on AWS) and a finished record is about 12 KB, so deleting one costs about 12 units
# there and 12 on the table. Paced to 50 records a second (about 600 units), with backoff when
# throttled, a user with the average 1,000 analyses is erased in about 20 s and the uploads of
# others are never starved (docs/scaling.md).
ERASE_ITEMS_PER_SECOND = 50

Counted = Callable[[int], None]


def user_prefix(*, user_id: str) -> str:
    """The storage folder holding every analysis of the user, in both buckets."""
    return f"inference/{user_id}"


def inferences_erase_for_user(*, user_id: str, counted: Counted) -> None:
    """Delete every InferenceRecords item of the user, calling `counted(n)` after each batch."""
    _items_erase(inference_ids_for_user(user_id=user_id), counted=counted)


def shared_items_erase_for_user(*, user_id: str, counted: Counted) -> None:
    """Delete the user's share links and verification items (docs/verification.md)."""
    from detection.sharing import shared_item_keys

    _items_erase(shared_item_keys(user_id=user_id), counted=counted)


def _items_erase(ids: list[str], *, counted: Counted) -> None:
    for start in range(0, len(ids), ERASE_BATCH):
        chunk = ids[start : start + ERASE_BATCH]
        # The index is eventually consistent: confirm on the table which items still exist, so
        # an item deleted by an earlier attempt is neither deleted nor counted twice.
        existing = list(InferenceRecord.batch_get(chunk, consistent_read=True, attributes_to_get=["inference_id", "knowledge"]))
        if not existing:
            continue
        for item in existing:  # the staff's "cited by" lists forget these results first
            citations_forget_for(item)
        with paced_batch_write(InferenceRecord, items_per_second=ERASE_ITEMS_PER_SECOND, pace_key="inference-records:erasure") as batch:
            for item in existing:
                batch.delete(item)
        counted(len(existing))


def raw_files_erase_for_user(*, user_id: str, counted: Counted) -> None:
    """Delete the user's originals (raw bucket)."""
    _files_erase_for_user(raw_storage(), user_id=user_id, counted=counted)


def processed_files_erase_for_user(*, user_id: str, counted: Counted) -> None:
    """Delete the user's derived images and reports (processed bucket)."""
    _files_erase_for_user(processed_storage(), user_id=user_id, counted=counted)


def _files_erase_for_user(storage: Storage, *, user_id: str, counted: Counted) -> None:
    prefix = user_prefix(user_id=user_id)
    for deleted in delete_objects(storage, list_prefix(storage, prefix)):
        counted(deleted)
    prune_empty_folders(storage, prefix)
