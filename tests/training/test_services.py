"""Runs through the services, on the 12-image synthetic dataset version of the fixture."""
import numpy as np
import pytest

from training import selectors, services, serving
from training.ml import artifact, backbone, cv
from training.tables import ConfigRecord, RunRecord
from tests.training.fixtures import FIXTURE_REASON, SMALL_TARGETS, fixture_dataset_create

GRID = [
    {"hidden": 0, "lr": 0.01, "weight_decay": 0.0001, "dropout": 0.0, "max_epochs": 20, "patience": 4},
    {"hidden": 16, "lr": 0.01, "weight_decay": 0.001, "dropout": 0.1, "max_epochs": 20, "patience": 4},
]


@pytest.fixture
def dataset_version(settings, tmp_path, training_embedding_cache):
    settings.EMBEDDING_CACHE_DIR = training_embedding_cache
    return fixture_dataset_create(tmp_path / "images")["name"]


def test_a_run_records_nested_cv_as_the_tables_describe(dataset_version, settings):
    progress = []
    run = services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=3, grid=GRID, outer_split_seed=4, inner_split_seed=2)
    assert run.status == services.RUNNING
    run = services.run_execute(run_id=run.run_id, progress=lambda message, fraction: progress.append(fraction))
    assert run.status == services.COMPLETED, run.error
    assert progress and progress[-1] == 1.0 and all(0 <= f <= 1 for f in progress)

    configs = list(ConfigRecord.run_configs_index.query(run.run_id))
    assert sorted(c.fold_id for c in configs) == [-1, 0, 0, 1, 1, 2, 2]
    for fold_id in range(3):
        in_fold = [c for c in configs if c.fold_id == fold_id]
        assert sum(c.is_best_in_fold for c in in_fold) == 1
        best = next(c for c in in_fold if c.is_best_in_fold)
        assert best.best_val == min(c.best_val for c in in_fold)
        assert best.fold_metrics["n_test"] == 4 and "auc" in best.fold_metrics.as_dict()
        for c in in_fold:
            assert 1 <= c.best_epoch <= 20 and c.dataset_version == dataset_version
            assert c.hyperparameters["backbone"] == "efficientnet-lite0-brushwork"
    final = next(c for c in configs if c.fold_id == -1)
    assert run.best_config_id == final.config_id
    assert final.modal_volume_path == run.modal_volume_path
    assert artifact.read_meta(settings.MODEL_DIR, run.model_version)["thresholds"] == {
        key: run.metrics_detail["thresholds"][key] for key in ("authentic_below", "forged_above")
    }
    for name in ("accuracy", "auc", "f1", "precision", "recall"):
        assert 0 <= getattr(run, f"mean_{name}") <= 1 and getattr(run, f"std_{name}") >= 0
    assert run.mean_auc >= 0.9  # stripes versus smooth paint: an easy problem for the backbone
    detail = run.metrics_detail.as_dict()
    assert set(detail["per_sublabel"]) == {"original", "copy", "pastiche"}
    assert len(detail["per_fold"]) == 3 and detail["calibration"]["ece"] is not None
    assert detail["n_patches"] == 48

    table = selectors.run_fold_table(run_id=run.run_id)
    assert table["folds"] == [0, 1, 2] and len(table["configs"]) == 2 and table["final"].config_id == final.config_id
    assert [r.run_id for r in selectors.runs_by_status(status="completed").items] == [run.run_id]
    assert [r.run_id for r in selectors.runs_for_dataset_version(dataset_version=dataset_version).items] == [run.run_id]


