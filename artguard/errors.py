"""One type for the refusals a service makes on purpose (a bad file, a rate limit, no model), so
each is mapped to an answer once: `api_exception_handler` (settings REST_FRAMEWORK) for the API,
`DomainError.page_line` for the HTML views. HackSoft's styleguide does the same with its
ApplicationError. Outages are not refusals: artguard.outages and its middleware answer them.
"""
from __future__ import annotations


class DomainError(Exception):
    """A refusal whose message is written for the person who sent the request."""

    status = 400
    field: str | None = None  # the input at fault: the API answers {field: [message]}, else {"detail": message}
    whole_request = False  # True: it concerns the request, not one of its files, and nothing after it is tried

    def api_body(self) -> dict:
        return {self.field: [str(self)]} if self.field else {"detail": str(self)}

    def page_line(self, about: str = "") -> str:
        """The line an HTML page shows, after what it concerns (a file's name) when it concerns one."""
        return f"{about}: {self}" if about and not self.whole_request else str(self)


def api_exception_handler(exc, context):
    """DRF's handler, with a DomainError answered by its status and body. DRF is imported here, not
    above: datasets.imaging (ImageRejected) is imported by scripts that never load DRF."""
    from rest_framework.response import Response
    from rest_framework.views import exception_handler, set_rollback

    if isinstance(exc, DomainError):
        set_rollback()
        return Response(exc.api_body(), status=exc.status)
    return exception_handler(exc, context)
