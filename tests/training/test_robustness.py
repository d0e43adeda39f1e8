"""Which re-photographs may widen the capture envelope (training.ml.robustness.robust): flips
held to the concern limit, errors and AUC judged by paired tests on the same works."""
import numpy as np
import pytest

from training.ml import robustness

WORKS = 40
LABELS = np.r_[np.zeros(20), np.ones(20)]


def _scores(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(0.25 + 0.5 * LABELS + rng.normal(0, 0.15, WORKS), 0, 1)


def test_a_change_that_moves_scores_a_little_and_flips_nothing_is_robust():
    base = _scores()
    changed = np.clip(base + np.random.default_rng(1).normal(0, 0.03, WORKS), 0, 1)
    assert robustness.robust(0, WORKS, new_errors=3, fixed_errors=0, labels=LABELS, base_probability=base, probability=changed)


@pytest.mark.parametrize("flips, robust", [(1, True), (2, False)])
def test_flips_are_held_to_the_concern_limit_itself(flips, robust):
    base = _scores()
    assert robustness.robust(flips, WORKS, 0, 0, LABELS, base, base) is robust


def test_a_significant_rise_in_decided_errors_is_not_robust():
    base = _scores()
    assert robustness.mcnemar_p(3, 0) > robustness.SIGNIFICANCE  # 3 of 40 can be chance
    assert robustness.mcnemar_p(6, 0) < robustness.SIGNIFICANCE
    assert not robustness.robust(0, WORKS, 6, 0, LABELS, base, base)
    assert robustness.robust(0, WORKS, 6, 4, LABELS, base, base)  # as many fixed as broken: no rise


def test_an_auc_that_collapses_is_not_robust_and_one_within_chance_is():
    base = _scores()
    scrambled = np.random.default_rng(2).permutation(base)
    assert robustness.auc_drop_significant(LABELS, base, scrambled)
    assert not robustness.robust(0, WORKS, 0, 0, LABELS, base, scrambled)
    assert not robustness.auc_drop_significant(LABELS, base, base)


def test_the_bootstrap_auc_matches_scikit_learn_ties_included():
    from sklearn.metrics import roc_auc_score

    tied = np.round(_scores(3), 1)
    draws = np.random.default_rng(4).integers(0, WORKS, (50, WORKS))
    expected = [roc_auc_score(LABELS[d], tied[d]) for d in draws]
    assert robustness._aucs(LABELS[draws], tied[draws]) == pytest.approx(expected)
