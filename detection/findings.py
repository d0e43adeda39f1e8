"""What a completed result must say beside its score, derived from the stored record (no new
attributes): whether the photograph was unfamiliar to the model or taken unlike every
photograph it was validated on (the capture check), whether its resolution is too low for
brushwork, and the most suspicious region with its calibrated meaning. One source for the
result page, the history page, the PDF and the API.
"""
from __future__ import annotations

from detection.local_writer import location_name
from detection.reading import as_dict
from training.ml.aggregate import verdict as verdict_for

VERDICT_WORDS = {"LIKELY_AUTHENTIC": "likely authentic", "INCONCLUSIVE": "inconclusive", "LIKELY_FORGED": "likely forged"}


def is_unfamiliar(record) -> bool:
    """INCONCLUSIVE because the photograph is unlike the training images: the score is then an
    extrapolation, and no page leads with it."""
    return bool(as_dict(record.familiarity).get("unfamiliar"))


def capture(record) -> dict:
    """The capture check stored with the record ({} for records made before it existed)."""
    return as_dict(record.capture)


def capture_outside(record) -> bool:
    """INCONCLUSIVE because the photograph was taken unlike every photograph the model was
    validated on (softer, more compressed, smaller...): its error rates do not apply to it."""
    return bool(capture(record).get("outside"))


def capture_reasons(record) -> list[str]:
    """What was outside, each with what to do about it ([] when nothing was)."""
    return [str(reason) for reason in capture(record).get("reasons") or []]


def capture_not_checked(record) -> list[str]:
    """The capture checks that could not be made on this file (a PNG has no JPEG tables...)."""
    return [str(line).rstrip(".") for line in capture(record).get("not_checked") or []]


DEMO_NOTE = "Scored by a demo model trained on synthetic images: this result is not meaningful for a real artwork."


def _patches(record) -> list[dict]:
    return [as_dict(patch) for patch in (record.patch_scores or [])]


def analysed_size(record) -> tuple[int, int] | None:
    """The preprocessed image's size: the patch grids reach every edge of it."""
    patches = _patches(record)
    if not patches:
        return None
    return (int(max(float(p["x"]) + float(p["w"]) for p in patches)), int(max(float(p["y"]) + float(p["h"]) for p in patches)))


def resolution_warning(record) -> str:
    """datasets.imaging.low_resolution_warning for the analysed image; "" when it is fine."""
    from datasets.imaging import low_resolution_warning

    size = analysed_size(record)
    return low_resolution_warning(*size) if size else ""


def warnings_for(record) -> list[str]:
    return [text for text in (resolution_warning(record),) if text]


def most_suspicious_region(record) -> dict | None:
    """The highest-scoring patch (S1 on the heatmap and in the explanation) and what its score
    means: patch probabilities are on the image score's calibrated scale, so a work scoring like
    this region throughout would get the verdict its score crosses."""
    patches = _patches(record)
    size = analysed_size(record)
    if not patches or size is None:
        return None
    top = max(patches, key=lambda patch: float(patch["p"]))
    probability = float(top["p"])
    score = round(probability * 100)
    thresholds = {k: (None if v is None else float(v)) for k, v in as_dict(record.thresholds).items()}
    reads_as = verdict_for(probability, thresholds) if thresholds else None
    location = location_name(x=float(top["x"]), y=float(top["y"]), w=float(top["w"]), h=float(top["h"]), width=size[0], height=size[1])
    calibrated = bool(as_dict(record.verdict_basis).get("calibrated"))
    scale = "the same calibrated scale as the work's score" if calibrated else "the same scale as the work's score (not calibrated)"
    text = f"The most suspicious region, S1 ({location}), scores {score} on {scale}"
    if reads_as:
        text += f": a work scoring like it throughout would read as {VERDICT_WORDS[reads_as]}"
    text += ". One region is not the whole work; the verdict weighs every patch."
    if is_unfamiliar(record):
        text += " The photograph is unfamiliar to the model, so this region's score is an extrapolation too."
    elif capture_outside(record):
        text += " The photograph was taken unlike those the model was validated on, so this region's score is not evidence either."
    return {
        "label": "S1", "x": int(top["x"]), "y": int(top["y"]), "w": int(top["w"]), "h": int(top["h"]),
        "scale": float(top["scale"]), "p": probability, "score": score, "location": location,
        "reads_as": reads_as, "calibrated": calibrated, "text": text,
    }
