"""Erasure requests in DynamoDB: one item per erased user in the Users table (docs/deletion.md).

The item (`user_id = "erasure#<user_id>"`) holds the request, its lease and its receipt counts.
Every web and worker host reads and writes the same item, so a request made on one host is run,
resumed and shown on any other. Updates are conditional or atomic counters: two workers cannot
both hold a lease, and a count added is never lost.

Lookups: by the erased user's id (one GetItem); by receipt token through its pointer item
(`receipt#<token>`, written in the same transaction as the request: two GetItems, then a
constant-time comparison), so the token is random and names nobody; open and done requests
through ErasureIndex, a sparse index on these items only. Never a Scan.
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from artguard.dynamo import now_ms
from artguard.pagination import BadCursor, Page, cursor_decode, page_from_query
from accounts.tables import ERASURE_PREFIX, RECEIPT_PREFIX, ErasureFields, UserRecord

PENDING, RUNNING, RETRYING, COMPLETED = "pending", "running", "retrying", "completed"
STATUS_LABELS = {PENDING: "Waiting to start", RUNNING: "Erasing", RETRYING: "Interrupted, will resume", COMPLETED: "Completed"}
REQUESTED_BY_LABELS = {"self": "The account holder", "staff": "Staff"}
COUNT_FIELDS = ("inference_records", "shared_items", "raw_objects", "processed_objects", "account")
OPEN, DONE = "open", "done"
# Receipt tokens made before 2026-12-06 were "<user id>.<random>"; their links keep working.
OLD_TOKEN_SEPARATOR = "."
MAX_TOKEN_LENGTH = 128
RECEIPT_TOKEN_BYTES = 32  # 256 random bits, 43 URL-safe characters
_DONE_CURSOR_KEYS = {"user_id", "erasure_state", "erasure_requested_at"}


class ErasureExists(Exception):
    """The user already has an erasure request."""


def _datetime(epoch_ms: int | float | None) -> datetime | None:
    return None if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, tz=dt_timezone.utc)


@dataclass
class Erasure:
    """What the job, the pages and the API read of one request."""

    user_id: str
    id: str
    receipt_token: str
    status: str
    requested_by: str
    requested_at: datetime
    email_hmac: str = ""
    staff_user_id: str = ""
    step: str = ""
    counts: dict = field(default_factory=dict)
    attempts: int = 0
    last_error: str = ""
    started_at: datetime | None = None
    completed_at: datetime | None = None
    lease_until: int | None = None
    next_attempt_at: int | None = None

    @property
    def is_complete(self) -> bool:
        return self.status == COMPLETED

    def get_status_display(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def get_requested_by_display(self) -> str:
        return REQUESTED_BY_LABELS.get(self.requested_by, self.requested_by)

    @classmethod
    def from_record(cls, record: UserRecord) -> "Erasure":
        fields = record.erasure
        return cls(
            user_id=record.user_id.removeprefix(ERASURE_PREFIX),
            id=fields.request_id,
            receipt_token=fields.receipt_token,
            status=fields.status,
            requested_by=fields.requested_by,
            requested_at=_datetime(record.erasure_requested_at),
            email_hmac=fields.email_hmac or "",
            staff_user_id=fields.staff_user_id or "",
            step=fields.step or "",
            counts={name: int(getattr(fields, name) or 0) for name in COUNT_FIELDS},
            attempts=int(fields.attempts or 0),
            last_error=fields.last_error or "",
            started_at=_datetime(fields.started_at),
            completed_at=_datetime(fields.completed_at),
            lease_until=fields.lease_until,
            next_attempt_at=fields.next_attempt_at,
        )


def _key(user_id: str) -> str:
    return f"{ERASURE_PREFIX}{user_id}"


def _conditional_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def erasure_create(*, user_id: str, requested_by: str, staff_user_id: str = "", email_hmac: str = "") -> Erasure:
    """Write a new request and its receipt pointer; ErasureExists if the user has one (a
    concurrent request won)."""
    # The receipt page's capability (the account is gone, so it cannot ask who you are).
    token = secrets.token_urlsafe(RECEIPT_TOKEN_BYTES)
    record = UserRecord(
        user_id=_key(user_id),
        is_active=False,
        erasure_state=OPEN,
        erasure_requested_at=now_ms(),
        erasure=ErasureFields(
            request_id=str(uuid.uuid4()),
            receipt_token=token,
            email_hmac=email_hmac or None,
            requested_by=requested_by,
            staff_user_id=staff_user_id or None,
            status=PENDING,
            inference_records=0, shared_items=0, raw_objects=0, processed_objects=0, account=0, attempts=0,
        ),
    )
    pointer = UserRecord(user_id=f"{RECEIPT_PREFIX}{token}", is_active=False, receipt_of=user_id)
    try:
        with TransactWrite(connection=UserRecord._get_connection().connection) as transaction:
            transaction.save(record, condition=UserRecord.user_id.does_not_exist())
            transaction.save(pointer, condition=UserRecord.user_id.does_not_exist())
    except TransactWriteError as error:
        if error.cause_response_code == "TransactionCanceledException" and erasure_get(user_id=user_id) is not None:
            raise ErasureExists(user_id) from None
        raise
    return Erasure.from_record(record)


def erasure_get(*, user_id: str) -> Erasure | None:
    if not user_id or ERASURE_PREFIX in user_id:
        return None
    try:
        return Erasure.from_record(UserRecord.get(_key(user_id), consistent_read=True))
    except UserRecord.DoesNotExist:
        return None


def _owner_of(token: str) -> str | None:
    if OLD_TOKEN_SEPARATOR in token:  # an old link names its user before the dot
        return token.split(OLD_TOKEN_SEPARATOR, 1)[0]
    try:
        return UserRecord.get(f"{RECEIPT_PREFIX}{token}", consistent_read=True).receipt_of
    except UserRecord.DoesNotExist:
        return None


def erasure_get_by_token(*, token: str) -> Erasure | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    owner = _owner_of(token)
    erasure = erasure_get(user_id=owner) if owner else None
    if erasure is None or not secrets.compare_digest(erasure.receipt_token, token):
        return None
    return erasure


def erasures_open() -> list[Erasure]:
    """Every unfinished request (few: each finishes within minutes unless a service is down)."""
    return [Erasure.from_record(record) for record in UserRecord.erasure_index.query(OPEN)]


def erasures_done_page(*, cursor: str | None = None, page_size: int = 50) -> Page:
    """Completed requests, newest first; BadCursor if the cursor was not made here."""
    start = cursor_decode(cursor, allowed_keys=_DONE_CURSOR_KEYS)
    result = UserRecord.erasure_index.query(DONE, scan_index_forward=False, limit=page_size, last_evaluated_key=start)
    page = page_from_query(result, limit=page_size)
    page.items = [Erasure.from_record(record) for record in page.items]
    return page


def _update(user_id: str, actions: list, condition=None) -> bool:
    """Apply `actions` to an existing request; False if `condition` did not hold."""
    condition_on_item = UserRecord.user_id.exists() if condition is None else (UserRecord.user_id.exists() & condition)
    try:
        UserRecord(user_id=_key(user_id)).update(actions=actions, condition=condition_on_item)
    except UpdateError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def erasure_claim(*, user_id: str, lease_ms: int) -> bool:
    """Take the request's lease if it is unfinished and no live worker holds it."""
    fields, now = UserRecord.erasure, now_ms()
    free = fields.lease_until.does_not_exist() | (fields.lease_until < now)
    return _update(user_id, [
        fields.status.set(RUNNING),
        fields.lease_until.set(now + lease_ms),
        fields.attempts.add(1),
        fields.started_at.set(fields.started_at | now),
        fields.step.set("starting"),
    ], condition=(fields.status != COMPLETED) & free)


