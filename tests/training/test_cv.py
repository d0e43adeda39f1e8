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

    def recording_train(train_x, train_y, hyperparameters, *, seed, val_x=None, val_y=None, epochs=None, types=None, groups=None):
        images = set(np.asarray(train_x)[:, -1].astype(int).tolist())
        assert groups is None or set(np.asarray(groups).tolist()) == images - (set(np.asarray(val_x)[:, -1].astype(int).tolist()) if val_x is not None else set())
        if val_x is not None:
            images |= set(np.asarray(val_x)[:, -1].astype(int).tolist())
        seen.append(("select" if val_x is not None else "refit", images))
        return original(train_x, train_y, hyperparameters, seed=seed, val_x=val_x, val_y=val_y, epochs=epochs, types=types, groups=groups)

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
        scores = [cv.selection_score(c.inner_metrics["auc"], c.inner_metrics["patch_auc"], c.best_val) for c in fold.configs]
        assert scores[best.index] == min(scores)


def test_result_has_metrics_thresholds_and_final_choice():
    data = make_data()
    result = cv.nested_cv(data, GRID, k_folds=3, outer_split_seed=0, inner_split_seed=1)
    assert not np.isnan(result.oof_probabilities).any()
    assert result.summary["mean_auc"] > 0.8
    assert 0 <= result.final_index < len(GRID)
    scores = [cv.selection_score(*s) for s in zip(*(result.detail[k] for k in ("mean_inner_auc", "mean_inner_patch_auc", "mean_inner_val")))]
    assert scores[result.final_index] == min(scores)
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
    score = cv.selection_score
    assert cv.final_choice(grid, [score(0.9, 0.8, 0.3), score(0.9, 0.8, 0.3)]) == 1  # a tie goes to the baseline
    assert cv.final_choice(grid, [score(0.9, 0.8, 0.29), score(0.9, 0.8, 0.3)]) == 0  # beaten on loss alone
    assert cv.final_choice(grid, [score(0.9, 0.81, 0.5), score(0.9, 0.8, 0.3)]) == 0  # ranking first: patch AUC
    assert cv.final_choice(grid, [score(0.89, 0.9, 0.1), score(0.9, 0.8, 0.3)]) == 1  # then image AUC before that
    assert cv.final_choice(grid, [score(None, None, 0.1), score(0.5, 0.5, 0.9)]) == 1  # no AUC ranks last
    assert cv.final_choice([GRID[0], GRID[0]], [score(1, 1, 0.5), score(1, 1, 0.4)]) == 1  # no baseline in the grid: plain minimum
    data = make_data()
    result = cv.nested_cv(data, [baseline, *GRID], k_folds=3, outer_split_seed=0, inner_split_seed=1)
    scores = [score(*s) for s in zip(*(result.detail[k] for k in ("mean_inner_auc", "mean_inner_patch_auc", "mean_inner_val")))]
    if result.final_index != 0:
        assert scores[result.final_index] < scores[0]
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


def _correlated_patches(seed: int, n_images: int = 80, patches: int = 8, dim: int = 40):
    """Patches that share their image's draw, as real patches do: rows are not independent."""
    rng = np.random.default_rng(seed)
    image_labels = (np.arange(n_images) % 2).astype(int)
    image_types = np.where(image_labels == 0, "", np.where(np.arange(n_images) % 4 == 1, "imitation", "synthetic"))
    owner = np.repeat(np.arange(n_images), patches)
    shift = np.zeros((n_images, dim))
    shift[image_types == "imitation", 0] = 0.6
    shift[image_types == "synthetic", 1] = -0.6
    x = rng.normal(size=(n_images, dim))[owner] * 1.2 + rng.normal(size=(len(owner), dim)) + shift[owner]
    return x, image_labels[owner], image_types[owner], owner


def test_the_lda_head_is_shrinkage_lda_with_a_cross_fitted_temperature_that_makes_its_losses_honest(tmp_path):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from training.ml import artifact

    x, y, types, owner = _correlated_patches(0)
    test_x, test_y, _, _ = _correlated_patches(1)
    lda = head.train(x, y, {"kind": "lda"}, seed=0, types=types, groups=owner)
    assert lda.hyperparameters == {"kind": "lda"} and lda.head.classes == 3
    # the same discriminant as scikit-learn's (standardized features, Ledoit-Wolf shrinkage) ...
    standardized = (x - lda.head.mean.numpy()) / lda.head.std.numpy()
    raw = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(standardized, head.type_codes(y, types))
    weight = lda.head.net[-1].weight.detach().numpy()
    scale = float(np.linalg.norm(weight) / np.linalg.norm(raw.coef_))
    assert 0 < scale < 1  # ... only cooled: its raw posteriors trust correlated patches as independent rows
    assert np.allclose(weight, raw.coef_ * scale, rtol=1e-3, atol=1e-5)
    # on unseen images, the cooled head's log loss beats the raw discriminant's
    test_standardized = (test_x - lda.head.mean.numpy()) / lda.head.std.numpy()
    raw_log_proba = raw.predict_log_proba(test_standardized)
    raw_logits = np.logaddexp.reduce(raw_log_proba[:, 1:], axis=1) - raw_log_proba[:, 0]

    def log_loss(logits):
        return float(np.mean(np.logaddexp(0, logits) - test_y * logits))

    assert log_loss(head.predict_logits(lda.head, test_x)) < log_loss(raw_logits) - 0.05
    artifact.save(tmp_path, "m1", lda.head, {"embedding_dim": x.shape[1], "hyperparameters": lda.hyperparameters, "backbone": "x"})
    assert np.allclose(head.predict_logits(artifact.load(tmp_path, "m1").head, test_x), head.predict_logits(lda.head, test_x), atol=1e-4)


def test_the_lda_head_keeps_its_raw_scale_when_too_few_images_to_cross_fit():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    x, y, types, owner = _correlated_patches(0, n_images=4)  # 2 images a label: too few for 3 folds
    lda = head.train(x, y, {"kind": "lda"}, seed=0, types=types, groups=owner)
    standardized = (x - lda.head.mean.numpy()) / lda.head.std.numpy()
    raw = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(standardized, head.type_codes(y, types))
    linear = lda.head.net[-1]
    # neither cooled nor shifted: scikit-learn's discriminant as it is
    assert np.allclose(linear.weight.detach().numpy(), raw.coef_, rtol=1e-4, atol=1e-5)
    assert np.allclose(linear.bias.detach().numpy(), raw.intercept_, rtol=1e-4, atol=1e-5)
    assert np.isfinite(head.predict_logits(lda.head, x)).all()


def test_the_lda_head_s_cholesky_solve_gives_scikit_learn_s_least_squares_discriminant():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from training.ml.lda import CholeskyLDA

    rng = np.random.default_rng(3)
    x = rng.normal(size=(90, 300)) @ rng.normal(size=(300, 300)) * 0.1  # wider than tall, correlated: as patches are
    target = np.arange(90) % 3
    x[target == 1, :5] += 1.0
    ours, theirs = CholeskyLDA().fit(x, target), LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x, target)
    assert np.allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-8)
    assert np.allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-8)
    assert np.allclose(ours.decision_function(x), theirs.decision_function(x), rtol=1e-6, atol=1e-6)
