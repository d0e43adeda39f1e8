"""How much an image's patches resemble the patches the model was trained on.

A classifier answers every input, including photographs unlike anything in its training data
(another medium, a blank wall, a screenshot); its score there is an extrapolation, not evidence.
This module measures that distance so the product can say so instead of giving a verdict.

Reference: the training patches' embeddings as a probabilistic PCA (Tipping & Bishop): a mean,
the top COMPONENTS principal directions with a Ledoit-Wolf shrunk covariance inside them, and
one isotropic variance for everything outside them. A patch's distance is its Mahalanobis
distance under that model (inside the subspace, plus the residual's energy over the residual
variance), divided by sqrt(dim); an image's is the median over its patches (robust to a few odd
patches, such as a frame edge). A full covariance of 2,000+ dimensions took most of a training
run to fit and invert six times; this costs a randomized SVD and a small matrix instead, and
still sees a photograph that leaves the training subspace (a blank wall, another medium).

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
COMPONENTS = 96  # principal directions modelled in full; the rest share one variance


@dataclass
class Reference:
    mean: np.ndarray  # (dim,)
    precision: np.ndarray  # (k, k) inside the subspace; (dim, dim) for references saved before PCA
    threshold: float  # image distance above which an image is unfamiliar
    calibration: dict  # out-of-fold percentiles and counts, for the run page and model.json
    components: np.ndarray | None = None  # (k, dim) orthonormal rows; None = full covariance
    residual_variance: float = 1.0

    def patch_distances(self, features: np.ndarray) -> np.ndarray:
        return _distances(np.asarray(features, dtype=np.float64), self.mean, self.precision, self.components, self.residual_variance)

    def image_distance(self, features: np.ndarray) -> float:
        return float(np.median(self.patch_distances(features)))

    def assess(self, features: np.ndarray) -> dict:
        distance = self.image_distance(features)
        return {"distance": round(distance, 4), "threshold": round(self.threshold, 4), "unfamiliar": bool(distance > self.threshold)}

    def arrays(self) -> dict:
        out = {"mean": self.mean.astype(np.float32), "precision": self.precision.astype(np.float32), "threshold": np.float64(self.threshold)}
        if self.components is not None:
            out.update(components=self.components.astype(np.float32), residual_variance=np.float64(self.residual_variance))
        return out

    @classmethod
    def from_arrays(cls, arrays, calibration: dict | None = None) -> "Reference":
        has_components = "components" in getattr(arrays, "files", arrays)
        return cls(
            mean=np.asarray(arrays["mean"], dtype=np.float64),
            precision=np.asarray(arrays["precision"], dtype=np.float64),
            threshold=float(arrays["threshold"]),
            calibration=calibration or {},
            components=np.asarray(arrays["components"], dtype=np.float64) if has_components else None,
            residual_variance=float(arrays["residual_variance"]) if has_components else 1.0,
        )


def _distances(features: np.ndarray, mean: np.ndarray, precision: np.ndarray, components: np.ndarray | None = None,
               residual_variance: float = 1.0) -> np.ndarray:
    centred = features - mean
    if components is None:  # a full-covariance reference (saved before the PCA form)
        squared = ((centred @ precision) * centred).sum(axis=1)
    else:
        inside = centred @ components.T
        residual = (centred * centred).sum(axis=1) - (inside * inside).sum(axis=1)
        squared = ((inside @ precision) * inside).sum(axis=1) + np.maximum(residual, 0.0) / residual_variance
    return np.sqrt(np.maximum(squared, 0.0) / features.shape[1])


def _fit_moments(features: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mean, precision inside the subspace, components, residual variance)."""
    from sklearn.covariance import LedoitWolf
    from sklearn.utils.extmath import randomized_svd

    if len(features) > MAX_REFERENCE_PATCHES:
        rows = np.random.default_rng(seed).choice(len(features), MAX_REFERENCE_PATCHES, replace=False)
        features = features[rows]
    mean = features.mean(axis=0)
    centred = features - mean
    k = max(1, min(COMPONENTS, len(features) - 1, features.shape[1] - 1))
    _, _, components = randomized_svd(centred, k, n_iter=4, random_state=seed)
    inside = centred @ components.T
    residual = float(((centred * centred).sum() - (inside * inside).sum()) / (len(features) * (features.shape[1] - k)))
    precision = LedoitWolf(assume_centered=True).fit(inside).precision_
    return mean, precision, components, max(residual, 1e-12)


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
        moments = _fit_moments(features[~held], seed + fold)
        for image in held_out:
            oof.append(float(np.median(_distances(features[patch_image == image], *moments))))
    mean, precision, components, residual_variance = moments = _fit_moments(features, seed)
    distances = np.asarray(oof)
    threshold = float(np.quantile(distances, QUANTILE))
    calibration = {
        "quantile": QUANTILE,
        "images": int(len(images)),
        "out_of_fold_percentiles": {str(q): round(float(np.quantile(distances, q / 100)), 4) for q in (50, 90, 99)},
        "in_sample_median": round(float(np.median([np.median(_distances(features[patch_image == i], *moments)) for i in images])), 4),
        "components": int(components.shape[0]),
    }
    return Reference(mean=mean, precision=precision, threshold=threshold, calibration=calibration,
                     components=components, residual_variance=residual_variance)
