"""Nested cross-validation on fixed patch embeddings (RunRecords / ConfigRecords, seed 000).

Outer loop: k folds over IMAGES (all patches of an image stay together), stratified on the
image's stratum (label + `stratify_on` value, so both labels appear in every fold), shuffled
with `outer_split_seed`. Images are the groups, so StratifiedKFold over images is exactly a
StratifiedGroupKFold over patches: per stratum, fold sizes differ by at most one image.

Inner loop, inside each outer-training part only: one stratified hold-out (about a quarter of
the outer-training images) drawn with `inner_split_seed`. Every configuration of the grid is
trained on the inner-training images with early stopping on the hold-out, and judged there by
its `selection_score`: the highest image AUC, then the highest patch AUC, then the lowest
validation loss (best_val). The best score is the fold's best, the linear BASELINE winning
ties (training.ml.head). It is then refit on the whole outer-training part for its best_epoch
epochs and scored on the outer test fold, which no step of the selection has seen.

The final configuration is the best baseline (best selection score on the means across folds
of those three figures; every configuration runs in every fold, so means compare like with
like) unless another head's is better still: a head is served only when it beats the baseline
on inner validation. The final model is fit on all images for the median of its best epochs.

Out-of-fold image logits then give the calibration (training.ml.calibration) and the verdict
policy (training.ml.policy); see `evaluate`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.special import expit
from sklearn.model_selection import StratifiedKFold

from training.ml import aggregate, calibration, head, metrics, policy as policy_module

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
    # (patches,) True for rows of a re-photographed training copy (training.ml.capture.recapture):
    # heads train on them, but every score and metric reads the image as taken. None: no copies.
    patch_is_copy: np.ndarray | None = None

    def rows(self, image_indices) -> np.ndarray:
        """Every row of these images, copies included: what a head trains on."""
        return np.flatnonzero(np.isin(self.patch_image, np.asarray(image_indices)))

    def scoring_rows(self, image_indices) -> np.ndarray:
        """The rows of these images as taken: what validation and out-of-fold scores read."""
        rows = self.rows(image_indices)
        return rows if self.patch_is_copy is None else rows[~self.patch_is_copy[rows]]

    def with_copies(self, features: np.ndarray, owners: np.ndarray) -> "TrainingData":
        """These images plus re-photographed copies' patch rows (`owners`: image index per row)."""
        if not len(features):
            return self
        is_copy = np.zeros(len(self.features), dtype=bool) if self.patch_is_copy is None else self.patch_is_copy
        return TrainingData(
            self.image_ids, self.labels, self.strata, self.sublabels,
            np.concatenate([self.features, np.asarray(features, dtype=self.features.dtype)]),
            np.concatenate([self.patch_image, np.asarray(owners)]),
            np.concatenate([is_copy, np.ones(len(features), dtype=bool)]),
        )

    def patch_labels(self, rows: np.ndarray) -> np.ndarray:
        return self.labels[self.patch_image[rows]]

    def patch_types(self, rows: np.ndarray) -> np.ndarray:
        """Each row's image sublabel (the forgery type, for by-type heads)."""
        return np.asarray([self.sublabels[i] or "" for i in self.patch_image[rows]], dtype=object)


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
    head: object | None = None  # the fold's refit model (training.ml.robustness scores re-photographs with it)


@dataclass
class CVResult:
    folds: list[FoldResult]
    oof_probabilities: np.ndarray  # per image, uncalibrated: sigmoid(oof_logits)
    summary: dict  # mean_/std_ of each metric
    final_index: int
    final_epochs: int
    detail: dict  # per-fold, per-sublabel, calibration, ROC, policy
    oof_logits: np.ndarray | None = None  # per image: mean patch logit of the fold's model
    calibrator: calibration.Calibrator = calibration.IDENTITY


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


def _image_logits(trained: head.TrainedHead, data: TrainingData, images: np.ndarray) -> np.ndarray:
    rows = data.scoring_rows(images)
    return aggregate.image_logits(head.predict_logits(trained.head, data.features[rows]), data.patch_image[rows], images)


def selection_score(image_auc: float | None, patch_auc: float | None, val_loss: float | None) -> tuple:
    """How a configuration is judged on inner validation; smaller is better.

    Ranking first: the image AUC, then the patch AUC (a few hundred patches separate heads that
    tie on a couple of dozen images), and only then the validation loss. The served probability
    is the run's calibration applied to the image logit, fitted afterwards on out-of-fold
    predictions, so a head's own probability scale is not what it is chosen for. On the hard
    set, choosing by loss passed over heads that ranked better but were less confident
    (bench/results/verdicts_lda.json; docs/training.md)."""
    def missing_last(value):
        return -float(value) if value is not None and np.isfinite(value) else float("inf")

    return missing_last(image_auc), missing_last(patch_auc), float("inf") if val_loss is None else float(val_loss)


