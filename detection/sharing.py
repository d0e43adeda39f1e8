"""Share links: a public, read-only view of one completed analysis (docs/verification.md).

A link is `/shared/<token>/` with a 256-bit random token. Only the token's SHA-256 is stored, as
the item's key (`share#<hash>`), so opening a link is one GetItem and a leaked table opens no
link. The owner's links sit in one UserInferencesIndex partition (`share#<user id>`): listing
them is one Query. Revoked and expired links keep their item until it expires, so their page can
say which; otherwise they answer exactly like an unknown link.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.conf import settings
from pynamodb.exceptions import PutError, UpdateError

from artguard.dynamo import now_ms
from artguard.errors import DomainError
from artguard.retention import is_expired
from detection.selectors import inference_get, inference_get_for_user
from detection.signing import VERIFY_PREFIX, NotSignable, verification_issue, verification_items_delete, verification_revoke
from detection.tables import InferenceRecord

SHARE_PREFIX = "share#"
TOKEN_BYTES = 32  # 256 random bits, 43 URL-safe characters
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SHARE_ID_RE = re.compile(r"^[0-9a-f]{64}$")
ACTIVE, REVOKED, EXPIRED, UNKNOWN = "active", "revoked", "expired", "unknown"


class ShareError(DomainError):
    """A refusal of a share-link or code operation; artguard.errors answers it in the API."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ShareNotFound(ShareError):
    status = 404


class ShareConflict(ShareError):
    status = 409


@dataclass(frozen=True)
class ShareLink:
    id: str  # the token's SHA-256: names the link to its owner without opening it
    inference_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    include_original: bool

    @property
    def state(self) -> str:
        if self.revoked_at:
            return REVOKED
        return EXPIRED if is_expired(self.expires_at) else ACTIVE


def _moment(ms) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc)


