"""The shortcut audit: can capture alone tell the labels apart? (issue 26)

Every training run fits a baseline on capture statistics only (training.ml.capture.measure:
JPEG quality, blockiness, focus, fine detail, noise, pixel size), in the same outer folds as
the model, with its regularization chosen inside each outer-training part (nested, like the
model). Its out-of-fold AUC says how much of the labels' difference the photographs carry by
themselves. If authentic works came as clean scans and forgeries as rough photographs, this
baseline separates them, and a model with a high AUC may have learned the camera.

Concern threshold: AUC at least CONCERN_AUC (0.70), or 4 standard deviations above what a
statistic with no relation to the labels would reach on this many images, whichever is higher
(an AUC of chance has sd sqrt((n_a + n_f + 1) / (12 n_a n_f)): about 0.05 for 60 + 60 images).
Each statistic alone is reported too, and the strongest one is named in the concern.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from training.ml import capture, metrics

CONCERN_AUC = 0.70
CHANCE_SDS = 4.0
STATISTIC_WORDS = {
    "jpeg_quality": "JPEG quality",
    "blockiness": "JPEG block artefacts",
    "focus": "focus (mid-frequency detail)",
    "fine_detail": "fine detail (resampling)",
    "noise": "sensor noise",
    "long_side": "pixel size",
}


def concern_threshold(n_authentic: int, n_forged: int) -> float:
    if not n_authentic or not n_forged:
        return 1.0
    chance_sd = math.sqrt((n_authentic + n_forged + 1) / (12 * n_authentic * n_forged))
    return max(CONCERN_AUC, 0.5 + CHANCE_SDS * chance_sd)


def _fold_model(x, y):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    inner = max(2, min(3, int(min((y == 0).sum(), (y == 1).sum()))))
    return make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=[0.01, 0.1, 1.0, 10.0], cv=inner, class_weight="balanced", max_iter=1000)).fit(x, y)


def audit(stats: list[dict], labels, folds: list[tuple]) -> dict:
    """The audit for these images' capture statistics and labels (1 = forged), in `folds`
    ([(train image indices, test image indices)], the model's outer folds)."""
    y = np.asarray(labels, dtype=int)
    x = np.stack([capture.statistics_vector(s) for s in stats])
    oof = np.full(len(y), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in folds:
            train, test = np.asarray(train), np.asarray(test)
            if len(set(y[train].tolist())) < 2:
                continue
            oof[test] = _fold_model(x[train], y[train]).predict_proba(x[test])[:, 1]
    scored = ~np.isnan(oof)
    auc = metrics.auc_score(y[scored], oof[scored]) if scored.any() else None
    per_statistic = {}
    for column, name in enumerate(capture.STATISTICS):
        values = x[:, column]
        single = metrics.auc_score(y, values)
        if single is None:
            continue
        per_statistic[name] = {
            "auc": round(float(max(single, 1 - single)), 4),
            "authentic_median": round(float(np.median(values[y == 0])), 4) if (y == 0).any() else None,
            "forged_median": round(float(np.median(values[y == 1])), 4) if (y == 1).any() else None,
            "higher_in": "forged" if single >= 0.5 else "authentic",
        }
    strongest = max(per_statistic, key=lambda k: per_statistic[k]["auc"]) if per_statistic else None
    threshold = concern_threshold(int((y == 0).sum()), int((y == 1).sum()))
    result = {
        "auc": None if auc is None else round(float(auc), 4),
        "threshold": round(threshold, 4),
        "per_statistic": per_statistic,
        "strongest": strongest,
        "concern": bool(auc is not None and auc >= threshold),
        "images": int(len(y)),
        "jpeg_files": int(sum(1 for s in stats if s.get("jpeg_quality") is not None)),
    }
    result["statement"] = statement(result)
    return result


def value_words(name: str, value, *, missing: str = "n/a") -> str:
    """A per-statistic figure of the audit in its units (focus, fine detail and pixel size are
    logarithms in capture.statistics_vector)."""
    if value is None:
        return missing
    if name == "long_side":
        return f"{math.exp(value):.0f} px"
    if name in ("fine_detail", "focus"):
        return f"{math.exp(value):.2g}"
    if name == "jpeg_quality":
        return f"{value:.0f}"
    return f"{value:.2f}"


def statement(result: dict) -> str:
    """One plain sentence for the run page, the model card and the promotion concern."""
    if result.get("auc") is None:
        return "Capture audit: not measured (too few images of each label)."
    strongest = result.get("strongest")
    detail = ""
    if strongest:
        s = result["per_statistic"][strongest]
        detail = (f" The strongest single statistic is {STATISTIC_WORDS[strongest]} (AUC {s['auc']:.2f}: median "
                  f"{value_words(strongest, s['authentic_median'])} for authentic works, {value_words(strongest, s['forged_median'])} for forgeries).")
    if result["concern"]:
        return (f"Your authentic and forged images differ in how they were photographed: capture statistics alone, with no "
                f"look at the painting, separate them with out-of-fold AUC {result['auc']:.2f} (concern from "
                f"{result['threshold']:.2f}).{detail} The model may have learned the camera; photograph both labels the same "
                f"way, or add authentic works photographed like the forgeries.")
    return (f"Capture audit: capture statistics alone separate the labels with out-of-fold AUC {result['auc']:.2f} "
            f"(concern from {result['threshold']:.2f}).{detail}")
