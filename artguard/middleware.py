"""Outages as a clear 503, not a 500 with a stack trace.

When DynamoDB is unreachable or throttling past PynamoDB's own retries (DYNAMODB_MAX_RETRIES,
botocore's exponential back-off), image storage cannot be read or written, or the task broker
(Redis or SQS) cannot take a task, the web stays up and says so: pages get templates/503.html, /api/ gets {"detail": ...}; both carry Retry-After.
Every other exception is left to Django (a 500, logged as usual).

`outage_message(error)` is also what background tasks use to give a failed record a reason a
person can read.
"""
from __future__ import annotations

import logging
import os

from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

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


FALLBACK_PAGE = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Temporarily unavailable · ArtGuard</title>"
    "</head><body><h1>Temporarily unavailable</h1><p>{message}</p></body></html>"
)


def _page(request, message: str):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.utils.html import escape

    try:
        request.user.is_authenticated  # loading the user needs DynamoDB too
    except Exception:
        request.user = AnonymousUser()
    try:
        return render(request, "503.html", {"message": message}, status=503)
    except Exception:
        logger.warning("the 503 page could not be rendered; answering the plain one", exc_info=True)
        return HttpResponse(FALLBACK_PAGE.format(message=escape(message)), status=503)


class OutageMiddleware:
    """Turn DynamoDB, storage and broker outages into 503 answers with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        message = outage_message(exception)
        if message is None:
            return None
        logger.warning("%s %s answered 503: %s: %s", request.method, request.path, type(exception).__name__, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = _page(request, message)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
