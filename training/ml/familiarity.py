"""How much an image's patches resemble the patches the model was trained on.

A classifier answers every input, including photographs unlike anything in its training data
(another medium, a blank wall, a screenshot); its score there is an extrapolation, not evidence.
This module measures that distance so the product can say so instead of giving a verdict.

Reference: the training patches' embeddings, as a mean and a Ledoit-Wolf shrunk covariance
(well-conditioned even with fewer patches than dimensions). A patch's distance is its
Mahalanobis distance to that reference, divided by sqrt(dim); an image's is the median over its
patches (robust to a few odd patches, such as a frame edge).

Threshold: the 99th percentile of *out-of-fold* image distances, each image measured against a
reference fitted without it (images grouped, k folds). So about 1 in 100 images like the
training images is flagged, and the threshold is not fooled by the in-sample distances, which
are smaller than any new image's would be.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUANTILE = 0.99
CALIBRATION_FOLDS = 5
MIN_IMAGES = 10  # fewer: no calibration worth the name; the model records no reference
MAX_REFERENCE_PATCHES = 20_000  # a random subsample beyond this keeps fitting to seconds


@dataclass
class Reference:
    mean: np.ndarray  # (dim,)
    precision: np.ndarray  # (dim, dim)
    threshold: float  # image distance above which an image is unfamiliar
    calibration: dict  # out-of-fold percentiles and counts, for the run page and model.json

    def patch_distances(self, features: np.ndarray) -> np.ndarray:
        return _distances(np.asarray(features, dtype=np.float64), self.mean, self.precision)

    def image_distance(self, features: np.ndarray) -> float:
        return float(np.median(self.patch_distances(features)))

    def assess(self, features: np.ndarray) -> dict:
        distance = self.image_distance(features)
        return {"distance": round(distance, 4), "threshold": round(self.threshold, 4), "unfamiliar": bool(distance > self.threshold)}

    def arrays(self) -> dict:
        return {"mean": self.mean.astype(np.float32), "precision": self.precision.astype(np.float32), "threshold": np.float64(self.threshold)}

    @classmethod
    def from_arrays(cls, arrays, calibration: dict | None = None) -> "Reference":
        return cls(
            mean=np.asarray(arrays["mean"], dtype=np.float64),
            precision=np.asarray(arrays["precision"], dtype=np.float64),
            threshold=float(arrays["threshold"]),
            calibration=calibration or {},
        )


def _distances(features: np.ndarray, mean: np.ndarray, precision: np.ndarray) -> np.ndarray:
    centred = features - mean
    squared = ((centred @ precision) * centred).sum(axis=1)
    return np.sqrt(np.maximum(squared, 0.0) / features.shape[1])


def _fit_moments(features: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.covariance import LedoitWolf

    if len(features) > MAX_REFERENCE_PATCHES:
        rows = np.random.default_rng(seed).choice(len(features), MAX_REFERENCE_PATCHES, replace=False)
        features = features[rows]
    estimate = LedoitWolf(assume_centered=False).fit(features)
    return estimate.location_, estimate.precision_


def fit(features: np.ndarray, patch_image: np.ndarray, *, seed: int = 0) -> Reference | None:
    """The reference for these training patches (`patch_image[i]` = image index of row i), or
    None when there are too few images to calibrate."""
    features = np.asarray(features, dtype=np.float64)
    images = np.unique(patch_image)
    if len(images) < MIN_IMAGES:
        return None
    order = np.random.default_rng(seed).permutation(images)
    oof: list[float] = []
    for fold in range(CALIBRATION_FOLDS):
        held_out = order[fold::CALIBRATION_FOLDS]
        held = np.isin(patch_image, held_out)
        mean, precision = _fit_moments(features[~held], seed + fold)
        for image in held_out:
            oof.append(float(np.median(_distances(features[patch_image == image], mean, precision))))
    mean, precision = _fit_moments(features, seed)
    distances = np.asarray(oof)
    threshold = float(np.quantile(distances, QUANTILE))
    calibration = {
        "quantile": QUANTILE,
        "images": int(len(images)),
        "out_of_fold_percentiles": {str(q): round(float(np.quantile(distances, q / 100)), 4) for q in (50, 90, 99)},
        "in_sample_median": round(float(np.median([np.median(_distances(features[patch_image == i], mean, precision)) for i in images])), 4),
    }
    return Reference(mean=mean, precision=precision, threshold=threshold, calibration=calibration)