def _selection_key(config: ConfigResult, grid: list[dict]):
    """Best selection score; on a tie the baseline, then grid order."""
    score = selection_score(config.inner_metrics.get("auc"), config.inner_metrics.get("patch_auc"), config.best_val)
    return (score, 0 if head.is_baseline(grid[config.index]) else 1, config.index)


def final_choice(grid: list[dict], scores: list[tuple]) -> int:
    """The best baseline, unless another configuration's mean selection score beats it."""
    baselines = [i for i, hp in enumerate(grid) if head.is_baseline(hp)]
    best = min(range(len(grid)), key=lambda i: (scores[i], 0 if i in baselines else 1, i))
    if baselines and not head.is_baseline(grid[best]):
        best_baseline = min(baselines, key=lambda i: (scores[i], i))
        if not scores[best] < scores[best_baseline]:
            return best_baseline
    return best


def mean_selection_scores(folds: list[FoldResult], grid: list[dict]) -> tuple[list[float], list[float], list[float]]:
    """Per configuration: mean inner image AUC, mean inner patch AUC, mean validation loss."""
    def mean(values):
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    return tuple(
        [mean([fold.configs[i].inner_metrics.get(name) if name else fold.configs[i].best_val for fold in folds]) for i in range(len(grid))]
        for name in ("auc", "patch_auc", None)
    )


def fit_config(data: TrainingData, train_images, val_images, hyperparameters: dict, seed: int) -> head.TrainedHead:
    train_rows, val_rows = data.rows(train_images), data.scoring_rows(val_images)
    return head.train(
        data.features[train_rows], data.patch_labels(train_rows), hyperparameters, seed=seed,
        val_x=data.features[val_rows], val_y=data.patch_labels(val_rows), types=data.patch_types(train_rows),
        groups=data.patch_image[train_rows],
    )


def refit(data: TrainingData, train_images, hyperparameters: dict, epochs: int, seed: int) -> head.TrainedHead:
    rows = data.rows(train_images)
    return head.train(data.features[rows], data.patch_labels(rows), hyperparameters, seed=seed, epochs=max(1, int(epochs)),
                      types=data.patch_types(rows), groups=data.patch_image[rows])


def nested_cv(
    data: TrainingData,
    grid: list[dict],
    *,
    k_folds: int,
    outer_split_seed: int,
    inner_split_seed: int,
    progress: Progress | None = None,
    on_fold: Callable[[FoldResult], None] | None = None,
    targets: dict | None = None,
) -> CVResult:
    """Run the nested cross-validation; `on_fold` is called as each fold completes."""
    if not grid:
        raise ValueError("The hyperparameter grid is empty.")
    report = progress or (lambda message, fraction: None)
    folds: list[FoldResult] = []
    oof = np.full(len(data.image_ids), np.nan)  # image logits
    splits = outer_folds(data.labels, data.strata, k_folds, outer_split_seed)
    for fold_id, (train_images, test_images) in enumerate(splits):
        inner_train, inner_val = inner_split(train_images, data.labels, data.strata, inner_split_seed)
        configs = []
        for index, hp in enumerate(grid):
            report(f"fold {fold_id + 1}/{k_folds}: configuration {index + 1}/{len(grid)}", (fold_id + index / len(grid)) / k_folds)
            trained = fit_config(data, inner_train, inner_val, hp, _seed(outer_split_seed, inner_split_seed, fold_id, index))
            val_rows = data.scoring_rows(inner_val)
            patch_logits = head.predict_logits(trained.head, data.features[val_rows])
            val_probs = expit(aggregate.image_logits(patch_logits, data.patch_image[val_rows], inner_val))
            inner = {
                **metrics.binary_metrics(data.labels[inner_val], val_probs),
                "patch_auc": metrics.auc_score(data.patch_labels(val_rows), patch_logits),
            }
            configs.append(ConfigResult(index, trained.hyperparameters, trained.best_epoch, trained.best_val, trained.early_stopped, inner_metrics=inner))
        best = min(configs, key=lambda c: _selection_key(c, grid))
        best.is_best_in_fold = True
        final = refit(data, train_images, grid[best.index], best.best_epoch, _seed(outer_split_seed, fold_id, 10_000))
        fold_logits = _image_logits(final, data, test_images)
        oof[test_images] = fold_logits
        probs = expit(fold_logits)
        fold = FoldResult(
            fold_id, train_images.tolist(), test_images.tolist(), inner_train.tolist(), inner_val.tolist(), configs,
            best.index, probs.tolist(), metrics.binary_metrics(data.labels[test_images], probs), head=final.head,
        )
        folds.append(fold)
        if on_fold:
            on_fold(fold)
    report("evaluating out-of-fold predictions", 1.0)
    mean_auc, mean_patch_auc, mean_val = mean_selection_scores(folds, grid)
    final_index = final_choice(grid, [selection_score(*scores) for scores in zip(mean_auc, mean_patch_auc, mean_val)])
    final_epochs = int(round(float(np.median([f.configs[final_index].best_epoch for f in folds]))))
    detail, calibrator = evaluate(data, folds, oof, targets)
    detail["mean_inner_val"] = mean_val
    detail["mean_inner_auc"] = mean_auc
    detail["mean_inner_patch_auc"] = mean_patch_auc
    summary = metrics.mean_std([f.metrics for f in folds])
    return CVResult(folds, expit(oof), summary, final_index, max(1, final_epochs), detail, oof, calibrator)


