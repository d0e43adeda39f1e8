"""Nested cross-validation on synthetic embeddings (no backbone): folds, stratification,
reproducibility, and that model selection never sees the outer test fold."""
from collections import Counter

import numpy as np
import pytest

from training.ml import cv, head

GRID = [
    {"hidden": 0, "lr": 0.01, "weight_decay": 0.0001, "dropout": 0.0, "max_epochs": 15, "patience": 3},
    {"hidden": 0, "lr": 0.01, "weight_decay": 0.1, "dropout": 0.0, "max_epochs": 15, "patience": 3},
    {"hidden": 16, "lr": 0.01, "weight_decay": 0.0001, "dropout": 0.1, "max_epochs": 15, "patience": 3},
]


def make_data(n_images=41, patches=3, dim=8, seed=0) -> cv.TrainingData:
    rng = np.random.default_rng(seed)
    sublabels = [("original" if i % 5 < 2 else ("copy" if i % 5 == 2 else ("pastiche" if i % 5 == 3 else "synthetic"))) for i in range(n_images)]
    labels = np.array([0 if s == "original" else 1 for s in sublabels])
    owner = np.repeat(np.arange(n_images), patches)
    features = rng.normal(size=(n_images * patches, dim)).astype(np.float32)
    features[:, :3] += 1.5 * labels[owner][:, None]
    features[:, -1] = owner  # the image index travels with each patch row (see the leak test)
    return cv.TrainingData([f"img{i:03d}" for i in range(n_images)], labels, cv.strata_for(labels, sublabels), sublabels, features, owner)


def test_every_image_is_in_exactly_one_test_fold_with_all_its_patches_or_a_clear_error():
    data = make_data()
    folds = cv.outer_folds(data.labels, data.strata, 5, seed=3)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(len(data.image_ids)))
    for train, test in folds:
        assert not set(train) & set(test)
        train_rows, test_rows = data.rows(train), data.rows(test)
        assert not set(data.patch_image[train_rows]) & set(data.patch_image[test_rows])
        assert len(train_rows) + len(test_rows) == len(data.features)
    small = make_data(n_images=10)
    with pytest.raises(cv.NotEnoughData, match="at least 5 authentic"):
        cv.outer_folds(small.labels, small.strata, 5, seed=0)


def test_each_stratum_is_within_one_image_of_its_ideal_share_per_fold():
    data = make_data(n_images=53)
    k = 5
    folds = cv.outer_folds(data.labels, data.strata, k, seed=11)
    totals = Counter(data.strata)
    for _, test in folds:
        counts = Counter(data.strata[i] for i in test)
        for stratum, total in totals.items():
            assert abs(counts.get(stratum, 0) - total / k) <= 1, (stratum, counts, total)


def test_same_seeds_give_same_folds_and_metrics_and_other_seeds_differ():
    data = make_data()
    first = cv.nested_cv(data, GRID, k_folds=3, outer_split_seed=5, inner_split_seed=9)
    second = cv.nested_cv(data, GRID, k_folds=3, outer_split_seed=5, inner_split_seed=9)
    assert [f.test_images for f in first.folds] == [f.test_images for f in second.folds]
    assert [f.inner_val_images for f in first.folds] == [f.inner_val_images for f in second.folds]
    assert first.summary == second.summary
    assert np.array_equal(first.oof_probabilities, second.oof_probabilities)
    other = cv.outer_folds(data.labels, data.strata, 3, seed=6)
    assert [t.tolist() for _, t in other] != [f.test_images for f in first.folds]


def test_model_selection_never_sees_the_outer_test_fold(monkeypatch):
    data = make_data()
    seen = []
    original = head.train

    def recording_train(train_x, train_y, hyperparameters, *, seed, val_x=None, val_y=None, epochs=None, types=None):
        images = set(np.asarray(train_x)[:, -1].astype(int).tolist())
        if val_x is not None:
            images |= set(np.asarray(val_x)[:, -1].astype(int).tolist())
        seen.append(("select" if val_x is not None else "refit", images))
        return original(train_x, train_y, hyperparameters, seed=seed, val_x=val_x, val_y=val_y, epochs=epochs, types=types)

    monkeypatch.setattr(cv.head, "train", recording_train)
    result = cv.nested_cv(data, GRID, k_folds=4, outer_split_seed=1, inner_split_seed=2)
    calls_per_fold = len(GRID) + 1
    assert len(seen) == 4 * calls_per_fold
    for fold in result.folds:
        calls = seen[fold.fold_id * calls_per_fold:(fold.fold_id + 1) * calls_per_fold]
        test = set(fold.test_images)
        for kind, images in calls:
            assert not images & test, f"fold {fold.fold_id}: {kind} saw test images"
        assert set(fold.inner_train_images) | set(fold.inner_val_images) == set(fold.train_images)
        assert not set(fold.inner_train_images) & set(fold.inner_val_images)
        assert sum(c.is_best_in_fold for c in fold.configs) == 1
        best = next(c for c in fold.configs if c.is_best_in_fold)
        assert best.best_val == min(c.best_val for c in fold.configs)


