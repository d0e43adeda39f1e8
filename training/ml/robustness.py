"""Robustness measured in every run: do decided verdicts survive a re-photograph? (issue 26)

The out-of-fold works (up to MAX_WORKS of them, both labels, chosen evenly) are re-photographed
with training.ml.capture.RUN_CHANGES. Each is scored by the model of the fold that did not train
on it, calibrated and judged by the run's own calibration and verdict policy, exactly as its
as-taken out-of-fold score was. Per change: the AUC against the as-taken AUC, the decided flips
(LIKELY_AUTHENTIC <-> LIKELY_FORGED on the same work) as a share of the works, and the
INCONCLUSIVE share.

A benign change (capture.Change.severity "benign") whose flips exceed BENIGN_FLIP_LIMIT (2%) of
the works is a promotion concern. Harsh changes are expected to lose verdicts to INCONCLUSIVE,
never to gain decided errors. Measured twice in a run: the model alone, whose robust changes
(`robust`) widen the capture check's envelope (training.ml.capture_check) by their photographs'
statistics; then as served, with the check making photographs outside the envelope INCONCLUSIVE.
The concerns come from the second: what a user would get.
"""
from __future__ import annotations

import numpy as np

from training.ml import aggregate, capture, head as head_module, metrics, policy as policy_module

MAX_WORKS = 40  # 10 changes x 40 works cost about what 9 x 48 did; one flip (2.5%) is already over the 2% concern limit
BENIGN_FLIP_LIMIT = 0.02
ROBUST_AUC_DROP = 0.03


def works_to_measure(labels, limit: int = MAX_WORKS, seed: int = 0) -> np.ndarray:
    """Image indices to re-photograph: all when few, else `limit` split evenly over the labels."""
    labels = np.asarray(labels)
    if len(labels) <= limit:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    chosen = []
    for value in (0, 1):
        pool = np.flatnonzero(labels == value)
        take = min(len(pool), limit // 2 + (limit % 2 if value else 0))
        chosen.extend(rng.choice(pool, take, replace=False).tolist())
    return np.sort(np.asarray(chosen))


def robust(severity: str, flips: int, works: int, errors: int, base_errors: int, auc, base_auc) -> bool:
    """Whether a change may widen the capture check's envelope: at most one flip (or 2% of the
    works), no more decided errors than one more than as taken, and the AUC within 0.03."""
    if flips > max(1, int(BENIGN_FLIP_LIMIT * works)) or errors > base_errors + 1:
        return False
    return auc is not None and base_auc is not None and base_auc - auc <= ROBUST_AUC_DROP


def _decided_errors(labels, verdicts) -> int:
    return int(((verdicts == aggregate.LIKELY_FORGED) & (labels == 0)).sum() + ((verdicts == aggregate.LIKELY_AUTHENTIC) & (labels == 1)).sum())


def measure(*, labels, folds, oof_logits, calibrator, served_policy: dict, works: np.ndarray,
            changed: dict[str, tuple[np.ndarray, np.ndarray]], outside: dict[str, np.ndarray] | None = None) -> dict:
    """`changed`: {change name: (patch features, patch owner as an index into `works`)}.
    `folds`: the run's cv.FoldResult list (each with its refit head). `outside`: {change name:
    per work, True where the capture check (training.ml.capture_check) puts the photograph
    outside the validated envelope}: those verdicts are INCONCLUSIVE, as they would be served.
    Without it the figures are the model's alone."""
    labels = np.asarray(labels, dtype=int)
    works = np.asarray(works)
    fold_of = {}
    for fold in folds:
        for image in fold.test_images:
            fold_of[int(image)] = fold
    y = labels[works]
    base_probability = calibrator.probability(np.asarray(oof_logits)[works])
    base = np.array([policy_module.verdict(float(p), served_policy) for p in base_probability])
    base_auc = metrics.auc_score(y, base_probability)
    rows = []
    for name, (features, owners) in changed.items():
        change = capture.CHANGES_BY_NAME[name]
        logits = np.full(len(works), np.nan)
        for position, image in enumerate(works):
            rows_here = np.flatnonzero(owners == position)
            fold = fold_of.get(int(image))
            if fold is None or fold.head is None or not len(rows_here):
                continue
            logits[position] = aggregate.image_logit(head_module.predict_logits(fold.head, features[rows_here]))
        scored = ~np.isnan(logits)
        probability = np.where(scored, calibrator.probability(np.nan_to_num(logits)), np.nan)
        verdicts = np.array([policy_module.verdict(float(p), served_policy) if s else aggregate.INCONCLUSIVE for p, s in zip(probability, scored)])
        held_back = np.zeros(len(works), dtype=bool) if outside is None or name not in outside else np.asarray(outside[name], dtype=bool)
        verdicts[held_back] = aggregate.INCONCLUSIVE
        flips = int((((base == aggregate.LIKELY_AUTHENTIC) & (verdicts == aggregate.LIKELY_FORGED))
                     | ((base == aggregate.LIKELY_FORGED) & (verdicts == aggregate.LIKELY_AUTHENTIC))).sum())
        auc = metrics.auc_score(y[scored], probability[scored]) if scored.any() else None
        errors, base_errors = _decided_errors(y, verdicts), _decided_errors(y, base)
        flip_share = flips / len(works) if len(works) else 0.0
        concern = (change.severity == "benign" and flip_share > BENIGN_FLIP_LIMIT) or (change.severity == "harsh" and errors > base_errors)
        rows.append({
            "name": name, "words": change.words, "severity": change.severity,
            "auc": None if auc is None else round(float(auc), 4),
            "auc_drop": None if auc is None or base_auc is None else round(float(base_auc - auc), 4),
            "flips": flips, "flip_share": round(flip_share, 4), "works": int(len(works)),
            "decided_errors": errors, "decided_errors_as_taken": base_errors,
            "inconclusive": round(float((verdicts == aggregate.INCONCLUSIVE).mean()), 4),
            "outside_envelope": int(held_back.sum()),
            "robust": robust(change.severity, flips, len(works), errors, base_errors, auc, base_auc),
            "concern": bool(concern),
        })
    result = {"works": int(len(works)), "as_taken_auc": None if base_auc is None else round(float(base_auc), 4),
              "benign_flip_limit": BENIGN_FLIP_LIMIT, "with_capture_check": outside is not None, "changes": rows}
    result["concerns"] = concerns(result)
    return result


def concerns(result: dict) -> list[str]:
    out = []
    for row in result.get("changes", []):
        if not row.get("concern"):
            continue
        if row["severity"] == "harsh":
            out.append(f"Photographs {row['words']} get more decided errors than as taken ({row['decided_errors']} against "
                       f"{row['decided_errors_as_taken']} of {row['works']} validation works).")
        else:
            out.append(f"Decided verdicts flip when a photograph is {row['words']}: {row['flips']} of {row['works']} validation works "
                       f"({row['flip_share']:.0%}; at most {result['benign_flip_limit']:.0%} expected of a benign change).")
    return out
