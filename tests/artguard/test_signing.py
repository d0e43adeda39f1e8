"""Signing keys: generated once locally, required in prod, and rotation keeps old statements
verifiable through the retired keys."""
from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from artguard import signing


@pytest.fixture(autouse=True)
def fresh_keys(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.SIGNING_KEY = ""
    settings.SIGNING_RETIRED_KEYS = []
    signing.signing_key.cache_clear()
    yield
    signing.signing_key.cache_clear()


def _seed(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())).decode()


def _public(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def test_a_local_key_is_generated_once_and_kept_private(tmp_path):
    first = signing.statement_sign({"a": 1})
    signing.signing_key.cache_clear()
    assert signing.statement_sign({"a": 1}) == first  # Ed25519 is deterministic: the same key
    path = tmp_path / "signing" / "ed25519.key"
    assert path.stat().st_mode & 0o077 == 0
    assert signing.statement_verify(first) == {"a": 1}


def test_prod_needs_the_key_from_the_environment(settings):
    settings.IS_PROD = True
    with pytest.raises(ImproperlyConfigured, match="ARTGUARD_SIGNING_KEY"):
        signing.signing_key()


def test_rotation_keeps_old_statements_verifiable(settings):
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    settings.SIGNING_KEY = _seed(old)
    statement = signing.statement_sign({"code": "X", "score": 7})
    signing.signing_key.cache_clear()
    settings.SIGNING_KEY = _seed(new)
    with pytest.raises(signing.BadStatement, match="does not publish"):
        signing.statement_verify(statement)  # the old key withdrawn without being listed as retired
    settings.SIGNING_RETIRED_KEYS = [_public(old)]
    assert signing.statement_verify(statement) == {"code": "X", "score": 7}
    published = [key.as_json() for key in signing.published_keys()]
    assert [key["status"] for key in published] == ["current", "retired"]
    assert published[1]["public_key"] == _public(old)
    assert signing.statement_sign({"n": 1}).split(".")[1] == published[0]["kid"]


def test_a_changed_fact_or_signature_fails():
    statement = signing.statement_sign({"score": 10})
    prefix, kid, payload, signature = statement.split(".")
    changed = signing.b64url(signing.canonical_json({"score": 90}))
    with pytest.raises(signing.BadStatement, match="does not match"):
        signing.statement_verify(".".join([prefix, kid, changed, signature]))
    with pytest.raises(signing.BadStatement):
        signing.statement_verify("AGV1.not-a-statement")
