"""Image-level metrics, per-sublabel results and the reliability curve (ECE).

Computed here with numpy (tests check them against scikit-learn on fixed examples).
Label 1 = forged (the positive class), 0 = authentic; the decision threshold for accuracy,
precision, recall and F1 is probability >= 0.5.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


METRIC_NAMES = ("accuracy", "auc", "f1", "precision", "recall")


def auc_score(y_true: Sequence[int], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties); None when only
    one class is present."""
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=np.float64)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def binary_metrics(y_true: Sequence[int], probabilities: Sequence[float], threshold: float = 0.5) -> dict:
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(probabilities, dtype=np.float64)
    predicted = (p >= threshold).astype(int)
    tp = int(((predicted == 1) & (y == 1)).sum())
    fp = int(((predicted == 1) & (y == 0)).sum())
    fn = int(((predicted == 0) & (y == 1)).sum())
    tn = int(((predicted == 0) & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": (tp + tn) / len(y) if len(y) else 0.0,
        "auc": auc_score(y, p),
        "f1": f1,
        "precision": precision,
        "recall": recall,
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
    """Reliability curve over equal-width bins and the expected calibration error
    ECE = sum_b (n_b / n) * |mean predicted_b - observed forged share_b|."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(probabilities, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    curve, ece = [], 0.0
    for b in range(bins):
        mask = index == b
        if not mask.any():
            continue
        mean_pred, observed = float(p[mask].mean()), float(y[mask].mean())
        ece += mask.sum() / len(p) * abs(mean_pred - observed)
        curve.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "n": int(mask.sum()), "mean_probability": mean_pred, "forged_share": observed})
    return {"bins": curve, "ece": float(ece) if len(p) else None}


def roc_points(y_true, probabilities) -> list[list[float]]:
    """[[fpr, tpr], ...] from (0,0) to (1,1), one point per distinct threshold."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(probabilities, dtype=np.float64)
    positives, negatives = max(1, int(y.sum())), max(1, int(len(y) - y.sum()))
    points = [[0.0, 0.0]]
    for threshold in sorted(set(p.tolist()), reverse=True):
        predicted = p >= threshold
        points.append([float((predicted & (y == 0)).sum() / negatives), float((predicted & (y == 1)).sum() / positives)])
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
