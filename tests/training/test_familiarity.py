"""training.ml.familiarity: the out-of-fold threshold, and what serving does with it."""
import numpy as np
import pytest
from PIL import Image

from datasets import imaging
from training import serving
from training.ml import familiarity
from training.ml.aggregate import INCONCLUSIVE


def _images(rng, count: int, patches: int, dim: int, shift: float = 0.0):
    centre = np.zeros(dim) + shift
    features = np.concatenate([rng.normal(centre + rng.normal(0, 0.3, dim), 1.0, (patches, dim)) for _ in range(count)])
    return features, np.repeat(np.arange(count), patches)


def test_threshold_flags_about_one_in_a_hundred_like_images_and_every_unlike_one():
    rng = np.random.default_rng(0)
    features, patch_image = _images(rng, 60, 8, 32)
    reference = familiarity.fit(features, patch_image, seed=1)
    assert reference.calibration["images"] == 60 and reference.threshold > reference.calibration["in_sample_median"]

    new_like = [reference.assess(_images(rng, 1, 8, 32)[0]) for _ in range(200)]
    new_unlike = [reference.assess(_images(rng, 1, 8, 32, shift=1.5)[0]) for _ in range(50)]
    flagged_like = sum(result["unfamiliar"] for result in new_like) / len(new_like)
    assert flagged_like <= 0.05  # calibrated out of fold for ~1%; in-sample calibration would flag far more
    assert all(result["unfamiliar"] for result in new_unlike)


def test_too_few_images_give_no_reference():
    rng = np.random.default_rng(0)
    features, patch_image = _images(rng, familiarity.MIN_IMAGES - 1, 4, 8)
    assert familiarity.fit(features, patch_image) is None


def test_the_promoted_model_knows_its_training_images_and_flags_a_blank_wall(promoted_model):
    model_meta = promoted_model.info
    like = serving.score_patches([p.image for p in imaging.extract_patches(promoted_model.forged_image)], model_version=promoted_model.model_version)
    assert like.familiarity is not None and not like.familiarity["unfamiliar"]

    wall = Image.new("RGB", (896, 672), (214, 208, 196))  # a photograph of nothing painted
    unlike = serving.score_patches([p.image for p in imaging.extract_patches(wall)], model_version=promoted_model.model_version)
    assert unlike.familiarity["unfamiliar"] and unlike.familiarity["distance"] > unlike.familiarity["threshold"]
    assert unlike.verdict == INCONCLUSIVE
    assert model_meta["model_version"] == unlike.model_version


def test_the_reference_survives_saving_and_loading(promoted_model, settings):
    from training.ml import artifact

    loaded = artifact.load(settings.MODEL_DIR, promoted_model.model_version)
    assert loaded.familiarity is not None
    assert loaded.meta["familiarity"]["threshold"] == pytest.approx(loaded.familiarity.threshold)
    assert set(loaded.meta["familiarity"]["out_of_fold_percentiles"]) == {"50", "90", "99"}


def test_a_full_covariance_reference_saved_before_the_pca_form_still_loads():
    rng = np.random.default_rng(2)
    features = rng.normal(0, 1, (50, 6))
    old = {"mean": np.zeros(6, np.float32), "precision": np.eye(6, dtype=np.float32), "threshold": np.float64(1.5)}
    reference = familiarity.Reference.from_arrays(old)
    assert reference.components is None
    expected = np.sqrt((features ** 2).sum(axis=1) / 6)
    assert np.allclose(reference.patch_distances(features), expected)


def test_the_pca_form_scores_high_dimensional_patches_and_flags_a_shift():
    rng = np.random.default_rng(3)
    features, patch_image = _images(rng, 40, 8, 600)  # more dimensions than patches, as in training
    reference = familiarity.fit(features, patch_image, seed=0)
    assert reference.components.shape == (familiarity.COMPONENTS, 600)
    assert not reference.assess(_images(rng, 1, 8, 600)[0])["unfamiliar"]
    assert reference.assess(_images(rng, 1, 8, 600, shift=1.0)[0])["unfamiliar"]


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_scoring_runs_its_small_products_on_one_blas_thread(promoted_model, monkeypatch):
    """BLAS threads spinning beside the scoring lanes gave these products a long tail
    on a busy worker (bench/bench_cpu_paths.py); training's fits keep every thread."""
    from threadpoolctl import threadpool_limits

    seen = []
    assess = familiarity.Reference.assess
    monkeypatch.setattr(familiarity.Reference, "assess", lambda self, features: seen.append(_blas_threads()) or assess(self, features))
    with threadpool_limits(2, user_api="blas"):
        serving.score_patches([p.image for p in imaging.extract_patches(promoted_model.forged_image)], model_version=promoted_model.model_version)
        assert _blas_threads() == {2}  # restored afterwards
    assert seen == [{1}]