def evaluate(data: TrainingData, folds: list[FoldResult], oof_logits: np.ndarray, targets: dict | None = None) -> tuple[dict, calibration.Calibrator]:
    """Out-of-fold evaluation and the served calibration and verdict policy.

    - Calibration: Platt scaling fitted on all out-of-fold logits (the served calibrator); its
      quality is measured cross-fitted (each fold calibrated by the other folds), before/after.
    - Policy: thresholds chosen on the calibrated out-of-fold probabilities.
    - Per fold, an honest check of the policy: calibration and thresholds chosen from the OTHER
      folds only, then applied to this fold; `policy_check` pools those verdicts.
    AUC and the other ranking metrics are unchanged by calibration (it is monotone)."""
    y = data.labels
    raw = expit(oof_logits)
    tests = [np.asarray(fold.test_images) for fold in folds]
    calibrator = calibration.fit_platt(oof_logits, y)
    if calibrator.method == "none":
        calibrated, crossfit_reason = raw, calibrator.reason
        cross_fitted = raw
    else:
        cross_fitted, crossfit_reason = calibration.cross_fitted(oof_logits, y, tests)
        calibrator = calibration.choose(calibrator, y, raw, cross_fitted)
        calibrated = calibrator.probability(oof_logits)
        if calibrator.method == calibration.IDENTITY_METHOD:
            cross_fitted = raw
    policy = policy_module.choose(y, calibrated, targets, sublabels=[data.sublabels[i] for i in range(len(y))])
    per_fold = []
    for fold, test in zip(folds, tests):
        others = np.setdiff1d(np.arange(len(y)), test)
        fold_calibrator = calibration.fit_platt(oof_logits[others], y[others])
        if fold_calibrator.method == "none":
            fold_calibrator = calibrator  # too few to refit: the (identity or global) calibrator
        fold_policy = policy_module.choose(y[others], fold_calibrator.probability(oof_logits[others]), targets)
        fold_probs = fold_calibrator.probability(oof_logits[test])
        per_fold.append({
            "fold_id": fold.fold_id,
            **{name: fold.metrics.get(name) for name in metrics.METRIC_NAMES},
            "n_test": len(test),
            "per_sublabel": metrics.per_sublabel(y[test], raw[test], [data.sublabels[i] for i in test]),
            "thresholds": {key: fold_policy[key] for key in ("authentic_below", "forged_above")},
            "policy_chosen_on": len(others),
            "verdicts": metrics.verdict_counts(y[test], fold_probs, fold_policy),
            "rates": policy_module.measured_rates(y[test], fold_probs, fold_policy),
        })
    pooled_check = _pooled_check(per_fold)
    detail = {
        "per_fold": per_fold,
        "per_sublabel": metrics.per_sublabel(y, calibrated, data.sublabels),
        "pooled": metrics.binary_metrics(y, calibrated),
        "calibration": metrics.calibration(y, cross_fitted),
        "calibration_before": metrics.calibration(y, raw),
        "calibrator": {**calibrator.as_dict(), "crossfit_reason": crossfit_reason},
        "roc": metrics.roc_points(y, raw),
        "policy": policy,
        "policy_check": pooled_check,
        "thresholds": {key: policy[key] for key in ("authentic_below", "forged_above")},
        "oof": [
            {"image_id": data.image_ids[i], "label": int(y[i]), "sublabel": data.sublabels[i],
             "logit": float(oof_logits[i]), "probability": float(calibrated[i])}
            for i in range(len(y))
        ],
    }
    return detail, calibrator


def _pooled_check(per_fold: list[dict]) -> dict:
    """The per-fold policy checks pooled: each fold's images under thresholds that never saw them."""
    totals: dict = {}
    for fold in per_fold:
        for key, value in fold["rates"].items():
            bucket = totals.setdefault(key, {})
            for name, number in value.items():
                if name != "rate" and number is not None:
                    bucket[name] = bucket.get(name, 0) + number
    for key in ("forged_called_authentic", "authentic_called_forged", "decided"):
        bucket = totals.get(key, {})
        bucket["rate"] = bucket["count"] / bucket["of"] if bucket.get("of") else None
    return totals
