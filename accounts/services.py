"""Writes to the Users table: sign-up, password checks, API tokens, disabling and erasing."""
from __future__ import annotations

import hashlib
import secrets
import uuid

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from accounts.models import User
from accounts.selectors import (LEGACY_TOKEN_ID, normalize_email, stored_tokens, user_from_record, user_record_get,
                                user_record_get_by_email)
from accounts.tables import EMAIL_GUARD_PREFIX, UserRecord
from artguard.dynamo import now_ms

TOKEN_PREFIX = "ag"
# Hashing a throwaway password when an email is unknown keeps a failed login's timing the
# same whether or not the account exists.
_DUMMY_PASSWORD_HASH = None


class EmailTaken(Exception):
    pass


def _guard_id(email: str) -> str:
    return f"{EMAIL_GUARD_PREFIX}{email}"


def user_create(*, email: str, password: str, username: str = "", is_staff: bool = False) -> User:
    """Create an account. The email guard item and the user item are written in one conditional
    transaction, so two racing sign-ups for one address (in any letter case) cannot both win."""
    email = normalize_email(email)
    validate_email(email)
    validate_password(password, user=User(email=email, username=username))
    if user_record_get_by_email(email=email):
        raise EmailTaken(email)
    record = UserRecord(
        user_id=uuid.uuid4().hex,
        email=email,
        username=(username or email.split("@")[0])[:150],
        password=make_password(password),
        is_staff=is_staff,
        is_active=True,
        created_at=now_ms(),
    )
    guard = UserRecord(user_id=_guard_id(email), guard_owner=record.user_id, created_at=record.created_at)
    try:
        with TransactWrite(connection=UserRecord._get_connection().connection) as transaction:
            transaction.save(guard, condition=UserRecord.user_id.does_not_exist())
            transaction.save(record, condition=UserRecord.user_id.does_not_exist())
    except TransactWriteError as error:
        if error.cause_response_code == "TransactionCanceledException":
            raise EmailTaken(email) from error
        raise
    return user_from_record(record)


def user_authenticate(*, email: str, password: str) -> User | None:
    global _DUMMY_PASSWORD_HASH
    record = user_record_get_by_email(email=email)
    if record is None or not record.password:
        _DUMMY_PASSWORD_HASH = _DUMMY_PASSWORD_HASH or make_password(secrets.token_hex(8))
        check_password(password or "", _DUMMY_PASSWORD_HASH)
        return None
    if not check_password(password or "", record.password):
        return None
    if not record.is_active:
        return None
    return user_from_record(record)


def user_set_staff(*, user_id: str, is_staff: bool) -> None:
    UserRecord(user_id=user_id).update(actions=[UserRecord.is_staff.set(is_staff)], condition=UserRecord.user_id.exists())


def user_set_password(*, user_id: str, password: str) -> None:
    record = user_record_get(user_id=user_id)
    if record is None:
        raise UserRecord.DoesNotExist(user_id)
    validate_password(password, user=user_from_record(record))
    record.update(actions=[UserRecord.password.set(make_password(password))])


def user_disable(*, user_id: str, deletion_status: str | None = None) -> None:
    """Stop the account from logging in (and end its sessions: the session hash changes)."""
    actions = [UserRecord.is_active.set(False), UserRecord.password.set(make_password(None))]
    if deletion_status:
        actions.append(UserRecord.deletion_status.set(deletion_status))
    UserRecord(user_id=user_id).update(actions=actions, condition=UserRecord.user_id.exists())


def user_delete(*, user_id: str) -> bool:
    """Delete the account item and its email guard. Idempotent; True if an account was there."""
    record = user_record_get(user_id=user_id)
    if record is None:
        return False
    if record.email:
        UserRecord(user_id=_guard_id(record.email)).delete()
    record.delete()
    return True


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


MAX_API_TOKENS = 10
TOKEN_NAME_MAX = 60
LAST_USED_EVERY_MS = 5 * 60 * 1000  # "last used" is written at most this often per token


class TooManyTokens(Exception):
    pass


def api_token_create(*, user_id: str, name: str = "") -> str:
    """A new API token beside any earlier ones (each is revoked alone: api_token_revoke). Only its
    hash is stored; the token names its user and its id (`ag_<user>_<id>.<secret>`), so checking
    it is one GetItem, not a search. Raises TooManyTokens past MAX_API_TOKENS."""
    record = user_record_get(user_id=user_id)
    if record is None:
        raise UserRecord.DoesNotExist(user_id)
    if len(stored_tokens(record)) >= MAX_API_TOKENS:
        raise TooManyTokens(f"You have {MAX_API_TOKENS} API tokens, the most an account can hold: revoke one first.")
    token_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    entry = {"hash": _token_digest(secret), "name": (name or "").strip()[:TOKEN_NAME_MAX], "created_at": now_ms(), "last_used_at": None}
    action = (UserRecord.api_tokens[token_id].set(entry) if record.api_tokens is not None
              else UserRecord.api_tokens.set({token_id: entry}))
    UserRecord(user_id=user_id).update(actions=[action], condition=UserRecord.user_id.exists())
    return f"{TOKEN_PREFIX}_{user_id}_{token_id}.{secret}"


def api_token_revoke(*, user_id: str, token_id: str) -> bool:
    """Revoke one token (it answers 401 from then on); False when there is no such token."""
    if token_id == LEGACY_TOKEN_ID:
        action, condition = UserRecord.api_token_hash.remove(), UserRecord.api_token_hash.exists()
    elif token_id and token_id.isalnum() and len(token_id) <= 16:
        action, condition = UserRecord.api_tokens[token_id].remove(), UserRecord.api_tokens[token_id].exists()
    else:
        return False
    try:
        UserRecord(user_id=user_id).update(actions=[action], condition=UserRecord.user_id.exists() & condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def api_token_user(*, token: str) -> User | None:
    parts = (token or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    record = user_record_get(user_id=parts[1])
    if record is None or not record.is_active:
        return None
    token_id, dot, secret = parts[2].partition(".")
    if not dot:  # a token made before named tokens: the whole rest is its secret
        if record.api_token_hash and secrets.compare_digest(record.api_token_hash, _token_digest(parts[2])):
            return user_from_record(record)
        return None
    entry = stored_tokens(record).get(token_id)
    if entry is None or not secrets.compare_digest(str(entry.get("hash") or ""), _token_digest(secret)):
        return None
    _note_use(record.user_id, token_id, entry)
    return user_from_record(record)


def _note_use(user_id: str, token_id: str, entry: dict) -> None:
    """Record when a token was last used, at most every few minutes (one UpdateItem, never a
    failed request: a revocation racing it simply wins)."""
    now = now_ms()
    if entry.get("last_used_at") and now - int(entry["last_used_at"]) < LAST_USED_EVERY_MS:
        return
    try:
        UserRecord(user_id=user_id).update(actions=[UserRecord.api_tokens[token_id]["last_used_at"].set(now)],
                                           condition=UserRecord.api_tokens[token_id].exists())
    except UpdateError:
        pass  # revoked meanwhile, or DynamoDB busy: the request itself was authenticated


def validation_messages(error: ValidationError) -> list[str]:
    return list(error.messages)
