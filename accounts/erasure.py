"""Right to deletion: record a request, disable the account, and erase everything of the user.

The erasure job (`erasure_run`) is idempotent and resumable. Each step deletes what is still
there and counts only what it deleted, persisting counts as it goes, so a job that fails
halfway and runs again ends with the same receipt as one that never failed. A worker holds a
request through a lease; `erasures_resume` (scheduled) restarts requests whose attempt failed
or whose worker died.

What a user owns (docs/architecture.md): InferenceRecords items (UserInferencesIndex), objects
under `inference/<user_id>/` in the raw and processed buckets, and the Users-table account
item with its email guard. Training data, runs and configs hold no user data. The apps that
hold user data erase it through their own services, registered as erasers (accounts/erasers.py);
this module deletes only what accounts owns: the sessions and the account.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from pynamodb.exceptions import UpdateError

from accounts import services
from accounts.erasers import user_data_count, user_data_erasers
from accounts.models import ErasureRequest, User
from accounts.selectors import normalize_email, user_record_get

logger = logging.getLogger(__name__)

# A worker renews its lease whenever it saves progress; a lease that runs out means the worker died.
LEASE = timedelta(minutes=10)
FLUSH_EVERY = 25  # deletions between progress saves
MAX_BACKOFF = timedelta(hours=1)
# A pass that deletes nothing proves the user's data is gone; more passes are needed only
# when something arrived during the previous one (an analysis that was still running).
MAX_PASSES = 3
DELETION_STATUS = "erasing"


class UserNotFound(Exception):
    pass


class ErasureIncomplete(RuntimeError):
    """New data kept arriving while erasing; the job retries later."""


def email_digest(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest() if email else ""


# --- Requests ---------------------------------------------------------------------------------


def erasure_request(*, user_id: str, requested_by: User) -> tuple[ErasureRequest, bool]:
    """Record an erasure of `user_id`, disable the account, and queue the job.

    Returns (request, created). A second call while one is unfinished returns that one.
    The request row is written before the account is disabled, so once the account is locked
    there is always a durable request that will finish the erasure.
    """
    open_request = erasure_open_for_user(user_id=user_id)
    if open_request is None:
        record = user_record_get(user_id=user_id)
        if record is None:
            raise UserNotFound(user_id)
        by_self = requested_by.user_id == user_id
        try:
            with transaction.atomic():
                open_request = ErasureRequest.objects.create(
                    user_id=user_id,
                    email_sha256=email_digest(record.email or ""),
                    requested_by=ErasureRequest.RequestedBy.SELF if by_self else ErasureRequest.RequestedBy.STAFF,
                    staff_user_id="" if by_self else requested_by.user_id,
                )
            created = True
        except IntegrityError:  # a concurrent request for the same user won
            open_request, created = erasure_open_for_user(user_id=user_id), False
    else:
        created = False
    try:
        _disable_account(user_id)
    except Exception as error:
        # The request is durable and the job disables the account before deleting anything, so
        # answer normally. (If DynamoDB is down, nobody can log in meanwhile either.)
        logger.exception("erasure %s: could not disable user %s yet", open_request.pk, user_id)
        ErasureRequest.objects.filter(pk=open_request.pk).update(last_error=f"disabling the account: {type(error).__name__}: {error}"[:2000])
    erasure_enqueue(request_id=open_request.id)
    return open_request, created


def erasure_open_for_user(*, user_id: str) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(user_id=user_id).exclude(status=ErasureRequest.Status.COMPLETED).first()


def inferences_count(*, user_id: str) -> int:
    """How many analyses an erasure would delete, asked of the app that holds them."""
    return user_data_count(user_id=user_id, kind="inference_records")


def erasure_get_by_token(*, token: str) -> ErasureRequest | None:
    if not token or len(token) > 64:
        return None
    return ErasureRequest.objects.filter(receipt_token=token).first()


def erasure_enqueue(*, request_id) -> bool:
    """Queue the job. A request is durable before it is queued, so a broker failure (or, with
    synchronous django-q2, a failed attempt) is logged, not raised: the resume schedule retries."""
    from django_q.tasks import async_task

    try:
        async_task("accounts.tasks.erasure_run", str(request_id), group="erasure")
    except Exception:
        logger.exception("erasure %s: queueing or running the job failed; it will be resumed", request_id)
        return False
    return True


def erasures_resume(*, now=None) -> list[str]:
    """Queue every unfinished request that no live worker holds and whose back-off has passed."""
    now = now or timezone.now()
    due = (
        ErasureRequest.objects.exclude(status=ErasureRequest.Status.COMPLETED)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list("id", flat=True)
    )
    ids = [str(request_id) for request_id in due]
    for request_id in ids:
        erasure_enqueue(request_id=request_id)
    return ids


def _disable_account(user_id: str) -> None:
    # Ends sessions and API tokens (the password hash changes) before anything is deleted.
    try:
        services.user_disable(user_id=user_id, deletion_status=DELETION_STATUS)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        # The account item is already gone (an earlier attempt deleted it): nothing to disable.


# --- The job --------------------------------------------------------------------------------------


@dataclass
class _Progress:
    """Counts deletions and saves them often, so a failure loses no count that happened."""

    request_id: object
    pending: dict
    since_flush: int = 0
    deleted_this_pass: int = 0

    def step(self, name: str) -> None:
        self.flush(step=name)

    def add(self, kind: str, n: int = 1) -> None:
        if n <= 0:
            return
        self.pending[kind] = self.pending.get(kind, 0) + n
        self.since_flush += n
        self.deleted_this_pass += n
        if self.since_flush >= FLUSH_EVERY:
            self.flush()

    def flush(self, *, step: str | None = None) -> None:
        updates = {kind: F(kind) + n for kind, n in self.pending.items() if n}
        updates["lease_until"] = timezone.now() + LEASE
        if step is not None:
            updates["step"] = step
        ErasureRequest.objects.filter(pk=self.request_id).update(**updates)
        self.pending, self.since_flush = {}, 0


def _claim(request_id) -> bool:
    now = timezone.now()
    claimed = (
        ErasureRequest.objects.filter(pk=request_id)
        .exclude(status=ErasureRequest.Status.COMPLETED)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            status=ErasureRequest.Status.RUNNING,
            lease_until=now + LEASE,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), now),
            step="starting",
        )
    )
    return claimed == 1


def erasure_run(*, request_id) -> ErasureRequest:
    """Run (or resume) one erasure. Safe to call any number of times, from any worker."""
    if not _claim(request_id):
        return ErasureRequest.objects.get(pk=request_id)
    request = ErasureRequest.objects.get(pk=request_id)
    progress = _Progress(request_id=request.pk, pending={})
    try:
        _disable_account(request.user_id)
        for _ in range(MAX_PASSES):
            progress.deleted_this_pass = 0
            _erase_pass(request.user_id, progress)
            if progress.deleted_this_pass == 0:
                break
        else:
            raise ErasureIncomplete(f"data of user {request.user_id} was still arriving after {MAX_PASSES} passes")
    except Exception as error:
        progress.flush()
        _record_failure(request, error)
        raise
    progress.flush()
    now = timezone.now()
    ErasureRequest.objects.filter(pk=request.pk).update(
        status=ErasureRequest.Status.COMPLETED, completed_at=now, lease_until=None, next_attempt_at=None, step="", last_error=""
    )
    logger.info("erasure %s of user %s completed", request.pk, request.user_id)
    return ErasureRequest.objects.get(pk=request.pk)


def _erase_pass(user_id: str, progress: _Progress) -> None:
    for eraser in user_data_erasers():
        progress.step(eraser.kind)
        eraser.erase(user_id=user_id, counted=lambda n, kind=eraser.kind: progress.add(kind, n))
    progress.step("sessions")
    _end_sessions(user_id)
    progress.step("account")
    if services.user_delete(user_id=user_id):
        progress.add("account")
    progress.step("verifying")


def _end_sessions(user_id: str) -> None:
    """Delete the user's stored sessions: they hold the user id. (They no longer authenticate
    once the account is disabled; this removes the rows.) Sessions are signed blobs with no
    user column, so this reads the live ones - a background job, never a request path."""
    from django.conf import settings
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return
    stale = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500)
        if session.get_decoded().get(SESSION_KEY) == user_id
    ]
    Session.objects.filter(pk__in=stale).delete()


def _record_failure(request: ErasureRequest, error: Exception) -> None:
    attempts = ErasureRequest.objects.values_list("attempts", flat=True).get(pk=request.pk)
    backoff = min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    ErasureRequest.objects.filter(pk=request.pk).update(
        status=ErasureRequest.Status.RETRYING,
        lease_until=None,
        next_attempt_at=timezone.now() + backoff,
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )
    logger.warning("erasure %s of user %s failed (attempt %s), retrying in %s: %s", request.pk, request.user_id, attempts, backoff, error)


# --- Receipts ------------------------------------------------------------------------------------


def erasure_receipt(request: ErasureRequest) -> dict:
    """What the user, staff and the API see: status, counts per kind, and when."""
    return {
        "id": str(request.id),
        "status": request.status,
        "status_label": request.get_status_display(),
        "step": request.step,
        "counts": request.counts(),
        "attempts": request.attempts,
        "last_error": request.last_error if not request.is_complete else "",
        "requested_by": request.requested_by,
        "requested_at": request.requested_at,
        "started_at": request.started_at,
        "completed_at": request.completed_at,
    }
