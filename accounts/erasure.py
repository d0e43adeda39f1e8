"""Right to deletion: record a request, disable the account, and erase everything of the user.

The erasure job (`erasure_run`) is idempotent and resumable. Each step deletes what is still
there and counts only what it deleted, persisting counts as it goes, so a job that fails
halfway and runs again ends with the same receipt as one that never failed. A worker holds a
request through a lease; `erasures_resume` (scheduled) restarts requests whose attempt failed
or whose worker died. Requests are items in the Users table (accounts/erasure_store.py), so
web and worker hosts that share nothing but DynamoDB see the same request, lease and receipt.

What a user owns (docs/architecture.md): InferenceRecords items (UserInferencesIndex), objects
under `inference/<user_id>/` in the raw and processed buckets, and the Users-table account
item with its email guard. Training data, runs and configs hold no user data. The apps that
hold user data erase it through their own services, registered as erasers (accounts/erasers.py);
this module deletes only what accounts owns: the sessions and the account.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.utils.crypto import salted_hmac
from pynamodb.exceptions import UpdateError

from accounts import erasure_store as store
from accounts import services
from accounts.erasers import user_data_count, user_data_erasers
from accounts.erasure_store import Erasure
from accounts.models import User
from accounts.selectors import normalize_email, user_record_get
from artguard.dynamo import now_ms

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
    """HMAC-SHA256 of the normalized address under a key derived from DJANGO_SECRET_KEY (held
    outside the table): staff holding the secret can confirm that an address was erased; a leaked
    table alone confirms nothing, unlike a plain SHA-256 anyone can compute for a guess."""
    return salted_hmac(EMAIL_DIGEST_SALT, normalize_email(email), algorithm="sha256").hexdigest() if email else ""


EMAIL_DIGEST_SALT = "artguard.erasure.email"


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


# --- Requests ---------------------------------------------------------------------------------


def erasure_request(*, user_id: str, requested_by: User) -> tuple[Erasure, bool]:
    """Record an erasure of `user_id`, disable the account, and queue the job.

    Returns (request, created). A second call while one is unfinished returns that one.
    The request item is written before the account is disabled, so once the account is locked
    there is always a durable request that will finish the erasure.
    """
    existing = store.erasure_get(user_id=user_id)
    if existing is not None:
        if existing.is_complete:
            raise UserNotFound(user_id)  # erased already: the account is gone
        request, created = existing, False
    else:
        record = user_record_get(user_id=user_id)
        if record is None:
            raise UserNotFound(user_id)
        by_self = requested_by.user_id == user_id
        try:
            request = store.erasure_create(
                user_id=user_id,
                email_hmac=email_digest(record.email or ""),
                requested_by="self" if by_self else "staff",
                staff_user_id="" if by_self else requested_by.user_id,
            )
            created = True
        except store.ErasureExists:  # a concurrent request for the same user won
            request, created = store.erasure_get(user_id=user_id), False
    try:
        _disable_account(user_id)
    except Exception as error:
        # The request is durable and the job disables the account before deleting anything, so
        # answer normally. (If DynamoDB is down, nobody can log in meanwhile either.)
        logger.exception("erasure %s: could not disable user %s yet", request.id, user_id)
        try:
            store.erasure_note(user_id=user_id, error_text=f"disabling the account: {type(error).__name__}: {error}")
        except Exception:
            logger.exception("erasure %s: could not record the problem either", request.id)
    erasure_enqueue(user_id=user_id)
    return request, created


def inferences_count(*, user_id: str) -> int:
    """How many analyses an erasure would delete, asked of the app that holds them."""
    return user_data_count(user_id=user_id, kind="inference_records")


def erasure_get_by_token(*, token: str) -> Erasure | None:
    return store.erasure_get_by_token(token=token)


def erasure_enqueue(*, user_id: str) -> bool:
    """Queue the job. A request is durable before it is queued, so a broker failure (or, with
    synchronous django-q2, a failed attempt) is logged, not raised: the resume schedule retries."""
    from django_q.tasks import async_task

    try:
        async_task("accounts.tasks.erasure_run", user_id, group="erasure")
    except Exception:
        logger.exception("erasure of user %s: queueing or running the job failed; it will be resumed", user_id)
        return False
    return True


def erasures_resume(*, now_epoch_ms: int | None = None) -> list[str]:
    """Queue every unfinished request that no live worker holds and whose back-off has passed.
    Returns the user ids queued."""
    now = now_epoch_ms if now_epoch_ms is not None else now_ms()
    due = [
        request.user_id
        for request in store.erasures_open()
        if (request.lease_until is None or request.lease_until < now)
        and (request.next_attempt_at is None or request.next_attempt_at <= now)
    ]
    for user_id in due:
        erasure_enqueue(user_id=user_id)
    return due


def erasures_resume_now() -> list[str]:
    """For staff: queue every unfinished request now, whatever its back-off. A job whose lease a
    live worker holds simply returns, so this never runs one erasure twice at once."""
    queued = [request.user_id for request in store.erasures_open()]
    for user_id in queued:
        erasure_enqueue(user_id=user_id)
    return queued


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

    user_id: str
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
        store.erasure_progress(user_id=self.user_id, added=self.pending, lease_ms=_ms(LEASE), step=step)
        self.pending, self.since_flush = {}, 0


def erasure_run(*, user_id: str) -> Erasure | None:
    """Run (or resume) one erasure. Safe to call any number of times, from any worker."""
    if not store.erasure_claim(user_id=user_id, lease_ms=_ms(LEASE)):
        return store.erasure_get(user_id=user_id)  # finished, held by another worker, or unknown
    progress = _Progress(user_id=user_id, pending={})
    try:
        _disable_account(user_id)
        for _ in range(MAX_PASSES):
            progress.deleted_this_pass = 0
            _erase_pass(user_id, progress)
            if progress.deleted_this_pass == 0:
                break
        else:
            raise ErasureIncomplete(f"data of user {user_id} was still arriving after {MAX_PASSES} passes")
    except Exception as error:
        progress.flush()
        _record_failure(user_id, error)
        raise
    progress.flush()
    store.erasure_complete(user_id=user_id)
    logger.info("erasure of user %s completed", user_id)
    return store.erasure_get(user_id=user_id)


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
    from django.utils import timezone

    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return
    stale = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500)
        if session.get_decoded().get(SESSION_KEY) == user_id
    ]
    Session.objects.filter(pk__in=stale).delete()


def _record_failure(user_id: str, error: Exception) -> None:
    attempts = store.erasure_get(user_id=user_id).attempts
    backoff = min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    store.erasure_failed(user_id=user_id, error_text=f"{type(error).__name__}: {error}", retry_in_ms=_ms(backoff))
    logger.warning("erasure of user %s failed (attempt %s), retrying in %s: %s", user_id, attempts, backoff, error)


# --- Receipts ------------------------------------------------------------------------------------


def erasure_receipt(request: Erasure) -> dict:
    """What the user, staff and the API see: status, counts per kind, and when."""
    return {
        "id": request.id,
        "status": request.status,
        "status_label": request.get_status_display(),
        "step": request.step,
        "counts": dict(request.counts),
        "attempts": request.attempts,
        "last_error": request.last_error if not request.is_complete else "",
        "requested_by": request.requested_by,
        "requested_at": request.requested_at,
        "started_at": request.started_at,
        "completed_at": request.completed_at,
    }
