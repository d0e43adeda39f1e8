"""The verdict policy (training.ml.policy) and calibration (training.ml.calibration)."""
import numpy as np
import pytest

from training.ml import calibration, policy


def _overlapping(n=200, seed=0, shift=2.0):
    rng = np.random.default_rng(seed)
    y = np.array([0] * n + [1] * n)
    logits = np.concatenate([rng.normal(-shift / 2, 1, n), rng.normal(shift / 2, 1, n)])
    return y, logits


def test_separated_classes_keep_the_gap_between_them_inconclusive():
    y = np.array([0] * 30 + [1] * 30)
    p = np.concatenate([np.linspace(0.02, 0.3, 30), np.linspace(0.6, 0.97, 30)])
    chosen = policy.choose(y, p)
    assert 0.3 < chosen["authentic_below"] < 0.301 and 0.599 < chosen["forged_above"] < 0.6
    assert policy.verdict(0.45, chosen) == policy.INCONCLUSIVE
    assert policy.verdict(0.1, chosen) == policy.LIKELY_AUTHENTIC and policy.verdict(0.9, chosen) == policy.LIKELY_FORGED
    assert chosen["rates"]["decided"]["rate"] == 1.0


def test_thresholds_meet_the_targets_with_the_widest_decisive_range():
    y, logits = _overlapping()
    p = 1 / (1 + np.exp(-logits))
    for targets in ({"forged_called_authentic": 0.05, "authentic_called_forged": 0.05},
                    {"forged_called_authentic": 0.02, "authentic_called_forged": 0.10}):
        chosen = policy.choose(y, p, targets)
        fa = (p[y == 1] < chosen["authentic_below"]).mean()
        af = (p[y == 0] > chosen["forged_above"]).mean()
        n = 200
        assert (fa * n + 1) / (n + 2) <= targets["forged_called_authentic"] and (af * n + 1) / (n + 2) <= targets["authentic_called_forged"]
        # widest: the next observed authentic score up would break the forged target
        above = np.sort(p[(y == 0) & (p >= chosen["authentic_below"])])
        if len(above):
            errors = (p[y == 1] < above[0] + 2e-6).sum()
            assert (errors + 1) / (n + 2) > targets["forged_called_authentic"]
        assert chosen["rates"]["forged_called_authentic"]["rate"] == pytest.approx(fa)
        assert chosen["authentic_below"] <= chosen["forged_above"]


def test_a_target_that_cannot_be_met_leaves_no_threshold_and_says_so():
    # The lowest-scoring authentic work scores above 20% of the forgeries.
    y = np.array([0] * 20 + [1] * 20)
    p = np.concatenate([np.linspace(0.3, 0.6, 20), np.linspace(0.1, 0.99, 20)])
    chosen = policy.choose(y, p)
    assert chosen["authentic_below"] is None
    assert chosen["forged_above"] is not None
    assert any("cannot call a work likely authentic at 5% risk" in s for s in chosen["statements"])
    assert policy.verdict(0.0, chosen) == policy.INCONCLUSIVE  # never LIKELY_AUTHENTIC
    assert not policy.cannot_decide_either(chosen)
    assert policy.cannot_decide_either({"authentic_below": None, "forged_above": None})


def test_error_rates_are_read_with_a_margin_for_small_counts():
    assert policy.expected_rate(0, 20) == pytest.approx(1 / 22)  # 0 of 20 is not 0%
    assert policy.expected_rate(3, 60) == pytest.approx(4 / 62)
    assert policy.expected_rate(3, 60) > 0.05 >= policy.expected_rate(2, 60)


@pytest.mark.parametrize(("bad", "message"), [
    (0, "must be above 0% and at most 50%; got 0%."),
    (-0.1, "must be above 0% and at most 50%; got -10%."),
    (0.51, "must be above 0% and at most 50%; got 51%."),
    ("x", "must be a number."),
    (float("nan"), "must be above 0% and at most 50%; got nan%."),
])
def test_targets_outside_0_to_50_percent_are_refused(bad, message):
    with pytest.raises(policy.InvalidTargets) as refused:
        policy.clean_targets({"forged_called_authentic": bad})
    assert str(refused.value) == f"The forgeries called likely authentic target {message}"


def test_a_target_needs_enough_images_of_its_label_to_see_one_error():
    assert policy.images_needed({"forged_called_authentic": 0.05, "authentic_called_forged": 0.1}) == {"forged": 20, "authentic": 10}


