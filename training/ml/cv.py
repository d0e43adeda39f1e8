"""Nested cross-validation on fixed patch embeddings (RunRecords / ConfigRecords, seed 000).

Outer loop: k folds over IMAGES (all patches of an image stay together), stratified on the
image's stratum (label + `stratify_on` value, so both labels appear in every fold), shuffled
with `outer_split_seed`. Images are the groups, so StratifiedKFold over images is exactly a
StratifiedGroupKFold over patches: per stratum, fold sizes differ by at most one image.

Inner loop, inside each outer-training part only: one stratified hold-out (about a quarter of
the outer-training images) drawn with `inner_split_seed`. Every configuration of the grid is
trained on the inner-training images with early stopping on the hold-out; the configuration
with the lowest validation loss (best_val) is the fold's best. It is then refit on the whole
outer-training part for its best_epoch epochs and scored on the outer test fold, which no
step of the selection has seen.

The final configuration is the one with the lowest mean best_val across folds (every
configuration runs in every fold, so means compare like with like); the final model is fit
on all images for the median of that configuration's best epochs.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from sklearn.model_selection import StratifiedKFold

from training.ml import aggregate, head, metrics

INNER_VALIDATION_SPLITS = 4  # hold-out = 1/4 of the outer-training images

Progress = Callable[[str, float], None]


class NotEnoughData(ValueError):
    """The dataset version cannot support the requested folds; the message says why."""


@dataclass
class TrainingData:
    """Images and their patch embeddings. Patch rows are grouped by `patch_image` (image index)."""

    image_ids: list[str]
    labels: np.ndarray  # per image, 1 = forged
    strata: list[str]  # per image
    sublabels: list[str | None]
    features: np.ndarray  # (patches, dim)
    patch_image: np.ndarray  # (patches,) index into image_ids

    def rows(self, image_indices) -> np.ndarray:
        return np.flatnonzero(np.isin(self.patch_image, np.asarray(image_indices)))

    def patch_labels(self, rows: np.ndarray) -> np.ndarray:
        return self.labels[self.patch_image[rows]]


@dataclass
class ConfigResult:
    index: int
    hyperparameters: dict
    best_epoch: int
    best_val: float
    early_stopped: bool
    is_best_in_fold: bool = False
    inner_metrics: dict = field(default_factory=dict)


@dataclass
class FoldResult:
    fold_id: int
    train_images: list[int]
    test_images: list[int]
    inner_train_images: list[int]
    inner_val_images: list[int]
    configs: list[ConfigResult]
    best_index: int
    test_probabilities: list[float]
    metrics: dict = field(default_factory=dict)


@dataclass
class CVResult:
    folds: list[FoldResult]
    oof_probabilities: np.ndarray  # per image
    summary: dict  # mean_/std_ of each metric
    final_index: int
    final_epochs: int
    detail: dict  # per-fold, per-sublabel, calibration, ROC, thresholds


def strata_for(labels: np.ndarray, values: list[str | None]) -> list[str]:
    return [f"{'forged' if label else 'authentic'}|{value or ''}" for label, value in zip(labels, values)]


def _splitter(n_splits: int, seed: int) -> StratifiedKFold:
    return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)


def _split(indices: np.ndarray, strata: list[str], n_splits: int, seed: int):
    strata_here = np.asarray(strata)[indices]
    with warnings.catch_warnings():
        # A stratum smaller than n_splits is allowed: it just cannot be in every fold.
        warnings.simplefilter("ignore", UserWarning)
        return list(_splitter(n_splits, seed).split(np.zeros(len(indices)), strata_here))


def outer_folds(labels: np.ndarray, strata: list[str], k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(train image indices, test image indices)] for k outer folds."""
    labels = np.asarray(labels)
    if k < 2:
        raise NotEnoughData("k_folds must be at least 2.")
    for value, name in ((1, "forged"), (0, "authentic")):
        if (labels == value).sum() < k:
            raise NotEnoughData(f"{k} folds need at least {k} {name} images; the dataset version has {(labels == value).sum()}.")
    indices = np.arange(len(labels))
    return [(indices[train], indices[test]) for train, test in _split(indices, strata, k, seed)]


