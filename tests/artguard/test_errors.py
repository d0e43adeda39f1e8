"""artguard.errors: a service's DomainError answered once, by its status, in the API and on pages."""
from __future__ import annotations

import pytest
from rest_framework.exceptions import NotFound
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from artguard.errors import DomainError, api_exception_handler
from datasets.imaging import ImageRejected
from detection.selectors import InvalidCursor
from detection.services import ArtistNotServed, InvalidSubmission, NoModelAvailable, RateLimited


class _Refuses(APIView):
    permission_classes = []
    authentication_classes = []
    error: Exception = None

    def get(self, request):
        raise self.error


@pytest.mark.parametrize(("error", "status", "body"), [
    (ImageRejected("The file is empty."), 400, {"file": ["The file is empty."]}),
    (ArtistNotServed("No model for 'X'.", ["A", "B"]), 400, {"attributed_artist": ["No model for 'X'."], "served_artists": ["A", "B"]}),
    (InvalidSubmission("The title is too long."), 400, {"detail": "The title is too long."}),
    (RateLimited("Try later."), 429, {"detail": "Try later."}),
    (NoModelAvailable("No model yet."), 503, {"detail": "No model yet."}),
    (InvalidCursor("The cursor is not valid."), 400, {"cursor": ["The cursor is not valid."]}),
])
def test_the_api_answers_a_domain_error_with_its_status_and_body(error, status, body):
    response = _Refuses.as_view(error=error)(APIRequestFactory().get("/api/x/"))
    assert (response.status_code, response.data) == (status, body)


def test_other_exceptions_keep_drfs_answer():
    response = api_exception_handler(NotFound("No such detection."), {})
    assert (response.status_code, response.data) == (404, {"detail": "No such detection."})
    assert api_exception_handler(ValueError("a bug"), {}) is None  # left to Django: a 500


def test_a_page_names_the_file_unless_the_refusal_concerns_the_whole_request():
    assert ImageRejected("The file is empty.").page_line(about="a.jpg") == "a.jpg: The file is empty."
    assert RateLimited("Try later.").page_line(about="a.jpg") == "a.jpg: Try later."
    assert NoModelAvailable("No model yet.").page_line(about="a.jpg") == "No model yet."
    assert DomainError("plain").page_line() == "plain"
