"""From patch probabilities to the image's probability, and to the verdict.

Rule: the image logit is the MEAN OF THE PATCH LOGITS; the image probability is its sigmoid.
Averaging in logit space lets a few confident patches move the result more than averaging
probabilities would, while every patch still counts. The forgery score shown to people is
round(100 * image probability), 0-100.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

LIKELY_AUTHENTIC = "LIKELY_AUTHENTIC"
INCONCLUSIVE = "INCONCLUSIVE"
LIKELY_FORGED = "LIKELY_FORGED"
# Used only when a run has too few out-of-fold predictions to choose its own.
DEFAULT_THRESHOLDS = {"authentic_below": 0.35, "forged_above": 0.65}


def sigmoid(values):
    x = np.clip(np.asarray(values, dtype=np.float64), -500, 500)
    return 1.0 / (1.0 + np.exp(-x))


def image_logit(patch_logits: Sequence[float]) -> float:
    if len(patch_logits) == 0:
        raise ValueError("An image needs at least one patch to be scored.")
    return float(np.mean(patch_logits))


def image_probability(patch_logits: Sequence[float]) -> float:
    return float(sigmoid(image_logit(patch_logits)))


def image_probabilities(logits: np.ndarray, groups: Sequence[str], order: Sequence[str]) -> np.ndarray:
    """Image probabilities for the images `order`, from patch `logits` with image ids `groups`."""
    groups = np.asarray(groups)
    return np.array([image_probability(logits[groups == image_id]) for image_id in order])


def forgery_score(probability: float) -> int:
    return int(round(100 * probability))


def verdict(probability: float, thresholds: dict) -> str:
    if probability < thresholds["authentic_below"]:
        return LIKELY_AUTHENTIC
    if probability > thresholds["forged_above"]:
        return LIKELY_FORGED
    return INCONCLUSIVE


def probability_to_logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))
