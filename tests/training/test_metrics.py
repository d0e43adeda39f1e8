import numpy as np
import pytest
from sklearn import metrics as sk

from training.ml import aggregate, metrics

Y = np.array([0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.65, 0.7, 0.4, 0.05, 0.5, 0.3])  # with ties


def test_metrics_agree_with_scikit_learn_and_average_over_folds():
    ours = metrics.binary_metrics(Y, P)
    predicted = (P >= 0.5).astype(int)
    assert ours["accuracy"] == pytest.approx(sk.accuracy_score(Y, predicted))
    assert ours["auc"] == pytest.approx(sk.roc_auc_score(Y, P))
    assert ours["f1"] == pytest.approx(sk.f1_score(Y, predicted))
    assert ours["precision"] == pytest.approx(sk.precision_score(Y, predicted))
    assert ours["recall"] == pytest.approx(sk.recall_score(Y, predicted))
    assert metrics.auc_score([1, 1, 1], [0.1, 0.2, 0.3]) is None
    assert metrics.auc_score([0, 1, 0, 1], [0.5] * 4) == pytest.approx(0.5)
    folds = [{"accuracy": 0.5, "auc": 0.6, "f1": 0.1, "precision": 0.2, "recall": 0.3}, {"accuracy": 1.0, "auc": None, "f1": 0.3, "precision": 0.4, "recall": 0.5}]
    out = metrics.mean_std(folds)
    assert out["mean_accuracy"] == pytest.approx(0.75) and out["std_accuracy"] == pytest.approx(0.25)
    assert out["mean_auc"] == pytest.approx(0.6) and out["std_auc"] == 0.0


def test_calibration_ece_by_hand():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.05, 0.15, 0.85, 0.95])
    cal = metrics.calibration(y, p, bins=10)
    # bins (lo, hi], the first from 0: [0,.1]: 0.05 vs 0; (.1,.2]: .15 vs 0; (.8,.9]: .85 vs 1; (.9,1]: .95 vs 1
    assert cal["ece"] == pytest.approx((0.05 + 0.15 + 0.15 + 0.05) / 4)
    assert [b["n"] for b in cal["bins"]] == [1, 1, 1, 1]
    assert metrics.calibration([1], [1.0])["bins"][0]["hi"] == 1.0


def test_per_sublabel_auc_and_aggregation():
    y = np.array([0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.9, 0.8, 0.15, 0.3])
    subs = ["original", "original", "copy", "copy", "pastiche", "pastiche"]
    out = metrics.per_sublabel(y, p, subs)
    assert out["copy"]["auc"] == pytest.approx(1.0)
    assert out["pastiche"]["auc"] == pytest.approx(sk.roc_auc_score([0, 0, 1, 1], [0.1, 0.2, 0.15, 0.3]))
    assert out["original"]["label"] == "authentic" and out["original"]["accuracy"] == 1.0
    logits = [2.0, -1.0, 0.5]
    assert aggregate.image_probability(logits) == pytest.approx(1 / (1 + np.exp(-0.5)))
    assert aggregate.forgery_score(0.874) == 87
    with pytest.raises(ValueError):
        aggregate.image_probability([])
