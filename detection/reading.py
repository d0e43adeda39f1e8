"""How to read a result's score, in plain words: the verdict's cut-offs, the operating point, what
the model cannot decide, and whether the score is calibrated. One source for the result page,
the PDF, the API and the explanation, so none of them says more than another.

Built from what the record stores: `thresholds` ({authentic_below, forged_above}, a side None
when the model never gives that verdict) and `verdict_basis` (training.serving's
PatchScores.basis). Records made before the basis existed have none; they say so rather than
pretend to an error rate nobody measured for them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from training.ml.policy import score_cut

CANNOT_PREFIX = "This model cannot"  # how training.ml.policy.statements opens a verdict it never gives
NO_BASIS = (
    "This analysis predates ArtGuard's record of how to read a score: no operating point or "
    "error rates are stored with it."
)
UNFAMILIAR_CAVEAT = (
    "This photograph is unlike the model's training images, so that comparison may not apply to it."
)
CAPTURE_CAVEAT = (
    "This photograph was taken unlike every photograph those works were validated on, so that comparison may not apply to it."
)


@dataclass(frozen=True)
class Reading:
    thresholds: str = ""  # the cut-offs as a sentence; "" when the record has none
    operating_point: str = ""  # "Of the 20 validation works scored most like this one ..."
    statements: list[str] = field(default_factory=list)  # the policy's lines, "cannot" ones included
    calibration_note: str = ""  # why the score is not a calibrated probability; "" when it is
    has_basis: bool = False

    @property
    def missing_note(self) -> str:
        return "" if self.has_basis else NO_BASIS

    @property
    def cannot(self) -> list[str]:
        return [line for line in self.statements if line.startswith(CANNOT_PREFIX)]

    def lines(self) -> list[str]:
        """Every sentence, in reading order (for the PDF and the explanation prompt)."""
        if not self.has_basis:
            return [line for line in (self.thresholds, self.missing_note) if line]
        return [line for line in (self.thresholds, self.operating_point, *self.statements, self.calibration_note) if line]


def as_dict(value) -> dict:
    """A stored MapAttribute, a plain dict or None, as a dict."""
    if value is None:
        return {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


def thresholds_sentence(thresholds: dict) -> str:
    """The verdict's cut-offs on the score; a None side is a verdict the model never gives."""
    if not thresholds or not {"authentic_below", "forged_above"} & set(thresholds):
        return ""
    low, high = thresholds.get("authentic_below"), thresholds.get("forged_above")
    if low is not None and high is not None:
        return f"Scores below {score_cut(low)} read as likely authentic, above {score_cut(high)} as likely forged, and between as inconclusive."
    if low is not None:
        return f"Scores below {score_cut(low)} read as likely authentic and all others as inconclusive: this model never calls a work likely forged."
    if high is not None:
        return f"Scores above {score_cut(high)} read as likely forged and all others as inconclusive: this model never calls a work likely authentic."
    return "Every score reads as inconclusive: this model met neither of its error-rate targets."


def reading_from(*, thresholds, basis, unfamiliar: bool = False, capture_outside: bool = False) -> Reading:
    thresholds, basis = as_dict(thresholds), as_dict(basis)
    if not basis:
        return Reading(thresholds=thresholds_sentence(thresholds))
    point = as_dict(basis.get("operating_point"))
    operating_point = point.get("text") or ""
    if operating_point and unfamiliar:
        operating_point = f"{operating_point} {UNFAMILIAR_CAVEAT}"
    elif operating_point and capture_outside:
        operating_point = f"{operating_point} {CAPTURE_CAVEAT}"
    note = ""
    if not basis.get("calibrated"):
        note = basis.get("calibration_note") or "This score is not calibrated: read it as a ranking, not as a probability."
    return Reading(
        thresholds=thresholds_sentence(thresholds),
        operating_point=operating_point,
        statements=[str(line) for line in (basis.get("statements") or [])],
        calibration_note=note,
        has_basis=True,
    )


def reading_for(record) -> Reading:
    """The Reading of a stored InferenceRecord."""
    unfamiliar = bool(as_dict(record.familiarity).get("unfamiliar"))
    capture_outside = bool(as_dict(record.capture).get("outside"))
    return reading_from(thresholds=record.thresholds, basis=record.verdict_basis, unfamiliar=unfamiliar,
                        capture_outside=capture_outside)