def test_result_has_metrics_thresholds_and_final_choice():
    data = make_data()
    result = cv.nested_cv(data, GRID, k_folds=3, outer_split_seed=0, inner_split_seed=1)
    assert not np.isnan(result.oof_probabilities).any()
    assert result.summary["mean_auc"] > 0.8
    assert 0 <= result.final_index < len(GRID)
    assert result.detail["mean_inner_val"][result.final_index] == min(result.detail["mean_inner_val"])
    assert set(result.detail["per_sublabel"]) == {"original", "copy", "pastiche", "synthetic"}
    t = result.detail["thresholds"]
    assert t["authentic_below"] is None or t["forged_above"] is None or t["authentic_below"] <= t["forged_above"]
    assert result.detail["policy"]["statements"] and result.detail["calibration"]["ece"] is not None
    # Each fold's thresholds come from the other folds' out-of-fold predictions only.
    for fold, detail in zip(result.folds, result.detail["per_fold"]):
        assert detail["policy_chosen_on"] == len(data.image_ids) - len(fold.test_images)


def test_the_baseline_serves_unless_another_head_beats_it_on_inner_validation():
    baseline = {"kind": "baseline", "C": 0.1}
    grid = [GRID[0], baseline]
    assert cv.final_choice(grid, [0.30, 0.30]) == 1  # a tie goes to the baseline
    assert cv.final_choice(grid, [0.29, 0.30]) == 0  # beaten: the other head serves
    assert cv.final_choice([GRID[0], GRID[0]], [0.5, 0.4]) == 1  # no baseline in the grid: plain minimum
    data = make_data()
    result = cv.nested_cv(data, [baseline, *GRID], k_folds=3, outer_split_seed=0, inner_split_seed=1)
    mean_val = result.detail["mean_inner_val"]
    if result.final_index != 0:
        assert mean_val[result.final_index] < mean_val[0]
    assert result.summary["mean_auc"] > 0.8
    # the baseline's logits are served by the same Head module
    from training.ml import head

    trained = head.train(data.features, data.labels[data.patch_image], baseline, seed=0)
    assert trained.head.net[-1].weight.shape == (1, data.features.shape[1]) and trained.best_val is None


def test_a_by_type_head_scores_any_forgery_type_against_authentic_and_survives_saving(tmp_path):
    from training.ml import artifact, head

    rng = np.random.default_rng(0)
    # authentic at the origin; two forgery types on opposite sides: no single line separates them
    x = np.concatenate([rng.normal(0, 0.5, (60, 2)), rng.normal([3, 0], 0.5, (60, 2)), rng.normal([-3, 0], 0.5, (60, 2))])
    y = np.r_[np.zeros(60), np.ones(120)].astype(int)
    types = np.array(["original"] * 60 + ["copy"] * 60 + ["pastiche"] * 60, dtype=object)
    by_type = head.train(x, y, {"kind": "by_type", "C": 1.0}, seed=0, types=types)
    binary = head.train(x, y, {"kind": "baseline", "C": 1.0}, seed=0)
    assert by_type.head.classes == 3 and binary.head.classes == 1
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y, head.predict_logits(by_type.head, x)) > 0.99 > roc_auc_score(y, head.predict_logits(binary.head, x)) + 0.2
    artifact.save(tmp_path, "m1", by_type.head, {"embedding_dim": 2, "hyperparameters": by_type.hyperparameters, "backbone": "x"})
    loaded = artifact.load(tmp_path, "m1")
    assert np.allclose(head.predict_logits(loaded.head, x), head.predict_logits(by_type.head, x), atol=1e-5)
    one_type = head.train(x[:120], y[:120], {"kind": "by_type", "C": 1.0}, seed=0, types=types[:120])
    assert one_type.head.classes == 1  # a single forgery type is the plain binary regression
