"""The serving API detection calls: the promoted model's info, and patch scoring.

    info = promoted_model_info()          # None when no model is promoted
    scores = score_patches(patches)       # raises NoPromotedModel

The promoted version is read from the serving pointer (training.pointer: one small object in
shared storage, cached a few seconds per process). The model runs where training.compute
says: in this process (backbone + head loaded once, reloaded only when the promoted version
changes) or in the Modal Scorer class. Aggregation: training.ml.aggregate (image logit = mean
of the patch logits); the promoted run's calibration (training.ml.calibration) maps it to the
probability shown, and its verdict policy (training.ml.policy) gives the verdict, the
operating point and what the model cannot say.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from training import compute, pointer
from training.ml import aggregate, calibration, policy as policy_module


class NoPromotedModel(Exception):
    """No model version has been promoted yet (staff promote one on the run page)."""


@dataclass
class PatchScores:
    probabilities: list[float]  # forgery probability per patch, input order
    image_probability: float  # aggregated, 0..1
    verdict: str  # "LIKELY_AUTHENTIC" | "INCONCLUSIVE" | "LIKELY_FORGED"
    model_version: str
    thresholds: dict  # {"authentic_below": float | None, "forged_above": float | None}; None = never that verdict
    is_demo: bool  # True for the quick demo model
    # {"distance", "threshold", "unfamiliar"} (training.ml.familiarity), None if the model has no
    # reference. Unfamiliar patches make the verdict INCONCLUSIVE whatever the score.
    familiarity: dict | None = None
    # How to read the score: {"calibrated": bool, "calibration_note": str, "operating_point":
    # {"n", "forged", "share", "low", "high", "text"} | None, "statements": [str], "targets": {...}}
    basis: dict | None = None


_INFO_KEYS = ("model_version", "run_id", "dataset_version", "metrics", "is_demo", "promoted_at")


def promoted_model_info() -> dict | None:
    """{"model_version", "run_id", "dataset_version", "metrics", "is_demo", "promoted_at"} of
    the promoted model (plus "promoted_by", "thresholds", "backbone"), or None. Cheap."""
    info = pointer.read()
    if not info:
        return None
    return {**{key: info.get(key) for key in _INFO_KEYS}, **{k: v for k, v in info.items() if k not in _INFO_KEYS}}


def score_patches(images: list[Image.Image]) -> PatchScores:
    """Score RGB patches (224 px, as datasets.imaging.extract_patches cuts them) with the
    promoted model. Raises NoPromotedModel, or ValueError for an empty list."""
    if not images:
        raise ValueError("score_patches needs at least one patch.")
    info = promoted_model_info()
    if info is None:
        raise NoPromotedModel("No model has been promoted yet: a staff member must promote a trained model version.")
    scores = compute.patch_scores(model_version=info["model_version"], images=list(images))
    logits, familiarity = scores["logits"], scores.get("familiarity")
    calibrator = calibration.Calibrator.from_dict(info.get("calibration"))
    probability = float(calibrator.probability([aggregate.image_logit(logits)])[0])
    thresholds = {key: (None if value is None else float(value)) for key, value in (info.get("thresholds") or {}).items()
                  if key in ("authentic_below", "forged_above")}
    verdict = aggregate.verdict(probability, thresholds)
    if familiarity and familiarity.get("unfamiliar"):
        verdict = aggregate.INCONCLUSIVE  # the score is an extrapolation beyond the training images
    served_policy = info.get("policy") or {}
    basis = {
        "calibrated": calibrator.method != "none",
        "calibration_note": calibrator.reason if calibrator.method == "none" else "",  # identity: raw kept on purpose
        "operating_point": policy_module.operating_point(probability, served_policy.get("reference")),
        "statements": list(served_policy.get("statements") or []),
        "targets": served_policy.get("targets"),
    }
    return PatchScores(
        # patch probabilities on the same calibrated scale (the image's is their mean logit's)
        probabilities=[float(p) for p in calibrator.probability(logits)],
        image_probability=probability,
        verdict=verdict,
        model_version=info["model_version"],
        thresholds=thresholds,
        is_demo=bool(info.get("is_demo")),
        familiarity=familiarity,
        basis=basis,
    )
