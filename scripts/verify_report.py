#!/usr/bin/env python3
"""Check an ArtGuard report's signature offline (docs/verification.md). Needs only `cryptography`.

    python scripts/verify_report.py report.pdf --keys keys.json    # keys saved from /verify/keys.json
    python scripts/verify_report.py report.pdf --keys https://artguard.example/verify/keys.json
    python scripts/verify_report.py report.pdf --keys keys.json --photo work.jpg

Prints the signed facts and exits 0 when the signature holds under a published key (and the
photograph, if given, is the analysed file); exits 1 otherwise. The signature covers the facts,
not the PDF's bytes: to learn whether the file is byte for byte the one ArtGuard issued, and
whether its code was revoked, use the /verify/ page.
"""
import argparse
import base64
import hashlib
import json
import re
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

STATEMENT = re.compile(rb"AGV1\.([0-9a-f]{16})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{86})")


def b64url(text: bytes) -> bytes:
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def load_keys(source: str) -> dict:
    if source.startswith(("https://", "http://")):
        with urllib.request.urlopen(source, timeout=20) as response:  # noqa: S310 (the user names the URL)
            published = json.load(response)
    else:
        with open(source, encoding="utf-8") as handle:
            published = json.load(handle)
    return {key["kid"]: Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])) for key in published["keys"]}


def check(pdf: bytes, keys: dict) -> dict:
    """The signed facts; ValueError saying why when there are none or the signature fails."""
    match = STATEMENT.search(pdf)
    if not match:
        raise ValueError("no ArtGuard signed statement in this file")
    kid, payload, signature = match.groups()
    key = keys.get(kid.decode())
    if key is None:
        raise ValueError(f"signed with key {kid.decode()}, which is not among the published keys")
    try:
        key.verify(b64url(signature), b64url(payload))
    except InvalidSignature:
        raise ValueError("the signature does not match the facts: the statement was altered") from None
    return json.loads(b64url(payload))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf")
    parser.add_argument("--keys", required=True, help="keys.json saved from /verify/keys.json, or its URL")
    parser.add_argument("--photo", help="the photograph, to compare its SHA-256 with the signed one")
    args = parser.parse_args(argv)
    with open(args.pdf, "rb") as handle:
        pdf = handle.read()
    try:
        facts = check(pdf, load_keys(args.keys))
    except ValueError as error:
        print(f"NOT VALID: {error}")
        return 1
    print("VALID: signed by ArtGuard")
    print(json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False))
    if args.photo:
        with open(args.photo, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        if digest != facts["image_sha256"]:
            print(f"PHOTO DIFFERS: its SHA-256 is {digest}, the analysed file's is {facts['image_sha256']}")
            return 1
        print("PHOTO MATCHES: it is the file that was analysed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