def inner_split(train_images: np.ndarray, labels: np.ndarray, strata: list[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(inner-train, validation) image indices inside one outer-training part."""
    train_images = np.asarray(train_images)
    smallest_label = min(int((labels[train_images] == 1).sum()), int((labels[train_images] == 0).sum()))
    if smallest_label < 2:
        raise NotEnoughData("Each outer-training part needs at least 2 images of each label for the inner split.")
    n_splits = min(INNER_VALIDATION_SPLITS, smallest_label)
    # Stratify on the label here when the finer strata are too small to split.
    inner, val = _split(train_images, strata, n_splits, seed)[0]
    if len(set(labels[train_images[val]])) < 2 or len(set(labels[train_images[inner]])) < 2:
        inner, val = _split(train_images, [str(v) for v in labels], n_splits, seed)[0]
    return train_images[inner], train_images[val]


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def _image_probs(trained: head.TrainedHead, data: TrainingData, images: np.ndarray) -> np.ndarray:
    rows = data.rows(images)
    logits = head.predict_logits(trained.head, data.features[rows])
    return aggregate.image_probabilities(logits, data.patch_image[rows], list(images))


def fit_config(data: TrainingData, train_images, val_images, hyperparameters: dict, seed: int) -> head.TrainedHead:
    train_rows, val_rows = data.rows(train_images), data.rows(val_images)
    return head.train(
        data.features[train_rows], data.patch_labels(train_rows), hyperparameters, seed=seed,
        val_x=data.features[val_rows], val_y=data.patch_labels(val_rows),
    )


def refit(data: TrainingData, train_images, hyperparameters: dict, epochs: int, seed: int) -> head.TrainedHead:
    rows = data.rows(train_images)
    return head.train(data.features[rows], data.patch_labels(rows), hyperparameters, seed=seed, epochs=max(1, int(epochs)))


def nested_cv(
    data: TrainingData,
    grid: list[dict],
    *,
    k_folds: int,
    outer_split_seed: int,
    inner_split_seed: int,
    progress: Progress | None = None,
    on_fold: Callable[[FoldResult], None] | None = None,
) -> CVResult:
    """Run the nested cross-validation; `on_fold` is called as each fold completes."""
    if not grid:
        raise ValueError("The hyperparameter grid is empty.")
    report = progress or (lambda message, fraction: None)
    folds: list[FoldResult] = []
    oof = np.full(len(data.image_ids), np.nan)
    splits = outer_folds(data.labels, data.strata, k_folds, outer_split_seed)
    for fold_id, (train_images, test_images) in enumerate(splits):
        inner_train, inner_val = inner_split(train_images, data.labels, data.strata, inner_split_seed)
        configs = []
        for index, hp in enumerate(grid):
            report(f"fold {fold_id + 1}/{k_folds}: configuration {index + 1}/{len(grid)}", (fold_id + index / len(grid)) / k_folds)
            trained = fit_config(data, inner_train, inner_val, hp, _seed(outer_split_seed, inner_split_seed, fold_id, index))
            val_probs = _image_probs(trained, data, inner_val)
            inner = metrics.binary_metrics(data.labels[inner_val], val_probs)
            configs.append(ConfigResult(index, trained.hyperparameters, trained.best_epoch, trained.best_val, trained.early_stopped, inner_metrics=inner))
        best = min(configs, key=lambda c: (c.best_val, c.index))
        best.is_best_in_fold = True
        final = refit(data, train_images, grid[best.index], best.best_epoch, _seed(outer_split_seed, fold_id, 10_000))
        probs = _image_probs(final, data, test_images)
        oof[test_images] = probs
        fold = FoldResult(
            fold_id, train_images.tolist(), test_images.tolist(), inner_train.tolist(), inner_val.tolist(), configs,
            best.index, probs.tolist(), metrics.binary_metrics(data.labels[test_images], probs),
        )
        folds.append(fold)
        if on_fold:
            on_fold(fold)
    report("evaluating out-of-fold predictions", 1.0)
    mean_val = [float(np.mean([f.configs[i].best_val for f in folds])) for i in range(len(grid))]
    final_index = int(np.argmin(mean_val))
    final_epochs = int(round(float(np.median([f.configs[final_index].best_epoch for f in folds]))))
    detail = evaluate(data, folds, oof)
    detail["mean_inner_val"] = mean_val
    summary = metrics.mean_std([f.metrics for f in folds])
    return CVResult(folds, oof, summary, final_index, max(1, final_epochs), detail)


def evaluate(data: TrainingData, folds: list[FoldResult], oof: np.ndarray) -> dict:
    """Out-of-fold evaluation: per-fold and per-sublabel metrics, calibration, ROC, and the
    verdict thresholds (for fold f, chosen from the OTHER folds' predictions only; for the
    final model, from all out-of-fold predictions)."""
    y = data.labels
    per_fold = []
    for fold in folds:
        test = np.asarray(fold.test_images)
        others = np.setdiff1d(np.arange(len(y)), test)
        thresholds = metrics.choose_thresholds(y[others], oof[others])
        per_fold.append({
            "fold_id": fold.fold_id,
            **{name: fold.metrics.get(name) for name in metrics.METRIC_NAMES},
            "n_test": len(test),
            "per_sublabel": metrics.per_sublabel(y[test], oof[test], [data.sublabels[i] for i in test]),
            "thresholds": thresholds,
            "verdicts": metrics.verdict_counts(y[test], oof[test], thresholds),
        })
    return {
        "per_fold": per_fold,
        "per_sublabel": metrics.per_sublabel(y, oof, data.sublabels),
        "pooled": metrics.binary_metrics(y, oof),
        "calibration": metrics.calibration(y, oof),
        "roc": metrics.roc_points(y, oof),
        "thresholds": metrics.choose_thresholds(y, oof),
        "oof": [{"image_id": data.image_ids[i], "label": int(y[i]), "sublabel": data.sublabels[i], "probability": float(oof[i])} for i in range(len(y))],
    }
