"""Outages by name: whether an error means DynamoDB, image storage or the task broker is down or
busy (never "your request was wrong"), and the sentence a person reads about it.

The ground floor: the web's OutageMiddleware answers these with a 503 and Retry-After, and
services and tasks use `outage_message` to give a failed record a reason a person can read,
without depending on web middleware.
"""
from __future__ import annotations

import os

RETRY_AFTER_SECONDS = 30

DATABASE_MESSAGE = "The database is unavailable or overloaded right now. Nothing was lost; please try again in a minute."
STORAGE_MESSAGE = "Image storage is unavailable right now. Nothing was lost; please try again in a minute."
BROKER_MESSAGE = "The task queue is unavailable right now, so nothing new can be started. Please try again in a minute."

# DynamoDB error codes that mean "busy or down", never "your request was wrong".
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerError",
        "InternalFailure",
        "SlowDown",  # S3
        "InternalError",  # S3
        "503",
    }
)

# Modules whose frames mark an OSError as a storage failure (not, say, a damaged image in PIL).
_STORAGE_PATH_PARTS = (
    os.sep + os.path.join("django", "core", "files") + os.sep,
    os.sep + "storages" + os.sep,
    os.sep + os.path.join("artguard", "storage.py"),
)
# ...and as a broker failure (django-q2's Redis and SQS brokers).
_BROKER_PATH_PARTS = (os.sep + os.path.join("django_q", "brokers") + os.sep,)


def _chain(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = getattr(error, "cause", None) or error.__cause__ or error.__context__


def _is_dynamo_outage(error: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    from artguard.dynamo import DynamoUnavailable

    for item in _chain(error):
        if isinstance(item, DynamoUnavailable):
            return True
        if isinstance(item, ClientError) and _code(item) in UNAVAILABLE_CODES and not _raised_in(item, _STORAGE_PATH_PARTS + _BROKER_PATH_PARTS):
            return True
        if isinstance(item, PynamoDBException) and isinstance(getattr(item, "cause", None), BotoCoreError):
            return True  # connection refused, connect/read timeout, ...
    return False


def _code(error) -> str | None:
    return (getattr(error, "response", None) or {}).get("Error", {}).get("Code")


def _raised_in(error: BaseException, path_parts: tuple[str, ...]) -> bool:
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if any(part in filename for part in path_parts):
            return True
        traceback = traceback.tb_next
    return False


def _raised_in_storage(error: BaseException) -> bool:
    return _raised_in(error, _STORAGE_PATH_PARTS)


def _is_broker_outage(error: BaseException) -> bool:
    """Redis refusing or timing out, or SQS unreachable or busy, while queueing a task."""
    from botocore.exceptions import BotoCoreError, ClientError

    for item in _chain(error):
        module = type(item).__module__
        if module.startswith("redis") and type(item).__name__ in ("ConnectionError", "TimeoutError", "BusyLoadingError"):
            return True
        if not _raised_in(item, _BROKER_PATH_PARTS):
            continue
        if isinstance(item, (BotoCoreError, ConnectionError)) or (isinstance(item, ClientError) and _code(item) in UNAVAILABLE_CODES):
            return True
    return False


def _is_storage_outage(error: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    for item in _chain(error):
        if isinstance(item, FileNotFoundError):
            return False  # a missing object is the caller's 404, not an outage
        if not _raised_in_storage(item):
            continue
        # local folders: OSError; S3 through django-storages: connection errors, busy codes
        if isinstance(item, (OSError, BotoCoreError)) or (isinstance(item, ClientError) and _code(item) in UNAVAILABLE_CODES):
            return True
    return False


def outage_message(error: BaseException) -> str | None:
    """A sentence for a person when `error` means DynamoDB, storage or the broker is down/busy, else None."""
    if _is_broker_outage(error):
        return BROKER_MESSAGE
    if _is_dynamo_outage(error):
        return DATABASE_MESSAGE
    if _is_storage_outage(error):
        return STORAGE_MESSAGE
    return None