def test_each_patch_goes_through_the_backbone_once_and_same_seeds_repeat(dataset_version, settings, tmp_path, monkeypatch):
    settings.EMBEDDING_CACHE_DIR = tmp_path / "fresh-cache"
    forwarded = []
    original = backbone._forward
    monkeypatch.setattr(backbone, "_forward", lambda bb, batch: forwarded.append(len(batch)) or original(bb, batch))
    options = {"dataset_version": dataset_version, "k_folds": 3, "grid": GRID, "outer_split_seed": 8, "inner_split_seed": 3}
    first = services.run_execute(run_id=services.run_create(targets=SMALL_TARGETS, **options).run_id)
    assert first.status == services.COMPLETED
    # 12 images x 4 patches, for 3 folds x 2 configs + refits + final; the rest are the training
    # copies and the robustness works' re-photographs (training.capture_data), cached the same way.
    assert first.metrics_detail["patches_embedded"] == 48
    first_forwarded = sum(forwarded)
    assert first_forwarded > 48
    second = services.run_execute(run_id=services.run_create(targets=SMALL_TARGETS, **options).run_id)
    assert second.status == services.COMPLETED
    assert sum(forwarded) == first_forwarded and second.metrics_detail["patches_embedded"] == 0
    # Same seeds, same data: same folds, same choices, same metrics.
    assert (first.mean_auc, first.mean_accuracy, first.std_f1) == (second.mean_auc, second.mean_accuracy, second.std_f1)
    assert first.metrics_detail["per_fold"] == second.metrics_detail["per_fold"]


def test_a_failing_run_is_recorded_with_its_error(dataset_version, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory on purpose")

    monkeypatch.setattr(cv, "nested_cv", broken)
    run = services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=2, grid=GRID)
    with pytest.raises(RuntimeError):
        services.run_execute(run_id=run.run_id)
    run.refresh()
    assert run.status == services.FAILED
    assert run.error == "RuntimeError: out of memory on purpose"
    assert run.finished_at


def test_bad_requests_are_refused_before_anything_is_written(dataset_version):
    with pytest.raises(services.TrainingError, match="no dataset version"):
        services.run_create(targets=SMALL_TARGETS, dataset_version="nope")
    with pytest.raises(services.TrainingError, match="at least 7 authentic"):
        services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=7)
    with pytest.raises(services.TrainingError, match="allowed keys"):
        services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, grid=[{"layers": 3}])
    with pytest.raises(services.TrainingError, match="lda head takes no other setting"):
        services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, grid=[{"kind": "lda", "C": 1}])
    with pytest.raises(services.TrainingError, match="kind must be one of baseline, by_type, lda, torch"):
        services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, grid=[{"kind": "svm"}])
    with pytest.raises(services.TrainingError, match="Unknown backbone"):
        services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, backbone="resnet-9000")
    assert list(RunRecord.status_index.query("running")) == []


def test_a_run_whose_heartbeat_stopped_is_failed_by_the_sweep(dataset_version, settings):
    settings.TRAINING_HEARTBEAT_STALE_SECONDS = 600
    dead = services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=2, grid=GRID)
    alive = services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=2, grid=GRID)
    dead.update(actions=[RunRecord.heartbeat_at.set(dead.heartbeat_at - 3_600_000)])
    assert services.runs_sweep_stale() == [dead.run_id]
    dead.refresh()
    alive.refresh()
    assert dead.status == services.FAILED and "No heartbeat for 60 minutes" in dead.error
    assert alive.status == services.RUNNING
    # The worker that comes back late does not resurrect it.
    assert services.run_execute(run_id=dead.run_id).status == services.FAILED
    assert list(ConfigRecord.run_configs_index.query(dead.run_id)) == []


def test_promotion_is_recorded_and_switches_serving(promoted_model):
    dataset_version = promoted_model.dataset_version
    run = RunRecord.get(promoted_model.run_id)
    assert run.promoted_by == "fixture@example.com" and run.promoted_at
    other = services.run_execute(run_id=services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=2, grid=GRID[:1]).run_id)
    services.model_promote(run_id=other.run_id, promoted_by="staff@example.com", reason=FIXTURE_REASON)
    info = serving.promoted_model_info()
    assert info["run_id"] == other.run_id and info["promoted_by"] == "staff@example.com"
    failed = services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=2, grid=GRID)
    services.run_fail(run_id=failed.run_id, error="test")
    with pytest.raises(services.TrainingError, match="completed"):
        services.model_promote(run_id=failed.run_id, promoted_by="x")
    assert serving.promoted_model_info()["run_id"] == other.run_id
