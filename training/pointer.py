"""The serving pointer: which model version detection uses.

One small JSON object, `models/serving.json` in processed storage (a local folder, or the S3
bucket every web and worker host shares). Reading it is one GET of a few hundred bytes; each
process keeps what it read for POINTER_TTL_SECONDS, so a promotion reaches every host within
that time (and the promoting process at once).
"""
from __future__ import annotations

import json
import threading
import time

from django.core.files.base import ContentFile

from artguard.storage import processed_storage

POINTER_PATH = "models/serving.json"
POINTER_TTL_SECONDS = 5.0

_cache: dict = {"at": -1e9, "value": None, "storage": None}
_lock = threading.Lock()


def write(info: dict) -> None:
    storage = processed_storage()
    if storage.exists(POINTER_PATH):
        storage.delete(POINTER_PATH)
    storage.save(POINTER_PATH, ContentFile(json.dumps(info, sort_keys=True).encode()))
    clear_cache()


def read(*, fresh: bool = False) -> dict | None:
    storage = processed_storage()
    with _lock:
        cached = _cache["storage"] is storage and time.monotonic() - _cache["at"] < POINTER_TTL_SECONDS
        if cached and not fresh:
            return _cache["value"]
    try:
        with storage.open(POINTER_PATH, "rb") as handle:
            value = json.loads(handle.read())
    except FileNotFoundError:
        value = None
    with _lock:
        _cache.update(at=time.monotonic(), value=value, storage=storage)
    return value


def clear_cache() -> None:
    with _lock:
        _cache.update(at=-1e9, value=None, storage=None)
