"""Outages as a clear 503, not a 500 with a stack trace.

When DynamoDB is unreachable or throttling past PynamoDB's own retries (DYNAMODB_MAX_RETRIES,
botocore's exponential back-off), image storage cannot be read or written, or the task broker
(Redis or SQS) cannot take a task, the web stays up and says so: pages get templates/503.html, /api/ gets {"detail": ...}; both carry Retry-After.
Every other exception is left to Django (a 500, logged as usual).

What counts as an outage, and its wording, is artguard.outages.
"""
from __future__ import annotations

import logging

from django.http import JsonResponse
from django.shortcuts import render

from artguard.outages import RETRY_AFTER_SECONDS, outage_message

logger = logging.getLogger(__name__)

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
