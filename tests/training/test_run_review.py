"""What the run page and the model card make of a run's capture evidence (issue 26)."""
from tests.training.fixtures import capture_evidence
from training import run_review


def test_a_capture_concern_is_flagged_with_its_figures():
    review = run_review.capture_review(capture_evidence(concern=True))
    audit = review["audit"]
    assert review["measured"] and audit["concern"] and audit["auc"] == 0.91 and audit["threshold"] == 0.7
    assert "differ in how they were photographed" in audit["statement"]
    top = audit["statistics"][0]
    assert (top["words"], top["authentic_median"], top["forged_median"], top["strongest"]) == ("JPEG quality", "95", "72", True)
    assert audit["statistics"][1]["authentic_median"] == "576 px"  # the audit keeps pixel size as a logarithm

    rows = {row["name"]: row for row in review["robustness"]["rows"]}
    assert len(rows) == 4  # every change is shown, the ones that miss among them
    assert rows["tilt-3"]["misses_target"] and rows["tilt-3"]["flips"] == "3 of 40 (7.5%)"
    assert rows["blur-strong"]["misses_target"] and (rows["blur-strong"]["decided_errors"], rows["blur-strong"]["decided_errors_as_taken"]) == (5, 2)
    assert not rows["jpeg-70"]["misses_target"] and not rows["phone-like"]["misses_target"]  # realistic: reported, no target
    assert rows["jpeg-70"]["inconclusive"] == "25%" and "at most 2%" in rows["jpeg-70"]["target"]
    assert review["robustness"]["misses"] == 2 and len(review["robustness"]["concerns"]) == 2

    assert review["envelope"] == ("Validated from JPEG quality 70, focus 0.15, 576 px on the long side; up to JPEG blockiness 1.30 "
                                  "(40 training images). Widened by: re-saved as JPEG quality 70.")
    assert review["augmentation"].startswith("2 re-photographed copies of every training image (recipe recapture-v1)")
    envelope = {**capture_evidence(concern=True)["capture_envelope"], "regions": [{}, {}]}  # one per robust change: said so
    assert run_review.envelope_words(envelope).endswith(
        "Widened by: re-saved as JPEG quality 70 (each on its own: a photograph must match the training photographs or one of these on every statistic).")


def test_no_concern_and_figures_that_miss_despite_the_stored_flag():
    review = run_review.capture_review(capture_evidence(concern=False))
    assert not review["audit"]["concern"] and review["audit"]["statement"].startswith("Capture audit:")
    assert review["robustness"]["misses"] == 0 and review["robustness"]["concerns"] == []
    # The mark follows the figures too: 1 flip in 50 works is within 2%, 2 are not.
    assert not run_review.misses_target({"severity": "benign", "flips": 1, "works": 50, "concern": False})
    assert run_review.misses_target({"severity": "benign", "flips": 2, "works": 50, "concern": False})
    assert run_review.misses_target({"severity": "harsh", "decided_errors": 3, "decided_errors_as_taken": 2, "concern": False})


def test_runs_trained_before_the_capture_checks_say_not_measured():
    review = run_review.capture_review({"policy": {}})
    assert not review["measured"] and review["audit"] is None and review["robustness"] is None
    assert review["envelope"] is None and review["predates"].startswith("Not measured: this run was trained before")
    assert review["augmentation"].startswith("No re-photographed copies")
    # An audit that could not be measured (too few images) still reads as words, without a table.
    audit = run_review.capture_audit_review({"capture_audit": {"auc": None, "threshold": 1.0, "per_statistic": {}, "concern": False,
                                                               "statement": "Capture audit: not measured (too few images of each label)."}})
    assert not audit["measured"] and audit["statistics"] == [] and "too few images" in audit["statement"]
    assert run_review.envelope_words({"limits": {}, "images": 0, "widened_by": []}) is None


def test_configurations_and_timings_read_as_words():
    assert run_review.config_words({"kind": "lda", "grid_index": 5}) == "shrinkage linear discriminant analysis over the forgery types"
    assert run_review.config_words({"hidden": 64, "lr": 0.001, "weight_decay": 0.0001, "dropout": 0.2, "max_epochs": 25, "patience": 5,
                                    "grid_index": 2, "epochs": 9, "backbone": "efficientnet-lite0"}) == (
        "MLP: 64 hidden units, learning rate 0.001, weight decay 0.0001, dropout 0.2, at most 25 epochs, early stopping after 5 epochs without progress")
    assert run_review.config_words({"kind": "baseline", "C": 0.03}) == "scikit-learn logistic regression: regularisation C 0.03"
    rows = run_review.timing_rows({"load_and_embed_seconds": 30.2, "nested_cv_seconds": 95.0, "new_step_seconds": 1.0, "total_seconds": 130.4})
    assert rows["total"] == "2 min 10 s"
    assert rows["steps"] == [{"words": "loading and embedding the images", "time": "30.2 s"},
                             {"words": "nested cross-validation", "time": "1 min 35 s"}, {"words": "new step", "time": "1.0 s"}]
    assert run_review.timing_rows(None) == {"total": None, "steps": []}
