import pytest

from datasets import imaging
from training import compute, serving
from scipy.special import expit

from training.ml import aggregate
from tests.training.fixtures import synthetic_painting


def test_without_a_promoted_model_scoring_says_so():
    assert serving.promoted_model_info() is None
    with pytest.raises(serving.NoPromotedModel):
        serving.score_patches([imaging.extract_patches(synthetic_painting(0, forged=False))[0].image], model_version="model-never-promoted")
    with pytest.raises(ValueError):
        serving.score_patches([], model_version="model-never-promoted")


def test_promoted_model_scores_forged_above_authentic_and_loads_once(promoted_model, monkeypatch):
    info = serving.promoted_model_info()
    assert info["model_version"] == promoted_model.model_version
    assert info["run_id"] == promoted_model.run_id
    assert info["dataset_version"] == "fixture-v1"
    assert info["artist_name"] == promoted_model.artist
    assert [artist.name for artist in serving.served_artists()] == [promoted_model.artist]
    assert info["is_demo"] is False and info["promoted_at"] > 0
    assert set(info["metrics"]) >= {"mean_auc", "std_auc", "mean_accuracy"}

    authentic = [p.image for p in imaging.extract_patches(promoted_model.authentic_image)]
    forged = [p.image for p in imaging.extract_patches(promoted_model.forged_image)]
    a = serving.score_patches(authentic, model_version=promoted_model.model_version)
    loads = []
    original = compute.artifact.load
    monkeypatch.setattr(compute.artifact, "load", lambda *args, **kw: loads.append(args) or original(*args, **kw))
    f = serving.score_patches(forged, model_version=promoted_model.model_version)
    assert loads == []  # the model stays loaded while the promoted version is unchanged

    assert len(a.probabilities) == len(authentic)
    assert a.image_probability < 0.5 < f.image_probability
    assert a.model_version == promoted_model.model_version
    assert set(a.thresholds) == {"authentic_below", "forged_above"}
    assert a.thresholds["authentic_below"] <= 0.5 <= a.thresholds["forged_above"]
    assert a.verdict == aggregate.verdict(a.image_probability, a.thresholds)
    # The image probability is the sigmoid of the mean patch logit.
    logits = [aggregate.probability_to_logit(p) for p in f.probabilities]
    assert f.image_probability == pytest.approx(float(expit(sum(logits) / len(logits))), abs=1e-6)


def test_heads_of_recent_versions_stay_loaded_in_a_bounded_lru(promoted_model, settings, monkeypatch):
    settings.MODEL_CACHE_SIZE = 2
    compute._heads.clear()
    loads = []
    original = compute.artifact.load
    monkeypatch.setattr(compute.artifact, "load", lambda *args, **kw: loads.append(args[1]) or original(*args, **kw))
    real = promoted_model.model_version
    compute.loaded_model(real)
    # Two other "versions" (copies of the same artifact under other names) push it out.
    import shutil
    for name in ("copy-a", "copy-b"):
        shutil.copytree(compute.artifact.model_path(settings.MODEL_DIR, real), compute.artifact.model_path(settings.MODEL_DIR, name))
        compute.loaded_model(name)
    assert compute.loaded_versions() == ["copy-a", "copy-b"]
    compute.loaded_model("copy-b")
    compute.loaded_model(real)
    assert loads == [real, "copy-a", "copy-b", real]  # copy-b was a hit; the real one had been evicted
    assert compute.loaded_versions() == ["copy-b", real]


def test_only_platt_scaling_is_called_calibrated_where_a_result_reads_its_score():
    """Issue 29: a model whose card says "Calibration: none (raw scores kept)" (the identity
    calibrator) must not have its results read "on the same calibrated scale"."""
    from training.ml import calibration

    platt = serving.reading_basis(calibration.Calibrator(a=1.2, b=-0.1), 0.7, {})
    assert platt["calibrated"] is True and platt["calibration_note"] == ""
    identity = calibration.Calibrator(method=calibration.IDENTITY_METHOD, reason="The raw probabilities are served as they are.")
    kept_raw = serving.reading_basis(identity, 0.7, {})
    assert kept_raw["calibrated"] is False and kept_raw["calibration_note"] == "The raw probabilities are served as they are."
    none = serving.reading_basis(calibration.Calibrator(method="none", reason="Too few works to calibrate."), 0.7, {})
    assert none["calibrated"] is False and none["calibration_note"] == "Too few works to calibrate."
