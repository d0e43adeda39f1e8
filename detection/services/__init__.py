"""Writes for Workflow A (detection), one module per verb:

- submission: check an upload and create its PENDING record (inference_submit, form_submit);
- pipeline: process it, preprocess -> inference -> postprocess -> save (inference_process);
- lifecycle: fail, sweep stuck records, delete (inference_fail, inferences_sweep_stuck, inference_delete);
- report: the printable PDF (report_pdf);
- scoring: what can score (the served models and artists); errors: what a write refuses.

Everything is re-exported here, so callers and queued tasks name `detection.services.X`. A test
that replaces a function another module calls patches it where it is looked up (the submodule).
"""
from datasets.imaging import ImageRejected
from detection.services.errors import (
    NO_MODEL_MESSAGE,
    SCORING_UNAVAILABLE_MESSAGE,
    STUCK_MESSAGE,
    ArtistNotServed,
    InvalidSubmission,
    NoModelAvailable,
    RateLimited,
)
from detection.services.lifecycle import (
    failure_reason,
    inference_delete,
    inference_fail,
    inference_prefix,
    inferences_sweep_stuck,
)
from detection.services.pipeline import evidence_patches, inference_process
from detection.services.report import REPORT_VERSION, report_pdf
from detection.services.scoring import served_artist_for, served_artists, serving_model_info
from detection.services.submission import (
    MAX_IDEMPOTENCY_KEY,
    MAX_TEXT_FIELD,
    RESEND_WINDOW_MS,
    Submission,
    body_too_large,
    form_resend_key,
    form_submit,
    inference_id_for,
    inference_submit,
    pending_marker,
    rate_limit_check,
    size_check,
    too_large_message,
    upload_check,
)

__all__ = [
    "ArtistNotServed", "ImageRejected", "InvalidSubmission", "MAX_IDEMPOTENCY_KEY", "MAX_TEXT_FIELD", "NO_MODEL_MESSAGE",
    "NoModelAvailable", "REPORT_VERSION", "RESEND_WINDOW_MS", "RateLimited", "SCORING_UNAVAILABLE_MESSAGE", "STUCK_MESSAGE",
    "Submission", "body_too_large", "evidence_patches", "failure_reason", "form_resend_key", "form_submit", "inference_delete",
    "inference_fail", "inference_id_for", "inference_prefix", "inference_process", "inference_submit", "inferences_sweep_stuck",
    "pending_marker", "rate_limit_check", "report_pdf", "served_artist_for", "served_artists", "serving_model_info",
    "size_check", "too_large_message", "upload_check",
]
