"""Promotion concerns and the comparison with the serving model (issue 29, staff 1), on figures
built to raise each concern and on figures built to raise none."""
from types import SimpleNamespace

from tests.training.fixtures import REVIEW_TARGETS, capture_evidence, issue_run_detail, quiet_detail, rates as _rates
from training import concerns, run_review, serving_comparison

def test_a_run_within_every_target_raises_no_concern():
    detail = quiet_detail()
    assert concerns.promotion_concerns(detail, mean_auc=0.93) == []
    assert all(row["misses"] == [] for row in run_review.fold_rows(detail))
    assert not any(row["misses"] for row in run_review.sublabel_rows(detail))


def test_the_issue_run_folds_over_target_and_a_weak_kind_are_each_flagged():
    detail = issue_run_detail()
    found = concerns.promotion_concerns(detail, mean_auc=0.93)
    assert found == [
        "Fold 2 called 1 of 6 forgeries (16.7%) likely authentic, against a target of at most 5%.",
        "Fold 3 called 1 of 6 authentic works (16.7%) likely forged, against a target of at most 5%.",
        "Imitation forgeries (60 works) scored accuracy 0.600, below the floor of 0.80.",
    ]
    rows = run_review.fold_rows(detail)
    assert [row["misses"] for row in rows] == [[], [], ["forged_called_authentic"], ["authentic_called_forged"], []]
    assert [row["misses"] for row in run_review.sublabel_rows(detail)] == [True, False]
    # A floor the promoter lowers on purpose lowers it for the kinds too.
    assert not any("Imitation" in line for line in concerns.promotion_concerns(detail, mean_auc=0.93, auc_floor=0.5))


def test_a_kind_over_its_target_and_a_kind_too_small_to_measure():
    detail = quiet_detail()
    detail["policy"]["rates"]["by_kind"] = {
        "imitation": {"count": 3, "of": 12, "rate": 0.25, "low": 0.089, "high": 0.532},
        "print": {"count": 0, "of": 6, "rate": 0.0, "low": 0.0, "high": 0.39},
    }
    found = concerns.promotion_concerns(detail, mean_auc=0.93)
    assert "Of imitation forgeries, 3 of 12 (25%, 95% interval 9%–53%) were called likely authentic, against a target of at most 5%." in found
    assert any(line.startswith("Of print forgeries, 0 of 6 (0%, 95% interval 0%–39%)") and "too few to show the 5% target is met" in line for line in found)
    assert [row["misses"] for row in run_review.sublabel_rows({**detail, "per_sublabel": {"imitation": {"label": "forged", "n": 12, "auc": 0.9, "accuracy": 0.9}}})] == [True]
    # A model that never calls a work likely authentic cannot call a forgery so: no kind concern then.
    detail["policy"]["authentic_below"] = None
    assert not any(line.startswith("Of ") for line in concerns.promotion_concerns(detail, mean_auc=0.93))


def test_a_wide_pooled_interval_uncalibrated_scores_and_the_capture_concerns():
    detail = quiet_detail()
    detail["policy"]["rates"]["forged_called_authentic"] = {"count": 0, "of": 8, "rate": 0.0}
    detail["calibrator"] = {"method": "identity", "reason": "The raw probabilities are served as they are."}
    detail.update({key: value for key, value in capture_evidence(concern=True).items() if key in ("capture_audit", "robustness")})
    found = concerns.promotion_concerns(detail, mean_auc=0.93)
    assert any(line.startswith("0 of 8 forgeries (0%, 95% interval 0%–32%) were called likely authentic: the interval is too wide") for line in found)
    assert "Calibration was not applied: the raw probabilities are served as they are." in found
    assert any("differ in how they were photographed" in line for line in found)
    assert sum("flip" in line or "re-photograph" in line or "out of focus" in line for line in found) >= 2


def test_older_runs_with_missing_figures_still_give_sentences():
    assert concerns.promotion_concerns({}, mean_auc=None) == [
        "This model can decide neither side: at its error-rate targets it would call every work INCONCLUSIVE.",
        "Its cross-validated AUC (unknown) is below the floor of 0.80."]
    older = {"policy": {"authentic_below": 0.3, "forged_above": None, "targets": dict(REVIEW_TARGETS), "rates": {}}, "per_fold": [{"fold_id": 0}]}
    assert concerns.promotion_concerns(older, mean_auc=0.9) == ["This run predates calibration: its scores are the model's raw output."]
    assert run_review.fold_rows(older)[0]["misses"] == [] and run_review.sublabel_rows(older) == []


def _run(run_id: str, detail: dict, mean: float, std: float):
    return SimpleNamespace(run_id=run_id, mean_auc=mean, std_auc=std, metrics_detail=SimpleNamespace(as_dict=lambda: detail))


def test_the_recommendation_follows_the_figures_against_the_serving_model():
    serving_run = _run("s" * 32, quiet_detail(), 0.95, 0.02)
    entry = {"run_id": "s" * 32, "model_version": "v-serving"}

    better = serving_comparison.compare(_run("c" * 32, quiet_detail(), 0.96, 0.02), entry, serving_run)
    assert better["promote"] and better["headline"] == "Recommend: promote" and not better["is_serving"]
    assert {"figure": "AUC (mean ± std over folds)", "run": "0.960 ± 0.020", "serving": "0.950 ± 0.020"} in better["rows"]
    assert {"figure": "Works decided", "run": "100 of 120 (83.3%)", "serving": "100 of 120 (83.3%)"} in better["rows"]
    assert {"figure": "Concerns", "run": "0", "serving": "0"} in better["rows"]

    fewer = quiet_detail()
    fewer["policy"]["rates"]["decided"] = {"count": 60, "of": 120, "rate": 0.5}
    worse = serving_comparison.compare(_run("c" * 32, fewer, 0.90, 0.03), entry, serving_run)
    assert not worse["promote"] and worse["headline"] == "Recommend: do not promote"
    assert worse["reasons"] == [
        "Its AUC, 0.900 ± 0.030, is lower than the serving model's, 0.950 ± 0.020, by more than the fold spread (0.030).",
        "It decides fewer works: 60 of 120 (50%), against 100 of 120 (83.3%) for the serving model."]
    # Lower, but within the fold spread: not a reason.
    close = serving_comparison.compare(_run("c" * 32, quiet_detail(), 0.93, 0.03), entry, serving_run)
    assert close["promote"]

    weak = quiet_detail()
    weak["calibrator"] = {"method": "none", "reason": "Too few works."}
    concerned = serving_comparison.compare(_run("c" * 32, weak, 0.97, 0.01), entry, serving_run)
    assert not concerned["promote"] and concerned["reasons"] == ["It raises 1 concern, listed above."]
    assert concerned["candidate"]["concerns"] == ["Calibration was not applied: too few works."]

    alone = serving_comparison.compare(_run("c" * 32, quiet_detail(), 0.9, 0.02), None, None)
    assert alone["promote"] and "No model serves this artist now." in alone["reasons"]
    assert all(row["serving"] == "–" for row in alone["rows"])

    itself = serving_comparison.compare(serving_run, entry, None)
    assert itself["is_serving"] and "headline" not in itself
