"""Reads of the Users table. Lookups go by key or through EmailIndex; never a Scan."""
from __future__ import annotations

from accounts.models import User
from accounts.tables import EMAIL_GUARD_PREFIX, ERASURE_PREFIX, RECEIPT_PREFIX, UserRecord


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_from_record(record: UserRecord) -> User:
    return User(
        user_id=record.user_id,
        email=record.email,
        username=record.username or "",
        is_staff=bool(record.is_staff),
        is_active=bool(record.is_active),
        password_hash=record.password or "",
    )


def user_record_get(*, user_id: str) -> UserRecord | None:
    if not user_id or user_id.startswith((EMAIL_GUARD_PREFIX, ERASURE_PREFIX, RECEIPT_PREFIX)):
        return None
    try:
        return UserRecord.get(user_id)
    except UserRecord.DoesNotExist:
        return None


def user_get(*, user_id: str) -> User | None:
    record = user_record_get(user_id=user_id)
    return user_from_record(record) if record else None


def user_record_get_by_email(*, email: str) -> UserRecord | None:
    email = normalize_email(email)
    if not email:
        return None
    for record in UserRecord.email_index.query(email, limit=1):
        return record
    return None


def stored_tokens(record: UserRecord) -> dict:
    """The record's named API tokens as plain dicts (hashes included: for accounts.services only)."""
    tokens = record.api_tokens.as_dict() if record.api_tokens is not None else {}
    return {key: dict(value) for key, value in tokens.items()}


LEGACY_TOKEN_ID = "legacy"  # the one token an account made before named tokens could hold


def api_tokens_list(*, user_id: str) -> list[dict]:
    """[{"token_id", "name", "created_at", "last_used_at"}] (ms or None), oldest first; never the hashes."""
    record = user_record_get(user_id=user_id)
    if record is None:
        return []
    rows = [{"token_id": key, "name": value.get("name") or "", "created_at": value.get("created_at"), "last_used_at": value.get("last_used_at")}
            for key, value in stored_tokens(record).items()]
    if record.api_token_hash:
        rows.append({"token_id": LEGACY_TOKEN_ID, "name": "created before named tokens", "created_at": None, "last_used_at": None})
    return sorted(rows, key=lambda row: (row["created_at"] is not None, row["created_at"] or 0))
