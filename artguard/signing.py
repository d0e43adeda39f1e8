"""Ed25519 signing keys for issued reports (docs/verification.md). Imports no app.

The private key comes from `ARTGUARD_SIGNING_KEY` (base64 of the 32-byte Ed25519 seed) and must
be set in prod, the same on every host. In dev and test, when it is unset, a key is generated
once under `<ARTGUARD_DATA_DIR>/signing/ed25519.key` (mode 0600), like the other local data.
Retired public keys (after a rotation) come from `ARTGUARD_SIGNING_RETIRED_KEYS` (comma-separated
base64 raw public keys) and, locally, from `<data dir>/signing/retired/*.pub`: reports signed with
them stay verifiable. A key id is the first 16 hex digits of the SHA-256 of the raw public key.

A signed statement is one ASCII string, `AGV1.<key id>.<payload>.<signature>`: the payload is the
canonical JSON of the facts (sorted keys, no spaces, UTF-8) in unpadded base64url, and the
signature is Ed25519 over those payload bytes, also unpadded base64url.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

STATEMENT_PREFIX = "AGV1"
STATEMENT_RE = re.compile(rb"AGV1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{1,8000})\.([A-Za-z0-9_-]{86})")
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class BadStatement(ValueError):
    """Not a statement ArtGuard signed: malformed, an unknown key, or a signature that fails."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str | bytes) -> bytes:
    text = text.decode("ascii") if isinstance(text, bytes) else text
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(facts: dict) -> bytes:
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key.public_bytes(*_RAW)).hexdigest()[:16]


def _key_dir() -> Path:
    return Path(settings.DATA_DIR) / "signing"


def _local_private_key() -> Ed25519PrivateKey:
    path = _key_dir() / "ed25519.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                          serialization.NoEncryption())
        # Written whole, then linked into place: two processes starting together keep one key,
        # and neither can read a half-written file (the loser of the link reads the winner's).
        temporary = path.with_name(f".ed25519.{os.getpid()}.{secrets.token_hex(4)}")
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(base64.b64encode(seed))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return _private_key_from(path.read_bytes().strip(), source=str(path))


def _private_key_from(encoded: bytes | str, *, source: str) -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(encoded, validate=True)
        return Ed25519PrivateKey.from_private_bytes(seed)
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured(f"{source} is not base64 of a 32-byte Ed25519 seed") from error


@functools.lru_cache(maxsize=1)
def signing_key() -> Ed25519PrivateKey:
    configured = getattr(settings, "SIGNING_KEY", "")
    if configured:
        return _private_key_from(configured, source="ARTGUARD_SIGNING_KEY")
    if settings.IS_PROD:
        raise ImproperlyConfigured("ARTGUARD_SIGNING_KEY must be set when ARTGUARD_ENV=prod (docs/verification.md)")
    return _local_private_key()


def _retired_public_keys() -> list[Ed25519PublicKey]:
    encoded = [item.strip() for item in getattr(settings, "SIGNING_RETIRED_KEYS", []) if item.strip()]
    folder = _key_dir() / "retired"
    if folder.is_dir():
        encoded += [path.read_text().strip() for path in sorted(folder.glob("*.pub"))]
    keys = []
    for item in encoded:
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(item, validate=True)))
        except (binascii.Error, ValueError) as error:
            raise ImproperlyConfigured(f"a retired signing key is not base64 of a 32-byte Ed25519 public key: {item[:12]}…") from error
    return keys


@dataclass(frozen=True)
class PublishedKey:
    key_id: str
    public_key: Ed25519PublicKey
    current: bool

    def as_json(self) -> dict:
        return {"kid": self.key_id, "alg": "Ed25519", "status": "current" if self.current else "retired",
                "public_key": base64.b64encode(self.public_key.public_bytes(*_RAW)).decode("ascii")}


def published_keys() -> list[PublishedKey]:
    """The current key first, then every retired key still accepted."""
    current = signing_key().public_key()
    keys = [PublishedKey(key_id(current), current, True)]
    keys += [PublishedKey(key_id(k), k, False) for k in _retired_public_keys() if key_id(k) != keys[0].key_id]
    return keys


def statement_sign(facts: dict) -> str:
    key = signing_key()
    payload = canonical_json(facts)
    return ".".join([STATEMENT_PREFIX, key_id(key.public_key()), b64url(payload), b64url(key.sign(payload))])


def statement_find(data: bytes) -> bytes | None:
    """The first signed statement inside a file's bytes (a PDF's metadata), or None."""
    match = STATEMENT_RE.search(data)
    return match.group(0) if match else None


def statement_verify(statement: str | bytes) -> dict:
    """The signed facts, if the signature holds under a published key; BadStatement otherwise."""
    raw = statement.encode("ascii", "replace") if isinstance(statement, str) else statement
    match = STATEMENT_RE.fullmatch(raw)
    if not match:
        raise BadStatement("not an ArtGuard verification statement")
    kid, payload, signature = (group.decode("ascii") for group in match.groups())
    keys = {key.key_id: key.public_key for key in published_keys()}
    if kid not in keys:
        raise BadStatement("signed with a key ArtGuard does not publish")
    payload_bytes = b64url_decode(payload)
    try:
        keys[kid].verify(b64url_decode(signature), payload_bytes)
    except InvalidSignature:
        raise BadStatement("the signature does not match the facts") from None
    try:
        return json.loads(payload_bytes)
    except ValueError:
        raise BadStatement("the signed facts are not JSON") from None