def test_operating_point_reads_the_nearest_validation_works():
    y = np.array([0] * 50 + [1] * 50)
    p = np.concatenate([np.linspace(0, 0.5, 50), np.linspace(0.5, 1, 50)])
    reference = policy.reference_points(y, p)
    high = policy.operating_point(0.95, reference)
    assert high["n"] == 20 and high["forged"] == 20 and "20 (100%) were forgeries" in high["text"]
    assert policy.operating_point(0.02, reference)["forged"] == 0
    assert policy.operating_point(0.5, None) is None
    assert len(policy.reference_points(np.zeros(5000, int), np.random.default_rng(0).random(5000))) == policy.REFERENCE_POINTS


def test_platt_calibration_lowers_ece_out_of_fold_and_stays_finite_on_separable_data():
    from training.ml import metrics

    y, logits = _overlapping(n=300, seed=1)
    overconfident = 4 * logits  # a head whose logits are four times too large
    folds = [np.arange(i, len(y), 5) for i in range(5)]
    before = metrics.calibration(y, 1 / (1 + np.exp(-overconfident)))["ece"]
    after_p, reason = calibration.cross_fitted(overconfident, y, folds)
    after = metrics.calibration(y, after_p)["ece"]
    assert reason == "" and after < before / 2 and after < 0.05
    fitted = calibration.fit_platt(overconfident, y)
    assert fitted.a == pytest.approx(0.5, abs=0.1)  # true log-odds are 2 x logit, so 4 x logit needs a = 0.5
    separable = calibration.fit_platt(np.r_[np.full(20, -5.0), np.full(20, 5.0)], np.r_[np.zeros(20), np.ones(20)])
    assert np.isfinite(separable.a) and 0.9 < separable.probability([5.0])[0] < 1.0


def test_too_few_predictions_fall_back_to_uncalibrated_and_say_so():
    few = calibration.fit_platt([-1.0, 1.0, 2.0], [0, 1, 1])
    assert few.method == "none" and "not calibrated" in few.reason and "3" in few.reason
    assert few.probability([0.0])[0] == pytest.approx(0.5)
    assert calibration.Calibrator.from_dict(few.as_dict()) == few


def test_platt_is_served_only_when_it_beats_the_raw_probabilities_out_of_fold():
    y, logits = _overlapping(n=300, seed=4)
    folds = [np.arange(i, len(y), 5) for i in range(5)]
    true_scale = 2 * logits  # these raw probabilities are already calibrated (true log-odds)
    raw = 1 / (1 + np.exp(-true_scale))
    crossfit, _ = calibration.cross_fitted(true_scale, y, folds)
    kept = calibration.choose(calibration.fit_platt(true_scale, y), y, raw, crossfit)
    overconfident = 4 * true_scale
    crossfit, _ = calibration.cross_fitted(overconfident, y, folds)
    platt = calibration.choose(calibration.fit_platt(overconfident, y), y, 1 / (1 + np.exp(-overconfident)), crossfit)
    assert platt.method == "platt"
    if kept.method == calibration.IDENTITY_METHOD:
        assert "log loss" in kept.reason and kept.probability([0.3])[0] == pytest.approx(1 / (1 + np.exp(-0.3)))


def test_error_rates_carry_a_95_percent_interval_and_each_kind_of_forgery_its_own():
    """The pooled "2 of 60 forgeries" hid imitations at 0.600 accuracy (issue 29): each kind is
    measured apart, with its interval, and flagged when it misses the target or is too few."""
    from training.ml import policy

    low, high = policy.wilson(1, 12)
    assert 0.01 < low < 0.02 and 0.35 < high < 0.36
    assert policy.wilson(0, 0) is None and policy.interval_words(0, 20) == "95% interval 0%–16%"
    y = np.array([0] * 40 + [1] * 40)
    p = np.concatenate([np.linspace(0.01, 0.3, 40), np.linspace(0.6, 0.99, 28), np.linspace(0.02, 0.2, 4), np.linspace(0.7, 0.9, 8)])
    sublabels = ["original"] * 40 + ["copy"] * 28 + ["imitation"] * 4 + ["imitation"] * 8
    chosen = policy.choose(y, p, {"forged_called_authentic": 0.2, "authentic_called_forged": 0.2}, sublabels=sublabels)
    by_kind = chosen["rates"]["by_kind"]
    assert set(by_kind) == {"copy", "imitation"} and by_kind["copy"]["count"] == 0
    assert by_kind["imitation"]["of"] == 12 and by_kind["imitation"]["count"] >= 1
    lines = [line for line in chosen["statements"] if line.startswith("Of imitation forgeries")]
    assert lines and "95% interval" in lines[0] and "were called likely authentic" in lines[0]
    assert "too few imitation forgeries to measure the rate closely" in lines[0]
    assert any("95% interval" in line and "scored there" in line for line in chosen["statements"])
