"""What a web worker does once before it takes requests, so no user's first request pays for it.

Measured on a fresh gunicorn under 10 concurrent uploaders (bench/bench_load.py, results in
bench/results/load.json): each thread's first upload was far slower than the rest, all of it
one-off set-up: a botocore client per table (its service model is parsed from JSON), Pillow's
format plugins, and the served-artists lookup. Eight threads doing that at once was the upload p95. A step warms code and clients, never
an answer a user would see: the served-artists step forgets the catalogue it read.

Apps register their own steps from `AppConfig.ready()`; artguard registers the DynamoDB clients,
the storage's S3 model (each thread still makes its own session, from the parsed model) and
Pillow. A step that fails (say DynamoDB is not up yet) is logged and skipped: the request
that needs it pays later, as before, and `/readyz` reports the outage.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

logger = logging.getLogger(__name__)

_STEPS: dict[str, Callable[[], object]] = {}


def warmup_register(name: str, step: Callable[[], object]) -> None:
    _STEPS[name] = step


def warmup_run() -> dict[str, str]:
    """Run every registered step once; {name: "0.123 s" or "failed: <reason>"}."""
    from artguard.dynamo import clients_create

    outcome = {}
    steps = {"pillow plugins": _pillow_plugins, "dynamodb clients": clients_create, "storage": _storage_connections, **_STEPS}
    for name, step in steps.items():
        started = time.perf_counter()
        try:
            step()
            outcome[name] = f"{time.perf_counter() - started:.3f} s"
        except Exception as error:  # a warm-up must never keep the worker from serving
            outcome[name] = f"failed: {type(error).__name__}: {error}"
            logger.warning("warm-up step %r failed: %s", name, error)
    return outcome


def _storage_connections() -> None:
    """On S3, parse the service model into the loader every thread's session shares
    (artguard.s3_storage); local folders need nothing."""
    from artguard.storage import processed_storage, raw_storage

    for storage in (raw_storage(), processed_storage()):
        getattr(storage, "connection", None)


def _pillow_plugins() -> None:
    from PIL import Image

    Image.init()  # imports every format plugin, which Image.open otherwise does on first use
