"""Model cards: what a served artist's model was trained on and how well it did, in words every
signed-in user can read (pages at /models/, API at /api/models/). Built from the artist's
registry item, the version's served info and its run: a GetItem and a cached read, never a scan.
"""
from __future__ import annotations

from datetime import datetime, timezone

from training import figures, run_review, selectors, served_models
from training.ml.metrics import METRIC_NAMES
from training.ml.robustness import BENIGN_FLIP_LIMIT

PHOTO_LIMITS = (
    "The model looks only at the RGB pixels of a photograph. It cannot see pigments or paint chemistry, "
    "canvas, support or ground layers, age, materials or provenance, and it cannot prove who made a work. "
    "Its verdict is one piece of evidence for an expert, never a certificate."
)


def day(ms) -> str | None:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).strftime("%Y-%m-%d") if ms else None


def _pm(mean, std) -> dict | None:
    return None if mean is None else {"mean": figures.metric(mean), "std": figures.metric(std)}


def capture_card(detail: dict, info: dict) -> dict:
    """Does the model judge the camera? From the run's metrics_detail, else the served info
    (written at promotion); models trained before issue 26 say they were not measured. Figures
    stay numbers (shares 0-1) for API clients; the page formats them."""
    source = {key: detail.get(key) or info.get(key) for key in ("capture_audit", "robustness", "capture_envelope", "augmentation")}
    audit, measured = source["capture_audit"], source["robustness"]
    limit = float((measured or {}).get("benign_flip_limit") or BENIGN_FLIP_LIMIT)
    changes = []
    for change in (measured or {}).get("changes") or []:
        works = int(change.get("works") or measured.get("works") or 0)
        changes.append({
            "name": change.get("name"), "words": change.get("words") or change.get("name"), "severity": change.get("severity"),
            "auc": change.get("auc"), "flips": int(change.get("flips") or 0), "works": works,
            "inconclusive": change.get("inconclusive"), "misses_target": run_review.misses_target({**change, "works": works}, limit),
        })
    return {
        "measured": bool(audit or changes),
        "note": "" if audit or changes else run_review.CAPTURE_PREDATES,
        "audit": {"auc": audit.get("auc"), "threshold": audit.get("threshold"), "concern": bool(audit.get("concern")),
                  "statement": audit.get("statement") or ""} if audit else None,
        "robustness": {"works": measured.get("works"), "as_taken_auc": measured.get("as_taken_auc"), "benign_flip_limit": limit,
                       "changes": changes} if changes else None,
        "envelope": run_review.envelope_words(source["capture_envelope"]),
        "augmentation": run_review.augmentation_words(source["augmentation"]) if source["augmentation"] else None,
    }


def card_for(artist, *, model_version: str | None = None) -> dict | None:
    """The card of `artist`'s serving model, or of an earlier `model_version` of it (one it was
    ever promoted with); None when there is none."""
    version = model_version or (artist.serving or {}).get("model_version")
    if not version:
        return None
    info = served_models.served_info_read(version)
    if info is None or info.get("artist") != artist.slug:
        return None
    run = selectors.run_get(run_id=info.get("run_id", ""))
    detail = run.metrics_detail.as_dict() if run and run.metrics_detail else {}
    per_sublabel = detail.get("per_sublabel") or {}
    policy = run_review.policy_review(detail) if detail else None
    calibration = run_review.calibration_review(detail) if detail else None
    serving_now = bool(artist.serving and artist.serving.get("model_version") == version)
    return {
        "artist": {"slug": artist.slug, "name": artist.name, "aliases": list(artist.aliases)},
        "model_version": version,
        "serving": serving_now,
        "is_demo": bool(info.get("is_demo")),
        "run_id": info.get("run_id"),
        "dataset_version": info.get("dataset_version"),
        "trained_on": day(run.finished_at if run else None) or day(info.get("promoted_at")),
        "promoted_on": day(info.get("promoted_at")),
        "proxy_negatives": bool(run and run.proxy_negatives),
        "training_counts": {
            "images": detail.get("n_images"),
            "patches": detail.get("n_patches"),
            "by_label": detail.get("label_counts") or {},
            "by_sublabel": {name: {"label": row.get("label"), "images": row.get("n")} for name, row in per_sublabel.items()},
        },
        "cross_validation": {
            "folds": int(run.k_folds) if run else None,
            "metrics": {name: _pm(getattr(run, f"mean_{name}", None), getattr(run, f"std_{name}", None)) for name in METRIC_NAMES} if run else {},
            "per_sublabel": {name: {"label": row.get("label"), "images": row.get("n"), "auc": row.get("auc"),
                                    "accuracy": row.get("accuracy")} for name, row in per_sublabel.items()},
            "out_of_fold": True,
        },
        "calibration": calibration and {
            "method": "Platt scaling" if calibration["platt"] else "none (raw scores kept)",
            "ece_before": calibration["ece_before"],
            "ece_after": calibration["ece_after"],
            "note": calibration["reason"],
        },
        "verdict_policy": policy and {
            "statements": policy["statements"],
            "sides": [{key: side[key] for key in ("verdict", "errors", "target", "threshold", "decides", "measured")} for side in policy["sides"]],
            "decided": policy["decided"],
        },
        "capture": capture_card(detail, info),
        "promotion_concerns": list(info.get("promotion_concerns") or []),
        "promotion_reason": info.get("promotion_reason") or "",
        "limits": PHOTO_LIMITS,
    }