def _link(item: InferenceRecord) -> ShareLink:
    share = item.share.as_dict() if hasattr(item.share, "as_dict") else dict(item.share)
    return ShareLink(
        id=item.inference_id.removeprefix(SHARE_PREFIX), inference_id=share["of"], created_at=_moment(item.created_at),
        expires_at=_moment(share["expires_at"]), revoked_at=_moment(share.get("revoked_at")),
        include_original=bool(share.get("include_original")),
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _owned_record(*, user_id: str, inference_id: str) -> InferenceRecord:
    record = inference_get_for_user(user_id=user_id, inference_id=inference_id)
    if record is None:
        raise ShareNotFound("No such detection.")
    if record.status != "COMPLETED":
        raise ShareConflict(f"Only a completed analysis can be shared; this one is {record.status}.")
    return record


def share_create(*, user_id: str, inference_id: str, expires_in_days: int | None = None,
                 include_original: bool = False) -> tuple[ShareLink, str]:
    """A new link to the user's completed analysis, and its token (shown once, never stored).
    It expires with the record, or sooner when `expires_in_days` says so."""
    record = _owned_record(user_id=user_id, inference_id=inference_id)
    if expires_in_days is not None and not 1 <= expires_in_days <= settings.INFERENCE_TTL_DAYS:
        raise ShareError(f"A link can last from 1 to {settings.INFERENCE_TTL_DAYS} days.")
    if len(shares_for_user(user_id=user_id, inference_id=inference_id)) >= settings.SHARES_PER_ANALYSIS:
        raise ShareConflict(f"An analysis can have at most {settings.SHARES_PER_ANALYSIS} links; revoke one first.")
    try:
        verification_issue(record)  # the page shows the verification code: made before the link exists
    except NotSignable as error:
        raise ShareConflict(str(error)) from None
    created = now_ms()
    expires = record.ttl or datetime.fromtimestamp(created / 1000, tz=timezone.utc) + timedelta(days=settings.INFERENCE_TTL_DAYS)
    if expires_in_days is not None:
        expires = min(expires, datetime.fromtimestamp(created / 1000, tz=timezone.utc) + timedelta(days=expires_in_days))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    item = InferenceRecord(
        inference_id=SHARE_PREFIX + token_hash(token), user_id=SHARE_PREFIX + user_id, created_at=created, ttl=expires,
        share={"of": record.inference_id, "expires_at": int(expires.timestamp() * 1000), "include_original": bool(include_original)},
    )
    try:
        item.save(condition=InferenceRecord.inference_id.does_not_exist())
    except PutError as error:  # a 256-bit collision is not going to happen; a changed schema might
        raise ShareConflict("The link could not be created; please try again.") from error
    return _link(item), token


def shares_for_user(*, user_id: str, inference_id: str | None = None) -> list[ShareLink]:
    """The user's links, newest first (one Query), optionally those of one analysis."""
    links = [_link(item) for item in InferenceRecord.user_inferences_index.query(SHARE_PREFIX + user_id, scan_index_forward=False)]
    return [link for link in links if inference_id is None or link.inference_id == inference_id]


def _owned_link_item(*, user_id: str, share_id: str, inference_id: str | None = None) -> InferenceRecord:
    item = None
    if _SHARE_ID_RE.match(share_id or ""):
        try:
            item = InferenceRecord.get(SHARE_PREFIX + share_id, consistent_read=True)
        except InferenceRecord.DoesNotExist:
            pass
    if item is None or item.share is None or item.user_id != SHARE_PREFIX + user_id or (
            inference_id is not None and _link(item).inference_id != inference_id):
        raise ShareNotFound("No such share link.")
    return item


def share_revoke(*, user_id: str, share_id: str, inference_id: str | None = None) -> ShareLink:
    """Revoke one of the user's links (of `inference_id`, when given); ShareConflict if it
    already was (nothing changes)."""
    item = _owned_link_item(user_id=user_id, share_id=share_id, inference_id=inference_id)
    revoked = _link(item).revoked_at
    if revoked is None:
        try:
            item.update(actions=[InferenceRecord.share["revoked_at"].set(now_ms())],
                        condition=InferenceRecord.share["revoked_at"].does_not_exist())
            return _link(item)
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            revoked = _link(_owned_link_item(user_id=user_id, share_id=share_id)).revoked_at
    raise ShareConflict(f"This link was already revoked on {revoked:%Y-%m-%d %H:%M} UTC.")


def code_withdraw(*, user_id: str, inference_id: str) -> None:
    """Withdraw the verification code of the user's analysis (detection.signing.verification_revoke);
    ShareNotFound if it is not theirs, ShareConflict if no code is in force."""
    record = inference_get_for_user(user_id=user_id, inference_id=inference_id)
    if record is None:
        raise ShareNotFound("No such detection.")
    try:
        verification_revoke(record)
    except NotSignable as error:
        raise ShareConflict(str(error)) from None


@dataclass(frozen=True)
class Opened:
    state: str  # ACTIVE, REVOKED, EXPIRED or UNKNOWN
    link: ShareLink | None = None
    record: InferenceRecord | None = None


def share_open(*, token: str) -> Opened:
    """What a link opens. Anything but ACTIVE carries neither the link nor the record."""
    key = SHARE_PREFIX + token_hash(token if _TOKEN_RE.match(token or "") else f"malformed:{(token or '')[:64]}")
    try:
        item = InferenceRecord.get(key)
    except InferenceRecord.DoesNotExist:
        return Opened(UNKNOWN)
    if item.share is None or not hmac.compare_digest(item.inference_id, key):
        return Opened(UNKNOWN)
    link = _link(item)
    if link.state != ACTIVE:
        return Opened(link.state)
    record = inference_get(inference_id=link.inference_id)
    if record is None or SHARE_PREFIX + record.user_id != item.user_id or record.status != "COMPLETED":
        return Opened(UNKNOWN)  # the analysis was deleted while its link lingered
    return Opened(ACTIVE, link, record)


def shares_delete_for_inference(*, user_id: str, record: InferenceRecord) -> int:
    """Delete the analysis's links and verification item (the analysis is being deleted)."""
    links = shares_for_user(user_id=user_id, inference_id=record.inference_id)
    with InferenceRecord.batch_write() as batch:
        for link in links:
            batch.delete(InferenceRecord(inference_id=SHARE_PREFIX + link.id))
    return len(links) + verification_items_delete(record)


def shared_item_keys(*, user_id: str) -> list[str]:
    keys = []
    for partition in (SHARE_PREFIX + user_id, VERIFY_PREFIX + user_id):
        keys += [item.inference_id for item in InferenceRecord.user_inferences_index.query(partition, attributes_to_get=["inference_id"])]
    return keys


def shared_items_count_for_user(*, user_id: str) -> int:
    return len(shared_item_keys(user_id=user_id))
