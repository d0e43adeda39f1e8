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
from scipy.special import expit

LIKELY_AUTHENTIC = "LIKELY_AUTHENTIC"
INCONCLUSIVE = "INCONCLUSIVE"
LIKELY_FORGED = "LIKELY_FORGED"


def image_logit(patch_logits: Sequence[float]) -> float:
    if len(patch_logits) == 0:
        raise ValueError("An image needs at least one patch to be scored.")
    return float(np.mean(patch_logits))


def image_probability(patch_logits: Sequence[float]) -> float:
    return float(expit(image_logit(patch_logits)))


def image_logits(logits: np.ndarray, groups: Sequence, order: Sequence) -> np.ndarray:
    """Image logits for the images `order`, from patch `logits` whose images are `groups`."""
    groups = np.asarray(groups)
    return np.array([image_logit(logits[groups == image]) for image in order])


def forgery_score(probability: float) -> int:
    return int(round(100 * probability))


def verdict(probability: float, thresholds: dict) -> str:
    """A threshold of None means the model never gives that verdict (its error-rate target
    could not be met; training.ml.policy)."""
    low, high = thresholds.get("authentic_below"), thresholds.get("forged_above")
    if low is not None and probability < low:
        return LIKELY_AUTHENTIC
    if high is not None and probability > high:
        return LIKELY_FORGED
    return INCONCLUSIVE


def probability_to_logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))
