"""Image-level metrics, per-sublabel results and the reliability curve (ECE).

The metrics are scikit-learn's (sklearn.metrics, sklearn.calibration.calibration_curve); this
module shapes them into the dicts runs store. Label 1 = forged (the positive class), 0 =
authentic; the decision threshold for accuracy, precision, recall and F1 is probability >= 0.5.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support, roc_auc_score, roc_curve


METRIC_NAMES = ("accuracy", "auc", "f1", "precision", "recall")


def auc_score(y_true: Sequence[int], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (ties count a half); None when only one class is present."""
    y = np.asarray(y_true, dtype=int)
    if len(set(y.tolist())) < 2:
        return None
    return float(roc_auc_score(y, np.asarray(scores, dtype=np.float64)))


def binary_metrics(y_true: Sequence[int], probabilities: Sequence[float], threshold: float = 0.5) -> dict:
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(probabilities, dtype=np.float64)
    predicted = (p >= threshold).astype(int)
    tn, fp, fn, tp = (int(count) for count in confusion_matrix(y, predicted, labels=[0, 1]).ravel())
    precision, recall, f1, _ = precision_recall_fscore_support(y, predicted, labels=[0, 1], pos_label=1, average="binary", zero_division=0.0)
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "auc": auc_score(y, p),
        "f1": float(f1),
        "precision": float(precision),
        "recall": float(recall),
        "n": int(len(y)),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def mean_std(per_fold: list[dict]) -> dict:
    """{"mean_<m>", "std_<m>"} over folds (population std, ddof=0); folds where a metric is
    undefined (AUC with one class) are left out of that metric."""
    out = {}
    for name in METRIC_NAMES:
        values = [fold[name] for fold in per_fold if fold.get(name) is not None]
        out[f"mean_{name}"] = float(np.mean(values)) if values else None
        out[f"std_{name}"] = float(np.std(values)) if values else None
    return out


def per_sublabel(y_true, probabilities, sublabels, threshold: float = 0.5) -> dict:
    """For each sublabel: count, accuracy (share classified as its own label), mean score, and
    AUC of that sublabel's images against all images of the opposite label."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(probabilities, dtype=np.float64)
    subs = np.asarray([s or "(none)" for s in sublabels])
    out = {}
    for sub in sorted(set(subs.tolist())):
        mask = subs == sub
        label = int(round(float(y[mask].mean())))
        own = mask & (y == label)
        opposite = y != label
        pick = own | opposite
        auc = auc_score(y[pick], p[pick]) if own.any() and opposite.any() else None
        correct = ((p[own] >= threshold).astype(int) == label).mean() if own.any() else None
        out[sub] = {
            "label": "forged" if label else "authentic",
            "n": int(mask.sum()),
            "accuracy": float(correct) if correct is not None else None,
            "auc": auc,
            "mean_probability": float(p[mask].mean()),
        }
    return out


def calibration(y_true, probabilities, bins: int = 10) -> dict:
    """Reliability curve over equal-width bins (scikit-learn's calibration_curve; a bin is
    (lo, hi], the first also takes 0) and the expected calibration error
    ECE = sum_b (n_b / n) * |mean predicted_b - observed forged share_b|."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(probabilities, dtype=np.float64)
    if not len(p):
        return {"bins": [], "ece": None}
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=bins)  # calibration_curve's own binning
    filled = np.flatnonzero(counts)
    curve = [{"lo": float(edges[b]), "hi": float(edges[b + 1]), "n": int(counts[b]), "mean_probability": float(mean_pred),
              "forged_share": float(share)} for b, mean_pred, share in zip(filled, predicted, observed)]
    ece = float(np.sum(counts[filled] / len(p) * np.abs(predicted - observed)))
    return {"bins": curve, "ece": ece}


def roc_points(y_true, probabilities) -> list[list[float]]:
    """[[fpr, tpr], ...] from (0,0) to (1,1), one point per distinct threshold; a rate with no
    images of its label to count stays 0."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(probabilities, dtype=np.float64)
    if not len(y):
        return [[0.0, 0.0], [1.0, 1.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # one label only: that rate is nan
        fpr, tpr, _ = roc_curve(y, p, pos_label=1, drop_intermediate=False)
    points = np.nan_to_num(np.column_stack([fpr, tpr])).tolist()
    if points[-1] != [1.0, 1.0]:
        points.append([1.0, 1.0])
    return points


def verdict_counts(y_true, probabilities, thresholds: dict) -> dict:
    """How the verdicts fall on images scored with `thresholds` (chosen elsewhere)."""
    from training.ml.aggregate import verdict

    y = np.asarray(y_true, dtype=int)
    counts: dict = {}
    for label, prob in zip(y, probabilities):
        key = f"{verdict(float(prob), thresholds)}|{'forged' if label else 'authentic'}"
        counts[key] = counts.get(key, 0) + 1
    return counts
