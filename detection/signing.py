"""Signed reports: the verification code of a completed analysis and the facts ArtGuard signs
for it (docs/verification.md).

Each completed analysis gets one code the first time a report or share link needs it. The code
is written on the record (only its owner reads the record) and a verification item keyed by the
code's SHA-256 holds the signed statement, so checking a code is one GetItem. Every PDF issued
with the code adds its SHA-256 to the item: "is this exactly a PDF ArtGuard issued?" is then a
set lookup on the same item.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from pynamodb.exceptions import PutError, UpdateError

from artguard.dynamo import now_ms
from artguard.signing import statement_sign, statement_verify
from artguard.storage import raw_storage
from detection.tables import InferenceRecord

VERIFY_PREFIX = "verify#"
FACTS_VERSION = 1
# Crockford's base32: no I, L, O or U, so a code read aloud or retyped survives. 20 characters
# are 100 random bits: typed by hand, rate-limited per client, and far beyond guessing.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20
_CODE_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE_RE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


class NotSignable(Exception):
    """The analysis cannot be signed (not completed, deleted, or its original is gone)."""


@dataclass(frozen=True)
class Issued:
    code: str  # grouped for reading: XXXXX-XXXXX-XXXXX-XXXXX
    statement: str
    facts: dict


def code_normalize(text: str) -> str | None:
    """The code as stored, from what a person typed (any case, spaces, dashes); None if it cannot be one."""
    cleaned = re.sub(r"[\s-]", "", (text or "")[:64]).upper().translate(_CODE_CONFUSABLES)
    return cleaned if _CODE_RE.match(cleaned) else None


def code_display(code: str) -> str:
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


def code_item_key(normalized: str | None, raw: str = "") -> str:
    """The item key for a code. Malformed input is hashed too, so every check costs one hash and
    one GetItem whatever was typed."""
    material = normalized if normalized else f"malformed:{raw[:64]}"
    return VERIFY_PREFIX + hashlib.sha256(material.encode("utf-8")).hexdigest()


def _iso(moment) -> str:
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment / 1000, tz=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_facts(record: InferenceRecord, *, code: str, image_sha256: str, issued_ms: int) -> dict:
    """What ArtGuard vouches for: numbers as the result shows them, dates in UTC."""
    thresholds = record.thresholds.as_dict() if hasattr(record.thresholds, "as_dict") else (record.thresholds or {})
    return {
        "v": FACTS_VERSION,
        "issuer": "ArtGuard",
        "code": code,
        "image_sha256": image_sha256,
        "artist": record.attributed_artist or "",
        "model_version": record.model_version or "",
        "demo_model": bool(record.model_is_demo),
        "forgery_score": int(record.forgery_score),
        "verdict": record.verdict,
        "thresholds": {name: None if value is None else round(float(value), 4) for name, value in sorted(thresholds.items())},
        "analysed_at": _iso(int(record.created_at)),
        "issued_at": _iso(issued_ms),
        "valid_until": _iso(record.ttl) if record.ttl else None,
    }


def _original_sha256(record: InferenceRecord) -> str:
    if record.image_sha256:
        return record.image_sha256
    # Records analysed before image_sha256 existed: hash the stored original while it is kept.
    try:
        with raw_storage().open(record.image_path, "rb") as handle:
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
            return digest.hexdigest()
    except (FileNotFoundError, OSError, ValueError, TypeError):
        raise NotSignable("The original photograph of this analysis is no longer stored, so it cannot be signed.") from None


def verification_item_get(*, code: str) -> InferenceRecord | None:
    try:
        return InferenceRecord.get(code_item_key(code))
    except InferenceRecord.DoesNotExist:
        return None


def verification_issue(record: InferenceRecord) -> Issued:
    """The analysis's code and signed statement, made on first use. Idempotent; two concurrent
    callers end with one code."""
    if record.status != "COMPLETED" or record.forgery_score is None:
        raise NotSignable("Only a completed analysis can be shared or signed.")
    if record.verification_code:
        item = verification_item_get(code=record.verification_code)
        if item is not None and item.verification:
            statement = item.verification.as_dict()["statement"]
            return Issued(code_display(record.verification_code), statement, statement_verify(statement))
    code = record.verification_code or "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    image_sha256 = _original_sha256(record)
    if not record.verification_code:
        try:
            record.update(
                actions=[InferenceRecord.verification_code.set(code), InferenceRecord.image_sha256.set(image_sha256)],
                condition=InferenceRecord.verification_code.does_not_exist() & (InferenceRecord.status == "COMPLETED"),
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            try:
                record.refresh(consistent_read=True)
            except InferenceRecord.DoesNotExist:
                raise NotSignable("This analysis was deleted.") from None
            if not record.verification_code:
                raise NotSignable("Only a completed analysis can be shared or signed.") from None
            return verification_issue(record)  # another request issued it first: use theirs
    issued_ms = now_ms()
    facts = report_facts(record, code=code, image_sha256=image_sha256, issued_ms=issued_ms)
    statement = statement_sign(facts)
    item = InferenceRecord(
        inference_id=code_item_key(code), user_id=VERIFY_PREFIX + record.user_id, created_at=issued_ms, ttl=record.ttl,
        verification={"of": record.inference_id, "statement": statement},
    )
    try:
        item.save(condition=InferenceRecord.inference_id.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return verification_issue(record)  # a concurrent caller wrote it: read theirs
    return Issued(code_display(code), statement, facts)


def report_issued(*, code: str, pdf: bytes) -> None:
    """Remember that this exact PDF was handed out under `code`."""
    normalized = code_normalize(code)
    digest = hashlib.sha256(pdf).hexdigest()
    try:
        InferenceRecord(inference_id=code_item_key(normalized)).update(
            actions=[InferenceRecord.report_sha256.add({digest})], condition=InferenceRecord.inference_id.exists())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise NotSignable("This analysis was deleted.") from None


def verification_revoke(record: InferenceRecord) -> None:
    """Withdraw the analysis's code: reports and pages already handed out then answer "revoked".
    The next report or link gets a new code. NotSignable if no code is in force."""
    code = record.verification_code
    if not code:
        raise NotSignable("This analysis has no verification code in force.")
    try:
        InferenceRecord(inference_id=code_item_key(code)).update(
            actions=[InferenceRecord.verification["revoked_at"].set(now_ms())],
            condition=InferenceRecord.inference_id.exists() & InferenceRecord.verification["revoked_at"].does_not_exist())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    try:
        record.update(actions=[InferenceRecord.verification_code.remove()], condition=InferenceRecord.verification_code == code)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise NotSignable("This code was already withdrawn.") from None


def verification_items_delete(record: InferenceRecord) -> int:
    """Delete every verification item of the analysis (its code, and codes withdrawn before):
    one Query of the owner's verification partition."""
    items = [item for item in InferenceRecord.user_inferences_index.query(VERIFY_PREFIX + record.user_id)
             if item.verification and item.verification.as_dict().get("of") == record.inference_id]
    with InferenceRecord.batch_write() as batch:
        for item in items:
            batch.delete(item)
    return len(items)