def erasure_progress(*, user_id: str, added: dict[str, int], lease_ms: int, step: str | None = None) -> None:
    """Add deletion counts (atomic counters) and renew the lease."""
    fields = UserRecord.erasure
    actions = [getattr(fields, kind).add(n) for kind, n in added.items() if n]
    actions.append(fields.lease_until.set(now_ms() + lease_ms))
    if step is not None:
        actions.append(fields.step.set(step))
    _update(user_id, actions)


def erasure_complete(*, user_id: str) -> None:
    fields = UserRecord.erasure
    _update(user_id, [
        fields.status.set(COMPLETED),
        fields.completed_at.set(now_ms()),
        fields.lease_until.remove(),
        fields.next_attempt_at.remove(),
        fields.step.remove(),
        fields.last_error.remove(),
        UserRecord.erasure_state.set(DONE),
    ])


def erasure_failed(*, user_id: str, error_text: str, retry_in_ms: int) -> None:
    fields = UserRecord.erasure
    _update(user_id, [
        fields.status.set(RETRYING),
        fields.lease_until.remove(),
        fields.next_attempt_at.set(now_ms() + retry_in_ms),
        fields.last_error.set(error_text[:2000]),
    ])


def erasure_note(*, user_id: str, error_text: str) -> None:
    """Record a problem that does not stop the job (shown to staff until the job completes)."""
    _update(user_id, [UserRecord.erasure.last_error.set(error_text[:2000])])


def erasure_release(*, user_id: str, lease_ms_from_now: int = 0) -> None:
    """For operators and tests: move a lease's end (to now or before: a worker that died)."""
    _update(user_id, [UserRecord.erasure.lease_until.set(now_ms() + lease_ms_from_now)])


__all__ = [
    "BadCursor", "COMPLETED", "COUNT_FIELDS", "Erasure", "ErasureExists", "PENDING", "RETRYING", "RUNNING",
    "erasure_claim", "erasure_complete", "erasure_create", "erasure_failed", "erasure_get", "erasure_get_by_token",
    "erasure_note", "erasure_progress", "erasure_release", "erasures_done_page", "erasures_open",
]
