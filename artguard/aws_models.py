"""Botocore sessions that share one process-wide Loader, so each AWS service model is parsed
from JSON once per process rather than once per session.

Sessions are not thread-safe, so django-storages (S3) and PynamoDB (DynamoDB, one per table
and per thread) each make many; every new session parsed its service model again: about 225 ms
of CPU for S3 and 130 ms for DynamoDB. The Loader's parsed models are read-only and cached.
"""
from __future__ import annotations

import threading

import botocore.loaders
import botocore.session

_lock = threading.Lock()
_loader: botocore.loaders.Loader | None = None


def shared_loader() -> botocore.loaders.Loader:
    global _loader
    with _lock:
        if _loader is None:
            _loader = botocore.session.get_session().get_component("data_loader")
        return _loader


def botocore_session() -> botocore.session.Session:
    """A new botocore session (for one thread) whose service models come from the shared Loader."""
    session = botocore.session.get_session()
    session.register_component("data_loader", shared_loader())
    return session
