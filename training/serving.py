"""The serving API detection calls: which artists are served, and patch scoring.

    artists = served_artists()                     # datasets.artists.Artist with .serving
    artist = served_artist_for("Gogh, Vincent van")  # ArtistError (empty/unknown/ambiguous) lists those served
    info = model_info(artist.serving["model_version"])
    scores = score_patches(patches, model_version=...)   # raises NoPromotedModel
    refs = reference_neighbours(model_version=scores.model_version, queries=[scores.reference_queries[i] ...])
    reference_thumbnails_allowed(run_id=scores.run_id)   # may users see the training patches?

One model per artist (docs/artists.md). training.served_models keeps the catalogue (one cached query)
and each version's served info (one small object in shared storage, cached). The model runs
where training.compute says: in this process (backbone loaded once, heads of recently used
versions in a bounded LRU) or in the Modal Scorer class. Aggregation: training.ml.aggregate
(image logit = mean of the patch logits); the version's calibration (training.ml.calibration)
maps it to the probability shown, and its verdict policy (training.ml.policy) gives the
verdict, the operating point and what the model cannot say.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from PIL import Image

from training import compute, served_models
from training.ml import aggregate, calibration, capture, capture_check, policy as policy_module


class NoPromotedModel(Exception):
    """No model serves (staff promote one on the run page), or the version asked for was never promoted."""


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
    run_id: str | None = None  # the run that trained the model (its reference-thumbnail setting)
    # Per patch, its vector in the model's reference index (training.ml.reference_index), input
    # order; None for a model trained before the index existed.
    reference_queries: list | None = None
    # capture_assess(...) of the uploaded file, when the caller made it; "outside" made the
    # verdict INCONCLUSIVE: the error rates were not measured on photographs taken like this one.
    capture: dict | None = None


def served_artists(*, fresh: bool = False) -> list:
    """The artists a model serves, by name (cached a few seconds per process)."""
    return served_models.catalogue(fresh=fresh)


def served_artist_for(attribution: str | None):
    """The served artist an attribution names (canonical name or alias, any case or accents).
    Raises datasets.artists.ArtistError (EmptyArtist, UnknownArtist, AmbiguousArtist) with a
    message that names the artists served."""
    from datasets.artists import Resolver

    return Resolver(served_artists()).resolve(attribution, what="artists with a model")


def model_info(model_version: str) -> dict | None:
    """What `model_version` was promoted with: {"model_version", "run_id", "artist",
    "artist_name", "dataset_version", "metrics", "thresholds", "calibration", "policy",
    "is_demo", "promoted_at", "promoted_by", "backbone", ...}, or None."""
    return served_models.served_info_read(model_version) if model_version else None


def promoted_model_info(artist: str | None = None) -> dict | None:
    """The info of the model serving `artist` (a slug), or of the first served artist when
    none is named; None when nothing serves."""
    for candidate in served_artists():
        if artist is None or candidate.slug == artist:
            return model_info(candidate.serving["model_version"])
    return None


def reading_basis(calibrator, probability: float, served_policy: dict) -> dict:
    """How to read a score, stored with each analysis. Only Platt scaling counts as calibrated:
    an identity calibrator keeps the raw scores (the model card says "none (raw scores kept)"),
    so a result must not call them calibrated; its reason is the note shown instead."""
    calibrated = calibrator.method == calibration.METHOD
    return {
        "calibrated": calibrated,
        "calibration_note": "" if calibrated else calibrator.reason,
        "operating_point": policy_module.operating_point(probability, served_policy.get("reference")),
        "statements": list(served_policy.get("statements") or []),
        "targets": served_policy.get("targets"),
    }


def score_patches(images: list[Image.Image], *, model_version: str, capture: dict | None = None) -> PatchScores:
    """Score RGB patches (224 px, as datasets.imaging.extract_patches cuts them) with model
    `model_version` (pinned when the detection was submitted). `capture` is capture_assess's
    answer for the photograph they were cut from: outside the validated capture, the verdict is
    INCONCLUSIVE. Raises NoPromotedModel, or ValueError for an empty list."""
    if not images:
        raise ValueError("score_patches needs at least one patch.")
    info = model_info(model_version)
    if info is None:
        raise NoPromotedModel(f"Model {model_version} was never promoted to serve detection.")
    scores = compute.patch_scores(model_version=info["model_version"], images=list(images))
    logits, familiarity = scores["logits"], scores.get("familiarity")
    calibrator = calibration.Calibrator.from_dict(info.get("calibration"))
    probability = float(calibrator.probability([aggregate.image_logit(logits)])[0])
    thresholds = {key: (None if value is None else float(value)) for key, value in (info.get("thresholds") or {}).items()
                  if key in ("authentic_below", "forged_above")}
    verdict = aggregate.verdict(probability, thresholds)
    if familiarity and familiarity.get("unfamiliar"):
        verdict = aggregate.INCONCLUSIVE  # the score is an extrapolation beyond the training images
    if capture and capture.get("outside"):
        verdict = aggregate.INCONCLUSIVE  # taken unlike every photograph the error rates were measured on
    basis = reading_basis(calibrator, probability, info.get("policy") or {})
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
        run_id=info.get("run_id"),
        reference_queries=scores.get("reference_queries"),
        capture=capture,
    )


def reference_neighbours(*, model_version: str, queries: list, k: int = 3) -> list[dict] | None:
    """For each query vector (rows of PatchScores.reference_queries): {"authentic": [...],
    "forged": [...]}, the k most similar training patches of each label (training.ml.
    reference_index), or None when the model has no reference index."""
    return compute.reference_neighbours(model_version=model_version, queries=list(queries), k=k)


def reference_thumbnails_allowed(*, run_id: str | None) -> bool:
    """Whether users may see thumbnails of this run's training patches. Staff set it per run
    (training.services.run_reference_thumbnails_set); unset, only demo runs (synthetic images,
    nothing confidential) show them. One GetItem."""
    from training.selectors import run_get

    run = run_get(run_id=run_id) if run_id else None
    if run is None:
        return False
    if run.reference_thumbnails is None:
        return bool(run.is_demo)
    return bool(run.reference_thumbnails)


NO_ENVELOPE = ("This model was trained before ArtGuard measured how its training photographs were taken, "
               "so this photograph's capture could not be compared with them.")


def capture_assess(data: bytes, *, model_version: str) -> dict:
    """The capture check (training.ml.capture_check) of an uploaded file against what
    `model_version` was validated on: {"checked": bool, "outside": bool, "reasons": [str] (what
    to do, for the user), "checks": {statistic: {"value", "low"|"high", "ok"}}, "not_checked":
    [str], "stats": capture.measure(data)}. `data` is the file as uploaded (its JPEG tables are
    part of the evidence). When "outside", the verdict must be INCONCLUSIVE."""
    stats = capture.measure(data)
    info = model_info(model_version) or {}
    envelope = capture_check.Envelope.from_dict(info.get("capture_envelope"))
    if envelope is None:
        result = {"checked": False, "outside": False, "reasons": [], "checks": {}, "not_checked": [NO_ENVELOPE], "stats": stats}
    else:
        result = {"checked": True, **envelope.assess(stats), "stats": stats}
    return json.loads(json.dumps(result, default=float))  # JSON types only: stored as a DynamoDB map as it is
