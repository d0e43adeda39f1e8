"""What a detection write can refuse, and the sentences its owner reads."""
from __future__ import annotations

from artguard.errors import DomainError

NO_MODEL_MESSAGE = (
    "No forgery model is available yet, so images cannot be analysed. Staff can train and promote "
    "one on the Runs page (the run command bootstraps a demo model on first start)."
)
STUCK_MESSAGE = "The analysis took too long and was stopped. Please upload the image again."
SCORING_UNAVAILABLE_MESSAGE = "The scoring service is unavailable right now ({name}). Please try again later."


class RateLimited(DomainError):
    """Too many uploads in the last hour; the message says when to come back."""

    status = 429


class NoModelAvailable(DomainError):
    """No model is promoted: nothing could score the image."""

    status = 503
    whole_request = True


class InvalidSubmission(DomainError, ValueError):
    """A field other than the file is unusable; the message is for the person who sent it."""


class ArtistNotServed(InvalidSubmission):
    """The attribution is empty, names no served artist, or several; `served` lists their names."""

    field = "attributed_artist"

    def __init__(self, message: str, served: list[str]):
        super().__init__(message)
        self.served = served

    def api_body(self) -> dict:
        return {**super().api_body(), "served_artists": self.served}
