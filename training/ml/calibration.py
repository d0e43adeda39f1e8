"""Calibrated forgery probabilities: Platt scaling of the image logit, fitted on OUT-OF-FOLD
predictions only.

The image logit (mean of the patch logits) ranks images well but its scale is arbitrary: a head
trained on patches is over- or under-confident about whole images. Platt scaling maps it to
sigmoid(a * logit + b). It is fitted on the out-of-fold image logits (never on the images a
model was trained on) with Platt's smoothed targets, (N+ + 1) / (N+ + 2) and 1 / (N- + 2),
which keep the slope finite when the classes separate perfectly, as they do on easy data.

The calibrated error is itself measured out of fold: for each outer fold, a calibrator fitted on
the OTHER folds' predictions is applied to this fold ("cross-fitted"), and the ECE of those
predictions is reported beside the ECE of the raw ones. The served calibrator is fitted on all
out-of-fold predictions.

Platt is served only when it earns its place: when the cross-fitted calibrated predictions
have a lower out-of-fold log loss than the raw ones. A linear head trained on balanced patches
is often about as well calibrated at the image level already, and two more parameters fitted
on a hundred predictions then add noise (bench/bench_verdicts.py measured this on the hard
set); the raw probabilities are then served (method "identity"), and `reason` says why.

Too few predictions (fewer than MIN_IMAGES, or fewer than MIN_PER_CLASS of a class) give no
calibration: scores stay uncalibrated (method "none") and `reason` says why.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.metrics import log_loss as sklearn_log_loss

MIN_IMAGES = 20
MIN_PER_CLASS = 5
METHOD = "platt"
IDENTITY_METHOD = "identity"  # the raw probabilities, kept because Platt did not improve them


@dataclass(frozen=True)
class Calibrator:
    a: float = 1.0
    b: float = 0.0
    method: str = METHOD  # "platt", or "none" (identity) when it could not be fitted
    reason: str = ""  # why there is no calibration (method "none")

    def logit(self, logits) -> np.ndarray:
        return self.a * np.asarray(logits, dtype=np.float64) + self.b

    def probability(self, logits) -> np.ndarray:
        return expit(self.logit(logits))

    def as_dict(self) -> dict:
        return {"method": self.method, "a": self.a, "b": self.b, "reason": self.reason}

    @classmethod
    def from_dict(cls, value: dict | None) -> "Calibrator":
        if not value:
            return IDENTITY
        return cls(a=float(value.get("a", 1.0)), b=float(value.get("b", 0.0)), method=str(value.get("method") or METHOD), reason=str(value.get("reason") or ""))


IDENTITY = Calibrator(method="none", reason="This model predates calibration.")


def too_few(y) -> str:
    """Why these labels cannot support a calibration fit, or "" when they can."""
    y = np.asarray(y, dtype=int)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if len(y) < MIN_IMAGES or min(positives, negatives) < MIN_PER_CLASS:
        return (f"Scores are not calibrated: calibration needs at least {MIN_IMAGES} out-of-fold predictions with "
                f"{MIN_PER_CLASS} of each label, and this run has {len(y)} ({negatives} authentic, {positives} forged).")
    return ""


def fit_platt(logits, y, *, iterations: int = 100) -> Calibrator:
    """Platt's method (Newton's method on the smoothed-target log loss, as in Lin, Lin & Weng
    2007). Raises nothing: too few predictions give the identity with a reason."""
    y = np.asarray(y, dtype=int)
    reason = too_few(y)
    if reason:
        return Calibrator(method="none", reason=reason)
    f = np.asarray(logits, dtype=np.float64)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    target = np.where(y == 1, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
    a, b = 0.0, math.log((positives + 1.0) / (negatives + 1.0))  # start: the smoothed base rate
    for _ in range(iterations):
        p = expit(a * f + b)
        gradient = np.array([np.sum((p - target) * f), np.sum(p - target)])
        w = np.maximum(p * (1 - p), 1e-12)
        hessian = np.array([[np.sum(w * f * f), np.sum(w * f)], [np.sum(w * f), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        # Backtracking keeps Newton's method from overshooting on nearly separable data.
        loss = _loss(a, b, f, target)
        scale = 1.0
        while scale > 1e-6 and _loss(a - scale * step[0], b - scale * step[1], f, target) > loss + 1e-12:
            scale /= 2
        a, b = a - scale * step[0], b - scale * step[1]
        if np.max(np.abs(scale * step)) < 1e-9:
            break
    return Calibrator(a=float(a), b=float(b))


def _loss(a: float, b: float, f: np.ndarray, target: np.ndarray) -> float:
    z = a * f + b
    # log(1 + e^z) - t z, computed stably
    return float(np.sum(np.logaddexp(0.0, z) - target * z))


def log_loss(y, probabilities) -> float:
    """scikit-learn's log loss, with probabilities held 1e-6 from 0 and 1 so that one image
    scored with certainty on the wrong side cannot decide the comparison alone."""
    return float(sklearn_log_loss(y, np.clip(np.asarray(probabilities, dtype=np.float64), 1e-6, 1 - 1e-6), labels=[0, 1]))


def choose(platt: Calibrator, y, raw, cross_fitted_probabilities) -> Calibrator:
    """`platt` when its cross-fitted predictions beat the raw ones on log loss, else the
    identity with the two losses in its reason."""
    raw_loss, platt_loss = log_loss(y, raw), log_loss(y, cross_fitted_probabilities)
    if platt_loss < raw_loss:
        return platt
    return Calibrator(method=IDENTITY_METHOD, reason=(
        f"The raw probabilities are served as they are: out of fold they were already as well calibrated "
        f"(log loss {raw_loss:.3f}) as after Platt scaling ({platt_loss:.3f})."))


def cross_fitted(logits, y, folds: list[np.ndarray]) -> tuple[np.ndarray, str]:
    """Calibrated out-of-fold probabilities: fold f's predictions mapped by a calibrator fitted
    on the other folds only. Returns (probabilities, reason); reason is non-empty and the
    probabilities are the raw sigmoid when some fold's complement is too small to fit."""
    f = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=int)
    out = np.empty(len(f))
    for test in folds:
        others = np.setdiff1d(np.arange(len(f)), test)
        calibrator = fit_platt(f[others], y[others])
        if calibrator.method == "none":
            return expit(f), calibrator.reason
        out[test] = calibrator.probability(f[test])
    return out, ""
