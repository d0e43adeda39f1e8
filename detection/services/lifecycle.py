"""How a record ends other than by completing: failed with a reason its owner can read, swept
when stuck in PENDING/PROCESSING, or deleted with every stored object of it."""
from __future__ import annotations

import logging

from django.conf import settings
from pynamodb.exceptions import DeleteError, UpdateError

from artguard.dynamo import now_ms, update_quietly
from artguard.outages import outage_message
from artguard.storage import delete_prefix, processed_storage, raw_storage
from detection import knowledge as knowledge_module
from detection.erasure import user_prefix
from detection.selectors import (
    ACTIVE_STATUSES,
    PENDING_MARKER_PREFIX,
    inference_get_for_user,
    pending_markers_older_than,
)
from detection.services.errors import SCORING_UNAVAILABLE_MESSAGE, STUCK_MESSAGE
from detection.tables import InferenceRecord

logger = logging.getLogger(__name__)


def inference_prefix(*, user_id: str, inference_id: str) -> str:
    return f"{user_prefix(user_id=user_id)}/{inference_id}"


def delete_objects(*, user_id: str, inference_id: str) -> int:
    prefix = inference_prefix(user_id=user_id, inference_id=inference_id)
    return delete_prefix(raw_storage(), prefix) + delete_prefix(processed_storage(), prefix)


def delete_marker(inference_id: str) -> None:
    try:
        InferenceRecord(inference_id=f"{PENDING_MARKER_PREFIX}{inference_id}").delete()
    except DeleteError:
        logger.warning("could not delete the pending marker of %s", inference_id, exc_info=True)


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
    delete_marker(inference_id)
    return changed


def failure_reason(error: BaseException) -> str:
    """A sentence for the record's owner: outages and the scoring service by name, else the type."""
    message = outage_message(error)
    if message:
        return message
    if isinstance(error, TimeoutError) or type(error).__module__.split(".")[0] == "modal":
        return SCORING_UNAVAILABLE_MESSAGE.format(name=type(error).__name__)
    return f"The analysis failed unexpectedly ({type(error).__name__}). Please try again; if it keeps failing, contact support."


def inference_delete(*, user_id: str, inference_id: str) -> bool:
    """Delete the user's record and every stored object of it. False if there was none to delete."""
    record = inference_get_for_user(user_id=user_id, inference_id=inference_id)
    if record is None:
        return False
    from detection.sharing import shares_delete_for_inference

    shares_delete_for_inference(user_id=user_id, record=record)  # its links and code stop answering first
    delete_objects(user_id=user_id, inference_id=inference_id)
    delete_marker(inference_id)
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
